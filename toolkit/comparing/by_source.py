"""Who said what: the comparison table with one column per source, each holding the figure
that source published for the row's incident and measure.

Built from integer codes (a take per source into the figures' texts), no Python per figure:
``sources x rows`` cells, so a table of 50 sources is 50 columns wide, as a spreadsheet
user expects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from toolkit.comparing.result import shown_texts

if TYPE_CHECKING:
    from toolkit.comparing.over_time import Series
    from toolkit.comparing.result import Comparison


def published_texts(c: Comparison | Series) -> tuple[pd.Series, np.ndarray]:
    """Each compared figure as its source published it: its text (``128 persons at
    least``) when the export gave one, else its value with its qualifier (``≥ 128``,
    ``67``); a figure derived from its parts says ``(sum)``. As texts and, per figure of
    ``latest`` (in its order), its position in them; the last text is missing.

    Texts are taken only where there are some, and the rest formatted once per distinct
    interval: a table of numbers without texts costs no take of a million missing ones.
    """
    k = c.core.latest
    column = c.figures["figure_text"]
    has = ~column.isna().to_numpy()[k.rep]
    with_text = np.flatnonzero(has)
    text = column.take(k.rep[with_text]).reset_index(drop=True)
    blank = (text.str.strip() == "").to_numpy(dtype=bool)
    if blank.any():  # a blank text is no text
        has[with_text[blank]] = False
        with_text, text = with_text[~blank], text[~blank].reset_index(drop=True)
    without = np.flatnonzero(~has)
    shown = shown_texts(c.figures, k.rep[without], k.published_lo[without], k.published_hi[without])
    position = np.empty(len(k.rep), dtype=np.int64)
    position[with_text] = np.arange(len(with_text))
    position[without] = len(with_text) + np.arange(len(without))
    texts = pd.concat([text, shown, pd.Series([None], dtype="str")], ignore_index=True)
    return texts.astype("str"), position


def source_columns(names: list[str], taken: set[str]) -> list[str]:
    """Each source's column name: its name, unless a column of the table (or an earlier
    source's column) has it already; then ``NAME (source)``, ``NAME (source 2)``…

    >>> source_columns(["AP", "status", "status (source)"], {"status"})
    ['AP', 'status (source)', 'status (source) (source)']
    """
    out: list[str] = []
    used = set(taken)
    for name in names:
        column, n = name, 1
        while column in used:
            column = f"{name} (source)" if n == 1 else f"{name} (source {n})"
            n += 1
        used.add(column)
        out.append(column)
    return out


def by_source(c: Comparison | Series) -> pd.DataFrame:
    """:attr:`Comparison.table` (same rows, same order) with a column per source, in name
    order, holding that source's figure as published (missing where it gave none); of a
    :class:`~toolkit.comparing.over_time.Series`, each date's figures.

    A stale figure is shown as published too (the ``stale`` column names its source).
    """
    table = c.table
    k = c.core.latest
    src_names = [str(s) for s in c.core.coded.src_names]
    texts, position = published_texts(c)  # the last text is missing: no figure given
    n_rows = len(table)
    row_of_group = np.empty(n_rows, dtype=np.int64)
    row_of_group[c.core.rank] = np.arange(n_rows)
    rows = row_of_group[k.group]
    order = np.argsort(k.src, kind="stable")
    bounds = np.searchsorted(k.src[order], np.arange(len(src_names) + 1))
    columns = {}
    for code, column in enumerate(source_columns(src_names, set(table.columns))):
        at = order[bounds[code] : bounds[code + 1]]
        idx = np.full(n_rows, len(texts) - 1, dtype=np.int64)
        idx[rows[at]] = position[at]
        columns[column] = texts.take(idx).set_axis(table.index)
    wide = pd.DataFrame(columns, index=table.index)
    return pd.concat([table, wide], axis=1)

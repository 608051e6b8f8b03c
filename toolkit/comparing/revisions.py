"""How each source's figure for an incident and measure moved over the dates it gave it.

A table, not findings: a cumulative figure a source lowers is the rule
``cumulative-no-drop``'s finding (one finding per drop).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from toolkit.columnar import previous_days, product_key
from toolkit.comparing.latest import Coded
from toolkit.comparing.result import shown_texts

if TYPE_CHECKING:
    from toolkit.comparing.result import Comparison


def revision_arrays(
    coded: Coded, when: pd.Timestamp | None, changes: frozenset[str] = frozenset()
) -> dict[str, np.ndarray]:
    """Dated, known figures sorted by (incident, measure, source, date, line), each with
    the highest figure of the source's previous day in that series. Measures in
    ``changes`` (increments: each report's figure is a new change, not the same figure
    revised) are left out."""
    lo, hi, point, dates = coded.lo, coded.hi, coded.point, coded.dates
    inc, mea, src = coded.inc, coded.mea, coded.src
    keep = ~np.isnat(dates) & ~np.isnan(lo) & (inc >= 0) & (mea >= 0) & (src >= 0)
    left_out = [i for i, name in enumerate(coded.mea_names) if name in changes]
    if left_out:
        keep &= ~np.isin(mea, left_out)
    if when is not None:
        keep &= dates <= when.to_datetime64().astype("datetime64[us]")
    rows = np.flatnonzero(keep)
    line = coded.line[rows]
    n_mea, n_src = max(len(coded.mea_names), 1), int(src.max(initial=0)) + 1
    series = product_key([(inc, 0), (mea, n_mea), (src, n_src)], rows)
    day = dates[rows].view(np.int64)
    order = np.lexsort((rows, line, day, series))
    rows, series, day = rows[order], series[order], day[order]
    # each (series, day): its highest figure; the previous day's, within the series
    _, day_max, at = previous_days(series, day, point[rows], np.maximum, False)
    previous = np.where(at >= 0, day_max[np.maximum(at, 0)], np.nan)
    return {
        "rows": rows,
        "lo": lo[rows],
        "hi": hi[rows],
        "point": point[rows],
        "previous": previous,
    }


def _direction(r: dict[str, np.ndarray]) -> np.ndarray:
    change = r["point"] - r["previous"]
    return np.select(
        [np.isnan(r["previous"]), change > 0, change < 0], ["first", "up", "down"], default="same"
    )


def revisions(c: Comparison) -> pd.DataFrame:
    """The revisions table of a comparison (see ``Comparison.revisions``)."""
    increments = frozenset(i.measure for i in c.suite.taxonomy.increments)
    r = revision_arrays(c.core.coded, c.as_of, increments)
    f = c.figures.take(r["rows"]).reset_index(drop=True)
    out = pd.DataFrame(
        {
            "incident": f["incident"],
            "measure": f["measure"],
            "source": f["source"],
            "reported_on": f["reported_on"],
            "figure_text": f["figure_text"],
            "qualifier": f["qualifier"],
            "value": r["point"],
            "low": r["lo"],
            "high": r["hi"],
            "previous": r["previous"],
            "change": r["point"] - r["previous"],
            "direction": pd.array(_direction(r), dtype="str"),
            "origin_file": f["origin_file"],
            "origin_row": f["origin_row"],
        }
    )
    out["shown"] = shown_texts(c.figures, r["rows"], r["lo"], r["hi"]).to_numpy()
    return out

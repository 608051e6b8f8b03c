"""How much of each table the HTML report lists.

A report is read by a person: past a few hundred rows of one rule nobody reads on, and a
page of a hundred thousand rows takes minutes to open. So the report lists the first
``max_findings`` rows of each group (a rule and severity; a status; a direction), worst
first, and says per group how many more there are. Only the HTML is bounded: the findings
DataFrame, ``--json`` and ``--csv`` hold every row.

The default, 200 per group: a rule's first 200 failures show its pattern (they are sorted
by file and line, so they span the files); 200 rows of the findings table are about 80 KB
and 2,600 DOM nodes, so even a run where every one of a dozen rules fails everywhere gives
a report of a few MB that opens in about a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

MAX_FINDINGS = 200


@dataclass(frozen=True)
class Omitted:
    """One group the report lists only part of: what it is, rows listed, rows in all."""

    group: tuple[str, ...]
    shown: int
    total: int

    @property
    def more(self) -> int:
        return self.total - self.shown


def head_per_group(
    df: pd.DataFrame, by: list[str], limit: int
) -> tuple[pd.DataFrame, list[Omitted]]:
    """The first ``limit`` rows of each group of ``df`` by the columns ``by``, in the
    frame's own order; and each group cut short, in order of first appearance.

    >>> df = pd.DataFrame({"rule": ["a", "a", "b", "a"], "n": [1, 2, 3, 4]})
    >>> shown, omitted = head_per_group(df, ["rule"], 2)
    >>> shown["n"].tolist(), omitted
    ([1, 2, 3], [Omitted(group=('a',), shown=2, total=3)])
    """
    limit = max(int(limit), 0)
    if df.empty:
        return df, []
    keys = df[by].astype(object).where(df[by].notna(), "")
    grouped = keys.groupby(by, sort=False, dropna=False)
    rank = grouped.cumcount().to_numpy()
    sizes = grouped.size()
    omitted = [
        Omitted(tuple(str(k) for k in (key if isinstance(key, tuple) else (key,))), limit, n)
        for key, n in sizes.items()
        if n > limit
    ]
    return df[rank < limit], omitted


def head(df: pd.DataFrame, limit: int) -> tuple[pd.DataFrame, int]:
    """The first ``limit`` rows and how many more there are."""
    limit = max(int(limit), 0)
    return df.head(limit), max(len(df) - limit, 0)

"""Wholes derived from their parts, so that outlets that publish different breakdowns meet.

Where the taxonomy declares a partition exhaustive (``killed.victims = killed.civilians +
killed.police``) and a source gives every part in one report but not the whole, the whole
is derived: lows add, highs add (an open part makes an open whole; an unknown part makes
no derived figure). A derived figure says which parts it sums (``derived``), cites the
first part's line, and is compared like a published one; it raises no rule finding (the
rules ran before). Where a source gives the whole too, its published whole is compared.
Wholes derived at one level may be parts at the next (victims + perpetrators → killed).
Linking scores tolls on them too, and comparing compares them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from toolkit.model import figures as ft
from toolkit.model.intervals import intervals_and_points

if TYPE_CHECKING:  # the suite's taxonomy, read by the caller and passed in
    from toolkit.suite.taxonomy import Partition, Taxonomy

REPORT = ["incident", "source", "reported_on"]


def may_derive(measures: pd.Series, taxonomy: Taxonomy) -> bool:
    """Whether any exhaustive partition has a part among ``measures`` (the distinct
    measures of a table): else no whole can be derived, and nothing need be looked at."""
    present = {str(m) for m in measures}
    return any(present & set(p.parts) for p in taxonomy.partitions if p.exhaustive)


def derive_wholes(figures: pd.DataFrame, taxonomy: Taxonomy, tolerance: float) -> pd.DataFrame:
    """``figures`` with the wholes its exhaustive partitions imply appended (marked in a
    ``derived`` column); the same table when there are none. Deriving again derives
    nothing more.

    >>> from toolkit.reading.qualifiers import parse_figures
    >>> from toolkit.suite import load_suite
    >>> parsed = parse_figures(pd.Series(["at least 12", "1"], dtype="str"))
    >>> f = ft.conform(parsed[["value", "low", "high", "qualifier"]].assign(
    ...     incident="x", source="S", measure=["killed.victims", "killed.perpetrators"]))
    >>> out = derive_wholes(f, load_suite().taxonomy, 0.1)
    >>> whole = out.iloc[2]
    >>> whole["measure"], int(whole["low"]), whole["qualifier"], whole["derived"]
    ('killed', 13, 'at_least', 'killed.victims + killed.perpetrators')
    """
    partitions = [p for p in taxonomy.partitions if p.exhaustive]
    involved = {m for p in partitions for m in (p.whole, *p.parts)}
    if not partitions or not bool(figures["measure"].isin(list(involved)).any()):
        return figures
    known = figures[figures["measure"].isin(list(involved))]  # derived ones too: not again
    added: list[pd.DataFrame] = []
    for _ in partitions:  # a level a round: wholes of one level are parts of the next
        new = [w for p in partitions if len(w := _derive(known, p, tolerance))]
        if not new:
            break
        added.extend(new)
        known = pd.concat([known, *new], ignore_index=True)
    if not added:
        return figures
    base = figures if "derived" in figures else figures.assign(derived=_no_parts(len(figures)))
    return ft.conform(pd.concat([base, *added], ignore_index=True))


def _no_parts(n: int) -> pd.Series:
    return pd.Series([None] * n, dtype="str")


def _derive(known: pd.DataFrame, partition: Partition, tolerance: float) -> pd.DataFrame:
    """The wholes of one partition, for the reports that give every part but no whole."""
    parts = known[known["measure"].isin(list(partition.parts))]
    if parts.empty:
        return parts
    lo, hi, point = intervals_and_points(parts, tolerance)
    table = parts[[*REPORT, "measure"]].assign(lo=lo, hi=hi, point=point, pos=np.arange(len(parts)))
    per = table.groupby([*REPORT, "measure"], dropna=False, sort=False).agg(
        lo=("lo", "min"), hi=("hi", "max"), point=("point", "max"), pos=("pos", "first")
    )
    per = per.reset_index()
    order = {m: i for i, m in enumerate(partition.parts)}
    per["rank"] = per["measure"].map(order)
    per["known"] = per["lo"].notna()
    per = per.sort_values("rank", kind="stable")  # each report's first part first
    summary = per.groupby(REPORT, dropna=False, sort=False).agg(
        parts=("measure", "nunique"),
        known=("known", "sum"),
        lo=("lo", "sum"),
        hi=("hi", "sum"),
        point=("point", "sum"),
        pos=("pos", "first"),
    )
    whole = len(partition.parts)
    summary = summary[(summary["parts"] == whole) & (summary["known"] == whole)]
    if summary.empty:
        return parts.iloc[:0]
    given = known.loc[known["measure"] == partition.whole, REPORT].drop_duplicates()
    if len(given):
        flags = summary.reset_index()[REPORT].merge(given, how="left", indicator=True)
        summary = summary[(flags["_merge"] == "left_only").to_numpy()]
    if summary.empty:
        return parts.iloc[:0]
    return _rows(parts, summary, partition)


def _rows(parts: pd.DataFrame, summary: pd.DataFrame, partition: Partition) -> pd.DataFrame:
    """Derived figures as figures-table rows, each carrying its first part's report and
    place, and citing that part's line."""
    source = parts.iloc[summary["pos"].to_numpy(dtype=np.int64)].reset_index(drop=True)
    lo = np.floor(summary["lo"].to_numpy(dtype="float64"))
    hi = np.ceil(summary["hi"].to_numpy(dtype="float64"))
    point = np.round(summary["point"].to_numpy(dtype="float64"))
    open_ = np.isinf(hi)
    qualifier = np.where(open_, "at_least", np.where(lo == hi, "exact", "range"))
    out = source.copy()
    out["measure"] = partition.whole
    out["value"] = pd.array(np.where(qualifier == "range", np.nan, point), dtype="Int64")
    out["low"] = pd.array(lo, dtype="Int64")
    out["high"] = pd.array(np.where(open_, np.nan, hi), dtype="Int64")
    out["qualifier"] = pd.array(qualifier, dtype="str")
    out["figure_text"] = pd.Series([None] * len(out), dtype="str")
    out["derived"] = " + ".join(partition.parts)
    return out

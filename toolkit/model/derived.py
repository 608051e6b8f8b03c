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

from toolkit.columnar import codes, combine_codes, distinct, repeated_text
from toolkit.model import figures as ft
from toolkit.model.incidents import runs_of
from toolkit.model.intervals import intervals_and_points

if TYPE_CHECKING:  # the suite's taxonomy, read by the caller and passed in
    from toolkit.suite.taxonomy import Partition, Taxonomy

REPORT = ["incident", "source", "reported_on"]


def derivable(measures: pd.Series | list[str], taxonomy: Taxonomy) -> list[Partition]:
    """The exhaustive partitions whose every part is among ``measures`` (the distinct
    measures of a table) or derivable from them, lowest level first: only these can
    derive a whole.

    >>> from toolkit.suite import load_suite
    >>> [p.name for p in derivable(["killed.victims", "killed.perpetrators"],
    ...                            load_suite().taxonomy)]
    ['killed by role']
    >>> derivable(["killed", "killed.perpetrators"], load_suite().taxonomy)
    []
    """
    present = {str(m) for m in measures}
    exhaustive = [p for p in taxonomy.partitions if p.exhaustive]
    found: list[Partition] = []
    while True:
        more = [p for p in exhaustive if p not in found and set(p.parts) <= present]
        if not more:
            return found
        found.extend(more)
        present |= {p.whole for p in more}


def derive_wholes(
    figures: pd.DataFrame, taxonomy: Taxonomy, tolerance: float, days: float = 3
) -> pd.DataFrame:
    """``figures`` with the wholes its exhaustive partitions imply appended (marked in a
    ``derived`` column); the same table when there are none. Deriving again derives
    nothing more. A key that names several incidents (event starts more than ``days``
    apart, see :mod:`toolkit.model.incidents`) never sums one incident's parts with
    another's.

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
    partitions = derivable(figures["measure"].dropna().unique().tolist(), taxonomy)
    if not partitions:
        return figures
    involved = {m for p in partitions for m in (p.whole, *p.parts)}
    known = figures[figures["measure"].isin(list(involved))]  # derived ones too: not again
    added: list[pd.DataFrame] = []
    for _ in partitions:  # a level a round: wholes of one level are parts of the next
        keys = _Keys(known, days)
        new = [w for p in partitions if len(w := _derive(known, keys, p, tolerance))]
        if not new:
            break
        added.extend(new)
        known = pd.concat([known, *new], ignore_index=True)
    if not added:
        return figures
    base = (
        figures
        if "derived" in figures
        else figures.assign(derived=repeated_text(None, len(figures)))
    )
    return ft.conform(pd.concat([base, *added], ignore_index=True))


class _Keys:
    """Integer codes of a round's figures: one per report (incident, source, reported_on,
    and which incident of a key that names several), and one per measure."""

    def __init__(self, known: pd.DataFrame, days: float) -> None:
        n = len(known)
        key = combine_codes([codes(known[c], missing_group=True) for c in REPORT[:2]], n)
        runs = runs_of(key, known["event_start"].to_numpy("datetime64[us]"), days)
        day = codes(known["reported_on"], missing_group=True)
        self.report = combine_codes([key, day, runs], n)
        self.measure, names = distinct(known["measure"])
        self.code_of = {str(name): i for i, name in enumerate(names)}

    def rank(self, measures: tuple[str, ...]) -> np.ndarray:
        """Per row, the position of its measure among ``measures`` (-1: not one)."""
        table = np.full(len(self.code_of) + 1, -1, dtype=np.int64)
        for i, m in enumerate(measures):
            if m in self.code_of:
                table[self.code_of[m]] = i
        rank: np.ndarray = table[self.measure]  # -1 (missing) reads the last entry: -1
        return rank


def _derive(
    known: pd.DataFrame, keys: _Keys, partition: Partition, tolerance: float
) -> pd.DataFrame:
    """The wholes of one partition, for the reports that give every part but no whole."""
    rank = keys.rank(tuple(partition.parts))
    report = keys.report
    at = np.flatnonzero(rank >= 0)
    if not len(at):
        return known.iloc[:0]
    parts = known.iloc[at]
    lo, hi, point = intervals_and_points(parts, tolerance)
    n = len(partition.parts)
    table = pd.DataFrame(
        {"report": report[at], "rank": rank[at].astype(np.int64), "lo": lo, "hi": hi}
    ).assign(point=point, pos=np.arange(len(at)))
    # each report's parts: loosest interval, highest point, first line
    per = table.groupby(["report", "rank"], sort=True).agg(
        lo=("lo", "min"), hi=("hi", "max"), point=("point", "max"), pos=("pos", "first")
    )
    per = per.reset_index()  # sorted by report, then rank: each report's first part first
    summary = per.groupby("report", sort=False).agg(
        parts=("rank", "size"),
        known=("lo", "count"),
        lo=("lo", "sum"),
        hi=("hi", "sum"),
        point=("point", "sum"),
        pos=("pos", "first"),
    )
    complete = (summary["parts"] == n) & (summary["known"] == n)
    given = np.unique(report[keys.rank((partition.whole,)) == 0])
    complete &= ~np.isin(summary.index.to_numpy(), given)
    summary = summary[complete.to_numpy()]
    if summary.empty:
        return known.iloc[:0]
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
    out["figure_text"] = repeated_text(None, len(out))
    out["derived"] = " + ".join(partition.parts)
    return out

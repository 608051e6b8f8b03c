"""Comparison: the outlets' figures for one incident and measure, side by side, as intervals.

Each figure is an interval from its qualifier (``at least 128`` is [128, inf), ``about 200``
is 200 ± the suite's tolerance). For each incident and measure, each source's latest
figure (as of a date) is compared with the others': sources agree when their intervals
have a common point, and the consensus is that intersection. When they do not, a source
whose interval misses every point where most sources agree is an outlier.

Everything is computed on integer codes of the key columns, sorted once; no Python runs
per figure, only per finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from toolkit import findings as fd
from toolkit.errors import CrosscheckError
from toolkit.qualifiers import distinct, intervals
from toolkit.suite import Suite, load_suite

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Finding families of the comparison, and their severities unless the suite sets them.
SEVERITY: dict[str, str] = {
    "conflict": "error",
    "wide-spread": "warning",
    "definition": "warning",
    "revision": "warning",
}
RULES = {
    "conflict": "sources conflict",
    "wide-spread": "sources' figures far apart",
    "definition": "same figure, different definition",
    "revision": "cumulative figure revised down",
}
STATUSES = ("conflict", "agree", "single")

TABLE_COLUMNS = (
    "incident",
    "measure",
    "sources",
    "status",
    "consensus_low",
    "consensus_high",
    "median",
    "min",
    "max",
    "spread",
    "gap",
    "wide_spread",
    "outliers",
    "notes",
)


def describe(lo: float, hi: float, qualifier: object = None) -> str:
    """A figure's interval in a few characters: ``≥ 128``, ``45``, ``60–70``.

    >>> describe(128, float("inf")), describe(45, 45), describe(61, float("inf"), "more_than")
    ('≥ 128', '45', '> 60')
    >>> describe(180, 220, "about"), describe(0, 4, "fewer_than"), describe(12, 15)
    ('≈ 200', '< 5', '12–15')
    """
    if lo != lo or hi != hi:  # NaN
        return "unknown"
    if qualifier == "about":
        return f"≈ {_num((lo + hi) / 2)}"
    if hi == float("inf"):
        return f"> {_num(lo - 1)}" if qualifier == "more_than" else f"≥ {_num(lo)}"
    if lo == hi:
        return _num(lo)
    if lo == 0 and qualifier == "fewer_than":
        return f"< {_num(hi + 1)}"
    if lo == 0 and qualifier in ("at_most", "up_to"):
        return f"≤ {_num(hi)}"
    return f"{_num(lo)}–{_num(hi)}"


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


@dataclass(frozen=True)
class Comparison:
    """The figures of every incident and measure, compared across sources.

    Attributes
    ----------
    table
        One row per incident × measure, worst first: the number of sources, ``status``
        (``conflict``, ``agree``, ``single``), the consensus interval, median, min and max
        of the point figures, ``spread`` (max / min), ``gap`` (how far apart conflicting
        intervals are, relative to the higher one), the outlier sources and the taxonomy's
        definition notes for the measure.
    latest
        One row per incident × measure × source: the figure compared (the source's latest
        as of ``as_of``), its interval, whether it is an outlier and its relative distance
        from the median.
    """

    table: pd.DataFrame
    latest: pd.DataFrame
    figures: pd.DataFrame = field(repr=False)
    suite: Suite = field(repr=False)
    as_of: pd.Timestamp | None = None
    check_findings: pd.DataFrame | None = field(default=None, repr=False)

    @cached_property
    def revisions(self) -> pd.DataFrame:
        """Each source's dated figures for an incident and measure, in date order, with the
        change from its previous figure and its direction (``first``, ``up``, ``down``,
        ``same``)."""
        return _revisions(self.figures, self.suite, self.as_of)

    @cached_property
    def findings(self) -> pd.DataFrame:
        """``discrepancy`` findings (conflicts, wide spreads, definition differences) and
        ``revision`` findings (a cumulative figure revised down), worst first."""
        parts = [
            _conflict_findings(self),
            _spread_findings(self),
            _definition_findings(self),
            _revision_findings(self),
        ]
        parts = [p for p in parts if len(p)]
        if not parts:
            return fd.empty()
        return fd.sort(fd.from_frame(pd.concat(parts, ignore_index=True)))

    @cached_property
    def scorecard(self) -> pd.DataFrame:
        """Per source, over all incidents: figures given, incidents, figures compared with
        another source's, times an outlier, rule findings (schema and rules) and the median
        relative distance of its figures from the median of all sources'."""
        return _scorecard(self)

    def side_by_side(self, incident: str | None = None) -> pd.DataFrame:
        """Each source's figure as a short text (``≥ 128``), a column per source, with the
        status; one row per incident × measure (or per measure of one incident)."""
        latest = self.latest
        if incident is not None:
            latest = latest[latest["incident"] == incident]
        wide = latest.pivot_table(
            index=["incident", "measure"], columns="source", values="shown", aggfunc="first"
        )
        wide.columns.name = None
        status = self.table.set_index(["incident", "measure"])["status"]
        wide.insert(0, "status", status.reindex(wide.index))
        if incident is not None:
            wide = wide.droplevel("incident")
        return wide

    @property
    def conflicts(self) -> pd.DataFrame:
        """The rows of :attr:`table` whose sources conflict, worst first."""
        return self.table[self.table["status"] == "conflict"]

    def plot(self, incident: str, **kwargs: Any) -> Figure:
        """A chart of one incident's figures, side by side per source (matplotlib)."""
        from toolkit.reporting.charts import incident_chart

        return incident_chart(self, incident, **kwargs)


def _suite_of(figures: pd.DataFrame, suite: str | Path | Suite | None) -> Suite:
    if isinstance(suite, Suite):
        return suite
    if suite is not None:
        return load_suite(suite)
    carried = figures.attrs.get("crosscheck", {}).get("suite")
    return load_suite(carried) if carried else load_suite()


def _as_of(as_of: object) -> pd.Timestamp | None:
    if as_of is None:
        return None
    problem = CrosscheckError(f"as of {as_of!r}: not a date (use YYYY-MM-DD)")
    try:
        stamp = pd.Timestamp(as_of)  # type: ignore[arg-type]
    except (ValueError, TypeError) as e:
        raise problem from e
    if pd.isna(stamp):
        raise problem
    return stamp


def _names(codes: np.ndarray, names: list[object]) -> pd.Series:
    """Text column from codes into a list of names (Arrow-backed, no per-row str)."""
    table = pd.Series(pd.array([str(n) for n in names], dtype="str"))
    return table.take(codes).reset_index(drop=True)


def _point(figures: pd.DataFrame, lo: np.ndarray) -> np.ndarray:
    """The figure's point value; its low bound where the export gives none (a range)."""
    value = figures["value"].to_numpy(dtype="float64", na_value=np.nan)
    return np.where(np.isnan(value), lo, value)


def compare(
    figures: pd.DataFrame,
    suite: str | Path | Suite | None = None,
    as_of: object = None,
    findings: pd.DataFrame | None = None,
) -> Comparison:
    """Compare the sources' figures for every incident and measure.

    Parameters
    ----------
    figures
        A figures table (from :func:`toolkit.read`).
    suite
        A suite folder; by default the one the table was read with. Its ``compare``
        settings give the tolerance of "about" and the wide-spread threshold, its
        taxonomy the definition notes.
    as_of
        A date: each source's latest figure published on or before it (undated figures
        are then left out). ``None``: each source's latest figure; an undated figure
        counts as older than any dated one.
    findings
        The check's findings, for the scorecard's count of rule findings per source
        (computed by the native engine when needed and not given).

    Examples
    --------
    >>> import toolkit as cc
    >>> comparison = cc.compare(cc.read("fixtures/al-qaryatayn"))
    >>> row = comparison.table.set_index(["incident", "measure"]).loc[
    ...     ("al-qaryatayn-2017", "killed.civilians")]
    >>> row["status"], int(row["sources"]), float(row["consensus_low"]), bool(row["wide_spread"])
    ('agree', 4, 128.0, True)
    """
    suite = _suite_of(figures, suite)
    when = _as_of(as_of)
    tolerance = float(suite.compare["about_tolerance"])
    threshold = float(suite.compare["spread_threshold"])
    lo, hi = intervals(figures, tolerance)
    point = _point(figures, lo)
    inc, inc_names = distinct(figures["incident"])
    mea, mea_names = distinct(figures["measure"])
    src, src_names = distinct(figures["source"])
    dates = figures["reported_on"].to_numpy(dtype="datetime64[us]")
    usable = (inc >= 0) & (mea >= 0) & (src >= 0) & ~np.isnan(lo)
    if when is not None:
        usable &= dates <= when.to_datetime64().astype("datetime64[us]")  # NaT compares False
    rows = np.flatnonzero(usable)

    n_src = max(len(src_names), 1)
    n_mea = max(len(mea_names), 1)
    group = inc[rows] * n_mea + mea[rows]
    key = group * n_src + src[rows]
    day = dates[rows].view(np.int64)  # NaT is the smallest int64: undated sorts first
    # Within a source's day, the figure shown is the highest (then the widest, then the
    # last line): chosen by value, not by the order rows arrive in.
    line = figures["origin_row"].to_numpy(dtype="float64", na_value=-1.0)[rows]
    order = np.lexsort((line, hi[rows], point[rows], day, key))
    rows, key, day, group = rows[order], key[order], day[order], group[order]

    # Each source's latest day per incident and measure; on that day, the loosest interval
    # (a report giving two figures is a rule finding; here it widens the interval).
    if len(rows):
        ends = np.r_[np.flatnonzero(key[1:] != key[:-1]), len(rows) - 1]
        last_day = np.repeat(day[ends], np.diff(np.r_[-1, ends]))
        keep = day == last_day
        rows, key, group, day = rows[keep], key[keep], group[keep], day[keep]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(rows) else np.zeros(0, int)
    ends = np.r_[starts[1:], len(rows)] - 1 if len(rows) else starts
    rep = rows[ends]  # the figure shown
    s_lo = np.minimum.reduceat(lo[rows], starts) if len(rows) else np.zeros(0)
    s_hi = np.maximum.reduceat(hi[rows], starts) if len(rows) else np.zeros(0)
    s_point = point[rep]
    s_group = group[starts]
    s_day = day[starts]

    # Groups (incident x measure) are contiguous. A figure much older than the group's
    # newest is stale: for a cumulative measure it still says "at least this many", so
    # its interval opens upward; any other stale figure is listed but not compared.
    g_starts = np.flatnonzero(np.r_[True, s_group[1:] != s_group[:-1]]) if len(rep) else starts
    g_size_all = np.diff(np.r_[g_starts, len(rep)])
    g_of = np.repeat(np.arange(len(g_starts)), g_size_all)  # each source row's group
    newest = np.maximum.reduceat(s_day, g_starts)[g_of] if len(rep) else s_day
    window = np.int64(float(suite.compare["window_days"]) * 86_400_000_000)
    nat = np.iinfo(np.int64).min
    stale = (s_day != nat) & (newest - s_day > window)
    cumulative = np.array(
        [
            str(m) in suite.taxonomy.measures and suite.taxonomy.measures[str(m)].cumulative
            for m in mea_names
        ]
        + [False],
        dtype=bool,
    )[mea[rep] if len(rep) else np.zeros(0, dtype=np.int64)]
    published_hi = s_hi
    s_hi = np.where(stale & cumulative, np.inf, s_hi)
    active = ~(stale & ~cumulative)

    # Across the active figures of each group (the newest is always active, so every
    # group keeps its place): the intersection of the intervals, the spread of the points.
    a = np.flatnonzero(active)
    a_starts = np.flatnonzero(np.r_[True, g_of[a][1:] != g_of[a][:-1]]) if len(a) else a
    # (the newest figure of a group is never stale, so these groups align with g_starts)
    g_size = np.diff(np.r_[a_starts, len(a)])
    if len(a):
        c_lo = np.maximum.reduceat(s_lo[a], a_starts)
        c_hi = np.minimum.reduceat(s_hi[a], a_starts)
        # Points: the fresh figures only (a stale cumulative toll has risen since).
        f = np.flatnonzero(~stale)
        f_starts = np.flatnonzero(np.r_[True, g_of[f][1:] != g_of[f][:-1]])
        v_min = np.minimum.reduceat(s_point[f], f_starts)
        v_max = np.maximum.reduceat(s_point[f], f_starts)
        median = pd.Series(s_point[f]).groupby(g_of[f], sort=True).median().to_numpy()
    else:
        c_lo = c_hi = v_min = v_max = median = np.zeros(0)
    agree = c_lo <= c_hi
    status = np.where(g_size == 1, 2, np.where(agree, 1, 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(v_min > 0, v_max / v_min, np.where(v_max > 0, np.inf, 1.0))
        relative = np.where(v_max > 0, (v_max - v_min) / v_max, 0.0)
        gap = np.where(status == 0, (c_lo - c_hi) / np.where(c_lo > 0, c_lo, 1.0), 0.0)
        distance = np.abs(s_point - median[g_of]) / median[g_of]
    distance[(g_size[g_of] < 2) | stale] = np.nan
    wide = (status == 1) & (relative > threshold)

    # Outliers, where sources conflict: find the points covered by the most intervals;
    # a source is an outlier when a strict majority meets at such a point and its own
    # interval misses every one of them.
    outlier = _outliers(s_group, s_lo, s_hi, (status[g_of] == 0) & active)
    cons_lo, cons_hi = c_lo.copy(), c_hi.copy()
    conflicted = np.flatnonzero(status == 0)
    if len(conflicted):
        kept = ~outlier & (status[g_of] == 0) & active
        inner_lo = pd.Series(s_lo[kept]).groupby(g_of[kept]).max()
        inner_hi = pd.Series(s_hi[kept]).groupby(g_of[kept]).min()
        has_out = np.zeros(len(g_starts), dtype=bool)
        has_out[g_of[outlier]] = True
        cons_lo[conflicted] = np.nan
        cons_hi[conflicted] = np.nan
        for_groups = np.flatnonzero(has_out)
        ilo = inner_lo.reindex(for_groups).to_numpy()
        ihi = inner_hi.reindex(for_groups).to_numpy()
        ok = ilo <= ihi
        cons_lo[for_groups[ok]] = ilo[ok]
        cons_hi[for_groups[ok]] = ihi[ok]
    row_status = np.where(active, status[g_of], 3)

    g_inc = s_group[g_starts] // n_mea if len(rep) else np.zeros(0, dtype=np.int64)
    g_mea = s_group[g_starts] % n_mea if len(rep) else np.zeros(0, dtype=np.int64)
    src_of = src[rep]
    latest = pd.DataFrame(
        {
            "incident": _names(inc[rep], inc_names),
            "measure": _names(mea[rep], mea_names),
            "source": _names(src_of, src_names),
            "figure_text": figures["figure_text"].take(rep).reset_index(drop=True)
            if "figure_text" in figures
            else pd.Series([pd.NA] * len(rep), dtype="str"),
            "qualifier": figures["qualifier"].take(rep).reset_index(drop=True),
            "value": figures["value"].take(rep).reset_index(drop=True),
            "low": s_lo,
            "high": s_hi,
            "reported_on": figures["reported_on"].take(rep).reset_index(drop=True),
            "origin_file": figures["origin_file"].take(rep).reset_index(drop=True),
            "origin_row": figures["origin_row"].take(rep).reset_index(drop=True),
            "citation": figures["citation"].take(rep).reset_index(drop=True)
            if "citation" in figures
            else pd.Series([pd.NA] * len(rep), dtype="str"),
            "status": _categorical(row_status, (*STATUSES, "stale")),
            "stale": stale,
            "outlier": outlier,
            "distance": distance,
        }
    )
    # What the source said (not the opened interval of a stale figure), as a short text.
    latest["shown"] = _shown(latest.assign(high=published_hi))
    latest.loc[stale, "shown"] = latest.loc[stale, "shown"] + " (earlier)"

    outlier_names = _outlier_names(latest, g_of, outlier, len(g_starts))
    notes = {
        m: "; ".join(suite.taxonomy.measures[m].notes)
        for m in map(str, mea_names)
        if m in suite.taxonomy.measures and suite.taxonomy.measures[m].notes
    }
    table = pd.DataFrame(
        {
            "incident": _names(g_inc, inc_names),
            "measure": _names(g_mea, mea_names),
            "sources": g_size,
            "status": _categorical(status, STATUSES),
            "consensus_low": cons_lo,
            "consensus_high": cons_hi,
            "median": median,
            "min": v_min,
            "max": v_max,
            "spread": spread,
            "gap": gap,
            "wide_spread": wide,
            "outliers": outlier_names,
        }
    )
    table["notes"] = table["measure"].map(notes).astype("str")
    # Worst first: conflicts by how far apart, then wide spreads, agreement, single sources;
    # ties by name (ranks of the distinct names, so no per-row text sort).
    rank = np.lexsort(
        (
            _alphabetical(mea_names)[g_mea],
            _alphabetical(inc_names)[g_inc],
            -np.nan_to_num(spread, posinf=1e300),
            ~wide,
            -gap,
            status,
        )
    )
    table = table.take(rank).reset_index(drop=True)
    return Comparison(
        table=table,
        latest=latest,
        figures=figures,
        suite=suite,
        as_of=when,
        check_findings=findings,
    )


def _categorical(codes: np.ndarray, names: tuple[str, ...]) -> pd.Categorical[str]:
    """A categorical column from integer codes into ``names``."""
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=pd.Index(names))


def _alphabetical(names: list[object]) -> np.ndarray:
    """Each code's rank in alphabetical order of the names."""
    ranks = np.empty(len(names), dtype=np.int64)
    ranks[np.argsort(np.array([str(n) for n in names], dtype=object), kind="stable")] = np.arange(
        len(names)
    )
    return ranks


def _shown(latest: pd.DataFrame) -> pd.Series:
    q = latest["qualifier"].to_numpy(dtype=object)
    lo = latest["low"].to_numpy()
    hi = latest["high"].to_numpy()
    # Few distinct (lo, hi, qualifier) triples in practice; describe each once.
    keys = pd.MultiIndex.from_arrays([lo, hi, q])
    codes, uniques = pd.factorize(keys)
    texts = [describe(a, b, c) for a, b, c in uniques]
    return pd.Series(pd.array(texts, dtype="str")).take(codes).reset_index(drop=True)


def _outliers(
    group: np.ndarray, lo: np.ndarray, hi: np.ndarray, in_conflict: np.ndarray
) -> np.ndarray:
    """Per source row: its interval misses every point of greatest agreement in its group,
    and a strict majority of the group's sources meets at such a point."""
    out = np.zeros(len(group), dtype=bool)
    idx = np.flatnonzero(in_conflict)
    if len(idx) == 0:
        return out
    rows = pd.DataFrame({"g": group[idx], "i": idx, "lo": lo[idx], "hi": hi[idx]})
    size = rows.groupby("g")["i"].transform("size").to_numpy()
    # Depth at each left end (the most-covered points of closed intervals include one).
    pairs = rows.merge(rows[["g", "lo", "hi"]], on="g", suffixes=("", "_o"))
    covers = (pairs["lo_o"] <= pairs["lo"]) & (pairs["lo"] <= pairs["hi_o"])
    depth = covers.groupby(pairs["i"]).sum().reindex(rows["i"]).to_numpy()
    rows["depth"] = depth
    best = rows.groupby("g")["depth"].transform("max").to_numpy()
    majority = (best >= 2) & (2 * best > size)
    peaks = rows.loc[(depth == best) & majority, ["g", "lo"]].rename(columns={"lo": "p"})
    if peaks.empty:
        return out
    hits = rows.merge(peaks, on="g")
    inside = (hits["lo"] <= hits["p"]) & (hits["p"] <= hits["hi"])
    touched = inside.groupby(hits["i"]).any()
    misses = touched[~touched].index.to_numpy()
    out[misses] = True
    return out


def _outlier_names(
    latest: pd.DataFrame, g_of: np.ndarray, outlier: np.ndarray, n_groups: int
) -> pd.Series:
    names = pd.Series(pd.NA, index=range(n_groups), dtype="str")
    if outlier.any():
        joined = (
            latest.loc[outlier, "source"].groupby(g_of[outlier]).agg(lambda s: "; ".join(sorted(s)))
        )
        names.loc[joined.index] = joined.to_numpy()
    return names


def _fmt(x: float) -> str:
    return "unbounded" if x == np.inf else _num(x)


def _interval(lo: float, hi: float) -> str:
    return f"[{_fmt(lo)}, {_fmt(hi)}]"


def _severity(suite: Suite, family: str) -> str:
    return suite.severity.get(family, SEVERITY[family])


def _conflict_findings(c: Comparison) -> pd.DataFrame:
    latest = c.latest[c.latest["status"] == "conflict"]
    if latest.empty:
        return latest.iloc[:0]
    in_conflict = set(zip(latest["incident"], latest["measure"], strict=True))
    consensus = {
        (str(i), str(m)): (float(lo), float(hi))
        for i, m, lo, hi in zip(
            c.table["incident"],
            c.table["measure"],
            c.table["consensus_low"],
            c.table["consensus_high"],
            strict=True,
        )
        if (i, m) in in_conflict
    }
    has_outlier = latest.groupby(["incident", "measure"])["outlier"].transform("any")
    # Name the outliers where a majority agrees; otherwise every figure is in question.
    flagged = latest[latest["outlier"] | ~has_outlier]
    records = []
    others = {k: g for k, g in latest.groupby(["incident", "measure"], sort=False)}
    for row in flagged.itertuples(index=False):
        group = others[(row.incident, row.measure)]
        rest = group[group["source"] != row.source]
        said = ", ".join(f"{s} {t}" for s, t in zip(rest["source"], rest["shown"], strict=True))
        if row.outlier:
            low, high = consensus[(str(row.incident), str(row.measure))]
            expected = _interval(low, high)
            message = (
                f"{row.source}'s {row.measure} {row.shown} lies outside what the other "
                f"sources agree on ({said})"
            )
        else:
            expected = "overlapping " + "; ".join(rest["shown"])
            message = f"{row.source}'s {row.measure} {row.shown} cannot be reconciled with {said}"
        records.append(
            {
                "kind": "discrepancy",
                "rule": RULES["conflict"],
                "severity": _severity(c.suite, "conflict"),
                "incident": row.incident,
                "source": row.source,
                "measure": row.measure,
                "reported_on": row.reported_on,
                "origin_file": row.origin_file,
                "origin_row": row.origin_row,
                "column": "figure_text",
                "observed": row.shown,
                "expected": expected,
                "message": message,
            }
        )
    return pd.DataFrame.from_records(records)


def _spread_findings(c: Comparison) -> pd.DataFrame:
    wide = c.table[c.table["wide_spread"]]
    if wide.empty:
        return wide.iloc[:0]
    latest = c.latest[c.latest["status"] == "agree"]
    latest = latest.merge(wide[["incident", "measure"]], on=["incident", "measure"])
    records = []
    threshold = float(c.suite.compare["spread_threshold"])
    for (incident, measure), group in latest.groupby(["incident", "measure"], sort=False):
        group = group.sort_values("distance", ascending=False, kind="stable")
        far = group.iloc[0]
        said = ", ".join(f"{s} {t}" for s, t in zip(group["source"], group["shown"], strict=True))
        records.append(
            {
                "kind": "discrepancy",
                "rule": RULES["wide-spread"],
                "severity": _severity(c.suite, "wide-spread"),
                "incident": incident,
                "source": far["source"],
                "measure": measure,
                "reported_on": far["reported_on"],
                "origin_file": far["origin_file"],
                "origin_row": far["origin_row"],
                "column": "figure_text",
                "observed": far["shown"],
                "expected": f"within {threshold:.0%} of the highest figure",
                "message": f"{measure}: the intervals overlap but the figures are far "
                f"apart: {said}",
            }
        )
    return pd.DataFrame.from_records(records)


def _definition_findings(c: Comparison) -> pd.DataFrame:
    """One source's figure for a measure equals another's for an ancestor measure: the
    same count under two definitions ("128 civilians" vs "128 persons")."""
    taxonomy = c.suite.taxonomy
    latest = c.latest[c.latest["value"].notna() & (c.latest["value"] > 0)]
    known = [m for m in latest["measure"].unique() if m in taxonomy.measures]
    links = [(m, a) for m in known for a in taxonomy.ancestors(m)]
    if not links or latest.empty:
        return latest.iloc[:0]
    pairs = pd.DataFrame(links, columns=["measure", "ancestor"])
    child = latest.merge(pairs, on="measure")
    parent = latest.rename(columns=lambda n: n + "_p" if n not in ("incident", "value") else n)
    both = child.merge(
        parent,
        left_on=["incident", "value", "ancestor"],
        right_on=["incident", "value", "measure_p"],
    )
    both = both[both["source"] != both["source_p"]]
    records = []
    for row in both.itertuples(index=False):
        notes = (
            taxonomy.measures[str(row.measure)].notes + taxonomy.measures[str(row.ancestor)].notes
        )
        records.append(
            {
                "kind": "discrepancy",
                "rule": RULES["definition"],
                "severity": _severity(c.suite, "definition"),
                "incident": row.incident,
                "source": row.source,
                "measure": row.measure,
                "reported_on": row.reported_on,
                "origin_file": row.origin_file,
                "origin_row": row.origin_row,
                "column": "measure",
                "observed": f"{row.value} as {row.measure}",
                "expected": f"{row.value} as {row.ancestor} ({row.source_p})",
                "message": f"{row.source} gives {row.shown} as {row.measure}; {row.source_p} "
                f"gives {row.shown_p} as {row.ancestor}: likely one count under two "
                "definitions" + (f" (note: {'; '.join(notes)})" if notes else ""),
            }
        )
    return pd.DataFrame.from_records(records)


def _revisions(figures: pd.DataFrame, suite: Suite, when: pd.Timestamp | None) -> pd.DataFrame:
    tolerance = float(suite.compare["about_tolerance"])
    lo, hi = intervals(figures, tolerance)
    point = _point(figures, lo)
    dates = figures["reported_on"].to_numpy(dtype="datetime64[us]")
    keep = ~np.isnat(dates) & ~np.isnan(lo)
    for c in ("incident", "source", "measure"):
        keep &= figures[c].notna().to_numpy()
    if when is not None:
        keep &= dates <= when.to_datetime64().astype("datetime64[us]")
    rows = np.flatnonzero(keep)
    sub = figures.take(rows)
    out = pd.DataFrame(
        {
            "incident": sub["incident"].to_numpy(),
            "measure": sub["measure"].to_numpy(),
            "source": sub["source"].to_numpy(),
            "reported_on": sub["reported_on"].to_numpy(),
            "figure_text": sub["figure_text"].to_numpy() if "figure_text" in sub else None,
            "qualifier": sub["qualifier"].to_numpy(),
            "value": point[rows],
            "low": lo[rows],
            "high": hi[rows],
            "origin_file": sub["origin_file"].to_numpy(),
            "origin_row": sub["origin_row"].to_numpy(),
        }
    )
    for c in ("incident", "measure", "source", "figure_text", "qualifier", "origin_file"):
        out[c] = out[c].astype("str")
    out["origin_row"] = out["origin_row"].astype("Int64")
    out["_row"] = rows
    # Each figure against the source's previous day (its highest figure that day), so
    # two figures on one day do not depend on which line came first.
    out = out.sort_values(
        ["incident", "measure", "source", "reported_on", "origin_file", "origin_row", "_row"],
        kind="stable",
    )
    series = ["incident", "measure", "source"]
    days = out.groupby([*series, "reported_on"], sort=False)["value"].max().reset_index()
    days["previous"] = days.groupby(series, sort=False)["value"].shift(1)
    previous = out[[*series, "reported_on"]].merge(
        days.drop(columns="value"), on=[*series, "reported_on"], how="left"
    )["previous"]
    previous.index = out.index
    out["previous"] = previous
    out["change"] = out["value"] - previous
    out["direction"] = np.select(
        [previous.isna(), out["change"] > 0, out["change"] < 0],
        ["first", "up", "down"],
        default="same",
    )
    out["shown"] = _shown(out.reset_index(drop=True)).to_numpy()
    return out.drop(columns="_row").reset_index(drop=True)


def _revision_findings(c: Comparison) -> pd.DataFrame:
    revisions = c.revisions
    cumulative = {
        name for name, m in c.suite.taxonomy.measures.items() if getattr(m, "cumulative", False)
    }
    down = revisions[(revisions["direction"] == "down") & revisions["measure"].isin(cumulative)]
    if down.empty:
        return down.iloc[:0]
    return pd.DataFrame(
        {
            "kind": "revision",
            "rule": RULES["revision"],
            "severity": _severity(c.suite, "revision"),
            "incident": down["incident"],
            "source": down["source"],
            "measure": down["measure"],
            "reported_on": down["reported_on"],
            "origin_file": down["origin_file"],
            "origin_row": down["origin_row"],
            "column": "figure_text",
            "observed": down["shown"],
            "expected": ">= " + down["previous"].map(_fmt) + " (given earlier)",
            "message": down["source"]
            + " revised "
            + down["measure"]
            + " down from "
            + down["previous"].map(_fmt)
            + " to "
            + down["shown"],
        }
    )


def _scorecard(c: Comparison) -> pd.DataFrame:
    figures = c.figures
    given = figures.groupby("source").agg(
        figures=("measure", "size"), incidents=("incident", "nunique")
    )
    latest = c.latest
    compared = latest[latest["status"].isin(["agree", "conflict"])]
    compared = compared.assign(in_conflict=(compared["status"] == "conflict").to_numpy())
    per = compared.groupby("source").agg(
        compared=("measure", "size"),
        outlier=("outlier", "sum"),
        in_conflict=("in_conflict", "sum"),
        median_distance=("distance", "median"),
    )
    findings = c.check_findings
    if findings is None:
        from toolkit.checking import check

        findings = check(figures, c.suite, compare=False).findings
    ruled = findings[findings["kind"].isin(["schema", "rule"])].groupby("source").size()
    card = given.join(per, how="left")
    card["rule_findings"] = ruled.reindex(card.index).fillna(0).astype("int64")
    for col in ("compared", "outlier", "in_conflict"):
        card[col] = card[col].fillna(0).astype("int64")
    card = card.rename(columns={"outlier": "outliers"})
    card = card.rename_axis("source").reset_index()
    card = card.sort_values(
        ["outliers", "rule_findings", "figures", "source"], ascending=[False, False, False, True]
    )
    card["source"] = card["source"].astype("str")
    return card.reset_index(drop=True)

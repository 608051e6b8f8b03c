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

from toolkit import figures as ft
from toolkit import findings as fd
from toolkit.errors import CrosscheckError
from toolkit.qualifiers import _encoded, distinct, intervals_and_points
from toolkit.suite import Suite, suite_for

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
        return f"≈ {fd.number_text((lo + hi) / 2)}"
    if hi == float("inf"):
        if qualifier == "more_than":
            return f"> {fd.number_text(lo - 1)}"
        return f"≥ {fd.number_text(lo)}"
    if lo == hi:
        return fd.number_text(lo)
    if lo == 0 and qualifier == "fewer_than":
        return f"< {fd.number_text(hi + 1)}"
    if lo == 0 and qualifier in ("at_most", "up_to"):
        return f"≤ {fd.number_text(hi)}"
    return f"{fd.number_text(lo)}–{fd.number_text(hi)}"


@dataclass(frozen=True)
class _Core:
    """The arrays behind a comparison.

    Per compared figure (one per incident x measure x source, sorted by group, then source
    name): ``rep`` its row in the figures table, ``group`` its incident x measure, ``lo``
    and ``hi`` the interval compared, ``published_hi`` as published, ``point``, ``stale``,
    ``outlier``, ``distance`` (on first use) and ``row_status`` (a code into
    ``ROW_STATUSES``). Per group, in alphabetical order of incident and measure: its
    codes, number of sources, status code, consensus bounds and median; ``rank`` orders
    groups worst first. ``coded`` is the table as numbers, with the names the codes
    stand for.
    """

    rep: np.ndarray
    group: np.ndarray
    src: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    published_hi: np.ndarray
    point: np.ndarray
    stale: np.ndarray
    outlier: np.ndarray
    row_status: np.ndarray
    g_inc: np.ndarray
    g_mea: np.ndarray
    g_status: np.ndarray
    g_lo: np.ndarray
    g_hi: np.ndarray
    g_wide: np.ndarray
    g_median: np.ndarray
    g_sources: np.ndarray
    rank: np.ndarray
    coded: _Coded

    @cached_property
    def distance(self) -> np.ndarray:
        """Per figure, its relative distance from its group's median (NaN for a stale
        figure or a group of one): built on first use, the table does not need it."""
        mid = self.g_median[self.group]
        with np.errstate(divide="ignore", invalid="ignore"):
            distance: np.ndarray = np.abs(self.point - mid) / mid
        distance[(self.g_sources < 2)[self.group] | self.stale] = np.nan
        return distance

    @property
    def inc_names(self) -> pd.Series:
        return self.coded.inc_names

    @property
    def mea_names(self) -> pd.Series:
        return self.coded.mea_names

    @property
    def src_names(self) -> pd.Series:
        return self.coded.src_names


ROW_STATUSES = (*STATUSES, "stale")


@dataclass(frozen=True)
class _Coded:
    """A figures table as numbers, computed once per comparison: each figure's interval
    and point, and codes of incident, measure and source in alphabetical order of the
    names (so sorting codes sorts names)."""

    lo: np.ndarray
    hi: np.ndarray
    point: np.ndarray
    inc: np.ndarray
    mea: np.ndarray
    src: np.ndarray
    dates: np.ndarray
    origin_row: pd.Series
    inc_names: pd.Series
    mea_names: pd.Series
    src_names: pd.Series

    @cached_property
    def line(self) -> np.ndarray:
        """Each figure's line as a float (-1 where unknown): only revisions sort by it."""
        return self.origin_row.to_numpy(dtype="float64", na_value=-1.0)


def _coded(figures: pd.DataFrame, suite: Suite) -> _Coded:
    lo, hi, point = intervals_and_points(figures, float(suite.compare["about_tolerance"]))
    inc, inc_names = _codes_by_name(figures["incident"])
    mea, mea_names = _codes_by_name(figures["measure"])
    src, src_names = _codes_by_name(figures["source"])
    return _Coded(
        lo=lo,
        hi=hi,
        point=point,
        inc=inc,
        mea=mea,
        src=src,
        dates=figures["reported_on"].to_numpy(dtype="datetime64[us]"),
        origin_row=figures["origin_row"],
        inc_names=inc_names,
        mea_names=mea_names,
        src_names=src_names,
    )


@dataclass(frozen=True)
class Comparison:
    """The figures of every incident and measure, compared across sources.

    Attributes
    ----------
    table
        One row per incident × measure, worst first: the number of sources, ``status``
        (``conflict``, ``agree``, ``single``), the consensus interval, median, min and max
        of the point figures, ``spread`` (max / min), ``gap`` (how far apart conflicting
        intervals are, relative to the higher one), whether the figures are far apart
        (``wide_spread``), the outlier sources and the taxonomy's definition notes.
    latest
        One row per incident × measure × source: the figure compared (the source's latest
        as of ``as_of``), its interval, whether it is stale or an outlier, and its relative
        distance from the median of the sources' figures.
    """

    table: pd.DataFrame
    figures: pd.DataFrame = field(repr=False)
    suite: Suite = field(repr=False)
    core: _Core = field(repr=False)
    as_of: pd.Timestamp | None = None
    check_findings: pd.DataFrame | None = field(default=None, repr=False)

    @cached_property
    def latest(self) -> pd.DataFrame:
        """Each source's compared figure per incident and measure (see the class notes)."""
        return _latest(self)

    @cached_property
    def _shown(self) -> pd.Series:
        k = self.core
        return _shown(self.figures, k.rep, k.lo, k.published_hi, k.stale)

    @cached_property
    def revisions(self) -> pd.DataFrame:
        """Each source's dated figures for an incident and measure, in date order, with the
        highest figure of its previous day, the change and its direction (``first``,
        ``up``, ``down``, ``same``)."""
        return _revisions_frame(self)

    @cached_property
    def _revision_arrays(self) -> dict[str, np.ndarray]:
        return _revision_arrays(self.core.coded, self.suite, self.as_of)

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

    def __repr__(self) -> str:
        from toolkit.reporting.notebook import comparison_repr

        return comparison_repr(self)

    def _repr_html_(self) -> str:
        from toolkit.reporting.notebook import comparison_html

        return comparison_html(self)

    def counts(self) -> dict[str, int]:
        """Incident x measure pairs by status, and how many of them are far apart."""
        by = self.table["status"].value_counts()
        return {
            **{s: int(by.get(s, 0)) for s in STATUSES},
            "far apart": int(self.table["wide_spread"].sum()),
        }

    def status_text(self) -> str:
        """``"0 conflict, 4 agree, 7 single"``."""
        counts = self.counts()
        return ", ".join(f"{counts[s]} {s}" for s in STATUSES)

    @property
    def conflicts(self) -> pd.DataFrame:
        """The rows of :attr:`table` whose sources conflict, worst first."""
        return self.table[self.table["status"] == "conflict"]

    @property
    def disagreements(self) -> pd.DataFrame:
        """The rows of :attr:`table` whose sources conflict or are far apart, worst first."""
        return self.table[(self.table["status"] == "conflict") | self.table["wide_spread"]]

    def plot(self, incident: str, **kwargs: Any) -> Figure:
        """A chart of one incident's figures, side by side per source (matplotlib): a row
        per source, its interval as a line (an arrowhead where open), the consensus
        shaded; ``measures=[...]`` to choose panels."""
        from toolkit.reporting.charts import incident_chart

        return incident_chart(self, incident, **kwargs)

    def plot_revisions(self, incident: str, measure: str) -> Figure:
        """Each source's figure for one incident and measure over the dates it gave it."""
        from toolkit.reporting.charts import revision_chart

        return revision_chart(self, incident, measure)


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


def _names(codes: np.ndarray, names: pd.Series) -> pd.Series:
    """Text column from codes into names (an Arrow take, no Python string per row)."""
    return names.take(codes).reset_index(drop=True)


def _alphabetical(names: list[object]) -> np.ndarray:
    """Each code's rank in alphabetical order of the names."""
    ranks = np.empty(len(names), dtype=np.int64)
    order = np.argsort(np.array([str(n) for n in names], dtype=object), kind="stable")
    ranks[order] = np.arange(len(names))
    return ranks


def _starts(keys: np.ndarray) -> np.ndarray:
    """Where each run of equal (sorted) keys starts."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


def _codes_by_name(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes (int32) in alphabetical order of the names (-1 for missing), and the names
    as an Arrow-backed text Series (sorted by Arrow: no Python string per name)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if values.dtype == "str":
        codes, dictionary = _encoded(values, missing_group=False, dtype=np.int32)
    else:
        codes, uniques = pd.factorize(values.astype("str"), use_na_sentinel=True)
        codes = codes.astype(np.int32)
        dictionary = pa.array(np.asarray(uniques, dtype=object), type=pa.large_string())
    order = pc.sort_indices(dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    names = pd.Series(pd.array(dictionary.take(pa.array(order)), dtype="str"))
    if not len(order) or bool((order == np.arange(len(order))).all()):
        return codes, names  # already in name order
    # -1 (missing) takes the appended -1
    return np.append(rank, -1).astype(np.int32)[codes], names


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
        settings give the tolerance of "about", the wide-spread threshold and the window
        after which a figure is stale; its taxonomy the definition notes.
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
    suite = suite_for(figures, suite)
    when = _as_of(as_of)
    figures = ft.conform(figures.reset_index(drop=True))
    threshold = float(suite.compare["spread_threshold"])
    coded = _coded(figures, suite)
    lo, hi, point, dates = coded.lo, coded.hi, coded.point, coded.dates
    inc, mea, src = coded.inc, coded.mea, coded.src
    inc_names, mea_names, src_names = coded.inc_names, coded.mea_names, coded.src_names
    usable = (inc >= 0) & (mea >= 0) & (src >= 0) & ~np.isnan(lo)
    if when is not None:
        usable &= dates <= when.to_datetime64().astype("datetime64[us]")  # NaT: False
    rows = None if usable.all() else np.flatnonzero(usable)  # None: every row

    n_src = max(len(src_names), 1)
    n_mea = max(len(mea_names), 1)
    key = _key(inc, mea, src, n_mea, n_src, rows)
    day = dates.view(np.int64)  # by row; NaT is the smallest int64: undated sorts first
    # Each source's latest day per incident and measure; on that day the loosest interval
    # (a report giving two figures is a rule finding; here it widens the interval), and
    # the figure shown is the highest (then the widest, then the last line): chosen by
    # value, not by the order rows arrive in.
    n_keys = (int(inc.max(initial=0)) + 1) * n_mea * n_src
    if n_keys <= 4 * max(len(key), 1):
        rep, s_key, s_lo, s_hi, s_day = _latest_dense(
            rows, key, day, lo, hi, point, n_keys, figures["origin_row"]
        )
    else:
        everyone = np.arange(len(key)) if rows is None else rows
        r_rows, r_key, starts = _latest_day(everyone, key, day[everyone])
        rep = _representative(r_rows, starts, point, hi, figures["origin_row"])
        s_key = r_key[starts]
        s_lo = np.minimum.reduceat(lo[r_rows], starts) if len(r_rows) else np.zeros(0)
        s_hi = np.maximum.reduceat(hi[r_rows], starts) if len(r_rows) else np.zeros(0)
        s_day = day[rep]
    s_point = point[rep]
    s_group = s_key // n_src

    # Groups (incident x measure) are contiguous. A figure much older than the group's
    # newest is stale: for a cumulative measure it still says "at least this many", so
    # its interval opens upward; any other stale figure is listed but not compared.
    g_starts = _starts(s_group)
    g_of = np.repeat(
        np.arange(len(g_starts), dtype=np.int32 if len(rep) < 2**31 else np.int64),
        np.diff(np.r_[g_starts, len(rep)]),
    )
    window = np.int64(float(suite.compare["window_days"]) * ft.DAY_US)
    stale = np.zeros(len(rep), dtype=bool)
    if len(rep):
        newest = np.maximum.reduceat(s_day, g_starts)
        # in floats: an undated figure (the smallest int64) must not wrap around
        span = newest.astype(np.float64) - np.minimum.reduceat(s_day, g_starts)
        if (span > window).any():  # else no figure can be stale: skip the per-figure work
            stale = (s_day != ft.NAT_INT64) & (newest[g_of] - s_day > window)
    measures = suite.taxonomy.measures
    published_hi = s_hi
    a: np.ndarray | None = None  # the active figures; None: every figure
    f: np.ndarray | None = None  # the fresh figures; None: every figure
    if stale.any():
        cumulative_of = np.array(
            [str(m) in measures and measures[str(m)].cumulative for m in mea_names] + [False]
        )
        cumulative = cumulative_of[mea[rep]]
        s_hi = np.where(stale & cumulative, np.inf, s_hi)
        active = ~(stale & ~cumulative)
        a, f = np.flatnonzero(active), np.flatnonzero(~stale)
    else:
        active = np.ones(len(rep), dtype=bool)

    # Across the active figures of each group (the newest is always active, so every
    # group keeps its place): the intersection of the intervals; the spread of the fresh
    # points (a stale cumulative toll has risen since).
    a_starts = g_starts if a is None else _starts(g_of[a])
    g_size = np.diff(np.r_[a_starts, len(rep) if a is None else len(a)])
    f_starts = g_starts if f is None else _starts(g_of[f])
    if len(rep):
        c_lo = _per_run(np.maximum, _of(s_lo, a), a_starts, g_size)
        c_hi = _per_run(np.minimum, _of(s_hi, a), a_starts, g_size)
        fresh = _of(s_point, f)
        f_size = g_size if f is None else np.diff(np.r_[f_starts, len(fresh)])
        v_min = _per_run(np.minimum, fresh, f_starts, f_size)
        v_max = _per_run(np.maximum, fresh, f_starts, f_size)
        median = _group_median(fresh, f_starts, f_size)
    else:
        c_lo = c_hi = v_min = v_max = median = np.zeros(0)
    status = np.where(g_size == 1, 2, np.where(c_lo <= c_hi, 1, 0)).astype(np.int8)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(v_min > 0, v_max / v_min, np.where(v_max > 0, np.inf, 1.0))
        relative = np.where(v_max > 0, (v_max - v_min) / v_max, 0.0)
        gap = np.where(status == 0, (c_lo - c_hi) / np.where(c_lo > 0, c_lo, 1.0), 0.0)
    wide = (status == 1) & (relative > threshold)

    row_status = status[g_of]
    # Outliers among the active figures of the groups in conflict, and the consensus of
    # the others.
    conflicted = np.flatnonzero(status == 0)
    if a is None:  # whole groups: no need to gather their figures
        found = _outliers(
            s_lo, s_hi, conflicted, a_starts[conflicted], g_size[conflicted], len(rep), len(status)
        )
    else:
        row_status[~active] = 3
        at = np.flatnonzero((row_status == 0) & active)
        starts = _starts(g_of[at])
        found = _outliers(
            s_lo[at],
            s_hi[at],
            conflicted,
            starts,
            np.diff(np.r_[starts, len(at)]),
            len(rep),
            len(status),
            at,
        )
    outlier = found.outlier
    cons_lo, cons_hi = _consensus(c_lo, c_hi, status, found)

    g_inc = s_group[g_starts] // n_mea if len(rep) else np.zeros(0, dtype=np.int64)
    g_mea = s_group[g_starts] % n_mea if len(rep) else np.zeros(0, dtype=np.int64)
    core = _Core(
        rep=rep,
        group=g_of,
        src=src[rep],
        lo=s_lo,
        hi=s_hi,
        published_hi=published_hi,
        point=s_point,
        stale=stale,
        outlier=outlier,
        row_status=row_status,
        g_inc=g_inc,
        g_mea=g_mea,
        g_status=status,
        g_lo=cons_lo,
        g_hi=cons_hi,
        g_wide=wide,
        g_median=median,
        g_sources=g_size,
        # Worst first: conflicts by how far apart, then wide spreads, agreement, single
        # sources; ties in name order (the group order).
        rank=_worst_first(status, gap, wide, spread),
        coded=coded,
    )
    # The table, worst first: permute the numbers, then build each text column once.
    r = core.rank
    note_of = pd.Series(
        pd.array(
            ["; ".join(measures[str(m)].notes) if str(m) in measures else None for m in mea_names],
            dtype="str",
        )
    )
    note_of = note_of.where(note_of != "")
    table = pd.DataFrame(
        {
            "incident": _names(g_inc[r], inc_names),
            "measure": _names(g_mea[r], mea_names),
            "sources": g_size[r],
            "status": _categorical(status[r], STATUSES),
            "consensus_low": cons_lo[r],
            "consensus_high": cons_hi[r],
            "median": median[r],
            "min": v_min[r],
            "max": v_max[r],
            "spread": spread[r],
            "gap": gap[r],
            "wide_spread": wide[r],
            "outliers": _outlier_names(core, len(g_starts), r),
            "notes": _names(g_mea[r], note_of) if len(note_of) else pd.Series([], dtype="str"),
        },
        copy=False,  # every column is new here (gathered by rank): no need to copy it again
    )
    return Comparison(
        table=table,
        figures=figures,
        suite=suite,
        as_of=when,
        check_findings=findings,
        core=core,
    )


def _per_run(
    ufunc: np.ufunc, values: np.ndarray, starts: np.ndarray, size: np.ndarray
) -> np.ndarray:
    """``ufunc`` reduced over each run ``values[starts[g] : starts[g] + size[g]]`` (the runs
    cover ``values``). Runs all of one short length (every incident with the same sources)
    are reduced column by column, elementwise: about twice as fast as ``reduceat``."""
    s = int(size[0]) if len(size) else 0
    if 1 < s <= 8 and len(values) == s * len(size) and bool((size == s).all()):
        runs = values.reshape(-1, s)
        out = runs[:, 0].copy()
        for i in range(1, s):
            ufunc(out, runs[:, i], out=out)
        return out
    return ufunc.reduceat(values, starts)


def _group_median(values: np.ndarray, starts: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Median of each run ``values[starts[g] : starts[g] + size[g]]``, runs of one size
    at a time (runs are short: one figure per source). Up to 8 figures, as ``s`` columns
    sorted by an odd-even transposition network (elementwise, no per-row sort); more, by
    sorting rows."""
    out = np.full(len(starts), np.nan)
    for s in np.unique(size):
        which = np.flatnonzero(size == s)
        at = starts[which]
        if s <= 8:
            if len(which) * s == len(values):  # every run has this length: no gather
                cols = values.reshape(-1, s).T.copy()
            else:
                cols = values[at + np.arange(s)[:, None]]
            for step in range(s):
                for i in range(step % 2, s - 1, 2):
                    low = np.minimum(cols[i], cols[i + 1])
                    np.maximum(cols[i], cols[i + 1], out=cols[i + 1])
                    cols[i] = low
            out[which] = (cols[(s - 1) // 2] + cols[s // 2]) / 2
            continue
        block = np.sort(values[at[:, None] + np.arange(s)], axis=1)
        out[which] = (block[:, (s - 1) // 2] + block[:, s // 2]) / 2
    return out


def _key(
    inc: np.ndarray,
    mea: np.ndarray,
    src: np.ndarray,
    n_mea: int,
    n_src: int,
    rows: np.ndarray | None,
) -> np.ndarray:
    """incident x measure x source as one integer per row (of ``rows``; None: all),
    built in one array in place."""
    key = _of(inc, rows).astype(np.int64)  # codes are int32: the product needs 64 bits
    key *= n_mea
    key += _of(mea, rows)
    key *= n_src
    key += _of(src, rows)
    return key


def _of(values: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    """``values`` at ``rows``; all of them (no copy) where ``rows`` is None."""
    return values if rows is None else values[rows]


def _latest_dense(
    rows: np.ndarray | None,
    key: np.ndarray,
    day: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    point: np.ndarray,
    n_keys: int,
    line: pd.Series,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The latest figure per key without sorting, where keys are dense (at most a few
    per row): each row's number is scattered into an array indexed by key. ``key`` is
    per row of ``rows`` (None: every row); ``day``, ``lo``, ``hi``, ``point`` per row.
    Returns, per key present (in key order): the row shown, the key, the loosest interval
    on the latest day, and that day."""
    index = np.int32 if len(lo) < 2**31 else np.int64  # row numbers: half the memory
    seen = np.zeros(n_keys, dtype=bool)
    seen[key] = True
    present = np.flatnonzero(seen)
    rep_of = np.empty(n_keys, dtype=index)
    row_of = np.arange(len(key), dtype=index) if rows is None else rows
    rep_of[key] = row_of  # a repeated key: its last row wins, for now
    rep = rep_of[present]
    s_lo, s_hi, s_day = lo[rep], hi[rep], day[rep]
    if len(present) < len(key):  # a source giving several figures on an incident and measure
        repeated = np.zeros(n_keys, dtype=bool)
        repeated[key[rep_of[key] != row_of]] = True
        at_ = np.flatnonzero(repeated[key])
        m_rows = row_of[at_]
        m_rows, m_key, starts = _latest_day(m_rows, key[at_], day[m_rows])
        at = np.searchsorted(present, m_key[starts])
        rep[at] = _representative(m_rows, starts, point, hi, line)
        s_lo[at] = np.minimum.reduceat(lo[m_rows], starts)
        s_hi[at] = np.maximum.reduceat(hi[m_rows], starts)
        s_day[at] = day[m_rows[starts]]
    return rep, present, s_lo, s_hi, s_day


def _latest_day(
    rows: np.ndarray, key: np.ndarray, day: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows sorted by key, keeping each key's latest day; and where each key starts.

    One stable sort of one integer key (several sort keys over a million rows cost
    several times more); undated rows (NaT, the smallest int64) lose to dated ones."""
    order = np.argsort(key, kind="stable")
    rows, key, day = rows[order], key[order], day[order]
    starts = _starts(key)
    if len(rows) == 0 or len(starts) == len(rows):
        return rows, key, starts
    latest = np.maximum.reduceat(day, starts)
    keep = day == np.repeat(latest, np.diff(np.r_[starts, len(rows)]))
    rows, key = rows[keep], key[keep]
    return rows, key, _starts(key)


def _representative(
    rows: np.ndarray, starts: np.ndarray, point: np.ndarray, hi: np.ndarray, line: pd.Series
) -> np.ndarray:
    """Per run of rows: the row with the highest point, then widest, then last line."""
    rep: np.ndarray = rows[starts].copy()
    size = np.diff(np.r_[starts, len(rows)])
    several = np.flatnonzero(size > 1)
    if len(several) == 0:
        return rep
    member = np.repeat(np.arange(len(starts)), size)
    pick = np.isin(member, several)
    sub, sub_member = rows[pick], member[pick]
    lines = line.take(sub).to_numpy(dtype="float64", na_value=-1.0)
    order = np.lexsort((lines, hi[sub], point[sub], sub_member))
    ends = np.r_[np.flatnonzero(np.diff(sub_member[order]) != 0), len(order) - 1]
    rep[sub_member[order][ends]] = sub[order][ends]
    return rep


def _consensus(
    c_lo: np.ndarray, c_hi: np.ndarray, status: np.ndarray, found: _Outliers
) -> tuple[np.ndarray, np.ndarray]:
    """The intersection of the intervals where they meet; where they do not, of the
    non-outliers' when there are outliers and they meet; else none (NaN)."""
    cons_lo, cons_hi = c_lo.copy(), c_hi.copy()
    conflicted = status == 0
    cons_lo[conflicted] = np.nan
    cons_hi[conflicted] = np.nan
    ok = found.has_outlier & (found.inner_lo <= found.inner_hi)
    cons_lo[ok] = found.inner_lo[ok]
    cons_hi[ok] = found.inner_hi[ok]
    return cons_lo, cons_hi


def _worst_first(
    status: np.ndarray, gap: np.ndarray, wide: np.ndarray, spread: np.ndarray
) -> np.ndarray:
    """Groups worst first: conflicts by how far apart, then wide spreads, agreement,
    single sources; then by spread; ties in group (name) order.

    Two sort keys, not four: a gap is only set in conflicts (status 0) and a wide spread
    only among agreements (status 1), so one float orders status, gap and width at once:
    -gap (negative) for conflicts, then 2 + not wide for agreements, then 4 + 1."""
    first = np.where(status == 0, -gap, 2.0 * status + ~wide)
    return np.lexsort((-np.nan_to_num(spread, posinf=1e300), first))


def _categorical(codes: np.ndarray, names: tuple[str, ...]) -> pd.Categorical[str]:
    """A categorical column from integer codes into ``names``."""
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=pd.Index(names))


def _shown(
    figures: pd.DataFrame,
    rep: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    stale: np.ndarray | None = None,
) -> pd.Series:
    """Each figure as a short text (``≥ 128``); each distinct (lo, hi, qualifier) is
    described once."""
    q, q_names = distinct(figures["qualifier"].take(rep))
    a, a_u = pd.factorize(lo, use_na_sentinel=False)
    b, b_u = pd.factorize(hi, use_na_sentinel=False)
    key = (a.astype(np.int64) * (len(b_u) + 1) + b) * (len(q_names) + 1) + (q + 1)
    codes, uniques = pd.factorize(key)
    qn = [None, *q_names]
    texts = []
    for k in np.asarray(uniques, dtype=np.int64):
        rest, qi = divmod(int(k), len(q_names) + 1)
        ai, bi = divmod(rest, len(b_u) + 1)
        texts.append(describe(float(a_u[ai]), float(b_u[bi]), qn[qi]))
    shown = pd.Series(pd.array(texts, dtype="str")).take(codes).reset_index(drop=True)
    if stale is not None and stale.any():
        shown = shown.where(~stale, shown + " (earlier)")
    return shown


def _latest(c: Comparison) -> pd.DataFrame:
    k = c.core
    f = c.figures

    def take(col: str) -> pd.Series:
        return f[col].take(k.rep).reset_index(drop=True)

    latest = pd.DataFrame(
        {
            "incident": _names(k.g_inc[k.group], k.inc_names),
            "measure": _names(k.g_mea[k.group], k.mea_names),
            "source": _names(k.src, k.src_names),
            "figure_text": take("figure_text"),
            "qualifier": take("qualifier"),
            "value": take("value"),
            "low": k.lo,
            "high": k.hi,
            "reported_on": take("reported_on"),
            "origin_file": take("origin_file"),
            "origin_row": take("origin_row"),
            "citation": take("citation"),
            "status": _categorical(k.row_status, ROW_STATUSES),
            "stale": k.stale,
            "outlier": k.outlier,
            "distance": k.distance,
            "shown": c._shown,
        }
    )
    return latest


@dataclass(frozen=True)
class _Outliers:
    """Outliers found in the groups in conflict: per figure whether it is one; per group
    whether it has one, and the intersection of its other figures (``inner_lo``,
    ``inner_hi``; meaningful where it has one)."""

    outlier: np.ndarray
    has_outlier: np.ndarray
    inner_lo: np.ndarray
    inner_hi: np.ndarray


def _outliers(
    lo: np.ndarray,
    hi: np.ndarray,
    groups: np.ndarray,
    starts: np.ndarray,
    size: np.ndarray,
    n: int,
    n_groups: int,
    at: np.ndarray | None = None,
) -> _Outliers:
    """A figure is an outlier when its interval misses every point of greatest agreement
    in its group, and a strict majority of the group's sources meets at such a point.

    Group ``groups[k]`` is the run ``lo[starts[k] : starts[k] + size[k]]`` (``at`` maps
    those positions to the ``n`` figures; None: they are the figures). The most-covered
    points of closed intervals include a left end, so the depth at each left end (how
    many intervals of the group contain it) finds them; all pairs within a group, as
    arrays."""
    found = _Outliers(
        outlier=np.zeros(n, dtype=bool),
        has_outlier=np.zeros(n_groups, dtype=bool),
        inner_lo=np.full(n_groups, np.nan),
        inner_hi=np.full(n_groups, np.nan),
    )
    # Groups of one size at a time, in chunks that stay in cache.
    for s in np.unique(size):
        for chunk in _chunks(np.flatnonzero(size == s), s):
            members = starts[chunk] + np.arange(s)[:, None]  # (s, groups)
            out, has, inner_lo, inner_hi = _mark_outliers(members, lo, hi, s)
            found.outlier[members if at is None else at[members]] = out
            g = groups[chunk]
            found.has_outlier[g] = has
            found.inner_lo[g] = inner_lo
            found.inner_hi[g] = inner_hi
    return found


def _chunks(groups: np.ndarray, s: int, cells: int = 1 << 16) -> list[np.ndarray]:
    step = max(1, cells // s)
    return [groups[k : k + step] for k in range(0, len(groups), step)]


def _mark_outliers(
    members: np.ndarray, lo: np.ndarray, hi: np.ndarray, s: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Outliers among groups of ``s`` figures at ``members`` (positions, (s, groups)):
    per figure (s, groups) whether it is one; per group whether it has one, and the
    intersection of the other figures.

    Arrays are (s, groups): row ``i`` holds the i-th figure of every group, so each step
    compares one figure with all the others across all groups at once."""
    low, high = lo[members], hi[members]
    # how many intervals hold i's left end (at most s)
    depth = np.zeros(low.shape, dtype=np.int8 if s < 128 else np.int32)
    for j in range(s):
        depth += (low[j] <= low) & (low <= high[j])
    best = depth.max(axis=0)
    peak = (depth == best) & ((best >= 2) & (2 * best > s))
    touched = np.zeros(low.shape, dtype=bool)  # j holds some peak left end
    for i in range(s):
        touched |= peak[i] & (low <= low[i]) & (low[i] <= high)
    out = peak.any(axis=0) & ~touched
    inner_lo = np.where(out, -np.inf, low).max(axis=0)
    inner_hi = np.where(out, np.inf, high).min(axis=0)
    return out, out.any(axis=0), inner_lo, inner_hi


def _outlier_names(core: _Core, n_groups: int, order: np.ndarray) -> pd.Series:
    """Per group in ``order``, its outlier sources joined with "; " (missing where none).
    A group with one outlier (the usual case) takes its source's name; only the others
    are joined. One Arrow take builds the column."""
    import pyarrow as pa

    idx = np.flatnonzero(core.outlier)
    if len(idx) == 0:
        return ft.repeated_text(None, len(order))
    groups, src = core.group[idx], core.src[idx]
    count = np.bincount(groups, minlength=n_groups)
    single = count[groups] == 1
    names = pa.array(core.src_names.array).cast(pa.large_string())
    if isinstance(names, pa.ChunkedArray):
        names = names.combine_chunks()
    parts = [names, pa.nulls(1, pa.large_string())]
    codes = np.full(n_groups, len(names), dtype=np.int64)  # just past the names: missing
    codes[groups[single]] = src[single]
    several = ~single
    if several.any():  # joined names come after the missing one
        joined = _per_group(_names(src[several], core.src_names), groups[several], sep="; ")
        first = _starts(groups[several])
        codes[groups[several][first]] = len(names) + 1 + np.arange(len(first))
        extra = pa.array(joined.iloc[first].array).cast(pa.large_string())
        parts.extend(getattr(extra, "chunks", [extra]))
    taken = pa.concat_arrays(parts).take(pa.array(codes[order]))
    return pd.Series(pd.arrays.ArrowStringArray(taken), dtype="str")


def _severity(suite: Suite, family: str) -> str:
    return suite.severity.get(family, SEVERITY[family])


def _per_group(texts: pd.Series, groups: np.ndarray, sep: str = ", ") -> pd.Series:
    """Texts joined with ``sep`` per run of equal ``groups`` (rows sorted by group), one
    entry per row: joined by Arrow as a list array, with no Python per group."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if texts.empty:
        return texts
    starts = _starts(groups)
    offsets = pa.array(np.r_[starts, len(groups)].astype(np.int64))
    values = pa.array(texts.astype("str").array).cast(pa.large_string())
    lists = pa.LargeListArray.from_arrays(offsets, values)
    joined = pc.binary_join(lists, pa.scalar(sep, pa.large_string()))
    sizes = np.diff(np.r_[starts, len(groups)])
    per_row = joined.take(pa.array(np.repeat(np.arange(len(starts)), sizes)))
    return pd.Series(pd.array(per_row, dtype="str"), index=texts.index)


def _base(
    rows: pd.DataFrame, family: str, suite: Suite, kind: str = "discrepancy"
) -> dict[str, Any]:
    return {
        "kind": kind,
        "rule": RULES[family],
        "severity": _severity(suite, family),
        "incident": rows["incident"].array,
        "source": rows["source"].array,
        "measure": rows["measure"].array,
        "reported_on": rows["reported_on"].array,
        "origin_file": rows["origin_file"].array,
        "origin_row": rows["origin_row"].array,
    }


def _rows(c: Comparison, mask: np.ndarray) -> pd.DataFrame:
    """Key columns of the compared figures under ``mask`` (text built for those only)."""
    k = c.core
    rep = k.rep[mask]
    f = c.figures
    return pd.DataFrame(
        {
            "incident": _names(k.g_inc[k.group[mask]], k.inc_names),
            "measure": _names(k.g_mea[k.group[mask]], k.mea_names),
            "source": _names(k.src[mask], k.src_names),
            "reported_on": f["reported_on"].take(rep).reset_index(drop=True),
            "origin_file": f["origin_file"].take(rep).reset_index(drop=True),
            "origin_row": f["origin_row"].take(rep).reset_index(drop=True),
            "shown": c._shown[mask].reset_index(drop=True),
        }
    )


def _conflict_findings(c: Comparison) -> pd.DataFrame:
    k = c.core
    conflict = k.row_status == 0
    if not conflict.any():
        return pd.DataFrame()
    said_all = _per_group(
        _names(k.src[conflict], k.src_names) + " " + c._shown[conflict].reset_index(drop=True),
        k.group[conflict],
    )
    has_outlier = np.zeros(len(k.g_status), dtype=bool)
    has_outlier[k.group[k.outlier]] = True
    # Name the outliers where a majority agrees; otherwise every figure is in question.
    flagged_in = (k.outlier | ~has_outlier[k.group])[conflict]
    flagged = conflict.copy()
    flagged[conflict] = flagged_in
    rows = _rows(c, flagged)
    said = said_all[flagged_in].reset_index(drop=True)
    outlier = k.outlier[flagged]
    groups = k.group[flagged]
    verdict = pd.Series(
        np.where(
            outlier,
            " lies outside what the other sources agree on (all: ",
            " cannot be reconciled with the others (all: ",
        ),
        dtype="str",
    )
    message = rows["source"] + "'s " + rows["measure"] + " " + rows["shown"] + verdict + said + ")"
    expected = pd.Series(
        fd.interval_texts(
            np.where(outlier, k.g_lo[groups], np.nan), np.where(outlier, k.g_hi[groups], np.nan)
        ),
        dtype="str",
    )
    expected = expected.where(outlier, "overlap with the others")
    return pd.DataFrame(
        {
            **_base(rows, "conflict", c.suite),
            "column": "figure_text",
            "observed": rows["shown"].array,
            "expected": expected.array,
            "message": message.array,
        }
    )


def _spread_findings(c: Comparison) -> pd.DataFrame:
    k = c.core
    wide = k.g_wide[k.group] & (k.row_status == 1) & ~k.stale
    if not wide.any():
        return pd.DataFrame()
    idx = np.flatnonzero(wide)
    said_all = _per_group(
        _names(k.src[idx], k.src_names) + " " + c._shown.take(idx).reset_index(drop=True),
        k.group[idx],
    )
    # The figure farthest from the median carries the finding (ties: first by name).
    far = np.lexsort((-np.nan_to_num(k.distance[idx], nan=-1.0), k.group[idx]))
    first = far[_starts(k.group[idx][far])]
    mask = np.zeros(len(k.rep), dtype=bool)
    mask[idx[first]] = True
    rows = _rows(c, mask)
    # rows come in figure order; match the joined texts to them
    said = said_all.iloc[np.sort(first)].reset_index(drop=True)
    threshold = float(c.suite.compare["spread_threshold"])
    return pd.DataFrame(
        {
            **_base(rows, "wide-spread", c.suite),
            "column": "figure_text",
            "observed": rows["shown"].array,
            "expected": f"within {threshold:.0%} of the highest figure",
            "message": (
                rows["measure"] + ": the intervals overlap but the figures are far apart: " + said
            ).array,
        }
    )


def _definition_findings(c: Comparison) -> pd.DataFrame:
    """One source's figure for a measure equals another's for an ancestor measure: the
    same count under two definitions ("128 civilians" vs "128 persons")."""
    k = c.core
    taxonomy = c.suite.taxonomy
    names = [str(m) for m in k.mea_names]
    code = {m: i for i, m in enumerate(names)}
    links = [
        (code[m], code[a])
        for m in names
        if m in taxonomy.measures
        for a in taxonomy.ancestors(m)
        if a in code
    ]
    value = c.figures["value"].to_numpy(dtype="float64", na_value=np.nan)[k.rep]
    ok = ~np.isnan(value) & (value > 0) & ~k.stale & (k.row_status != 3)
    if not links or not ok.any():
        return pd.DataFrame()
    idx = np.flatnonzero(ok)
    mine = pd.DataFrame(
        {"i": idx, "inc": k.g_inc[k.group[idx]], "mea": k.g_mea[k.group[idx]], "v": value[idx]}
    )
    pairs = pd.DataFrame(links, columns=["mea", "anc"])
    child = mine.merge(pairs, on="mea")
    parent = mine.rename(columns={"i": "j", "mea": "anc"})
    both = child.merge(parent, on=["inc", "v", "anc"])
    both = both[k.src[both["i"].to_numpy()] != k.src[both["j"].to_numpy()]]
    if both.empty:
        return pd.DataFrame()
    i, j = both["i"].to_numpy(), both["j"].to_numpy()
    mask_rows = _rows(c, np.isin(np.arange(len(k.rep)), i))
    at = pd.Series(np.arange(len(mask_rows)), index=np.sort(np.unique(i)))
    rows = mask_rows.take(at.loc[i].to_numpy()).reset_index(drop=True)
    other = _names(k.src[j], k.src_names)
    ancestor = _names(k.g_mea[k.group[j]], k.mea_names)
    other_shown = c._shown.take(j).reset_index(drop=True)
    note_of = {
        (m, a): "; ".join(taxonomy.measures[names[m]].notes + taxonomy.measures[names[a]].notes)
        for m, a in links
    }
    notes = pd.Series(
        [note_of[(int(m), int(a))] for m, a in zip(both["mea"], both["anc"], strict=True)],
        dtype="str",
    )
    notes = (" (note: " + notes + ")").where(notes != "", "")
    count = pd.Series(fd.number_texts(value[i].astype("float64")), dtype="str")
    return pd.DataFrame(
        {
            **_base(rows, "definition", c.suite),
            "column": "measure",
            "observed": (count + " as " + rows["measure"]).array,
            "expected": (count + " as " + ancestor + " (" + other + ")").array,
            "message": (
                rows["source"]
                + " gives "
                + rows["shown"]
                + " as "
                + rows["measure"]
                + "; "
                + other
                + " gives "
                + other_shown
                + " as "
                + ancestor
                + ": likely one count under two definitions"
                + notes
            ).array,
        }
    )


def _revision_arrays(
    coded: _Coded, suite: Suite, when: pd.Timestamp | None
) -> dict[str, np.ndarray]:
    """Dated, known figures sorted by (incident, measure, source, date, line), each with
    the highest figure of the source's previous day in that series."""
    lo, hi, point, dates = coded.lo, coded.hi, coded.point, coded.dates
    inc, mea, src, mea_names = coded.inc, coded.mea, coded.src, coded.mea_names
    keep = ~np.isnat(dates) & ~np.isnan(lo) & (inc >= 0) & (mea >= 0) & (src >= 0)
    if when is not None:
        keep &= dates <= when.to_datetime64().astype("datetime64[us]")
    rows = np.flatnonzero(keep)
    line = coded.line[rows]
    series = _key(inc, mea, src, max(len(mea_names), 1), int(src.max(initial=0)) + 1, rows)
    day = dates[rows].view(np.int64)
    order = np.lexsort((rows, line, day, series))
    rows, series, day = rows[order], series[order], day[order]
    # each (series, day): its highest figure; the previous day's, within the series
    if len(rows):
        sd = np.flatnonzero(np.r_[True, (series[1:] != series[:-1]) | (day[1:] != day[:-1])])
        day_max = np.maximum.reduceat(point[rows], sd)
        prev = np.r_[np.nan, day_max[:-1]]
        prev[np.r_[True, series[sd][1:] != series[sd][:-1]]] = np.nan
        previous = np.repeat(prev, np.diff(np.r_[sd, len(rows)]))
    else:
        previous = np.zeros(0)
    cumulative = np.array(
        [
            str(m) in suite.taxonomy.measures and suite.taxonomy.measures[str(m)].cumulative
            for m in mea_names
        ]
        + [False]
    )
    return {
        "rows": rows,
        "lo": lo[rows],
        "hi": hi[rows],
        "point": point[rows],
        "previous": previous,
        "cumulative": cumulative[mea[rows]] if len(rows) else np.zeros(0, dtype=bool),
    }


def _direction(r: dict[str, np.ndarray]) -> np.ndarray:
    change = r["point"] - r["previous"]
    return np.select(
        [np.isnan(r["previous"]), change > 0, change < 0], ["first", "up", "down"], default="same"
    )


def _revisions_frame(c: Comparison) -> pd.DataFrame:
    r = c._revision_arrays
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
    out["shown"] = _shown(c.figures, r["rows"], r["lo"], r["hi"]).to_numpy()
    return out


def _revision_findings(c: Comparison) -> pd.DataFrame:
    r = c._revision_arrays
    down = (r["point"] < r["previous"]) & r["cumulative"]
    if not down.any():
        return pd.DataFrame()
    rows = r["rows"][down]
    f = c.figures.take(rows).reset_index(drop=True)
    shown = _shown(c.figures, rows, r["lo"][down], r["hi"][down])
    previous = pd.Series(fd.number_texts(r["previous"][down]), dtype="str")
    return pd.DataFrame(
        {
            **_base(f, "revision", c.suite, kind="revision"),
            "column": "figure_text",
            "observed": shown.array,
            "expected": (">= " + previous + " (given earlier)").array,
            "message": (
                f["source"] + " revised " + f["measure"] + " down from " + previous + " to " + shown
            ).array,
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

"""Each source's latest figure per incident and measure, and which of them are stale.

The figures table as numbers first (:class:`Coded`: intervals, points, codes of incident,
measure and source in name order), then, per (incident, measure, source), the figure
compared: its latest day's loosest interval, and the highest figure of that day shown.
Everything is integer codes sorted (or scattered) once; no Python runs per figure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd

from toolkit.columnar import DAY_US, NAT_INT64, codes_by_name, product_key, run_starts
from toolkit.model.intervals import intervals_and_points
from toolkit.suite import Suite


@dataclass(frozen=True)
class Coded:
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
    ends: pd.Series  # each figure's event end, for developing or final
    origin_row: pd.Series
    inc_names: pd.Series
    mea_names: pd.Series
    src_names: pd.Series

    @cached_property
    def line(self) -> np.ndarray:
        """Each figure's line as a float (-1 where unknown): only revisions sort by it."""
        return self.origin_row.to_numpy(dtype="float64", na_value=-1.0)

    def cumulative(self, suite: Suite) -> np.ndarray:
        """Per measure code (and -1, last): whether the taxonomy calls it cumulative."""
        measures = suite.taxonomy.measures
        return np.array(
            [str(m) in measures and measures[str(m)].cumulative for m in self.mea_names] + [False]
        )


def code_figures(figures: pd.DataFrame, tolerance: float) -> Coded:
    """The figures table as numbers (see :class:`Coded`)."""
    lo, hi, point = intervals_and_points(figures, tolerance)
    inc, inc_names = codes_by_name(figures["incident"])
    mea, mea_names = codes_by_name(figures["measure"])
    src, src_names = codes_by_name(figures["source"])
    return Coded(
        lo=lo,
        hi=hi,
        point=point,
        inc=inc,
        mea=mea,
        src=src,
        dates=figures["reported_on"].to_numpy(dtype="datetime64[us]"),
        ends=figures["event_end"],
        origin_row=figures["origin_row"],
        inc_names=inc_names,
        mea_names=mea_names,
        src_names=src_names,
    )


@dataclass(frozen=True)
class Latest:
    """The figures compared: one per (incident, measure, source), sorted by group
    (incident x measure, in name order), then source.

    ``rep`` is each one's row in the figures table (the figure shown), ``lo``/``hi`` the
    loosest interval of its latest day (``hi`` opened upward where a stale cumulative
    figure still says "at least"; ``published_hi`` as published), ``day`` that day's
    ticks. ``group`` numbers the groups; ``starts`` is where each begins. ``stale``: much
    older than its group's newest; ``active``: compared (the newest figures, and stale
    ones of cumulative measures); ``a``/``f``: the active and the fresh figures' positions
    (None where every figure is).
    """

    rep: np.ndarray
    key: np.ndarray
    src: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    published_lo: np.ndarray
    published_hi: np.ndarray
    point: np.ndarray
    day: np.ndarray
    group: np.ndarray
    starts: np.ndarray
    g_inc: np.ndarray
    g_mea: np.ndarray
    stale: np.ndarray
    active: np.ndarray
    a: np.ndarray | None
    f: np.ndarray | None


def latest_figures(coded: Coded, when: pd.Timestamp | None, suite: Suite) -> Latest:
    """Each source's latest figure (as of ``when``) per incident and measure, its
    interval, its group, and whether it is stale (see :class:`Latest`).

    On a source's latest day the interval is the loosest of that day's figures (a report
    giving two figures is a rule finding; here it widens the interval), and the figure
    shown is the highest (then the widest, then the last line): chosen by value, not by
    the order rows arrive in.
    """
    inc, mea, src, lo = coded.inc, coded.mea, coded.src, coded.lo
    usable = (inc >= 0) & (mea >= 0) & (src >= 0) & ~np.isnan(lo)
    if when is not None:
        usable &= coded.dates <= when.to_datetime64().astype("datetime64[us]")  # NaT: False
    rows = None if usable.all() else np.flatnonzero(usable)  # None: every row
    n_src = max(len(coded.src_names), 1)
    n_mea = max(len(coded.mea_names), 1)
    key = product_key([(inc, 0), (mea, n_mea), (src, n_src)], rows)
    day = coded.dates.view(np.int64)  # by row; NaT is the smallest int64: undated sorts first
    n_keys = (int(inc.max(initial=0)) + 1) * n_mea * n_src
    if n_keys <= 4 * max(len(key), 1):
        rep, s_key, s_lo, s_hi, s_day = _latest_dense(rows, key, day, coded, n_keys)
    else:
        everyone = np.arange(len(key)) if rows is None else rows
        r_rows, r_key, starts = _latest_day(everyone, key, day[everyone])
        rep = representative(r_rows, starts, coded.point, coded.hi, coded.origin_row)
        s_key = r_key[starts]
        s_lo = np.minimum.reduceat(lo[r_rows], starts) if len(r_rows) else np.zeros(0)
        s_hi = np.maximum.reduceat(coded.hi[r_rows], starts) if len(r_rows) else np.zeros(0)
        s_day = day[rep]
    s_group = s_key // n_src
    g_starts = run_starts(s_group)
    group = np.repeat(
        np.arange(len(g_starts), dtype=np.int32 if len(rep) < 2**31 else np.int64),
        np.diff(np.r_[g_starts, len(rep)]),
    )
    heads = s_group[g_starts]
    latest = Latest(
        rep=rep,
        key=s_key,
        src=src[rep],
        lo=s_lo,
        hi=s_hi,
        published_lo=s_lo,
        published_hi=s_hi,
        point=coded.point[rep],
        day=s_day,
        group=group,
        starts=g_starts,
        g_inc=heads // n_mea,
        g_mea=heads % n_mea,
        stale=np.zeros(len(rep), dtype=bool),
        active=np.ones(len(rep), dtype=bool),
        a=None,
        f=None,
    )
    return settled(latest, coded, suite)


def settled(latest: Latest, coded: Coded, suite: Suite) -> Latest:
    """The figures compared as the comparison compares them: exact figures widened by the
    suite's tolerance, then stale ones marked (see :func:`_widened`, :func:`_with_staleness`).
    Each group's newest figure is the date it is compared at."""
    return _with_staleness(_widened(latest, coded, suite), coded, suite)


def _widened(latest: Latest, coded: Coded, suite: Suite) -> Latest:
    """Exact figures widened by the suite's tolerance for exact figures, so that two of
    them meet exactly when their gap is at most ``max(absolute, relative x the larger)``.

    A figure ``v`` becomes ``[up(lowest(v)), up(v)]``: ``lowest(v) = v - max(a, r v)`` is
    the smallest figure that agrees with it, and ``up(v) = max(v + a/2, v / sqrt(1 - r))``
    an increasing map, so ``x <= y`` meet iff ``up(lowest(y)) <= up(x)`` iff
    ``lowest(y) <= x``. With only ``a`` that is ``v ± a/2``; with only ``r``,
    ``[v sqrt(1 - r), v / sqrt(1 - r)]``. Lows stop at 0 (counts).
    """
    tolerance = suite.compare.exact_tolerance
    a, r = tolerance.absolute, tolerance.relative
    if not r and not a:
        return latest
    lo, hi = latest.lo, latest.hi
    exact = (lo == hi) & np.isfinite(lo)
    root = np.sqrt(1.0 - r)

    def up(v: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.maximum(v + a / 2, v / root)
        return out

    # a hair of slack: 0.57 x 100 is 56.99999999999999 in floats, and counts are whole
    lowest = lo - np.maximum(a, r * np.abs(lo)) - 1e-9 * np.maximum(1.0, np.abs(lo))
    new_lo = np.maximum(up(lowest), 0.0)
    return replace(latest, lo=np.where(exact, new_lo, lo), hi=np.where(exact, up(hi), hi))


def _with_staleness(latest: Latest, coded: Coded, suite: Suite) -> Latest:
    """A developing figure much older than its group's newest is stale: for a cumulative
    measure it still says "at least this many", so its interval opens upward; any other
    stale figure is listed but not compared. A final figure — reported more than
    ``developing_days`` after the latest event end any source gives for the incident — is
    compared as it stands, however old."""
    if not len(latest.rep):
        return latest
    window = suite.compare.window_days * float(DAY_US)  # in floats: it may be infinite
    s_day, g_starts = latest.day, latest.starts
    newest = np.maximum.reduceat(s_day, g_starts)
    # in floats: an undated figure (the smallest int64) must not wrap around
    span = newest.astype(np.float64) - np.minimum.reduceat(s_day, g_starts)
    if not (span > window).any():  # no figure can be stale: skip the per-figure work
        return latest
    old = (s_day != NAT_INT64) & ((newest[latest.group] - s_day).astype(np.float64) > window)
    stale = old & ~_final(latest, coded, suite, old)
    if not stale.any():
        return latest
    cumulative = coded.cumulative(suite)[coded.mea[latest.rep]]
    active = ~(stale & ~cumulative)
    return replace(
        latest,
        hi=np.where(stale & cumulative, np.inf, latest.hi),
        stale=stale,
        active=active,
        a=np.flatnonzero(active),
        f=np.flatnonzero(~stale),
    )


def _final(latest: Latest, coded: Coded, suite: Suite, old: np.ndarray) -> np.ndarray:
    """Per compared figure (looked at where ``old``): whether it is final (:func:`final`)."""
    out = np.zeros(len(latest.rep), dtype=bool)
    out[old] = final(coded, latest.g_inc[latest.group[old]], latest.day[old], suite)
    return out


def final(coded: Coded, inc: np.ndarray, day: np.ndarray, suite: Suite) -> np.ndarray:
    """Per figure of incident code ``inc`` reported on ``day`` (ticks): whether it was
    reported more than ``developing_days`` after the latest event end any source gives for
    its incident. Where no source gives an end (an event still going on, or one the
    exports date by its start only), the toll may still be developing."""
    out = np.zeros(len(inc), dtype=bool)
    if not len(inc):
        return out
    rows = np.flatnonzero(np.isin(coded.inc, np.unique(inc)))
    ends = coded.ends.take(rows).to_numpy(dtype="datetime64[us]").view(np.int64)
    known = ends != NAT_INT64
    if not known.any():
        return out
    last = pd.Series(ends[known]).groupby(coded.inc[rows][known]).max()
    end = last.reindex(inc, fill_value=NAT_INT64).to_numpy()
    margin = suite.compare.developing_days * float(DAY_US)  # in floats: it may be infinite
    after = day.astype(np.float64) - end.astype(np.float64)
    out[:] = (end != NAT_INT64) & (after > margin)
    return out


def _latest_dense(
    rows: np.ndarray | None, key: np.ndarray, day: np.ndarray, coded: Coded, n_keys: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The latest figure per key without sorting, where keys are dense (at most a few
    per row): each row's number is scattered into an array indexed by key. ``key`` is
    per row of ``rows`` (None: every row); ``day`` per row. Returns, per key present (in
    key order): the row shown, the key, the loosest interval on the latest day, and that
    day."""
    lo, hi = coded.lo, coded.hi
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
        where = np.flatnonzero(repeated[key])
        m_rows = row_of[where]
        m_rows, m_key, starts = _latest_day(m_rows, key[where], day[m_rows])
        pos = np.searchsorted(present, m_key[starts])
        rep[pos] = representative(m_rows, starts, coded.point, hi, coded.origin_row)
        s_lo[pos] = np.minimum.reduceat(lo[m_rows], starts)
        s_hi[pos] = np.maximum.reduceat(hi[m_rows], starts)
        s_day[pos] = day[m_rows[starts]]
    return rep, present, s_lo, s_hi, s_day


def _latest_day(
    rows: np.ndarray, key: np.ndarray, day: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows sorted by key, keeping each key's latest day; and where each key starts.

    One stable sort of one integer key (several sort keys over a million rows cost
    several times more); undated rows (NaT, the smallest int64) lose to dated ones."""
    order = np.argsort(key, kind="stable")
    rows, key, day = rows[order], key[order], day[order]
    starts = run_starts(key)
    if len(rows) == 0 or len(starts) == len(rows):
        return rows, key, starts
    latest = np.maximum.reduceat(day, starts)
    keep = day == np.repeat(latest, np.diff(np.r_[starts, len(rows)]))
    rows, key = rows[keep], key[keep]
    return rows, key, run_starts(key)


def representative(
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

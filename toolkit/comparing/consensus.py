"""Across the sources of each incident and measure: the consensus, the status, how far
apart the figures are, and which sources are outliers.

Sources agree when their intervals have a common point; the consensus is the
intersection. When they do not, a source whose interval misses every point where most
sources agree is an outlier, and the consensus is the others' intersection. The stale
figures of a cumulative measure take part as lower bounds; other stale figures do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit.columnar import at, chunks_of, reduce_runs, run_medians, run_starts
from toolkit.comparing.latest import Latest
from toolkit.model.vocabulary import ROW_STATUSES, STATUSES

CONFLICT, AGREE, SINGLE = (STATUSES.index(s) for s in ("conflict", "agree", "single"))
STALE = ROW_STATUSES.index("stale")


@dataclass(frozen=True)
class Groups:
    """Per incident x measure (in name order): number of current sources (a stale figure is
    shown, not counted), status code (into ``STATUSES``), the intersection of the
    intervals (``c_lo``/``c_hi``), min, max and median of the current points, ``spread``
    (max / min), ``gap`` (how far apart conflicting intervals are, relative to the higher)
    and whether the points are far apart although the intervals meet (``wide``);
    ``active`` is how many intervals took part (stale cumulative ones as lower bounds)."""

    sources: np.ndarray
    active: np.ndarray
    status: np.ndarray
    c_lo: np.ndarray
    c_hi: np.ndarray
    v_min: np.ndarray
    v_max: np.ndarray
    median: np.ndarray
    spread: np.ndarray
    gap: np.ndarray
    wide: np.ndarray
    a_starts: np.ndarray


def summarise(latest: Latest, spread_threshold: float) -> Groups:
    """Across the active figures of each group (the newest is always active, so every
    group keeps its place): the intersection of the intervals; the spread of the fresh
    points (a stale cumulative toll has risen since)."""
    n = len(latest.rep)
    a, f = latest.a, latest.f
    a_starts = latest.starts if a is None else run_starts(latest.group[a])
    g_size = np.diff(np.r_[a_starts, n if a is None else len(a)])
    f_starts = latest.starts if f is None else run_starts(latest.group[f])
    current = g_size if f is None else np.diff(np.r_[f_starts, len(f)])  # current figures
    if n:
        c_lo = reduce_runs(np.maximum, at(latest.lo, a), a_starts, g_size)
        c_hi = reduce_runs(np.minimum, at(latest.hi, a), a_starts, g_size)
        fresh = at(latest.point, f)
        v_min = reduce_runs(np.minimum, fresh, f_starts, current)
        v_max = reduce_runs(np.maximum, fresh, f_starts, current)
        median = run_medians(fresh, f_starts, current)
    else:
        c_lo = c_hi = v_min = v_max = median = np.zeros(0)
    # current figures decide agreement; a stale lower bound above them is a conflict still
    apart = (g_size > 1) & ~(c_lo <= c_hi)
    status = np.where(apart, CONFLICT, np.where(current == 1, SINGLE, AGREE)).astype(np.int8)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(v_min > 0, v_max / v_min, np.where(v_max > 0, np.inf, 1.0))
        relative = np.where(v_max > 0, (v_max - v_min) / v_max, 0.0)
        gap = np.where(status == CONFLICT, (c_lo - c_hi) / np.where(c_lo > 0, c_lo, 1.0), 0.0)
    return Groups(
        sources=current,
        active=g_size,
        status=status,
        c_lo=c_lo,
        c_hi=c_hi,
        v_min=v_min,
        v_max=v_max,
        median=median,
        spread=spread,
        gap=gap,
        wide=(status == AGREE) & (relative > spread_threshold),
        a_starts=a_starts,
    )


@dataclass(frozen=True)
class Outliers:
    """Outliers found in the groups in conflict: per figure whether it is one; per group
    whether it has one, and the intersection of its other figures (``inner_lo``,
    ``inner_hi``; meaningful where it has one)."""

    outlier: np.ndarray
    has_outlier: np.ndarray
    inner_lo: np.ndarray
    inner_hi: np.ndarray


def row_statuses(latest: Latest, groups: Groups) -> np.ndarray:
    """Each compared figure's status code (into ``ROW_STATUSES``): its group's, or stale
    where it takes no part."""
    row_status: np.ndarray = groups.status[latest.group]
    row_status[latest.stale] = STALE
    return row_status


def in_conflict(latest: Latest, groups: Groups) -> np.ndarray:
    """Per compared figure: whether it takes part in a conflict (current figures, and
    stale lower bounds of cumulative measures, of the groups in conflict)."""
    taking_part: np.ndarray = (groups.status[latest.group] == CONFLICT) & latest.active
    return taking_part


def find_outliers(latest: Latest, groups: Groups) -> Outliers:
    """The outliers among the active figures of the groups in conflict, and the consensus
    of the others (see :func:`_outliers`)."""
    n, n_groups = len(latest.rep), len(groups.status)
    conflicted = np.flatnonzero(groups.status == CONFLICT)
    if latest.a is None:  # whole groups: no need to gather their figures
        return _outliers(
            latest.lo,
            latest.hi,
            conflicted,
            groups.a_starts[conflicted],
            groups.active[conflicted],
            n,
            n_groups,
        )
    where = np.flatnonzero(in_conflict(latest, groups))
    starts = run_starts(latest.group[where])
    return _outliers(
        latest.lo[where],
        latest.hi[where],
        conflicted,
        starts,
        np.diff(np.r_[starts, len(where)]),
        n,
        n_groups,
        where,
    )


def _outliers(
    lo: np.ndarray,
    hi: np.ndarray,
    groups: np.ndarray,
    starts: np.ndarray,
    size: np.ndarray,
    n: int,
    n_groups: int,
    positions: np.ndarray | None = None,
) -> Outliers:
    """A figure is an outlier when its interval misses every point of greatest agreement
    in its group, and a strict majority of the group's sources meets at such a point.

    Group ``groups[k]`` is the run ``lo[starts[k] : starts[k] + size[k]]`` (``positions``
    maps those to the ``n`` figures; None: they are the figures). The most-covered points
    of closed intervals include a left end, so the depth at each left end (how many
    intervals of the group contain it) finds them; all pairs within a group, as arrays."""
    found = Outliers(
        outlier=np.zeros(n, dtype=bool),
        has_outlier=np.zeros(n_groups, dtype=bool),
        inner_lo=np.full(n_groups, np.nan),
        inner_hi=np.full(n_groups, np.nan),
    )
    # Groups of one size at a time, in chunks that stay in cache.
    for s in np.unique(size):
        for chunk in chunks_of(np.flatnonzero(size == s), s):
            members = starts[chunk] + np.arange(s)[:, None]  # (s, groups)
            out, has, inner_lo, inner_hi = _mark_outliers(members, lo, hi, s)
            found.outlier[members if positions is None else positions[members]] = out
            g = groups[chunk]
            found.has_outlier[g] = has
            found.inner_lo[g] = inner_lo
            found.inner_hi[g] = inner_hi
    return found


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


def consensus(groups: Groups, found: Outliers) -> tuple[np.ndarray, np.ndarray]:
    """The intersection of the intervals where they meet; where they do not, of the
    non-outliers' when there are outliers and they meet; else none (NaN)."""
    cons_lo, cons_hi = groups.c_lo.copy(), groups.c_hi.copy()
    conflicted = groups.status == CONFLICT
    cons_lo[conflicted] = np.nan
    cons_hi[conflicted] = np.nan
    ok = found.has_outlier & (found.inner_lo <= found.inner_hi)
    cons_lo[ok] = found.inner_lo[ok]
    cons_hi[ok] = found.inner_hi[ok]
    return whole_numbers(cons_lo, cons_hi)


def whole_numbers(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts: the whole numbers inside each interval (a tolerance widens exact figures by
    fractions, "about" by a share); where none lies inside, the two around it.

    >>> whole_numbers(np.array([14.4, 862.59, 0.0]), np.array([16.5, 862.85, np.inf]))
    (array([ 15., 862.,   0.]), array([ 16., 863.,  inf]))
    """
    inner_lo, inner_hi = np.ceil(lo - 1e-9), np.floor(hi + 1e-9)
    none_inside = inner_lo > inner_hi
    out_lo = np.where(none_inside, np.floor(lo), inner_lo) + 0.0  # + 0.0: never -0.0
    out_hi = np.where(none_inside, np.ceil(hi), inner_hi) + 0.0
    return out_lo, out_hi


def worst_first(groups: Groups) -> np.ndarray:
    """Groups worst first: conflicts by how far apart, then wide spreads, agreement,
    single sources; then by spread; ties in group (name) order.

    Two sort keys, not four: a gap is only set in conflicts and a wide spread only among
    agreements, so one float orders status, gap and width at once: -gap (negative) for
    conflicts, then 2 + not wide for agreements, then 4 + 1."""
    return worst_order(groups.status, groups.gap, groups.wide, groups.spread)


def worst_order(
    status: np.ndarray, gap: np.ndarray, wide: np.ndarray, spread: np.ndarray
) -> np.ndarray:
    """:func:`worst_first` of groups given as arrays (status codes into ``STATUSES``):
    also how rows gathered from several comparisons are put in one table's order."""
    first = np.where(status == CONFLICT, -gap, 2.0 * status + ~wide)
    order: np.ndarray = np.lexsort((-np.nan_to_num(spread, posinf=1e300), first))
    return order

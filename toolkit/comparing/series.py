"""Over time: every date on which two or more sources have a current figure for an
incident and measure, compared as ``--as-of`` that date compares it.

The figures one source gives for an incident and measure form a series. A *report date*
of an incident and measure is a date on which any source reported it; on each, each
source's latest figure as of that date is compared exactly as
:func:`~toolkit.comparing.compare_figures` compares with ``as_of``: the same intervals,
the same tolerance, the same stale rules (a figure older than ``window_days`` before the
date is stale: a cumulative one still says "at least", another is left out; a final one
stands however old). A report date with fewer than two current figures is not compared.
Between two report dates nothing changes, so ``--as-of D`` equals, for each incident and
measure, its row of the last report date on or before D.

The alignment is a sort and a binary search on integer keys, not a loop over dates: the
dated figures are summarised per (incident x measure x source, day) (``Days``), and for
every (report date, source) of an incident and measure the source's last day on or
before that date is found with one ``searchsorted`` on ``key x days + day``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from toolkit.columnar import product_key, run_starts
from toolkit.comparing.latest import Coded, Latest, representative, settled
from toolkit.suite import Suite


@dataclass(frozen=True)
class Days:
    """The dated, known figures as one entry per (incident x measure x source, day),
    sorted by that key then day: the key (``pair x sources + source``, where ``pair`` is
    ``incident x measures + measure``), the day (µs ticks), the loosest interval of the
    day's figures and the row shown (the highest). ``keys`` are the distinct keys and
    ``key_starts`` where each begins; ``calendar`` the distinct days, sorted."""

    key: np.ndarray
    day: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    rep: np.ndarray
    keys: np.ndarray
    key_starts: np.ndarray
    calendar: np.ndarray
    n_src: int
    n_mea: int

    @property
    def position(self) -> np.ndarray:
        """Each entry as one sortable int64: its key's rank x days + its day's rank."""
        rank = np.repeat(np.arange(len(self.keys)), np.diff(np.r_[self.key_starts, len(self.key)]))
        return rank * len(self.calendar) + np.searchsorted(self.calendar, self.day)

    def as_of(self, key_rank: np.ndarray, when: np.ndarray, position: np.ndarray) -> np.ndarray:
        """Per query (a key's rank, a day in µs ticks): the entry of that key's last day on
        or before it, or -1 where the key has none yet. ``position`` is :attr:`position`
        (computed once by the caller)."""
        day_rank = np.searchsorted(self.calendar, when, side="right") - 1
        target = key_rank.astype(np.int64) * len(self.calendar) + day_rank
        found = np.searchsorted(position, target, side="right") - 1
        ok = (day_rank >= 0) & (found >= self.key_starts[key_rank])
        out: np.ndarray = np.where(ok, found, -1)
        return out


def day_figures(coded: Coded) -> Days:
    """The dated figures with a known interval, per (incident, measure, source, day)."""
    inc, mea, src = coded.inc, coded.mea, coded.src
    usable = (inc >= 0) & (mea >= 0) & (src >= 0) & ~np.isnan(coded.lo) & ~np.isnat(coded.dates)
    rows = np.flatnonzero(usable)
    n_src = max(len(coded.src_names), 1)
    n_mea = max(len(coded.mea_names), 1)
    key = product_key([(inc, 0), (mea, n_mea), (src, n_src)], rows)
    day = coded.dates[rows].view(np.int64)
    order = np.lexsort((day, key))
    rows, key, day = rows[order], key[order], day[order]
    if len(rows) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Days(
            empty, empty, np.zeros(0), np.zeros(0), empty, empty, empty, empty, n_src, n_mea
        )
    starts = np.flatnonzero(np.r_[True, (key[1:] != key[:-1]) | (day[1:] != day[:-1])])
    e_key = key[starts]
    key_starts = run_starts(e_key)
    return Days(
        key=e_key,
        day=day[starts],
        lo=np.minimum.reduceat(coded.lo[rows], starts),
        hi=np.maximum.reduceat(coded.hi[rows], starts),
        rep=representative(rows, starts, coded.point, coded.hi, coded.origin_row),
        keys=e_key[key_starts],
        key_starts=key_starts,
        calendar=np.unique(day),
        n_src=n_src,
        n_mea=n_mea,
    )


@dataclass(frozen=True)
class Aligned:
    """The figures compared on each report date: ``latest`` groups them by *slot* (an
    incident x measure on one report date, in name then date order) instead of by
    incident x measure; ``day`` is each slot's date (µs ticks), ``pair`` its incident x
    measure (``incident x measures + measure``). Only slots with two or more current
    figures are kept. ``days`` is what they were aligned from."""

    latest: Latest
    day: np.ndarray
    pair: np.ndarray
    days: Days


def align(coded: Coded, suite: Suite) -> Aligned:
    """Each source's latest figure as of each report date of its incident and measure
    (see the module notes), settled as the comparison settles it (tolerance, staleness),
    on the report dates where two or more of them are current."""
    days = day_figures(coded)
    n_src = days.n_src
    pair = days.key // n_src
    # the slots: distinct (pair, day), in pair then date order
    order = np.lexsort((days.day, pair))
    s_pair, s_day = pair[order], days.day[order]
    first = np.r_[True, (s_pair[1:] != s_pair[:-1]) | (s_day[1:] != s_day[:-1])][: len(s_pair)]
    slot_pair, slot_day = s_pair[first], s_day[first]
    # each slot asks each source of its pair for its figure as of the slot's date
    key_pair = days.keys // n_src
    lo_key = np.searchsorted(key_pair, slot_pair, side="left")
    n_each = np.searchsorted(key_pair, slot_pair, side="right") - lo_key
    q_slot = np.repeat(np.arange(len(slot_pair)), n_each)
    within = np.arange(len(q_slot)) - np.repeat(np.cumsum(n_each) - n_each, n_each)
    q_key = np.repeat(lo_key, n_each) + within
    entry = days.as_of(q_key, slot_day[q_slot], days.position)
    has = entry >= 0
    # a slot needs two figures to compare (staleness may leave fewer current: see below)
    enough = np.bincount(q_slot[has], minlength=len(slot_pair)) >= 2
    take = has & enough[q_slot]
    latest = _latest(days, coded, entry[take], q_slot[take], slot_pair, enough)
    latest = settled(latest, coded, suite)
    current = np.bincount(latest.group[~latest.stale], minlength=len(latest.starts)) >= 2
    kept_pair, kept_day = slot_pair[enough], slot_day[enough]
    if not current.all():
        latest = only(latest, current)
        kept_pair, kept_day = kept_pair[current], kept_day[current]
    return Aligned(latest=latest, day=kept_day, pair=kept_pair, days=days)


def _latest(
    days: Days,
    coded: Coded,
    entry: np.ndarray,
    q_slot: np.ndarray,
    slot_pair: np.ndarray,
    keep: np.ndarray,
) -> Latest:
    """The looked-up figures as a :class:`Latest` whose groups are the kept slots."""
    renumber = np.cumsum(keep) - 1
    group = renumber[q_slot]
    group = group.astype(np.int32 if len(group) < 2**31 else np.int64)
    kept = slot_pair[keep]
    lo, hi = days.lo[entry], days.hi[entry]
    rep = days.rep[entry]
    return Latest(
        rep=rep,
        key=days.key[entry],
        src=days.key[entry] % days.n_src,
        lo=lo,
        hi=hi,
        published_lo=lo,
        published_hi=hi,
        point=coded.point[rep],
        day=days.day[entry],
        group=group,
        starts=run_starts(group),
        g_inc=kept // days.n_mea,
        g_mea=kept % days.n_mea,
        stale=np.zeros(len(rep), dtype=bool),
        active=np.ones(len(rep), dtype=bool),
        a=None,
        f=None,
    )


def only(latest: Latest, keep: np.ndarray) -> Latest:
    """``latest`` restricted to the groups where ``keep`` (per group), renumbered."""
    member = keep[latest.group]
    renumber = (np.cumsum(keep) - 1).astype(latest.group.dtype)
    group = renumber[latest.group[member]]
    stale, active = latest.stale[member], latest.active[member]
    some_stale = bool(stale.any())
    return replace(
        latest,
        rep=latest.rep[member],
        key=latest.key[member],
        src=latest.src[member],
        lo=latest.lo[member],
        hi=latest.hi[member],
        published_lo=latest.published_lo[member],
        published_hi=latest.published_hi[member],
        point=latest.point[member],
        day=latest.day[member],
        group=group,
        starts=run_starts(group),
        g_inc=latest.g_inc[keep],
        g_mea=latest.g_mea[keep],
        stale=stale,
        active=active,
        a=np.flatnonzero(active) if some_stale else None,
        f=np.flatnonzero(~stale) if some_stale else None,
    )

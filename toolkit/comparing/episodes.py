"""Over time, runs of dates rather than days: episodes of conflict and steady lags.

An *episode* is a run of report dates of one incident and measure on which its sources
conflict; only a date on which they agree again ends it (a date with fewer than two
current figures is not compared, so it neither ends nor extends one). Its findings name
the sources on each side on the date of its largest gap: the sources whose figure lies
below the middle of the gap, and those above.

A *lag* is a run of dates on which a source's figure, as published, differs from another
current source's but equals what every other current source published a steady number of
days earlier (1 to ``lag_days``; the fewest such days that fit): the same figures, late.
Dates on which the source already meets the others neither break nor count; a run ends
where another lag (or none) fits, or after ``window_days`` without evidence, and is
reported when it holds on at least ``lag_dates`` dates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from toolkit.columnar import DAY_US, join_runs, run_starts, take_names
from toolkit.comparing.consensus import CONFLICT
from toolkit.comparing.findings import base_columns
from toolkit.comparing.result import shown_texts
from toolkit.model import findings as fd
from toolkit.model.intervals import number_texts

if TYPE_CHECKING:
    from toolkit.comparing.over_time import Series


def _dates(ticks: np.ndarray) -> pd.Series:
    """µs ticks as dates (NaT where the smallest int64)."""
    return pd.Series(ticks.astype(np.int64).view("datetime64[us]"))


def _day_texts(dates: pd.Series) -> pd.Series:
    texts: pd.Series = dates.dt.strftime("%Y-%m-%d").astype("str").fillna("")
    return texts


def episodes(s: Series) -> pd.DataFrame:
    """One row per episode, in incident, measure and date order: its first and last date
    in conflict, the date the sources agree again (NaT: still in conflict on the last date
    compared), how many dates it spans, its largest gap and that date, and the sources on
    each side then (``low``/``high``: each source with its figure)."""
    core, aligned = s.core, s.aligned
    g, k, coded = core.groups, core.latest, core.coded
    pair, day = aligned.pair, aligned.day
    conflict = g.status == CONFLICT
    n = len(conflict)
    begins = np.r_[True, pair[1:] != pair[:-1]][:n]
    start = conflict & (begins | ~np.r_[False, conflict[:-1]][:n])
    number = np.cumsum(start) - 1
    cs = np.flatnonzero(conflict)
    episode = number[cs]
    firsts = run_starts(episode)
    first, last = cs[firsts], cs[np.r_[firsts[1:] - 1, len(cs) - 1]] if len(cs) else cs
    order = np.lexsort((-g.gap[cs], episode))
    worst = cs[order[run_starts(episode[order])]]
    after = np.minimum(last + 1, max(n - 1, 0))
    agreed = (last + 1 < n) & (pair[after] == pair[last])
    sides = _sides(s, worst)
    incident = take_names(k.g_inc[first], coded.inc_names)
    return pd.DataFrame(
        {
            "incident": incident,
            "measure": take_names(k.g_mea[first], coded.mea_names),
            "start": _dates(day[first]),
            "end": _dates(day[last]),
            "agreed_on": _dates(np.where(agreed, day[after], np.iinfo(np.int64).min)),
            "dates": np.diff(np.r_[firsts, len(cs)]),
            "ongoing": ~agreed,
            "largest_gap": g.gap[worst],
            "gap_on": _dates(day[worst]),
            "difference": (g.v_max - g.v_min)[worst],
            **sides,
        }
    )


def _sides(s: Series, worst: np.ndarray) -> dict[str, Any]:
    """Per episode (its worst slot), the sources below the middle of the gap and above it:
    names, and names with figures; the side a finding names (the smaller; the lower on a
    tie) and where its first figure was read."""
    core = s.core
    g, k, coded = core.groups, core.latest, core.coded
    slot_episode = np.full(len(g.status), -1)
    slot_episode[worst] = np.arange(len(worst))
    idx = np.flatnonzero((slot_episode[k.group] >= 0) & k.active)
    episode = slot_episode[k.group[idx]]
    middle = (g.c_lo + g.c_hi) / 2
    point = np.where(np.isnan(k.point[idx]), k.published_lo[idx], k.point[idx])
    high = (point > middle[k.group[idx]]).astype(np.int64)
    order = np.lexsort((k.src[idx], high, episode))
    idx, episode, high = idx[order], episode[order], high[order]
    names = take_names(k.src[idx], coded.src_names)
    said = names + " " + _shown(s, idx)
    side = episode * 2 + high
    heads = run_starts(side)
    n_ep = len(worst)
    by_side: dict[str, np.ndarray] = {}
    for label, texts in (("sources", names), ("said", said)):
        joined = join_runs(texts, side).iloc[heads].to_numpy(dtype=object)
        by_side[label] = joined
    count = np.bincount(side, minlength=2 * n_ep)
    slot = np.full(2 * n_ep, -1)
    slot[side[heads]] = np.arange(len(heads))

    def per(label: str, which: int) -> pd.Series:
        at = slot[np.arange(n_ep) * 2 + which]
        values = by_side[label][np.maximum(at, 0)]
        values[at < 0] = None
        return pd.Series(values, dtype="str")

    named = np.where(count[1::2] < count[0::2], 1, 0)  # the smaller side; the lower on a tie
    first_of = np.full(2 * n_ep, 0)
    first_of[side[heads]] = idx[heads]
    rep = k.rep[first_of[np.arange(n_ep) * 2 + named]] if n_ep else np.zeros(0, dtype=np.int64)
    f = s.figures
    low_sources, high_sources = per("sources", 0), per("sources", 1)
    return {
        "low": per("said", 0),
        "high": per("said", 1),
        "low_sources": low_sources,
        "high_sources": high_sources,
        "source": low_sources.where(named == 0, high_sources),
        "origin_file": f["origin_file"].take(rep).reset_index(drop=True),
        "origin_row": f["origin_row"].take(rep).reset_index(drop=True),
    }


def lags(s: Series) -> pd.DataFrame:
    """One row per lag, in incident, measure, source and date order (see the module
    notes): the source, the others it follows, by how many days, its first and last date
    and on how many dates it holds; where its first figure was read."""
    core, aligned = s.core, s.aligned
    k, coded = core.latest, core.coded
    settings = s.suite.compare
    off, pi, pj = _apart_at_the_digit(s)
    if not len(off):
        return _no_lags()
    late = _lag_of(s, off, pi, pj, int(settings.lag_days))
    # runs of one lag, per (incident x measure, source), in date order
    pair = aligned.pair[k.group[off]]
    order = np.lexsort((k.group[off], k.src[off], pair))
    off, late, pair = off[order], late[order], pair[order]
    day = aligned.day[k.group[off]]
    window = settings.window_days * float(DAY_US)
    breaks = np.r_[
        True,
        (pair[1:] != pair[:-1])
        | (k.src[off][1:] != k.src[off][:-1])
        | (late[1:] != late[:-1])
        | ((day[1:] - day[:-1]).astype(np.float64) > window),
    ][: len(off)]
    starts = np.flatnonzero(breaks)
    size = np.diff(np.r_[starts, len(off)])
    keep = (late[starts] > 0) & (size >= settings.lag_dates)
    if not keep.any():
        return _no_lags()
    first, size = off[starts[keep]], size[keep]
    last = off[(starts + np.diff(np.r_[starts, len(off)]) - 1)[keep]]
    days_late = late[starts[keep]]
    others = _others(s, first, pi, pj)
    f = s.figures
    rep = k.rep[first]
    return pd.DataFrame(
        {
            "incident": take_names(k.g_inc[k.group[first]], coded.inc_names),
            "measure": take_names(k.g_mea[k.group[first]], coded.mea_names),
            "source": take_names(k.src[first], coded.src_names),
            "behind": others,
            "days": days_late.astype(np.int64),
            "start": _dates(aligned.day[k.group[first]]),
            "end": _dates(aligned.day[k.group[last]]),
            "dates": size.astype(np.int64),
            "shown": _shown(s, first),
            "origin_file": f["origin_file"].take(rep).reset_index(drop=True),
            "origin_row": f["origin_row"].take(rep).reset_index(drop=True),
        }
    )


def _shown(s: Series, idx: np.ndarray) -> pd.Series:
    """The figures at ``idx`` (positions into ``core.latest``) as short texts, built for
    those only (the series may hold millions of dated figures)."""
    k = s.core.latest
    texts = shown_texts(
        s.figures, k.rep[idx], k.published_lo[idx], k.published_hi[idx], k.stale[idx]
    )
    return texts.reset_index(drop=True)


def _no_lags() -> pd.DataFrame:
    text = pd.Series([], dtype="str")
    when = pd.Series([], dtype="datetime64[us]")
    return pd.DataFrame(
        {
            "incident": text,
            "measure": text,
            "source": text,
            "behind": text,
            "days": pd.Series([], dtype="int64"),
            "start": when,
            "end": when,
            "dates": pd.Series([], dtype="int64"),
            "shown": text,
            "origin_file": text,
            "origin_row": pd.Series([], dtype="Int64"),
        }
    )


def _apart_at_the_digit(s: Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The current figures that, as published (no tolerance), miss some other current
    figure of their date (positions into ``core.latest``, in order); and every (figure,
    other current figure of its date) pair of those, as positions ``pi``, ``pj`` sorted by
    ``pi``."""
    k = s.core.latest
    current = np.flatnonzero(~k.stale)
    group = k.group[current]
    starts = run_starts(group)
    size = np.diff(np.r_[starts, len(current)])
    lo, hi = k.published_lo, k.published_hi
    off_parts, pi_parts, pj_parts = [], [], []
    for width in np.unique(size):
        if width < 2:
            continue
        members = current[starts[size == width] + np.arange(width)[:, None]]  # (w, slots)
        low, high = lo[members], hi[members]
        apart = np.zeros(members.shape, dtype=bool)
        for j in range(width):
            apart |= (low > high[j]) | (low[j] > high)
        off_parts.append(members[apart])
        for j in range(width):
            i_rows = np.flatnonzero(np.arange(width) != j)
            mine = members[i_rows][apart[i_rows]]
            theirs = np.broadcast_to(members[j], members[i_rows].shape)[apart[i_rows]]
            pi_parts.append(mine)
            pj_parts.append(theirs)
    if not off_parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    off = np.sort(np.concatenate(off_parts))
    pi, pj = np.concatenate(pi_parts), np.concatenate(pj_parts)
    order = np.lexsort((pj, pi))
    return off, pi[order], pj[order]


def _lag_of(s: Series, off: np.ndarray, pi: np.ndarray, pj: np.ndarray, most: int) -> np.ndarray:
    """Per figure in ``off``: the fewest days (1 .. ``most``) by which it is late, i.e.
    its published interval meets what every other current source of its date published
    that many days earlier (within ``window_days`` of then); 0 where none fits."""
    k, aligned = s.core.latest, s.aligned
    days = aligned.days
    position = days.position
    rank = np.searchsorted(days.keys, k.key[pj])
    on = aligned.day[k.group[pi]]
    which = np.searchsorted(off, pi)
    window = s.suite.compare.window_days * float(DAY_US)
    late = np.zeros(len(off), dtype=np.int64)
    lo, hi = k.published_lo[pi], k.published_hi[pi]
    pairs = np.arange(len(pi))
    for lag in range(1, most + 1):
        pairs = pairs[late[which[pairs]] == 0]  # the figures no shorter lag fits
        if not len(pairs):
            break
        then = on[pairs] - lag * DAY_US
        entry = days.as_of(rank[pairs], then, position)
        e = np.maximum(entry, 0)
        meets = (
            (entry >= 0)
            & ((then - days.day[e]).astype(np.float64) <= window)
            & (lo[pairs] <= days.hi[e])
            & (days.lo[e] <= hi[pairs])
        )
        asked = np.bincount(which[pairs], minlength=len(off)) > 0
        misses = np.bincount(which[pairs][~meets], minlength=len(off))
        late[asked & (misses == 0)] = lag
    return late


def _others(s: Series, first: np.ndarray, pi: np.ndarray, pj: np.ndarray) -> pd.Series:
    """Per figure in ``first``: the names of the other current sources of its date."""
    k, coded = s.core.latest, s.core.coded
    pick = np.isin(pi, first)
    names = take_names(k.src[pj[pick]], coded.src_names)
    joined = join_runs(names, pi[pick])
    heads = run_starts(pi[pick])
    by_first = pd.Series(joined.iloc[heads].to_numpy(), index=pi[pick][heads])
    return pd.Series(pd.array(by_first.reindex(first).to_numpy(), dtype="str"))


def series_findings(s: Series) -> pd.DataFrame:
    """One ``conflict-episode`` finding per episode, one ``lag`` finding per lag."""
    return fd.concat([_episode_findings(s), _lag_findings(s)])


def _episode_findings(s: Series) -> pd.DataFrame:
    e = s.episodes
    if e.empty:
        return pd.DataFrame()
    start, end = _day_texts(e["start"]), _day_texts(e["end"])
    span = ("on " + start).where(e["dates"] == 1, "from " + start + " to " + end)
    count = pd.Series(number_texts(e["dates"].to_numpy(dtype="float64")), dtype="str")
    dates = count + pd.Series(np.where(e["dates"] == 1, " date", " dates"), dtype="str")
    closing = ("agree again on " + _day_texts(e["agreed_on"])).where(
        ~e["ongoing"], "still in conflict on the last date compared"
    )
    percent = np.round(e["largest_gap"].to_numpy(dtype="float64") * 100).astype(np.int64)
    gap = pd.Series(percent, dtype="int64").astype("str") + "%"
    message = (
        e["incident"]
        + " "
        + e["measure"]
        + ": "
        + e["low"]
        + " against "
        + e["high"]
        + " on the date of the largest gap ("
        + _day_texts(e["gap_on"])
        + ", "
        + gap
        + " apart); in conflict "
        + span
        + " ("
        + dates
        + "), "
        + closing
    )
    return fd.from_frame(
        pd.DataFrame(
            {
                **base_columns(e.assign(reported_on=e["start"]), "conflict-episode", s.suite),
                "column": "figure_text",
                # the sides, not their figures: a finding stays the same finding from run to
                # run while its episode goes on (its figures move; its message says them)
                "observed": (e["low_sources"] + " below " + e["high_sources"]).array,
                "expected": "figures that overlap",
                "message": message.array,
            }
        )
    )


def _lag_findings(s: Series) -> pd.DataFrame:
    lag = s.lags
    if lag.empty:
        return pd.DataFrame()
    days = pd.Series(
        np.where(lag["days"] == 1, "1 day", lag["days"].astype("str") + " days"), dtype="str"
    )
    count = lag["dates"].astype("str")
    message = (
        lag["source"]
        + "'s "
        + lag["measure"]
        + " of "
        + lag["incident"]
        + " is what "
        + lag["behind"]
        + " published "
        + days
        + " earlier, on "
        + count
        + " dates from "
        + _day_texts(lag["start"])
        + " to "
        + _day_texts(lag["end"])
        + " (first: "
        + lag["shown"]
        + ")"
    )
    return fd.from_frame(
        pd.DataFrame(
            {
                **base_columns(lag.assign(reported_on=lag["start"]), "lag", s.suite),
                "column": "figure_text",
                "observed": (days + " late").array,
                "expected": "the others' figure of the same date",
                "message": message.array,
            }
        )
    )

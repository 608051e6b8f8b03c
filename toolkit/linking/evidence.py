"""What says two records are one incident: place names, dates, country and state, the toll
each gives, and the words of their titles; each pair scored, with a line that says why.

Candidate pairs come from blocking (dates within ``match_days``, same country and same
first-level subdivision where both are known: two incidents in different states are never
paired). A pair scores on its places (``0.6 name + 0.3 date + 0.1 country``) or, within one
known state, on the other evidence (date, state, the same toll, shared title words): never
on figures alone across states, and never on figures alone where the state is unknown.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from toolkit.linking.places import place, place_similarity
from toolkit.model import figures as ft
from toolkit.model.names import fold

# Weights of the place score; a pair lacking a place name on either side scores its name
# as NAME_UNKNOWN, so it can never pass the threshold on dates alone.
WEIGHTS = {"name": 0.6, "date": 0.3, "country": 0.1}
NAME_UNKNOWN = 0.5
# Weights of the evidence score, for pairs in one known state.
EVIDENCE = {"date": 0.35, "country": 0.1, "admin1": 0.15, "toll": 0.25, "words": 0.15}
DISTINCT_TOLL = 3  # a toll this high, the same on both sides, says much; a lower one, half
BLOCK_DAYS = 7  # a block's window of days, at least
MAX_DAYS = 400  # an event's days paired on, at most (a campaign: its first 400 days)
SAME_PLACE = 0.85  # one source's records on one day with places this alike: listed twice?
_WORD = re.compile(r"[^\w]+")
_STOP = frozenset(
    [
        *("the", "and", "of", "in", "at", "on", "for", "a", "an", "to", "by", "with", "from"),
        *("near", "shooting", "attack", "incident", "mass"),
    ]
)


def records(figures: pd.DataFrame) -> pd.DataFrame:
    """One row per (source, incident): country, admin1, place name, title, event dates
    (the dates of the reports where the export gives no event dates), and its toll (the
    highest figure it gives per measure)."""
    f = ft.conform(figures)
    start = f["event_start"].fillna(f["reported_on"])
    end = f["event_end"].fillna(f["event_start"]).fillna(f["reported_on"])
    df = pd.DataFrame(
        {
            "source": f["source"],
            "incident": f["incident"],
            "country": f["country"],
            "admin1": f["admin1"],
            "location": f["location"],
            "title": f["title"],
            "event_start": start,
            "event_end": end,
            "origin_file": f["origin_file"],
            "origin_row": f["origin_row"],
        }
    ).dropna(subset=["source", "incident"])
    out = df.groupby(["source", "incident"], sort=True, dropna=False).agg(
        country=("country", "first"),
        admin1=("admin1", "first"),
        location=("location", "first"),
        title=("title", "first"),
        event_start=("event_start", "min"),
        event_end=("event_end", "max"),
        origin_file=("origin_file", "first"),
        origin_row=("origin_row", "min"),
    )
    out = out.reset_index()
    out["toll"] = pd.Series(_tolls(f, out), index=out.index, dtype=object)
    return out


def _tolls(f: pd.DataFrame, recs: pd.DataFrame) -> list[dict[str, float]]:
    """Per record: measure -> the highest point figure it gives (known figures only)."""
    value = f["value"].astype("float64").fillna(f["low"].astype("float64"))
    known = pd.DataFrame(
        {"source": f["source"], "incident": f["incident"], "measure": f["measure"], "v": value}
    ).dropna()
    top = known.groupby(["source", "incident", "measure"], sort=False)["v"].max()
    per: dict[tuple[str, str], dict[str, float]] = {}
    keys = zip(*(top.index.get_level_values(k).tolist() for k in range(3)), strict=True)
    for (source, incident, measure), v in zip(keys, top.tolist(), strict=True):
        per.setdefault((str(source), str(incident)), {})[str(measure)] = float(v)
    sources = recs["source"].to_numpy(dtype=object)
    incidents = recs["incident"].to_numpy(dtype=object)
    return [per.get((s, i), {}) for s, i in zip(sources, incidents, strict=True)]


def event_days(recs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The records that have a date (positions), and each one's first and last day (days
    since 1970), the last capped so that a months-long campaign does not explode the
    pairs. Records without a date are never paired."""
    start = recs["event_start"].to_numpy(dtype="datetime64[D]")
    end = recs["event_end"].to_numpy(dtype="datetime64[D]")
    idx = np.flatnonzero(~np.isnat(start))
    first = start[idx].astype(np.int64)
    last = np.minimum(np.maximum(end[idx].astype(np.int64), first), first + MAX_DAYS)
    return idx, first, last


def candidates(recs: pd.DataFrame, days: float) -> pd.DataFrame:
    """Candidate pairs (i < j, positions in ``recs``) by blocking: a shared day within
    ``days`` of each other's event dates, the same country and the same state where both
    are known."""
    idx, first, last = event_days(recs)
    if len(idx) < 2:
        return pd.DataFrame({"i": [], "j": []}, dtype=np.int64)
    length = last - first + 1
    rec = np.repeat(idx, length)
    day = np.repeat(first, length) + (
        np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
    )
    span = int(np.ceil(days))
    # each record sits on its own days; it looks for others within +-span days
    own = pd.DataFrame({"i": rec, "day": day})
    look = pd.DataFrame(
        {
            "j": np.repeat(rec, 2 * span + 1),
            "day": np.repeat(day, 2 * span + 1) + np.tile(np.arange(-span, span + 1), len(day)),
        }
    )
    pairs = own.merge(look, on="day")[["i", "j"]]
    pairs = pairs[pairs["i"] < pairs["j"]].drop_duplicates(ignore_index=True)
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    keep = np.ones(len(pairs), dtype=bool)
    for column in ("country", "admin1"):
        values = recs[column].to_numpy(dtype=object)
        a, b = values[i], values[j]
        known = pd.notna(a) & pd.notna(b)
        keep &= ~known | (a == b)
    kept: pd.DataFrame = pairs[keep].reset_index(drop=True)
    return kept


def block_width(days: float) -> int:
    """The days of a block's window: at least the pairing distance (two records paired lie
    in one window or two neighbouring ones), and at least ``BLOCK_DAYS``."""
    return max(int(np.ceil(days)), BLOCK_DAYS)


def block_keys(recs: pd.DataFrame, days: float, places: pd.DataFrame) -> pd.DataFrame:
    """The blocks each dated record goes to (``row``: its position in ``recs``; ``block``:
    a key) so that two records :func:`candidates` pairs meet in a block, the one
    :func:`pair_blocks` names for them. A block is a place (country and state) and a window
    of days: a record goes to the windows its days lie in and the next one; to its own
    place where country and state are known, else to every place it may be paired with
    (``places``: the distinct country and admin1 of all the records), met on what the two
    know together."""
    idx, first, last = event_days(recs)
    width = block_width(days)
    low = first // width
    count = last // width + 1 - low + 1
    starts = np.repeat(np.cumsum(count) - count, count)
    windows = pd.DataFrame(
        {
            "row": np.repeat(idx, count),
            "window": np.repeat(low, count) + (np.arange(count.sum()) - starts),
        }
    )
    country, admin1 = _known(recs["country"])[idx], _known(recs["admin1"])[idx]
    own = [_place_key(c, a) for c, a in zip(country, admin1, strict=True)]
    every = list(zip(_known(places["country"]), _known(places["admin1"]), strict=True))
    met: dict[str, list[str]] = {}
    for c, a in set(zip(country, admin1, strict=True)):
        if c is not None and a is not None:  # a known place: its own block only
            met[_place_key(c, a)] = [_place_key(c, a)]
            continue
        met[_place_key(c, a)] = sorted(
            {
                _place_key(c if c is not None else x, a if a is not None else y)
                for x, y in every
                if (c is None or x is None or c == x) and (a is None or y is None or a == y)
            }
            | {_place_key(c, a)}
        )
    to = pd.DataFrame({"row": idx, "place": [met[k] for k in own]}).explode("place")
    out = windows.merge(to, on="row")
    block = out["place"].astype("str") + "|" + out["window"].astype("str")
    return pd.DataFrame({"row": out["row"].to_numpy(dtype=np.int64), "block": block})


def pair_blocks(recs: pd.DataFrame, pairs: pd.DataFrame, days: float) -> pd.Series:
    """Per candidate pair (``i``, ``j``: positions in ``recs``), the one block of
    :func:`block_keys` it is scored in: the place the two know together, the first window
    both lie in."""
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    start = recs["event_start"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    width = block_width(days)
    window = np.maximum(start[i] // width, start[j] // width)
    country, admin1 = _known(recs["country"]), _known(recs["admin1"])
    c = np.where(pd.isna(country[i]), country[j], country[i])
    a = np.where(pd.isna(admin1[i]), admin1[j], admin1[i])
    keys = [f"{_place_key(x, y)}|{w}" for x, y, w in zip(c, a, window, strict=True)]
    return pd.Series(keys, index=pairs.index, dtype="str")


def _known(values: pd.Series) -> np.ndarray:
    """The values as objects, None where missing."""
    out: np.ndarray = values.to_numpy(dtype=object, copy=True)
    out[pd.isna(out)] = None
    return out


def _place_key(country: object, admin1: object) -> str:
    return repr((country, admin1))


def _words(title: object) -> frozenset[str]:
    """A title's words that can name a venue or an event (not "the", "shooting"…)."""
    if not isinstance(title, str):
        return frozenset()
    return frozenset(w for w in _WORD.split(fold(title)) if len(w) >= 3 and w not in _STOP)


def _toll(a: dict[str, float], b: dict[str, float]) -> tuple[float | None, str]:
    """How alike two tolls are, and why: the share of the measures both give (not both 0)
    on which they give the same figure, halved where no figure they share is distinctive
    (below ``DISTINCT_TOLL``). None where they give no such measure in common.

    >>> _toll({"killed": 12, "injured": 58}, {"killed": 12, "injured": 70})
    (0.5, 'same killed 12; injured 58 vs 70')
    """
    shared = sorted(m for m in set(a) & set(b) if a[m] or b[m])  # zeros on both sides say nothing
    if not shared:
        return None, ""
    equal = [m for m in shared if a[m] == b[m]]
    if not equal:
        apart = ", ".join(f"{m} {a[m]:g} vs {b[m]:g}" for m in shared)
        return 0.0, f"tolls differ ({apart})"
    weight = 1.0 if max(a[m] for m in equal) >= DISTINCT_TOLL else 0.5
    if len(equal) == len(shared):
        why = "same toll (" + ", ".join(f"{m} {a[m]:g}" for m in shared) + ")"
    else:
        differ = [f"{m} {a[m]:g} vs {b[m]:g}" for m in shared if m not in equal]
        why = "; ".join([*(f"same {m} {a[m]:g}" for m in equal), *differ])
    return weight * len(equal) / len(shared), why


def score(recs: pd.DataFrame, pairs: pd.DataFrame, days: float) -> pd.DataFrame:
    """Score candidate pairs in [0, 1]: the better of the place score and (within one
    known state) the evidence score. The other evidence (toll, title words) is weighed
    only where it can count: within one state, and for one source's near-identical
    records. :func:`explain` says, for the pairs that need it, what a score rests on."""
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    places = [place(x) for x in recs["location"].to_numpy(dtype=object)]
    similar = [place_similarity(places[a], places[b]) for a, b in zip(i, j, strict=True)]
    name = np.array([NAME_UNKNOWN if x is None else x for x in similar], dtype=float)
    start = recs["event_start"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    end = recs["event_end"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    end = np.maximum(end, start)
    gap = np.maximum(0, np.maximum(start[j] - end[i], start[i] - end[j]))
    # a day apart is common (time zones, a report the next morning); further, less likely.
    # An event dated only to a month or a year overlaps much and says little.
    precise = (end[i] - start[i] <= days) & (end[j] - start[j] <= days)
    date = np.clip(np.where(gap == 0, 1.0, 0.9 - 0.2 * (gap - 1)), 0.0, 1.0)
    date = np.where(precise, date, np.minimum(date, 0.5))
    country = recs["country"].to_numpy(dtype=object)
    same = pd.notna(country[i]) & pd.notna(country[j]) & (country[i] == country[j])
    country_score = np.where(same, 1.0, NAME_UNKNOWN)
    by_place = WEIGHTS["name"] * name + WEIGHTS["date"] * date + WEIGHTS["country"] * country_score
    admin1 = recs["admin1"].to_numpy(dtype=object)
    one_state = pd.notna(admin1[i]) & pd.notna(admin1[j]) & (admin1[i] == admin1[j])
    source = recs["source"].to_numpy(dtype=object)
    twin = (source[i] == source[j]) & (gap == 0) & (name >= SAME_PLACE)
    toll, words = _other_evidence(recs, i, j, one_state | twin)
    by_evidence = np.where(
        one_state,
        EVIDENCE["date"] * date
        + EVIDENCE["country"] * same
        + EVIDENCE["admin1"]
        + EVIDENCE["toll"] * np.nan_to_num(toll)
        + EVIDENCE["words"] * words,
        0.0,
    )
    out: pd.DataFrame = pairs.assign(
        name=name,
        date=date,
        country=country_score,
        toll=toll,
        words=words,
        score=np.maximum(by_place, by_evidence),
        gap_days=gap,
        precise=precise,
        one_state=one_state,
    )
    return out


def _other_evidence(
    recs: pd.DataFrame, i: np.ndarray, j: np.ndarray, where: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per pair (where asked): how alike the tolls are (NaN: nothing in common, or not
    asked) and the share of title words (venue, event) in common."""
    toll = np.full(len(i), np.nan)
    shared = np.zeros(len(i))
    at = np.flatnonzero(where)
    if len(at) == 0:
        return toll, shared
    tolls = recs["toll"].tolist()
    titles = recs["title"].to_numpy(dtype=object)
    words = {r: _words(titles[r]) for r in np.unique(np.r_[i[at], j[at]])}
    for k in at:
        a, b = int(i[k]), int(j[k])
        alike, _ = _toll(tolls[a], tolls[b])
        if alike is not None:
            toll[k] = alike
        smaller = min(len(words[a]), len(words[b]))
        shared[k] = len(words[a] & words[b]) / smaller if smaller else 0.0
    return toll, shared


def explain(recs: pd.DataFrame, scored: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """What the scores of the pairs at ``rows`` (positions in ``scored``) rest on: how
    alike the places are, the days apart, country and state, the tolls, shared words."""
    tolls = recs["toll"].tolist()
    admin1 = recs["admin1"].to_numpy(dtype=object)
    titles = recs["title"].to_numpy(dtype=object)
    seen: dict[int, frozenset[str]] = {}

    def words(r: int) -> frozenset[str]:
        if r not in seen:
            seen[r] = _words(titles[r])
        return seen[r]

    i, j = scored["i"].to_numpy()[rows], scored["j"].to_numpy()[rows]
    name = scored["name"].to_numpy()[rows]
    gap = scored["gap_days"].to_numpy()[rows]
    one_state = scored["one_state"].to_numpy()[rows]
    same_country = scored["country"].to_numpy()[rows] == 1.0
    out = []
    for k in range(len(rows)):
        a, b = int(i[k]), int(j[k])
        parts = [f"places {name[k]:.2f}", "same day" if gap[k] == 0 else f"{gap[k]} days apart"]
        if one_state[k]:
            parts.append(f"same state {admin1[a]}")
        elif same_country[k]:
            parts.append("same country")
        _, toll_why = _toll(tolls[a], tolls[b])
        common = words(a) & words(b)
        words_why = f"shared words: {', '.join(sorted(common))}" if common else ""
        parts += [w for w in (toll_why, words_why) if w]
        out.append("; ".join(parts))
    return out

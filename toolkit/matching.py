"""Matching incidents across sources that share no incident key.

Each source's incident (its own key) becomes one record: country, place name and event
dates. Candidate pairs are only those in the same country (or one of them unknown) whose
dates lie within ``compare.match_days`` of each other (blocking: never all pairs). Each
candidate gets a score from place-name similarity (rapidfuzz), date overlap and country;
within each pair of sources, pairs are accepted best first, one to one. A pair scoring
at least ``compare.match_threshold`` is a match; a lower best candidate is a finding for
a person to decide, never a silent merge. Two incidents of one source that look like one
(one row per perpetrator, say) are reported too, and not merged. A crosswalk file in the
suite (``crosswalk: crosswalk.csv`` with columns source, incident, match) overrides all
of it: a row with an empty match keeps that incident apart.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit import figures as ft
from toolkit import findings as fd
from toolkit.errors import InputError
from toolkit.suite import Suite, suite_for

CROSSWALK_COLUMNS = (
    "source",
    "incident",
    "match",
    "status",
    "score",
    "candidate_source",
    "candidate_incident",
    "country",
    "location",
    "event_start",
    "event_end",
    "origin_file",
    "origin_row",
)
# Weights of the score; a pair lacking a place name on either side scores its name as
# NAME_UNKNOWN, so it can never pass the threshold on dates alone.
WEIGHTS = {"name": 0.6, "date": 0.3, "country": 0.1}
NAME_UNKNOWN = 0.5
UNCERTAIN_FLOOR = 0.6  # best candidates scoring below this are not worth a person's time
SAME_SOURCE = 0.85  # one source's incidents on one day with places this alike: listed twice?
_WORDS = re.compile(r"[^\w]+")
_NOISE = frozenset(
    [
        *("al", "el", "ar", "as", "ad", "an", "ash", "at", "az", "the", "of", "in", "near"),
        *("on", "town", "city", "village", "district", "sub", "division", "governorate"),
        *("province", "region", "area", "camp", "port"),
    ]
)
_VOWELS = re.compile(r"(?<=.)[aeiouyw]+")
_DOUBLES = re.compile(r"(.)\1+")


def normalise_place(text: object) -> str:
    """A place name reduced for comparison: lower case, accents and punctuation removed,
    filler words ("al", "town", "near") dropped.

    >>> normalise_place("Al-Qaryatayn, Homs"), normalise_place("Bhāndāria town")
    ('qaryatayn homs', 'bhandaria')
    """
    if not isinstance(text, str):
        return ""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    words = [w for w in _WORDS.split(plain.replace("_", " ")) if w and w not in _NOISE]
    return " ".join(words)


def skeleton(word: str) -> str:
    """The consonants of a word, doubles collapsed: transliterations of one Arabic or
    Pashto name mostly differ in their vowels ("Qaryatayn" / "Qaryatain", "Kunduz" /
    "Kondoz", "Hodeidah" / "Hudaydah").

    >>> skeleton("qaryatayn"), skeleton("qaryatain"), skeleton("hodeidah"), skeleton("hudaydah")
    ('qrtn', 'qrtn', 'hdh', 'hdh')
    """
    return _DOUBLES.sub(r"\1", _VOWELS.sub("", word))


@dataclass(frozen=True)
class _Place:
    tokens: tuple[str, ...]
    skeletons: tuple[str, ...]
    primary: str  # the first comma-separated part: usually the most specific place
    primary_skeleton: str


def _place(text: object) -> _Place | None:
    normal = normalise_place(text)
    if not normal or not isinstance(text, str):
        return None
    tokens = tuple(normal.split())
    primary = normalise_place(text.split(",")[0]) or normal
    return _Place(
        tokens,
        tuple(skeleton(t) for t in tokens),
        primary,
        " ".join(skeleton(t) for t in primary.split()),
    )


def place_similarity(a: object, b: object) -> float | None:
    """How alike two place names are, in [0, 1] (None when either is missing).

    The better of two readings: the first parts compared whole ("Al-Qaryatayn, Homs" vs
    "Qaryatain"), and every word matched to its most alike word on the other side, from
    both sides, keeping the weaker side (so "Homs city" is not "Al-Qaryatayn, Homs" just
    because one word is shared). Words compare by letters and by consonant skeleton.

    >>> round(place_similarity("Al-Qaryatayn, Homs", "Qaryatain"), 2)
    1.0
    >>> place_similarity("Homs city", "Al-Qaryatayn, Homs") < 0.6
    True
    """
    pa, pb = (x if isinstance(x, _Place) else _place(x) for x in (a, b))
    if pa is None or pb is None:
        return None
    from rapidfuzz import fuzz

    def word(x: str, y: str, sx: str, sy: str) -> float:
        skel = fuzz.ratio(sx, sy) if min(len(sx), len(sy)) >= 2 else 0.0
        return max(fuzz.ratio(x, y), skel) / 100.0

    def side(p: _Place, q: _Place) -> float:
        total = sum(len(t) for t in p.tokens)
        got = sum(
            len(t) * max(word(t, u, st, su) for u, su in zip(q.tokens, q.skeletons, strict=True))
            for t, st in zip(p.tokens, p.skeletons, strict=True)
        )
        return got / total

    first = max(
        fuzz.ratio(pa.primary, pb.primary),
        fuzz.ratio(pa.primary_skeleton, pb.primary_skeleton),
    )
    return max(first / 100.0, min(side(pa, pb), side(pb, pa)))


@dataclass(frozen=True)
class Matching:
    """Proposed assignment of each source's incidents to shared incidents.

    Attributes
    ----------
    crosswalk
        One row per source and incident key: the proposed shared ``match`` id (missing
        where it stays on its own), ``status`` (``matched``, ``uncertain``,
        ``listed twice?``, ``unmatched``, ``crosswalk``), the score and the best candidate.
        Written by ``crosscheck match`` for a person to review, and read back as a suite's
        crosswalk file.
    pairs
        Every candidate pair that passed blocking, with its score and its parts.
    findings
        Uncertain matches and possible double listings (``discrepancy`` findings).
    """

    crosswalk: pd.DataFrame
    pairs: pd.DataFrame
    findings: pd.DataFrame
    suite: Suite = field(repr=False)

    def apply(self, figures: pd.DataFrame) -> pd.DataFrame:
        """The figures with each matched incident key replaced by its shared match id;
        the source's own key is kept in ``source_incident``."""
        walk = self.crosswalk.dropna(subset=["match"])
        key = pd.MultiIndex.from_frame(walk[["source", "incident"]].astype("str"))
        match = pd.Series(walk["match"].to_numpy(), index=key)
        rows = pd.MultiIndex.from_frame(figures[["source", "incident"]].astype("str"))
        new = match.reindex(rows).to_numpy()
        out = figures.copy()
        out["source_incident"] = figures["incident"]
        out["incident"] = pd.Series(
            np.where(pd.isna(new), figures["incident"].to_numpy(dtype=object), new),
            index=figures.index,
            dtype="str",
        )
        out.attrs = dict(figures.attrs)
        return out

    def scores(self) -> dict[str, float]:
        """Counts by status (for a summary)."""
        return {str(k): int(v) for k, v in self.crosswalk["status"].value_counts().items()}


def records(figures: pd.DataFrame) -> pd.DataFrame:
    """One row per (source, incident): country, place name, event dates (the dates of
    the reports where the export gives no event dates)."""
    f = ft.conform(figures)
    start = f["event_start"].fillna(f["reported_on"])
    end = f["event_end"].fillna(f["event_start"]).fillna(f["reported_on"])
    df = pd.DataFrame(
        {
            "source": f["source"],
            "incident": f["incident"],
            "country": f["country"],
            "location": f["location"],
            "event_start": start,
            "event_end": end,
            "origin_file": f["origin_file"],
            "origin_row": f["origin_row"],
        }
    ).dropna(subset=["source", "incident"])
    out = df.groupby(["source", "incident"], sort=True, dropna=False).agg(
        country=("country", "first"),
        location=("location", "first"),
        event_start=("event_start", "min"),
        event_end=("event_end", "max"),
        origin_file=("origin_file", "first"),
        origin_row=("origin_row", "min"),
    )
    return out.reset_index()


def _crosswalk_file(path: str) -> dict[tuple[str, str], str | None]:
    try:
        table = pd.read_csv(path, dtype="str", keep_default_na=False)
    except (OSError, ValueError) as e:
        raise InputError(f"cannot read the crosswalk: {e}", path=path) from e
    missing = [c for c in ("source", "incident", "match") if c not in table.columns]
    if missing:
        raise InputError(
            f"the crosswalk needs columns source, incident, match; missing {missing}",
            path=path,
            line=1,
        )
    return {
        (source, incident): match or None
        for source, incident, match in zip(
            table["source"], table["incident"], table["match"], strict=True
        )
    }


def candidates(recs: pd.DataFrame, days: float) -> pd.DataFrame:
    """Candidate pairs (i < j, positions in ``recs``) by blocking: a shared day within
    ``days`` of each other's event dates, and the same country where both are known."""
    start = recs["event_start"].to_numpy(dtype="datetime64[D]")
    end = recs["event_end"].to_numpy(dtype="datetime64[D]")
    ok = ~np.isnat(start)
    idx = np.flatnonzero(ok)
    if len(idx) < 2:
        return pd.DataFrame({"i": [], "j": []}, dtype=np.int64)
    first = start[idx].astype(np.int64)
    # an event's days, capped so that a months-long campaign does not explode the pairs
    last = np.minimum(np.maximum(end[idx].astype(np.int64), first), first + 400)
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
    country = recs["country"].to_numpy(dtype=object)
    ci, cj = country[pairs["i"].to_numpy()], country[pairs["j"].to_numpy()]
    known = pd.notna(ci) & pd.notna(cj)
    kept: pd.DataFrame = pairs[~known | (ci == cj)].reset_index(drop=True)
    return kept


def score(recs: pd.DataFrame, pairs: pd.DataFrame, days: float) -> pd.DataFrame:
    """Score candidate pairs: place-name similarity, date gap and country, in [0, 1]."""
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    places = [_place(x) for x in recs["location"]]
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
    total = WEIGHTS["name"] * name + WEIGHTS["date"] * date + WEIGHTS["country"] * country_score
    out: pd.DataFrame = pairs.assign(
        name=name, date=date, country=country_score, score=total, gap_days=gap, precise=precise
    )
    return out


def match(
    figures: pd.DataFrame, suite: str | Path | Suite | None = None, threshold: float | None = None
) -> Matching:
    """Propose which incidents of different sources are the same incident.

    Parameters
    ----------
    figures
        A figures table whose sources use their own incident keys.
    suite
        Its ``compare.match_threshold`` and ``compare.match_days``, and its crosswalk
        file (which overrides every proposal). By default the suite the table was read
        with.
    threshold
        Overrides the suite's match threshold.

    Examples
    --------
    >>> import toolkit as cc
    >>> m = cc.match(cc.read("fixtures/matching"))
    >>> m.scores()["matched"], m.scores()["listed twice?"]
    (20, 1)
    """
    the_suite = suite_for(figures, suite)
    cut = float(threshold if threshold is not None else the_suite.compare["match_threshold"])
    days = float(the_suite.compare["match_days"])
    recs = records(figures)
    # the reviewed crosswalk: (source, incident) -> shared id, None keeping it apart
    fixed = _crosswalk_file(the_suite.crosswalk) if the_suite.crosswalk else {}
    keys = list(zip(recs["source"].astype("str"), recs["incident"].astype("str"), strict=True))
    scored = score(recs, candidates(recs, days), days)
    src = recs["source"].to_numpy(dtype=object)
    same_source = src[scored["i"].to_numpy()] == src[scored["j"].to_numpy()]
    is_fixed = np.array([key in fixed for key in keys], dtype=bool)
    free = ~is_fixed[scored["i"].to_numpy()] & ~is_fixed[scored["j"].to_numpy()]
    cross = scored[~same_source & free].sort_values(
        ["score", "i", "j"], ascending=[False, True, True], kind="stable"
    )
    # Best first, one to one within each pair of sources.
    taken: set[tuple[int, Any]] = set()
    accepted: list[tuple[int, int, float]] = []
    best: dict[int, tuple[float, int]] = {}
    for i, j, s in zip(cross["i"], cross["j"], cross["score"], strict=True):
        for a, b in ((i, j), (j, i)):
            if a not in best or s > best[a][0]:
                best[a] = (float(s), int(b))
        if s < cut:
            continue
        if (i, src[j]) in taken or (j, src[i]) in taken:
            continue
        taken.add((i, src[j]))
        taken.add((j, src[i]))
        accepted.append((int(i), int(j), float(s)))

    parent = list(range(len(recs)))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, _ in accepted:
        parent[root(i)] = root(j)
    cluster = np.array([root(x) for x in range(len(recs))], dtype=np.int64)
    size = np.bincount(cluster, minlength=len(recs))

    n = len(recs)
    status = np.full(n, "unmatched", dtype=object)
    best_score = np.full(n, np.nan)
    other = np.full(n, -1, dtype=np.int64)
    if best:
        at = np.fromiter(best.keys(), dtype=np.int64, count=len(best))
        best_score[at] = [best[int(r)][0] for r in at]
        other[at] = [best[int(r)][1] for r in at]
    status[best_score >= UNCERTAIN_FLOOR] = "uncertain"
    matched = size[cluster] > 1
    status[matched] = "matched"
    ids = _match_ids(recs, cluster, matched)

    # one source's two rows for one incident: same precise day, places nearly the same
    twice = scored[
        same_source
        & free
        & (scored["gap_days"] == 0)
        & scored["precise"].to_numpy()
        & (scored["name"] >= SAME_SOURCE)
    ]
    for i, j, s in zip(twice["i"], twice["j"], twice["score"], strict=True):
        for a, b in ((i, j), (j, i)):
            if status[a] in ("unmatched", "uncertain"):
                status[a], best_score[a], other[a] = "listed twice?", s, b
    for r in np.flatnonzero(is_fixed):
        ids[r], status[r] = fixed[keys[r]], "crosswalk"
    has = other >= 0
    walk = recs.copy()
    walk["match"] = pd.array(ids, dtype="str")
    walk["status"] = pd.array(status, dtype="str")
    walk["score"] = best_score
    candidate_source = np.full(n, None, dtype=object)
    candidate_incident = np.full(n, None, dtype=object)
    candidate_source[has] = recs["source"].to_numpy(dtype=object)[other[has]]
    candidate_incident[has] = recs["incident"].astype("str").to_numpy(dtype=object)[other[has]]
    walk["candidate_source"] = pd.array(candidate_source, dtype="str")
    walk["candidate_incident"] = pd.array(candidate_incident, dtype="str")
    walk["incident"] = walk["incident"].astype("str")
    walk = walk[list(CROSSWALK_COLUMNS)]
    return Matching(
        crosswalk=walk.reset_index(drop=True),
        pairs=_pairs_table(recs, scored),
        findings=_findings(walk, the_suite, cut),
        suite=the_suite,
    )


def _match_ids(recs: pd.DataFrame, cluster: np.ndarray, matched: np.ndarray) -> np.ndarray:
    """Readable shared ids: country, first day and place of the cluster's first record
    (by date, source, key); a repeated id gets a suffix."""
    ids = np.full(len(recs), None, dtype=object)
    members = np.flatnonzero(matched)
    if len(members) == 0:
        return ids
    sub = recs.iloc[members].assign(_cluster=cluster[members], _pos=members)
    sub = sub.sort_values(["_cluster", "event_start", "source", "incident"], kind="stable")
    heads = sub.drop_duplicates("_cluster")
    names = []
    for head in heads.itertuples(index=False):
        day = _day(head.event_start).replace("no date", "")
        place = normalise_place(head.location).replace(" ", "-")[:32]
        country = head.country if isinstance(head.country, str) else "XXX"
        names.append("-".join(p for p in (country, day, place) if p))
    name_of = pd.Series(names, index=heads["_cluster"].to_numpy())
    counts = name_of.groupby(name_of).cumcount() + 1
    name_of = name_of.where(counts == 1, name_of + "-" + counts.astype(str))
    ids[sub["_pos"].to_numpy()] = name_of.loc[sub["_cluster"].to_numpy()].to_numpy()
    return ids


def _pairs_table(recs: pd.DataFrame, scored: pd.DataFrame) -> pd.DataFrame:
    i, j = scored["i"].to_numpy(), scored["j"].to_numpy()
    return pd.DataFrame(
        {
            "source_a": recs["source"].to_numpy()[i],
            "incident_a": recs["incident"].astype("str").to_numpy()[i],
            "source_b": recs["source"].to_numpy()[j],
            "incident_b": recs["incident"].astype("str").to_numpy()[j],
            "score": scored["score"].to_numpy(),
            "name": scored["name"].to_numpy(),
            "date": scored["date"].to_numpy(),
            "country": scored["country"].to_numpy(),
            "gap_days": scored["gap_days"].to_numpy(),
        }
    ).sort_values("score", ascending=False, ignore_index=True)


def _findings(walk: pd.DataFrame, suite: Suite, cut: float) -> pd.DataFrame:
    rows = []
    for r in walk.itertuples(index=False):
        if r.status == "uncertain":
            rows.append(
                {
                    "kind": "discrepancy",
                    "rule": "uncertain incident match",
                    "severity": suite.severity.get("uncertain-match", "warning"),
                    "incident": r.incident,
                    "source": r.source,
                    "origin_file": r.origin_file,
                    "origin_row": r.origin_row,
                    "column": "location",
                    "observed": f"{r.score:.2f}",
                    "expected": f">= {cut:.2f}",
                    "message": f"{r.source} {r.incident} ({r.location}, "
                    f"{_day(r.event_start)}) may be {r.candidate_source} {r.candidate_incident} "
                    f"(score {r.score:.2f}); not merged: confirm in the crosswalk",
                }
            )
        elif r.status == "listed twice?":
            rows.append(
                {
                    "kind": "discrepancy",
                    "rule": "incident listed twice",
                    "severity": suite.severity.get("listed-twice", "info"),
                    "incident": r.incident,
                    "source": r.source,
                    "origin_file": r.origin_file,
                    "origin_row": r.origin_row,
                    "column": "incident",
                    "observed": f"{r.score:.2f}",
                    "expected": "one row per incident",
                    "message": f"{r.source} lists {r.incident} and {r.candidate_incident} at "
                    f"{r.location} on {_day(r.event_start)}: one incident listed twice (one row "
                    "per party, say)? Not merged: confirm in the crosswalk",
                }
            )
    return fd.from_records(rows)


def _day(value: object) -> str:
    return (
        pd.Timestamp(value).strftime("%Y-%m-%d") if isinstance(value, pd.Timestamp) else "no date"
    )

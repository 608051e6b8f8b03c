"""Link stage: which incidents of different sources are the same incident.

Sources rarely share incident keys. Each source's incident (its own key) becomes one
record: country, place name and event dates. Candidate pairs are only those in the same
country (or one of them unknown) whose dates lie within ``compare.match_days`` of each
other (blocking: never all pairs). Each candidate gets a score from place-name similarity
(``places``), date overlap and country; within each pair of sources, pairs are accepted
best first, one to one. A pair scoring at least ``compare.match_threshold`` is a match; a
lower best candidate is a finding for a person to decide, never a silent merge. Two
incidents of one source that look like one (one row per perpetrator, say) are reported
too, and not merged. A crosswalk file in the suite (``crosswalk: crosswalk.csv`` with
columns source, incident, match) overrides all of it: a row with an empty match keeps
that incident apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.errors import CrosscheckError
from toolkit.linking.places import normalise_place, place, place_similarity, skeleton
from toolkit.model import figures as ft
from toolkit.model import findings as fd
from toolkit.model.vocabulary import FAMILIES
from toolkit.suite import Suite, suite_for
from toolkit.suite.crosswalk import read_crosswalk
from toolkit.suite.loading import LINK_MODES

__all__ = [
    "LINK_MODES",
    "Linked",
    "Matching",
    "link_figures",
    "match",
    "normalise_place",
    "place_similarity",
    "skeleton",
]

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
        Uncertain matches and possible double listings (``link`` findings).
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
    places = [place(x) for x in recs["location"]]
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
    cut = float(threshold if threshold is not None else the_suite.compare.match_threshold)
    days = the_suite.compare.match_days
    recs = records(figures)
    # the reviewed crosswalk: (source, incident) -> shared id, None keeping it apart
    fixed = read_crosswalk(the_suite.crosswalk) if the_suite.crosswalk else {}
    keys = list(zip(recs["source"].astype("str"), recs["incident"].astype("str"), strict=True))
    scored = score(recs, candidates(recs, days), days)
    src = recs["source"].to_numpy(dtype=object)
    same_source = src[scored["i"].to_numpy()] == src[scored["j"].to_numpy()]
    is_fixed = np.array([key in fixed for key in keys], dtype=bool)
    free = ~is_fixed[scored["i"].to_numpy()] & ~is_fixed[scored["j"].to_numpy()]
    accepted, best = _accept(scored[~same_source & free], src, cut)
    cluster = _clusters(len(recs), accepted)
    size = np.bincount(cluster, minlength=len(recs))
    status, best_score, other = _statuses(len(recs), best, size[cluster] > 1)
    ids = _match_ids(recs, cluster, size[cluster] > 1)
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
    walk = _crosswalk(recs, ids, status, best_score, other)
    return Matching(
        crosswalk=walk,
        pairs=_pairs_table(recs, scored),
        findings=_findings(walk, the_suite, cut),
        suite=the_suite,
    )


def _accept(
    cross: pd.DataFrame, src: np.ndarray, cut: float
) -> tuple[list[tuple[int, int, float]], dict[int, tuple[float, int]]]:
    """Pairs of different sources accepted best first, one to one within each pair of
    sources; and each record's best candidate (score, other record)."""
    cross = cross.sort_values(["score", "i", "j"], ascending=[False, True, True], kind="stable")
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
    return accepted, best


def _clusters(n: int, accepted: list[tuple[int, int, float]]) -> np.ndarray:
    """Each record's cluster (a representative record) after joining the accepted pairs."""
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, _ in accepted:
        parent[root(i)] = root(j)
    return np.array([root(x) for x in range(n)], dtype=np.int64)


def _statuses(
    n: int, best: dict[int, tuple[float, int]], matched: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per record: status (matched, uncertain, unmatched), best score and candidate."""
    status = np.full(n, "unmatched", dtype=object)
    best_score = np.full(n, np.nan)
    other = np.full(n, -1, dtype=np.int64)
    if best:
        at = np.fromiter(best.keys(), dtype=np.int64, count=len(best))
        best_score[at] = [best[int(r)][0] for r in at]
        other[at] = [best[int(r)][1] for r in at]
    status[best_score >= UNCERTAIN_FLOOR] = "uncertain"
    status[matched] = "matched"
    return status, best_score, other


def _crosswalk(
    recs: pd.DataFrame,
    ids: np.ndarray,
    status: np.ndarray,
    best_score: np.ndarray,
    other: np.ndarray,
) -> pd.DataFrame:
    n = len(recs)
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
    return walk[list(CROSSWALK_COLUMNS)].reset_index(drop=True)


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
        where = normalise_place(head.location).replace(" ", "-")[:32]
        country = head.country if isinstance(head.country, str) else "XXX"
        names.append("-".join(p for p in (country, day, where) if p))
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
                    **_link_finding("uncertain-match", r, suite),
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
                    **_link_finding("listed-twice", r, suite),
                    "column": "incident",
                    "observed": f"{r.score:.2f}",
                    "expected": "one row per incident",
                    "message": f"{r.source} lists {r.incident} and {r.candidate_incident} at "
                    f"{r.location} on {_day(r.event_start)}: one incident listed twice (one row "
                    "per party, say)? Not merged: confirm in the crosswalk",
                }
            )
    return fd.from_records(rows)


def _link_finding(code: str, r: Any, suite: Suite) -> dict[str, Any]:
    family = FAMILIES[code]
    return {
        "kind": family.kind.value,
        "code": code,
        "rule": family.title,
        "severity": suite.severity.get(code, family.severity.value),
        "incident": r.incident,
        "source": r.source,
        "origin_file": r.origin_file,
        "origin_row": r.origin_row,
    }


def _day(value: object) -> str:
    return (
        pd.Timestamp(value).strftime("%Y-%m-%d") if isinstance(value, pd.Timestamp) else "no date"
    )


# --- the stage -------------------------------------------------------------------------


@dataclass(frozen=True)
class Linked:
    """What the link stage gave: the figures under shared incident keys (each source's
    own key kept in ``source_incident``), and the matching behind them (None when nothing
    was linked)."""

    figures: pd.DataFrame
    matching: Matching | None = None


def link_figures(figures: pd.DataFrame, suite: Suite, mode: str = "none") -> Linked:
    """Link incidents across sources: ``none`` keeps each source's keys; ``crosswalk``
    applies only the suite's reviewed crosswalk; ``auto`` applies matching's proposals at
    or above the threshold, with the reviewed crosswalk overriding them."""
    if mode not in LINK_MODES:
        raise CrosscheckError(f"unknown link mode {mode!r}; choose one of {', '.join(LINK_MODES)}")
    if mode == "none" or (mode == "crosswalk" and not suite.crosswalk):
        return Linked(figures)
    if mode == "crosswalk":
        fixed = read_crosswalk(suite.crosswalk or "")
        walk = pd.DataFrame(
            [(s, i, m, "crosswalk") for (s, i), m in fixed.items()],
            columns=["source", "incident", "match", "status"],
        )
        matching = Matching(walk, pd.DataFrame(), fd.empty(), suite)
        return Linked(matching.apply(figures), matching)
    matching = match(figures, suite)
    return Linked(matching.apply(figures), matching)

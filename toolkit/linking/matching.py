"""Matching: which incidents of different sources are the same, proposed pair by pair.

Within each pair of sources, candidate pairs (``evidence``) are accepted best first, one to
one. A pair scoring at least ``compare.match_threshold`` is a match; a lower best candidate
is a finding for a person to decide, never a silent merge. Two incidents of one source
that look like one — the same place and day and more (the same toll, the same title
words) — are reported too, and not merged. A reviewed crosswalk in the suite overrides all
of it, and is written back as it was reviewed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.linking.evidence import SAME_PLACE, candidates, explain, records, score
from toolkit.linking.findings import day_text, link_findings
from toolkit.linking.places import normalise_place
from toolkit.model.derived import derive_wholes
from toolkit.suite import Suite, suite_for
from toolkit.suite.crosswalk import crosswalk_links, read_crosswalk_table

CROSSWALK_COLUMNS = (
    "source",
    "incident",
    "match",
    "status",
    "score",
    "why",
    "candidate_source",
    "candidate_incident",
    "country",
    "admin1",
    "location",
    "title",
    "event_start",
    "event_end",
    "origin_file",
    "origin_row",
)
UNCERTAIN_FLOOR = 0.6  # best candidates scoring below this are not worth a person's time


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
    reviewed: pd.DataFrame | None = field(default=None, repr=False)

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
        # the score of an automatic link (none where a person's crosswalk row decided)
        proposed = walk[walk["status"] == "matched"] if "score" in walk else walk.iloc[:0]
        score = pd.Series(
            proposed["score"].to_numpy(dtype="float64") if len(proposed) else [],
            index=pd.MultiIndex.from_frame(proposed[["source", "incident"]].astype("str")),
        )
        out["link_score"] = score.reindex(rows).to_numpy() if len(score) else np.nan
        out["incident"] = pd.Series(
            np.where(pd.isna(new), figures["incident"].to_numpy(dtype=object), new),
            index=figures.index,
            dtype="str",
        )
        return out

    def scores(self) -> dict[str, float]:
        """Counts by status (for a summary)."""
        return {str(k): int(v) for k, v in self.crosswalk["status"].value_counts().items()}

    def summary(self) -> str:
        """The counts by status in a few words ("42 matched, 33 unmatched")."""
        return ", ".join(f"{n} {s}" for s, n in sorted(self.scores().items()))

    def to_review(self) -> pd.DataFrame:
        """The crosswalk a person reviews: the suite's reviewed rows exactly as they are in
        its file, then every other proposal (scores to two decimals)."""
        proposals = self.crosswalk[self.crosswalk["status"] != "crosswalk"].copy()
        proposals["score"] = proposals["score"].round(2)
        if self.reviewed is None:
            return proposals.reset_index(drop=True)
        extra = [c for c in self.reviewed.columns if c not in CROSSWALK_COLUMNS]
        columns = [*CROSSWALK_COLUMNS, *extra]
        reviewed = self.reviewed.reindex(columns=columns, fill_value="")
        return pd.concat([reviewed, proposals.reindex(columns=columns)], ignore_index=True)


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
    return match_records(incident_records(figures, the_suite), the_suite, threshold)


def incident_records(figures: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """What matching knows of each (source, incident): its place, dates and toll (wholes
    derived from parts included). Each record needs only its own incident's figures, so
    records of figures split by (source, incident) can be computed part by part."""
    return records(_with_wholes(figures, suite))


def match_records(recs: pd.DataFrame, the_suite: Suite, threshold: float | None = None) -> Matching:
    """:func:`match` on incident records (:func:`incident_records`)."""
    days = the_suite.compare.match_days
    return match_scored(recs, score(recs, candidates(recs, days), days), the_suite, threshold)


def match_scored(
    recs: pd.DataFrame,
    scored: pd.DataFrame,
    the_suite: Suite,
    threshold: float | None = None,
    complete: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> Matching:
    """:func:`match` on candidate pairs scored already (``scored``: :func:`score`'s
    columns, ``i`` and ``j`` positions in ``recs``). Where ``scored`` has a ``why`` column
    (what each pair rests on, at least for every record's best candidate), ``recs`` needs
    only the crosswalk's columns (tolls and titles are not read); ``complete`` then turns
    the crosswalk of these records into the whole one (see :func:`crosswalk_rows`)."""
    cut = float(threshold if threshold is not None else the_suite.compare.match_threshold)
    # the reviewed crosswalk: (source, incident) -> shared id, None keeping it apart
    reviewed = read_crosswalk_table(the_suite.crosswalk) if the_suite.crosswalk else None
    fixed = crosswalk_links(reviewed) if reviewed is not None else {}
    keys = list(zip(recs["source"].astype("str"), recs["incident"].astype("str"), strict=True))
    src = recs["source"].to_numpy(dtype=object)
    same_source = src[scored["i"].to_numpy()] == src[scored["j"].to_numpy()]
    is_fixed = np.array([key in fixed for key in keys], dtype=bool)
    free = ~is_fixed[scored["i"].to_numpy()] & ~is_fixed[scored["j"].to_numpy()]
    accepted, best = _accept(scored[~same_source & free], src, cut)
    cluster = _clusters(len(recs), accepted)
    size = np.bincount(cluster, minlength=len(recs))
    status, best_score, other = _statuses(len(recs), best, size[cluster] > 1)
    ids = _match_ids(recs, cluster, size[cluster] > 1)
    twice = scored[same_source & free & listed_twice(scored)]
    for i, j, s in zip(twice["i"], twice["j"], twice["score"], strict=True):
        for a, b in ((i, j), (j, i)):
            if status[a] in ("unmatched", "uncertain"):
                status[a], best_score[a], other[a] = "listed twice?", s, b
    for r in np.flatnonzero(is_fixed):
        ids[r], status[r] = fixed[keys[r]], "crosswalk"
    walk = _crosswalk(recs, ids, status, best_score, other, _why_of(recs, scored, other))
    if complete is not None:
        walk = complete(walk)
    return Matching(
        crosswalk=walk,
        pairs=_pairs_table(recs, scored),
        findings=link_findings(walk, the_suite, cut),
        suite=the_suite,
        reviewed=reviewed,
    )


def listed_twice(scored: pd.DataFrame) -> np.ndarray:
    """Which pairs look like one incident listed twice, were they of one source: the same
    precise day, places nearly the same, and more: the same toll, or the same title words
    (one city has many shootings a day)."""
    more = (scored["toll"] > 0).to_numpy() | (scored["words"] >= 0.5).to_numpy()
    twice: np.ndarray = (
        (scored["gap_days"] == 0).to_numpy()
        & scored["precise"].to_numpy(dtype=bool)
        & (scored["name"] >= SAME_PLACE).to_numpy()
        & more
    )
    return twice


DECIDED = ("match", "status", "score", "why", "candidate_source", "candidate_incident")


def crosswalk_rows(
    recs: pd.DataFrame, decided: pd.DataFrame, fixed: dict[tuple[str, str], str | None]
) -> pd.DataFrame:
    """The crosswalk rows of ``recs`` (any of the records, a part of them): as ``decided``
    says (the crosswalk of the records that were in a candidate pair), else ``crosswalk``
    where the reviewed crosswalk (``fixed``) lists the record, else ``unmatched``."""
    pairs = list(zip(recs["source"].astype("str"), recs["incident"].astype("str"), strict=True))
    keys = pd.MultiIndex.from_tuples(pairs, names=["source", "incident"])
    at = pd.MultiIndex.from_arrays(
        [decided["source"].astype("str"), decided["incident"].astype("str")]
    )
    found = decided.set_axis(at)[list(DECIDED)].reindex(keys)
    out = {c: found[c].to_numpy(dtype=object) for c in DECIDED}
    for values in out.values():
        values[pd.isna(values)] = None
    known = at.get_indexer(keys) >= 0
    out["status"][~known] = "unmatched"
    for r in np.flatnonzero(~known):
        if pairs[r] in fixed:
            out["match"][r], out["status"][r] = fixed[pairs[r]], "crosswalk"
    return _walk(recs, out)


def _with_wholes(figures: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """The figures with the wholes their parts imply, so that a toll given as parts
    (civilians, police) meets the same toll given whole (victims)."""
    compare = suite.compare
    return derive_wholes(figures, suite.taxonomy, compare.about_tolerance, compare.match_days)


def _why_of(recs: pd.DataFrame, scored: pd.DataFrame, other: np.ndarray) -> np.ndarray:
    """Per record, what its pair with its best candidate rests on."""
    why = np.full(len(recs), None, dtype=object)
    has = np.flatnonzero(other >= 0)
    if scored.empty or len(has) == 0:
        return why
    position = pd.Series(
        np.arange(len(scored)),
        index=pd.MultiIndex.from_arrays([scored["i"].to_numpy(), scored["j"].to_numpy()]),
    )
    a = np.minimum(has, other[has])
    b = np.maximum(has, other[has])
    rows = position.reindex(pd.MultiIndex.from_arrays([a, b])).to_numpy()
    found = ~np.isnan(rows)
    at = rows[found].astype(np.int64)
    if "why" in scored:  # explained where the pairs were scored
        why[has[found]] = scored["why"].to_numpy(dtype=object)[at]
    else:
        why[has[found]] = explain(recs, scored, at)
    return why


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
    why: np.ndarray,
) -> pd.DataFrame:
    n = len(recs)
    has = other >= 0
    candidate_source = np.full(n, None, dtype=object)
    candidate_incident = np.full(n, None, dtype=object)
    candidate_source[has] = recs["source"].to_numpy(dtype=object)[other[has]]
    candidate_incident[has] = recs["incident"].astype("str").to_numpy(dtype=object)[other[has]]
    decided = {
        "match": ids,
        "status": status,
        "score": best_score,
        "why": why,
        "candidate_source": candidate_source,
        "candidate_incident": candidate_incident,
    }
    return _walk(recs, decided)


def _walk(recs: pd.DataFrame, decided: dict[str, np.ndarray]) -> pd.DataFrame:
    """The crosswalk: each record's columns (its toll aside) and what was decided of it."""
    walk = recs.drop(columns=["toll"], errors="ignore")
    for column in DECIDED:
        if column == "score":
            walk["score"] = np.asarray(decided["score"], dtype="float64")
        else:
            walk[column] = pd.array(decided[column], dtype="str")
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
        day = day_text(head.event_start).replace("no date", "")
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
            "toll": scored["toll"].to_numpy(),
            "words": scored["words"].to_numpy(),
            "gap_days": scored["gap_days"].to_numpy(),
        }
    ).sort_values("score", ascending=False, ignore_index=True)

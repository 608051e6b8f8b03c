"""Matching on the cluster: candidate pairs made and scored block by block on the
workers; the client gets the scored pairs only, and accepts them as the native engine does.

Each part's incident records (one row per source and incident) stay on the workers. Each
dated record is given its blocks (:func:`toolkit.linking.evidence.block_keys`: a place and a
window of days, so that two records the native blocking pairs meet in a block), and the
records are shuffled by block (a Dask shuffle): a block's records lie in one part. Each
part pairs and scores its records natively and keeps a pair only where the pair's own block
(:func:`toolkit.linking.evidence.pair_blocks`) is one of the part's, so a pair met in two
blocks is scored once. The pairs come back with what the client needs to accept them best
first, one to one, and to name the shared incidents (each side's key, country, place and
first day, and what the pair rests on where it may be a record's best candidate); the
crosswalk's rows are then made on the workers from each part's records and what was
decided, and gathered: the crosswalk is the run's result, as natively.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from toolkit.linking.evidence import block_keys, candidates, explain, pair_blocks, score
from toolkit.linking.matching import (
    DECIDED,
    Matching,
    crosswalk_rows,
    incident_records,
    listed_twice,
    match_scored,
)
from toolkit.on_dask.parts import Client, Future
from toolkit.suite import Suite
from toolkit.suite.crosswalk import crosswalk_links, read_crosswalk_table

Fixed = dict[tuple[str, str], str | None]
SIDE = ("source", "incident", "country", "location", "event_start")  # each side of a pair
SCORES = ("name", "date", "country", "toll", "words", "score", "gap_days", "precise")
RECORD = (
    *("source", "incident", "country", "admin1", "location", "title"),
    *("event_start", "event_end", "origin_file", "origin_row"),
)


def match_on_cluster(client: Client, parts: list[Future], suite: Suite) -> Matching:
    """The matching of ``auto`` linking, candidates scored on the cluster (module notes)."""
    reviewed = read_crosswalk_table(suite.crosswalk) if suite.crosswalk else None
    fixed = crosswalk_links(reviewed) if reviewed is not None else {}
    recs = client.map(incident_records, parts, suite=suite)
    pairs = scored_pairs(client, recs, suite, fixed)
    touched, scored = on_touched(pairs)

    def complete(walk: pd.DataFrame) -> pd.DataFrame:
        decided = client.scatter(walk[["source", "incident", *DECIDED]], broadcast=True)
        rows = client.gather(client.map(crosswalk_rows, recs, decided=decided, fixed=fixed))
        whole = pd.concat(rows, ignore_index=True)
        ordered: pd.DataFrame = whole.sort_values(["source", "incident"], kind="stable")
        return ordered.reset_index(drop=True)

    return match_scored(touched, scored, suite, complete=complete)


def scored_pairs(client: Client, recs: list[Future], suite: Suite, fixed: Fixed) -> pd.DataFrame:
    """Every candidate pair, scored on the cluster, once: one row per pair (``SIDE``
    columns ``_a`` and ``_b``, the scores and ``why``), gathered on the client."""
    import dask.dataframe as dd

    days = suite.compare.match_days
    places = pd.concat(client.gather(client.map(_places, recs)), ignore_index=True)
    places = places.drop_duplicates(ignore_index=True)
    blocked = client.map(_blocked, recs, days=days, places=places)
    meta = client.submit(_head, blocked[0]).result()
    frame = dd.from_delayed(blocked, meta=meta, verify_meta=False)
    moved = frame.shuffle("block", npartitions=max(1, len(recs)))
    found = client.map(_scored_part, client.compute(moved.to_delayed()), days=days, fixed=fixed)
    pairs = pd.concat(client.gather(found), ignore_index=True)
    order = ["source_a", "incident_a", "source_b", "incident_b"]
    ordered: pd.DataFrame = pairs.sort_values(order, kind="stable").reset_index(drop=True)
    return ordered


def on_touched(pairs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The records that are in a pair (what the pairs say of them: the crosswalk's columns,
    the others missing), sorted as the native records are; and the pairs with ``i`` and
    ``j`` their positions there."""
    sides = [pairs[[f"{c}_{s}" for c in SIDE]].set_axis(list(SIDE), axis=1) for s in ("a", "b")]
    touched = pd.concat(sides, ignore_index=True).drop_duplicates(["source", "incident"])
    touched = touched.sort_values(["source", "incident"], kind="stable", ignore_index=True)
    touched = touched.reindex(columns=list(RECORD))
    at = pd.Series(
        np.arange(len(touched)),
        index=pd.MultiIndex.from_frame(touched[["source", "incident"]].astype("str")),
    )
    scored = pd.DataFrame(
        {
            "i": at.reindex(_keys(pairs, "a")).to_numpy(dtype=np.int64),
            "j": at.reindex(_keys(pairs, "b")).to_numpy(dtype=np.int64),
            **{c: pairs[c].to_numpy() for c in (*SCORES, "one_state", "why")},
        }
    )
    return touched, scored


def _keys(pairs: pd.DataFrame, side: str) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays(
        [pairs[f"source_{side}"].astype("str"), pairs[f"incident_{side}"].astype("str")]
    )


# --- on the workers ----------------------------------------------------------------------


def _places(recs: pd.DataFrame) -> pd.DataFrame:
    """The part's distinct places (country, admin1)."""
    return recs[["country", "admin1"]].drop_duplicates(ignore_index=True)


def _head(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.head(0)


def _blocked(recs: pd.DataFrame, days: float, places: pd.DataFrame) -> pd.DataFrame:
    """A copy of each dated record per block it goes to (``block``), its toll as JSON
    text (a shuffle carries text, not dicts)."""
    keys = block_keys(recs, days, places)
    out = recs.iloc[keys["row"].to_numpy()].reset_index(drop=True)
    out["toll"] = pd.array([json.dumps(t, sort_keys=True) for t in out["toll"]], dtype="str")
    out["block"] = pd.array(keys["block"].to_numpy(dtype=object), dtype="str")
    return out


def _scored_part(part: pd.DataFrame, days: float, fixed: Fixed) -> pd.DataFrame:
    """The pairs of a part's blocks, scored: the part's records paired natively, each pair
    kept where its own block is one of the part's (so it is scored once, whichever blocks
    its records met in)."""
    blocks = set(part["block"].dropna().tolist())
    recs = part.drop(columns="block").drop_duplicates(["source", "incident"])
    recs = recs.sort_values(["source", "incident"], kind="stable", ignore_index=True)
    recs["toll"] = pd.Series([json.loads(t) for t in recs["toll"]], index=recs.index, dtype=object)
    pairs = candidates(recs, days)
    pairs = pairs[pair_blocks(recs, pairs, days).isin(blocks).to_numpy()].reset_index(drop=True)
    scored = score(recs, pairs, days)
    why = np.full(len(scored), None, dtype=object)
    rows = _to_explain(recs, scored, fixed)
    why[rows] = explain(recs, scored, rows)
    i, j = scored["i"].to_numpy(), scored["j"].to_numpy()
    out: dict[str, Any] = {}
    for side, at in (("a", i), ("b", j)):
        for c in SIDE:
            out[f"{c}_{side}"] = recs[c].to_numpy()[at]
    for c in (*SCORES, "one_state"):
        out[c] = scored[c].to_numpy()
    out["why"] = why
    return pd.DataFrame(out)


def _to_explain(recs: pd.DataFrame, scored: pd.DataFrame, fixed: Fixed) -> np.ndarray:
    """The pairs whose ``why`` the crosswalk may show: each record's best candidate of
    another source among the part's pairs (the best of all its pairs is the best of the
    part's that scored it), and one source's pairs that may be one incident listed
    twice; pairs with a record of the reviewed crosswalk aside, as natively."""
    i, j = scored["i"].to_numpy(), scored["j"].to_numpy()
    source = recs["source"].to_numpy(dtype=object)
    keys = zip(recs["source"].astype("str"), recs["incident"].astype("str"), strict=True)
    is_fixed = np.array([k in fixed for k in keys], dtype=bool)
    free = ~is_fixed[i] & ~is_fixed[j]
    cross = free & (source[i] != source[j])
    order = scored[cross].sort_values(["score", "i", "j"], ascending=[False, True, True])
    at = order.index.to_numpy()
    ends = pd.DataFrame(
        {"record": np.r_[order["i"].to_numpy(), order["j"].to_numpy()], "at": np.r_[at, at]}
    )
    rank = np.r_[np.arange(len(at)), np.arange(len(at))]
    best = ends.assign(rank=rank).sort_values(["rank"], kind="stable")
    chosen = best.drop_duplicates("record")["at"].to_numpy()
    twice = np.flatnonzero(free & (source[i] == source[j]) & listed_twice(scored))
    return np.union1d(chosen, twice).astype(np.int64)

"""Matching on the cluster (``--engine dask``, ``link: auto``): candidate pairs made and
scored block by block on the workers give the native crosswalk row for row and the same
scored pairs, on the fixtures and on two outlets' incidents split over many files (blocks
spanning the parts; records with no state, no country or no date among them), and the
client gets the scored pairs back, never the incident records."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import AQ, FIXTURES, REAL

import toolkit as cc
from toolkit import on_dask
from toolkit.linking.evidence import block_keys, candidates, pair_blocks, records
from toolkit.model import findings as fd

COLUMNS = list(fd.COLUMNS)
PAIR = ["source_a", "incident_a", "source_b", "incident_b"]


def rows(findings: pd.DataFrame) -> pd.DataFrame:
    out = findings[COLUMNS].astype("str")
    return out.sort_values(COLUMNS).reset_index(drop=True)


def pair_set(pairs: pd.DataFrame) -> pd.DataFrame:
    return pairs.sort_values(PAIR, ignore_index=True)


def same_matching(path: Path, client) -> on_dask.DaskRun:
    """The dask run's crosswalk, scored pairs and findings are the native ones."""
    native = cc.check(path, link="auto")
    run = on_dask.check(path, client=client, link="auto")
    try:
        alone = cc.match(cc.read(path))
        assert run.matching is not None
        pd.testing.assert_frame_equal(run.matching.crosswalk, alone.crosswalk)
        pd.testing.assert_frame_equal(pair_set(run.matching.pairs), pair_set(alone.pairs))
        pd.testing.assert_frame_equal(rows(run.findings.compute()), rows(native.findings))
        assert run.status_text() == native.comparison.status_text()
    finally:
        run.close()
    return run


@pytest.mark.parametrize(
    "fixture",
    [FIXTURES / "matching", FIXTURES / "linking", AQ, REAL, FIXTURES / "series",
     FIXTURES / "shapes", FIXTURES / "hostile", FIXTURES / "explaining"],
    ids=lambda p: p.name,
)  # fmt: skip
def test_every_fixture_gives_the_native_crosswalk_pairs_and_findings(client, fixture):
    """``explaining`` has a reviewed crosswalk (its records are never paired), ``shapes``
    no candidate pair, ``real`` one source's incidents listed twice."""
    same_matching(fixture, client)


# --- two outlets' incidents over many files ------------------------------------------------

STATES = {"SYR": ("SY-HM", "SY-ID", "SY-DI"), "IRQ": ("IQ-NI", "IQ-BG"), "YEM": ("YE-AD",)}
SYLLABLES = ("al", "qar", "ya", "tayn", "deir", "zor", "ra", "qqa", "mo", "sul", "ha", "ma")
HEADER = (
    "incident,source,measure,figure_text,reported_on,event_start,event_end,"
    "location,admin1,country,title"
)


def _quoted(value: object) -> str:
    text = "" if value is None else str(value)
    return f'"{text}"' if "," in text else text


def two_outlets(folder: Path, incidents: int = 300, files: int = 8, seed: int = 11) -> None:
    """Outlets A and B report the same ``incidents`` under their own keys: B spells the
    place its own way, dates it up to two days later, and may not say the state or the
    country; some of A's records have no event dates (their report's day stands in), a
    few no date at all, some span weeks; A lists a few incidents twice. Each outlet's
    rows are spread over ``files // 2`` files, incident by incident in turn, so a block's
    records lie in several files. Dates fall in 120 days: blocks are crowded."""
    rng = np.random.default_rng(seed)
    countries = list(STATES)
    out: dict[str, list[str]] = {f"{s}-{k}": [] for s in "ab" for k in range(files // 2)}
    for n in range(incidents):
        country = countries[int(rng.integers(0, len(countries)))]
        state = STATES[country][int(rng.integers(0, len(STATES[country])))]
        place = "".join(rng.choice(SYLLABLES, size=int(rng.integers(2, 4)))).capitalize()
        day = np.datetime64("2020-01-01") + int(rng.integers(0, 120))
        end = day + (int(rng.integers(5, 30)) if rng.random() < 0.05 else 0)
        killed = int(rng.integers(1, 40))
        later = day + int(rng.integers(0, 3))
        spelt = place.replace("a", "e", 1) if rng.random() < 0.5 else "Al-" + place
        a = [f"A-{n:04d}", "Outlet A", "killed", killed, day + 1, day, end, place, state]
        a += [country, f"{place} market attack"]
        if rng.random() < 0.05:  # no event dates: the report's day stands in
            a[5] = a[6] = None
        if rng.random() < 0.01:  # no date at all
            a[4] = a[5] = a[6] = None
        b = [f"B-{(n * 7919) % 10_000:04d}", "Outlet B", "killed", killed, later + 1, later]
        b += [later, spelt, None if rng.random() < 0.15 else state]
        b += [None if rng.random() < 0.05 else country, f"attack in {spelt}"]
        out[f"a-{n % (files // 2)}"].append(",".join(map(_quoted, a)))
        out[f"b-{n % (files // 2)}"].append(",".join(map(_quoted, b)))
        if rng.random() < 0.02:  # listed twice (one row per party, say)
            twin = [f"A-{n:04d}x", *a[1:]]
            out[f"a-{(n + 1) % (files // 2)}"].append(",".join(map(_quoted, twin)))
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in out.items():
        (folder / f"{name}.csv").write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def outlets(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("outlets")
    two_outlets(folder)
    return folder


def test_the_blocks_meet_every_native_pair_in_exactly_one_block(outlets):
    """The blocking the cluster uses, on one machine: each native candidate pair is made
    in exactly one block (its own), and in no block is a pair made that the native
    blocking does not make."""
    recs = records(cc.read(outlets))
    assert recs["admin1"].isna().any()
    assert recs["country"].isna().any()
    assert recs["event_start"].isna().any()
    days = 3
    native = set(map(tuple, candidates(recs, days)[["i", "j"]].to_numpy().tolist()))
    assert len(native) > 1000
    keys = block_keys(recs, days, recs[["country", "admin1"]].drop_duplicates())
    made: list[tuple[int, int]] = []
    for block, members in keys.groupby("block")["row"]:
        rows_ = np.sort(members.to_numpy())
        local = candidates(recs.iloc[rows_].reset_index(drop=True), days)
        pairs = pd.DataFrame({"i": rows_[local["i"]], "j": rows_[local["j"]]})
        own = pair_blocks(recs, pairs, days) == block
        made += map(tuple, pairs[own.to_numpy()].to_numpy().tolist())
    assert len(made) == len(set(made))
    assert set(made) == native


def test_parts_give_the_native_crosswalk_and_only_pairs_come_back(client, outlets, monkeypatch):
    """Two outlets over eight files: the native crosswalk and pairs; what the client
    gathers is the places, the scored pairs and the finished crosswalk's rows — never
    the incident records (each source's incident, its place, dates and toll)."""
    gathered: list[pd.DataFrame] = []
    real = type(client).gather

    def spy(self, futures, *args, **kwargs):
        got = real(self, futures, *args, **kwargs)
        for item in got if isinstance(got, list) else [got]:
            if isinstance(item, pd.DataFrame):
                gathered.append(item)
        return got

    monkeypatch.setattr(type(client), "gather", spy)
    native = cc.match(cc.read(outlets))
    assert native.scores()["matched"] > 400
    run = on_dask.check(outlets, client=client, link="auto")
    try:
        assert run.matching is not None
        pd.testing.assert_frame_equal(run.matching.crosswalk, native.crosswalk)
        pd.testing.assert_frame_equal(pair_set(run.matching.pairs), pair_set(native.pairs))
    finally:
        run.close()
    pairs = [g for g in gathered if "source_a" in g]
    walks = [g for g in gathered if "status" in g and "match" in g]
    assert sum(len(g) for g in pairs) == len(native.pairs)
    assert sum(len(g) for g in walks) == len(native.crosswalk)
    records_ = [g for g in gathered if "origin_row" in g and "status" not in g]
    assert records_ == []
    assert len(native.pairs) > 2 * len(native.crosswalk)  # pairs, not records, are many


def test_parts_give_the_native_findings(client, outlets):
    same_matching(outlets, client)

"""The link stage (toolkit/linking): matching incidents across sources without a shared key."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from conftest import FIXTURES, REAL

import toolkit as cc
from toolkit.errors import InputError
from toolkit.linking import match, place_similarity, skeleton

MATCHING = FIXTURES / "matching"


def predicted_pairs(m) -> set[tuple[str, str]]:
    """Cross-source pairs of incident keys that share a match id."""
    walk = m.crosswalk.dropna(subset=["match"])
    pairs = set()
    for _, group in walk.groupby("match"):
        keys = list(zip(group["source"], group["incident"], strict=True))
        for (sa, a), (sb, b) in itertools.combinations(keys, 2):
            if sa != sb:
                pairs.add(tuple(sorted((a, b))))
    return pairs


def precision_recall(m) -> tuple[float, float]:
    truth = pd.read_csv(MATCHING / "truth.csv")
    expected = {tuple(sorted(p)) for p in zip(truth["monitor_a"], truth["outlet_b"], strict=True)}
    got = predicted_pairs(m)
    precision = len(got & expected) / len(got) if got else 0.0
    recall = len(got & expected) / len(expected)
    return precision, recall


def test_two_outlets_without_a_shared_key_are_matched_with_precision_and_recall():
    m = match(cc.read(MATCHING))
    precision, recall = precision_recall(m)
    print(f"matching fixture: precision {precision:.2f}, recall {recall:.2f}")
    assert precision >= 0.95
    assert recall >= 0.95


def test_the_same_incident_listed_twice_by_one_source_is_recognised_not_merged():
    walk = match(cc.read(MATCHING)).crosswalk.set_index("incident")
    assert walk.loc["A-112", "status"] == "listed twice?"
    assert walk.loc["A-112", "candidate_incident"] == "A-101"
    assert pd.isna(walk.loc["A-112", "match"])
    # the other place in the same country on the same day is not taken for it
    assert walk.loc["A-111", "status"] != "listed twice?"


def test_a_match_below_the_threshold_is_a_finding_never_a_merge():
    m = match(cc.read(MATCHING))
    walk = m.crosswalk.set_index("incident")
    # Khan al-Assal, same day and country as Khan Shaykhun, another place
    assert walk.loc["B-5", "status"] == "uncertain"
    assert pd.isna(walk.loc["B-5", "match"])
    f = m.findings[m.findings["rule"] == "uncertain incident match"]
    assert "B-5" in set(f["incident"])
    row = f[f["incident"] == "B-5"].iloc[0]
    assert row["origin_file"].endswith("outlet-b.csv")
    assert row["origin_row"] == 13
    # with a stricter threshold the weakest true pairs become findings too, not merges
    strict = match(cc.read(MATCHING), threshold=0.99)
    assert len(predicted_pairs(strict)) < 10
    assert (strict.crosswalk["status"] == "uncertain").sum() > 2


def test_a_crosswalk_in_the_suite_overrides_the_proposal(tmp_path):
    (tmp_path / "suite.yaml").write_text("name: reviewed\nextends: default\ncrosswalk: cw.csv\n")
    (tmp_path / "cw.csv").write_text(
        "source,incident,match\n"
        "Outlet B,B-5,khan-sheikhoun\n"
        "Monitor A,A-105,khan-sheikhoun\n"
        "Monitor A,A-101,\n"
    )
    m = match(cc.read(MATCHING), suite=tmp_path)
    walk = m.crosswalk.set_index("incident")
    assert walk.loc["B-5", "match"] == walk.loc["A-105", "match"] == "khan-sheikhoun"
    assert walk.loc["B-5", "status"] == "crosswalk"
    assert pd.isna(walk.loc["A-101", "match"])  # kept apart, as the reviewer said
    assert walk.loc["B-1", "status"] != "matched"  # its partner was taken by the crosswalk


def test_a_broken_crosswalk_is_an_input_error(tmp_path):
    (tmp_path / "suite.yaml").write_text("name: x\nextends: default\ncrosswalk: cw.csv\n")
    (tmp_path / "cw.csv").write_text("source,incident\nOutlet B,B-5\n")
    with pytest.raises(InputError, match=r"cw\.csv:1: .*missing \['match'\]"):
        match(cc.read(MATCHING), suite=tmp_path)


def test_applying_the_matches_lets_the_outlets_be_compared():
    figures = cc.read(MATCHING)
    m = match(figures)
    matched = m.apply(figures)
    assert set(matched["source_incident"]) == set(figures["incident"])
    c = cc.compare(matched)
    row = c.table.set_index(["incident", "measure"]).loc[
        ("SYR-2017-10-21-qaryatayn-homs", "killed")
    ]
    assert row["sources"] == 2
    assert row["status"] == "conflict"  # at least 128 against 116


def test_real_excerpts_find_ucdp_rows_of_one_event_and_no_false_matches():
    m = match(cc.read(REAL))
    walk = m.crosswalk
    twice = walk[walk["status"] == "listed twice?"]
    ucdp = twice[twice["source"] == "UCDP GED"]
    pairs = {
        tuple(sorted((a, b)))
        for a, b in zip(ucdp["incident"], ucdp["candidate_incident"], strict=True)
    }
    # GED lists one row per event; these share dyad, place and day (checked by hand)
    assert pairs == {("73543", "73544"), ("73876", "73878"), ("73899", "73900")}
    # Bangladesh 1989-2013, the Mediterranean 2026 and Gaza 2023 share no incident; the
    # Gaza channels, which do share a key, are found to be one incident from their data
    matched = walk[walk["status"] == "matched"]
    assert set(matched["incident"]) == {"gaza-2023"}
    assert set(matched["source"]) == {
        "mohtel",
        "gmotel",
        "missing",
        "Tech For Palestine (extrapolated)",
    }
    assert matched["match"].nunique() == 1


def test_place_similarity_reads_transliterations_and_not_shared_region_names():
    assert skeleton("kunduz") == skeleton("kondoz")
    assert place_similarity("Deir ez-Zor city", "Dayr az Zawr") >= 0.85
    assert place_similarity("Homs city", "Al-Qaryatayn, Homs") < 0.6
    assert place_similarity("Khan Sheikhoun", "Khan al-Assal") < 0.7
    assert place_similarity(None, "Duma") is None


def test_match_command_writes_a_crosswalk_to_review(cli, tmp_path):
    out = tmp_path / "crosswalk.csv"
    run = cli("match", str(MATCHING), "-o", str(out))
    assert run.code == 0, run.err
    assert "20 matched" in run.out
    walk = pd.read_csv(out)
    assert {"source", "incident", "match", "status", "score"} <= set(walk.columns)
    # the file written is a crosswalk the suite reads back
    (tmp_path / "suite.yaml").write_text("name: r\nextends: default\ncrosswalk: crosswalk.csv\n")
    again = match(cc.read(MATCHING), suite=tmp_path)
    assert predicted_pairs(again) == predicted_pairs(match(cc.read(MATCHING)))
    run = cli("compare", str(MATCHING), "--match")
    assert "conflict  SYR-2017-10-21-qaryatayn-homs / killed" in run.out

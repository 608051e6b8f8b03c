"""The link stage (toolkit/linking): matching incidents across sources without a shared key."""

from __future__ import annotations

import itertools
import json
import shutil

import pandas as pd
import pytest
from conftest import FIXTURES, REAL

import toolkit as cc
from toolkit.errors import InputError
from toolkit.linking import match, place_similarity, skeleton
from toolkit.model import figures as ft
from toolkit.reading.qualifiers import parse_figures
from toolkit.suite import load_suite

pytest_plugins = ["pytester"]

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
    # GED lists one row per event. Rows that share only place and day are other events
    # (73543/73544 killed 1 and 0; 73876/73878 killed 3 and 2): one listed twice needs
    # more, here the same toll (73899 and 73900, 2 civilians each, Kawkhali, 1992-05-30)
    assert pairs == {("73899", "73900")}
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


# --- evidence: states, tolls, titles ------------------------------------------------------


def _figures(*rows: tuple) -> pd.DataFrame:
    """Rows of (source, incident, location, admin1, day, killed[, title])."""
    records = []
    for line, (source, incident, location, admin1, day, killed, *title) in enumerate(rows, 2):
        records.append(
            {
                "incident": incident,
                "source": source,
                "measure": "killed",
                "figure_text": str(killed),
                "event_start": day,
                "event_end": day,
                "reported_on": day,
                "location": location,
                "admin1": admin1,
                "country": "USA",
                "title": title[0] if title else None,
                "origin_row": line,
            }
        )
    df = pd.DataFrame(records)
    parsed = parse_figures(df["figure_text"].astype("str"))
    df = pd.concat([df, parsed[["value", "low", "high", "qualifier"]]], axis=1)
    for c in ("reported_on", "event_start", "event_end"):
        df[c] = pd.to_datetime(df[c])
    df["origin_file"] = "inline.csv"
    return ft.conform(df)


def _status(m, incident: str) -> str:
    return m.crosswalk.set_index("incident").loc[incident, "status"]


def test_two_same_named_towns_in_different_states_are_never_linked():
    """Aurora, Colorado and Aurora, Illinois on the same day, the same toll: two places."""
    f = _figures(
        ("A", "a1", "Aurora", "US-CO", "2019-02-15", 5),
        ("B", "b1", "Aurora", "US-IL", "2019-02-15", 5),
    )
    m = match(f, load_suite())
    assert m.pairs.empty  # never even a candidate pair
    assert _status(m, "a1") == _status(m, "b1") == "unmatched"
    # the same two records in one state are one incident
    same = f.assign(admin1="US-IL")
    assert _status(match(same, load_suite()), "a1") == "matched"


def test_one_state_one_day_one_toll_links_a_town_and_its_county_and_says_why():
    """Outlets name the town, the county or the campus: within one known state and day,
    the same distinctive toll and the title's words make the case."""
    f = _figures(
        ("A", "a1", "Aurora", "US-IL", "2019-02-15", 5, "Henry Pratt Company warehouse"),
        ("B", "b1", "Kane County", "US-IL", "2019-02-15", 5, "Henry Pratt manufacturing plant"),
        ("B", "b2", "Chicago", "US-IL", "2019-02-15", 1),
    )
    m = match(f, load_suite())
    walk = m.crosswalk.set_index("incident")
    assert walk.loc["a1", "status"] == "matched"
    assert walk.loc["a1", "match"] == walk.loc["b1", "match"]
    why = walk.loc["a1", "why"]
    assert "same state US-IL" in why
    assert "same toll (killed 5)" in why
    assert "shared words: henry, pratt" in why
    assert walk.loc["b2", "status"] != "matched"


def test_figures_alone_never_link_without_a_known_state():
    f = _figures(
        ("A", "a1", "Aurora", None, "2019-02-15", 5),
        ("B", "b1", "Kane County", None, "2019-02-15", 5),
    )
    m = match(f, load_suite())
    assert _status(m, "a1") != "matched"


def test_a_small_shared_toll_leaves_it_to_a_person_with_the_reason():
    f = _figures(
        ("A", "a1", "Springfield", "US-MO", "2019-06-01", 1),
        ("B", "b1", "Greene County", "US-MO", "2019-06-01", 1),
    )
    m = match(f, load_suite())
    assert _status(m, "a1") == "uncertain"
    (finding,) = m.findings[m.findings["incident"] == "a1"]["message"]
    assert "may be B b1: score" in finding
    assert "below 0.80 (places" in finding
    assert "same state US-MO" in finding
    assert "same toll (killed 1)" in finding


def test_listed_twice_needs_more_than_one_place_and_one_day():
    two_shootings = _figures(
        ("A", "a1", "Chicago", "US-IL", "2019-07-04", 1),
        ("A", "a2", "Chicago", "US-IL", "2019-07-04", 2),
    )
    m = match(two_shootings, load_suite())
    assert _status(m, "a1") == "unmatched"
    assert m.findings.empty
    one_listed_twice = _figures(
        ("A", "a1", "Chicago", "US-IL", "2019-07-04", 3, "Lounge on 79th Street"),
        ("A", "a2", "Chicago", "US-IL", "2019-07-04", 3, "79th Street lounge"),
    )
    m = match(one_listed_twice, load_suite())
    assert _status(m, "a1") == "listed twice?"
    assert "same toll (killed 3)" in m.findings["message"].iloc[0]


# --- the crosswalk a person reviews ---------------------------------------------------------


def test_a_reviewed_crosswalk_round_trips_unchanged(tmp_path, cli):
    """Write the proposals, review some rows (accept an uncertain one, keep a pair apart,
    drop the rest), name the file in the suite: `match -o` writes the reviewed rows back
    exactly as they were, then the proposals for everything else."""
    data = tmp_path / "data"
    shutil.copytree(MATCHING, data)
    first = tmp_path / "proposals.csv"
    assert cli("match", str(data), "-o", str(first), "--fail-on", "never").code == 0
    proposals = pd.read_csv(first, dtype="str", keep_default_na=False)
    assert {"why", "admin1", "title"} <= set(proposals.columns)
    assert all(s == "" or len(s.split(".")[-1]) <= 2 for s in proposals["score"])  # rounded
    uncertain = proposals[proposals["status"] == "uncertain"].iloc[0]
    reviewed = proposals[proposals["incident"].isin([uncertain["incident"], "A-101", "B-7"])]
    reviewed = reviewed.copy()
    reviewed.loc[reviewed["incident"] == uncertain["incident"], "match"] = "reviewed-1"
    reviewed.loc[reviewed["incident"] == "B-7", "match"] = ""  # keep B-7 apart
    (data / "expectations").mkdir()
    (data / "expectations" / "suite.yaml").write_text(
        "name: reviewed\nextends: default\ncrosswalk: crosswalk.csv\nlink: auto\n"
    )
    reviewed.to_csv(data / "expectations" / "crosswalk.csv", index=False)
    second = tmp_path / "again.csv"
    assert cli("match", str(data), "-o", str(second), "--fail-on", "never").code == 0
    lines = (data / "expectations" / "crosswalk.csv").read_text().splitlines()
    again = second.read_text().splitlines()
    assert again[: len(lines)] == lines  # header and reviewed rows, byte for byte
    linked = cc.check(data).linked.figures
    by_key = dict(zip(linked["source_incident"], linked["incident"], strict=True))
    assert by_key[uncertain["incident"]] == "reviewed-1"
    assert by_key["B-7"] == "B-7"  # kept apart, though matching proposed A-101


def test_link_crosswalk_links_only_what_was_reviewed(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(MATCHING, data)
    (data / "expectations").mkdir()
    (data / "expectations" / "suite.yaml").write_text(
        "name: t\nextends: default\ncrosswalk: walk.csv\nlink: crosswalk\n"
    )
    (data / "expectations" / "walk.csv").write_text(
        "source,incident,match\nMonitor A,A-102,deir\nOutlet B,B-12,deir\n"
    )
    table = cc.check(data).comparison.table
    assert set(table.loc[table["sources"] > 1, "incident"]) == {"deir"}  # nothing else
    assert cc.check(data, link="auto").comparison.table["sources"].max() > 1


# --- every command links the same way --------------------------------------------------------


def test_check_and_compare_and_read_link_alike(tmp_path, cli):
    compared = cli("compare", str(MATCHING), "--match", "--fail-on", "never")
    checked = cli(
        "check", str(MATCHING), "--match", "--fail-on", "never", "--json", str(tmp_path / "c.json")
    )
    assert checked.code == 0
    conflicts = [line for line in compared.out.splitlines() if "conflict " in line]
    document = json.loads((tmp_path / "c.json").read_text())
    from_check = [f for f in document["findings"] if f["code"] == "conflict"]
    from_compare = cc.compare(MATCHING, link="auto").findings
    assert len(from_check) == len(from_compare[from_compare["code"] == "conflict"])
    assert conflicts  # the fixture's outlets do disagree once linked
    for f in from_check:  # each points at the original export's line
        assert f["origin_file"].endswith(".csv")
        assert f["origin_row"] >= 2
    written = tmp_path / "figures.csv"
    assert cli("read", str(MATCHING), "--match", "-o", str(written)).code in (0, 1)
    table = pd.read_csv(written)
    assert {"incident", "source_incident"} <= set(table.columns)
    assert table["incident"].nunique() < table["source_incident"].nunique()


def test_an_unlinked_run_says_how_to_link(cli):
    run = cli("check", str(MATCHING), "--fail-on", "never")
    assert "no incident is reported by two sources (2 sources read)" in run.out
    assert "--match" in run.out
    linked = cli("check", str(MATCHING), "--match", "--fail-on", "never")
    assert "no incident is reported by two sources" not in linked.out
    assert "matched incidents:" in linked.out


def test_the_pytest_plugin_links_as_asked(pytester):
    result = pytester.runpytest_subprocess(
        "--crosscheck", str(MATCHING), "--crosscheck-link", "auto", "-p", "no:cacheprovider"
    )
    result.stdout.fnmatch_lines(["FAILED *::crosscheck[[]sources conflict[]] - 6 finding(s):"])
    apart = pytester.runpytest_subprocess(
        "--crosscheck", str(MATCHING), "--crosscheck-link", "none", "-p", "no:cacheprovider"
    )
    assert apart.parseoutcomes().get("failed", 0) == 0  # nothing compared, nothing failed


# --- a real pair of outlets: the FBI's list (no id) and Stanford's MSA ------------------------

LINKING = FIXTURES / "linking"


def test_the_fbi_and_stanford_lists_are_linked_right_and_never_across_states():
    """Two public databases of the same shootings: the FBI's list has no id (its key is
    date, town and state); the MSA writes one state as "District of Columbia" where the FBI
    writes "D.C.", and names Denver for the Aurora theatre. Precision and recall against
    the hand-judged truth."""
    result = cc.check(LINKING)
    walk = result.linked.matching.crosswalk
    truth = pd.read_csv(LINKING / "truth.csv", dtype="str")
    expected = {
        (f"{r.fbi_date}, {r.fbi_city}, {r.fbi_state}", r.msa_case)
        for r in truth.itertuples(index=False)
    }
    ids = walk.dropna(subset=["match"])
    by_match = ids.groupby("match")
    got = set()
    for _, group in by_match:
        fbi = group.loc[group["source"] == "FBI", "incident"].tolist()
        msa = group.loc[group["source"] == "Stanford MSA", "incident"].tolist()
        got |= {(a, b) for a in fbi for b in msa}
    precision = len(got & expected) / len(got)
    recall = len(got & expected) / len(expected)
    print(f"FBI x MSA: precision {precision:.3f}, recall {recall:.3f}")
    assert precision == 1.0
    assert recall >= 0.95
    # every linked pair lies in one state, as ISO 3166-2 codes
    states = walk.set_index(["source", "incident"])["admin1"]
    for _, group in by_match:
        assert group["admin1"].nunique() == 1, group
    assert states[("FBI", "September 16, 2013, Washington, D.C.")] == "US-DC"
    assert states[("Stanford MSA", "149")] == "US-DC"
    # the two Kansas Cities stay two incidents in two states
    kc = walk[walk["location"] == "Kansas City"]
    assert sorted(kc["admin1"]) == ["US-KS", "US-MO"]
    assert kc["match"].isna().all()
    # the theatre in Aurora that the MSA files under Denver: linked on the evidence
    aurora = walk.set_index("incident").loc["July 20, 2012, Aurora, Colorado"]
    assert aurora["status"] == "matched"
    assert "same state US-CO" in aurora["why"]
    assert "same toll" in aurora["why"]


def test_an_export_with_no_id_gets_a_key_from_its_columns():
    figures = cc.read(LINKING / "fbi-active-shooter.csv", suite=LINKING / "expectations")
    keys = figures.drop_duplicates("incident")["incident"]
    assert len(keys) == 44  # one per row of the export
    assert "July 20, 2012, Aurora, Colorado" in set(keys)

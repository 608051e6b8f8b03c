"""Comparison: intervals, consensus, outliers, staleness, revisions, definitions, scorecard."""

from __future__ import annotations

import dataclasses
import json
import random

import numpy as np
import pandas as pd
import pytest
from conftest import AQ, FIGURE_TEXTS, REAL, frame
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import toolkit as cc
from toolkit.checking import check_figures
from toolkit.errors import CrosscheckError
from toolkit.pipeline import compare
from toolkit.suite import load_suite
from toolkit.suite.settings import ExactTolerance

SUITE = load_suite()
AQ_SUITE = load_suite(AQ / "expectations")
INCIDENT = "al-qaryatayn-2017"


@pytest.fixture(scope="module")
def aq() -> pd.DataFrame:
    return cc.read(AQ)


def row(c, measure: str, incident: str = INCIDENT) -> pd.Series:
    return c.table.set_index(["incident", "measure"]).loc[(incident, measure)]


def latest(c, measure: str, incident: str = INCIDENT) -> pd.DataFrame:
    out = c.latest[(c.latest["incident"] == incident) & (c.latest["measure"] == measure)]
    return out.set_index("source")


def with_al_masdar_exact(figures: pd.DataFrame) -> pd.DataFrame:
    """The same exports, but Al-Masdar's 45 published as an exact count."""
    f = figures.copy()
    at = f["source"] == "Al-Masdar News"
    f.loc[at, "figure_text"] = "45"
    f.loc[at, "qualifier"] = "exact"
    f.loc[at, "high"] = 45
    return f


# --- Al-Qaryatayn, as the seed says a good tool must read it ---------------------------


def test_at_least_45_is_no_conflict_but_its_spread_is_flagged(aq):
    c = compare(aq)
    r = row(c, "killed.civilians")
    assert r["status"] == "agree"
    assert r["sources"] == 4
    # at least 45, more than 70, more than 60 and 128 meet exactly at 128
    assert (r["consensus_low"], r["consensus_high"]) == (128, 128)
    assert r["wide_spread"]
    spread = c.findings[c.findings["rule"] == "sources' figures far apart"]
    assert set(spread["measure"]) == {"killed.civilians"}
    assert (spread["severity"] == "warning").all()
    assert not (c.findings["rule"] == "sources conflict").any()


def test_45_published_as_exact_conflicts_and_al_masdar_is_the_outlier(aq):
    c = compare(with_al_masdar_exact(aq))
    r = row(c, "killed.civilians")
    assert r["status"] == "conflict"
    assert r["outliers"] == "Al-Masdar News"
    # the others still meet at 128
    assert (r["consensus_low"], r["consensus_high"]) == (128, 128)
    conflicts = c.findings[c.findings["rule"] == "sources conflict"]
    assert conflicts["source"].tolist() == ["Al-Masdar News"]
    assert conflicts["severity"].tolist() == ["error"]
    assert conflicts["origin_file"].str.endswith("al-masdar.xlsx").all()
    assert conflicts["origin_row"].tolist() == [2]
    assert "Associated Press > 70" in conflicts["message"].iloc[0]
    assert c.table.iloc[0]["measure"] == "killed.civilians"  # worst first


def test_ap_67_then_more_than_70_is_a_revision_upward_not_a_conflict(aq):
    c = compare(aq)
    ap = c.revisions[
        (c.revisions["source"] == "Associated Press")
        & (c.revisions["measure"] == "killed.civilians")
    ]
    assert ap["shown"].tolist() == ["≥ 67", "> 70"]
    assert ap["direction"].tolist() == ["first", "up"]
    assert latest(c, "killed.civilians").loc["Associated Press", "shown"] == "> 70"
    # a rising toll is no finding at all: AP's figures draw none, from the rules either
    result = cc.check(aq)
    assert not (result.findings["source"] == "Associated Press").any()


def test_the_governors_more_than_60_agrees_with_ap(aq):
    two = aq[aq["source"].isin(["Associated Press", "Homs governor Talal Barazi"])]
    r = row(compare(two, AQ_SUITE), "killed.civilians")
    assert r["status"] == "agree"
    assert not r["wide_spread"]


def test_128_civilians_against_128_persons_is_a_definition_difference(aq):
    f = compare(aq).findings
    d = f[f["rule"] == "same figure, different definition"]
    assert len(d) == 1
    d = d.iloc[0]
    assert (d["source"], d["measure"]) == ("The Independent", "killed.civilians")
    assert "Syrian Observatory for Human Rights" in d["message"]
    assert "as killed" in d["message"]
    assert d["origin_file"].endswith("independent.csv")


def test_as_of_takes_each_sources_latest_figure_on_that_date(aq):
    c = compare(aq, as_of="2017-10-23")
    figures = latest(c, "killed.civilians")
    assert figures.loc["Associated Press", "shown"] == "≥ 67"
    assert "The Independent" not in figures.index  # undated: not known to be published yet
    before = compare(aq, as_of="2017-10-20")
    assert before.table.empty


def test_as_of_must_be_a_date(aq, cli):
    with pytest.raises(CrosscheckError, match="not a date"):
        compare(aq, as_of="23/10/2017x")
    run = cli("compare", str(AQ), "--as-of", "2017-13-01")
    assert run.code == 2
    assert "not a date" in run.err


def test_side_by_side_puts_each_sources_figure_in_its_own_column(aq):
    wide = compare(aq).side_by_side(INCIDENT)
    assert wide.loc["killed.civilians", "Al-Masdar News"] == "≥ 45"
    assert wide.loc["killed", "Syrian Observatory for Human Rights"] == "≥ 128"
    assert wide.loc["killed", "status"] == "agree"


def test_scorecard_counts_outliers_and_rule_findings(aq):
    card = cc.check(with_al_masdar_exact(aq)).scorecard.set_index("source")
    assert card.loc["Al-Masdar News", "outliers"] == 1
    assert card.loc["Associated Press", "outliers"] == 0
    assert card.loc["Associated Press", "figures"] == 5
    assert card.index[0] == "Al-Masdar News"
    broken = frame(
        ("x", "S", "killed", "10", "2017-10-21"), ("x", "S", "killed.civilians", "20", "2017-10-21")
    )
    card = cc.check(broken, SUITE).scorecard.set_index("source")
    assert card.loc["S", "rule_findings"] == 2  # civilians above killed, and above the parts
    # a comparison alone ran no rules: it does not claim there were none
    assert compare(broken, SUITE).scorecard["rule_findings"].isna().all()


# --- semantics on small frames ----------------------------------------------------------


def test_changing_the_table_changes_nothing_else(aq):
    """The table's columns are its own (built without a copy): writing into them must
    leave the comparison's figures, findings and scorecard as they were."""
    c = compare(with_al_masdar_exact(aq), AQ_SUITE)
    fresh = compare(with_al_masdar_exact(aq), AQ_SUITE)
    for col in ("sources", "consensus_low", "consensus_high", "median", "min", "max", "gap"):
        c.table.loc[:, col] = -1
    assert (c.table["median"] == -1).all()
    pd.testing.assert_frame_equal(c.latest, fresh.latest)
    pd.testing.assert_frame_equal(c.findings, fresh.findings)
    pd.testing.assert_frame_equal(c.scorecard, fresh.scorecard)


def test_two_sources_in_conflict_are_both_in_question():
    c = compare(
        frame(("x", "A", "killed", "10", "2020-01-01"), ("x", "B", "killed", "20", "2020-01-01")),
        SUITE,
    )
    r = row(c, "killed", "x")
    assert r["status"] == "conflict"
    assert pd.isna(r["outliers"])
    assert r["gap"] == pytest.approx(0.5)
    f = c.findings[c.findings["rule"] == "sources conflict"]
    assert sorted(f["source"]) == ["A", "B"]


def test_a_source_overlapping_two_camps_keeps_anyone_from_being_the_outlier():
    c = compare(
        frame(
            ("x", "A", "killed", "0-100", "2020-01-01"),
            ("x", "B", "killed", "10", "2020-01-01"),
            ("x", "C", "killed", "50", "2020-01-01"),
        ),
        SUITE,
    )
    assert row(c, "killed", "x")["status"] == "conflict"
    assert not c.latest["outlier"].any()


def test_a_stale_cumulative_figure_is_a_lower_bound_not_an_agreeing_source():
    rose = frame(
        ("x", "A", "killed", "100", "2020-01-01"), ("x", "B", "killed", "300", "2020-02-01")
    )
    c = compare(rose, SUITE)
    # one current figure: single, however many stale ones agree with it
    assert row(c, "killed", "x")["status"] == "single"
    assert row(c, "killed", "x")["sources"] == 1
    assert latest(c, "killed", "x").loc["A", "shown"] == "100 (earlier)"
    assert latest(c, "killed", "x").loc["A", "status"] == "stale"
    assert not row(c, "killed", "x")["wide_spread"]  # the toll rose; not a spread
    dropped = frame(
        ("x", "A", "killed", "100", "2020-01-01"), ("x", "B", "killed", "50", "2020-02-01")
    )
    assert row(compare(dropped, SUITE), "killed", "x")["status"] == "conflict"
    close = frame(
        ("x", "A", "killed", "100", "2020-01-01"), ("x", "B", "killed", "300", "2020-01-03")
    )
    assert row(compare(close, SUITE), "killed", "x")["status"] == "conflict"


def test_a_stale_figure_of_a_non_cumulative_measure_is_listed_not_compared():
    c = compare(
        frame(("x", "A", "missing", "100", "2020-01-01"), ("x", "B", "missing", "3", "2020-02-01")),
        SUITE,
    )
    assert row(c, "missing", "x")["status"] == "single"
    assert latest(c, "missing", "x").loc["A", "status"] == "stale"


def test_unknown_figures_are_not_compared():
    c = compare(
        frame(
            ("x", "A", "killed", "unknown", "2020-01-01"), ("x", "B", "killed", "7", "2020-01-01")
        ),
        SUITE,
    )
    assert row(c, "killed", "x")["sources"] == 1


def test_a_cumulative_drop_within_a_source_is_one_finding_and_a_revision_down():
    f = frame(
        ("x", "A", "killed", "30", "2020-01-01"), ("x", "A", "killed", "about 25", "2020-01-02")
    )
    result = cc.check(f, SUITE)
    found = result.findings
    assert found[["kind", "code", "rule", "origin_row"]].values.tolist() == [
        ["rule", "cumulative-no-drop", "killed does not drop", 3]
    ]
    assert found["observed"].tolist() == ["≈ 25"]
    rev = result.comparison.revisions
    assert rev["direction"].tolist() == ["first", "down"]
    assert rev["previous"].tolist()[1] == 30


def test_severities_come_from_the_suite(tmp_path):
    (tmp_path / "suite.yaml").write_text(
        "name: strict\nextends: default\nseverity: {conflict: warning, definition: info}\n"
    )
    suite = load_suite(tmp_path)
    c = compare(
        frame(("x", "A", "killed", "10", "2020-01-01"), ("x", "B", "killed", "20", "2020-01-01")),
        suite,
    )
    assert set(c.findings["severity"]) == {"warning"}


def test_check_includes_the_comparisons_findings(aq):
    result = cc.check(with_al_masdar_exact(aq))
    kinds = set(result.findings["kind"])
    assert "discrepancy" in kinds
    assert not result.ok
    assert result.comparison is not None
    assert not (check_figures(aq, load_suite()).findings["kind"] == "discrepancy").any()


# --- properties ---------------------------------------------------------------------------

TEXTS = FIGURE_TEXTS
MEASURES = [
    "killed",
    "killed.civilians",
    "killed.victims",
    "killed.perpetrators",
    "injured",
    "missing",
]
DATES = ["2020-01-01", "2020-01-02", "2020-01-20", None]


def random_frame(seed: int, n: int = 60) -> pd.DataFrame:
    rng = random.Random(seed)
    return frame(
        *[
            (
                f"i{rng.randint(0, 5)}",
                rng.choice(["A", "B", "C"]),
                rng.choice(MEASURES),
                rng.choice(TEXTS),
                rng.choice(DATES),
            )
            for _ in range(n)
        ]
    )


def comparable(c) -> pd.DataFrame:
    # source names are in outliers, stale and the evidence; the explanation is not
    t = c.table.drop(columns=["outliers", "stale", "evidence"]).sort_values(["incident", "measure"])
    return t.reset_index(drop=True)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_a_source_compared_with_itself_agrees(seed):
    f = random_frame(seed)
    f = f[f["source"] == "A"]
    twin = pd.concat([f, f.assign(source="A twin")], ignore_index=True)
    c = compare(twin, SUITE)
    compared = c.table[c.table["sources"] >= 2]
    assert (compared["status"] == "agree").all()
    said = set(c.findings.loc[c.findings["kind"] == "discrepancy", "rule"])
    assert said <= {"sources' figures far apart", "same figure, different definition"}
    assert not (c.findings["rule"] == "sources conflict").any()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.permutations(["A", "B", "C"]))
def test_shuffling_rows_and_renaming_sources_changes_nothing_but_names(seed, names):
    f = random_frame(seed)
    c = compare(f, SUITE)
    rename = dict(zip(["A", "B", "C"], [f"src {n}" for n in names], strict=True))
    shuffled = f.sample(frac=1, random_state=seed % 1000).reset_index(drop=True)
    shuffled["source"] = shuffled["source"].map(rename).astype("str")
    d = compare(shuffled, SUITE)
    pd.testing.assert_frame_equal(comparable(c), comparable(d))
    renamed = c.latest.assign(source=c.latest["source"].map(rename))
    key = ["incident", "measure", "source"]
    a = renamed.sort_values(key)[[*key, "shown", "outlier", "status"]].reset_index(drop=True)
    b = d.latest.sort_values(key)[[*key, "shown", "outlier", "status"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_categorical=False)
    assert len(c.findings) == len(d.findings)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_adding_a_source_inside_the_consensus_never_creates_a_conflict(seed):
    f = random_frame(seed)
    c = compare(f, SUITE)
    agreed = c.table[(c.table["status"] != "conflict") & np.isfinite(c.table["consensus_high"])]
    extra = [
        (r.incident, "Z", r.measure, str(int(np.ceil(r.consensus_low))), "2020-01-20")
        for r in agreed.itertuples()
        if np.ceil(r.consensus_low) <= r.consensus_high
    ]
    assume(extra)  # an example with nothing agreed says nothing here: hypothesis draws another
    more = pd.concat([f, frame(*extra)], ignore_index=True)
    d = compare(more, SUITE).table.set_index(["incident", "measure"])
    for incident, _, measure, _, _ in extra:
        assert d.loc[(incident, measure), "status"] != "conflict"


# --- real data and the command line -----------------------------------------------------


def test_real_gaza_sources_that_stopped_reporting_are_stale_not_in_conflict():
    c = compare(cc.read(REAL))
    gaza = c.table[c.table["incident"] == "gaza-2023"].set_index("measure")
    assert (gaza.loc[["killed", "killed.children", "killed.women"], "status"] == "agree").all()
    stale = latest(c, "killed", "gaza-2023")
    assert stale.loc["gmotel", "stale"]
    assert not stale.loc["mohtel", "stale"]
    # the Ministry's own telegram revised the women's toll down once in the first 150 days
    rev = c.revisions[c.revisions["direction"] == "down"]
    assert ("mohtel", "killed.women") in set(zip(rev["source"], rev["measure"], strict=True))


def test_compare_command_prints_conflicts_worst_first_and_writes_files(cli, tmp_path):
    exact = tmp_path / "aq"
    exact.mkdir()
    with_al_masdar_exact(cc.read(AQ)).to_csv(exact / "figures.csv", index=False)
    run = cli(
        "compare",
        str(exact / "figures.csv"),
        "--suite",
        str(AQ / "expectations"),
        "--csv",
        str(tmp_path / "t.csv"),
        "--json",
        str(tmp_path / "c.json"),
    )
    assert run.code == 1, run.err
    lines = run.out.splitlines()
    at = lines.index("where sources disagree (worst first):")
    assert lines[at + 1].split()[:4] == ["conflict", "al-qaryatayn-2017", "/", "killed.civilians:"]
    assert "outliers: Al-Masdar News" in lines[at + 1]
    assert any("45  Al-Masdar News" in line and "<- outlier" in line for line in lines)
    table = pd.read_csv(tmp_path / "t.csv")
    assert table.loc[0, "status"] == "conflict"
    document = json.loads((tmp_path / "c.json").read_text())
    assert set(document) == {
        "table",
        "figures",
        "revisions",
        "findings",
        "explanations",
        "patterns",
    }
    assert document["findings"][0]["rule"] == "sources conflict"
    ok = cli("compare", str(AQ))
    assert ok.code == 0, ok.err
    assert "far apart  al-qaryatayn-2017 / killed.civilians" in ok.out


def test_several_outliers_are_named_together():
    rows = [("x", s, "killed", "100", "2020-01-01") for s in "ABC"]
    rows += [("x", "D", "killed", "10", "2020-01-01"), ("x", "E", "killed", "500", "2020-01-01")]
    rows += [("y", s, "killed", "7", "2020-01-01") for s in "ABC"]
    rows += [("y", "Z", "killed", "70", "2020-01-01")]
    table = compare(frame(*rows), SUITE).table.set_index("incident")
    assert table.loc["x", "outliers"] == "D; E"
    assert table.loc["y", "outliers"] == "Z"
    assert (table.loc["x", "consensus_low"], table.loc["x", "consensus_high"]) == (100, 100)


# --- the fast paths give what the general ones give -------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 9))
def test_an_unrelated_stale_or_smaller_incident_changes_no_other_row(seed, sources):
    """Incidents that all have the same sources and no stale figure take the quick paths
    (runs reduced column by column, no gathering); one more incident with a stale figure
    and fewer sources sends every group through the general ones. Nothing else may move."""
    from generate import generate

    f = generate(40, sources, 1, at_least=0.3, seed=seed).figures
    c = compare(f, SUITE)
    day = f["reported_on"].max()
    odd = frame(
        ("zz-odd", "source-00", "missing", "100", str((day - pd.Timedelta(days=60)).date())),
        ("zz-odd", "source-01", "missing", "7", str(day.date())),
        ("zz-odd", "source-00", "killed", "at least 9", str(day.date())),
    )
    d = compare(pd.concat([f, odd], ignore_index=True), SUITE)
    assert (d.latest["status"] == "stale").any()
    kept = d.table[d.table["incident"] != "zz-odd"].reset_index(drop=True)
    pd.testing.assert_frame_equal(c.table, kept)
    same = d.latest[d.latest["incident"] != "zz-odd"].reset_index(drop=True)
    cols = ["incident", "measure", "source", "low", "high", "status", "outlier", "distance"]
    pd.testing.assert_frame_equal(c.latest[cols], same[cols])


# --- reconciling breakdowns and time ---------------------------------------------------------

D = "2020-01-02"


def _suite(tmp_path, taxonomy: str = "", compare: str = "") -> object:
    (tmp_path / "suite.yaml").write_text(
        "name: t\nextends: default\n" + (f"compare: {compare}\n" if compare else "")
    )
    if taxonomy:
        (tmp_path / "taxonomy.yaml").write_text(taxonomy)
    return load_suite(tmp_path)


def test_a_whole_derived_from_one_outlets_parts_meets_anothers_total():
    f = frame(
        ("x", "A", "killed.victims", "10", D),
        ("x", "A", "killed.perpetrators", "1", D),
        ("x", "B", "killed", "14", D),
    )
    c = compare(f, SUITE)
    assert row(c, "killed", "x")["status"] == "conflict"  # 10 + 1 = 11, not 14
    mine = latest(c, "killed", "x").loc["A"]
    assert mine["shown"] == "11 (sum)"
    assert mine["derived"] == "killed.victims + killed.perpetrators"
    assert mine["origin_row"] == 2  # cites the first part's line
    conflict = c.findings[c.findings["code"] == "conflict"]
    assert set(conflict["source"]) == {"A", "B"}
    # its parts raise no rule finding of their own, and the scorecard counts what A gave
    result = cc.check(f, SUITE)
    assert not (result.findings["kind"] == "rule").any()
    assert result.scorecard.set_index("source").loc["A", "figures"] == 2


@pytest.mark.parametrize(
    ("parts", "shown"),
    [
        (("at least 10", "1"), "≥ 11 (sum)"),  # an open part, an open whole
        (("10-12", "1"), "11–13 (sum)"),
        (("about 10", "0"), "9–11 (sum)"),  # ±10 %, whole numbers outward
    ],
)
def test_a_derived_whole_is_the_interval_sum(parts, shown):
    f = frame(
        ("x", "A", "killed.victims", parts[0], D),
        ("x", "A", "killed.perpetrators", parts[1], D),
        ("x", "B", "killed", "11", D),
    )
    assert latest(compare(f, SUITE), "killed", "x").loc["A", "shown"] == shown


def test_no_whole_is_derived_from_an_unknown_part_or_where_the_whole_is_given():
    unknown = frame(
        ("x", "A", "killed.victims", "10", D),
        ("x", "A", "killed.perpetrators", "unknown", D),
        ("x", "B", "killed", "14", D),
    )
    assert "A" not in latest(compare(unknown, SUITE), "killed", "x").index
    given = frame(
        ("x", "A", "killed.victims", "10", D),
        ("x", "A", "killed.perpetrators", "1", D),
        ("x", "A", "killed", "12", D),  # the parts' sum is the rules' business
        ("x", "B", "killed", "12", D),
    )
    c = compare(given, SUITE)
    assert latest(c, "killed", "x").loc["A", "shown"] == "12"
    assert row(c, "killed", "x")["status"] == "agree"
    rules = set(cc.check(given, SUITE).findings["rule"])
    assert "killed.victims + killed.perpetrators == killed" in rules


def test_no_whole_is_summed_across_two_incidents_under_one_key():
    """A case id reused for two shootings: one's victims and the other's perpetrators are
    not one report's parts, though both lines carry the same edit date."""
    reused = frame(
        ("x", "A", "killed.victims", "4", "2016-06-27", "2013-08-07", "2013-08-07"),
        ("x", "A", "killed.perpetrators", "1", "2016-06-27", "2013-12-28", "2013-12-28"),
        ("x", "B", "killed", "5", "2016-06-27", "2013-08-07", "2013-08-07"),
    )
    assert "A" not in latest(compare(reused, SUITE), "killed", "x").index
    one = reused.assign(
        event_start=reused["event_start"].iloc[0], event_end=reused["event_end"].iloc[0]
    )
    assert latest(compare(one, SUITE), "killed", "x").loc["A", "shown"] == "5 (sum)"


def test_wholes_derived_at_one_level_are_parts_at_the_next(tmp_path):
    suite = _suite(
        tmp_path,
        "measures: {killed.police: {parent: killed.victims},\n"
        "           killed.civilians: {parent: killed.victims}}\n"
        "partitions: [{name: victims by role, whole: killed.victims, "
        "parts: [killed.civilians, killed.police], exhaustive: true}]\n",
    )
    f = frame(
        ("x", "MSA", "killed.civilians", "12", D),
        ("x", "MSA", "killed.police", "1", D),
        ("x", "MSA", "killed.perpetrators", "1", D),
        ("x", "FBI", "killed.victims", "12", D),
        ("x", "Archive", "killed", "14", D),
    )
    c = compare(f, suite)
    assert latest(c, "killed.victims", "x").loc["MSA", "shown"] == "13 (sum)"
    assert row(c, "killed.victims", "x")["status"] == "conflict"  # 13 vs the FBI's 12
    assert latest(c, "killed", "x").loc["MSA", "shown"] == "14 (sum)"
    assert row(c, "killed", "x")["status"] == "agree"  # (12 + 1) + 1 = the archive's 14


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_deriving_is_idempotent_and_a_source_agrees_with_its_own_parts(seed):
    from toolkit.model.derived import derive_wholes

    rng = random.Random(seed)
    rows = []
    for i in range(rng.randint(1, 6)):
        victims, perpetrators = rng.randint(0, 50), rng.randint(0, 3)
        rows += [
            (f"i{i}", "A", "killed.victims", str(victims), D),
            (f"i{i}", "A", "killed.perpetrators", str(perpetrators), D),
            (f"i{i}", "B", "killed", str(victims + perpetrators), D),  # the whole, published
        ]
    f = frame(*rows)
    once = derive_wholes(f, SUITE.taxonomy, 0.1)
    twice = derive_wholes(once, SUITE.taxonomy, 0.1)
    pd.testing.assert_frame_equal(once, twice)
    table = compare(f, SUITE).table
    assert (table.loc[table["measure"] == "killed", "status"] == "agree").all()


def test_a_final_figure_stays_exact_against_a_newer_database():
    """An incident of 2012: one database edited in 2016, another exported in 2026. Both
    are final (reported long after the event ended): 12 and 13 disagree; neither is a
    lower bound for having been published earlier."""
    f = frame(
        ("x", "MSA", "killed", "12", "2016-06-08", "2012-07-20", "2012-07-20"),
        ("x", "FBI", "killed", "13", "2026-01-15", "2012-07-20", "2012-07-20"),
    )
    c = compare(f, SUITE)
    assert row(c, "killed", "x")["status"] == "conflict"
    assert not latest(c, "killed", "x")["stale"].any()
    # the same two figures while the toll was developing: the older is a lower bound
    developing = frame(
        ("x", "MSA", "killed", "12", "2012-07-21", "2012-07-20", "2012-07-20"),
        ("x", "FBI", "killed", "13", "2012-08-05", "2012-07-20", "2012-07-20"),
    )
    d = compare(developing, SUITE)
    assert latest(d, "killed", "x").loc["MSA", "shown"] == "12 (earlier)"
    assert row(d, "killed", "x")["status"] == "single"


def test_the_al_qaryatayn_toll_still_rises_over_two_days(aq):
    c = compare(aq)
    ap = latest(c, "killed.civilians").loc["Associated Press"]
    assert ap["shown"] == "> 70"  # AP's 67 then "more than 70": a developing toll


def test_exact_figures_may_differ_by_the_suites_tolerance(tmp_path):
    f = frame(
        ("x", "A", "killed", "1000", D),
        ("x", "B", "killed", "1040", D),
        ("y", "A", "killed", "1000", D),
        ("y", "B", "killed", "1100", D),
    )
    assert row(compare(f, SUITE), "killed", "x")["status"] == "conflict"  # to the digit
    suite = _suite(tmp_path, compare="{exact_tolerance: {relative: 0.05}}")
    c = compare(f, suite)
    assert row(c, "killed", "x")["status"] == "agree"  # 40 apart, within 5 %
    assert row(c, "killed", "y")["status"] == "conflict"  # 100 apart, not
    assert row(c, "killed", "x")["difference"] == 40  # the table shows the gap either way
    assert latest(c, "killed", "x").loc["A", "shown"] == "1,000"  # shown as published


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 5000), st.integers(0, 5000), st.integers(0, 95), st.integers(0, 60))
def test_two_exact_figures_agree_exactly_when_their_gap_is_within_the_tolerance(x, y, pct, a):
    """The rule as the suite states it: gap <= max(absolute, relative x the larger),
    decided here in whole numbers (percent), so the boundary itself is tested."""
    tolerance = ExactTolerance(relative=pct / 100, absolute=float(a))
    suite = dataclasses.replace(
        SUITE, compare=dataclasses.replace(SUITE.compare, exact_tolerance=tolerance)
    )
    f = frame(("x", "A", "killed", str(x), D), ("x", "B", "killed", str(y), D))
    status = row(compare(f, suite), "killed", "x")["status"]
    within = 100 * abs(x - y) <= max(100 * a, pct * max(x, y))
    assert status == ("agree" if within else "conflict"), (x, y, pct, a)


def test_the_tolerance_boundary_is_exact():
    for pct, x, y in ((57, 43, 100), (58, 42, 100), (5, 95, 100), (29, 71, 100)):
        suite = dataclasses.replace(
            SUITE,
            compare=dataclasses.replace(
                SUITE.compare, exact_tolerance=ExactTolerance(relative=pct / 100)
            ),
        )
        at = frame(("x", "A", "killed", str(x), D), ("x", "B", "killed", str(y), D))
        beyond = frame(("x", "A", "killed", str(x - 1), D), ("x", "B", "killed", str(y), D))
        assert row(compare(at, suite), "killed", "x")["status"] == "agree", pct
        assert row(compare(beyond, suite), "killed", "x")["status"] == "conflict", pct


def test_stale_figures_are_marked_in_the_table_and_its_csv(tmp_path, cli):
    f = frame(
        ("x", "A", "killed", "100", "2020-01-01"),
        ("x", "B", "killed", "300", "2020-02-01"),
        ("x", "C", "killed", "310", "2020-02-02"),
    )
    c = compare(f, SUITE)
    assert row(c, "killed", "x")["stale"] == "A"
    assert row(c, "killed", "x")["sources"] == 2
    f.to_csv(tmp_path / "figures.csv", index=False)
    written = tmp_path / "table.csv"
    cli("compare", str(tmp_path / "figures.csv"), "--csv", str(written), "--fail-on", "never")
    assert pd.read_csv(written).set_index("incident").loc["x", "stale"] == "A"


def test_definition_findings_only_where_they_explain():
    one_count = frame(
        ("x", "A", "killed.civilians", "128", D),
        ("x", "B", "killed", "128", D),
    )
    assert list(compare(one_count, SUITE).findings["code"]) == ["definition"]
    a_gives_both = frame(
        ("x", "A", "killed.civilians", "128", D),
        ("x", "A", "killed", "140", D),  # A defines them apart: 128 is not its total
        ("x", "B", "killed", "128", D),
    )
    assert "definition" not in set(compare(a_gives_both, SUITE).findings["code"])
    siblings = frame(
        ("x", "A", "killed.civilians", "45", D),
        ("x", "B", "killed.victims", "45", D),
    )
    assert list(compare(siblings, SUITE).findings["code"]) == ["definition"]
    zeros = frame(("x", "A", "killed.civilians", "0", D), ("x", "B", "killed", "0", D))
    assert compare(zeros, SUITE).findings.empty
    agree_on_the_parent = frame(
        ("x", "A", "killed.civilians", "128", D),
        ("x", "A", "killed", "130", D),
        ("x", "B", "killed.victims", "128", D),
        ("x", "B", "killed", "130", D),  # both give killed, and agree: nothing to explain
    )
    assert compare(agree_on_the_parent, SUITE).findings.empty
    differ_on_the_parent = agree_on_the_parent.assign(
        value=agree_on_the_parent["value"].where(agree_on_the_parent.index != 3, 150),
        low=agree_on_the_parent["low"].where(agree_on_the_parent.index != 3, 150),
        high=agree_on_the_parent["high"].where(agree_on_the_parent.index != 3, 150),
    )
    found = compare(differ_on_the_parent, SUITE).findings
    assert set(found["code"]) == {"definition", "conflict"}

"""The check stage on fixtures, real excerpts (asserted from the data) and generated tables."""

from __future__ import annotations

import csv
import itertools
import json

import pandas as pd
import pytest
from conftest import AQ, REAL
from generate import generate

import toolkit as cc
from toolkit.checking import check_figures
from toolkit.pipeline import check
from toolkit.reading import read_figures
from toolkit.suite import load_suite


@pytest.fixture(scope="module")
def real():
    return check(cc.read(REAL))


def rule_rows(result, rule: str) -> list[tuple[str, int]]:
    f = result.findings
    f = f[f["rule"] == rule]
    return sorted(
        zip(f["origin_file"].str.rsplit("/", n=1).str[-1], f["origin_row"].astype(int), strict=True)
    )


def test_al_qaryatayn_subtotals_sit_inside_the_total():
    result = check(cc.read(AQ))
    assert result.ok
    assert (result.findings["kind"] != "rule").all()  # SOHR's 83 and 12 inside its 128


def test_ucdp_identities_hold_except_event_84006(real):
    # best = deaths_a + deaths_b + deaths_civilians + deaths_unknown, low <= best <= high:
    # what breaks them is read from the file, not written down here
    with open(REAL / "ucdp-ged-bangladesh.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))[1:]  # the HXL row
    broken = set()
    for line, r in enumerate(rows, start=3):
        best, low, high = int(r["best"]), int(r["low"]), int(r["high"])
        parts = sum(
            int(r[k]) for k in ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown")
        )
        if not (low <= best <= high) or (parts > high or parts < low):
            broken.add(line)
    assert broken == {64}  # event 84006: low 0, best 3, high 0
    ucdp = real.findings[real.findings["source"] == "UCDP GED"]
    assert set(ucdp["origin_row"].astype(int)) == broken
    assert "low <= value <= high" in set(ucdp["rule"])
    assert ("ucdp-ged-bangladesh.csv", 64) in rule_rows(
        real, "killed.side_a + killed.side_b + killed.civilians + killed.unknown == killed"
    )


def test_missing_migrants_sexes_against_dead_and_missing(real):
    with open(REAL / "missing-migrants-2026.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))

    def n(v: str) -> int:
        return int(v) if v.strip() else 0

    expected = sorted(
        ("missing-migrants-2026.csv", line)
        for line, r in enumerate(rows, start=2)
        if n(r["Minimum Estimated Number of Missing"]) >= 0  # line 197 (-5) is rejected
        and (r["Number Dead"].strip() or r["Minimum Estimated Number of Missing"].strip())
        and n(r["Number of Females"]) + n(r["Number of Males"])
        > n(r["Number Dead"]) + n(r["Minimum Estimated Number of Missing"])
    )
    assert expected  # the excerpt does hold such rows
    assert rule_rows(real, "dead_missing.females + dead_missing.males <= dead_missing") == expected


def test_gaza_children_and_women_within_killed_and_drops_found(real):
    records = json.loads((REAL / "gaza-casualties-daily.json").read_text())
    over = [
        i
        for i, r in enumerate(records)
        if r.get("killed_children_cum", 0) + r.get("killed_women_cum", 0)
        > r.get("killed_cum", 10**9)
    ]
    assert over == []
    assert rule_rows(real, "killed.children <= killed") == []
    assert rule_rows(real, "killed.women <= killed") == []
    # killed_women_cum of the ministry's channel: a drop, found from the data itself
    women = [
        (r["report_date"], r["killed_women_cum"])
        for r in records
        if r["report_source"] == "mohtel" and "killed_women_cum" in r
    ]
    # a drop is a report below the channel's previous report (one finding a drop)
    drops = [day for (_, before), (day, value) in itertools.pairwise(women) if value < before]
    assert drops  # the excerpt holds at least one
    found = real.findings[
        (real.findings["rule"] == "killed.women does not drop")
        & (real.findings["source"] == "mohtel")
    ]
    assert sorted(found["reported_on"].dt.strftime("%Y-%m-%d")) == sorted(drops)
    assert len(rule_rows(real, "killed.new = change in killed")) > 0  # known mismatch


def test_generated_violations_are_found_and_nothing_else():
    s = generate(incidents=300, sources=4, reports=3, violation_rate=0.01, seed=7)
    findings = check_figures(s.figures, load_suite()).findings
    family = {
        "child-exceeds-parent": "killed.civilians <= killed",
        "cumulative-drop": None,
        "conflicting-duplicate": "one figure per report",
    }
    flagged = set(zip(findings["incident"], findings["source"], strict=True))
    injected = set(zip(s.violations["incident"], s.violations["source"], strict=True))
    assert flagged == injected  # no false positives, none missed
    for v in s.violations.itertuples():
        mine = findings[(findings["incident"] == v.incident) & (findings["source"] == v.source)]
        if family[v.rule]:
            assert family[v.rule] in set(mine["rule"]), v
        else:
            assert mine["rule"].str.endswith("does not drop").any(), v


def test_native_engine_agrees_with_the_hand_written_benchmark_baseline():
    from baseline import hand_written

    s = generate(incidents=200, sources=4, reports=3, violation_rate=0.02, seed=11)
    f = s.figures
    key = ["incident", "source", "measure", "reported_on"]
    by_hand = {tuple(f.iloc[p][key]) for _, p in hand_written(f)}
    native = check(f, load_suite()).findings
    native = native[native["kind"] == "rule"]
    assert by_hand  # violations were injected
    assert set(native[key].itertuples(index=False, name=None)) == by_hand


def test_checking_partition_by_partition_gives_the_same_findings():
    # No rule looks across incidents, so incidents can be split over workers (Dask later).
    s = generate(incidents=120, sources=3, reports=3, violation_rate=0.03, seed=5)
    whole = check(s.figures, load_suite()).findings
    parts = [
        check(part, load_suite()).findings
        for _, part in s.figures.groupby(s.figures["incident"].str[-1].astype(int) % 3)
    ]
    key = ["rule", "incident", "source", "measure", "reported_on", "observed", "expected"]
    together = pd.concat(parts)[key].sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(whole[key].sort_values(key, ignore_index=True), together)


def test_shuffling_rows_changes_nothing():
    s = generate(incidents=100, sources=3, reports=3, violation_rate=0.02, seed=3)
    a = check(s.figures, load_suite()).findings
    b = check(s.figures.sample(frac=1, random_state=1), load_suite()).findings
    key = ["rule", "incident", "source", "measure", "reported_on", "observed"]
    pd.testing.assert_frame_equal(
        a[key].sort_values(key, ignore_index=True), b[key].sort_values(key, ignore_index=True)
    )


def test_check_result_summary_and_ok(real):
    assert not real.ok
    assert real.summary.loc["rule", "error"] == int(
        ((real.findings["kind"] == "rule") & (real.findings["severity"] == "error")).sum()
    )
    assert real.summary.loc["input", "error"] == 1  # Missing Migrants line 197


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["check", str(AQ)], 0),
        (["check", str(AQ), "--fail-on", "warning"], 1),
        (["check", str(REAL)], 1),
        (["check", str(REAL), "--fail-on", "never"], 0),
        (["check", "no/such/dir.csv"], 2),
        (["check", str(AQ), "--engine", "spark"], 2),
    ],
)
def test_exit_codes(cli, args, code):
    run = cli(*args)
    assert run.code == code, run.err
    assert "Traceback" not in run.err


def test_cli_writes_every_finding(cli, tmp_path):
    run = cli(
        "check",
        str(REAL),
        "--csv",
        str(tmp_path / "f.csv"),
        "--json",
        str(tmp_path / "f.json"),
        "--fail-on",
        "never",
    )
    assert run.code == 0
    written = pd.read_csv(tmp_path / "f.csv")
    direct = check(read_figures(REAL).figures).findings
    document = json.loads((tmp_path / "f.json").read_text())
    assert len(written) == len(direct) == len(document["findings"])
    assert document["summary"][0]["rows_read"] == read_figures(REAL).rows_read
    assert {"files", "rules", "comparison", "figures_compared", "revisions", "scorecard"} <= set(
        document
    )
    assert "findings by kind and severity" in run.out
    # a negative count is text starting with '-': neutralised for spreadsheets
    assert written.loc[written["rule"] == "bad-count", "observed"].tolist() == ["'-5"]


@pytest.mark.parametrize("engine", ["native", "gx"])
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ('{"column": "casualties"}', "names column 'casualties', which the figures table"),
    ],
)
def test_a_hand_written_rule_that_cannot_run_exits_2_naming_it(
    tmp_path, cli, engine, kwargs, message
):
    suite = tmp_path / "expectations"
    suite.mkdir()
    (suite / "suite.yaml").write_text("name: t\nrules: r.json\n")
    (suite / "r.json").write_text(
        '{"expectations": [{"type": "expect_column_values_to_not_be_null", "kwargs": '
        + kwargs
        + ', "meta": {"rule": "every row has casualties"}}]}'
    )
    (tmp_path / "f.csv").write_text("incident,source,measure,value\na,S,killed,1\n")
    run = cli("check", str(tmp_path), "--engine", engine)
    assert run.code == 2, run.out
    assert "rule 'every row has casualties'" in run.err
    assert message in run.err
    assert "Traceback" not in run.err


@pytest.mark.parametrize(
    ("expectation", "message"),
    [
        ('{"type": "expect_column_values_to_not_be_null", "kwargs": [1]}', "'kwargs' must be"),
        ('{"type": "expect_column_values_to_not_be_null", "meta": 5}', "'meta' must be"),
        ('{"kwargs": {}}', "needs a 'type'"),
        (
            '{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x", '
            '"mostly": "lots"}}',
            "mostly: expected a number from 0 to 1, not 'lots'",
        ),
        (
            '{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x", '
            '"mostly": 5}}',
            "mostly: expected a number from 0 to 1, not 5",
        ),
        (
            '{"type": "expect_column_values_to_not_be_null", "kwargs": {"colum": "x"}}',
            "takes no argument 'colum'. Did you mean 'column'",
        ),
        (
            '{"type": "expect_column_values_to_not_be_null", "kwargs": {}}',
            "missing the argument 'column'",
        ),
    ],
)
def test_malformed_hand_written_rules_are_suite_errors(tmp_path, cli, expectation, message):
    (tmp_path / "suite.yaml").write_text("name: t\nrules: r.json\n")
    (tmp_path / "r.json").write_text('{"expectations": [' + expectation + "]}")
    run = cli("suite", str(tmp_path))
    assert run.code == 2
    assert message in run.err
    assert str(tmp_path / "r.json") in run.err

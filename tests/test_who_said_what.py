"""Who said what: a column per source in the comparison's CSV/JSON (each outlet's figure as
published), observed vs expected on the console's finding lines, and no hint suggesting an
option already given."""

from __future__ import annotations

import csv
import json

import pandas as pd
from conftest import AQ, FIXTURES, REAL, ROOT, frame

import toolkit as cc
from toolkit.comparing import compare_figures
from toolkit.suite import load_suite

SOHR = "Syrian Observatory for Human Rights"
AP = "Associated Press"
SOURCES = [
    "Al-Masdar News",
    AP,
    "Homs governor Talal Barazi",
    "Resident (AP video)",
    SOHR,
    "The Independent",
    "UPI",
]


def _rows(path) -> dict[tuple[str, str], dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return {(r["incident"], r["measure"]): r for r in csv.DictReader(f)}


def test_compare_csv_has_a_column_per_source_with_the_figure_as_published(cli, tmp_path):
    out = tmp_path / "comparison.csv"
    run = cli("compare", str(AQ), "--csv", str(out))
    assert run.code == 0, run.err
    with out.open(newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    # the existing columns first, then one per source in name order
    assert header[:5] == ["incident", "measure", "reported_on", "sources", "status"]
    assert header[-len(SOURCES) :] == SOURCES
    rows = _rows(out)
    killed = rows[("al-qaryatayn-2017", "killed")]
    assert killed[SOHR] == "128 persons at least"
    assert killed["Resident (AP video)"] == "more than a 100"
    assert killed[AP] == ""  # AP gave no figure for killed: blank
    civilians = rows[("al-qaryatayn-2017", "killed.civilians")]
    assert civilians[AP] == "more than 70"
    assert civilians["The Independent"] == "128 civilians"
    assert civilians[SOHR] == ""
    assert civilians["status"] == "agree"
    assert civilians["sources"] == "4"
    # a figure given as a number only (no text): its value
    assert rows[("al-qaryatayn-2017-09-fighting", "killed.combatants")]["UPI"] == "153"


def test_compare_json_table_has_the_same_columns(cli, tmp_path):
    out = tmp_path / "comparison.json"
    run = cli("compare", str(AQ), "--json", str(out))
    assert run.code == 0, run.err
    table = json.loads(out.read_text(encoding="utf-8"))["table"]
    killed = next(r for r in table if r["measure"] == "killed")
    assert killed[SOHR] == "128 persons at least"
    assert killed[AP] is None
    assert killed["status"] == "agree"


def test_check_json_comparison_has_a_column_per_source(cli, tmp_path):
    out = tmp_path / "all.json"
    run = cli("check", str(AQ), "--json", str(out), "--fail-on", "never")
    assert run.code == 0, run.err
    comparison = json.loads(out.read_text(encoding="utf-8"))["comparison"]
    civilians = next(r for r in comparison if r["measure"] == "killed.civilians")
    assert civilians["Al-Masdar News"] == "at least 45"
    assert civilians["Homs governor Talal Barazi"] == "more than 60"


def test_by_source_keeps_the_table_rows_and_adds_a_column_per_source():
    c = cc.compare(cc.read(AQ))
    wide = c.by_source()
    pd.testing.assert_frame_equal(wide[list(c.table.columns)], c.table)
    assert list(wide.columns[len(c.table.columns) :]) == SOURCES
    # each non-blank cell is a figure of `latest`, and every figure of `latest` is shown
    long = wide.melt(
        id_vars=["incident", "measure"], value_vars=SOURCES, var_name="source"
    ).dropna()
    assert len(long) == len(c.latest)
    # a source column counts the rows whose `sources` it is part of
    assert (wide[SOURCES].notna().sum(axis=1) == wide["sources"]).all()


def test_a_figure_without_text_shows_its_value_and_qualifier():
    figures = frame(
        ("i1", "A", "killed", "at least 12", "2020-01-02"),
        ("i1", "B", "killed", "14", "2020-01-02"),
    )
    figures["figure_text"] = figures["figure_text"].where(figures["source"] != "A")
    wide = compare_figures(figures, load_suite(AQ / "expectations")).by_source()
    row = wide.set_index(["incident", "measure"]).loc[("i1", "killed")]
    assert row["A"] == "≥ 12"  # no text: the value and its qualifier
    assert row["B"] == "14"


def test_a_source_named_like_a_column_keeps_both():
    figures = frame(
        ("i1", "status", "killed", "12", "2020-01-02"),
        ("i1", "median", "killed", "at least 10", "2020-01-02"),
    )
    wide = compare_figures(figures, load_suite(AQ / "expectations")).by_source()
    assert wide.loc[0, "status"] == "agree"  # the table's own column is untouched
    assert wide.loc[0, "status (source)"] == "12"
    assert wide.loc[0, "median (source)"] == "at least 10"
    assert isinstance(wide.loc[0, "median"], float)


def test_source_names_in_the_csv_header_are_neutralised(cli, tmp_path):
    out = tmp_path / "comparison.csv"
    run = cli("compare", str(FIXTURES / "hostile"), "--csv", str(out), "--fail-on", "never")
    assert run.code == 0, run.err
    with out.open(newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert '\'=HYPERLINK("http://evil.example/","click")' in header
    assert "'@evil" in header
    assert [h for h in header if h[:1] in ("=", "+", "-", "@", "\t", "\r")] == []


def test_many_sources_are_many_columns():
    rows = [("i1", f"S{n:02d}", "killed", str(100 + n), "2020-01-02") for n in range(60)]
    rows += [("i2", "S07", "killed", "at least 3", "2020-01-02")]
    wide = compare_figures(frame(*rows), load_suite(AQ / "expectations")).by_source()
    assert len(wide) == 2
    table = wide.set_index("incident")
    assert [table.loc["i1", f"S{n:02d}"] for n in (0, 59)] == ["100", "159"]
    assert table.loc["i2", "S07"] == "at least 3"
    assert table.loc["i2", ["S00", "S59"]].isna().all()


# --- console: observed vs expected ---------------------------------------------------------


def test_rule_findings_on_the_console_give_observed_and_expected(cli):
    run = cli("check", str(REAL), "--fail-on", "never")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    parts = next(line for line in lines if "missing-migrants-2026.csv:141:" in line)
    assert parts.endswith(
        "the parts (dead and missing by sex) sum past dead_missing "
        "(observed 11, expected ≥ 15 (the parts' sum))"
    )
    # a figure outside its own bounds: its value against them (UCDP event 84006: best 3,
    # low 0, high 0)
    bounds = next(
        line for line in lines if "ucdp-ged-bangladesh.csv:64: [rule/low <= value <= high]" in line
    )
    assert bounds.endswith("(observed 3, expected between 0 and 0)")
    child = next(
        line for line in lines if "missing-migrants-2026.csv:203: [rule/dead_missing.m" in line
    )
    assert child.endswith("(observed 14, expected <= 13 (dead_missing))")
    # an input finding whose message quotes its value only adds what it does not say
    bad = next(line for line in lines if "missing-migrants-2026.csv:197:" in line)
    assert bad.endswith("figure not read (observed -5)")


def test_values_said_are_cut_short_and_made_safe(cli):
    import io

    from toolkit.model import findings as fd
    from toolkit.reporting import console

    long = "x" * 300
    findings = fd.from_records(
        [
            {
                "kind": "rule",
                "code": "bounds",
                "rule": "r",
                "severity": "error",
                "message": "the figure lies outside",
                "observed": "12\n::error file=x::forged",
                "expected": long,
            },
            {"kind": "rule", "code": "bounds", "rule": "r", "severity": "error", "message": "m"},
        ]
    )
    out = io.StringIO()
    console.findings_list(findings, out)
    first, second = out.getvalue().splitlines()[1:3]
    assert "(observed 12?::error file=x::forged, expected " + "x" * 39 + "…)" in first
    assert len(first) < 150
    assert second.endswith("] m")  # nothing observed or expected: nothing added


# --- no hint suggests an option already given ------------------------------------------------


def _conflicts(tmp_path):
    """A figures table of 30 incidents on which two sources conflict: 30 disagreements
    and 30 conflict findings, more than the console shows."""
    rows = []
    for n in range(30):
        rows += [
            (f"i{n:02d}", "A", "killed", str(10 + n), "2020-01-02"),
            (f"i{n:02d}", "B", "killed", str(500 + n), "2020-01-02"),
        ]
    path = tmp_path / "figures.csv"
    frame(*rows).to_csv(path, index=False)
    return path


def _compare(cli, tmp_path, *extra):
    run = cli(
        "compare",
        str(_conflicts(tmp_path)),
        "--suite",
        str(AQ / "expectations"),
        "--limit",
        "2",
        "--fail-on",
        "never",
        *extra,
    )
    assert run.code == 0, run.err
    assert "… and 28 more" in run.out  # the disagreements are cut
    return run.out


def test_compare_hints_each_output_only_when_it_was_not_given(cli, tmp_path):
    bare = _compare(cli, tmp_path)
    assert "… and 28 more (write them all with --csv FILE)" in bare
    assert "(write them all with --json FILE)" in bare
    with_csv = _compare(cli, tmp_path, "--csv", str(tmp_path / "t.csv"))
    assert "… and 28 more\n" in with_csv
    assert "--csv FILE" not in with_csv
    assert "(write them all with --json FILE)" in with_csv  # the CSV holds no findings
    with_json = _compare(cli, tmp_path, "--json", str(tmp_path / "c.json"))
    assert "--json FILE" not in with_json
    assert "--csv FILE" not in with_json  # the JSON holds the whole table too
    assert "… and 28 more\n" in with_json


def test_check_hints_csv_only_when_no_csv_or_json_was_given(cli, tmp_path):
    bare = cli("check", str(REAL), "--fail-on", "never").out
    assert "(write them all with --csv FILE)" in bare
    for option, name in (("--csv", "f.csv"), ("--json", "f.json")):
        run = cli("check", str(REAL), "--fail-on", "never", option, str(tmp_path / name))
        assert run.code == 0, run.err
        assert "write them all" not in run.out, option
        assert "more\n" in run.out


def test_read_hints_findings_only_when_not_given(cli, tmp_path):
    rows = [(f"i{n:02d}", "A", "no-such-measure", "3", "2020-01-02") for n in range(25)]
    path = tmp_path / "figures.csv"
    frame(*rows).to_csv(path, index=False)
    suite = str(AQ / "expectations")
    bare = cli("read", str(path), "--suite", suite).out
    assert "… and 5 more (write them all with --findings FILE)" in bare
    run = cli("read", str(path), "--suite", suite, "--findings", str(tmp_path / "f.csv"))
    assert run.code == 1, run.err  # errors found
    assert "… and 5 more\n" in run.out
    assert "--findings FILE" not in run.out


def test_match_hints_output_only_when_not_given(cli, tmp_path):
    from generate import incidents_pair

    path = tmp_path / "pair.csv"
    incidents_pair(1500)[0].to_csv(path, index=False)
    suite = str(ROOT / "expectations")
    bare = cli("match", str(path), "--suite", suite).out
    assert "more (write them all with -o FILE)" in bare
    run = cli("match", str(path), "--suite", suite, "-o", str(tmp_path / "walk.csv"))
    assert run.code == 0, run.err
    assert "write them all" not in run.out
    assert "more\n" in run.out


def test_the_unlinked_hint_does_not_suggest_match_after_matching(cli, tmp_path):
    rows = [("a1", "A", "killed", "3", "2020-01-02"), ("b7", "B", "killed", "4", "2021-06-09")]
    path = tmp_path / "figures.csv"
    frame(*rows).to_csv(path, index=False)
    suite = str(AQ / "expectations")
    plain = cli("compare", str(path), "--suite", suite).out
    assert "link them with --match" in plain
    matched = cli("compare", str(path), "--suite", suite, "--match").out
    assert "no incident is reported by two sources (2 sources read), even matched" in matched
    assert "--match" not in matched
    checked = cli("check", str(path), "--suite", suite, "--match", "--fail-on", "never").out
    assert "even matched" in checked
    assert "--match" not in checked

"""Who said what: a column per source in the comparison's CSV/JSON (each outlet's figure as
published), observed vs expected on the console's finding lines, and no hint suggesting an
option already given."""

from __future__ import annotations

import csv
import json

import pandas as pd
from conftest import AQ, FIXTURES, frame

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
    assert header[:4] == ["incident", "measure", "sources", "status"]
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
    assert civilians["status"] == "agree" and civilians["sources"] == "4"
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

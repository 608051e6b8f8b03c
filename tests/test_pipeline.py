"""The pipeline: read → check → link → compare → scorecard, each stage once, each handed
what the one before produced."""

from __future__ import annotations

import io
import json
from collections import Counter

import pandas as pd
import pytest
from conftest import AQ, REAL

import toolkit as cc
import toolkit.checking
import toolkit.comparing
import toolkit.comparing.scorecard
import toolkit.linking
import toolkit.pipeline
import toolkit.reading
from toolkit.cli import main
from toolkit.errors import NotAFiguresTable
from toolkit.reading import read_figures

ONCE = {
    "read_figures": 1,
    "check_figures": 1,
    "link_figures": 1,
    "compare_figures": 1,
    "scorecard": 1,
}


@pytest.fixture
def calls(monkeypatch):
    """Counts each stage's runs, wherever it is called from."""
    counted: Counter[str] = Counter()
    stages = [
        (toolkit.reading, "read_figures"),
        (toolkit.checking, "check_figures"),
        (toolkit.linking, "link_figures"),
        (toolkit.linking, "match"),
        (toolkit.comparing, "compare_figures"),
        (toolkit.comparing.scorecard, "scorecard"),
    ]
    for module, name in stages:
        real = getattr(module, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            counted[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)
        if hasattr(toolkit.pipeline, name):  # the pipeline's own reference to it
            monkeypatch.setattr(toolkit.pipeline, name, spy)
    return counted


def test_a_check_and_everything_shown_from_it_run_each_stage_once(calls, tmp_path):
    result = cc.check(AQ)
    assert dict(calls) == ONCE
    # showing the result computes nothing again
    _ = result.scorecard, result.comparison.scorecard, result.comparison.findings
    cc.report(result, tmp_path / "r.html")
    repr(result)
    result._repr_html_()
    from toolkit.reporting import junit

    junit.write(result, tmp_path / "r.xml")
    assert dict(calls) == ONCE


def test_the_check_command_with_every_output_runs_each_stage_once(calls, tmp_path):
    out = tmp_path / "out"
    code = main(
        [
            "check",
            str(AQ),
            "--html",
            str(out / "r.html"),
            "--json",
            str(out / "r.json"),
            "--junit",
            str(out / "r.xml"),
            "--csv",
            str(out / "r.csv"),
        ],
        out=io.StringIO(),
    )
    assert code == 0
    assert dict(calls) == ONCE


def test_a_check_starts_from_paths_a_read_or_a_figures_table_alike():
    read = read_figures(REAL)
    by_path = cc.check(REAL).findings
    by_read = cc.check(read).findings
    by_table = cc.check(read.figures).findings
    for other in (by_read, by_table):
        pd.testing.assert_frame_equal(by_path, other)
    assert (by_path["kind"] == "input").sum() == len(read.findings) > 0


def test_the_read_travels_with_its_table_by_reference_not_as_text():
    figures = cc.read(REAL)
    record = figures.attrs["crosscheck"]
    assert record["rows_read"] == record.result.rows_read > 0  # JSON-native items too
    some = figures[figures["source"] == "UCDP GED"].copy()
    assert some.attrs["crosscheck"] is record  # derived frames share it, uncopied
    result = cc.check(some)
    assert result.read is record.result
    assert len(result.findings[result.findings["kind"] == "input"]) == len(record.result.findings)
    json.dumps(figures.attrs)  # to_parquet writes attrs as JSON: it must stay possible


def test_a_table_written_to_parquet_keeps_its_suite(tmp_path):
    figures = cc.read(AQ)
    figures.to_parquet(tmp_path / "f.parquet")
    back = pd.read_parquet(tmp_path / "f.parquet")
    assert back.attrs["crosscheck"]["suite"].endswith("al-qaryatayn/expectations")
    result = cc.check(back)
    assert result.suite.name == "al-qaryatayn"
    assert result.read is None  # the input findings did not survive the file, honestly
    assert result.rows["read"] == len(back)


def test_rules_run_on_each_sources_keys_and_the_comparison_on_the_linked_ones(tmp_path):
    """The two outlets name one incident differently; a reviewed crosswalk links them.
    Rules see each source's own key (a rule finding cites it), the comparison the link."""
    (tmp_path / "expectations").mkdir()
    (tmp_path / "expectations" / "suite.yaml").write_text("name: t\ncrosswalk: crosswalk.csv\n")
    (tmp_path / "expectations" / "crosswalk.csv").write_text(
        "source,incident,match\nA,a-17,shared\nB,b-3,shared\n"
    )
    (tmp_path / "figures.csv").write_text(
        "incident,source,measure,value,reported_on\n"
        "a-17,A,killed,10,2020-01-02\n"
        "a-17,A,killed.civilians,12,2020-01-02\n"
        "b-3,B,killed,30,2020-01-02\n"
    )
    result = cc.check(tmp_path)
    rule = result.findings[result.findings["kind"] == "rule"]
    assert set(rule["incident"]) == {"a-17"}  # civilians above killed, in A's own key
    table = result.comparison.table.set_index(["incident", "measure"])
    assert table.loc[("shared", "killed"), "sources"] == 2
    assert table.loc[("shared", "killed"), "status"] == "conflict"
    conflict = result.findings[result.findings["code"] == "conflict"]
    names = conflict["origin_file"].str.rsplit("/", n=1).str[-1]
    where = zip(names, conflict["origin_row"], strict=True)
    assert sorted(where) == [("figures.csv", 2), ("figures.csv", 4)]  # the export's own lines
    # linking nothing compares each source's key apart
    apart = cc.check(tmp_path, link="none").comparison.table
    assert set(apart["incident"]) == {"a-17", "b-3"}


def test_a_check_of_something_else_is_a_clear_error():
    with pytest.raises(NotAFiguresTable, match="missing columns 'incident'"):
        cc.check(pd.DataFrame({"a": [1]}))
    with pytest.raises(cc.CrosscheckError, match="not int"):
        cc.check(5)

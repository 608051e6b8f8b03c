"""Reports of a run with a history: new findings marked on the console, in JUnit and in the
HTML (a badge, a filter, the counts), and the HTML's History section (trends charts, this
run's silent edits), in a real headless Chromium. Three real runs of a copy of the series
fixture recorded in a SQLite file, a figure edited before each of the last two."""

from __future__ import annotations

import base64
import csv
import io
import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pytest
from conftest import FIXTURES
from test_reporting import Page

import toolkit as cc
from toolkit.model import findings as fd
from toolkit.reporting import console, history_charts, html, junit

SERIES = FIXTURES / "series"
CTP, JHU = "COVID Tracking Project", "JHU CSSE"


def edit(path: Path, line: int, old: str, new: str) -> None:
    """Change one figure in place, as an outlet editing its export silently."""
    lines = path.read_text().splitlines(keepends=True)
    assert old in lines[line - 1], lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("".join(lines))


@dataclass
class Runs:
    folder: Path
    url: str
    first: cc.CheckResult
    second: cc.CheckResult
    third: cc.CheckResult
    cli_out: str  # the third run, by the command line (not recorded: the API recorded it)
    report: Path
    junit: Path
    csv: Path


def _run_cli(*args: str) -> tuple[int, str]:
    from toolkit.cli import main

    out = io.StringIO()
    code = main(list(args), out=out)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    tmp = tmp_path_factory.mktemp("history")
    folder = tmp / "series"
    shutil.copytree(SERIES, folder)
    url = f"sqlite:///{tmp}/h.sqlite"
    first = cc.check(folder, history=url)
    # Colorado's 2020-05-16 deaths: 878 -> 880 under the same report date
    edit(folder / "covid-tracking.csv", 14, ",878,", ",880,")
    second = cc.check(folder, history=url)
    # Washington's 2020-05-09 deaths at JHU: 941 -> 945
    edit(folder / "jhu-csse.csv", 22, ",941,", ",945,")
    outputs = {k: tmp / f"third.{k}" for k in ("html", "xml", "csv")}
    # the command line's third run against a copy of the history (it records itself)
    shutil.copy(tmp / "h.sqlite", tmp / "cli.sqlite")
    code, out = _run_cli(
        "check",
        str(folder),
        "--history",
        f"sqlite:///{tmp}/cli.sqlite",
        "--fail-on",
        "never",
        "--html",
        str(outputs["html"]),
        "--junit",
        str(outputs["xml"]),
        "--csv",
        str(outputs["csv"]),
    )
    assert code == 0, out
    third = cc.check(folder, history=url)
    return Runs(folder, url, first, second, third, out, *outputs.values())


def _svg(data: str) -> str:
    return base64.b64decode(data).decode("utf-8")


def _key(where: str, message: str) -> tuple[str, str]:
    return where, message


def test_new_findings_are_those_absent_from_the_previous_run(runs):
    f1, f2, f3 = runs.first.findings, runs.second.findings, runs.third.findings
    assert f1["new"].all()  # the suite's first run
    assert runs.first.history.previous is None
    assert runs.second.history.previous is not None
    assert runs.third.history.previous == runs.second.history.previous + 1
    # run 2: the edit made a silent edit and moved rule findings; the rest were there
    assert 0 < f2["new"].sum() < len(f2)
    assert set(f2.loc[f2["new"], "code"]) >= {"silent-edit"}
    assert (f3["new"].sum(), len(runs.third.history.edits)) > (0, 0)


def test_the_console_marks_new_findings_and_says_where_the_run_stands(runs):
    out = io.StringIO()
    console.check_summary(runs.third, out)
    console.findings_list(runs.third.findings, out, limit=None)
    text = out.getvalue()
    f = runs.third.findings
    new = int(f["new"].sum())
    h = runs.third.history
    assert (
        f"history: run 3 of suite series in {h.url} (previous: run {h.previous}): "
        f"{new} new finding{'s' * (new != 1)}, {len(h.edits)} silent edit"
    ) in text
    assert f"findings ({len(f)}, {new} new):" in text
    lines = [ln for ln in text.splitlines() if re.match(r"^  (error|warning|info) ", ln)]
    assert len(lines) == len(f)
    marked = [ln[10:13] == "new" for ln in lines]
    assert marked == f["new"].tolist()
    # the command line's own output says the same
    assert "history: run 3 of suite series in sqlite:///" in runs.cli_out
    assert re.search(r"^  warning new .*a published figure changed silently", runs.cli_out, re.M)


def test_junit_marks_the_cases_of_new_findings(runs):
    result = runs.third
    root = junit.tree(result).getroot()
    f = junit.by_rule(result.findings)
    f["incident"] = f["incident"].fillna(junit.NO_INCIDENT)
    fresh = set(zip(f.loc[f["new"], "rule"], f.loc[f["new"], "incident"], strict=True))
    assert fresh
    marked = set()
    for suite in root:
        for case in suite:
            props = case.findall("properties/property[@name='new']")
            if props:
                assert [p.get("value") for p in props] == ["true"]
                marked.add((suite.get("name"), case.get("name")))
            failure = case.find("failure")
            text = (failure.text if failure is not None else case.findtext("system-out")) or ""
            if (suite.get("name"), case.get("name")) in fresh:
                assert any(line.startswith("new: ") for line in text.splitlines())
            else:
                assert not any(line.startswith("new: ") for line in text.splitlines())
    assert marked == fresh
    # a failing case with a new finding names it in its message, "new: " first (run 2,
    # failing on warnings: several new ones)
    second = runs.second.findings
    failing = junit.by_rule(second[second["severity"].isin(["error", "warning"])])
    said = fd.location(failing).to_numpy() + ": " + failing["message"].to_numpy()
    failures = [
        (suite.get("name"), case.get("name"), case.find("failure"))
        for suite in junit.tree(runs.second, fail_on="warning").getroot()
        for case in suite
        if case.find("failure") is not None
    ]
    assert len(failures) > 0
    prefixed = 0
    for rule, incident, failure in failures:
        message = failure.get("message", "")
        mine = (failing["rule"] == rule).to_numpy() & (
            failing["incident"].fillna(junit.NO_INCIDENT) == incident
        ).to_numpy()
        named = mine & (said == message.removeprefix("new: "))
        assert named.any(), message
        assert message.startswith("new: ") == bool(failing["new"].to_numpy()[mine].any())
        assert message.startswith("new: ") == bool(failing["new"].to_numpy()[named].all())
        prefixed += message.startswith("new: ")
    assert 0 < prefixed < len(failures)


def test_a_failure_names_the_new_finding_of_its_case_first(runs):
    f = runs.third.findings
    case = (f["rule"] == "deaths does not drop") & (f["incident"] == "covid-19 US-OH")
    assert case.sum() > 2  # several warnings in one case
    last = f.index[case][-1]
    marked = f.assign(new=f.index == last)  # only the case's last finding is new
    root = junit.tree(replace(runs.third, findings=marked), fail_on="warning").getroot()
    failure = root.find(
        "testsuite[@name='deaths does not drop']/testcase[@name='covid-19 US-OH']/failure"
    )
    assert failure is not None
    where = fd.location(f.loc[[last]]).iloc[0]
    assert failure.get("message") == f"new: {where}: {f.loc[last, 'message']}"
    lines = (failure.text or "").splitlines()
    assert [ln.startswith("new: ") for ln in lines] == [False] * (len(lines) - 1) + [True]
    # the command line's file too
    written = ET.parse(runs.junit).getroot()
    assert written.findall(".//property[@name='new']")


def test_the_trends_charts_draw_each_run_and_each_sources_edits(runs):
    h = runs.third.history
    trends = h.trends(runs.third.findings)
    assert trends["run"].tolist()[-1] == "this run"
    assert len(trends) == 3
    fig = history_charts.severity_trend_chart(trends)
    ax = fig.axes[0]
    bars = {p.get_gid(): p for p in ax.patches}
    for k, row in enumerate(trends.itertuples()):
        assert bars[f"errors-{k}"].get_height() == row.errors
        assert bars[f"warnings-{k}"].get_height() == row.warnings
        assert bars[f"warnings-{k}"].get_y() == row.errors  # stacked on the errors
        assert bars[f"infos-{k}"].get_y() == row.errors + row.warnings
    assert len(bars) == 3 * 3
    assert [t.get_text() for t in ax.get_xticklabels()] == trends["run"].tolist()
    by_source = h.edits_by_source()
    fig = history_charts.edits_trend_chart(by_source, trends["run"].tolist())
    lines = {ln.get_label(): ln.get_ydata().tolist() for ln in fig.axes[0].lines}
    # run 1 saw none; run 2 Colorado's edit at CTP; this run JHU's
    assert lines == {CTP: [0, 1, 0], JHU: [0, 0, 1]}


def test_the_trends_charts_keep_the_last_runs_and_the_busiest_sources():
    runs = [str(i) for i in range(1, 200)] + ["this run"]
    trends = pd.DataFrame({"run": runs, "errors": 1, "warnings": 2, "infos": 3})
    ax = history_charts.severity_trend_chart(trends).axes[0]
    assert len(ax.patches) == 3 * history_charts.MAX_RUNS
    sources = [f"s{i:02d}" for i in range(20)]
    by_source = pd.DataFrame(
        {"run": "this run", "source": sources, "edits": range(1, 21)}  # s19 the busiest
    )
    table = history_charts.edits_table(by_source, runs[-5:])
    assert list(table.columns) == [
        *[f"s{i}" for i in range(19, 12, -1)],
        history_charts.OTHERS,
    ]
    assert table.loc["this run", history_charts.OTHERS] == sum(range(1, 14))
    assert table.drop(index="this run").to_numpy().sum() == 0


def test_the_html_report_has_the_history_and_badges_exactly_on_new_findings(runs, tmp_path):
    text = html.render(runs.third)
    assert '<section id="history">' in text
    ctx = html.context(runs.third)
    h = ctx["history"]
    assert h["previous"] == runs.third.history.previous
    assert h["runs"] == 3
    severity, edits = _svg(h["severity_chart"]), _svg(h["edits_chart"])
    assert {f"{s}-{k}" for s in ("errors", "warnings", "infos") for k in range(3)} <= set(
        re.findall(r'<g id="((?:errors|warnings|infos)-\d+)"', severity)
    )
    assert not re.search(r'<g id="errors-3"', severity)
    assert sorted(re.findall(r'<g id="(edits-\d+)"', edits)) == ["edits-0", "edits-1"]
    assert CTP in edits
    assert JHU in edits
    assert text.count('<figure class="chart" id="history-') == 2
    # the silent edits table: this run's one edit, at JHU
    assert [(e["source"], e["before"], e["after"]) for e in h["edits"]] == [(JHU, "941", "945")]
    # the badges: exactly the new findings
    f = runs.third.findings
    new = int(f["new"].sum())
    assert ctx["new"]["total"] == new
    assert text.count('<span class="badge-new" title=') == new
    rows = [r for r in ctx["findings"] if r["new"]]
    assert len(rows) == new
    # run 2 had several new findings: the badged rows are exactly they
    second = runs.second.findings
    ctx2 = html.context(runs.second)
    badged = {(r["where"], r["message"]) for r in ctx2["findings"] if r["new"]}
    fresh = second[second["new"]]
    expected = set(zip(fd.location(fresh), fresh["message"], strict=True))
    assert len(badged) == len(expected) == int(second["new"].sum()) > 1
    assert badged == expected
    assert html.render(runs.second).count('<span class="badge-new" title=') == len(expected)
    # bounded like the other tables
    small = html.context(runs.third, max_findings=0)["history"]
    assert small["edits"] == []
    assert small["edits_more"] == 1


def test_the_report_written_by_the_command_line_opens_offline_with_its_history(browser, runs):
    with open(runs.csv, newline="") as fh:
        fresh = {
            _key(f"{r['origin_file']}:{r['origin_row']}", r["message"])
            for r in csv.DictReader(fh)
            if r["new"] == "True"
        }
    assert fresh
    view = Page(browser, runs.report)
    page = view.page
    try:
        assert view.requests == [runs.report.as_uri()]
        assert view.errors == []
        widths = page.eval_on_selector_all("#history img", "imgs => imgs.map(i => i.naturalWidth)")
        assert len(widths) == 2
        assert all(w > 0 for w in widths)
        previous = page.locator("#history-previous").inner_text()
        assert previous == str(runs.third.history.previous)
        badged = page.eval_on_selector_all(
            "#findings-table tbody tr",
            "rows => rows.filter(r => r.querySelector('.badge-new')).map(r => "
            "[r.cells[3].textContent, r.cells[9].textContent.replace(/^new/, '')])",
        )
        assert {tuple(b) for b in badged} == fresh
        assert page.locator("#findings-table tbody tr[data-new=true]").count() == len(fresh)
        # "new only" shows exactly them
        total = page.locator("#findings-table tbody tr").count()
        page.check("#new-filter")
        visible = page.locator("#findings-table tbody tr:not([hidden])")
        assert visible.count() == len(fresh) < total
        assert page.locator("#finding-count").inner_text() == f"{len(fresh)} of {total} shown"
        page.uncheck("#new-filter")
        assert visible.count() == total
        assert (
            page.locator("#new-findings")
            .inner_text()
            .startswith(f"New since the suite's previous run: {len(fresh)} finding(s)")
        )
        assert page.locator("#silent-edits tbody tr").count() == 1
        assert view.errors == []
    finally:
        view.close()


def test_the_first_run_says_so_and_draws_no_trend(runs):
    ctx = html.context(runs.first)
    h = ctx["history"]
    assert h["previous"] is None
    assert (h["runs"], h["severity_chart"], h["edits_chart"]) == (1, "", "")
    assert ctx["new"]["total"] == len(runs.first.findings)
    text = html.render(runs.first)
    assert "this is the suite's first run there" in text
    assert 'id="history-severity"' not in text


def test_a_run_without_history_shows_none_of_it(runs, tmp_path):
    result = cc.check(runs.folder)
    assert result.history is None
    assert "new" not in result.findings
    text = html.render(result)
    assert 'id="history"' not in text
    assert 'badge-new" title' not in text
    assert 'id="new-filter"' not in text
    assert 'id="new-findings"' not in text
    out = io.StringIO()
    console.check_summary(result, out)
    console.findings_list(result.findings, out, limit=None)
    assert "history:" not in out.getvalue()
    assert not re.search(r"^  \w+ +new ", out.getvalue(), re.M)
    assert "new)" not in out.getvalue()
    root = junit.tree(result).getroot()
    assert root.findall(".//property") == []
    assert not any(
        (e.get("message") or "").startswith("new: ") or (e.text or "").startswith("new: ")
        for e in root.iter()
    )

"""Reports: the HTML in a real headless Chromium, security, JUnit, annotations, exit codes,
the text summary, and the charts read back from their artists."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import AQ, FIXTURES, REAL, ROOT, frame

import toolkit as cc
from toolkit.pipeline import compare
from toolkit.reporting import charts, github, html, junit

ARTIFACTS = ROOT / "tests" / "artifacts"
HOSTILE = FIXTURES / "hostile"
SNAPSHOTS = Path(__file__).parent / "snapshots"


class Page:
    """A report opened in Chromium, with every console error, dialog and request seen."""

    def __init__(self, browser, path: Path, javascript: bool = True) -> None:
        self.context = browser.new_context(java_script_enabled=javascript)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route) -> None:
        self.requests.append(route.request.url)
        route.continue_()

    def close(self) -> None:
        self.context.close()


def report(tmp_path: Path, source: Path, *extra: str) -> Path:
    out = tmp_path / f"{source.name}.html"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolkit",
            "check",
            str(source),
            "--html",
            str(out),
            "--fail-on",
            "never",
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return out


def test_the_report_opens_offline_renders_charts_sorts_and_filters(browser, tmp_path):
    path = report(tmp_path, REAL)
    view = Page(browser, path)
    page = view.page
    try:
        # every request was the file itself: nothing from the network
        assert view.requests == [path.as_uri()]
        assert view.errors == []
        # charts are images that decoded (an SVG that failed would have no width)
        widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
        assert widths
        assert all(w > 0 for w in widths)
        # sort the sources by name, both ways
        header = page.locator("#scorecard-table th", has_text="Source")
        header.click()
        names = page.eval_on_selector_all(
            "#scorecard-table tbody tr td:first-child", "cells => cells.map(c => c.textContent)"
        )
        assert names == sorted(names, key=str.lower)
        header.click()
        again = page.eval_on_selector_all(
            "#scorecard-table tbody tr td:first-child", "cells => cells.map(c => c.textContent)"
        )
        assert again == sorted(names, key=str.lower, reverse=True)
        # filter the findings by severity, then by text
        total = page.locator("#findings-table tbody tr").count()
        page.select_option("#severity-filter", "error")
        visible = page.locator("#findings-table tbody tr:not([hidden])")
        errors = visible.count()
        assert 0 < errors < total
        assert set(visible.evaluate_all("rows => rows.map(r => r.dataset.severity)")) == {"error"}
        page.select_option("#severity-filter", "")
        page.fill("#finding-filter", "killed.women does not drop")
        assert 0 < visible.count() < total
        assert page.locator("#finding-count").inner_text().endswith(f"of {total} shown")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-real.png"), full_page=False)
        assert (ARTIFACTS / "report-real.png").stat().st_size > 10_000
    finally:
        view.close()


def test_the_report_reads_whole_with_scripts_off(browser, tmp_path):
    path = report(tmp_path, REAL)
    view = Page(browser, path, javascript=False)
    try:
        rows = view.page.locator("#findings-table tbody tr")
        assert rows.count() > 0
        assert view.page.locator("#findings-table tbody tr:not([hidden])").count() == rows.count()
        assert not view.page.locator("#findings .filters").is_visible()
        assert view.page.locator("noscript").count() == 1
    finally:
        view.close()


def test_a_stale_figure_is_shown_as_stale_in_the_browser(browser, tmp_path):
    """A toll that went down: A's month-old 300 is stale, still a lower bound above what
    B and C give now. The report lists it with the conflict, marked and styled stale."""
    figures = frame(
        ("x", "A", "killed", "300", "2020-01-01"),
        ("x", "B", "killed", "250", "2020-02-01"),
        ("x", "C", "killed", "251", "2020-02-01"),
    )
    path = html.write(cc.check(figures), tmp_path / "stale.html")
    view = Page(browser, path)
    try:
        row = view.page.locator("#disagreements tbody tr", has_text="killed")
        assert row.locator("td").nth(2).inner_text() == "conflict"
        assert row.locator("td").nth(3).inner_text() == "2"  # the current sources only
        stale = row.locator(".stale")
        assert stale.count() == 1
        assert stale.inner_text() == "A: 300 (earlier)"
        style = stale.evaluate("e => getComputedStyle(e).fontStyle")
        assert style == "italic"
        assert "B: 250" in row.inner_text()
    finally:
        view.close()
    # the same with one current source: still a conflict, still charted with both figures
    went_down = frame(
        ("x", "B", "killed", "30", "2024-01-01"), ("x", "A", "killed", "12", "2024-01-20")
    )
    result = cc.check(went_down)
    assert result.comparison.table.iloc[0]["status"] == "conflict"
    chart = html.incident_svg(result.comparison, "x")
    assert chart["alt"] == "killed: A 12, B 30 (earlier)"
    assert "conflict" in result.comparison._repr_html_()


def test_hostile_text_stays_text_in_the_browser(browser, tmp_path):
    path = report(tmp_path, HOSTILE)
    text = path.read_text()
    assert "<script>alert(" not in text  # escaped, all of it
    view = Page(browser, path)
    page = view.page
    try:
        page.mouse.move(200, 200)
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        assert view.dialogs == []
        assert view.errors == []
        assert view.requests == [path.as_uri()]
        body = page.inner_text("body")
        assert "<script>alert('incident')</script>" in body  # shown as text
        assert "<img src=x onerror=alert('source')>" in body
        hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))")
        assert all(h.startswith(("#", "https://", "http://")) for h in hrefs), hrefs
        assert "https://example.org/ok" in hrefs
        # the only script is ours, allowed by its hash
        assert page.locator("script").count() == 1
        assert page.locator("img[onerror], svg[onload], [onmouseover]").count() == 0
    finally:
        view.close()


def test_hostile_cells_are_neutralised_in_the_csv(cli, tmp_path):
    out = tmp_path / "findings.csv"
    run = cli("check", str(HOSTILE), "--csv", str(out), "--fail-on", "never")
    assert run.code == 0, run.err
    with out.open(newline="") as f:
        cells = [cell for row in csv.reader(f) for cell in row]
    risky = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert risky == []
    assert '\'=HYPERLINK("http://evil.example/","click")' in cells
    assert "'-7" in cells
    assert "'@evil" in cells


def test_links_are_only_plain_http_urls():
    assert (
        html.safe_link(" https://www.syriahr.com/en/76920 ") == "https://www.syriahr.com/en/76920"
    )
    for bad in (
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,x",
        "/etc/passwd",
        "https://a.example/<script>",
        "seed/article.txt",
        None,
    ):
        assert html.safe_link(bad) is None, bad


# --- JUnit, annotations, exit codes -------------------------------------------------------


def test_junit_is_read_by_junitparser_with_the_right_counts(tmp_path):
    from junitparser import JUnitXml

    result = cc.check(cc.read(REAL))
    path = junit.write(result, tmp_path / "junit.xml")
    xml = JUnitXml.fromfile(str(path))
    cases = junit.cases(result)
    errors = junit.by_rule(result.findings[result.findings["severity"] == "error"])
    failing = set(zip(errors["rule"], errors["incident"].fillna(junit.NO_INCIDENT), strict=True))
    assert xml.tests == len(cases)
    assert xml.failures == len(failing) > 0
    seen_failures = 0
    for suite in xml:
        for case in suite:
            if case.result:
                seen_failures += 1
                failure = case.result[0]
                assert re.match(r"^\S+:\d+: ", failure.message), failure.message
                assert (suite.name, case.name) in failing
    assert seen_failures == len(failing)


def test_annotations_follow_githubs_workflow_command_format(cli, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    run = cli("check", str(HOSTILE), "--fail-on", "never")
    lines = [line for line in run.out.splitlines() if line.startswith("::")]
    findings = cc.check(cc.read(HOSTILE)).findings
    assert len(lines) == len(findings)
    command = re.compile(
        r"^::(error|warning|notice) (file=[^,:]+,line=\d+,)?title=[^,:]+::[^\r\n]*$"
    )
    for line in lines:
        assert command.match(line), line
    assert github.escape_data("50%\nnext") == "50%25%0Anext"
    assert github.escape_property("a:b,c") == "a%3Ab%2Cc"
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert not any(line.startswith("::") for line in cli("check", str(AQ)).out.splitlines())
    forced = cli("check", str(AQ), "--annotations", "github").out
    assert "::warning file=fixtures/al-qaryatayn/sohr.csv,line=2,title=input%3A" in forced


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["check", "fixtures/al-qaryatayn"], 0),
        (["check", "fixtures/al-qaryatayn", "--fail-on", "warning"], 1),
        (["check", "fixtures/real"], 1),
        (["check", "fixtures/real", "--fail-on", "never"], 0),
        (["check", "fixtures/nowhere"], 2),
        (["check", "fixtures/al-qaryatayn", "--fail-on", "sometimes"], 2),
        (["compare", "fixtures/al-qaryatayn", "--as-of", "yesterday-ish"], 2),
    ],
)
def test_exit_codes_end_to_end(args, code):
    run = subprocess.run(
        [sys.executable, "-m", "toolkit", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == code, run.stderr
    assert "Traceback" not in run.stderr


def test_check_writes_every_output_at_once(cli, tmp_path):
    paths = {k: tmp_path / f"out.{k}" for k in ("json", "csv", "html", "xml")}
    run = cli(
        "check",
        str(AQ),
        "--json",
        str(paths["json"]),
        "--csv",
        str(paths["csv"]),
        "--html",
        str(paths["html"]),
        "--junit",
        str(paths["xml"]),
    )
    assert run.code == 0, run.err
    for p in paths.values():
        assert f"wrote {p}" in run.out
    # each output holds the same run: the same findings, and the comparison's counts
    result = cc.check(cc.read(AQ))
    document = json.loads(paths["json"].read_text())
    assert len(document["findings"]) == len(pd.read_csv(paths["csv"])) == len(result.findings)
    assert document["summary"][0]["rows_read"] == result.rows["read"]
    assert len(document["comparison"]) == len(result.comparison.table)
    page = paths["html"].read_text()
    assert f"Rows read <b>{result.rows['read']}</b>" in page
    assert page.count('<tr data-severity="') == len(result.findings)
    from junitparser import JUnitXml

    assert JUnitXml.fromfile(str(paths["xml"])).tests == len(junit.cases(result))
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # every output written through a temporary file, renamed


# --- text summary snapshot ----------------------------------------------------------------


def test_the_text_summary_matches_its_snapshot():
    run = subprocess.run(
        [sys.executable, "-m", "toolkit", "check", "fixtures/al-qaryatayn"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    text = run.stdout.replace(str(ROOT), "<root>")
    snapshot = SNAPSHOTS / "al-qaryatayn-check.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(text)
    assert text == snapshot.read_text(), "run with UPDATE_SNAPSHOTS=1 to accept a change"


# --- charts, read back from their artists --------------------------------------------------


def _exact_45(figures: pd.DataFrame) -> pd.DataFrame:
    f = figures.copy()
    at = f["source"] == "Al-Masdar News"
    f.loc[at, ["figure_text", "qualifier"]] = ["45", "exact"]
    f.loc[at, "high"] = 45
    return f


def test_the_incident_chart_shows_each_source_value_interval_and_status():
    from matplotlib.colors import to_hex

    c = compare(_exact_45(cc.read(AQ)))
    fig = c.plot("al-qaryatayn-2017", measures=["killed.civilians", "killed"])
    civilians = fig.axes[0]
    assert civilians.get_title(loc="left").startswith("killed.civilians — conflict")
    sources = [t.get_text() for t in civilians.get_yticklabels()]
    assert sources == sorted(
        ["Al-Masdar News", "Associated Press", "Homs governor Talal Barazi", "The Independent"]
    )
    points = {
        line.get_label().split(":")[0]: (line.get_xdata()[0], to_hex(line.get_color()))
        for line in civilians.get_lines()
        if line.get_marker() == "o"
    }
    assert points["The Independent"][0] == 128
    assert points["Associated Press"][0] == 70
    assert points["Al-Masdar News"] == (45, charts.COLOURS["outlier"].lower())
    assert points["Associated Press"][1] == charts.COLOURS["conflict"].lower()
    # "more than 70" and "more than 60" are open: an arrowhead at the edge; 128 and 45 not
    (heads,) = [c for c in civilians.collections if c.get_gid() == "open"]
    rows = heads.get_offsets()[:, 1]
    assert sorted(sources[int(r)] for r in rows) == [
        "Associated Press",
        "Homs governor Talal Barazi",
    ]
    (intervals,) = [c for c in civilians.collections if c.get_gid() == "intervals"]
    spans = {sources[int(seg[0][1])]: (seg[0][0], seg[1][0]) for seg in intervals.get_segments()}
    assert spans["Al-Masdar News"] == (45, 45)
    assert spans["Homs governor Talal Barazi"][0] == 61
    labels = [t.get_text().strip() for t in civilians.texts if t.get_text().strip()]
    assert {"45", "> 70", "> 60", "128"} <= set(labels)
    killed = fig.axes[1]
    assert "killed — agree" in killed.get_title(loc="left")


def test_the_revision_chart_draws_each_sources_figures_over_time():
    c = compare(cc.read(AQ))
    fig = charts.revision_chart(c, "al-qaryatayn-2017", "killed.civilians")
    ax = fig.axes[0]
    series = {
        line.get_label(): list(line.get_ydata())
        for line in ax.get_lines()
        if not line.get_label().startswith("_")
    }
    assert series["Associated Press"] == [67, 70]
    assert series["Homs governor Talal Barazi"] == [60]


def test_the_scorecard_chart_has_a_bar_per_source():
    c = compare(_exact_45(cc.read(AQ)))
    fig = charts.scorecard_chart(c.scorecard)
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert set(names) == set(c.scorecard["source"])
    compared, outliers = ax.containers  # barh containers, one bar per source, in tick order
    widths = dict(zip(names, (bar.get_width() for bar in outliers), strict=True))
    assert dict(zip(names, (bar.get_width() for bar in compared), strict=True)) == dict(
        zip(c.scorecard["source"], c.scorecard["compared"], strict=True)
    )
    assert widths["Al-Masdar News"] == 1
    assert sum(widths.values()) == 1


def test_progress_is_drawn_only_on_a_terminal(capsys):
    import io

    from toolkit.reporting.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Terminal()
    p = Progress(2, stream=tty)
    p.step("reading exports")
    p.step("checking rules")
    p.done()
    assert "[############------------] 1/2 reading exports" in tty.getvalue()
    assert "2/2 checking rules" in tty.getvalue()
    quiet = io.StringIO()
    Progress(2, stream=quiet).step("x")
    assert quiet.getvalue() == ""


def test_the_summary_names_each_family_with_the_key_that_tunes_it():
    result = cc.check(REAL)
    page = html.render(result)
    start = page.index('<table id="families">')
    table = page[start : page.index("</table>", start)]
    counts = result.findings.groupby("code").size()
    for code in counts.index:
        assert f"<td><code>{code}</code></td>" in table
    rows = table.count("<tr>") - 1  # the header row
    assert rows == len(counts)
    # the cumulative drop's row: its kind, what it finds, and its count under "warning"
    drop = table[table.index("<code>cumulative-no-drop</code>") :].split("</tr>")[0]
    assert "cumulative figure below the previous report&#39;s" in drop
    assert f'<td class="num">{counts["cumulative-no-drop"]}</td>' in drop


def test_a_chart_of_an_incident_the_comparison_lacks_says_which_it_has():
    comparison = cc.check(AQ).comparison
    with pytest.raises(cc.CrosscheckError, match="Did you mean 'al-qaryatayn-2017'") as info:
        comparison.plot("al-qaryatayn-2071")
    assert isinstance(info.value, KeyError)  # a lookup that failed, as pandas' would be
    with pytest.raises(cc.CrosscheckError, match="no dated figures"):
        comparison.plot_revisions("al-qaryatayn-2017", "detained")
    with pytest.raises(cc.CrosscheckError, match="has none of the measures"):
        charts.incident_chart(comparison, "al-qaryatayn-2017", measures=["displaced.children"])


def test_a_dollar_sign_in_a_name_is_text_in_every_chart(tmp_path, cli):
    """Matplotlib reads ``$…$`` as mathematics: a source named so crashed the report."""
    data = tmp_path / "dollar"
    data.mkdir()
    (data / "a.csv").write_text(
        "incident,source,measure,figure_text,reported_on\n"
        "a,Min $\\frac{a$,killed,10,2020-01-01\na,B,killed,20,2020-01-01\n"
        "a,Min $\\frac{a$,killed,12,2020-01-02\na,B,killed,25,2020-01-02\n"
    )
    out = tmp_path / "r.html"
    run = cli("check", str(data), "--over-time", "--html", str(out), "--fail-on", "never")
    assert run.code == 0, run.err
    assert "Min $\\frac{a$" in out.read_text(encoding="utf-8")

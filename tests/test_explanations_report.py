"""Explanations of conflicts in the reports: the console (``check`` and ``compare``), the
HTML report (in a real headless Chromium too), the JSON and the notebook's summary, on
the real files of fixtures/explaining (FBI vs Stanford MSA, whose victims count the
shooter), and hostile names escaped wherever the evidence and the patterns quote them."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

from conftest import AQ, FIXTURES
from markupsafe import escape
from test_reporting import Page

import toolkit as cc
from toolkit.reporting import console

EXPLAINING = FIXTURES / "explaining"
COUNTS = "conflicts by explanation: 2 unexplained, 14 definition, 2 breakdown"
PATTERN = (
    "Stanford MSA's killed.victims figures equal the others' killed.victims + "
    "killed.perpetrators in 14 of its 14 conflicts (21 figures compared): in Stanford "
    "MSA's profile, map the figure read as killed.victims to killed"
)
SANDY_HOOK = (
    "Stanford MSA's killed.victims 28 = the others' killed.victims (27) + "
    "killed.perpetrators (1): its killed.victims includes killed.perpetrators (read it as "
    "killed)"
)
HOSTILE = "<script>alert(1)</script> MSA"


def hostile_copy(tmp_path: Path, name: str = HOSTILE) -> Path:
    """fixtures/explaining with Stanford MSA renamed ``name`` (its profile and the
    crosswalk), so the evidence and the pattern quote it."""
    copy = tmp_path / "explaining"
    shutil.copytree(EXPLAINING, copy)
    crosswalk = copy / "expectations" / "crosswalk.csv"
    text = crosswalk.read_text(encoding="utf-8")
    assert text.count("\nStanford MSA,") == 21
    field = '"' + name.replace('"', '""') + '"'  # a quoted CSV field
    crosswalk.write_text(text.replace("\nStanford MSA,", f"\n{field},"), encoding="utf-8")
    quoted = json.dumps(name)  # a YAML double-quoted scalar
    profile = copy / "expectations" / "profiles" / "msa.yaml"
    text = profile.read_text(encoding="utf-8")
    assert "constants: {source: Stanford MSA," in text
    profile.write_text(
        text.replace("constants: {source: Stanford MSA,", f"constants: {{source: {quoted},"),
        encoding="utf-8",
    )
    return copy


def section(page: str, tag: str, ident: str) -> str:
    """The element ``<tag id="ident">…</tag>`` of a report (its first closing tag)."""
    found = re.search(rf'<{tag}[^>]* id="{ident}"[^>]*>.*?</{tag}>', page, re.S)
    assert found is not None, ident
    return found.group(0)


# The console.


def test_check_prints_the_conflicts_by_explanation_and_the_pattern(cli):
    run = cli("check", str(EXPLAINING), "--fail-on", "never")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    compared = next(i for i, line in enumerate(lines) if line.startswith("compared 126 "))
    # right after the comparison's counts: the conflicts by explanation, then the pattern
    assert lines[compared + 1] == COUNTS
    assert lines[compared + 2] == f"pattern  {PATTERN}"
    assert sum(line.startswith("pattern  ") for line in lines) == 1


def test_compare_prints_each_conflicts_explanation_and_evidence(cli):
    run = cli("compare", str(EXPLAINING), "--limit", "50")
    assert run.code == 1, run.err  # conflicts are errors
    lines = run.out.splitlines()
    assert COUNTS in lines
    assert f"pattern  {PATTERN}" in lines
    assert lines.index(COUNTS) < lines.index("where sources disagree (worst first):")
    # every conflict listed has a "why" line under it, the explanation its table gives
    why = [line.strip() for line in lines if line.startswith("      why: ")]
    assert len(why) == 18
    assert sum(w == "why: unexplained" for w in why) == 2
    assert sum(w.startswith("why: definition: ") for w in why) == 14
    assert (
        sum(w.startswith("why: breakdown: Stanford MSA's injured 3 is the sum") for w in why) == 2
    )
    sandy = lines.index("  conflict  sandy-hook-2012 / killed.victims: 2 sources, spread 1.04")
    assert lines[sandy + 1] == f"      why: definition: {SANDY_HOOK}"


def test_the_console_says_timing_and_nothing_without_conflicts(cli):
    run = cli("compare", str(FIXTURES / "series"))
    assert "conflicts by explanation: 1 unexplained, 1 timing" in run.out.splitlines()
    assert "why: timing: COVID Tracking Project's deaths 1,781 (2020-05-20) is what JHU" in run.out
    assert "pattern  " not in run.out  # one lag in two conflicts: no pattern
    quiet = cli("check", str(AQ), "--fail-on", "never")
    assert quiet.code == 0, quiet.err
    assert "by explanation" not in quiet.out
    assert "pattern  " not in quiet.out


def test_console_lines_of_explanations_are_clean_on_a_raw_stream(tmp_path):
    """Printed on a plain stream (not the CLI's guarded one), a source name that would
    drive the terminal or end a line stays one line of plain text."""
    name = "Evil\x1b[2J\nMSA\u202e"
    c = cc.compare(cc.read(hostile_copy(tmp_path, name)))
    out = io.StringIO()
    console.disagreements(c, out, limit=50)
    text = out.getvalue()
    assert "\x1b" not in text
    assert "\u202e" not in text
    lines = text.splitlines()
    patterns = [line for line in lines if line.startswith("pattern  ")]
    assert patterns == [f"pattern  {console.clean(c.patterns['message'].iloc[0])}"]
    assert patterns[0].startswith("pattern  Evil?[2J?MSA?'s killed.victims figures equal")
    assert "      why: definition: Evil?[2J?MSA?'s killed.victims 28 = " in text
    assert sum(line.startswith("      why: ") for line in lines) == 18


def test_long_evidence_is_cut_on_the_console():
    said = console.why("definition", "x" * 500)
    assert said == "definition: " + "x" * 199 + "…"


# The HTML report.


def test_the_report_counts_badges_and_patterns(cli, tmp_path):
    out = tmp_path / "report.html"
    run = cli("check", str(EXPLAINING), "--html", str(out), "--fail-on", "never")
    assert run.code == 0, run.err
    page = out.read_text(encoding="utf-8")
    # the summary: conflicts by explanation, unexplained first, those with none left out
    summary = section(page, "p", "explanations")
    counted = re.findall(r'data-explanation="(\w+)"><b>(\d+)</b>', summary)
    assert counted == [("unexplained", "2"), ("definition", "14"), ("breakdown", "2")]
    # each conflict: its explanation as a badge, and its evidence
    table = section(page, "table", "disagreements")
    badges = re.findall(r'<span class="badge-explanation explanation-(\w+)"', table)
    assert sorted(badges) == sorted(["unexplained"] * 2 + ["definition"] * 14 + ["breakdown"] * 2)
    row = re.search(r"<tr><td>sandy-hook-2012<td>killed.victims<td>conflict.*?</tr>", table, re.S)
    assert row is not None
    assert 'data-explanation="definition">definition</span>' in row.group(0)
    assert f'<span class="evidence">{escape(SANDY_HOOK)}</span>' in row.group(0)
    # the scorecard section: Stanford MSA's pattern
    scorecard = section(page, "section", "scorecard")
    patterns = section(scorecard, "ul", "patterns")
    items = re.findall(r'<li data-source="([^"]*)"', patterns)
    assert items == ["Stanford MSA"]
    assert escape(PATTERN) in patterns


def test_a_report_without_conflicts_says_no_explanation(cli, tmp_path):
    out = tmp_path / "report.html"
    assert cli("check", str(AQ), "--html", str(out), "--fail-on", "never").code == 0
    page = out.read_text(encoding="utf-8")
    assert 'id="explanations"' not in page
    assert 'id="patterns"' not in page
    assert 'class="badge-explanation' not in page


def test_hostile_evidence_and_patterns_are_escaped(cli, tmp_path, browser):
    source = hostile_copy(tmp_path)
    out = tmp_path / "hostile.html"
    run = cli("check", str(source), "--html", str(out), "--fail-on", "never")
    assert run.code == 0, run.err
    page = out.read_text(encoding="utf-8")
    assert HOSTILE not in page
    assert page.count("<script") == 1  # the report's own
    escaped = escape(HOSTILE)
    table = section(page, "table", "disagreements")
    assert f'<span class="evidence">{escaped}&#39;s killed.victims 28 = ' in table
    patterns = section(page, "ul", "patterns")
    assert f'<li data-source="{escaped}"' in patterns
    assert f"{escaped}&#39;s killed.victims figures equal" in patterns
    view = Page(browser, out)
    try:
        assert view.dialogs == []
        assert view.errors == []
        # shown as the text it is
        evidence = view.page.locator(
            "#disagreements .evidence", has_text="= the others' killed.victims (27)"
        )
        assert evidence.inner_text().startswith(f"{HOSTILE}'s killed.victims 28 = ")
        assert view.page.locator("#patterns li").inner_text().startswith(f"{HOSTILE} definition ")
    finally:
        view.close()


def test_the_explanations_are_visible_in_the_browser(cli, tmp_path, browser):
    out = tmp_path / "report.html"
    assert cli("check", str(EXPLAINING), "--html", str(out), "--fail-on", "never").code == 0
    view = Page(browser, out)
    page = view.page
    try:
        assert view.errors == []
        assert view.requests == [out.as_uri()]
        summary = page.locator("#explanations")
        assert summary.is_visible()
        assert summary.inner_text() == (
            "Conflicts by explanation: 2 unexplained, 14 definition, 2 breakdown; "
            "1 systematic pattern(s), listed with the sources."
        )
        row = page.locator("#disagreements tbody tr", has_text="sandy-hook-2012").filter(
            has_text="killed.victims"
        )
        badge = row.locator(".badge-explanation")
        assert badge.is_visible()
        assert badge.inner_text() == "definition"
        # a badge, not plain text: coloured, white on the info colour
        assert badge.evaluate("e => getComputedStyle(e).color") == "rgb(255, 255, 255)"
        assert badge.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(29, 95, 138)"
        assert row.locator(".evidence").inner_text() == SANDY_HOOK
        unexplained = page.locator("#disagreements .explanation-unexplained")
        assert unexplained.count() == 2
        assert unexplained.first.evaluate("e => getComputedStyle(e).backgroundColor") == (
            "rgb(179, 38, 30)"
        )
        pattern = page.locator("#scorecard #patterns li")
        assert pattern.count() == 1
        assert pattern.is_visible()
        assert pattern.inner_text() == f"Stanford MSA definition {PATTERN}"
        # the table still sorts, by the new column too
        page.locator("#disagreements th", has_text="Explanation").click()
        shown = page.eval_on_selector_all(
            "#disagreements tbody tr td:last-child .badge-explanation",
            "cells => cells.map(c => c.textContent)",
        )
        assert len(shown) == 18
        assert shown == sorted(shown)
    finally:
        view.close()


# The JSON and the notebook.


def test_the_json_has_the_explanations_and_the_patterns(cli, tmp_path):
    out = tmp_path / "run.json"
    run = cli("check", str(EXPLAINING), "--json", str(out), "--fail-on", "never")
    assert run.code == 0, run.err
    data = json.loads(out.read_text(encoding="utf-8"))
    assert list(data["explanations"].items()) == [
        ("unexplained", 2),
        ("definition", 14),
        ("timing", 0),
        ("breakdown", 2),
        ("link", 0),
    ]
    assert len(data["patterns"]) == 1
    pattern = data["patterns"][0]
    assert pattern["source"] == "Stanford MSA"
    assert pattern["measure"] == "killed.victims"
    assert pattern["reading"] == "includes killed.perpetrators"
    assert pattern["instead"] == "killed"
    assert pattern["pattern"] is True
    assert pattern["message"] == PATTERN
    sandy = [
        r
        for r in data["comparison"]
        if r["incident"] == "sandy-hook-2012" and r["measure"] == "killed.victims"
    ]
    assert [(r["explanation"], r["evidence"]) for r in sandy] == [("definition", SANDY_HOOK)]
    agree = [r for r in data["comparison"] if r["status"] == "agree"]
    assert agree
    assert all(r["explanation"] is None and r["evidence"] is None for r in agree)
    systematic = [f for f in data["findings"] if f["code"] == "systematic-definition"]
    assert [(f["explanation"], f["message"]) for f in systematic] == [("definition", PATTERN)]


def test_the_notebook_summary_counts_the_explanations():
    c = cc.compare(cc.read(EXPLAINING))
    first = repr(c).splitlines()[0]
    assert first.endswith(f"; 0 far apart; {COUNTS}>")
    assert "conflict  clackamas-2012 / killed.victims: FBI 2, Stanford MSA 3 [definition]" in repr(
        c
    )
    summary = "126 incident x measure pairs compared: 18 conflict, 24 agree, 84 single"
    assert f"<p>{summary}; 0 far apart; {COUNTS}</p>" in c._repr_html_()
    assert "by explanation" not in repr(cc.compare(cc.read(AQ)))


def test_the_compare_commands_json_has_them_too(cli, tmp_path):
    out = tmp_path / "compare.json"
    run = cli("compare", str(EXPLAINING), "--json", str(out), "--fail-on", "never")
    assert run.code == 0, run.err
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["explanations"]["definition"] == 14
    assert [p["message"] for p in data["patterns"] if p["pattern"]] == [PATTERN]

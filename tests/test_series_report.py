"""Charts of the comparison over time and the report's "Over time" section: the charts read
back from their artists, the section in a real headless Chromium, bounded at any size."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES, frame
from generate import generate

from toolkit.comparing import compare_figures
from toolkit.pipeline import check, read_and_link
from toolkit.reporting import html
from toolkit.reporting import series_charts as sc

SERIES = FIXTURES / "series"
OHIO, COLORADO = "covid-19 US-OH", "covid-19 US-CO"
SOURCES = ["COVID Tracking Project", "JHU CSSE"]


@pytest.fixture(scope="module")
def series():
    _, linked, suite = read_and_link(SERIES)
    return compare_figures(linked.figures, suite, over_time=True).series


@pytest.fixture(scope="module")
def over_time_report(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("series") / "series.html"
    html.write(check(SERIES, over_time=True), path, fail_on="never")
    return path


def _lines(ax) -> dict[str, object]:
    return {line.get_label(): line for line in ax.get_lines() if line.get_gid() == "source"}


def _spans(ax) -> list[tuple[str, str]]:
    """Each shaded episode's first and last x, as dates."""
    days = [
        (mdates.num2date(p.get_x()), mdates.num2date(p.get_x() + p.get_width()))
        for p in ax.patches
        if p.get_gid() == "episode"
    ]
    return [(a.strftime("%Y-%m-%d"), b.strftime("%Y-%m-%d")) for a, b in days]


def _expected_spans(series, incident: str) -> list[tuple[str, str]]:
    """From the start of each episode to the date the sources agree again, or a day past
    its last date while it is ongoing."""
    e = series.episodes[series.episodes["incident"] == incident]
    until = e["agreed_on"].where(e["agreed_on"].notna(), e["end"] + pd.Timedelta(days=1))
    return list(zip(e["start"].dt.strftime("%Y-%m-%d"), until.dt.strftime("%Y-%m-%d"), strict=True))


def test_a_series_chart_has_a_step_line_per_source_and_shades_each_episode(series):
    fig = series.plot(OHIO)
    ax = fig.axes[0]
    lines = _lines(ax)
    assert sorted(lines) == SOURCES
    assert {line.get_drawstyle() for line in lines.values()} == {"steps-post"}
    # each line: the source's figure on every date compared, held a day past the last
    jhu = series.latest[
        (series.latest["incident"] == OHIO) & (series.latest["source"] == "JHU CSSE")
    ]
    y = np.asarray(lines["JHU CSSE"].get_ydata(), dtype=float)
    assert y[:-1].tolist() == jhu["value"].astype(float).tolist()
    assert y[-1] == y[-2]
    spans = _spans(ax)
    assert spans == _expected_spans(series, OHIO)
    assert ("2020-05-04", "2020-05-06") in spans  # conflict 05-04..05-05, agreed 05-06
    assert ("2020-05-20", "2020-05-21") in spans  # ongoing on the last date
    # the consensus band, and an interval band per source (the suite's 5 % tolerance)
    gids = [c.get_gid() for c in ax.collections]
    assert gids.count("consensus") == 1
    assert gids.count("interval") == 2


def test_colours_are_stable_per_source_across_charts(series):
    colours = sc.source_colours(series)
    for incident in (OHIO, COLORADO):
        lines = _lines(series.plot(incident).axes[0])
        assert {k: v.get_color() for k, v in lines.items()} == colours
    multiples = sc.small_multiples(series, 3)
    for ax in multiples.axes:
        assert {k: v.get_color() for k, v in _lines(ax).items()} == colours


def test_an_open_figure_gets_an_upward_marker_and_the_default_measure_is_the_most_in_conflict():
    rows = [("x", "A", "killed", "10", f"2020-01-0{d}") for d in range(1, 6)]
    rows += [("x", "B", "killed", "10", f"2020-01-0{d}") for d in range(1, 6)]
    rows += [("x", "A", "injured", "5" if d < 4 else "60", f"2020-01-0{d}") for d in range(1, 6)]
    rows += [("x", "B", "injured", "at least 50", f"2020-01-0{d}") for d in range(1, 6)]
    result = check(frame(*rows), over_time=True)
    series = result.comparison.series
    assert sc.default_measure(series, "x") == "injured"  # 3 dates in conflict, killed none
    ax = series.plot("x").axes[0]
    assert ax.get_title(loc="left") == "x — injured over time"
    (up,) = [line for line in ax.get_lines() if line.get_gid() == "open"]
    assert up.get_marker() == "^"
    assert len(up.get_xdata()) == 5  # B's every date
    assert _spans(ax) == [("2020-01-01", "2020-01-04")]


def test_the_overview_draws_incidents_compared_and_in_conflict_per_date(series):
    per = series.in_conflict_per_date()
    ax = sc.series_overview(series).axes[0]
    (compared,) = [line for line in ax.get_lines() if line.get_label() == "compared"]
    assert np.asarray(compared.get_ydata())[:-1].tolist() == per["compared"].tolist()
    (filled,) = [c for c in ax.collections if c.get_label() == "in conflict"]
    top = filled.get_paths()[0].vertices[:, 1]
    assert top.max() == per["in_conflict"].max() == 2


def test_small_multiples_are_the_worst_series_in_one_figure(series):
    fig = sc.small_multiples(series, 12)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    # 3 incidents compared: 3 panels, Ohio (8 dates in conflict) before Colorado (5)
    assert [ax.get_title(loc="left") for ax in shown] == [
        f"{OHIO} · deaths",
        f"{COLORADO} · deaths",
        "covid-19 US-WA · deaths",
    ]
    assert _spans(shown[0]) == _expected_spans(series, OHIO)
    assert _spans(shown[2]) == []
    assert len(sc.small_multiples(series, 1).axes) == 1


def test_a_long_series_is_drawn_in_a_bounded_number_of_steps():
    figures = generate(2, 3, 1000, measures=("killed",), violation_rate=0, seed=7).figures
    series = check(figures, over_time=True).comparison.series
    incident = str(series.table["incident"].iloc[0])
    fig = series.plot(incident)
    ax = fig.axes[0]
    for line in _lines(ax).values():
        assert len(line.get_xdata()) <= sc.STEPS + 1
    assert _spans(ax) == _expected_spans(series, incident)  # episodes exact, not sampled
    size = len(sc.compact_svg(fig))
    assert size < len(sc.svg(fig)) * 0.8
    assert size < 120_000
    multiples = sc.small_multiples(series, 2)
    for panel in multiples.axes:
        for line in _lines(panel).values():
            assert len(line.get_xdata()) <= sc.PANEL_STEPS + 1


def test_the_report_shows_the_series_over_time(over_time_report):
    text = over_time_report.read_text(encoding="utf-8")
    section = re.search(r'<section id="over-time">.*?</section>', text, re.S)
    assert section is not None
    body = section.group(0)
    assert '<a href="#over-time">Over time</a>' in text
    assert "54 dates compared, 13 in conflict: 6 episodes, 1 lag" in body
    assert 'id="over-time-overview"' in body
    assert 'id="over-time-multiples"' in body
    rows = re.findall(r"<tr><td>([^<]*)</td><td>deaths</td><td>([^<]*)</td><td>([^<]*)</td>"
                      r"<td>([^<]*)</td>", body)  # fmt: skip
    assert (OHIO, "2020-05-04", "2020-05-05", "2020-05-06") in rows
    assert (COLORADO, "2020-05-16", "2020-05-20", "ongoing") in rows
    # largest gap first: Colorado's 24 % before Ohio's 17 %
    assert [r[1] for r in rows[:2]] == ["2020-05-16", "2020-05-04"]
    lags = re.search(r'<table class="sortable" id="lags-table">.*?</table>', body, re.S)
    assert lags is not None
    assert '<td>JHU CSSE</td><td>COVID Tracking Project</td><td class="num">1</td>' in lags.group(0)


def test_the_over_time_report_opens_offline_with_no_error(browser, over_time_report):
    from test_reporting import Page

    view = Page(browser, over_time_report)
    try:
        assert view.errors == []
        assert view.requests == [over_time_report.as_uri()]
        page = view.page
        widths = page.eval_on_selector_all(
            "#over-time img", "imgs => imgs.map(i => i.naturalWidth)"
        )
        assert len(widths) == 2
        assert all(w > 0 for w in widths)
        assert page.locator("#episodes-table tbody tr").count() == 6
        page.set_viewport_size({"width": 1280, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        page.locator("#episodes-table th", has_text="Dates").click()
        dates = page.eval_on_selector_all(
            "#episodes-table tbody tr td:nth-child(6)", "cells => cells.map(c => +c.textContent)"
        )
        assert dates == sorted(dates)
    finally:
        view.close()


def test_a_report_without_over_time_has_no_such_section():
    text = html.render(check(SERIES), fail_on="never")
    assert 'id="over-time"' not in text
    assert "#over-time" not in text
    assert ">Over time<" not in text


def test_the_section_is_bounded_by_max_findings_and_charts():
    result = check(SERIES, over_time=True)
    context = html.context(result, max_findings=2, charts=1)["over_time"]
    assert len(context["episodes"]) == 2
    assert context["episodes_more"] == 4
    assert len(context["panels"]) == 1
    text = html.render(result, max_findings=2, charts=1)
    assert "… and 4 more episode(s) not listed (at most 2;" in text
    svg = base64.b64decode(context["multiples"]).decode()
    assert svg.count("· deaths</text>") == 1
    assert html.context(result, charts=0)["over_time"]["multiples"] == ""


HOSTILE_SOURCE = "<script>alert('source')</script>"
HOSTILE_INCIDENT = "<img src=x onerror=alert('incident')>"


def test_hostile_names_are_escaped_in_the_section_and_in_the_svg(browser, tmp_path):
    rows = [(HOSTILE_INCIDENT, HOSTILE_SOURCE, "killed", str(10 + d), f"2020-01-0{d}")
            for d in range(1, 6)]  # fmt: skip
    rows += [(HOSTILE_INCIDENT, "B", "killed", str(40 + d), f"2020-01-0{d}") for d in range(1, 6)]
    result = check(frame(*rows), over_time=True)
    assert len(result.comparison.series.episodes) == 1
    path = html.write(result, tmp_path / "hostile.html", fail_on="never")
    text = path.read_text(encoding="utf-8")
    assert "<script>alert(" not in text
    section = re.search(r'<section id="over-time">.*?</section>', text, re.S)
    assert section is not None
    assert "&lt;img src=x onerror=alert(&#39;incident&#39;)&gt;" in section.group(0)
    images = re.findall(r'src="data:image/svg\+xml;base64,([^"]*)"', section.group(0))
    multiples = base64.b64decode(images[1]).decode("utf-8")
    assert "<script" not in multiples
    assert "<img" not in multiples
    assert "&lt;script&gt;alert('source')&lt;/script&gt;" in multiples  # legend, as text
    from test_reporting import Page

    view = Page(browser, path)
    try:
        view.page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        assert view.dialogs == []
        assert view.errors == []
        assert view.requests == [path.as_uri()]
        body = view.page.inner_text("#over-time")
        assert HOSTILE_INCIDENT in body
    finally:
        view.close()


def test_a_150000_figure_run_over_time_gives_a_small_report(tmp_path):
    figures = generate(50, 3, 1000, measures=("killed",), violation_rate=0, agreement=0.5,
                       seed=5).figures  # fmt: skip
    assert len(figures) == 150_000
    result = check(figures, over_time=True)
    path = html.write(result, tmp_path / "large.html", fail_on="never")
    text = path.read_text(encoding="utf-8")
    section = re.search(r'<section id="over-time">.*?</section>', text, re.S)
    assert section is not None
    size, part = path.stat().st_size, len(section.group(0).encode())
    print(
        f"\n150,000 figures over time: HTML {size / 2**20:.2f} MiB, "
        f"Over time {part / 2**10:.0f} KiB"
    )
    assert part < 300 * 2**10
    assert size < 2**20  # 1.47 MiB when revision charts marked every one of 1,000 dates
    assert section.group(0).count("<tr><td>inc-") <= 200

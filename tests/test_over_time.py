"""Comparing over time: every report date compared as ``--as-of`` compares it, runs of
conflicting dates as episodes, a source late by a steady number of days as a lag."""

from __future__ import annotations

import dataclasses
import json
import random

import numpy as np
import pandas as pd
import pytest
from conftest import AQ, FIGURE_TEXTS, FIXTURES, REAL, frame
from hypothesis import given
from hypothesis import strategies as st

import toolkit as cc
from toolkit.comparing import compare_figures
from toolkit.errors import SuiteError
from toolkit.pipeline import read_and_link
from toolkit.suite import load_suite
from toolkit.suite.settings import ExactTolerance

SERIES = FIXTURES / "series"
OHIO, COLORADO = "covid-19 US-OH", "covid-19 US-CO"
CTP, JHU = "COVID Tracking Project", "JHU CSSE"
SUITE = load_suite()
# what a date's comparison and --as-of that date must both give
SAME = [
    "sources",
    "status",
    "consensus_low",
    "consensus_high",
    "median",
    "min",
    "max",
    "spread",
    "gap",
    "difference",
    "wide_spread",
    "outliers",
    "stale",
]


@pytest.fixture(scope="module")
def series():
    _, linked, suite = read_and_link(SERIES)
    return compare_figures(linked.figures, suite, over_time=True).series


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# --- the fixture: two outlets' daily deaths, May 2020 ----------------------------------


def test_ohio_diverges_for_two_days_and_converges_in_one_episode(series):
    e = series.episodes.set_index(["incident", "start"])
    ohio = e.loc[(OHIO, day("2020-05-04"))]
    assert ohio["end"] == day("2020-05-05")
    assert ohio["agreed_on"] == day("2020-05-06")
    assert ohio["dates"] == 2
    assert not ohio["ongoing"]
    # the largest gap: JHU 1,347 against the project's 1,056 on 4 May
    assert ohio["gap_on"] == day("2020-05-04")
    assert ohio["difference"] == 1347 - 1056
    assert ohio["low"] == f"{CTP} 1,056"
    assert ohio["high"] == f"{JHU} 1,347"
    assert ohio["largest_gap"] == pytest.approx(
        series.table.set_index(["incident", "reported_on"]).loc[(OHIO, day("2020-05-04")), "gap"]
    )
    # one finding for the two days, not one a day
    found = series.findings[series.findings["code"] == "conflict-episode"]
    on_ohio = found[(found["incident"] == OHIO) & (found["reported_on"] == day("2020-05-04"))]
    assert len(on_ohio) == 1
    message = on_ohio["message"].iloc[0]
    assert "from 2020-05-04 to 2020-05-05 (2 dates), agree again on 2020-05-06" in message
    assert on_ohio["origin_file"].iloc[0] == "fixtures/series/covid-tracking.csv"
    # the sides, not the figures: the same finding next run while the episode goes on
    assert on_ohio["observed"].iloc[0] == f"{CTP} below {JHU}"


def test_colorados_reclassification_opens_an_episode_still_going_on(series):
    colorado = series.episodes[series.episodes["incident"] == COLORADO]
    assert len(colorado) == 1
    only = colorado.iloc[0]
    assert (only["start"], only["end"]) == (day("2020-05-16"), day("2020-05-20"))
    assert bool(only["ongoing"])
    assert pd.isna(only["agreed_on"])
    # every date of the episode is a conflict in the table, the day before agrees
    t = series.table[series.table["incident"] == COLORADO].set_index("reported_on")
    assert set(t.loc["2020-05-16":"2020-05-20", "status"]) == {"conflict"}
    assert t.loc[day("2020-05-15"), "status"] == "agree"


def test_an_episode_ends_only_when_the_sources_agree_again(series):
    t = series.table.set_index(["incident", "measure"])
    for e in series.episodes.itertuples():
        dates = t.loc[(e.incident, e.measure)].set_index("reported_on")["status"]
        inside = dates.loc[e.start : e.end]
        assert set(inside) == {"conflict"}
        before = dates.loc[: e.start].iloc[:-1]
        assert before.empty or before.iloc[-1] == "agree"
        after = dates.loc[e.end :].iloc[1:]
        assert (after.empty and e.ongoing) or (after.iloc[0] == "agree" == "agree")
        if not e.ongoing:
            assert after.index[0] == e.agreed_on


def test_jhus_ohio_figures_are_the_projects_of_the_day_before(series):
    lags = series.lags
    assert len(lags) == 1
    lag = lags.iloc[0]
    assert (lag["incident"], lag["source"], lag["behind"]) == (OHIO, JHU, CTP)
    assert lag["days"] == 1
    assert (lag["start"], lag["end"], lag["dates"]) == (day("2020-05-07"), day("2020-05-11"), 5)
    # what it rests on: each of those days JHU gives the project's figure of the day before
    latest = series.latest[(series.latest["incident"] == OHIO)]
    by = latest.pivot_table(index="as_of", columns="source", values="value")
    for d in pd.date_range("2020-05-07", "2020-05-11"):
        assert by.loc[d, JHU] == by.loc[d - pd.Timedelta(days=1), CTP]
        assert by.loc[d, JHU] != by.loc[d, CTP]
    found = series.findings[series.findings["code"] == "lag"]
    assert found["source"].tolist() == [JHU]
    assert found["origin_file"].tolist() == ["fixtures/series/jhu-csse.csv"]
    assert "1 day earlier, on 5 dates from 2020-05-07 to 2020-05-11" in found["message"].iloc[0]


def test_a_lag_must_hold_on_lag_dates_dates(series):
    _, linked, suite = read_and_link(SERIES)
    stricter = dataclasses.replace(suite, compare=dataclasses.replace(suite.compare, lag_dates=6))
    assert compare_figures(linked.figures, stricter, over_time=True).series.lags.empty
    shorter = dataclasses.replace(suite, compare=dataclasses.replace(suite.compare, lag_days=1))
    assert len(compare_figures(linked.figures, shorter, over_time=True).series.lags) == 1


def test_a_date_compares_each_sources_latest_figure_as_of_that_date(series):
    table = series.table.set_index(["incident", "reported_on"])
    latest = series.latest
    # 2020-05-16 in Colorado: JHU 1,150 against the project's 878 (its reclassification)
    on = latest[(latest["incident"] == COLORADO) & (latest["as_of"] == day("2020-05-16"))]
    assert dict(zip(on["source"], on["value"], strict=True)) == {CTP: 878, JHU: 1150}
    assert table.loc[(COLORADO, day("2020-05-16")), "status"] == "conflict"
    assert series.counts() == {"dates": 54, "in conflict": 13, "episodes": 6, "lags": 1}


def test_weekly_and_daily_outlets_align_within_the_window():
    daily = [("i", "Daily", "killed", str(10 + d), f"2020-03-{d:02d}") for d in range(1, 15)]
    weekly = [
        ("i", "Weekly", "killed", "13", "2020-03-03"),
        ("i", "Weekly", "killed", "20", "2020-03-10"),
    ]
    f = frame(*daily, *weekly)
    s = cc.compare(f, SUITE, over_time=True).series
    t = s.table.set_index("reported_on")
    # the weekly figure of the 3rd is current through the 10th (window_days 7)
    assert t.index.min() == day("2020-03-03")
    assert t.loc[day("2020-03-03"), "status"] == "agree"
    assert t.loc[day("2020-03-05"), "status"] == "conflict"  # 15 against the weekly 13
    assert t.loc[day("2020-03-10"), "status"] == "agree"  # 20 and 20
    assert t.index.max() == day("2020-03-14")
    # 4-9 March the daily count runs ahead of the weekly 13; 11-14 ahead of the weekly 20
    e = s.episodes
    assert e[["start", "end"]].values.tolist() == [
        [day("2020-03-04"), day("2020-03-09")],
        [day("2020-03-11"), day("2020-03-14")],
    ]
    assert e["agreed_on"].iloc[0] == day("2020-03-10")
    assert bool(e["ongoing"].iloc[1])
    # a week later the weekly 20 is stale: the daily figure alone is not compared
    later = frame(*daily, *weekly, ("i", "Daily", "killed", "40", "2020-03-20"))
    last = cc.compare(later, SUITE, over_time=True).series.table["reported_on"].max()
    assert last == day("2020-03-14")


def test_without_over_time_there_is_no_series_and_no_episode():
    _, linked, suite = read_and_link(SERIES)
    c = compare_figures(linked.figures, suite)
    assert c.series is None
    assert not c.findings["code"].isin(["conflict-episode", "lag"]).any()
    # the latest comparison says at which date each row stands
    row = c.table.set_index(["incident", "measure"]).loc[(COLORADO, "deaths")]
    assert row["reported_on"] == day("2020-05-20")


def test_as_of_restricts_the_series_to_the_dates_up_to_it():
    _, linked, suite = read_and_link(SERIES)
    c = compare_figures(linked.figures, suite, as_of="2020-05-10", over_time=True)
    assert c.series.table["reported_on"].max() == day("2020-05-10")
    # the Colorado reclassification lies after it: no episode there
    assert COLORADO not in set(c.series.episodes["incident"])


# --- the series against --as-of, on generated data ------------------------------------


def random_series(seed: int) -> pd.DataFrame:
    """Up to three sources reporting two incidents' killed and injured on random days of a
    month, with every kind of figure text (so intervals, open ends and unknowns)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(rng.randint(1, 60)):
        rows.append(
            (
                f"i{rng.randint(0, 1)}",
                rng.choice(["A", "B", "C"]),
                rng.choice(["killed", "injured", "killed.civilians"]),
                rng.choice([*FIGURE_TEXTS, str(rng.randint(0, 40))]),
                f"2020-01-{rng.randint(1, 28):02d}" if rng.random() > 0.05 else None,
                "2020-01-01",
                "2020-01-02" if rng.random() > 0.5 else None,
            )
        )
    return frame(*rows)


def random_suite(seed: int):
    rng = random.Random(seed)
    compare = dataclasses.replace(
        SUITE.compare,
        window_days=rng.choice([1, 3, 7, 30]),
        developing_days=rng.choice([2, 10, 30]),
        exact_tolerance=ExactTolerance(relative=rng.choice([0, 0.05]), absolute=rng.choice([0, 2])),
    )
    return dataclasses.replace(SUITE, compare=compare)


def _equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a = a.sort_values(["incident", "measure"]).reset_index(drop=True)
    b = b.sort_values(["incident", "measure"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_categorical=False)


@given(st.integers(0, 2**32 - 1))
def test_a_date_of_the_series_is_as_of_that_date(seed):
    f, suite = random_series(seed), random_suite(seed)
    s = cc.compare(f, suite, over_time=True).series
    known = f["low"].notna() | f["value"].notna()  # "about 20" has a value, no low
    dated = f[known & f["reported_on"].notna()]
    for when in sorted(dated["reported_on"].unique()):
        as_of = cc.compare(f, suite, as_of=when).table
        as_of = as_of[as_of["sources"] >= 2]
        # the incidents and measures some source reported that day, as of that day
        reported = dated[dated["reported_on"] == when][["incident", "measure"]].drop_duplicates()
        that_day = as_of.merge(reported, on=["incident", "measure"])
        on = s.table[s.table["reported_on"] == when]
        _equal(
            that_day[["incident", "measure", "reported_on", *SAME]],
            on[["incident", "measure", "reported_on", *SAME]],
        )
        # the others stand as at their last report date before it, which the series has
        earlier = as_of.merge(reported, on=["incident", "measure"], how="left", indicator=True)
        earlier = earlier[earlier["_merge"] == "left_only"].drop(columns="_merge")
        rows = s.table.merge(
            earlier[["incident", "measure", "reported_on"]],
            on=["incident", "measure", "reported_on"],
        )
        _equal(earlier[["incident", "measure", *SAME]], rows[["incident", "measure", *SAME]])


@given(st.integers(0, 2**32 - 1), st.sampled_from(["A", "B", "C"]))
def test_duplicating_a_sources_series_changes_no_status(seed, twin):
    f, suite = random_series(seed), random_suite(seed)
    s = cc.compare(f, suite, over_time=True).series
    doubled = pd.concat([f, f[f["source"] == twin].assign(source="twin")], ignore_index=True)
    d = cc.compare(doubled, suite, over_time=True).series
    key = ["incident", "measure", "reported_on"]
    both = s.table[[*key, "status"]].merge(d.table[[*key, "status"]], on=key, how="left")
    assert both["status_y"].notna().all()  # every date compared is still compared
    assert (both["status_x"].astype("str") == both["status_y"].astype("str")).all()


@given(st.integers(0, 2**32 - 1))
def test_episodes_cover_exactly_the_dates_in_conflict(seed):
    f, suite = random_series(seed), random_suite(seed)
    s = cc.compare(f, suite, over_time=True).series
    assert s.episodes["dates"].sum() == (s.table["status"] == "conflict").sum()
    assert len(s.findings[s.findings["code"] == "conflict-episode"]) == len(s.episodes)
    for e in s.episodes.itertuples():
        assert e.low
        assert e.high


def test_the_series_matches_a_pandas_merge_asof_of_the_same_alignment():
    rng = np.random.default_rng(7)
    rows = [
        (f"i{i}", src, "killed", str(int(v)), str(d.date()))
        for i in range(4)
        for src in ("A", "B", "C")
        for d, v in zip(
            pd.date_range("2021-01-01", periods=40)[rng.random(40) < 0.6],
            np.cumsum(rng.integers(0, 3, 40)),
            strict=False,
        )
    ]
    f = frame(*rows)
    s = cc.compare(f, SUITE, over_time=True).series
    figures = f.sort_values("reported_on")
    slots = figures[["incident", "measure", "reported_on"]].drop_duplicates()
    sources = figures[["incident", "measure", "source"]].drop_duplicates()
    queries = slots.merge(sources, on=["incident", "measure"]).sort_values("reported_on")
    found = pd.merge_asof(
        queries,
        figures[["incident", "measure", "source", "reported_on", "value"]].rename(
            columns={"reported_on": "on"}
        ),
        left_on="reported_on",
        right_on="on",
        by=["incident", "measure", "source"],
    ).dropna(subset=["on"])
    current = found[(found["reported_on"] - found["on"]) <= pd.Timedelta(days=7)]
    expected = current.groupby(["incident", "measure", "reported_on"]).size()
    expected = expected[expected >= 2]
    got = s.table.set_index(["incident", "measure", "reported_on"])["sources"]
    pd.testing.assert_series_equal(
        got.sort_index(), expected.sort_index(), check_names=False, check_dtype=False
    )
    mine = s.latest.set_index(["incident", "measure", "as_of", "source"])["value"]
    theirs = current.set_index(["incident", "measure", "reported_on", "source"])["value"]
    theirs = theirs[theirs.index.droplevel("source").isin(expected.index)]
    assert mine.sort_index().tolist() == theirs.sort_index().tolist()


def test_every_fixture_compares_over_time():
    for path in (AQ, REAL, FIXTURES / "linking", SERIES):
        result = cc.check(path, over_time=True)
        s = result.comparison.series
        assert s is not None
        assert set(s.table["status"].astype("str")) <= {"agree", "conflict"}
        assert (s.table["sources"] >= 2).all()
        if len(s.table):
            assert s.table.groupby(["incident", "measure"], observed=True)[
                "reported_on"
            ].is_monotonic_increasing.all()


# --- the suite and the command line ----------------------------------------------------


def _suite_with(tmp_path, compare: str):
    folder = tmp_path / "suite"
    folder.mkdir()
    (folder / "suite.yaml").write_text(f"name: t\nextends: default\ncompare: {compare}\n")
    return folder


@pytest.mark.parametrize(
    ("compare", "says"),
    [
        ("{over_time: yes please}", "compare.over_time: expected true or false"),
        ("{over_time: 1}", "compare.over_time: expected true or false"),
        ("{lag_days: 0}", "compare.lag_days: 0 is out of range"),
        ("{lag_dates: 1}", "compare.lag_dates: 1 is out of range"),
        ("{lag_days: 1.5}", "compare.lag_days: expected a whole number, not 1.5"),
    ],
)
def test_wrong_over_time_settings_are_suite_errors(tmp_path, compare, says):
    with pytest.raises(SuiteError, match=says):
        load_suite(_suite_with(tmp_path, compare))


def test_the_suite_can_compare_over_time_and_a_flag_can_turn_it_off(tmp_path, cli):
    suite = load_suite(_suite_with(tmp_path, "{over_time: true, lag_days: 3}"))
    assert suite.compare.over_time
    assert suite.compare.lag_days == 3
    out = tmp_path / "series.json"
    shutil_suite = tmp_path / "series"
    import shutil

    shutil.copytree(SERIES, shutil_suite)
    yaml = shutil_suite / "expectations" / "suite.yaml"
    yaml.write_text(yaml.read_text().replace("compare:\n", "compare:\n  over_time: true\n"))
    run = cli("check", str(shutil_suite), "--json", str(out))
    assert run.code == 1
    assert "over time: 54 dates compared, 13 in conflict: 6 episodes, 1 lag" in run.out
    written = json.loads(out.read_text())
    assert len(written["over_time"]) == 54
    assert len(written["episodes"]) == 6
    assert written["lags"][0]["source"] == JHU
    quiet = cli("check", str(shutil_suite), "--no-over-time")
    assert "over time:" not in quiet.out
    assert "conflict-episode" not in quiet.out
    assert "days late" not in quiet.out


def test_compare_over_time_writes_a_row_per_date_and_a_column_per_source(tmp_path, cli):
    out = tmp_path / "table.csv"
    run = cli("compare", str(SERIES), "--over-time", "--csv", str(out))
    assert run.code == 1
    assert "over time: 54 dates compared" in run.out
    assert "agree again on 2020-05-06" in run.out
    table = pd.read_csv(out)
    assert len(table) == 54
    assert {"reported_on", CTP, JHU} <= set(table.columns)
    ohio = table[(table["incident"] == OHIO) & (table["reported_on"] == "2020-05-04")].iloc[0]
    assert (ohio[CTP], ohio[JHU], ohio["status"]) == ("1,056", "1,347", "conflict")
    # without --over-time the table is the latest figures only
    latest = tmp_path / "latest.csv"
    assert cli("compare", str(SERIES), "--csv", str(latest)).code == 1
    assert len(pd.read_csv(latest)) == 6


def test_check_takes_as_of(cli):
    run = cli("check", str(SERIES), "--as-of", "2020-05-10")
    # on 10 May the outlets agree in all three states (Ohio's 1,331 and 1,341 within 5 %)
    assert "pairs as of 2020-05-10: 0 conflict, 3 agree, 3 single" in run.out
    assert "pairs: 2 conflict, 1 agree, 3 single" in cli("check", str(SERIES)).out
    bad = cli("check", str(SERIES), "--as-of", "May tenth")
    assert bad.code == 2
    assert "not a date" in bad.err


def test_a_notebook_shows_the_series_counts():
    c = cc.compare(SERIES, over_time=True)
    assert "over time: 54 dates compared, 13 in conflict: 6 episodes, 1 lag" in repr(c)
    assert "over time: 54 dates compared" in c._repr_html_()
    assert "over time" not in repr(cc.compare(SERIES))

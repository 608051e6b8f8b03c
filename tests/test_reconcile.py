"""Reconciling real outlets: breakdowns that meet through derived wholes, final figures
that stay exact against a newer database, keys that hold two incidents, and a row that
breaks two overlapping partitions (fixtures typed from public reporting)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from conftest import FIXTURES, REAL

import toolkit as cc
from toolkit.suite import load_suite
from toolkit.suite.settings import ExactTolerance

LINKING = FIXTURES / "linking"
NAVY_YARD = "USA-2013-09-16-washington"


@pytest.fixture(scope="module")
def shootings() -> cc.CheckResult:
    """The FBI's list (victims killed, wounded) and Stanford's MSA (civilians and police
    killed and injured, and a total that counts a shooter who died), linked."""
    return cc.check(LINKING)


def _latest(result: cc.CheckResult, incident: str, measure: str) -> pd.DataFrame:
    latest = result.comparison.latest
    rows = latest[(latest["incident"] == incident) & (latest["measure"] == measure)]
    return rows.set_index("source")


def test_the_msa_parts_meet_the_fbis_victims_and_reveal_injury_conflicts(shootings):
    table = shootings.comparison.table.set_index(["incident", "measure"])
    # civilians + police injured (2 + 1) against the FBI's 7 wounded: a real disagreement
    navy = _latest(shootings, NAVY_YARD, "injured")
    assert navy.loc["Stanford MSA", "derived"] == "injured.civilians + injured.police"
    assert navy.loc["Stanford MSA", "shown"] == "3 (sum)"
    assert navy.loc["FBI", "shown"] == "7"
    assert table.loc[(NAVY_YARD, "injured"), "status"] == "conflict"
    assert table.loc[(NAVY_YARD, "injured"), "difference"] == 4
    # the derived figure cites the MSA's line of the Navy Yard
    assert navy.loc["Stanford MSA", "origin_row"] == 27
    # victims killed: every linked pair gives both, and the derived sums all agree
    victims = table.xs("killed.victims", level="measure")
    both = victims[victims["sources"] == 2]
    assert len(both) >= 20
    assert set(both["status"]) == {"agree"}
    # the derived wholes raise no rule finding, and every conflict is about injuries
    conflicts = shootings.findings[shootings.findings["code"] == "conflict"]
    assert set(conflicts["measure"]) == {"injured"}
    assert not shootings.findings["rule"].fillna("").str.contains("injured.civilians").any()
    # without deriving, the two breakdowns never meet: nothing about injuries is compared
    apart = cc.check(LINKING, suite=_without_partitions())
    assert "injured" not in set(apart.comparison.table.query("sources == 2")["measure"])


def _without_partitions():
    suite = load_suite(LINKING / "expectations")
    taxonomy = dataclasses.replace(suite.taxonomy, partitions=())
    return dataclasses.replace(suite, taxonomy=taxonomy)


def test_final_figures_of_an_older_database_stay_exact(shootings):
    """The MSA was edited in June 2016, the FBI's list is of April 2019: both long after the
    shootings, so both are final and compared as they stand, not as lower bounds."""
    latest = shootings.comparison.latest
    assert not latest["stale"].any()
    navy = _latest(shootings, NAVY_YARD, "injured")
    assert str(navy.loc["Stanford MSA", "reported_on"])[:10] == "2016-06-23"
    # had the tolls still been developing, the 2016 figures would be stale lower bounds,
    # and the agreements and most conflicts would vanish
    suite = load_suite(LINKING / "expectations")
    developing = dataclasses.replace(
        suite, compare=dataclasses.replace(suite.compare, developing_days=float("inf"))
    )
    table = cc.check(LINKING, suite=developing).comparison.table
    assert (table["status"] == "agree").sum() == 0
    assert (shootings.comparison.table["status"] == "agree").sum() > 20
    assert set(table.loc[table["status"] == "conflict", "stale"]) == {"Stanford MSA"}


def test_a_case_id_reused_for_two_shootings_is_one_finding_a_line(shootings):
    found = shootings.findings[shootings.findings["code"] == "one-key-two-incidents"]
    assert sorted(found["origin_row"]) == [31, 32]  # one per line, not one per figure
    assert set(found["incident"]) == {"156"}
    by_line = found.set_index("origin_row")
    assert by_line.loc[31, "observed"] == "2013-08-07 Dallas"
    assert by_line.loc[32, "observed"] == "2013-12-28 Montgomery"
    assert by_line.loc[31, "expected"].endswith("the key also names 2013-12-28 Montgomery")
    # not "two figures for one report": the two incidents are kept apart
    assert "one-figure-per-report" not in set(shootings.findings["code"])


def test_a_real_row_breaking_two_overlapping_partitions_is_one_finding():
    """UCDP event 84006 (line 64): deaths by side sum past its best estimate, which breaks
    both the default "killed by status" and the suite's "UCDP best by side"."""
    result = cc.check(REAL)
    line = result.findings[
        (result.findings["origin_file"].str.endswith("ucdp-ged-bangladesh.csv"))
        & (result.findings["origin_row"] == 64)
        & (result.findings["kind"] == "rule")
    ]
    assert (line["code"] == "parts-not-above-whole").sum() == 1  # one for the family
    sum_past = line.set_index("code").loc["parts-not-above-whole"]
    assert sum_past["rule"].split("; ") == [
        "killed.civilians + killed.combatants + killed.perpetrators + killed.unknown <= killed",
        "killed.side_a + killed.side_b + killed.civilians + killed.unknown <= killed",
    ]
    assert "killed by status" in sum_past["message"]
    assert "UCDP best by side" in sum_past["message"]


# --- daily cumulative series: JHU CSSE and the COVID Tracking Project, May 2020 ----------

SERIES = FIXTURES / "series"


@pytest.fixture(scope="module")
def series() -> pd.DataFrame:
    return cc.read(SERIES)


def _status(figures: pd.DataFrame, day: str, suite=None) -> pd.Series:
    table = cc.compare(figures, suite=suite, as_of=day).table
    return table[table["measure"] == "deaths"].set_index("incident")["status"]


def test_near_equal_daily_counts_agree_within_the_suites_tolerance(series):
    """Washington: JHU's count is 2-5 % above the project's every day. The suite lets exact
    figures 5 % apart agree; to the digit they would conflict every day."""
    days = [str(d.date()) for d in pd.date_range("2020-05-03", "2020-05-20")]
    tolerant = [_status(series, day)["covid-19 US-WA"] for day in days]
    assert set(tolerant) == {"agree"}
    suite = load_suite(SERIES / "expectations")
    exact = dataclasses.replace(
        suite,
        compare=dataclasses.replace(suite.compare, exact_tolerance=ExactTolerance()),
    )
    to_the_digit = [_status(series, day, exact)["covid-19 US-WA"] for day in days]
    assert set(to_the_digit) == {"conflict"}
    # the gap is shown either way: 1,048 vs 1,031 on the last day
    last = cc.compare(series, as_of="2020-05-20").table
    last = last[last["measure"] == "deaths"].set_index("incident")
    assert last.loc["covid-19 US-WA", "difference"] == 17
    # a gap beyond the tolerance stays a conflict: Colorado after the project's revision
    assert last.loc["covid-19 US-CO", "status"] == "conflict"
    assert last.loc["covid-19 US-CO", "difference"] == 1257 - 968


def test_a_revision_down_is_one_finding_at_the_drop(series):
    """The project's Colorado count fell from 1,091 to 878 on 16 May and stayed below 1,091
    for the rest of the window: one finding, at the drop, naming what it fell from."""
    result = cc.check(SERIES)
    drops = result.findings[result.findings["code"] == "cumulative-no-drop"]
    colorado = drops[
        (drops["source"] == "COVID Tracking Project") & (drops["incident"] == "covid-19 US-CO")
    ]
    assert len(colorado) == 2  # 1,091 -> 878, and 961 -> 960 on 9 May
    at = colorado.set_index("origin_row")
    assert at.loc[14, "observed"] == "878"
    assert at.loc[14, "expected"] == ">= 1,091 (its report of 2020-05-15)"
    # every drop is one finding, in both outlets: no finding for the days after a drop
    revisions = result.comparison.revisions
    down = revisions[revisions["direction"] == "down"]
    assert len(drops) == len(down)
    # the revisions table keeps the whole story of the project's Colorado series
    story = revisions[
        (revisions["source"] == "COVID Tracking Project")
        & (revisions["incident"] == "covid-19 US-CO")
    ].set_index("reported_on")["direction"]
    assert list(story.loc["2020-05-16":"2020-05-19"]) == ["down", "same", "same", "up"]

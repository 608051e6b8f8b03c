"""Explanations of conflicts (definition, timing, breakdown, link, unexplained) and the
patterns across incidents, on fixtures typed from public reporting and generated tables."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pandas as pd
import pytest
from conftest import FIGURE_TEXTS, FIXTURES, frame
from hypothesis import given, settings
from hypothesis import strategies as st

import toolkit as cc
from toolkit.comparing import compare_figures
from toolkit.comparing.consensus import summarise
from toolkit.comparing.latest import code_figures, latest_figures
from toolkit.errors import SuiteError
from toolkit.linking import link_figures
from toolkit.suite import load_suite

SUITE = load_suite()
EXPLAINING = FIXTURES / "explaining"


def with_compare(suite, **changes):
    return dataclasses.replace(suite, compare=dataclasses.replace(suite.compare, **changes))


def conflicts(c) -> pd.DataFrame:
    t = c.table[c.table["status"] == "conflict"]
    return t.set_index(["incident", "measure"]).sort_index()


@pytest.fixture(scope="module")
def explaining():
    return cc.compare(cc.read(EXPLAINING))


# --- an outlet that counts the shooter (fixtures/explaining) ---------------------------


def test_victims_that_count_the_shooter_are_a_definition_with_the_sum_as_evidence(explaining):
    found = conflicts(explaining)
    victims = found.xs("killed.victims", level="measure")
    assert len(victims) == 14
    assert set(victims["explanation"]) == {"definition"}
    sandy = victims.loc["sandy-hook-2012", "evidence"]
    assert sandy.startswith("Stanford MSA's killed.victims 28 = the others' killed.victims (27)")
    assert "+ killed.perpetrators (1): its killed.victims includes killed.perpetrators" in sandy
    assert sandy.endswith("(read it as killed)")
    # the incidents where no shooter died agree: nothing to explain
    agree = explaining.table[explaining.table["status"] == "agree"]
    assert agree["explanation"].isna().all()
    assert agree["evidence"].isna().all()


def test_the_other_conflicts_get_breakdown_or_stay_unexplained(explaining):
    injured = conflicts(explaining).xs("injured", level="measure")
    assert injured["explanation"].astype(str).to_dict() == {
        "cafe-racer-2012": "unexplained",
        "navy-yard-2013": "breakdown",
        "ross-township-2013": "unexplained",
        "santa-monica-2013": "breakdown",
    }
    assert injured.loc["navy-yard-2013", "evidence"] == (
        "Stanford MSA's injured 3 is the sum of its injured.civilians + injured.police; "
        "the others' 7 leaves 4 in no part it published"
    )
    assert injured.loc[["cafe-racer-2012", "ross-township-2013"], "evidence"].isna().all()
    assert explaining.explanation_counts() == {
        "unexplained": 2,
        "definition": 14,
        "timing": 0,
        "breakdown": 2,
        "link": 0,
    }


def test_each_conflict_finding_carries_its_explanation(explaining):
    f = explaining.findings
    said = f[f["code"] == "conflict"]
    assert len(said) == 36  # both sides of 18 two-source conflicts
    table = explaining.table.set_index(["incident", "measure"])
    expected = table.loc[list(zip(said["incident"], said["measure"], strict=True)), "explanation"]
    assert said["explanation"].tolist() == expected.astype(str).tolist()
    others = f[~f["code"].isin(["conflict", "systematic-definition", "systematic-lag"])]
    assert others["explanation"].isna().all()


def test_the_pattern_names_the_outlet_the_count_and_the_suite_change(explaining):
    f = explaining.findings
    pattern = f[f["code"] == "systematic-definition"]
    assert len(pattern) == 1
    row = pattern.iloc[0]
    assert (row["source"], row["measure"], row["observed"]) == (
        "Stanford MSA",
        "killed.victims",
        "14 of 14",
    )
    assert pd.isna(row["incident"])
    assert pd.isna(row["origin_file"])
    assert row["severity"] == "warning"
    assert row["message"] == (
        "Stanford MSA's killed.victims figures equal the others' killed.victims + "
        "killed.perpetrators in 14 of its 14 conflicts (21 figures compared): in Stanford "
        "MSA's profile, map the figure read as killed.victims to killed"
    )
    table = explaining.patterns
    assert table["pattern"].tolist() == [True]
    assert (table.loc[0, "explained"], table.loc[0, "conflicts"]) == (14, 14)


def linked_explaining() -> tuple[pd.DataFrame, object]:
    suite = load_suite(EXPLAINING / "expectations")
    return link_figures(cc.read(EXPLAINING), suite).figures, suite


def test_the_pattern_fires_only_above_its_threshold():
    figures, suite = linked_explaining()

    def patterns(**changes) -> list[str]:
        c = compare_figures(figures, with_compare(suite, **changes))
        return c.findings.loc[c.findings["code"] == "systematic-definition", "source"].tolist()

    assert patterns() == ["Stanford MSA"]
    assert patterns(pattern_min=14) == ["Stanford MSA"]  # at least: 14 of 14 holds
    assert patterns(pattern_min=15) == []  # too few conflicts
    # five incidents of the fourteen: still a pattern; four: too few to be one
    keep = list(conflicts(cc.compare(figures, suite)).xs("killed.victims", level="measure").index)
    for n, expected in ((5, ["Stanford MSA"]), (4, [])):
        fewer = figures[figures["incident"].isin(keep[:n])]
        c = compare_figures(fewer, suite)
        assert c.explanation_counts()["definition"] == n
        found = c.findings.loc[c.findings["code"] == "systematic-definition", "source"]
        assert found.tolist() == expected


def test_a_share_below_the_threshold_is_no_pattern():
    """Half the MSA's conflicts explained: a pattern at a 50 % share, none at 60 %."""
    figures, suite = linked_explaining()
    fbi = figures["source"] == "FBI"
    perpetrators = fbi & (figures["measure"] == "killed.perpetrators")
    # the FBI gives no shooter for 7 of the 14 incidents: their conflicts stay unexplained
    dropped = sorted(set(figures.loc[perpetrators & (figures["value"] == 1), "incident"]))[:7]
    fewer = figures[~(perpetrators & figures["incident"].isin(dropped))]
    for share, expected in ((0.5, 1), (0.6, 0)):
        c = compare_figures(fewer, with_compare(suite, pattern_share=share))
        row = c.patterns.iloc[0]
        assert (row["explained"], row["conflicts"]) == (7, 14)
        assert int(c.patterns["pattern"].sum()) == expected


def test_pattern_settings_are_checked(tmp_path):
    suite = tmp_path / "suite.yaml"
    for bad in ("pattern_share: 1.5", "pattern_min: 2.5", "review_threshold: yes"):
        suite.write_text(f"name: t\ncompare:\n  {bad}\n", encoding="utf-8")
        with pytest.raises(SuiteError, match=bad.split(":")[0]):
            load_suite(tmp_path)


# --- a lagging outlet (fixtures/series: JHU CSSE and the COVID Tracking Project) --------


def test_a_figure_the_other_outlet_gave_a_day_earlier_is_timing():
    c = cc.compare(cc.read(FIXTURES / "series"))
    found = conflicts(c)
    ohio = found.loc[("covid-19 US-OH", "deaths")]
    assert ohio["explanation"] == "timing"
    assert ohio["evidence"] == (
        "COVID Tracking Project's deaths 1,781 (2020-05-20) is what JHU CSSE gave on "
        "2020-05-19 (1,741); JHU CSSE gives 2,002 since"
    )
    # Colorado: the same day, 968 against 1,257 (JHU counts probable deaths): unexplained
    colorado = found.loc[("covid-19 US-CO", "deaths")]
    assert colorado["explanation"] == "unexplained"
    assert pd.isna(colorado["evidence"])


def test_an_outlet_a_day_behind_on_eight_states_is_a_systematic_lag():
    """fixtures/lagging: JHU CSSE's deaths of 26-29 April 2020 are the Tracking
    Project's of the day before, in eight places."""
    c = cc.compare(cc.read(FIXTURES / "lagging"))
    assert c.explanation_counts()["timing"] == 8
    assert c.explanation_counts()["unexplained"] == 0
    evidence = conflicts(c)["evidence"]
    assert evidence.str.contains(
        r"^JHU CSSE's deaths [\d,]+ \(2020-04-29\) is what COVID "
        r"Tracking Project gave on 2020-04-28",
        regex=True,
    ).all()
    f = c.findings
    lag = f[f["code"] == "systematic-lag"]
    assert lag["source"].tolist() == ["JHU CSSE"]
    assert lag["observed"].tolist() == ["8 of 8"]
    assert "1.0 days apart on average: it lags" in lag["message"].iloc[0]
    # its figures are as new as the others': a shorter window would not help, so none is named
    assert "window_days" not in lag["message"].iloc[0]
    assert (f["code"] == "systematic-definition").sum() == 0


def test_a_figure_its_source_later_revised_to_meet_the_others_is_timing():
    c = cc.compare(cc.read(FIXTURES / "series"), as_of="2020-05-05")
    ohio = conflicts(c).loc[("covid-19 US-OH", "deaths")]
    assert ohio["explanation"] == "timing"
    assert "was revised later to 1,357 (2020-05-11), which meets the others'" in ohio["evidence"]


def test_an_earlier_lower_figure_of_a_developing_toll_is_timing_until_the_toll_is_final():
    rows = [
        ("i", "A", "killed", "10", "2024-03-02", "2024-03-01"),
        ("i", "B", "killed", "15", "2024-03-05", "2024-03-01"),
    ]
    c = compare_figures(frame(*rows), SUITE)
    row = c.table.iloc[0]
    assert (row["status"], row["explanation"]) == ("conflict", "timing")
    assert "an earlier, lower figure of a toll still developing" in row["evidence"]
    # reported more than developing_days after the event ended: final, no longer developing
    final = [(*r[:4], r[4].replace("2024-03", "2024-06"), r[5], r[5]) for r in rows]
    c = compare_figures(frame(*final), SUITE)
    assert c.table.iloc[0]["explanation"] == "unexplained"
    # not cumulative: missing people are not a toll that only grows
    c = compare_figures(frame(*[(r[0], r[1], "missing", *r[3:]) for r in rows]), SUITE)
    assert c.table.iloc[0]["explanation"] == "unexplained"


def test_a_source_that_lags_on_most_incidents_is_a_systematic_lag():
    rows = []
    for i in range(6):
        rows += [
            (f"i{i}", "Late", "killed", str(10 + i), "2024-03-02"),
            (f"i{i}", "Early", "killed", str(20 + i), "2024-03-05"),
        ]
    rows += [
        ("j", "Late", "killed", "40", "2024-03-02"),
        ("j", "Early", "killed", "30", "2024-03-02"),
    ]
    c = compare_figures(frame(*rows), SUITE)
    f = c.findings
    lag = f[f["code"] == "systematic-lag"]
    assert lag["source"].tolist() == ["Late"]
    assert lag["observed"].tolist() == ["6 of 7"]
    message = lag["message"].iloc[0]
    assert message.startswith("Late's killed figures are the others' at another stage")
    assert "3.0 days apart on average: it lags" in message
    assert "with compare.window_days under 3 (now 7)" in message
    assert (f["code"] == "systematic-definition").sum() == 0


# --- links below the review threshold (fixtures/linking, matched automatically) --------


def test_an_automatic_link_below_the_review_threshold_explains_a_conflict():
    figures = cc.read(FIXTURES / "linking")
    suite = load_suite(FIXTURES / "linking" / "expectations")
    linked = link_figures(figures, suite).figures
    saylorsburg = ("USA-2013-08-05-saylorsburg", "injured")
    by = {
        t: conflicts(compare_figures(linked, with_compare(suite, review_threshold=t)))
        for t in (0.0, 0.95)
    }
    assert by[0.0].loc[saylorsburg, "explanation"] == "unexplained"
    assert by[0.95].loc[saylorsburg, "explanation"] == "link"
    assert (
        by[0.95]
        .loc[saylorsburg, "evidence"]
        .startswith(
            "FBI's incident August 5, 2013, Saylorsburg, Pennsylvania was linked by a proposal "
            "scoring 0.9"
        )
    )
    # a well-scored link explains nothing; a reviewed crosswalk row has no score at all
    assert by[0.95].loc[("USA-2012-05-30-seattle", "injured"), "explanation"] == "unexplained"
    figures, suite = linked_explaining()
    reviewed = compare_figures(figures, with_compare(suite, review_threshold=1.0))
    assert reviewed.explanation_counts()["link"] == 0


# --- properties ---------------------------------------------------------------------------

MEASURES = ["killed", "killed.victims", "killed.perpetrators", "killed.civilians", "injured"]
DATES = ["2020-01-01", "2020-01-02", "2020-01-04", None]


def random_frame(seed: int, n: int = 80) -> pd.DataFrame:
    rng = random.Random(seed)
    return frame(
        *[
            (
                f"i{rng.randint(0, 5)}",
                rng.choice(["A", "B", "C"]),
                rng.choice(MEASURES),
                rng.choice([*FIGURE_TEXTS, "1", "2", "3", "5", "6"]),
                rng.choice(DATES),
            )
            for _ in range(n)
        ]
    )


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_explaining_never_changes_a_status(seed):
    f = random_frame(seed)
    c = compare_figures(f, SUITE)
    coded = code_figures(c.figures, SUITE.compare.about_tolerance)
    bare = summarise(latest_figures(coded, None, SUITE), SUITE.compare.spread_threshold)
    assert sorted(c.table["status"].astype(str)) == sorted(
        np.array(["conflict", "agree", "single"])[bare.status]
    )
    explained = c.table["explanation"].notna()
    assert (explained == (c.table["status"] == "conflict")).all()
    said = c.findings[c.findings["code"] == "conflict"]
    assert said["explanation"].notna().all()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.randoms(use_true_random=False))
def test_shuffling_rows_and_sources_changes_no_explanation(seed, rnd):
    f = random_frame(seed)
    order = list(range(len(f)))
    rnd.shuffle(order)
    names = ["A", "B", "C"]
    rnd.shuffle(names)
    renamed = dict(zip(["A", "B", "C"], names, strict=True))
    # sources renamed among themselves: the explanation of each conflict stays
    shuffled = f.take(order).assign(source=lambda d: d["source"].map(renamed))

    def explanations(c) -> pd.Series:
        t = c.table.set_index(["incident", "measure"]).sort_index()
        return t["explanation"].astype(str)

    a, b = compare_figures(f, SUITE), compare_figures(shuffled.reset_index(drop=True), SUITE)
    pd.testing.assert_series_equal(explanations(a), explanations(b))
    shuffled_only = compare_figures(f.take(order).reset_index(drop=True), SUITE)
    key = ["incident", "measure"]
    pd.testing.assert_frame_equal(
        a.table.set_index(key).sort_index()[["explanation", "evidence"]],
        shuffled_only.table.set_index(key).sort_index()[["explanation", "evidence"]],
    )


def test_a_conflict_is_explained_only_when_every_figure_in_question_is():
    def victims(*given: tuple[str, str]) -> pd.Series:
        rows = [("i", s, "killed.victims", v, "2024-03-02") for s, v in given]
        rows += [("i", "E", "killed", "30", "2024-03-02")]  # E alone gives everyone killed
        return compare_figures(frame(*rows), SUITE).table.set_index("measure").loc["killed.victims"]

    # no majority among three: A's 30 is E's killed, but B and C still disagree
    row = victims(("A", "30"), ("B", "20"), ("C", "10"))
    assert (row["status"], row["explanation"]) == ("conflict", "unexplained")
    # a majority at 10 and two outliers: A's 30 is E's killed; F's 20 is unexplained
    row = victims(("A", "30"), ("B", "10"), ("C", "10"), ("D", "10"), ("F", "20"))
    assert row["explanation"] == "unexplained"
    # in a conflict of two, either side's reading settles it
    row = victims(("A", "30"), ("B", "10"))
    assert row["explanation"] == "definition"
    assert row["evidence"].startswith("A's killed.victims 30 meets the others' killed (30)")

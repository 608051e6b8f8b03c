"""Profiles for shapes that otherwise need pandas first: one column per date
(``dates_in_columns``) and sub-units summed (``aggregate``), on an excerpt of JHU CSSE's
US deaths time series (fixtures/shapes)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.errors import SuiteError
from toolkit.reading import read_figures
from toolkit.suite.profiles import parse_profile

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "shapes"
EXPORT = FIXTURE / "time_series_covid19_deaths_US.csv"
STATES = {"Alabama": "US-AL", "Arizona": "US-AZ"}


def _expected(export: Path) -> pd.DataFrame:
    """Per state and date, the sum of its counties' cells, computed with pandas alone."""
    raw = pd.read_csv(export, dtype={"Province_State": str})
    days = [c for c in raw.columns if c.count("/") == 2]
    long = raw.melt(id_vars=["Province_State"], value_vars=days, var_name="day")
    long["value"] = pd.to_numeric(long["value"], errors="coerce")
    sums = long.groupby(["Province_State", "day"], as_index=False)["value"].sum()
    sums["admin1"] = sums["Province_State"].map(STATES)
    sums["reported_on"] = pd.to_datetime(sums["day"], format="%m/%d/%y").dt.strftime("%Y-%m-%d")
    return sums.set_index(["admin1", "reported_on"])["value"].sort_index()


def test_state_figures_are_the_sums_of_their_counties_cells():
    result = read_figures(FIXTURE)
    figs = result.figures
    expected = _expected(EXPORT)
    assert len(figs) == len(expected) == 2 * 10
    figs = figs.assign(reported_on=figs["reported_on"].dt.strftime("%Y-%m-%d"))
    got = figs.set_index(["admin1", "reported_on"])["value"].astype("int64").sort_index()
    pd.testing.assert_series_equal(got, expected.astype("int64"), check_names=False)
    assert set(figs["qualifier"]) == {"exact"}
    assert set(figs["measure"]) == {"deaths"}
    assert set(figs["incident"]) == {"covid-19 US-AL", "covid-19 US-AZ"}
    # the export's rows are counted as rows, not the figures
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (6, 6, 0)


def test_each_sum_cites_its_first_county_and_lists_its_parts_lines():
    figs = read_figures(FIXTURE).figures
    al = figs[figs["admin1"] == "US-AL"]
    az = figs[figs["admin1"] == "US-AZ"]
    assert set(al["origin_row"]) == {2}
    assert set(az["origin_row"]) == {5}
    assert set(al["summed"]) == {"sum of 3 rows: lines 2, 3, 4"}
    assert set(az["summed"]) == {"sum of 3 rows: lines 5, 6, 7"}
    assert set(figs["origin_file"]) == {"fixtures/shapes/time_series_covid19_deaths_US.csv"}
    # a county's own columns describe one part, not the state: empty in the sum
    assert figs["Admin2"].isna().all()
    assert figs["UID"].isna().all()
    assert set(figs["Country_Region"]) == {"US"}  # the same in every part: kept


def _with_cell(tmp_path: Path, county: str, day: str, text: str) -> Path:
    folder = tmp_path / "shapes"
    shutil.copytree(FIXTURE, folder)
    export = folder / EXPORT.name
    raw = pd.read_csv(export, dtype=str, keep_default_na=False)
    raw.loc[raw["Admin2"] == county, day] = text
    raw.to_csv(export, index=False)
    return folder


def test_a_bad_cell_rejects_its_figure_and_makes_the_sum_a_lower_bound(tmp_path):
    folder = _with_cell(tmp_path, "Chilton", "7/20/20", "-4")  # a negative count: bad
    result = read_figures(folder)
    figs, findings = result.figures, result.findings
    bad = findings[findings["code"] == "bad-count"]
    assert len(bad) == 1
    assert bad.iloc[0]["origin_row"] == 3  # Chilton's line
    assert "'7/20/20'" in bad.iloc[0]["message"]
    # the row's other cells are read: no row is rejected
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (6, 6, 0)
    day = figs[(figs["admin1"] == "US-AL") & (figs["reported_on"] == "2020-07-20")].iloc[0]
    assert day["qualifier"] == "at_least"
    assert (int(day["low"]), int(day["value"])) == (33 + 185, 33 + 185)  # Chambers + Jefferson
    assert pd.isna(day["high"])
    other = figs[(figs["admin1"] == "US-AL") & (figs["reported_on"] == "2020-07-21")].iloc[0]
    assert (other["qualifier"], int(other["value"])) == ("exact", 33 + 3 + 188)


def test_an_unreadable_part_makes_the_sum_a_lower_bound_too(tmp_path):
    folder = _with_cell(tmp_path, "Mohave", "7/23/20", "n/a?")
    result = read_figures(folder)
    warned = result.findings[result.findings["code"] == "unreadable-figure"]
    assert warned["origin_row"].tolist() == [5]
    figs = result.figures
    day = figs[(figs["admin1"] == "US-AZ") & (figs["reported_on"] == "2020-07-23")].iloc[0]
    assert (day["qualifier"], int(day["low"])) == ("at_least", 165 + 44)


def test_without_aggregate_each_cell_is_one_county_figure_on_its_date(tmp_path):
    folder = _with_cell(tmp_path, "Navajo", "7/14/20", "1.5")  # a fraction: bad
    profile = folder / "expectations" / "profiles" / "jhu-states.yaml"
    text = profile.read_text().replace("aggregate: {by: [Province_State], sum: true}\n", "")
    profile.write_text(text.replace('{template: "covid-19 {admin1}"}', "Combined_Key"))
    result = read_figures(folder)
    figs = result.figures
    assert len(figs) == 6 * 10 - 1  # the bad cell is no figure; its row's others are
    navajo = figs[figs["incident"] == "Navajo, Arizona, US"]
    assert len(navajo) == 9
    assert set(navajo["origin_row"]) == {6}
    assert "2020-07-14" not in set(navajo["reported_on"].dt.strftime("%Y-%m-%d"))
    raw = pd.read_csv(EXPORT)
    jefferson = figs[figs["incident"] == "Jefferson, Alabama, US"].sort_values("reported_on")
    assert jefferson["value"].astype(int).tolist() == raw.iloc[2, -10:].astype(int).tolist()
    assert result.rows_rejected == 0


def test_a_header_with_no_date_in_the_format_is_a_clear_error(tmp_path):
    folder = tmp_path / "shapes"
    shutil.copytree(FIXTURE, folder)
    profile = folder / "expectations" / "profiles" / "jhu-states.yaml"
    profile.write_text(profile.read_text().replace("%m/%d/%y", "%Y-%m-%d"))
    from toolkit.errors import InputError

    with pytest.raises(InputError, match=r"no header is a date in the format '%Y-%m-%d'"):
        read_figures(folder)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"aggregate": {"by": ["State"], "sum": False}}, "only 'sum: true'"),
        ({"aggregate": {"sum": True}}, "aggregate.by"),
        ({"dates_in_columns": {"columns": "Date", "measure": "deaths"}}, "date format"),
        (
            {
                "dates_in_columns": {"columns": "%m/%d/%y", "measure": "deaths"},
                "figures": [{"measure": "killed", "value": "K"}],
            },
            "not several or none",
        ),
        (
            {
                "dates_in_columns": {"columns": "%m/%d/%y", "measure": "deaths"},
                "columns": {"reported_on": "Date"},
            },
            "report date is its column's header",
        ),
    ],
)
def test_profile_keys_are_checked(extra, message):
    data = {"name": "x", "files": ["*.csv"], "constants": {"source": "S"}}
    if "dates_in_columns" not in extra and "figures" not in extra:
        data["figures"] = [{"measure": "killed", "value": "K"}]
    with pytest.raises(SuiteError, match=message):
        parse_profile({**data, **extra}, "p.yaml")


def test_a_year_of_dates_for_3000_counties_reads_in_seconds(tmp_path):
    folder = tmp_path / "big"
    (folder / "expectations").mkdir(parents=True)
    shutil.copytree(FIXTURE / "expectations", folder / "expectations", dirs_exist_ok=True)
    days = pd.date_range("2020-01-22", periods=365)
    headers = [f"{d.month}/{d.day}/{d.year % 100}" for d in days]
    rng = np.random.default_rng(15)
    n = 3000
    frame = pd.DataFrame(rng.integers(0, 500, size=(n, len(days))), columns=headers)
    frame.insert(0, "Province_State", np.array(["Alabama", "Arizona", "Ohio"])[np.arange(n) % 3])
    frame.insert(0, "Admin2", [f"County {i}" for i in range(n)])
    frame.to_csv(folder / EXPORT.name, index=False)
    start = time.perf_counter()
    figs = read_figures(folder).figures
    elapsed = time.perf_counter() - start
    assert len(figs) == 3 * 365
    ohio = figs[(figs["admin1"] == "US-OH") & (figs["reported_on"] == days[100])]
    assert int(ohio["value"].iloc[0]) == int(frame.loc[2::3, headers[100]].sum())
    assert elapsed < 10, elapsed


def test_a_long_export_is_summed_per_measure_and_a_signed_sum_with_a_gap_is_unknown(tmp_path):
    suite = tmp_path / "expectations"
    (suite / "profiles").mkdir(parents=True)
    series = FIXTURE.parent / "series" / "expectations"
    shutil.copy(series / "taxonomy.yaml", suite / "taxonomy.yaml")
    (suite / "suite.yaml").write_text(
        "name: t\nextends: default\ntaxonomy: taxonomy.yaml\nprofiles: profiles\nlink: none\n"
    )
    (suite / "profiles" / "counties.yaml").write_text(
        "name: counties\nfiles: [counties.csv]\n"
        "columns: {incident: State, reported_on: Date}\nconstants: {source: S}\n"
        "long: {measure: Measure, value: Value}\n"
        "aggregate: {by: State, sum: true}\n"
    )
    (tmp_path / "counties.csv").write_text(
        "State,County,Date,Measure,Value\n"
        "Ohio,A,2020-05-01,deaths,10\n"  # line 2
        "Ohio,B,2020-05-01,deaths,n/a?\n"
        "Ohio,A,2020-05-01,deaths.new,2\n"
        "Ohio,B,2020-05-01,deaths.new,n/a?\n"
        "Ohio,C,2020-05-02,deaths,5\n"  # line 6
        "Ohio,A,2020-05-02,deaths,3-4\n"
    )
    result = read_figures(tmp_path)
    figs = result.figures.set_index(["measure", result.figures["reported_on"].dt.day])
    deaths = figs.loc[("deaths", 1)]
    assert (deaths["qualifier"], int(deaths["low"]), deaths["origin_row"]) == ("at_least", 10, 2)
    assert deaths["summed"] == "sum of 2 rows: lines 2, 3"
    new = figs.loc[("deaths.new", 1)]
    assert new["qualifier"] == "unknown"  # a signed part unknown: no bound at all
    assert new["summed"] == "sum of 2 rows: lines 4, 5"
    later = figs.loc[("deaths", 2)]
    assert (later["qualifier"], int(later["low"]), int(later["high"])) == ("range", 8, 9)
    assert later["summed"] == "sum of 2 rows: lines 6, 7"
    assert pd.isna(later["County"])
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (6, 6, 0)


def test_an_aggregate_by_column_not_in_the_header_is_a_clear_error(tmp_path):
    folder = tmp_path / "shapes"
    shutil.copytree(FIXTURE, folder)
    profile = folder / "expectations" / "profiles" / "jhu-states.yaml"
    profile.write_text(profile.read_text().replace("by: [Province_State]", "by: [State]"))
    from toolkit.errors import InputError

    with pytest.raises(InputError, match=r"column 'State' \(aggregate.by, profile .*not found"):
        read_figures(folder)

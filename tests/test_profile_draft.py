"""``crosscheck profile``: a drafted profile reads its export without edits, and reads the
figures the hand-written profile reads (or says under ``# review:`` where it does not)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES

from toolkit.reading import read_figures
from toolkit.suite import load_suite

# Every export a hand-written fixture profile claims.
EXPORTS = [
    ("al-qaryatayn", "sohr.csv"),
    ("al-qaryatayn", "homs-governor.tsv"),
    ("al-qaryatayn", "ap.json"),
    ("al-qaryatayn", "al-masdar.xlsx"),
    ("real", "missing-migrants-2026.csv"),
    ("real", "ucdp-ged-bangladesh.csv"),
    ("real", "gaza-casualties-daily.json"),
    ("linking", "fbi-active-shooter.csv"),
    ("linking", "stanford-msa.csv"),
    ("series", "covid-tracking.csv"),
    ("series", "jhu-csse.csv"),
]


def _suite_beside(tmp_path: Path, fixture: str) -> Path:
    """The fixture's suite (its taxonomy and settings) with no profile of its own."""
    suite = tmp_path / "suite"
    shutil.copytree(FIXTURES / fixture / "expectations", suite)
    for profile in (suite / "profiles").glob("*.yaml"):
        profile.unlink()
    return suite


def _figures(path: Path, suite: Path) -> dict[tuple[int, str], object]:
    figures = read_figures(path, suite).figures
    return {
        (int(r.origin_row), str(r.measure)): r.value
        for r in figures[["origin_row", "measure", "value"]].itertuples()
    }


@pytest.mark.parametrize(("fixture", "name"), EXPORTS)
def test_a_draft_reads_its_export_as_the_hand_written_profile_does(cli, tmp_path, fixture, name):
    data = tmp_path / "data"
    data.mkdir()
    export = data / name
    shutil.copy(FIXTURES / fixture / name, export)
    suite = _suite_beside(tmp_path, fixture)

    drafted = cli("profile", str(export), "--into", str(suite))
    assert drafted.code == 0, drafted.err
    [draft_file] = (suite / "profiles").glob("*.yaml")
    draft = draft_file.read_text(encoding="utf-8")

    read = cli("read", str(export), "--suite", str(suite))
    assert read.code in (0, 1), read.err
    assert "error" not in read.err

    hand = read_figures(FIXTURES / fixture / name, FIXTURES / fixture)
    mine = read_figures(export, suite)
    assert mine.rows_read == hand.rows_read > 0
    assert mine.rows_read == mine.rows_accepted + mine.rows_rejected

    theirs = _figures(FIXTURES / fixture / name, FIXTURES / fixture)
    ours = _figures(export, suite)
    both = {m for _, m in theirs} & {m for _, m in ours}
    assert both, "the draft maps none of the hand-written profile's measures"
    reviewed = " ".join(line for line in draft.splitlines() if "# review:" in line)
    for measure in both:
        a = {k: v for k, v in theirs.items() if k[1] == measure}
        b = {k: v for k, v in ours.items() if k[1] == measure}
        if a != b:
            assert re.search(rf"\b{re.escape(measure)}\b", reviewed), (measure, draft)


def test_the_draft_maps_what_the_words_say(cli, tmp_path):
    export = tmp_path / "msa-2016.csv"
    shutil.copy(FIXTURES / "linking" / "stanford-msa.csv", export)
    suite = _suite_beside(tmp_path, "linking")
    assert cli("profile", str(export), "--into", str(suite)).code == 0
    draft = (suite / "profiles" / "msa.yaml").read_text(encoding="utf-8")
    assert 'files: ["msa*.csv"]' in draft
    assert '{measure: "killed.police", value: "Number of Enforcement Fatalities"}' in draft
    assert '{measure: "injured.civilians", value: "Number of Civilian Injured"}' in draft
    assert 'incident: "CaseID"' in draft
    assert 'event_start: ["%m/%d/%y"]' in draft
    # a second draft never replaces the first
    again = cli("profile", str(export), "--into", str(suite))
    assert again.code == 2
    assert "msa.yaml" in again.err
    assert "exists" in again.err


def test_hxl_row_dates_and_sentinels(cli, tmp_path):
    export = tmp_path / "ged.csv"
    shutil.copy(FIXTURES / "real" / "ucdp-ged-bangladesh.csv", export)
    out = cli("profile", str(export), "--source", "UCDP GED")
    assert out.code == 0, out.err
    assert "skip_hashtag_row: true" in out.out
    assert '{measure: "killed", value: "best", low: "low", high: "high"}' in out.out
    assert 'country: "iso3"' in out.out
    assert 'name: "UCDP GED"' in out.out


def test_mixed_two_and_four_digit_years_give_two_formats(cli, tmp_path):
    export = tmp_path / "gov.tsv"
    shutil.copy(FIXTURES / "al-qaryatayn" / "homs-governor.tsv", export)
    out = cli("profile", str(export), "-o", str(tmp_path / "gov.yaml"))
    assert out.code == 0, out.err
    draft = (tmp_path / "gov.yaml").read_text(encoding="utf-8")
    assert 'reported_on: ["%m/%d/%y", "%m/%d/%Y"]' in draft
    assert 'measure: "indicator"' in draft
    assert 'value: "statement"' in draft


def test_headers_with_colons_quotes_and_hashes_stay_one_yaml_value(cli, tmp_path):
    export = tmp_path / "odd.csv"
    export.write_text(
        'Event ID,Date,"Killed: ""all"" #1",City\na1,2024-01-02,3,Aleppo\na2,2024-01-03,4,Homs\n',
        encoding="utf-8",
    )
    suite = tmp_path / "suite"
    (suite / "profiles").mkdir(parents=True)
    (suite / "suite.yaml").write_text("name: odd\nextends: default\nprofiles: profiles\n")
    assert cli("profile", str(export), "--into", str(suite)).code == 0
    profile = load_suite(suite).profiles[0]
    assert profile.figures[0].value == ('Killed: "all" #1',)
    assert profile.figures[0].measure == "killed"
    read = read_figures(export, suite)
    assert sorted(read.figures["value"].tolist()) == [3, 4]


def test_a_semicolon_export_gets_its_delimiter(cli, tmp_path):
    export = tmp_path / "semi.csv"
    export.write_text("id;date;deaths\nx1;2024-01-02;3\nx2;2024-01-03;5\n", encoding="utf-8")
    out = cli("profile", str(export))
    assert out.code == 0
    assert 'delimiter: ";"' in out.out
    assert '{measure: "killed", value: "deaths"}' in out.out


def test_an_unreadable_or_empty_export_is_exit_2_naming_the_file(cli, tmp_path):
    missing = cli("profile", str(tmp_path / "nowhere.csv"))
    assert missing.code == 2
    assert "nowhere.csv" in missing.err
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    got = cli("profile", str(empty))
    assert got.code == 2
    assert "empty.csv" in got.err
    assert "Traceback" not in got.err


def test_no_numeric_column_gives_a_draft_saying_so(cli, tmp_path):
    export = tmp_path / "names.csv"
    export.write_text("id,city\na,Homs\nb,Hama\n", encoding="utf-8")
    out = cli("profile", str(export))
    assert out.code == 0
    assert "figures: []  # review: no figure column found" in out.out


def test_a_sentinel_in_a_count_column_is_drafted_and_read_as_unknown(cli, tmp_path):
    export = tmp_path / "events.csv"
    export.write_text(
        "event_id,date,fatalities\ne1,2024-01-02,3\ne2,2024-01-03,-99\ne3,2024-01-04,5\n",
        encoding="utf-8",
    )
    suite = tmp_path / "suite"
    (suite / "profiles").mkdir(parents=True)
    (suite / "suite.yaml").write_text("name: s\nextends: default\nprofiles: profiles\n")
    assert cli("profile", str(export), "--into", str(suite)).code == 0
    draft = (suite / "profiles" / "events.yaml").read_text(encoding="utf-8")
    assert "sentinels: [-99]" in draft
    read = cli("read", str(export), "--suite", str(suite))
    assert read.code in (0, 1), read.err
    values = read_figures(export, suite).figures["value"]
    assert values.dropna().tolist() == [3, 5]
    assert int(values.isna().sum()) == 1


def test_a_daily_series_is_one_incident_per_place(cli, tmp_path):
    export = tmp_path / "covid-tracking.csv"
    shutil.copy(FIXTURES / "series" / "covid-tracking.csv", export)
    suite = _suite_beside(tmp_path, "series")
    assert cli("profile", str(export), "--into", str(suite)).code == 0
    draft = (suite / "profiles" / "covid-tracking.yaml").read_text(encoding="utf-8")
    assert 'incident: {template: "{admin1}"}' in draft
    assert 'reported_on: ["%Y%m%d"]' in draft
    assert '{measure: "deaths.new", value: "deathIncrease"}' in draft
    assert "sentinels" not in draft  # deaths.new is a change: -1 is a figure there

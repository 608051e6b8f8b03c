from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import AQ, REAL

from toolkit.errors import SuiteError
from toolkit.suite import default_suite_dir, find_suite, load_suite


def _suite(tmp_path: Path, suite_yaml: str, profile: str | None = None) -> Path:
    d = tmp_path / "s"
    (d / "profiles").mkdir(parents=True)
    (d / "suite.yaml").write_text(suite_yaml)
    if profile is not None:
        (d / "profiles" / "p.yaml").write_text(profile)
    return d


def test_finding_the_suite(tmp_path):
    assert find_suite([AQ], None).name == "al-qaryatayn"  # carried by the directory
    assert find_suite([AQ / "sohr.csv"], None).name == "al-qaryatayn"  # a file's folder
    assert find_suite([AQ], REAL / "expectations").name == "real"  # --suite wins
    assert find_suite([tmp_path], None).path == str(default_suite_dir())  # none: the default


def test_the_suite_is_found_in_the_folders_above_as_git_finds_git(tmp_path):
    shutil.copytree(AQ / "expectations", tmp_path / "expectations")
    exports = tmp_path / "exports" / "2017"
    exports.mkdir(parents=True)
    shutil.copy(AQ / "sohr.csv", exports)
    for given in (tmp_path / "exports", exports, exports / "sohr.csv"):
        assert find_suite([given], None).path == str((tmp_path / "expectations").resolve())


def test_suite_and_the_folder_read_accept_the_same_folders(tmp_path):
    shutil.copytree(AQ / "expectations", tmp_path / "expectations")
    holding = load_suite(tmp_path)  # the data folder that carries expectations/
    itself = load_suite(tmp_path / "expectations")  # the suite folder
    assert holding.path == itself.path
    with pytest.raises(
        SuiteError, match=r"no suite\.yaml in this folder, nor in its expectations/"
    ):
        load_suite(tmp_path / "expectations" / "profiles")


def test_extends_default_and_adds_profiles():
    real = load_suite(REAL / "expectations")
    assert [p.name for p in real.profiles][:3] == [
        "Tech For Palestine Gaza daily reports",
        "IOM Missing Migrants Project",
        "UCDP GED",
    ]
    assert real.date_floor == "1989-01-01"  # its own, over the default's 1946-01-01
    assert real.compare.about_tolerance == 0.1  # inherited
    assert real.chain[-1] == str(default_suite_dir())


def test_yaml_errors_name_file_and_line(tmp_path):
    d = _suite(tmp_path, "name: x\nwords: {dozens: [12\n")
    with pytest.raises(SuiteError, match=r"suite.yaml:3:1: not valid YAML"):
        load_suite(d)


def test_yaml_is_loaded_safely(tmp_path):
    d = _suite(tmp_path, "name: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(SuiteError, match="not valid YAML"):
        load_suite(d)


def test_unknown_keys_suggest_the_right_one(tmp_path):
    with pytest.raises(SuiteError, match=r"unknown key 'taxonmy'\. Did you mean 'taxonomy'"):
        load_suite(_suite(tmp_path, "taxonmy: t.yaml\n"))


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (
            "name: p\nfiles: x.csv\nconstants: {source: S}\n",
            "either 'figures' \\(wide\\) or 'long'",
        ),
        (
            "name: p\nfiles: x.csv\nfigures: [{measure: killed, value: k}]\n",
            "say where the source comes from",
        ),
        (
            "name: p\nfiles: x.csv\nconstants: {source: S}\n"
            "figures: [{measure: kiled, value: k}]\n",
            "unknown measure 'kiled' \\(profile p.yaml\\). Did you mean 'killed'",
        ),
        (
            "name: p\nfiles: x.csv\ncolumns: {incidnt: id}\nconstants: {source: S}\n"
            "figures: [{measure: killed, value: k}]\n",
            "Did you mean 'incident'",
        ),
        (
            "name: p\nfiles: x.csv\nformat: docx\nconstants: {source: S}\n"
            "figures: [{measure: killed, value: k}]\n",
            "format 'docx' is not one of",
        ),
    ],
)
def test_profile_errors(tmp_path, profile, message):
    d = _suite(tmp_path, "name: x\n", profile)
    with pytest.raises(SuiteError, match=message):
        load_suite(d)


# --- settings: typed, checked when the suite loads ---------------------------------------


@pytest.mark.parametrize(
    ("suite_yaml", "message"),
    [
        ("severity: {conflct: warning}\n", "unknown finding family 'conflct'.*'conflict'"),
        ("severity: {child-not-above-parnt: info}\n", "Did you mean 'child-not-above-parent'"),
        ("mostly: {child-not-above-parnt: 0.9}\n", "Did you mean 'child-not-above-parent'"),
        ("severity: {conflict: fatal}\n", "severity of 'conflict' must be one of error"),
        ("severity: {bad-date: info}\n", "'bad-date' cannot be set here: its severity is fixed"),
        ("mostly: {conflict: 0.5}\n", "'conflict' cannot be set here: it is not a rule"),
        ("mostly: {bounds: 5}\n", "mostly.bounds: 5 is out of range"),
        ("mostly: {bounds: lots}\n", "mostly.bounds: expected a number"),
        ("severity: [a, b]\n", "severity: expected a mapping"),
        ("compare: {about_tolerance: abc}\n", "compare.about_tolerance: expected a number"),
        ("compare: {about_tolerance: -5}\n", "about_tolerance: -5 is out of range"),
        ("compare: {spread_threshold: .nan}\n", "spread_threshold: nan is out of range"),
        ("compare: {window_days: -1}\n", "window_days: -1 is out of range"),
        ("compare: {windw_days: 3}\n", "Did you mean 'window_days'"),
        ("words: [dozens, 12]\n", "words: expected a mapping"),
        ("dates: 2017\n", "dates: expected a mapping"),
        ("dates: {floor: not-a-date}\n", "dates.floor: 'not-a-date' is not a date"),
        ("rules: 5\n", "rules: expected a file name or a list"),
        ("link: automatic\n", "link: 'automatic' is not one of none, crosswalk, auto"),
    ],
)
def test_settings_of_the_wrong_kind_are_suite_errors_naming_the_file(tmp_path, suite_yaml, message):
    d = _suite(tmp_path, "name: x\n" + suite_yaml)
    with pytest.raises(SuiteError, match=message) as info:
        load_suite(d)
    assert str(info.value).startswith(str(d / "suite.yaml"))


def test_a_wrong_setting_exits_2_with_one_line(tmp_path, cli):
    d = _suite(tmp_path, "name: x\nseverity: {conflct: warning}\n")
    run = cli("check", str(AQ), "--suite", str(d))
    assert run.code == 2
    assert "Did you mean 'conflict'" in run.err
    assert "Traceback" not in run.err


def test_settings_are_typed_and_inherited(tmp_path):
    d = _suite(tmp_path, "name: x\ncompare: {window_days: 30}\nseverity: {conflict: warning}\n")
    suite = load_suite(d)
    assert suite.compare.window_days == 30.0
    assert suite.compare.about_tolerance == 0.1  # the default suite's
    assert suite.severity["conflict"] == "warning"


def test_the_old_revision_key_still_works_and_says_its_new_name(tmp_path, cli):
    from toolkit.errors import SuiteWarning

    d = _suite(tmp_path, "name: x\nseverity: {revision: error}\n")
    with pytest.warns(SuiteWarning, match="'revision' is now 'cumulative-no-drop'"):
        suite = load_suite(d)
    assert suite.severity == {"cumulative-no-drop": "error"}
    from toolkit.checking.rules import derive

    drop = [r for r in derive(suite) if r.family == "cumulative-no-drop"]
    assert drop
    assert {r.severity for r in drop} == {"error"}


def test_a_hand_written_family_can_be_tuned(tmp_path):
    d = _suite(tmp_path, "name: x\nrules: r.json\nseverity: {citation: info}\n")
    (d / "r.json").write_text(
        '{"expectations": [{"type": "expect_column_values_to_not_be_null",'
        ' "kwargs": {"column": "citation"}, "meta": {"family": "citation"}}]}'
    )
    from toolkit.checking import suite_rules

    (rule,) = [r for r in suite_rules(load_suite(d)) if r.family == "citation"]
    assert rule.severity == "info"

from __future__ import annotations

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
    assert find_suite([AQ / "sohr.csv"], None).path == str(default_suite_dir())
    assert find_suite([AQ], REAL / "expectations").name == "real"  # --suite wins


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

"""Bad inputs a review of the hardening found: a suite.yaml that leads out of its folder,
crosscheck's own outputs inside the folders it reads, one file named for two outputs."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from badinputs import ROOT, Case, aq, check

from toolkit.errors import InputError
from toolkit.reading import read_figures


def _suite_yaml_link(folder: Path) -> list[str]:
    data = aq(folder)
    secret = folder / "secret.yaml"
    secret.write_text("password: hunter2\n")
    suite = data / "expectations" / "suite.yaml"
    suite.unlink()
    suite.symlink_to(secret)
    return ["check", str(data)]


def _json_report_in_the_data_folder(folder: Path) -> list[str]:
    data = aq(folder)
    report = '{\n"summary": [\n {"suite": "al-qaryatayn"}\n],\n"findings": []\n}\n'
    (data / "run.json").write_text(report)  # as --json writes one
    return ["check", str(data), "--fail-on", "error"]


def _two_outputs_one_file(folder: Path) -> list[str]:
    data = aq(folder)
    return ["read", str(data), "-o", str(folder / "x.csv"), "--findings", str(folder / "x.csv")]


CASES = [
    Case(
        "suite-yaml-link-out",
        "trust",
        "A data folder whose `expectations/suite.yaml` is a symbolic link to a file elsewhere "
        "(its keys used to be quoted back in the error)",
        _suite_yaml_link,
        2,
        "suite.yaml: 'suite.yaml' is a link to DIR/secret.yaml, outside the suite folder",
    ),
    Case(
        "json-object-in-folder",
        "smaller",
        "A JSON object no profile claims in the data folder (crosscheck's own `--json` report "
        "of a previous run, a datapackage.json): left unread with a warning, as any stray file",
        _json_report_in_the_data_folder,
        0,
        "aq/run.json: [input/unclaimed-file] no source profile claims this file; it was not read",
    ),
    Case(
        "two-outputs-one-file",
        "smaller",
        "One file named for two outputs (`read -o x.csv --findings x.csv`: the figures were "
        "silently replaced by the findings)",
        _two_outputs_one_file,
        2,
        "DIR/x.csv: is named for two outputs: each needs its own file",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)


def test_the_suite_yaml_secret_is_never_quoted(tmp_path: Path) -> None:
    outcome = check(CASES[0], tmp_path)
    assert "password" not in outcome.text


def test_a_report_written_into_the_suite_folder_can_be_written_again(tmp_path, cli) -> None:
    data = aq(tmp_path)
    report = data / "expectations" / "report.html"
    for _ in range(2):  # the second run used to refuse it as "a file this run reads"
        run = cli("check", str(data), "--html", str(report), "--fail-on", "never")
        assert run.code == 0, run.err
    assert report.read_text(encoding="utf-8").rstrip().endswith("</html>")


def test_a_suite_file_is_still_never_written(tmp_path, cli) -> None:
    data = aq(tmp_path)
    taxonomy = data / "expectations" / "taxonomy.yaml"
    before = taxonomy.read_bytes()
    run = cli("check", str(data), "--html", str(taxonomy))
    assert run.code == 2
    assert "is a file this run reads" in run.err
    assert taxonomy.read_bytes() == before


def test_a_json_object_given_by_name_is_still_an_error(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text('{\n"summary": []\n}\n')
    with pytest.raises(InputError, match="one JSON object, not a list of records"):
        read_figures(tmp_path / "run.json")


def test_a_missing_file_is_only_missing(cli, tmp_path: Path) -> None:
    run = cli("read", str(tmp_path / "nothing.csv"))
    assert run.code == 2
    assert run.err.strip().endswith("nothing.csv: file not found")


def _nobody_claims(folder: Path) -> list[str]:
    data = folder / "new-outlets"
    data.mkdir()
    for name in ("a.csv", "b.csv"):
        (data / name).write_text("Date,Place,Dead\n2020-01-01,X,3\n")
    return ["check", str(data)]


ZERO_ROWS = Case(
    "zero-rows-read",
    "smaller",
    "A folder of exports no profile claims (it printed a warning per file, 'rows read 0', "
    "and exited 0)",
    _nobody_claims,
    2,
    "no rows read from DIR/new-outlets: ",
)
CASES.append(ZERO_ROWS)


def test_zero_rows_read_lists_the_files_and_says_how_to_read_them(tmp_path: Path) -> None:
    outcome = check(ZERO_ROWS, tmp_path)
    assert "new-outlets/a.csv (no source profile claims it)" in outcome.text
    assert "new-outlets/b.csv (no source profile claims it)" in outcome.text
    assert "crosscheck profile FILE --into DIR/new-outlets" in outcome.text


def _unknown_measure_in_a_profile(folder: Path) -> list[str]:
    data = aq(folder)
    profile = data / "expectations" / "profiles" / "sohr.yaml"
    profile.write_text(profile.read_text().replace("measure: killed.by_regime", "measure: kiled"))
    return ["check", str(data)]


CASES.append(
    Case(
        "unknown-measure-in-profile",
        "smaller",
        "A profile that maps a column to a measure the taxonomy lacks (it was blamed on "
        "taxonomy.yaml)",
        _unknown_measure_in_a_profile,
        2,
        "DIR/aq/expectations/profiles/sohr.yaml: unknown measure 'kiled' (profile sohr.yaml). "
        "Did you mean 'killed'?",
    )
)


def _unknown_measure_by_date(folder: Path) -> list[str]:
    data = folder / "shapes"
    shutil.copytree(ROOT / "fixtures" / "shapes", data)
    profile = data / "expectations" / "profiles" / "jhu-states.yaml"
    profile.write_text(profile.read_text().replace("measure: deaths", "measure: deaht"))
    return ["suite", str(data)]  # the suite alone: found before any export is read


CASES.append(
    Case(
        "unknown-measure-by-date",
        "smaller",
        "A `dates_in_columns:` profile whose measure the taxonomy lacks (found only when a "
        "file was read)",
        _unknown_measure_by_date,
        2,
        "DIR/shapes/expectations/profiles/jhu-states.yaml: unknown measure 'deaht'",
    )
)


CASES.append(
    Case(
        "negative-count-option",
        "smaller",
        "`--max-findings -3` (a count option below zero was taken as 0; `--charts`, `--limit` "
        "alike)",
        lambda folder: ["check", str(aq(folder)), "--max-findings", "-3"],
        2,
        "argument --max-findings: expected a whole number >= 0, not '-3'",
    )
)


def _shapes_with_header(old: str, new: str) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        data = folder / "shapes"
        shutil.copytree(ROOT / "fixtures" / "shapes", data)
        export = data / "time_series_covid19_deaths_US.csv"
        header, rest = export.read_text().split("\n", 1)
        export.write_text(header.replace(old, new, 1) + "\n" + rest)
        return ["read", str(data)]

    return build


CASES += [
    Case(
        "date-header-out-of-format",
        "rows",
        "`dates_in_columns`: a header that is a date in another format (`7/23/2020` for "
        "`%m/%d/%y`): its figures were kept as an extra column, lost without a word",
        _shapes_with_header("7/23/20", "7/23/2020"),
        2,
        "header '7/23/2020' looks like a date but is not one in the format '%m/%d/%y'",
    ),
    Case(
        "date-header-twice",
        "rows",
        "`dates_in_columns`: two headers of one date (`7/15/20`, `07/15/20`): two figures for "
        "one report",
        _shapes_with_header("7/14/20,7/15/20", "7/15/20,07/15/20"),
        2,
        "headers '7/15/20' and '07/15/20' are one date (2020-07-15)",
    ),
]


def test_a_date_header_with_a_blank_after_it_is_still_a_date(tmp_path: Path, cli) -> None:
    args = _shapes_with_header("7/23/20", "7/23/20 ")(tmp_path)
    run = cli(*args, "-o", str(tmp_path / "f.csv"))
    assert run.code == 0, run.err
    assert "figures 20" in run.out  # ten dates x two states, the last one included


def test_a_draft_claims_a_file_whose_name_holds_glob_characters(tmp_path: Path, cli) -> None:
    data = aq(tmp_path)
    for f in data.glob("*.*"):
        f.unlink()
    (data / "data[1].csv").write_text("date,place,killed\n2024-01-02,X,5\n")
    assert cli("profile", str(data / "data[1].csv"), "--into", str(data)).code == 0
    run = cli("read", str(data))
    assert run.code == 0, run.err
    assert "rows read 1 = accepted 1 + rejected 0" in run.out


def test_a_draft_with_no_figure_is_printed_not_written_into_the_suite(tmp_path, cli) -> None:
    data = aq(tmp_path)
    (data / "n.csv").write_text("id,Fecha,Region,Muertos\n1,2024-01-02,Norte,3\n")
    before = sorted(p.name for p in (data / "expectations" / "profiles").iterdir())
    run = cli("profile", str(data / "n.csv"), "--into", str(data))
    assert run.code == 2
    assert "figures: []" in run.out
    assert "the draft maps no figure column, so it would not load" in run.err
    assert sorted(p.name for p in (data / "expectations" / "profiles").iterdir()) == before


def test_into_finds_the_suite_above_as_the_zero_rows_hint_says(tmp_path, cli) -> None:
    data = aq(tmp_path)
    (data / "exports").mkdir()
    (data / "exports" / "x.csv").write_text("date,place,killed\n2024-01-02,X,5\n")
    run = cli("profile", str(data / "exports" / "x.csv"), "--into", str(data / "exports"))
    assert run.code == 0, run.err
    assert (data / "expectations" / "profiles" / "x.yaml").is_file()

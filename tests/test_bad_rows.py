"""Bad inputs whose rows used to be lost without a word: each case of the table
(docs/bad-inputs.md) and the tests that pin the mechanism behind it."""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from badinputs import ROOT, Case, add_to_suite, aq, assert_rows_accounted, check
from hypothesis import given
from hypothesis import strategies as st

import toolkit as cc
from toolkit.reading import read_figures
from toolkit.reading.cells import read_counts

SERIES = ROOT / "fixtures" / "series"


def _truncated_gzip_in_folder(folder: Path) -> list[str]:
    data = aq(folder)
    csv = (data / "sohr.csv").read_bytes()
    (data / "extra.csv.gz").write_bytes(gzip.compress(csv)[:40])
    return ["check", str(data)]


CASES = [
    Case(
        "folder-unreadable-export",
        "rows",
        "In a folder, an export no profile claims that cannot be read (a truncated .gz)",
        _truncated_gzip_in_folder,
        2,
        "DIR/aq/extra.csv.gz: not a valid gzip file",
    ),
]


def _wide_daily(folder: Path, signed: bool) -> Path:
    """A daily series by state: cumulative deaths and the day's change, one row a day."""
    data = folder / "daily"
    (data / "expectations" / "profiles").mkdir(parents=True)
    (data / "expectations" / "suite.yaml").write_text("name: daily\n")
    change = "  deaths.new: {label: deaths since the previous report"
    change += ", signed: true}\n" if signed else "}\n"
    (data / "expectations" / "taxonomy.yaml").write_text(
        "measures:\n  deaths: {label: deaths, cumulative: true}\n" + change
    )
    (data / "expectations" / "profiles" / "daily.yaml").write_text(
        "name: daily\nfiles: ['daily*.csv']\n"
        "columns: {incident: state, reported_on: date}\n"
        "constants: {source: Tracker}\n"
        "figures:\n"
        "  - {measure: deaths, value: death}\n"
        "  - {measure: deaths.new, value: deathIncrease}\n"
    )
    (data / "daily.csv").write_text(
        "date,state,death,deathIncrease\n"
        "2020-05-14,CO,1091,10\n"
        "2020-05-15,CO,1094,3\n"
        "2020-05-16,CO,1091,-3\n"  # line 4: a reclassification, a real downward revision
        "2020-05-17,CO,1095,4\n"
    )
    return data


def _negative_change(folder: Path) -> list[str]:
    return ["read", str(_wide_daily(folder, signed=False)), "--fail-on", "error"]


def _number_as_text(folder: Path) -> list[str]:
    data = folder / "n"
    data.mkdir()
    rows = ["incident,source,measure,value,reported_on", "a,S,killed,12 killed,2020-01-01"]
    rows += ["b,S,killed,1e308,2020-01-02", "c,S,killed,inf,2020-01-03"]
    (data / "n.csv").write_text("\n".join(rows) + "\n")
    return ["read", str(data / "n.csv")]


CASES += [
    Case(
        "bad-cell-rejects-its-figure",
        "rows",
        "A bad cell (a daily change of −3, a real downward revision) in one figure column "
        "of a wide row: the row's other figures used to be thrown away with it",
        _negative_change,
        1,
        "daily.csv:4: [input/bad-count] column 'deathIncrease' (#4): a count cannot be negative",
    ),
    Case(
        "number-as-text",
        "rows",
        "`1e308` or `inf` in a text column (its other cells are words) used to be kept as "
        "an unknown figure, while a column of numbers rejected them",
        _number_as_text,
        1,
        "n.csv:3: [input/bad-count] column 'value' (#4): number is too large for a count; "
        "figure not read",
    ),
]


def _deep_suite_yaml(folder: Path) -> list[str]:
    data = aq(folder)
    add_to_suite(data, "rules: " + "[" * 5000 + "]" * 5000 + "\n")
    return ["check", str(data)]


def _lone_surrogate(folder: Path) -> list[str]:
    data = aq(folder)
    text = (data / "ap.json").read_text(encoding="utf-8")
    (data / "ap.json").write_text(text.replace('"at least 67"', '"at least 67 \\ud800"', 1))
    return ["read", str(data), "--fail-on", "warning"]


def _huge_number(folder: Path) -> list[str]:
    data = aq(folder)
    add_to_suite(data, "compare: {window_days: " + "9" * 400 + "}\n")
    return ["check", str(data)]


def _endless_number(folder: Path) -> list[str]:
    data = aq(folder)
    (data / "expectations" / "rules.json").write_text(
        '{"expectations": [{"type": "expect_column_values_to_not_be_null", '
        '"kwargs": {"column": "source", "mostly": ' + "9" * 5000 + "}}]}"
    )
    add_to_suite(data, "rules: rules.json\n")
    return ["check", str(data)]


def _impossible_date(folder: Path) -> list[str]:
    data = aq(folder)
    add_to_suite(data, "dates: {floor: 2017-02-30}\n")
    return ["check", str(data)]


CASES += [
    Case(
        "suite-number-past-a-float",
        "crash",
        "suite.yaml: a number past a float's range (`window_days: 999…9`, 400 digits)",
        _huge_number,
        2,
        "DIR/aq/expectations/suite.yaml: compare.window_days: expected a finite number, "
        "not a huge number",
    ),
    Case(
        "rules-number-5000-digits",
        "crash",
        "A rules file holding a number of 5,000 digits (Python will not read one past 4,300)",
        _endless_number,
        2,
        "DIR/aq/expectations/rules.json: not valid JSON here: a number of more than 4,300 digits",
    ),
    Case(
        "suite-impossible-date",
        "crash",
        "suite.yaml: `dates: {floor: 2017-02-30}` (YAML reads it as a date that does not exist)",
        _impossible_date,
        2,
        "DIR/aq/expectations/suite.yaml: not valid YAML here: day is out of range for month",
    ),
    Case(
        "suite-yaml-nested-deep",
        "crash",
        "suite.yaml nested 5,000 deep (`rules: [[[[…`)",
        _deep_suite_yaml,
        2,
        "DIR/aq/expectations/suite.yaml: not valid YAML here: nested too deeply",
    ),
    Case(
        "json-lone-surrogate",
        "crash",
        "A JSON text with a `\\ud800` escape (half a UTF-16 character), which no text column "
        "can hold",
        _lone_surrogate,
        1,
        "ap.json:2: [input/encoding] a \\u escape that is half a character (a lone UTF-16 "
        "surrogate); read as U+FFFD",
    ),
]


def test_a_bad_cell_rejects_its_figure_and_the_row_keeps_the_others(tmp_path: Path) -> None:
    result = read_figures(_wide_daily(tmp_path, signed=False))
    line4 = result.figures[result.figures["origin_row"] == 4]
    assert line4[["measure", "value"]].values.tolist() == [["deaths", 1091]]
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (4, 4, 0)
    bad = result.findings[result.findings["code"] == "bad-count"]
    assert bad[["origin_row", "column", "severity"]].values.tolist() == [
        [4, "deathIncrease", "error"]
    ]
    assert bad["message"].iloc[0].endswith("figure not read")


def test_a_row_whose_every_figure_is_bad_is_rejected(tmp_path: Path) -> None:
    data = _wide_daily(tmp_path, signed=False)
    text = (data / "daily.csv").read_text().replace("1091,-3", "-1,-3")
    (data / "daily.csv").write_text(text)
    result = read_figures(data)
    assert 4 not in set(result.figures["origin_row"])
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (4, 3, 1)


def test_a_signed_measure_may_be_negative_in_the_read_and_the_schema(tmp_path: Path) -> None:
    data = _wide_daily(tmp_path, signed=True)
    result = cc.check(data)
    line4 = result.figures[result.figures["origin_row"] == 4]
    assert line4[["measure", "value"]].values.tolist() == [["deaths", 1091], ["deaths.new", -3]]
    assert set(result.findings["kind"]) <= {"rule"}  # no input or schema finding
    assert "schema" not in set(result.findings["kind"])
    assert set(result.findings["origin_row"].dropna()) == {4}  # deaths dropped: a warning


def test_an_increment_is_signed_without_saying_so() -> None:
    # the COVID Tracking Project's deathIncrease is an increment of deaths in the series
    # suite: Colorado's reclassification on 16 May 2020 is -213 (line 14), read as such
    result = cc.check(SERIES)
    line = result.figures[
        (result.figures["origin_file"].str.endswith("covid-tracking.csv"))
        & (result.figures["origin_row"] == 14)
    ]
    assert line.set_index("measure")["value"].to_dict() == {"deaths": 878, "deaths.new": -213}
    at_14 = result.findings[
        (result.findings["origin_row"] == 14)
        & (result.findings["origin_file"].str.endswith("covid-tracking.csv"))
    ]
    assert at_14["code"].tolist() == ["cumulative-no-drop"]
    assert not any(r.startswith("deaths.new") for r in result.findings["rule"].dropna())
    # each report's change is a new figure, not the same one revised: no revisions rows
    revised = set(result.comparison.revisions["measure"])
    assert revised == {"deaths"}


@pytest.mark.parametrize("text", ["1e308", "inf", "-inf", "2.5", "NaN", "1e3", "-4"])
def test_a_number_gets_one_verdict_in_a_text_or_a_number_column(text: str) -> None:
    as_number = read_counts(pd.Series([float(text), 1.0]), {}, ())
    as_text = read_counts(pd.Series([text, "about 5"], dtype="str"), {}, ())
    columns = ["value", "qualifier", "invalid", "blank"]

    def first(out: pd.DataFrame) -> list[object]:
        return [None if pd.isna(v) else v for v in out.loc[0, columns]]

    assert first(as_text) == first(as_number)
    assert pd.isna(as_text["problem"].iloc[0]) == pd.isna(as_number["problem"].iloc[0])


@pytest.mark.parametrize("blank", ["", "NaN"])
def test_a_blank_or_nan_value_is_unknown_in_a_number_or_a_text_column(
    tmp_path: Path, blank: str
) -> None:
    head = "incident,source,measure,value,reported_on\n"
    numbers = head + f"a,S,killed,1,2020-01-01\nb,S,killed,{blank},2020-01-02\n"
    words = numbers + "c,S,killed,about 5,2020-01-03\n"  # a text column
    got = []
    for name, text in (("numbers.csv", numbers), ("words.csv", words)):
        (tmp_path / name).write_text(text)
        result = read_figures(tmp_path / name)
        row = result.figures.set_index("incident").loc["b"]
        got.append((row["qualifier"], pd.isna(row["value"]), result.rows_rejected))
    assert got == [("unknown", True, 0), ("unknown", True, 0)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)


@pytest.mark.parametrize(
    "name", ["al-qaryatayn", "real", "linking", "matching", "series", "hostile"]
)
def test_every_row_of_every_fixture_is_accounted_for(name: str) -> None:
    assert_rows_accounted(read_figures(ROOT / "fixtures" / name))


@pytest.mark.fuzz
@given(
    st.lists(
        st.text(alphabet=st.sampled_from(["a", "7", " ", "\ud800", "\udfff", "\U0001f600"])),
        min_size=1,
        max_size=6,
    )
)
def test_json_texts_with_lone_surrogates_are_read_and_counted(texts: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.json"
        records = [
            {"incident": f"i{k}", "source": t, "measure": "killed", "figure_text": t}
            for k, t in enumerate(texts)
        ]
        path.write_text(json.dumps(records, indent=1), encoding="ascii")  # \ud800 escapes
        result = read_figures(path)
        assert_rows_accounted(result)
        assert result.rows_read == len(texts)
        decoded = [json.loads(json.dumps(t)) for t in texts]  # a high+low pair is one character
        lone = sum(any(0xD800 <= ord(c) <= 0xDFFF for c in t) for t in decoded)
        assert (result.findings["code"] == "encoding").sum() == lone

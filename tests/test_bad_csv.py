"""Bad CSV and TSV: each case of the table (docs/bad-inputs.md), and the tests that pin the
careful path behind them: line ends as an editor shows them, a stray quote costing its one
line, a BOM that is the whole file, a cell past the limit."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from badinputs import Case, aq, check

from toolkit.errors import InputError
from toolkit.reading import read_figures
from toolkit.reading.careful import MAX_VALUE_LINES
from toolkit.reading.delimited import DelimitedTable, read_delimited
from toolkit.suite.settings import Limits

HEADER = "incident,source,measure,value,reported_on\n"


def _rows(n: int = 100) -> list[str]:
    """``n`` good rows of a figures table, row i on line i + 2."""
    return [f"inc-{i},S1,killed,{i},2017-10-21\n" for i in range(n)]


def _with(rows: list[str], **edits: str) -> str:
    """The file: the header, then ``rows`` with row ``N`` replaced by ``edits['rN']``."""
    changed = list(rows)
    for key, text in edits.items():
        changed[int(key[1:])] = text
    return HEADER + "".join(changed)


def _export(text: str | bytes, name: str = "extra.csv"):
    """A builder: the Al-Qaryatayn fixtures plus one export, read with ``read``."""

    def build(folder: Path) -> list[str]:
        data = aq(folder)
        raw = text if isinstance(text, bytes) else text.encode("utf-8")
        (data / name).write_bytes(raw)
        return ["read", str(data)]

    return build


# A value running from line 12 to line 52: opened in row 10, closed in row 50.
_LATE = _with(
    _rows(),
    r10='inc-10,"S1 (said,killed,10,2017-10-21\n',
    r50='inc-50,S1",killed,50,2017-10-21\n',
)
_BIG_CELL = (
    HEADER.replace("\n", ",note\n") + "inc-1,S1,killed,1,2017-10-21," + "x" * ((1 << 20) + 1) + "\n"
)

CASES = [
    Case(
        "csv-bare-cr-lines",
        "crash",
        "A CSV whose lines end with a bare CR (old Mac files)",
        _export(_with(_rows()).replace("\n", "\r")),
        0,
        "extra.csv          csv    'figures table': 100 rows read, 100 accepted, 0 rejected",
    ),
    Case(
        "csv-one-bare-cr",
        "crash",
        "A CSV with one bare CR inside an unquoted value (it ends the line there)",
        _export(_with(_rows(), r30="inc-30,S\r1,killed,30,2017-10-21\n")),
        1,
        "extra.csv:33: [input/ragged-row] row has 4 fields, the header has 5; row not read",
    ),
    Case(
        "csv-unterminated-quote",
        "rows",
        "A CSV with a quote that is never closed (it used to swallow the rest of the file)",
        _export(_with(_rows(), r10='inc-10,"S1,killed,10,2017-10-21\n')),
        1,
        "extra.csv:12: [input/unbalanced-quote] a quote opened at line 12 column 8 is never "
        "closed (it runs to the end of the file); line not read",
    ),
    Case(
        "csv-quote-closed-far-later",
        "rows",
        "A CSV with a quote closed 40 lines later (one 41-line value of the right shape)",
        _export(_LATE),
        0,
        "extra.csv:12: [input/multiline-value] a quoted value runs from line 12 to line 52 "
        "(41 lines) and was read as one value",
    ),
    Case(
        "csv-bom-only",
        "smaller",
        "A CSV that is only a byte-order mark (and blank lines)",
        _export(b"\xef\xbb\xbf\r\n  \n"),
        2,
        "extra.csv:1: file is empty: expected a header line and rows",
    ),
    Case(
        "csv-cell-past-limit",
        "trust",
        "A CSV with a cell of more than `limits: cell_bytes` (1 MiB unless the suite says)",
        _export(_BIG_CELL),
        2,
        "extra.csv:2:6: a cell of column 'note' holds 1,048,577 bytes of text: past the limit "
        "of 1 MiB (cell_bytes). If the file is trusted, raise the limit in suite.yaml: "
        "'limits: {cell_bytes: 2 MiB}'",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)


# The mechanism, finer.


def _read(tmp_path: Path, text: str | bytes, name: str = "t.csv"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return read_figures(path)


def _flat(findings) -> list[list[object]]:
    return findings[["origin_row", "code", "column"]].values.tolist()


def _table(tmp_path: Path, text: str | bytes, **kw) -> DelimitedTable:
    path = tmp_path / "t.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    raw = read_delimited(path, path.read_bytes(), ",", None, set(), **kw)
    assert isinstance(raw, DelimitedTable)
    return raw


def test_rows_after_an_unterminated_quote_are_read(tmp_path: Path) -> None:
    res = _read(tmp_path, _with(_rows(), r10='inc-10,"S1,killed,10,2017-10-21\n'))
    [report] = res.files
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (100, 99, 1)
    assert _flat(res.findings) == [[12, "unbalanced-quote", "2"]]
    assert sorted(res.figures["incident"]) == sorted(f"inc-{i}" for i in range(100) if i != 10)


def test_a_stray_quote_closed_in_another_field_costs_its_line_only(tmp_path: Path) -> None:
    # the quote opened in row 10 closes in row 13's second field: a 4-line row of 3 fields
    text = _with(_rows(), r10='inc-10,"S1,killed,10,2017-10-21\n', r13='inc-13,S1",killed\n')
    res = _read(tmp_path, text)
    assert (res.rows_read, res.rows_accepted, res.rows_rejected) == (100, 98, 2)
    assert _flat(res.findings) == [[12, "unbalanced-quote", "2"], [15, "ragged-row", "4"]]
    message = res.findings["message"].iloc[0]
    assert "read on to line 15, it makes a row of 3 fields, the header has 5" in message
    assert len(res.figures) == 98


def test_a_quote_closed_inside_a_value_is_stray(tmp_path: Path) -> None:
    # closed by the quote of 'said "no"' three lines on, the value would go on unquoted
    text = _with(
        _rows(),
        r10='inc-10,"S1,killed,10,2017-10-21\n',
        r13='inc-13,said "no",killed,13,2017-10-21\n',
    )
    raw = _table(tmp_path, text)
    [stray] = raw.problems
    assert (stray["code"], stray["origin_row"]) == ("unbalanced-quote", 12)
    assert (
        "the quote that closes it, on line 15, is followed by more of the value"
        in (stray["message"])
    )
    assert raw.rows_read == 100
    assert raw.frame["source"].iloc[12] == 'said "no"'


def test_each_of_many_stray_quotes_costs_one_line(tmp_path: Path) -> None:
    rows = _rows(60)
    for i in range(0, 60, 7):  # every seventh row opens a quote it never closes
        rows[i] = rows[i].replace(",S1,", ',"S1,')
    raw = _table(tmp_path, HEADER + "".join(rows))
    stray = [p["origin_row"] for p in raw.problems]
    assert stray == [i + 2 for i in range(0, 60, 7)]
    assert raw.rows_read == 60
    assert raw.lines.tolist() == [i + 2 for i in range(60) if i % 7]


def test_a_quoted_value_over_a_few_lines_is_read_without_a_word(tmp_path: Path) -> None:
    value = "\n".join(f"line {k}" for k in range(MAX_VALUE_LINES))  # exactly the bound
    raw = _table(tmp_path, _with(_rows(5), r2=f'inc-2,"{value}",killed,2,2017-10-21\n'))
    assert raw.problems == []
    assert raw.frame["source"].iloc[2] == value
    assert raw.lines.tolist() == [2, 3, 4, 4 + MAX_VALUE_LINES, 5 + MAX_VALUE_LINES]
    assert raw.ends.tolist() == [
        2,
        3,
        3 + MAX_VALUE_LINES,
        4 + MAX_VALUE_LINES,
        5 + MAX_VALUE_LINES,
    ]


def test_one_line_more_is_named_with_its_first_and_last_line(tmp_path: Path) -> None:
    value = "\n".join(f"line {k}" for k in range(MAX_VALUE_LINES + 1))
    raw = _table(tmp_path, _with(_rows(5), r2=f'inc-2,"{value}",killed,2,2017-10-21\n'))
    [warning] = raw.problems
    assert (warning["code"], warning["severity"], warning["origin_row"]) == (
        "multiline-value",
        "warning",
        4,
    )
    assert f"from line 4 to line {4 + MAX_VALUE_LINES}" in warning["message"]
    assert raw.rows_read == 5


def test_line_ends_are_counted_as_an_editor_shows_them(tmp_path: Path) -> None:
    # LF, CRLF and bare CR mixed: every path numbers the same lines
    text = (
        "incident,source,measure,value,reported_on\r\n"
        "a,S,killed,1,2017-10-21\r"
        "b,S,killed,2,2017-10-21\n\r"
        "c,S,killed,3,2017-10-21\r\n"
    )
    raw = _table(tmp_path, text)
    assert raw.lines.tolist() == [2, 3, 5]  # line 4 is the blank between \n and \r
    assert raw.frame["incident"].tolist() == ["a", "b", "c"]
    fast = _table(tmp_path, text.replace("\n\r", "\r"))  # no blank line: pyarrow reads it
    assert fast.lines.tolist() == [2, 3, 4]
    assert fast.ends is fast.lines


def test_a_bare_cr_in_a_quoted_value_is_one_value_over_two_lines(tmp_path: Path) -> None:
    raw = _table(tmp_path, _with(_rows(3), r1='inc-1,"S\r1",killed,1,2017-10-21\n'))
    assert raw.frame["source"].tolist() == ["S1", "S\r1", "S1"]
    assert raw.lines.tolist() == [2, 3, 5]
    assert raw.ends.tolist() == [2, 4, 5]


def test_a_bare_cr_file_keeps_its_hashtag_row_skipped(tmp_path: Path) -> None:
    # the header sniff reads bare CRs as line ends too, so it finds the HXL row
    suite = tmp_path / "suite"
    (suite / "profiles").mkdir(parents=True)
    (suite / "suite.yaml").write_text("name: t\nextends: default\nprofiles: profiles\n")
    (suite / "profiles" / "p.yaml").write_text(
        "name: P\nfiles: ['*.csv']\nskip_hashtag_row: true\n"
        "columns: {incident: id, reported_on: date}\nconstants: {source: P}\n"
        "figures: [{measure: killed, value: dead}]\n"
    )
    path = tmp_path / "mac.csv"
    path.write_bytes(b"id,date,dead\r#id,#date,#affected+killed\rx,2017-10-21,4\ry,2017-10-22,5\r")
    res = read_figures(path, suite)
    assert res.figures["origin_row"].tolist() == [3, 4]
    assert res.figures["value"].tolist() == [4, 5]


def test_an_utf16_file_of_a_bom_and_blank_lines_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(" \r\n\t\n".encode("utf-16"))
    with pytest.raises(InputError, match="file is empty"):
        read_figures(path)


@pytest.mark.parametrize("blank_line", [False, True], ids=["fast", "careful"])
def test_a_cell_past_the_limit_names_its_line_and_column(tmp_path: Path, blank_line) -> None:
    rows = _rows(30)
    rows[20] = "inc-20,S1,killed,20," + "2" * 40 + "\n"  # a long text where dates are
    text = HEADER + "".join(rows) + ("\n" if blank_line else "")
    with pytest.raises(InputError) as caught:
        _table(tmp_path, text, limits=Limits(cell_bytes=32))
    assert (caught.value.line, caught.value.column) == (22, 5)
    assert "a cell of column 'reported_on' holds 40 bytes of text: past the limit of 32" in str(
        caught.value
    )
    assert "'limits: {cell_bytes: 1 MiB}'" in str(caught.value)
    assert _table(tmp_path, text, limits=Limits(cell_bytes=40)).rows_read == 30


def test_the_limit_counts_bytes_not_characters(tmp_path: Path) -> None:
    text = _with(_rows(3), r1="inc-1,دير الزور,killed,1,2017-10-21\n")  # 9 characters, 17 bytes
    with pytest.raises(InputError, match="holds 17 bytes"):
        _table(tmp_path, text, limits=Limits(cell_bytes=14))


def test_the_fast_path_keeps_one_array_for_first_and_last_lines(tmp_path: Path) -> None:
    raw = _table(tmp_path, _with(_rows(5)))
    assert raw.ends is raw.lines
    assert np.array_equal(raw.lines, np.arange(2, 7))


def test_a_cp1252_file_with_bare_crs_names_the_line_of_its_first_odd_byte(tmp_path: Path) -> None:
    text = _with(_rows(6), r3="inc-3,Homs café,killed,3,2017-10-21\n").replace("\n", "\r")
    raw = _table(tmp_path, text.encode("cp1252"))
    [encoding] = raw.problems
    assert (encoding["code"], encoding["origin_row"], encoding["column"]) == ("encoding", 5, "15")
    assert raw.frame["source"].iloc[3] == "Homs café"


def test_a_quote_read_on_like_a_dropped_one_is_cut_where_that_one_ended(tmp_path: Path) -> None:
    # each line closes the quote the line before left open and opens another
    text = "a,b,c,d\n" + 'a",,"b\n' * 3 + 'x"\n' + "p,q,r,s\n"
    raw = _table(tmp_path, text)
    assert [(p["origin_row"], p["code"]) for p in raw.problems] == [
        (2, "unbalanced-quote"),
        (3, "unbalanced-quote"),
        (4, "unbalanced-quote"),
        (5, "ragged-row"),
    ]
    assert "(like the quote of line 2, it runs on to line 5)" in raw.problems[1]["message"]
    assert raw.lines.tolist() == [6]


@pytest.mark.parametrize("end", ["", 'x"\n'], ids=["to-the-end", "closed"])
def test_quotes_that_keep_reopening_cost_linear_time(tmp_path: Path, end: str) -> None:
    # Read again from each next line in full, these 40,000 lines would take minutes
    # (each read running to the last line); cut as above, well under a second.
    text = "a,b,c,d\n" + 'a",,"b\n' * 40_000 + end
    started = time.perf_counter()
    raw = _table(tmp_path, text)
    assert time.perf_counter() - started < 10
    assert raw.rows_read == 40_000 + bool(end)
    assert len(raw.frame) == 0

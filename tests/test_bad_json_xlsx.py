"""Bad JSON, JSON Lines, XLSX and gzip, and exports past the suite's size limits: each case
of the table (docs/bad-inputs.md), and the tests that pin the mechanism behind them."""

from __future__ import annotations

import gzip
import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from badinputs import AQ, Case, add_to_suite, aq, check

from toolkit.columnar.jsonscan import MAX_DEPTH
from toolkit.errors import InputError
from toolkit.reading import read_figures
from toolkit.reading.formats import read_raw
from toolkit.suite.settings import Limits

RECORDS = json.loads((AQ / "ap.json").read_text(encoding="utf-8"))


def _lines(records: list[dict] = RECORDS) -> list[str]:
    """The AP records as JSON Lines, record i on line i + 1."""
    return [json.dumps(r) for r in records]


def _ap(text: str | bytes, limits: str = ""):
    """A builder: the Al-Qaryatayn fixtures with ``ap.json`` replaced, read with ``read``."""

    def build(folder: Path) -> list[str]:
        data = aq(folder)
        raw = text if isinstance(text, bytes) else text.encode("utf-8")
        (data / "ap.json").write_bytes(raw)
        if limits:
            add_to_suite(data, f"limits: {{{limits}}}\n")
        return ["read", str(data)]

    return build


def _broken_line(lines: list[str], no: int) -> str:
    """JSON Lines with line ``no`` cut short inside its last text."""
    cut = list(lines)
    cut[no - 1] = cut[no - 1][:-5]
    return "\n".join(cut) + "\n"


# Workbooks.


def _masdar(folder: Path) -> tuple[Path, openpyxl.Workbook]:
    """The fixtures, and their Al-Masdar workbook opened for editing (columns: Date,
    Outlet, Event, Civilians killed, Troops killed, Notes, Link)."""
    data = aq(folder)
    return data, openpyxl.load_workbook(data / "al-masdar.xlsx")


def rewrite_part(path: Path, part: str, edit) -> None:
    """Rewrite one part of a workbook's zip with ``edit(bytes) -> bytes``."""
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, edit(data) if item.filename == part else data)
    path.write_bytes(out.getvalue())


def to_shared_strings(path: Path) -> None:
    """Rewrite a workbook openpyxl wrote (texts inline in the sheet) as Excel writes one:
    its texts in xl/sharedStrings.xml, each cell naming its string by number."""
    strings: list[bytes] = []

    def share(m: re.Match) -> bytes:
        strings.append(m.group(2))
        return m.group(1) + b' t="s"><v>' + str(len(strings) - 1).encode() + b"</v></c>"

    rewrite_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda d: re.sub(
            rb'(<c r="[A-Z]+\d+"(?: s="\d+")?) t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>',
            share,
            d,
        ),
    )
    rewrite_part(
        path,
        "[Content_Types].xml",
        lambda d: d.replace(
            b"</Types>",
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        ),
    )
    sst = b"".join(b"<si><t>" + s + b"</t></si>" for s in strings)
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr(
            "xl/sharedStrings.xml",
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + sst
            + b"</sst>",
        )
    path.write_bytes(out.getvalue())


def _formula_without_value(folder: Path) -> list[str]:
    data, book = _masdar(folder)
    book.active["E2"] = "=E3*2"  # openpyxl saves formulas without computing them
    book.save(data / "al-masdar.xlsx")
    return ["read", str(data)]


def _stale_dimension(folder: Path) -> list[str]:
    data, book = _masdar(folder)
    for i in range(3):
        book.active.append([*list(next(book.active.iter_rows(min_row=3, values_only=True)))])
        book.active.cell(4 + i, 3, f"al-qaryatayn-2017-extra-{i}")
    book.save(data / "al-masdar.xlsx")
    rewrite_part(
        data / "al-masdar.xlsx",
        "xl/worksheets/sheet1.xml",
        lambda d: re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:B2"/>', d),
    )
    return ["read", str(data)]


def _long_shared_string(folder: Path) -> list[str]:
    data, book = _masdar(folder)
    book.active["G3"] = "x" * 3000
    book.save(data / "al-masdar.xlsx")
    to_shared_strings(data / "al-masdar.xlsx")
    add_to_suite(data, "limits: {cell_bytes: 2 KiB}\n")
    return ["read", str(data)]


def _gzip_bomb(folder: Path) -> list[str]:
    data = aq(folder)
    sohr = data / "sohr.csv"
    with gzip.open(data / "sohr.csv.gz", "wb") as out:
        out.write(sohr.read_bytes() + b"\n" * (6 << 20))  # 6 MiB of blank lines: 8 KiB packed
    sohr.unlink()
    add_to_suite(data, "limits: {inflated_bytes: 4 MiB}\n")
    return ["read", str(data)]


CASES = [
    Case(
        "json-nested-deep",
        "crash",
        "A JSON file nested 10,000 deep (Python's decoder ran out of stack)",
        _ap("[\n" + '{"event": ' + "[" * 10_000 + "]" * 10_000 + "}\n]\n"),
        2,
        "DIR/aq/ap.json:2:109: JSON nested more than 100 deep: records are flat (a list of "
        "objects)",
    ),
    Case(
        "json-extra-document",
        "rows",
        "A JSON file with a second document (or any text) after its list of records",
        _ap((AQ / "ap.json").read_text(encoding="utf-8") + '[{"event": "more"}]\n'),
        2,
        "DIR/aq/ap.json:15:1: extra data after the JSON document: a file holds one list of "
        "records, or one record per line (JSON Lines)",
    ),
    Case(
        "json-lines-bad-line",
        "rows",
        "JSON Lines with one line that is not valid JSON (the error pointed at line 1, and "
        "the whole file was lost)",
        _ap(_broken_line(_lines(), 4)),
        1,
        "aq/ap.json:4: [input/not-a-record] line 4, column 195: not valid JSON "
        "(Unterminated string); row not read",
    ),
    Case(
        "xlsx-formula-without-value",
        "rows",
        "An xlsx formula cell saved without its computed value (it read as a blank)",
        _formula_without_value,
        0,
        "aq/al-masdar.xlsx:2: [input/formula-without-value] cell E2 (column 'Troops "
        "killed') holds a formula (=E3*2) with no saved value: the workbook was saved without "
        "computing it. Open and save it in Excel or LibreOffice to store the values; its "
        "figure is unknown",
    ),
    Case(
        "xlsx-stale-dimension",
        "rows",
        "An xlsx sheet whose `<dimension>` says it is smaller than it is (rows were cut off)",
        _stale_dimension,
        0,
        "'Al-Masdar News and UPI': 5 rows read, 5 accepted, 0 rejected, 5 figures",
    ),
    Case(
        "xlsx-cell-past-limit",
        "trust",
        "An xlsx whose one text is past `limits: {cell_bytes: …}` (a 200 KB file could hold "
        "a 200 MB cell, read whole)",
        _long_shared_string,
        2,
        "DIR/aq/al-masdar.xlsx: cell G3 of xl/worksheets/sheet1.xml holds at least 3,000 bytes "
        "of text: past the limit of 2 KiB (cell_bytes). If the file is trusted, raise the "
        "limit in suite.yaml: 'limits: {cell_bytes: 1 MiB}'",
    ),
    Case(
        "gzip-bomb",
        "trust",
        "A .gz export that inflates past `limits: {inflated_bytes: …}` (a gzip bomb)",
        _gzip_bomb,
        2,
        "DIR/aq/sohr.csv.gz: the .gz file inflates to more than 4 MiB: past the limit of 4 "
        "MiB (inflated_bytes). If the file is trusted, raise the limit in suite.yaml: "
        "'limits: {inflated_bytes: …}'",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)


# JSON and JSON Lines: the mechanism.


def _read(folder: Path, name: str, content: str | bytes, limits: str = ""):
    """Read one export of the fixtures' folder (``name`` replaced by ``content``)."""
    data = aq(folder)
    raw = content if isinstance(content, bytes) else content.encode("utf-8")
    (data / name).write_bytes(raw)
    if limits:
        add_to_suite(data, f"limits: {{{limits}}}\n")
    return read_figures(data / name, suite=data / "expectations")


NO_LIMITS = Limits()


def _raw(tmp_path: Path, text: str, limits: Limits = NO_LIMITS):
    path = tmp_path / "x.json"
    path.write_text(text, encoding="utf-8")
    return read_raw(path, None, columns_as_text=set(), limits=limits)


def test_rows_after_a_bad_json_lines_line_are_read(tmp_path: Path) -> None:
    lines = _lines()
    res = _read(tmp_path, "ap.json", _broken_line(lines, 2) + "\n\n")
    (ap,) = res.files
    assert (ap.rows_read, ap.rows_accepted, ap.rows_rejected) == (6, 5, 1)
    assert sorted(res.figures["origin_row"].tolist()) == [1, 3, 4, 5, 6]
    bad = res.findings[res.findings["code"] == "not-a-record"]
    assert bad["origin_row"].tolist() == [2]


def test_a_bad_first_json_lines_line_is_no_json_lines(tmp_path: Path) -> None:
    lines = _lines()
    column = lines[0][:-5].rfind('"') + 1  # where the text left open starts
    says = rf"ap.json:1:{column}: not valid JSON \(read as JSON Lines, one record per line\)"
    with pytest.raises(InputError, match=says + ": Unterminated string$"):
        _read(tmp_path, "ap.json", _broken_line(lines, 1))


def test_each_bad_json_lines_line_is_one_rejected_row(tmp_path: Path) -> None:
    lines = [*_lines(), "{nope", "[1, 2", '{"event": ' + "[" * 500 + "]" * 500 + "}", "42"]
    res = _read(tmp_path, "ap.json", "\n".join(lines))
    (ap,) = res.files
    assert (ap.rows_read, ap.rows_accepted, ap.rows_rejected) == (10, 6, 4)
    bad = res.findings[res.findings["code"] == "not-a-record"]
    assert bad["origin_row"].tolist() == [7, 8, 9, 10]
    assert f"line 9, column {10 + MAX_DEPTH}: not valid JSON (nested more than" in " ".join(
        bad["message"]
    )


def test_records_under_a_key_keep_their_lines(tmp_path: Path) -> None:
    data = aq(tmp_path)
    profile = data / "expectations" / "profiles" / "ap.yaml"
    profile.write_text(profile.read_text() + "records: data.items\n")
    doc = {"meta": {"items": []}, "data": {"skip": [1, {"a": "]"}], "items": RECORDS}}
    (data / "ap.json").write_text(json.dumps(doc, indent=1))
    res = read_figures(data / "ap.json", suite=data / "expectations")
    text = (data / "ap.json").read_text().splitlines()
    starts = [i for i, line in enumerate(text, start=1) if line.strip() == "{"][2:]
    assert res.figures["origin_row"].tolist() == starts
    assert len(starts) == len(RECORDS)


def test_records_under_a_key_that_is_not_there(tmp_path: Path) -> None:
    data = aq(tmp_path)
    profile = data / "expectations" / "profiles" / "ap.yaml"
    profile.write_text(profile.read_text() + "records: data.items\n")
    (data / "ap.json").write_text(json.dumps({"data": {"item": RECORDS}}))
    with pytest.raises(InputError, match=r"no list of records at 'data.items'"):
        read_figures(data / "ap.json", suite=data / "expectations")
    (data / "ap.json").write_text(json.dumps({"data": {"items": RECORDS}}) + " {}")
    with pytest.raises(InputError, match=r"ap.json:1:\d+: extra data after the JSON document"):
        read_figures(data / "ap.json", suite=data / "expectations")


def test_nesting_is_counted_outside_texts_only(tmp_path: Path) -> None:
    """Brackets in a text, after escaped quotes and backslashes, are not nesting."""
    deep = "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2)  # in a record in a list: 100 deep
    texts = ['"' + "[" * 500 + '"', '"\\"[[[[\\"' + "[" * 500 + '"', '"\\\\"']
    records = [f'{{"a": {t}, "b": {deep}}}' for t in texts]
    raw = _raw(tmp_path, "[" + ",\n".join(records) + "]")
    assert raw.rows_read == 3
    assert raw.frame["a"].tolist() == ["[" * 500, '"[[[["' + "[" * 500, "\\"]
    with pytest.raises(InputError, match=r"x.json:4:105: JSON nested more than 100 deep"):
        _raw(tmp_path, "[" + ",\n".join(records) + ',\n{"c": [' + deep + "]}]")


def test_a_text_past_the_limit_names_its_line_and_column(tmp_path: Path) -> None:
    limits = Limits(cell_bytes=100)
    assert _raw(tmp_path, '[{"a": "' + "é" * 50 + '"}]', limits).rows_read == 1
    with pytest.raises(InputError, match=r"x.json:2:7: a text of 101 bytes in one value"):
        _raw(tmp_path, '[{"a": 1},\n{"b": "' + "x" * 101 + '"}]', limits)
    with pytest.raises(InputError, match=r"x.json:1:7: a text of 102 bytes"):
        _raw(tmp_path, '{"a": "' + "é" * 51 + '"}\n', limits)  # JSON Lines too; bytes


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("null", "x.json:1: expected JSON records (objects): a list of them, or one per line"),
        ("42\n", "this holds a number"),
        ('"text"', "this holds a text"),
        ("[1, 2]", "x.json:1: expected JSON records (objects)"),
        ('{"a": 1} {"a": 2}', "x.json:1:10: not valid JSON (read as JSON Lines"),
        ('{\n "data": [{"a": 1}]\n}', "the file is one JSON object, not a list of records: "),
        ("[" + "1" * 5000 + "]", "x.json:1:2: not valid JSON: Exceeds the limit"),
        ('[{"a": 1}, {"a": 2}', "x.json:1:20: not valid JSON: Expecting ',' delimiter or ']'"),
        ('[{"a": 1} {"a": 2}]', "x.json:1:11: not valid JSON: Expecting ',' delimiter"),
        ('[{"a": 1},]', "x.json:1:11: not valid JSON: Expecting value"),
        (" \n\t", "x.json:1: file is empty"),
    ],
)
def test_json_that_is_no_records_says_what_it_is(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(InputError, match=re.escape(says)):
        _raw(tmp_path, text)


def test_an_empty_list_is_a_file_with_no_rows(tmp_path: Path) -> None:
    # alone, it is a run that reads nothing: an error naming it
    with pytest.raises(InputError, match=r"no rows read from .*ap\.json \(read: no rows\)"):
        _read(tmp_path, "ap.json", "[]\n")


def test_a_json_lines_line_with_a_number_too_long_is_rejected(tmp_path: Path) -> None:
    raw = _raw(tmp_path, '{"a": 1}\n{"a": ' + "1" * 5000 + "}\n")
    assert raw.rows_read == 2
    assert len(raw.frame) == 1
    assert "line 2, column 1: not valid JSON (Exceeds the limit" in raw.problems[0]["message"]


# XLSX: the mechanism.


def _read_masdar(data: Path):
    res = read_figures(data / "al-masdar.xlsx", suite=data / "expectations")
    return res, res.files[0]


def test_a_formula_with_its_value_saved_reads_as_the_value(tmp_path: Path) -> None:
    data, book = _masdar(tmp_path)
    book.active["E2"] = "=E3*2"
    book.active["F2"] = '=IF(E3>0,"","x")'
    book.save(data / "al-masdar.xlsx")

    def computed(sheet: bytes) -> bytes:  # as Excel saves it: each formula with its value
        sheet = sheet.replace(b"<f>E3*2</f><v />", b"<f>E3*2</f><v>306</v>")
        return re.sub(
            rb'<c r="F2"><f>(.*?)</f><v />', rb'<c r="F2" t="str"><f>\1</f><v></v>', sheet
        )

    rewrite_part(data / "al-masdar.xlsx", "xl/worksheets/sheet1.xml", computed)
    res, _ = _read_masdar(data)
    assert res.findings.empty
    killed = res.figures[res.figures["measure"] == "killed.combatants"]
    assert sorted(killed["value"].tolist()) == [153, 306]


def test_a_formula_without_value_names_each_cell(tmp_path: Path) -> None:
    data, book = _masdar(tmp_path)
    book.active["D3"] = "=D2"  # a figure: unknown
    book.active["C2"] = '="al-qaryatayn-"&"2017"'  # the incident: blank, so the row is rejected
    book.active.append([None, None, None, "=1+1"])  # a row of nothing but a formula: read
    book.save(data / "al-masdar.xlsx")
    res, masdar = _read_masdar(data)
    assert (masdar.rows_read, masdar.rows_accepted, masdar.rows_rejected) == (3, 1, 2)
    found = res.findings.set_index(["origin_row", "code"])["message"]
    assert found[(2, "formula-without-value")].startswith(
        'cell C2 (column \'Event\') holds a formula (="al-qaryatayn-"&"2017") with no saved value'
    )
    assert found[(2, "formula-without-value")].endswith("; read as blank")
    assert (2, "missing-incident") in found.index
    assert found[(3, "formula-without-value")].endswith("its figure is unknown")
    unknown = res.figures[
        (res.figures["origin_row"] == 3) & (res.figures["measure"] == "killed.civilians")
    ]
    assert unknown["qualifier"].tolist() == ["unknown"]
    assert (4, "formula-without-value") in found.index


def test_a_text_past_the_limit_in_the_sheet_names_its_cell(tmp_path: Path) -> None:
    data, book = _masdar(tmp_path)
    book.active["G3"] = "x" * 3000  # openpyxl writes texts in the sheet (inline)
    book.save(data / "al-masdar.xlsx")
    add_to_suite(data, "limits: {cell_bytes: 2 KiB}\n")
    with pytest.raises(InputError, match=r"al-masdar.xlsx:3:7: cell G3 holds 3,000 bytes of text"):
        _read_masdar(data)


def _big_masdar(folder: Path, limits: str) -> Path:
    """The fixtures with 2000 rows more in the Al-Masdar workbook, and ``limits``."""
    data, book = _masdar(folder)
    for i in range(2000):
        book.active.append([None, "UPI", f"incident-{i}", i])
    book.save(data / "al-masdar.xlsx")
    add_to_suite(data, f"limits: {{{limits}}}\n")
    return data


def test_the_limits_hold_before_the_workbook_is_opened(tmp_path: Path) -> None:
    sizes = zipfile.ZipFile(_big_masdar(tmp_path / "sizes", "cell_bytes: 1 MiB") / "al-masdar.xlsx")
    sheet = sizes.getinfo("xl/worksheets/sheet1.xml").file_size
    total = sum(e.file_size for e in sizes.infolist())
    data = _big_masdar(tmp_path / "sheet", f"sheet_bytes: {sheet - 1}")
    with pytest.raises(InputError, match=r"xl/worksheets/sheet1.xml inflates to .*\(sheet_bytes\)"):
        _read_masdar(data)
    data = _big_masdar(tmp_path / "total", f"inflated_bytes: {total - 1}")
    with pytest.raises(InputError, match=r"the workbook inflates to .*\(inflated_bytes\)"):
        _read_masdar(data)
    data = _big_masdar(tmp_path / "fits", f"inflated_bytes: {total}, sheet_bytes: {sheet}")
    assert _read_masdar(data)[1].rows_read == 2002


@pytest.mark.parametrize(
    ("build", "says"),
    [
        (lambda p: p.write_text("Date,Outlet\n"), "not a readable .xlsx workbook: it is not a zip"),
        (lambda p: openpyxl.Workbook().save(p), "al-masdar.xlsx:1: sheet is empty"),
        (
            lambda p: _sheet_of(p, [[None], [None, "UPI"]]),
            "al-masdar.xlsx:1: the header row (row 1) is blank: expected column names",
        ),
        (
            lambda p: rewrite_part(p, "xl/worksheets/sheet1.xml", lambda d: d[: len(d) // 2]),
            "not a readable .xlsx workbook: ",
        ),
        (lambda p: p.write_bytes(p.read_bytes()[:500]), "not a readable .xlsx"),
    ],
    ids=["not-a-zip", "empty-sheet", "blank-header", "cut-sheet-xml", "cut-zip"],
)
def test_a_workbook_that_cannot_be_read_says_why(tmp_path: Path, build, says: str) -> None:
    data = aq(tmp_path)
    build(data / "al-masdar.xlsx")
    with pytest.raises(InputError, match=re.escape(says)):
        _read_masdar(data)


def _sheet_of(path: Path, rows: list[list[object]]) -> None:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)


def test_a_sheet_of_only_a_header_has_no_rows(tmp_path: Path) -> None:
    data = aq(tmp_path)
    _sheet_of(
        data / "al-masdar.xlsx",
        [["Date", "Outlet", "Event", "Civilians killed", "Troops killed", "Link"]],
    )
    res = read_figures(data, suite=data / "expectations")  # beside the other exports
    masdar = next(f for f in res.files if f.path.endswith("al-masdar.xlsx"))
    assert masdar.rows_read == 0
    assert res.findings.loc[res.findings["code"] == "no-rows", "origin_file"].tolist() == [
        masdar.path
    ]


# gzip.


def test_a_gzip_within_the_limit_reads_and_a_truncated_one_says_so(tmp_path: Path) -> None:
    data = aq(tmp_path)
    packed = gzip.compress((data / "sohr.csv").read_bytes())
    (data / "sohr.csv").unlink()
    (data / "sohr.csv.gz").write_bytes(packed)
    add_to_suite(data, "limits: {inflated_bytes: 64 KiB}\n")
    assert read_figures(data / "sohr.csv.gz", suite=data / "expectations").rows_read == 1
    (data / "sohr.csv.gz").write_bytes(packed[:-10])
    with pytest.raises(
        InputError, match=r"not a valid gzip file: it ends too soon \(truncated\?\)"
    ):
        read_figures(data / "sohr.csv.gz", suite=data / "expectations")
    (data / "sohr.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(InputError, match=r"sohr.csv.gz: not a valid gzip file: Not a gzipped file"):
        read_figures(data / "sohr.csv.gz", suite=data / "expectations")


def test_empty_records_are_rows_still(tmp_path: Path) -> None:
    raw = _raw(tmp_path, "[{}, {}, {}]")
    assert (raw.rows_read, len(raw.frame)) == (3, 3)


def test_a_jsonl_file_is_json_lines_whatever_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('[1, 2]\n{"a": 1}\n{"a": 2}\n', encoding="utf-8")
    raw = read_raw(path, None, columns_as_text=set())
    assert (raw.rows_read, raw.lines.tolist()) == (3, [2, 3])
    assert [p["origin_row"] for p in raw.problems] == [1]

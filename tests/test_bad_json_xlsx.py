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


def _rewrite(path: Path, part: str, edit) -> None:
    """Rewrite one part of a workbook's zip with ``edit(bytes) -> bytes``."""
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, edit(data) if item.filename == part else data)
    path.write_bytes(out.getvalue())


def _to_shared_strings(path: Path) -> None:
    """Rewrite a workbook openpyxl wrote (texts inline in the sheet) as Excel writes one:
    its texts in xl/sharedStrings.xml, each cell naming its string by number."""
    strings: list[bytes] = []

    def share(m: re.Match) -> bytes:
        strings.append(m.group(2))
        return m.group(1) + b' t="s"><v>' + str(len(strings) - 1).encode() + b"</v></c>"

    _rewrite(
        path,
        "xl/worksheets/sheet1.xml",
        lambda d: re.sub(
            rb'(<c r="[A-Z]+\d+"(?: s="\d+")?) t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>',
            share,
            d,
        ),
    )
    _rewrite(
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
    _rewrite(
        data / "al-masdar.xlsx",
        "xl/worksheets/sheet1.xml",
        lambda d: re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:B2"/>', d),
    )
    return ["read", str(data)]


def _long_shared_string(folder: Path) -> list[str]:
    data, book = _masdar(folder)
    book.active["G3"] = "x" * 3000
    book.save(data / "al-masdar.xlsx")
    _to_shared_strings(data / "al-masdar.xlsx")
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
        "DIR/aq/al-masdar.xlsx: cell G3 of xl/worksheets/sheet1.xml holds at least 2.93 KiB "
        "of text: past the limit of 2 KiB (cell_bytes). If the file is trusted, raise the "
        "limit in suite.yaml: 'limits: {cell_bytes: …}'",
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

"""XLSX workbooks: one sheet's rows, read with openpyxl's read-only mode.

Before openpyxl opens the workbook, its zip is held to the suite's limits (what it inflates
to, each XML part, each shared string), so a small file cannot fill memory. The sheet's
``<dimension>`` is not trusted (a stale one would cut rows off), and a formula cell whose
workbook was saved without computing it (no saved value) is named in a finding, its figure
unknown, never a silent blank.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.errors import InputError
from toolkit.model.findings import input_finding
from toolkit.reading.raw import RawTable, check_header, is_hashtag_row
from toolkit.reading.sizes import human, past_limit
from toolkit.reading.xlsxparts import SheetScan, column_letter, long_shared_string, scan_sheet
from toolkit.suite.profiles import CANONICAL, Profile
from toolkit.suite.settings import Limits

# What a figure cell whose formula has no saved value reads as: a word the figure parser
# knows as an unknown figure (a blank would be no figure at all in a wide export).
UNKNOWN = "unknown"


def read_xlsx(path: Path, data: bytes, profile: Profile | None, limits: Limits) -> RawTable:
    """The records of one sheet (the profile's ``sheet:``, else the first)."""
    import openpyxl

    archive = _archive(path, data, limits)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise InputError(f"not a readable .xlsx workbook: {exc}", path) from None
    try:
        sheet = _sheet(path, book, profile.sheet if profile else None)
        sheet.reset_dimensions()  # a stale <dimension> would cut rows off: read them all
        scan = _scan(path, archive, str(getattr(sheet, "_worksheet_path", "")), limits)
        rows = _guarded(path, sheet.iter_rows(min_row=1, min_col=1, values_only=True))
        return _rows(
            path, rows, profile, scan.formulas, limits.cell_bytes if scan.own_text else None
        )
    finally:
        book.close()


def _scan(path: Path, archive: zipfile.ZipFile, part: str, limits: Limits) -> SheetScan:
    """The look through the sheet's XML (``xlsxparts``); when the part is not found, no
    formula is known and every cell's text is checked."""
    if part not in archive.namelist():
        return SheetScan(own_text=True)
    try:
        scan = scan_sheet(archive, part)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        raise InputError(f"not a readable .xlsx workbook: {exc}", path) from None
    scan.own_text = scan.own_text and archive.getinfo(part).file_size > limits.cell_bytes
    return scan


def _guarded(path: Path, rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """The rows, a damaged sheet an :class:`InputError` (openpyxl raises many types)."""
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:
            raise InputError(f"not a readable .xlsx workbook: {exc}", path) from None
        yield row


def _archive(path: Path, data: bytes, limits: Limits) -> zipfile.ZipFile:
    """The workbook's zip, its sizes checked against the limits."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        why = "it is not a zip archive" if isinstance(exc, zipfile.BadZipFile) else str(exc)
        raise InputError(f"not a readable .xlsx workbook: {why}", path) from None
    total = sum(e.file_size for e in entries)
    if total > limits.inflated_bytes:
        what = f"the workbook inflates to {human(total)}"
        raise past_limit(path, what, "inflated_bytes", limits.inflated_bytes, size=total)
    for e in entries:
        if e.filename.lower().endswith(".xml") and e.file_size > limits.sheet_bytes:
            what = f"{e.filename} inflates to {human(e.file_size)}"
            raise past_limit(path, what, "sheet_bytes", limits.sheet_bytes, size=e.file_size)
    strings = next((e for e in entries if e.filename.lower() == "xl/sharedstrings.xml"), None)
    if strings is not None and strings.file_size > limits.cell_bytes:
        found = long_shared_string(archive, strings.filename, limits.cell_bytes)
        if found is not None:
            size, where = found
            what = f"{where} holds at least {human(size)} of text"
            raise past_limit(path, what, "cell_bytes", limits.cell_bytes, size=size)
    return archive


def _sheet(path: Path, book: Any, name: str | int | None) -> Any:
    try:
        if name is None:
            return book.worksheets[0]
        if isinstance(name, int):
            return book.worksheets[name]
        return book[name]
    except (KeyError, IndexError):
        raise InputError(f"no sheet {name!r}; sheets are {book.sheetnames}", path) from None


def _figure_columns(profile: Profile | None) -> set[str]:
    """The columns whose cells are figures (values and bounds)."""
    profile = profile or CANONICAL
    specs = [*profile.figures, *([profile.long.figure] if profile.long else [])]
    cols = {c for f in specs for c in (*f.value, f.low, f.high) if c}
    return cols | ({"figure_text"} if profile is CANONICAL else set())


def _rows(
    path: Path,
    rows: Iterator[tuple[Any, ...]],
    profile: Profile | None,
    formulas: dict[tuple[int, int], str],
    cell_bytes: int | None,
) -> RawTable:
    header = next(rows, None)
    if header is None:
        raise InputError("sheet is empty: expected a header row", path, 1)
    names = ["" if h is None else str(h).strip() for h in header]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise InputError("the header row (row 1) is blank: expected column names", path, 1)
    numbers = check_header(path, names)
    figure_columns = _figure_columns(profile)
    formulas = {at: f for at, f in formulas.items() if at[1] <= len(names)}
    problems = [_formula_problem(at, f, names, figure_columns) for at, f in formulas.items()]
    by_row: dict[int, list[int]] = {}
    for r, c in formulas:
        by_row.setdefault(r, []).append(c)
    records: list[tuple[Any, ...]] = []
    lines: list[int] = []
    skip = profile.skip_hashtag_row if profile else False
    for i, row in enumerate(rows, start=2):
        cells = [*row[: len(names)], *(None,) * (len(names) - len(row))]
        unknown = by_row.get(i, ())
        for col in unknown:
            if names[col - 1] in figure_columns:
                cells[col - 1] = UNKNOWN
        if cell_bytes is not None:
            _check_cells(path, cells, i, cell_bytes)
        if not unknown and all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        if skip and is_hashtag_row(["" if c is None else str(c) for c in cells]):
            skip = False
            continue
        skip = False
        records.append(tuple(cells))
        lines.append(i)
    frame = pd.DataFrame.from_records(records, columns=names)
    problems.sort(key=lambda p: (p["origin_row"] or 0, p["column"] or ""))
    return RawTable(
        path, "xlsx", frame, np.asarray(lines, dtype=np.int64), 1, len(records), problems, numbers
    )


def _check_cells(path: Path, cells: list[Any], row: int, cell_bytes: int) -> None:
    for col, value in enumerate(cells, start=1):
        if isinstance(value, str) and len(value) * 4 > cell_bytes:
            size = len(value.encode("utf-8"))
            if size > cell_bytes:
                what = f"cell {column_letter(col)}{row} holds {human(size)} of text"
                raise past_limit(path, what, "cell_bytes", cell_bytes, row, col, size)


def _formula_problem(
    at: tuple[int, int], formula: str, names: list[str], figure_columns: set[str]
) -> dict[str, Any]:
    row, col = at
    name = names[col - 1] if 0 < col <= len(names) else None
    where = f"cell {column_letter(col)}{row}" if row else "a cell"
    then = "its figure is unknown" if name in figure_columns else "read as blank"
    return input_finding(
        "formula-without-value",
        f"{where}{f' (column {name!r})' if name else ''} holds a formula ({formula}) with no "
        "saved value: the workbook was saved without computing it. Open and save it in Excel "
        f"or LibreOffice to store the values; {then}",
        origin_row=row or None,
        column=name,
        observed=formula,
        expected="a formula with its computed value saved",
    )

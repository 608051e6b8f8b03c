"""CSV and TSV: pyarrow's parallel reader when every line after the header is one record
of UTF-8 text, else the careful path (Python's csv), which names the line of each problem.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.columnar import count_lines
from toolkit.errors import InputError
from toolkit.model.findings import input_finding
from toolkit.reading.raw import Data, RawTable, check_header, is_hashtag_row, to_utf8
from toolkit.suite.profiles import Profile


def read_delimited(
    path: Path, data: Data, delimiter: str, profile: Profile | None, columns_as_text: set[str]
) -> RawTable:
    """The records of a CSV or TSV file.

    Most exports are UTF-8, and pyarrow checks each text as it reads it (a column that is
    not UTF-8 comes back as binary): such a file is read as it is, without decoding it
    first. Anything else is decoded (see ``raw.to_utf8``) and read again; a file pyarrow
    cannot read row for row (ragged rows, blank lines, values spanning lines) is read by
    the careful path, which names the line of each problem.
    """
    encoding = profile.encoding if profile else None
    tried = not encoding and data[:2] not in (b"\xff\xfe", b"\xfe\xff") and _utf8_head(data)
    if tried:
        names, numbers, skip = _header(path, data, delimiter, profile)
        raw = _read_by_pyarrow(path, data, delimiter, columns_as_text, names, numbers, skip)
        if raw is not None:
            return raw
    size = len(data)
    data, problems = to_utf8(data, path, encoding)
    if problems or not tried or len(data) != size:  # decoded, or a BOM gone: read it anew
        names, numbers, skip = _header(path, data, delimiter, profile)
    raw = None
    if problems or not tried:  # else decoding changed nothing: pyarrow would fail again
        raw = _read_by_pyarrow(path, data, delimiter, columns_as_text, names, numbers, skip)
    if raw is None:
        try:
            raw = _read_delimited_slow(path, bytes(data), delimiter, names, skip, numbers)
        except csv.Error as exc:
            raise InputError(f"not a readable {delimiter!r}-separated file: {exc}", path) from None
    raw.problems[:0] = problems
    return raw


def _utf8_head(data: Data) -> bool:
    """Whether the file's first 64 KiB are UTF-8 (a character cut at the end is fine)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(bytes(data[: 1 << 16]), final=False)
    except UnicodeDecodeError:
        return False
    return True


def _header(
    path: Path, data: Data, delimiter: str, profile: Profile | None
) -> tuple[list[str], dict[str, int], int]:
    """Column names, their numbers, and how many rows follow the header before the records
    (1 for an HXL hashtag row the profile skips)."""
    text_head = bytes(data[: 1 << 16]).decode("utf-8-sig", errors="replace")  # BOM dropped
    head_rows = list(csv.reader(io.StringIO(text_head), delimiter=delimiter))[:2]
    names = head_rows[0] if head_rows else []
    numbers = check_header(path, names)
    skip = (
        1
        if (
            profile
            and profile.skip_hashtag_row
            and len(head_rows) > 1
            and is_hashtag_row(head_rows[1])
        )
        else 0
    )
    return names, numbers, skip


def _read_by_pyarrow(
    path: Path,
    data: Data,
    delimiter: str,
    columns_as_text: set[str],
    names: list[str],
    numbers: dict[str, int],
    skip: int,
) -> RawTable | None:
    """pyarrow's parallel read, when every line after the header is one record of UTF-8
    text; else None."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    invalid: list[Any] = []

    def on_invalid(row: Any) -> str:
        invalid.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)),
            read_options=pacsv.ReadOptions(skip_rows_after_names=skip),
            parse_options=pacsv.ParseOptions(
                # A value spanning lines breaks a row in two: the careful path reads such
                # files; leaving this off keeps pyarrow's parallel parser on.
                delimiter=delimiter,
                newlines_in_values=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in names if c in columns_as_text},
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid:
        return None  # the careful path says what is wrong, with a line number
    if (
        invalid
        or any(pa.types.is_binary(t) for t in table.schema.types)  # not UTF-8
        or count_lines(data) != 1 + skip + table.num_rows
    ):
        return None
    # One block per column: the columns are used one at a time, and consolidating them
    # into 2-D blocks would copy every number once more. ISO dates stay Arrow dates,
    # uncopied (pandas would make a datetime.date object of each): they are converted
    # once, into the figures table (columnar.whole_days).
    frame = table.to_pandas(
        split_blocks=True,
        types_mapper=lambda t: pd.ArrowDtype(t) if pa.types.is_date32(t) else None,
    )
    lines = np.arange(2 + skip, 2 + skip + len(frame), dtype=np.int64)
    return RawTable(path, "csv", frame, lines, 1, len(frame), [], numbers)


def _read_delimited_slow(
    path: Path, data: bytes, delimiter: str, names: list[str], skip: int, numbers: dict[str, int]
) -> RawTable:
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter)
    next(reader, None)
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: list[dict[str, Any]] = []
    previous = reader.line_num
    skipped = 0
    for cells in reader:
        start, previous = previous + 1, reader.line_num
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue
        if skipped < skip:
            skipped += 1
            continue
        if len(cells) != len(names):
            problems.append(
                input_finding(
                    "ragged-row",
                    f"row has {len(cells)} fields, the header has {len(names)}; row not read",
                    origin_row=start,
                    column=str(min(len(cells), len(names)) + 1),
                    observed=f"{len(cells)} fields",
                    expected=f"{len(names)} fields",
                )
            )
            continue
        rows.append(cells)
        lines.append(start)
    frame = (
        pd.DataFrame(rows, columns=names, dtype="str")
        if rows
        else pd.DataFrame({n: pd.Series([], dtype="str") for n in names})
    )
    frame = frame.replace("", None) if len(frame) else frame
    return RawTable(
        path,
        "csv",
        frame,
        np.asarray(lines, dtype=np.int64),
        1,
        len(rows) + len(problems),
        problems,
        numbers,
    )

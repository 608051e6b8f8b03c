"""CSV and TSV: pyarrow's parallel reader when every line after the header is one record
of UTF-8 text, else the careful path (Python's csv, ``careful``), which names the line of
each problem and reads on past a stray quote.

Lines are counted as an editor shows them everywhere here: an LF, a CRLF or a bare CR
ends one.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.columnar.raw import Data, count_text_lines
from toolkit.reading.careful import read_records
from toolkit.reading.raw import RawTable, check_header, is_hashtag_row, to_utf8
from toolkit.reading.sizes import human, past_limit
from toolkit.suite.profiles import Profile
from toolkit.suite.settings import Limits

DEFAULT_LIMITS = Limits()


@dataclass
class DelimitedTable(RawTable):
    """A CSV or TSV's records: ``ends[i]`` is the last line of record i (``lines[i]`` its
    first), later than the first only for a quoted value spanning lines. On the fast path
    every record is one line and ``ends`` is ``lines`` itself."""

    ends: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


def read_delimited(
    path: Path,
    data: Data,
    delimiter: str,
    profile: Profile | None,
    columns_as_text: set[str],
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> RawTable:
    """The records of a CSV or TSV file.

    Most exports are UTF-8, and pyarrow checks each text as it reads it (a column that is
    not UTF-8 comes back as binary): such a file is read as it is, without decoding it
    first. Anything else is decoded (see ``raw.to_utf8``) and read again; a file pyarrow
    cannot read row for row (ragged rows, blank lines, values spanning lines) is read by
    the careful path, which names the line of each problem. A cell of more than
    ``limits.cell_bytes`` is an :class:`InputError`. Returns a :class:`DelimitedTable`.
    """
    encoding = profile.encoding if profile else None
    skip_hashtag = bool(profile and profile.skip_hashtag_row)
    cell_bytes = limits.cell_bytes if len(data) > limits.cell_bytes else None  # else none can
    tried = not encoding and data[:2] not in (b"\xff\xfe", b"\xfe\xff") and _utf8_head(data)
    if tried:
        header = _header(path, data, delimiter, skip_hashtag)
        raw = _read_by_pyarrow(path, data, delimiter, columns_as_text, header, cell_bytes)
        if raw is not None:
            return raw
    data, problems = to_utf8(data, path, encoding)
    raw = None
    if problems or not tried:  # else decoding changed nothing: pyarrow would fail again
        header = _header(path, data, delimiter, skip_hashtag)
        raw = _read_by_pyarrow(path, data, delimiter, columns_as_text, header, cell_bytes)
    if raw is None:
        raw = _read_carefully(path, bytes(data), delimiter, skip_hashtag, cell_bytes)
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
    path: Path, data: Data, delimiter: str, skip_hashtag: bool
) -> tuple[list[str], dict[str, int], int]:
    """Column names, their numbers, and how many rows follow the header before the records
    (1 for an HXL hashtag row the profile skips), from the first two records of the first
    64 KiB that are not blank lines."""
    text_head = bytes(data[: 1 << 16]).decode("utf-8-sig", errors="replace")  # BOM dropped
    # newline="": a bare CR ends a line, as in the careful path (not an error inside a value)
    rows = csv.reader(io.StringIO(text_head, newline=""), delimiter=delimiter)
    head_rows = list(islice((r for r in rows if r and (len(r) > 1 or r[0].strip())), 2))
    names = head_rows[0] if head_rows else []
    numbers = check_header(path, names)
    skip = int(skip_hashtag and len(head_rows) > 1 and is_hashtag_row(head_rows[1]))
    return names, numbers, skip


def _read_by_pyarrow(
    path: Path,
    data: Data,
    delimiter: str,
    columns_as_text: set[str],
    header: tuple[list[str], dict[str, int], int],
    cell_bytes: int | None,
) -> DelimitedTable | None:
    """pyarrow's parallel read, when every line after the header is one record of UTF-8
    text; else None. ``header``: the names, their numbers and the rows to skip."""
    names, numbers, skip = header
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)),
            read_options=pacsv.ReadOptions(skip_rows_after_names=skip),
            parse_options=pacsv.ParseOptions(
                # A value spanning lines breaks a row in two: the careful path reads such
                # files; leaving this off keeps pyarrow's parallel parser on.
                delimiter=delimiter,
                # no invalid-row handler: a ragged row is an error here, and the careful
                # path reads the file (a handler was given each row as text, and a row
                # that is not UTF-8 made pyarrow raise inside it)
                newlines_in_values=False,
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
        any(pa.types.is_binary(t) for t in table.schema.types)  # not UTF-8
        or table.column_names != names  # a header pyarrow saw otherwise (a blank first line)
        or count_text_lines(data) != 1 + skip + table.num_rows
    ):
        return None
    lines = np.arange(2 + skip, 2 + skip + table.num_rows, dtype=np.int64)
    if cell_bytes is not None:
        _check_cells(path, zip(names, table.columns, strict=True), lines, numbers, cell_bytes)
    # One block per column: the columns are used one at a time, and consolidating them
    # into 2-D blocks would copy every number once more. ISO dates stay Arrow dates,
    # uncopied (pandas would make a datetime.date object of each): they are converted
    # once, into the figures table (columnar.whole_days).
    frame = table.to_pandas(
        split_blocks=True,
        types_mapper=lambda t: pd.ArrowDtype(t) if pa.types.is_date32(t) else None,
    )
    return DelimitedTable(path, "csv", frame, lines, 1, len(frame), [], numbers, ends=lines)


def _read_carefully(
    path: Path, data: bytes, delimiter: str, skip_hashtag: bool, cell_bytes: int | None
) -> DelimitedTable:
    found = read_records(path, data.decode("utf-8"), delimiter, skip_hashtag)
    names = found.names
    numbers = check_header(path, names, found.header_line)
    frame = (
        pd.DataFrame(found.rows, columns=names, dtype="str")
        if found.rows
        else pd.DataFrame({n: pd.Series([], dtype="str") for n in names})
    )
    frame = frame.replace("", None) if len(frame) else frame
    lines = np.asarray(found.firsts, dtype=np.int64)
    if cell_bytes is not None and len(frame):
        import pyarrow as pa

        columns = ((n, pa.array(frame[n].array)) for n in names)
        _check_cells(path, columns, lines, numbers, cell_bytes)
    return DelimitedTable(
        path,
        "csv",
        frame,
        lines,
        found.header_line,
        found.rows_read,
        found.problems,
        numbers,
        ends=np.asarray(found.lasts, dtype=np.int64),
    )


def _check_cells(
    path: Path,
    columns: Iterable[tuple[str, Any]],
    lines: np.ndarray,
    numbers: dict[str, int],
    limit: int,
) -> None:
    """Raise :class:`InputError` for the first text cell of more than ``limit`` bytes.

    Only text columns are looked at (numbers and dates are short), by their Arrow offsets:
    no text is copied.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    for name, column in columns:
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        sizes = pc.binary_length(column)
        longest = pc.max(sizes).as_py()
        if longest is None or longest <= limit:
            continue
        row = pc.index(sizes, longest).as_py()
        what = f"a cell of column {name!r} holds {human(longest)} of text"
        raise past_limit(
            path, what, "cell_bytes", limit, int(lines[row]), numbers.get(name), longest
        )

"""File formats: bytes on disk to a raw table of records with the line each came from.

CSV and TSV (pyarrow fast path, Python csv when rows are ragged or span lines), XLSX,
JSON (records, or JSON Lines), Parquet, and gzip of any of these. Encodings: UTF-8 (with or
without BOM), UTF-16 with BOM, and a cp1252 fallback that is reported, never silent.
Input files are opened read-only and never written.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import gzip
import io
import json
import mmap
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.errors import InputError
from toolkit.findings import input_finding
from toolkit.profiles import FORMATS, Profile

_SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@dataclass
class RawTable:
    """Records as read, before any profile is applied.

    ``lines[i]`` is the line (row in a spreadsheet, record number in Parquet) of record i,
    counted the way an editor shows it: header = line 1. ``problems`` are input findings
    for records that could not be read at all (they are not in ``frame``). Columns of
    ISO dates may be Arrow dates (``pd.ArrowDtype``); see ``figures.whole_days``.
    """

    path: Path
    format: str
    frame: pd.DataFrame
    lines: np.ndarray
    header_line: int = 1
    rows_read: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    column_numbers: dict[str, int] = field(default_factory=dict)


def detect_format(path: Path, profile: Profile | None) -> tuple[str, bool]:
    """(format, gzipped) from the profile or the file's suffixes."""
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    if profile is not None and profile.format:
        return profile.format, gz
    if suffixes and suffixes[-1] in _SUFFIX_FORMATS:
        return _SUFFIX_FORMATS[suffixes[-1]], gz
    shown = "".join(path.suffixes) or "no suffix"
    raise InputError(
        f"unknown format ({shown}); crosscheck reads {', '.join(FORMATS)} (optionally .gz), "
        "or set 'format:' in the source profile",
        path,
    )


def read_raw(path: Path, profile: Profile | None, *, columns_as_text: set[str]) -> RawTable:
    """Read one export into a :class:`RawTable`; raises :class:`InputError` if it cannot."""
    if not path.exists():
        raise InputError("file not found", path)
    if path.is_dir():
        raise InputError("is a directory, not a file", path)
    fmt, gz = detect_format(path, profile)
    data = _load(path, gz, mapped=fmt in ("csv", "tsv"))
    if _is_blank(data):
        raise InputError("file is empty: expected a header line and rows", path, 1)
    if fmt in ("csv", "tsv"):
        delimiter = (profile.delimiter if profile else None) or ("\t" if fmt == "tsv" else ",")
        raw = _read_delimited(path, data, delimiter, profile, columns_as_text)
    elif fmt == "json":
        text_bytes, problems = _to_utf8(data, path, profile.encoding if profile else None)
        raw = _read_json(path, bytes(text_bytes).decode("utf-8"), profile)
        raw.problems[:0] = problems
    elif fmt == "xlsx":
        raw = _read_xlsx(path, bytes(data), profile)
    else:
        raw = _read_parquet(path, bytes(data))
    raw.format = fmt + (".gz" if gz else "")
    return raw


Data = bytes | mmap.mmap


def _load(path: Path, gz: bool, *, mapped: bool) -> Data:
    """The file's bytes: memory-mapped read-only (no copy) where the reader can use that."""
    try:
        if gz:
            try:
                return gzip.decompress(path.read_bytes())
            except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
                raise InputError(f"not a valid gzip file: {exc}", path) from None
        if not mapped or path.stat().st_size == 0:
            return path.read_bytes()
        with open(path, "rb") as fh:
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", path) from None


def _octets(data: Data) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint8)


def _count_lines(data: Data) -> int:
    """Lines in the file (a last line without a newline counts).

    Compared a megabyte at a time into one small buffer: a whole-file comparison would
    allocate a mask as large as the file, and fresh memory is what costs most here.
    """
    octets = _octets(data)
    step = 1 << 20
    hits = np.empty(min(step, len(octets)), dtype=bool)
    newlines = 0
    for start in range(0, len(octets), step):
        chunk = octets[start : start + step]
        np.equal(chunk, ord("\n"), out=hits[: len(chunk)])
        newlines += int(np.count_nonzero(hits[: len(chunk)]))
    return newlines + (data[-1:] != b"\n")


def _is_blank(data: Data) -> bool:
    if bytes(data[:65536]).strip():
        return False
    return len(data) <= 65536 or bool(np.isin(_octets(data), list(b" \t\r\n\f\v")).all())


def _to_utf8(data: Data, path: Path, encoding: str | None) -> tuple[Data, list[dict[str, Any]]]:
    """Return UTF-8 data without BOM, and a finding when a fallback decoding was used."""
    if not encoding and len(data) and int(_octets(data).max()) < 128:
        return data, []  # ASCII: the common case, and far cheaper to check than a decode
    data = bytes(data)
    if encoding:
        try:
            return data.decode(encoding).lstrip("\ufeff").encode("utf-8"), []
        except (UnicodeDecodeError, LookupError) as exc:
            line, col = _position(data, getattr(exc, "start", 0))
            raise InputError(
                f"cannot decode as {encoding} (profile): {exc}", path, line, col
            ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").encode("utf-8"), []
        except UnicodeDecodeError as exc:
            raise InputError(
                f"starts like UTF-16 but cannot be decoded: {exc.reason}", path
            ) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
        return data, []
    except UnicodeDecodeError as exc:
        line, col = _position(data, exc.start)
        try:
            decoded = data.decode("cp1252")
        except UnicodeDecodeError:
            raise InputError(
                f"not UTF-8 (byte 0x{data[exc.start]:02x}) nor cp1252; set 'encoding:' in the "
                "source profile",
                path,
                line,
                col,
            ) from None
        finding = input_finding(
            "encoding",
            "warning",
            "not valid UTF-8; read as cp1252 (Windows-1252). Set 'encoding:' in the source "
            "profile to say so and silence this warning",
            origin_row=line,
            column=str(col),
            observed=f"byte 0x{data[exc.start]:02x}",
            expected="UTF-8",
        )
        return decoded.encode("utf-8"), [finding]


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, col


def _check_header(path: Path, names: list[str], line: int = 1) -> dict[str, int]:
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if name in seen:
            raise InputError(
                f"duplicate column name {name!r} (columns {seen[name]} and {i}); "
                "each column needs its own name",
                path,
                line,
                i,
            )
        seen[name] = i
    return seen


def _is_hashtag_row(cells: list[str]) -> bool:
    filled = [c.strip() for c in cells if c and c.strip()]
    return bool(filled) and all(c.startswith("#") for c in filled)


def _read_delimited(
    path: Path, data: Data, delimiter: str, profile: Profile | None, columns_as_text: set[str]
) -> RawTable:
    """The records of a CSV or TSV file.

    Most exports are UTF-8, and pyarrow checks each text as it reads it (a column that is
    not UTF-8 comes back as binary): such a file is read as it is, without decoding it
    first. Anything else is decoded (see ``_to_utf8``) and read again; a file pyarrow
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
    data, problems = _to_utf8(data, path, encoding)
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
    numbers = _check_header(path, names)
    skip = (
        1
        if (
            profile
            and profile.skip_hashtag_row
            and len(head_rows) > 1
            and _is_hashtag_row(head_rows[1])
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
        or _count_lines(data) != 1 + skip + table.num_rows
    ):
        return None
    # One block per column: the columns are used one at a time, and consolidating them
    # into 2-D blocks would copy every number once more. ISO dates stay Arrow dates,
    # uncopied (pandas would make a datetime.date object of each): they are converted
    # once, into the figures table (figures.whole_days).
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
                    "error",
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


def _read_json(path: Path, text: str, profile: Profile | None) -> RawTable:
    """JSON records with the line each record starts on (JSON Lines too)."""
    text = text.lstrip("\ufeff")
    starts = [i for i, ch in enumerate(text) if ch == "\n"]

    def line_of(offset: int) -> int:
        return bisect.bisect_left(starts, offset) + 1

    decoder = json.JSONDecoder()
    records: list[Any] = []
    offsets: list[int] = []
    stripped = text.lstrip()
    try:
        if stripped.startswith("[") or (stripped.startswith("{") and profile and profile.records):
            doc_start = len(text) - len(stripped)
            if stripped.startswith("{"):
                doc = json.loads(text)
                node = doc
                for key in str(profile.records if profile else "").split("."):
                    node = node.get(key) if isinstance(node, dict) else None
                if not isinstance(node, list):
                    raise InputError(f"no list of records at {profile.records!r}", path)  # type: ignore[union-attr]
                records = node
                lines = np.ones(len(records), dtype=np.int64)  # nested records: line unknown
            else:
                pos = doc_start + 1
                while True:
                    while pos < len(text) and text[pos] in " \t\r\n,":
                        pos += 1
                    if pos >= len(text):
                        raise json.JSONDecodeError("unclosed list", text, pos)
                    if text[pos] == "]":
                        break
                    obj, end = decoder.raw_decode(text, pos)
                    records.append(obj)
                    offsets.append(pos)
                    pos = end
                lines = np.asarray([line_of(o) for o in offsets], dtype=np.int64)
        else:  # JSON Lines
            lines_list: list[int] = []
            for no, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    records.append(json.loads(line))
                    lines_list.append(no)
            lines = np.asarray(lines_list, dtype=np.int64)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", path, exc.lineno, exc.colno) from None
    problems: list[dict[str, Any]] = []
    keep = []
    for i, rec in enumerate(records):
        if isinstance(rec, dict):
            keep.append(i)
        else:
            problems.append(
                input_finding(
                    "not-a-record",
                    "error",
                    "JSON value is not a record (object); row not read",
                    origin_row=int(lines[i]),
                    observed=type(rec).__name__,
                    expected="object",
                )
            )
    frame = pd.DataFrame.from_records([records[i] for i in keep])
    return RawTable(
        path,
        "json",
        frame,
        lines[keep],
        1,
        len(records),
        problems,
        {str(c): i + 1 for i, c in enumerate(frame.columns)},
    )


def _read_xlsx(path: Path, data: bytes, profile: Profile | None) -> RawTable:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise InputError(f"not a readable .xlsx workbook: {exc}", path) from None
    sheet_name = profile.sheet if profile else None
    try:
        if sheet_name is None:
            sheet = book.worksheets[0]
        elif isinstance(sheet_name, int):
            sheet = book.worksheets[sheet_name]
        else:
            sheet = book[sheet_name]
    except (KeyError, IndexError):
        raise InputError(f"no sheet {sheet_name!r}; sheets are {book.sheetnames}", path) from None
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise InputError("sheet is empty: expected a header row", path, 1)
    names = ["" if h is None else str(h).strip() for h in header]
    while names and not names[-1]:
        names.pop()
    numbers = _check_header(path, names)
    records: list[tuple[Any, ...]] = []
    lines: list[int] = []
    skip = profile.skip_hashtag_row if profile else False
    for i, row in enumerate(rows, start=2):
        cells = list(row[: len(names)])
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        if skip and _is_hashtag_row(["" if c is None else str(c) for c in cells]):
            skip = False
            continue
        skip = False
        records.append(tuple(cells) + (None,) * (len(names) - len(cells)))
        lines.append(i)
    book.close()
    frame = pd.DataFrame.from_records(records, columns=names)
    return RawTable(
        path, "xlsx", frame, np.asarray(lines, dtype=np.int64), 1, len(records), [], numbers
    )


def _read_parquet(path: Path, data: bytes) -> RawTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"not a readable Parquet file: {exc}", path) from None
    frame = table.to_pandas(split_blocks=True)
    frame = frame.reset_index(drop=True)
    lines = np.arange(1, len(frame) + 1, dtype=np.int64)
    return RawTable(
        path,
        "parquet",
        frame,
        lines,
        0,
        len(frame),
        [],
        {str(c): i + 1 for i, c in enumerate(frame.columns)},
    )

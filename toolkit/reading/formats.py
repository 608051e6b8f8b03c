"""File formats: bytes on disk to a raw table of records with the line each came from.

CSV and TSV (``delimited``), XLSX, JSON (records, or JSON Lines), Parquet, and gzip of any
of these. Input files are opened read-only and never written.
"""

from __future__ import annotations

import bisect
import gzip
import io
import json
import mmap
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.columnar import is_blank
from toolkit.errors import InputError
from toolkit.model.findings import input_finding
from toolkit.reading.delimited import read_delimited
from toolkit.reading.raw import Data, RawTable, check_header, is_hashtag_row, to_utf8
from toolkit.suite.profiles import FORMATS, Profile

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
    if is_blank(data):
        raise InputError("file is empty: expected a header line and rows", path, 1)
    if fmt in ("csv", "tsv"):
        delimiter = (profile.delimiter if profile else None) or ("\t" if fmt == "tsv" else ",")
        raw = read_delimited(path, data, delimiter, profile, columns_as_text)
    elif fmt == "json":
        text_bytes, problems = to_utf8(data, path, profile.encoding if profile else None)
        raw = _read_json(path, bytes(text_bytes).decode("utf-8"), profile)
        raw.problems[:0] = problems
    elif fmt == "xlsx":
        raw = _read_xlsx(path, bytes(data), profile)
    else:
        raw = _read_parquet(path, bytes(data))
    raw.format = fmt + (".gz" if gz else "")
    return raw


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
    numbers = check_header(path, names)
    records: list[tuple[Any, ...]] = []
    lines: list[int] = []
    skip = profile.skip_hashtag_row if profile else False
    for i, row in enumerate(rows, start=2):
        cells = list(row[: len(names)])
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        if skip and is_hashtag_row(["" if c is None else str(c) for c in cells]):
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

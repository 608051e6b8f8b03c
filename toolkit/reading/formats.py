"""File formats: bytes on disk to a raw table of records with the line each came from.

CSV and TSV (``delimited``), XLSX (``xlsx``), JSON (records, or JSON Lines: ``jsonfile``),
Parquet, and gzip of any of these, inflated no further than the suite's limits allow.
Input files are opened read-only and never written.
"""

from __future__ import annotations

import io
import mmap
from pathlib import Path

import numpy as np

from toolkit.columnar import is_blank
from toolkit.columnar.raw import Data
from toolkit.errors import InputError
from toolkit.reading.delimited import read_delimited
from toolkit.reading.jsonfile import read_json
from toolkit.reading.raw import RawTable, to_utf8
from toolkit.reading.sizes import gunzip
from toolkit.reading.xlsx import read_xlsx
from toolkit.suite.profiles import FORMATS, Profile
from toolkit.suite.settings import Limits

DEFAULT_LIMITS = Limits()

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


def read_raw(
    path: Path,
    profile: Profile | None,
    *,
    columns_as_text: set[str],
    limits: Limits = DEFAULT_LIMITS,
) -> RawTable:
    """Read one export into a :class:`RawTable`; raises :class:`InputError` if it cannot,
    or if it holds more than ``limits`` allow."""
    if not path.exists():
        raise InputError("file not found", path)
    if path.is_dir():
        raise InputError("is a directory, not a file", path)
    fmt, gz = detect_format(path, profile)
    data = _load(path, gz, limits, mapped=fmt in ("csv", "tsv"))
    if is_blank(data):
        raise InputError("file is empty: expected a header line and rows", path, 1)
    if fmt in ("csv", "tsv"):
        delimiter = (profile.delimiter if profile else None) or ("\t" if fmt == "tsv" else ",")
        raw = read_delimited(path, data, delimiter, profile, columns_as_text, limits=limits)
    elif fmt == "json":
        text_bytes, problems = to_utf8(data, path, profile.encoding if profile else None)
        raw = read_json(path, text_bytes, profile, limits)
        raw.problems[:0] = problems
    elif fmt == "xlsx":
        raw = read_xlsx(path, bytes(data), profile, limits)
    else:
        raw = _read_parquet(path, bytes(data))
    raw.format = fmt + (".gz" if gz else "")
    return raw


def _load(path: Path, gz: bool, limits: Limits, *, mapped: bool) -> Data:
    """The file's bytes: memory-mapped read-only (no copy) where the reader can use that."""
    try:
        if gz:
            return gunzip(path, limits)
        if not mapped or path.stat().st_size == 0:
            return path.read_bytes()
        with open(path, "rb") as fh:
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", path) from None


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

"""Raw tables: an export's records, before any profile is applied, with the line each
came from; and what every reader shares (decoding to UTF-8, checking the header).

Encodings: UTF-8 (with or without BOM), UTF-16 with BOM, and a cp1252 fallback that is
reported, never silent. Input files are opened read-only and never written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.columnar import octets
from toolkit.columnar.raw import Data, count_text_lines
from toolkit.errors import InputError
from toolkit.model.findings import input_finding


@dataclass
class RawTable:
    """Records as read, before any profile is applied.

    ``lines[i]`` is the line (row in a spreadsheet, record number in Parquet) of record i,
    counted the way an editor shows it: header = line 1. ``problems`` are input findings
    for records that could not be read at all (they are not in ``frame``). Columns of
    ISO dates may be Arrow dates (``pd.ArrowDtype``); see ``columnar.whole_days``.
    """

    path: Path
    format: str
    frame: pd.DataFrame
    lines: np.ndarray
    header_line: int = 1
    rows_read: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    column_numbers: dict[str, int] = field(default_factory=dict)


def to_utf8(data: Data, path: Path, encoding: str | None) -> tuple[Data, list[dict[str, Any]]]:
    """Return UTF-8 data without BOM, and a finding when a fallback decoding was used."""
    if not encoding and len(data) and int(octets(data).max()) < 128:
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
            "not valid UTF-8; read as cp1252 (Windows-1252). Set 'encoding:' in the source "
            "profile to say so and silence this warning",
            origin_row=line,
            column=str(col),
            observed=f"byte 0x{data[exc.start]:02x}",
            expected="UTF-8",
        )
        return decoded.encode("utf-8"), [finding]


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """Line and column (in bytes) of ``offset``; an LF, a CRLF or a bare CR ends a line."""
    line = count_text_lines(data[:offset] + b"x")
    col = offset - max(data.rfind(b"\n", 0, offset), data.rfind(b"\r", 0, offset))
    return line, col


def check_header(path: Path, names: list[str], line: int = 1) -> dict[str, int]:
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


def is_hashtag_row(cells: list[str]) -> bool:
    filled = [c.strip() for c in cells if c and c.strip()]
    return bool(filled) and all(c.startswith("#") for c in filled)

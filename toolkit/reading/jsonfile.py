"""JSON exports: a list of records, a list of records under a key of one object (the
profile's ``records:``), or JSON Lines (one record per line; always so for ``.jsonl`` and
``.ndjson``). Each record keeps the line it starts on.

The whole file must be read: text after the document (a second document, stray text) is
an error, not ignored. In JSON Lines each line is a record of its own: a line that is not
valid JSON is a rejected record, named by its line and column, and the lines after it are
read. Nesting and text size are checked before anything is decoded (``columnar.jsonscan``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.columnar.jsonscan import MAX_DEPTH, shape
from toolkit.columnar.raw import Data
from toolkit.errors import InputError, NotATable
from toolkit.model.findings import input_finding
from toolkit.reading.raw import RawTable
from toolkit.reading.sizes import human, past_limit
from toolkit.suite.profiles import Profile
from toolkit.suite.settings import Limits

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_LINES_HINT = "read as JSON Lines, one record per line"


class _Walk:
    """Decoding one JSON document record by record, keeping where each record starts."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.records: list[Any] = []
        self.offsets: list[int] = []
        self.at = 0  # where the value being decoded starts

    def decode(self, pos: int) -> tuple[Any, int]:
        self.at = pos
        return _DECODER.raw_decode(self.text, pos)

    def skip(self, pos: int) -> int:
        end = _WS.match(self.text, pos)
        return end.end() if end else pos

    def expect(self, pos: int, what: str) -> None:
        raise json.JSONDecodeError(what, self.text, pos)

    def records_list(self, pos: int) -> int:
        """The list of records starting at ``pos`` (a ``[``); returns where it ends."""
        text = self.text
        pos = self.skip(pos + 1)
        if text.startswith("]", pos):
            return pos + 1
        while True:
            record, end = self.decode(pos)
            self.records.append(record)
            self.offsets.append(pos)
            pos = self.skip(end)
            if text.startswith(",", pos):
                pos = self.skip(pos + 1)
            elif text.startswith("]", pos):
                return pos + 1
            else:
                self.expect(pos, "Expecting ',' delimiter or ']'")

    def under(self, pos: int, keys: list[str]) -> tuple[bool, int]:
        """The value at ``pos``, walking into ``keys`` to reach the list of records (read
        with :meth:`records_list`); returns whether it was found, and where the value ends.
        As in ``json.loads``, a key given twice means its last value."""
        text = self.text
        if not keys or not text.startswith("{", pos):
            if not keys and text.startswith("[", pos):
                return True, self.records_list(pos)
            return False, self.decode(pos)[1]
        found = False
        pos = self.skip(pos + 1)
        if text.startswith("}", pos):
            return False, pos + 1
        while True:
            if not text.startswith('"', pos):
                self.expect(pos, "Expecting property name enclosed in double quotes")
            key, pos = self.decode(pos)
            pos = self.skip(pos)
            if not text.startswith(":", pos):
                self.expect(pos, "Expecting ':' delimiter")
            pos = self.skip(pos + 1)
            if key == keys[0]:
                del self.records[:], self.offsets[:]
                found, pos = self.under(pos, keys[1:])
            else:
                pos = self.decode(pos)[1]
            pos = self.skip(pos)
            if text.startswith(",", pos):
                pos = self.skip(pos + 1)
            elif text.startswith("}", pos):
                return found, pos + 1
            else:
                self.expect(pos, "Expecting ',' delimiter or '}'")

    def lines(self) -> np.ndarray:
        """The line each record starts on."""
        out = np.empty(len(self.offsets), dtype=np.int64)
        line, last = 1, 0
        for i, offset in enumerate(self.offsets):
            line += self.text.count("\n", last, offset)
            out[i], last = line, offset
        return out


def read_json(path: Path, data: Data, profile: Profile | None, limits: Limits) -> RawTable:
    """The records of a JSON or JSON Lines file (``data``: UTF-8, no BOM)."""
    text = bytes(data).decode("utf-8")
    start = _WS.match(text).end()  # type: ignore[union-attr]
    if start == len(text):
        raise InputError("file is empty: expected JSON records", path, 1)
    records_key = profile.records if profile else None
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    lines_only = bool(suffixes) and suffixes[-1] in (".jsonl", ".ndjson")
    one_document = not lines_only and (
        text.startswith("[", start) or (text.startswith("{", start) and records_key is not None)
    )
    scan = shape(data, per_line=not one_document, text_limit=limits.cell_bytes)
    if scan.long_text is not None:
        offset, size = scan.long_text
        line, column = scan.place(data, offset)
        what = f"a text of {human(size)} in one value"
        raise past_limit(path, what, "cell_bytes", limits.cell_bytes, line, column, size)
    if one_document:
        if len(scan.too_deep):
            line, column = scan.place(data, int(scan.too_deep[0]))
            raise InputError(
                f"JSON nested more than {MAX_DEPTH} deep: records are flat (a list of objects)",
                path,
                line,
                column,
            )
        records, lines, problems = _document(path, text, start, records_key)
    else:
        deep = dict(scan.place(data, int(o)) for o in scan.too_deep)
        records, lines, problems = _json_lines(path, text, deep)
    mended = _mend_surrogates(records, lines) if _SURROGATE_ESCAPE.search(text) else []
    raw = _table(path, records, lines, problems, profile)  # problems: the lines not read
    if mended:  # warnings about rows that were read
        raw.problems = sorted([*raw.problems, *mended], key=lambda p: p["origin_row"])
    return raw


# A \uD800-\uDFFF escape: JSON allows one alone, but it is half a character, and no text
# column can hold it.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _mend_surrogates(records: list[Any], lines: np.ndarray) -> list[dict[str, Any]]:
    """Replace each lone surrogate in the records' texts (keys too) by U+FFFD, in place,
    with a warning per record that had one."""

    def mend(value: Any) -> tuple[Any, bool]:
        if isinstance(value, str):
            fixed = _SURROGATE.sub("\ufffd", value)
            return fixed, fixed != value
        if isinstance(value, dict):
            pairs = [(mend(k), mend(v)) for k, v in value.items()]
            return {k: v for (k, _), (v, _) in pairs}, any(a or b for (_, a), (_, b) in pairs)
        if isinstance(value, list):
            items = [mend(v) for v in value]
            return [v for v, _ in items], any(c for _, c in items)
        return value, False

    found = []
    for i, record in enumerate(records):
        records[i], changed = mend(record)
        if changed:
            found.append(
                input_finding(
                    "encoding",
                    "a \\u escape that is half a character (a lone UTF-16 surrogate); "
                    "read as U+FFFD (\ufffd)",
                    origin_row=int(lines[i]),
                    observed="\\uD800-\\uDFFF alone",
                    expected="a whole character",
                )
            )
    return found


def _document(
    path: Path, text: str, start: int, records_key: str | None
) -> tuple[list[Any], np.ndarray, list[dict[str, Any]]]:
    walk = _Walk(text)
    try:
        if text.startswith("[", start):
            end = walk.records_list(start)
        else:
            found, end = walk.under(start, str(records_key).split("."))
            if not found:
                raise InputError(
                    f"no list of records at {records_key!r} (the profile's 'records:')", path
                )
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {_said(exc)}", path, exc.lineno, exc.colno) from None
    except ValueError as exc:  # a number too long to read
        line, column = _text_place(text, walk.at)
        raise InputError(f"not valid JSON: {_why(exc)[0]}", path, line, column) from None
    rest = walk.skip(end)
    if rest < len(text):
        line, column = _text_place(text, rest)
        raise InputError(
            "extra data after the JSON document: a file holds one list of records, or one "
            f"record per line (JSON Lines). It starts with {text[rest : rest + 20]!r}",
            path,
            line,
            column,
        )
    return walk.records, walk.lines(), []


def _json_lines(
    path: Path, text: str, deep: dict[int, int]
) -> tuple[list[Any], np.ndarray, list[dict[str, Any]]]:
    """One record per line. A line that is not valid JSON is a rejected record, unless it
    is the first: then the file is no JSON Lines at all."""
    records: list[Any] = []
    lines: list[int] = []
    problems: list[dict[str, Any]] = []
    for no, line in _value_lines(text):
        try:
            if no in deep:
                raise _LineError(f"nested more than {MAX_DEPTH} deep", deep[no])
            record = json.loads(line)
        except (ValueError, _LineError) as exc:
            why, column = _why(exc)
            if not records and not problems:
                _not_json_lines(path, text, no, column, why)
            problems.append(
                input_finding(
                    "not-a-record",
                    f"line {no}, column {column}: not valid JSON ({why}); row not read",
                    origin_row=no,
                    observed=line[:40],
                    expected="one JSON record (object) per line",
                )
            )
            continue
        records.append(record)
        lines.append(no)
    return records, np.asarray(lines, dtype=np.int64), problems


class _LineError(Exception):
    def __init__(self, why: str, column: int) -> None:
        super().__init__(why)
        self.why, self.column = why, column


def _why(exc: Exception) -> tuple[str, int]:
    if isinstance(exc, _LineError):
        return exc.why, exc.column
    if isinstance(exc, json.JSONDecodeError):
        return _said(exc), exc.colno
    return str(exc).split(";")[0], 1  # without Python's advice to the programmer


def _said(exc: json.JSONDecodeError) -> str:
    """What the decoder says, without its dangling "starting at" (the place is given)."""
    return exc.msg.removesuffix(" starting at")


def _value_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of every line that is not blank (JSON's blanks only: a line of
    other white space is a bad record, not nothing)."""
    for no, line in enumerate(text.split("\n"), start=1):
        if line.strip(" \t\r"):
            yield no, line


def _not_json_lines(path: Path, text: str, line: int, column: int, why: str) -> None:
    """The first line is not JSON: say what the file is instead, and stop."""
    try:
        whole = json.loads(text)
    except (ValueError, RecursionError):
        raise InputError(f"not valid JSON ({_LINES_HINT}): {why}", path, line, column) from None
    if isinstance(whole, dict):
        keys = ", ".join(repr(k) for k in list(whole)[:8])
        raise NotATable(
            "the file is one JSON object, not a list of records: name the key that holds "
            f"them with 'records:' in the source profile (its keys: {keys})",
            path,
            1,
        )
    raise InputError(f"not valid JSON ({_LINES_HINT}): {why}", path, line, column)


def _table(
    path: Path,
    records: list[Any],
    lines: np.ndarray,
    problems: list[dict[str, Any]],
    profile: Profile | None,
) -> RawTable:
    keep = [i for i, rec in enumerate(records) if isinstance(rec, dict)]
    rows_read = len(records) + len(problems)  # the records, and the lines not read
    if records and not keep:
        raise NotATable(
            "expected JSON records (objects): a list of them, or one per line (JSON Lines); "
            f"this holds {_kind(records[0])}",
            path,
            int(lines[0]),
        )
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            problems.append(
                input_finding(
                    "not-a-record",
                    "JSON value is not a record (object); row not read",
                    origin_row=int(lines[i]),
                    observed=_kind(rec),
                    expected="object",
                )
            )
    frame = pd.DataFrame.from_records([records[i] for i in keep])
    if len(frame) != len(keep):  # records that are all {}: no columns, but rows all the same
        frame = pd.DataFrame(index=pd.RangeIndex(len(keep)))
    if not keep and profile is not None:  # an empty list: the profile's columns, no rows
        frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in profile.export_columns()})
    return RawTable(
        path,
        "json",
        frame,
        lines[keep],
        1,
        rows_read,
        sorted(problems, key=lambda p: p["origin_row"]),
        {str(c): i + 1 for i, c in enumerate(frame.columns)},
    )


def _kind(value: object) -> str:
    kinds = {dict: "an object", list: "a list", str: "a text", bool: "true or false"}
    if value is None:
        return "null"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "a number"
    return kinds.get(type(value), type(value).__name__)


def _text_place(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)

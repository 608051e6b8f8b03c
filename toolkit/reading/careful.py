"""The careful path of CSV and TSV: Python's csv, one record at a time, naming the line of
each problem and reading on past a stray quote.

Lines are numbered as an editor shows them: an LF, a CRLF or a bare CR (old Mac files)
ends one. ``io.StringIO(newline="")`` splits the text so, and
``columnar.count_text_lines`` counts it so for the fast path; a bare CR inside an unquoted
value therefore ends its line, and the two halves are ragged rows.

A quote at the start of a value opens it until the next lone quote, across lines if need
be. When the quote is never closed, is closed with more of the value after it (RFC 4180
has a quoted value end at its closing quote), or makes a record with another number of
fields than the header, the quote was stray: only the physical line it opened on is
rejected (an ``unbalanced-quote`` finding) and reading starts again on the next line, so
one stray quote costs one line, not the rest of the file. A record of the right shape spanning more
than :data:`MAX_VALUE_LINES` lines is read, with a ``multiline-value`` warning naming its
first and last line: a quote closed many lines later no longer makes one long cell
without a word.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from toolkit.errors import InputError
from toolkit.model.findings import input_finding
from toolkit.reading.raw import is_hashtag_row

# The most lines one quoted value may span before it is named. Free text in an export (a
# note, an address, a quoted statement) rarely runs past a few lines, while a stray quote
# runs to the next quote in the file, which in a file that seldom quotes is many lines on;
# each line it spans beyond this bound is a line that would more likely have been a row.
MAX_VALUE_LINES = 10

_END = "\n"  # after the last line: read only by a record whose quote is still open


@dataclass
class Records:
    """What the careful path read: the rows with the first and last line of each, and
    input findings for the lines not read (``rejected`` of them are errors: rows lost)."""

    names: list[str]
    header_line: int
    rows: list[list[str]] = field(default_factory=list)
    firsts: list[int] = field(default_factory=list)
    lasts: list[int] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0

    @property
    def rows_read(self) -> int:
        return len(self.rows) + self.rejected

    def reject(self, problem: dict[str, Any]) -> None:
        self.problems.append(problem)
        self.rejected += 1


class _Lines:
    """A file's physical lines, read into records by Python's csv from any line on.

    After a stray quote's record (lines L to M) is dropped, reading starts again at L + 1.
    A record that starts at F inside that stretch and is still in a quote at the end of F
    would be read on exactly as the dropped one was (csv's state at the start of F + 1 is
    the same: inside a quoted value), to line M: it is stray too, and is cut there, not
    read to M again. So each line is read at most about twice, whatever the quotes.
    """

    def __init__(self, path: Path, text: str, delimiter: str) -> None:
        self.path = path
        self.delimiter = delimiter
        self.lines = io.StringIO(text, newline="").readlines()
        self.count = len(self.lines)
        self.lines.append(_END)
        self.stray: tuple[int, int] | None = None  # (L, M) of the last stray quote's record
        self.cut = False  # whether the last record was cut for running on like it
        self._first = 1  # the first line of the record being read
        self.restart(0)

    def restart(self, index: int) -> None:
        """Read on from line ``index + 1``, as if the file started there (the record being
        read is dropped; iterating goes on from there)."""
        self._base, self.cut = index, False
        lines: Iterator[str] = map(self.lines.__getitem__, range(index, len(self.lines)))
        if self.stray is not None and index < self.stray[1]:
            end = self.stray[1]
            rest = map(self.lines.__getitem__, range(end, len(self.lines)))
            lines = chain(self._guarded(index, end), rest)
        self._reader = csv.reader(lines, delimiter=self.delimiter)

    def drop(self, first: int, last: int) -> None:
        """Drop line ``first``, whose quote made a stray record up to line ``last``, and
        read again from the next."""
        self.stray = (first, last)
        self.restart(first)

    def _guarded(self, index: int, end: int) -> Iterator[str]:
        """Lines ``index + 1`` to ``end``, cut where a record would go on past its first."""
        for i in range(index, end):
            if i >= self._first:  # line i + 1 of a record that started before it
                self.cut = True
                return
            yield self.lines[i]

    def __iter__(self) -> Iterator[tuple[list[str], int, int]]:
        """Each record with its first line and its last (``count + 1`` when a quote is
        open at the end of the file; for a cut record, where it would end)."""
        while True:
            reader, base = self._reader, self._base
            self._first = base + reader.line_num + 1
            try:
                for cells in reader:
                    first, last = self._first, base + reader.line_num
                    if first > self.count:  # the end mark on its own: no quote was open
                        return
                    if self.cut and self.stray is not None:
                        last = self.stray[1]
                    yield cells, first, last
                    if self._reader is not reader:
                        break  # restarted
                    self._first = base + reader.line_num + 1
                else:
                    return
            except csv.Error as exc:  # not expected: strict is off, fields are not limited
                raise InputError(
                    f"not a readable {self.delimiter!r}-separated file: {exc}",
                    self.path,
                    base + reader.line_num,
                ) from None

    def blank(self, number: int) -> bool:
        """Whether line ``number`` holds nothing but whitespace (a TSV's tab is a field)."""
        line = self.lines[number - 1]
        return not line.strip() and self.delimiter not in line

    def closes_value(self, number: int, column: int) -> bool:
        """Whether the quote opened at ``column`` of line ``number`` is closed where its
        value ends: its closing quote followed by nothing but spaces before the next
        delimiter or line end (as RFC 4180 has it; Python's csv, strict off, would go on
        with the value unquoted)."""
        quote, spaces = '"', " " if self.delimiter == "\t" else " \t"
        start = column  # just after the opening quote
        for index in range(number - 1, self.count):  # (a slice would copy the rest)
            line = self.lines[index]
            end = line.find(quote, start)
            while end >= 0 and line[end + 1 : end + 2] == quote:  # an escaped quote
                end = line.find(quote, end + 2)
            if end >= 0:
                after = line[end + 1 :].lstrip(spaces)[:1]
                return after in ("", self.delimiter, "\r", "\n")
            start = 0
        return False

    def open_quote(self, number: int) -> tuple[int, int]:
        """Where the quote still open at the end of line ``number`` opened: its column
        (in characters) and its field, both counted from 1; (0, 0) if none is open.

        Mirrors Python's csv (quote ``"``, doubled to escape, strict off): a quote opens
        a value only at its start; after the closing quote the value goes on unquoted.
        """
        line, quote, delimiter = self.lines[number - 1], '"', self.delimiter
        fields, at_start, opened, opened_field = 1, True, 0, 0
        i = 0
        while i < len(line):
            c = line[i]
            if opened:
                if c == quote and line[i + 1 : i + 2] == quote:
                    i += 1  # an escaped quote
                elif c == quote:
                    opened = opened_field = 0
            elif c == delimiter:
                fields, at_start = fields + 1, True
                i += 1
                continue
            elif c == quote and at_start:
                opened, opened_field = i + 1, fields
            at_start = False
            i += 1
        return opened, opened_field


def read_records(path: Path, text: str, delimiter: str, skip_hashtag: bool) -> Records:
    """The records of a CSV or TSV text (without BOM) after its header, line by line.

    ``skip_hashtag``: the first record after the header is skipped when it is an HXL
    hashtag row. Raises :class:`InputError` when no header can be read.
    """
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))  # sizes are checked after: cell_bytes
    try:
        lines = _Lines(path, text, delimiter)
        records = _header(lines)
        _body(lines, records, skip_hashtag)
        return records
    finally:
        csv.field_size_limit(limit)


def _header(lines: _Lines) -> Records:
    """The header: the first record that is not a blank line."""
    for cells, first, last in lines:
        if last > lines.count:
            column, _ = lines.open_quote(first)
            raise InputError(
                f"a quote opened at line {first} column {column} is never closed; the "
                "header cannot be read",
                lines.path,
                first,
                column,
            )
        if len(cells) > 1 or first < last or not lines.blank(first):
            return Records(cells, first)
    raise InputError("file is empty: expected a header line and rows", lines.path, 1)


def _body(lines: _Lines, records: Records, skip_hashtag: bool) -> None:
    """Every record after the header: read, rejected with a finding, or a blank line."""
    size = len(records.names)
    for cells, first, last in lines:
        spanning = _spanning(lines, cells, first, last, size) if last > first else None
        if spanning is not None and spanning["code"] == "unbalanced-quote":
            records.reject(spanning)
            lines.drop(first, last)  # read again from the line after the quote's
            skip_hashtag = False  # an HXL row is the first record after the header only
            continue
        if len(cells) < 2 and first == last and lines.blank(first):  # else no blank line
            continue
        if skip_hashtag:
            skip_hashtag = False
            if is_hashtag_row(cells):
                continue
        if len(cells) != size:
            records.reject(
                input_finding(
                    "ragged-row",
                    f"row has {len(cells)} fields, the header has {size}; row not read",
                    origin_row=first,
                    column=str(min(len(cells), size) + 1),
                    observed=f"{len(cells)} fields",
                    expected=f"{size} fields",
                )
            )
            continue
        if spanning is not None:
            records.problems.append(spanning)
        records.rows.append(cells)
        records.firsts.append(first)
        records.lasts.append(last)


def _spanning(
    lines: _Lines, cells: list[str], first: int, last: int, size: int
) -> dict[str, Any] | None:
    """What to say of a record over lines ``first`` to ``last``: an ``unbalanced-quote``
    (its first line is not read) when the quote that made it span lines is stray, a
    ``multiline-value`` warning when it spans too many lines, else nothing."""
    column, field_number = lines.open_quote(first)
    where = f"a quote opened at line {first} column {column}"
    if last > lines.count:
        why = "is never closed (it runs to the end of the file)"
        observed = "a quote open at the end of the file"
    elif lines.cut and lines.stray is not None:
        why = (
            f"is not closed where the value ends (like the quote of line {lines.stray[0]}, "
            f"it runs on to line {last})"
        )
        observed = f"a value over lines {first}-{last}"
    elif not lines.closes_value(first, column):
        why = (
            f"is not closed where the value ends (the quote that closes it, on line {last}, "
            "is followed by more of the value)"
        )
        observed = "text after the closing quote"
    elif len(cells) != size:
        why = (
            f"is not closed where the value ends (read on to line {last}, it makes a row "
            f"of {len(cells)} fields, the header has {size})"
        )
        observed = f"{len(cells)} fields over lines {first}-{last}"
    elif last - first >= MAX_VALUE_LINES:
        return input_finding(
            "multiline-value",
            f"a quoted value runs from line {first} to line {last} ({last - first + 1} "
            "lines) and was read as one value; if its quote is stray, close it where the "
            "value ends: the lines inside are not read as rows",
            origin_row=first,
            column=str(field_number),
            observed=f"{last - first + 1} lines",
            expected=f"at most {MAX_VALUE_LINES} lines",
        )
    else:
        return None
    return input_finding(
        "unbalanced-quote",
        f"{where} {why}; line not read",
        origin_row=first,
        column=str(field_number),
        observed=observed,
        expected=f"{size} fields, each quote closed where its value ends",
    )

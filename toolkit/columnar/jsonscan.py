"""A look at JSON's structure before it is decoded: how deep it nests and how long its
texts are, in a few passes of numpy over the bytes (no Python loop over characters).

Python's decoder recurses once per level of nesting, so a file nested some thousands deep
would end in a ``RecursionError``; and one string can hold a whole file. Both are found
here first, with the place they start, so that the reader can name it.

A JSON string never spans lines (a line break in it must be written ``\\n``), so quotes are
paired within each line: a line with a quote left open (it is not valid JSON) cannot throw
off the lines after it, which matters for JSON Lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit.columnar.raw import Data, octets

# Records are flat: a list of objects is 2 deep, records under a key a few more. 100 is far
# past any export (Ruby's JSON stops at 100 too; .NET's at 64) and far below where Python's
# decoder would run out of stack (about 1000 levels, fewer inside a deep call).
MAX_DEPTH = 100

_QUOTE, _BACKSLASH, _NEWLINE = 0x22, 0x5C, 0x0A
_DELTA = np.zeros(256, dtype=np.int8)
_DELTA[[ord("["), ord("{")]] = 1
_DELTA[[ord("]"), ord("}")]] = -1


@dataclass(frozen=True)
class Shape:
    """Where the JSON nests past :data:`MAX_DEPTH` (the byte offset of the first bracket
    past it: in the whole text, or in each line for JSON Lines) and the first string longer
    than the limit (its byte offset and length)."""

    too_deep: np.ndarray
    long_text: tuple[int, int] | None
    newlines: np.ndarray

    def place(self, data: Data, offset: int) -> tuple[int, int]:
        """Line and column (in characters) of a byte offset."""
        line = int(np.searchsorted(self.newlines, offset))
        start = int(self.newlines[line - 1]) + 1 if line else 0
        return line + 1, len(bytes(data[start:offset]).decode("utf-8", "replace")) + 1


def shape(data: Data, *, per_line: bool, text_limit: int) -> Shape:
    """Scan ``data`` (UTF-8 JSON): depth counted over the whole text, or anew on each line
    (``per_line``, JSON Lines)."""
    buf = octets(data)
    newlines = np.flatnonzero(buf == _NEWLINE)
    quotes = _unescaped(buf, np.flatnonzero(buf == _QUOTE))
    line_of_quote = np.searchsorted(newlines, quotes)
    first_in_line = np.searchsorted(line_of_quote, line_of_quote, side="left")
    opening = (np.arange(len(quotes)) - first_in_line) % 2 == 0
    long_text = _long_text(quotes, line_of_quote, opening, text_limit)

    brackets = np.flatnonzero(_DELTA[buf])
    if not len(brackets):
        return Shape(np.empty(0, dtype=np.int64), long_text, newlines)
    line_of_bracket = np.searchsorted(newlines, brackets)
    before = np.searchsorted(quotes, brackets) - 1  # the last quote before each bracket
    last = np.maximum(before, 0)
    in_text = (
        (before >= 0) & opening[last] & (line_of_quote[last] == line_of_bracket)
        if len(quotes)
        else np.zeros(len(brackets), dtype=bool)
    )
    brackets, line_of_bracket = brackets[~in_text], line_of_bracket[~in_text]
    delta = _DELTA[buf[brackets]].astype(np.int64)
    depth = np.cumsum(delta)
    if per_line and len(depth):
        first = np.searchsorted(line_of_bracket, line_of_bracket, side="left")
        depth -= (depth - delta)[first]
    deep = np.flatnonzero(depth > MAX_DEPTH)
    if per_line and len(deep):  # the first place past the limit in each line
        deep = deep[np.unique(line_of_bracket[deep], return_index=True)[1]]
    return Shape(brackets[deep if per_line else deep[:1]], long_text, newlines)


def _unescaped(buf: np.ndarray, quotes: np.ndarray) -> np.ndarray:
    """The quotes that are not escaped: those after an even run of backslashes."""
    after_backslash = quotes[(quotes > 0) & (buf[np.maximum(quotes - 1, 0)] == _BACKSLASH)]
    if not len(after_backslash):
        return quotes
    slashes = np.flatnonzero(buf == _BACKSLASH)
    starts = np.ones(len(slashes), dtype=bool)
    starts[1:] = np.diff(slashes) != 1
    run_start = np.maximum.accumulate(np.where(starts, np.arange(len(slashes)), 0))
    at = np.searchsorted(slashes, after_backslash - 1)  # the backslash just before
    escaped = (at - run_start[at] + 1) % 2 == 1
    return np.setdiff1d(quotes, after_backslash[escaped], assume_unique=True)


def _long_text(
    quotes: np.ndarray, line_of_quote: np.ndarray, opening: np.ndarray, limit: int
) -> tuple[int, int] | None:
    """The first string (between an opening quote and the next on its line) over ``limit``
    bytes: its offset and length."""
    if len(quotes) < 2:
        return None
    start, end = quotes[:-1], quotes[1:]
    closed = opening[:-1] & (line_of_quote[:-1] == line_of_quote[1:])
    length = end - start - 1
    over = np.flatnonzero(closed & (length > limit))
    if not len(over):
        return None
    return int(start[over[0]]), int(length[over[0]])

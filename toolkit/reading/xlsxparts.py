"""Parts of an .xlsx zip looked through without openpyxl, a few MiB at a time: the formula
cells of a worksheet that have no saved value, and a shared string longer than the limit
(found before openpyxl would load every shared string into memory)."""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from toolkit.columnar import octets

_CHUNK = 1 << 22
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_VALUE = re.compile(rb"<(?:\w+:)?(?:v\b[^>]*?(?:/>|>([^<]*)<)|is[\s>])")
_TEXT_TYPE = re.compile(rb'\bt=["\']str["\']')
_REF = re.compile(rb'\br="([A-Za-z]{1,3})([0-9]+)"')
_FORMULA_TEXT = re.compile(rb"<(?:\w+:)?f\b[^>]*>([^<]*)<")
_STRING_START = re.compile(rb"<(?:\w+:)?si[\s>]")
_OWN_TEXT = (b"inlineStr", b't="str"', b"t='str'")
_SHARED_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?v>([0-9]+)</")


def column_letter(number: int) -> str:
    """1 -> A, 27 -> AA.

    >>> column_letter(1), column_letter(26), column_letter(28)
    ('A', 'Z', 'AB')
    """
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """A -> 1, AB -> 28."""
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - ord("A") + 1
    return number


def _pieces(archive: zipfile.ZipFile, name: str, end: bytes) -> Iterator[bytes]:
    """The part in pieces, each cut just after an element that ends with ``end`` (a row),
    so no cell is split between two pieces."""
    parts: list[bytes] = []
    with archive.open(name) as stream:
        while chunk := stream.read(_CHUNK):
            cut = chunk.rfind(end)
            if cut < 0:
                parts.append(chunk)
                continue
            cut += len(end)
            yield b"".join([*parts, chunk[:cut]])
            parts = [chunk[cut:]]
    if parts:
        yield b"".join(parts)


@dataclass
class SheetScan:
    """What a look through a worksheet's XML found: each formula cell with no saved value
    (``(row, column)`` -> formula), and whether any cell holds its own text (an inline
    string, or a formula's text result: those are not shared strings, checked apart)."""

    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    own_text: bool = False


def scan_sheet(archive: zipfile.ZipFile, part: str) -> SheetScan:
    """Look through the worksheet ``part``. A formula cell has no saved value when its
    ``<v>`` is missing or empty (the workbook was saved without computing it), unless the
    cell is of type text (``t="str"``): an empty text is what its formula gave."""
    scan = SheetScan()
    for piece in _pieces(archive, part, b"row>"):
        scan.own_text = scan.own_text or any(t in piece for t in _OWN_TEXT)
        if b"<f" not in piece and b":f" not in piece:
            continue
        for m in _FORMULA.finditer(piece):
            end = _CELL_END.search(piece, m.end())
            value = _VALUE.search(piece, m.start(), end.start() if end else len(piece))
            start = piece.rfind(b"<", 0, m.start())
            if value and (value.group(1) or _TEXT_TYPE.search(piece, start, m.start())):
                continue
            ref = _REF.search(piece, start, m.start())
            text = _FORMULA_TEXT.match(piece, m.start())
            formula = (
                "=" + html.unescape(text.group(1).decode("utf-8", "replace"))
                if text and text.group(1)
                else "a shared formula"
            )
            at = (int(ref.group(2)), column_number(ref.group(1).decode())) if ref else (0, 0)
            scan.formulas[at] = formula
    return scan


def long_shared_string(archive: zipfile.ZipFile, name: str, limit: int) -> tuple[int, str] | None:
    """The first shared string longer than ``limit`` bytes: how long it is at least (it is
    not read past the limit), and where it is used (a cell of a worksheet) or which string
    it is."""
    before = 0  # shared strings in the pieces already looked through
    buf = b""
    with archive.open(name) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            buf += chunk
            start, size = _longest_text(buf, limit)
            if size > limit:
                index = before + len(_STRING_START.findall(buf, 0, start)) - 1
                return size, _cell_with_string(archive, index) or f"shared string #{index + 1}"
            if not chunk:
                return None
            cut = max(buf.rfind(b">"), 0)  # kept: the text after it is measured next time
            before += len(_STRING_START.findall(buf, 0, cut + 1))
            buf = buf[cut:]


def _longest_text(piece: bytes, limit: int) -> tuple[int, int]:
    """The first text (between a ``>`` and the next ``<``, or the end) over ``limit``
    bytes, else the longest: its offset and length."""
    buf = octets(piece)
    lts = np.flatnonzero(buf == ord("<"))
    gts = np.flatnonzero(buf == ord(">"))
    if not len(gts):
        return 0, 0
    ends = np.append(lts, len(buf))[np.searchsorted(lts, gts)]
    lengths = ends - gts - 1
    over = np.flatnonzero(lengths > limit)
    i = int(over[0]) if len(over) else int(np.argmax(lengths))
    return int(gts[i]) + 1, int(lengths[i])


def _cell_with_string(archive: zipfile.ZipFile, index: int) -> str | None:
    """The first cell (of any worksheet) that shows shared string ``index``."""
    wanted = str(index).encode()
    for name in sorted(archive.namelist()):
        if not re.fullmatch(r"xl/worksheets/[^/]+\.xml", name):
            continue
        for piece in _pieces(archive, name, b"row>"):
            for m in _SHARED_CELL.finditer(piece):
                ref = _REF.search(m.group(1))
                if m.group(2) == wanted and b't="s"' in m.group(1) and ref:
                    return f"cell {ref.group(1).decode()}{ref.group(2).decode()} of {name}"
    return None

"""Dates and bytes as numbers: Arrow day numbers to datetime ticks without a Python
object per row, midnights checked a slice at a time, a file's lines counted a megabyte
at a time."""

from __future__ import annotations

import mmap
from typing import Any

import numpy as np
import pandas as pd

DAY_US = np.int64(86_400_000_000)  # a day in datetime64[us] ticks


NAT_INT64 = np.iinfo(np.int64).min  # NaT as a datetime64 tick count

Data = bytes | mmap.mmap  # a file's bytes as the readers hold them (mapped, or read)


def is_arrow_date(dtype: object) -> bool:
    """Whether a column holds Arrow dates (date32: as a CSV's ISO dates are read)."""
    import pyarrow as pa

    return isinstance(dtype, pd.ArrowDtype) and pa.types.is_date32(dtype.pyarrow_dtype)


def whole_days(dates: pd.Series) -> pd.Series:
    """Arrow dates as ``datetime64[us]`` at midnight (NaT where missing).

    Written chunk by chunk from the day numbers into one new array; pandas' own cast goes
    through a Python object per row, about 400 times slower.
    """
    import pyarrow as pa

    days = pa.array(dates.array)
    chunks = days.chunks if isinstance(days, pa.ChunkedArray) else [days]
    out = np.empty(len(dates), dtype="datetime64[us]")
    ticks = out.view(np.int64)
    first = 0
    for chunk in chunks:
        n = len(chunk)
        if not n:
            continue
        numbers = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset :][:n]
        np.multiply(numbers, DAY_US, out=ticks[first : first + n], dtype=np.int64)
        if chunk.null_count:
            ticks[first : first + n][chunk.is_null().to_numpy(zero_copy_only=False)] = NAT_INT64
        first += n
    return pd.Series(out, index=dates.index, name=dates.name, copy=False)


def at_midnight(dates: pd.Series) -> pd.Series:
    """Dates (datetime64[us]) at midnight; a column that is already (the usual case) is
    not rewritten. Checked a slice at a time in one small buffer: whole-column
    temporaries would cost more than the check."""
    ticks = dates.to_numpy().view(np.int64)
    step = 1 << 16
    rest = np.empty(min(step, len(ticks)), dtype=np.int64)
    for start in range(0, len(ticks), step):
        chunk = ticks[start : start + step]
        left = rest[: len(chunk)]
        np.remainder(chunk, DAY_US, out=left)
        if left[chunk != NAT_INT64].any():
            normalized: pd.Series = dates.dt.normalize()
            return normalized
    return dates


def octets(data: Any) -> np.ndarray:
    """A bytes-like object (bytes, mmap) as uint8, without a copy."""
    return np.frombuffer(data, dtype=np.uint8)


def count_lines(data: Any) -> int:
    """Lines in a file's bytes (a last line without a newline counts).

    Compared a megabyte at a time into one small buffer: a whole-file comparison would
    allocate a mask as large as the file, and fresh memory is what costs most here.

    >>> count_lines(b"a\\nb\\n"), count_lines(b"a\\nb")
    (2, 2)
    """
    view = octets(data)
    step = 1 << 20
    hits = np.empty(min(step, len(view)), dtype=bool)
    newlines = 0
    for start in range(0, len(view), step):
        chunk = view[start : start + step]
        np.equal(chunk, ord("\n"), out=hits[: len(chunk)])
        newlines += int(np.count_nonzero(hits[: len(chunk)]))
    return newlines + int(len(data) > 0 and data[-1:] != b"\n")


def is_blank(data: Any) -> bool:
    """Whether a file's bytes are only whitespace (or nothing), after a byte-order mark.

    >>> is_blank(b"\\xef\\xbb\\xbf \\r\\n"), is_blank(" \\n".encode("utf-16"))
    (True, True)
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16: whitespace has zero bytes
        if bytes(data[:65536]).decode("utf-16", errors="replace").strip():
            return False
        return len(data) <= 65536 or not bytes(data).decode("utf-16", errors="replace").strip()
    start = 3 if data[:3] == b"\xef\xbb\xbf" else 0
    if bytes(data[start:65536]).strip():
        return False
    return len(data) <= 65536 or bool(np.isin(octets(data)[start:], list(b" \t\r\n\f\v")).all())


def count_text_lines(data: Any) -> int:
    """Lines in a file's bytes as an editor shows them: each LF, CRLF or bare CR (an old
    Mac line end) ends one, and a last line without an end counts.

    A file without a CR costs one ``find`` more than :func:`count_lines`; one with CRs is
    compared a megabyte at a time, as there.

    >>> count_text_lines(b"a\\rb\\r\\nc\\n\\rd"), count_text_lines(b"a\\r")
    (5, 1)
    """
    lines = count_lines(data)
    if data.find(b"\r") < 0:
        return lines
    view = octets(data)
    step = 1 << 20
    crs = np.empty(min(step, len(view)), dtype=bool)
    lfs = np.empty_like(crs)
    bare = 0
    for start in range(0, len(view), step):
        chunk = view[start : start + step]
        after = view[start + 1 : start + step + 1]  # the byte after each (one fewer at the end)
        np.equal(chunk, ord("\r"), out=crs[: len(chunk)])
        bare += int(np.count_nonzero(crs[: len(chunk)]))
        np.equal(after, ord("\n"), out=lfs[: len(after)])
        np.logical_and(crs[: len(after)], lfs[: len(after)], out=lfs[: len(after)])
        bare -= int(np.count_nonzero(lfs[: len(after)]))
    return lines + bare - int(data[-1:] == b"\r")  # a last bare CR ends the line counted

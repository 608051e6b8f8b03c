"""What the readers share about size: the words of an error past one of the suite's
``limits:``, and a gzip stream inflated no further than the limit allows."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from toolkit.errors import InputError
from toolkit.suite.settings import Limits

_CHUNK = 1 << 24  # inflate 16 MiB at a time: memory stays bounded by the limit


def human(size: int) -> str:
    """A size as people read it: ``1 MiB``, ``2.5 GiB``, ``300 bytes``; a size below 10 MiB
    that is no whole number of its unit in bytes, so that it never reads as a limit it is
    past (``1,048,577 bytes``, not ``1 MiB``).

    >>> human(1 << 20), human(5 << 29), human(300), human((1 << 20) + 1)
    ('1 MiB', '2.5 GiB', '300 bytes', '1,048,577 bytes')
    """
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            if size % (1 << shift) == 0:
                return f"{size >> shift} {unit}"
            if size < 10 << 20:
                break
            return f"{size / (1 << shift):.3g} {unit}"
    return f"{size:,} bytes"


def past_limit(
    path: Path,
    what: str,
    name: str,
    limit: int,
    line: int | None = None,
    column: int | None = None,
    size: int | None = None,
) -> InputError:
    """The error for ``what`` (a phrase that says how much) past ``limits.<name>``; with
    the ``size`` found, it suggests a limit that reads the file (a power of two, in MiB)."""
    enough = "…"
    if size is not None:
        mib = 1
        while mib << 20 < size:
            mib *= 2
        enough = human(mib << 20)
    return InputError(
        f"{what}: past the limit of {human(limit)} ({name}). If the file is trusted, "
        f"raise the limit in suite.yaml: 'limits: {{{name}: {enough}}}'",
        path,
        line,
        column,
    )


def gunzip(path: Path, limits: Limits) -> bytes:
    """A .gz file's content, inflated in a stream that stops once past
    ``limits.inflated_bytes`` (a small file can inflate to far more than memory holds)."""
    chunks: list[bytes] = []
    total = 0
    try:
        with gzip.open(path, "rb") as stream:
            while chunk := stream.read(min(_CHUNK, limits.inflated_bytes + 1 - total)):
                chunks.append(chunk)
                total += len(chunk)
                if total > limits.inflated_bytes:
                    what = f"the .gz file inflates to more than {human(limits.inflated_bytes)}"
                    raise past_limit(path, what, "inflated_bytes", limits.inflated_bytes)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        why = "it ends too soon (truncated?)" if isinstance(exc, EOFError) else str(exc)
        raise InputError(f"not a valid gzip file: {why}", path) from None
    return b"".join(chunks)

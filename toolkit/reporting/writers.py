"""Writing outputs to disk: atomically (a temporary file beside the target, then renamed,
so a reader never sees half a report and two runs never interleave), CSV that is safe to
open in a spreadsheet, Parquet, JSON. A path that cannot be written is an
:class:`~toolkit.errors.OutputError` naming it."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from toolkit.errors import OutputError

# Cells a spreadsheet would run as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that start like a formula with ``'`` so spreadsheets show them as text.

    >>> neutralise(pd.DataFrame({"a": ["=1+1", "ok", "-2"]}))["a"].tolist()
    ["'=1+1", 'ok', "'-2"]
    """
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if col.dtype == "str" or col.dtype == object:
            text = col.astype("str")
            risky = text.str.startswith(_FORMULA_START).fillna(False).astype(bool)
            if risky.any():
                out[c] = text.where(~risky, "'" + text)
    return out


@contextlib.contextmanager
def atomic(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write; renamed onto ``path`` when the block
    ends without an error (removed otherwise). Folders are created as needed."""
    target = Path(path)
    if target.is_dir():
        raise OutputError("is a folder: name a file to write", target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create its folder: {exc.strerror or exc}", target) from None
    # created by the writer itself, so it gets the usual permissions (umask), not 0600
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        yield temporary
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise OutputError(f"cannot write here: {exc.strerror or exc}", target) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_with(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(temporary)`` and move the result onto ``path`` (see :func:`atomic`)."""
    with atomic(path) as temporary:
        write(temporary)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text to ``path``, atomically."""
    return write_with(path, lambda t: t.write_text(text, encoding="utf-8"))


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as .csv (neutralised), .parquet or .json (records), by the suffix."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".parquet", ".json"):
        raise OutputError(f"write .csv, .parquet or .json, not {suffix or 'no suffix'!r}", p)
    if suffix == ".csv":
        return write_with(
            p, lambda t: neutralise(df).to_csv(t, index=False, date_format="%Y-%m-%d")
        )
    if suffix == ".parquet":
        return write_with(p, lambda t: df.to_parquet(t, index=False))
    return write_with(
        p,
        lambda t: df.to_json(t, orient="records", date_format="iso", indent=1, force_ascii=False),
    )


def write_json(path: str | Path, **tables: pd.DataFrame) -> Path:
    """Write several tables as one JSON object: ``{"name": [records...], ...}``.

    Dates are ISO 8601; infinite bounds ("at least 128" has no upper bound) are null.
    """
    p = Path(path)
    if p.suffix.lower() != ".json":
        raise OutputError("the --json output must end in .json", p)
    parts = [
        f'"{name}": ' + df.to_json(orient="records", date_format="iso", indent=1, force_ascii=False)
        for name, df in tables.items()
    ]
    return write_text(p, "{\n" + ",\n".join(parts) + "\n}\n")

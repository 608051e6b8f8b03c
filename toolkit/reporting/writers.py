"""Writing outputs to disk: atomically (a temporary file beside the target, then renamed,
so a reader never sees half a report and two runs never interleave), CSV that is safe to
open in a spreadsheet, Parquet, JSON. A path that cannot be written is an
:class:`~toolkit.errors.OutputError` naming it."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TextIO

import pandas as pd

from toolkit.errors import OutputError

# Cells a spreadsheet would run as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells (and column names) that start like a formula with ``'`` so
    spreadsheets show them as text.

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
    # headers too: a column may be named after a source (``Comparison.by_source``)
    return out.rename(columns=lambda c: f"'{c}" if str(c).startswith(_FORMULA_START) else c)


TABLE_SUFFIXES = (".csv", ".parquet", ".json", ".jsonl")


def check_target(path: str | Path, suffixes: tuple[str, ...] | None = None) -> Path:
    """``path`` if an output can be written there as far as can be told before writing:
    a name (not empty, not a folder), one of ``suffixes`` (when given), and no file where
    a folder of its path should be. Lets a command refuse before a long run, not after.

    >>> check_target("report.html").name
    'report.html'
    >>> check_target("table.txt", TABLE_SUFFIXES)
    Traceback (most recent call last):
    toolkit.errors.OutputError: table.txt: write .csv, .parquet, .json or .jsonl, not '.txt'
    """
    if not str(path):
        raise OutputError("an empty path: name a file to write", "''")
    if "\0" in str(path):
        raise OutputError("a NUL character in the path", repr(str(path)))
    target = Path(path)
    suffix = target.suffix.lower()
    if suffixes is not None and suffix not in suffixes:
        wanted = ", ".join(suffixes[:-1]) + f" or {suffixes[-1]}" if len(suffixes) > 1 else ""
        raise OutputError(f"write {wanted or suffixes[0]}, not {suffix or 'no suffix'!r}", target)
    if _is_dir(target):
        raise OutputError("is a folder: name a file to write", target)
    blocking = _file_in_the_way(target)
    if blocking is not None:
        raise OutputError(f"cannot create its folder: {blocking} is a file", target)
    return target


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # cannot be looked at: writing will say why
        return False


def _file_in_the_way(target: Path) -> Path | None:
    """The nearest existing ancestor of ``target`` when it is not a folder (None when it
    cannot be looked at: writing will say why)."""
    try:
        for parent in target.parents:
            if parent.exists():
                return None if parent.is_dir() else parent
    except OSError:
        pass
    return None


@contextlib.contextmanager
def atomic(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write; renamed onto ``path`` when the block
    ends without an error (removed otherwise). Folders are created as needed.

    The temporary file is hidden (``.NAME.PID.RANDOM.tmp``), so a run killed while writing
    leaves the previous output whole and, at worst, a hidden file beside it; the file and
    its folder are synced to disk before and after the rename. A symbolic
    link is followed (the file it names is replaced, the link stays); a target that is not
    a regular file (a FIFO, ``/dev/stdout``) cannot be replaced, so it is written directly.
    Every ``OSError`` (permission, a folder or a file in the way, a full disk) is an
    :class:`~toolkit.errors.OutputError` naming ``path``.
    """
    given = check_target(path)
    try:
        kind = os.stat(given).st_mode
    except OSError:  # not there yet (or a link to nowhere): a new file
        kind = stat.S_IFREG
    if not stat.S_ISREG(kind):  # a stream: nothing to rename onto
        with _as_output_error(given, None):
            yield given
        return
    target = Path(os.path.realpath(given))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create its folder: {_reason(exc)}", given) from None
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    with _as_output_error(given, temporary):
        # created here (exclusively, with the usual permissions) so the writer's own
        # errors are about writing, and keeps the mode of the file it replaces
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        if target.is_file():
            shutil.copymode(target, temporary)
        yield temporary
        _sync(temporary)  # the bytes reach the disk before the name does
        os.replace(temporary, target)
        _sync(target.parent)  # and the new name itself


def _sync(path: Path) -> None:
    """fsync a file or a folder, where the system allows it (not every one lets a folder
    be opened): without it a crash after the rename can leave an empty report."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def _as_output_error(path: Path, temporary: Path | None) -> Iterator[None]:
    """Turn an ``OSError`` into an :class:`OutputError` naming ``path`` (never the
    temporary file); remove the temporary file on any error."""
    try:
        yield
    except OSError as exc:
        _remove(temporary)
        reason = _reason(exc)
        if temporary is not None:
            reason = reason.replace(str(temporary), str(path))
        raise OutputError(f"cannot write here: {reason}", path) from None
    except BaseException:
        _remove(temporary)
        raise


def _remove(temporary: Path | None) -> None:
    if temporary is not None:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or exc)


def write_with(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(temporary)`` and move the result onto ``path`` (see :func:`atomic`)."""
    with atomic(path) as temporary:
        write(temporary)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text to ``path``, atomically."""
    return write_with(path, lambda t: t.write_text(text, encoding="utf-8"))


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as .csv (neutralised), .parquet, .json (records) or .jsonl (a record a
    line), by the suffix."""
    p = check_target(path, TABLE_SUFFIXES)
    suffix = p.suffix.lower()
    if suffix == ".jsonl":
        return write_with(p, lambda t: json_lines(df, t))
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


def json_lines(df: pd.DataFrame, target: str | Path, append: bool = False) -> None:
    """``df`` as JSON Lines (a record a line, dates ISO, text as UTF-8) into ``target``."""
    text = (
        ""
        if df.empty
        else df.to_json(orient="records", lines=True, date_format="iso", force_ascii=False)
    )
    with open(target, "a" if append else "w", encoding="utf-8") as f:
        f.write(text if text.endswith("\n") or not text else text + "\n")


def write_json(path: str | Path, **tables: pd.DataFrame | Mapping[str, int]) -> Path:
    """Write several tables as one JSON object: ``{"name": [records...], ...}``; a mapping
    (counts by name) as an object.

    Dates are ISO 8601; infinite bounds ("at least 128" has no upper bound) are null.
    """
    p = check_target(path, (".json",))
    parts = [
        f"{json.dumps(name)}: "
        + (
            df.to_json(orient="records", date_format="iso", indent=1, force_ascii=False)
            if isinstance(df, pd.DataFrame)
            else json.dumps({str(k): int(v) for k, v in df.items()}, indent=1, ensure_ascii=False)
        )
        for name, df in tables.items()
    ]
    return write_text(p, "{\n" + ",\n".join(parts) + "\n}\n")


def _records(df: pd.DataFrame) -> str:
    text: str = df.to_json(orient="records", date_format="iso", indent=1, force_ascii=False)
    return text


def _array(frames: Iterable[pd.DataFrame], out: TextIO) -> None:
    """Frames one after another as one JSON array of records (each frame's records
    written as it comes, none held after)."""
    out.write("[")
    first = True
    for frame in frames:
        body = _records(frame).strip()[1:-1].strip("\n") if len(frame) else ""
        if body:
            out.write(("\n" if first else ",\n") + body)
            first = False
    out.write("]" if first else "\n]")


def write_json_parts(
    path: str | Path,
    tables: Mapping[str, pd.DataFrame | Mapping[str, int] | Iterable[pd.DataFrame]],
) -> Path:
    """:func:`write_json`'s object, its tables given whole (a frame), as counts (a
    mapping) or as frames one after another (an iterable of frames, e.g. the parts of a
    cluster's table, each written as it comes): into a temporary file beside ``path``,
    renamed when whole (removed on any error)."""
    p = check_target(path, (".json",))

    def write(temporary: Path) -> None:
        with open(temporary, "w", encoding="utf-8") as out:
            out.write("{\n")
            for i, (name, table) in enumerate(tables.items()):
                out.write((",\n" if i else "") + f"{json.dumps(name)}: ")
                if isinstance(table, pd.DataFrame):
                    out.write(_records(table))
                elif isinstance(table, Mapping):
                    counts = {str(k): int(v) for k, v in table.items()}
                    out.write(json.dumps(counts, indent=1, ensure_ascii=False))
                else:
                    _array(table, out)
            out.write("\n}\n")

    return write_with(p, write)

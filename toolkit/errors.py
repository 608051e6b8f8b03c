"""The one exception hierarchy of crosscheck.

::

    CrosscheckError            misuse or input crosscheck cannot work with (exit code 2)
    ├── InputError             an export cannot be read at all: names file, line, column
    └── SuiteError             a suite file (taxonomy, profile, rules) is wrong

Problems inside a readable export are not exceptions: they are ``input`` findings.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class CrosscheckError(Exception):
    """Base class of every error crosscheck raises on purpose."""


def _where(path: str | Path | None, line: int | None, column: int | str | None) -> str:
    parts = [str(path)] if path is not None else []
    if line is not None:
        parts.append(str(line))
        if column is not None:
            parts.append(str(column))
    return ":".join(parts)


class InputError(CrosscheckError):
    """An export that cannot be read at all.

    The message starts with ``file:line:column`` (as far as known) so editors and CI can
    jump to it.
    """

    def __init__(
        self,
        message: str,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.column = column
        where = _where(path, line, column)
        super().__init__(f"{where}: {message}" if where else message)


class SuiteError(CrosscheckError):
    """A suite file that is missing, malformed or contradicts itself."""

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.path = None if path is None else str(path)
        super().__init__(f"{path}: {message}" if path is not None else message)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest candidate, or ``""``.

    >>> did_you_mean("kiled", ["killed", "injured"])
    " Did you mean 'killed'?"
    """
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""

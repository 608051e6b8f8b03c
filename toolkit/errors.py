"""The one exception hierarchy of crosscheck.

::

    CrosscheckError            misuse or input crosscheck cannot work with (exit code 2)
    ├── InputError             an export cannot be read at all: names file, line, column
    │   └── NotATable          a well-formed file that holds no records (one JSON object)
    ├── SuiteError             a suite file (taxonomy, profile, rules, settings) is wrong
    │   └── RuleError          a rule cannot run on this table (a column it names is missing)
    ├── NotAFiguresTable       a DataFrame without the figures table's columns
    ├── NotFound               an incident or measure a result does not hold (a KeyError)
    └── OutputError            a report or table cannot be written where asked

Problems inside a readable export are not exceptions: they are ``input`` findings. A suite
that still works but uses an old key gets a :class:`SuiteWarning`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class CrosscheckError(Exception):
    """Base class of every error crosscheck raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled as it stands (message and attributes), not by calling __init__ again: an
        # error raised on a Dask worker reaches the command line whole
        return (_rebuilt, (type(self), self.args, self.__dict__))


def _rebuilt(cls: type[CrosscheckError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


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
        self.reason = message
        where = _where(path, line, column)
        super().__init__(f"{where}: {message}" if where else message)


class NotATable(InputError):
    """A well-formed file that holds no table of records (one JSON object, a list of
    numbers): not an export. In a folder, a file no profile claims that is one is left
    unread with a warning, as any other stray file is."""


class SuiteError(CrosscheckError):
    """A suite file that is missing, malformed or contradicts itself."""

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.path = None if path is None else str(path)
        super().__init__(f"{path}: {message}" if path is not None else message)


class RuleError(SuiteError):
    """A rule that cannot run on the figures table it is given (names the rule)."""

    def __init__(self, rule: str, message: str, path: str | Path | None = None) -> None:
        self.rule = rule
        super().__init__(f"rule {rule!r}: {message}", path)


class NotAFiguresTable(CrosscheckError):
    """A frame without the figures table's columns."""


class NotFound(CrosscheckError, KeyError):
    """An incident or measure a result does not hold (a ``KeyError`` too)."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


class OutputError(CrosscheckError):
    """An output (report, table, crosswalk) that cannot be written where it was asked."""

    def __init__(self, message: str, path: str | Path) -> None:
        self.path = str(path)
        super().__init__(f"{path}: {message}")


class HistoryError(CrosscheckError):
    """A history database that cannot be opened, reached or read (a newer schema, a URL
    that is none); its URL is shown without its password."""


class SuiteWarning(UserWarning):
    """A suite that works but should be changed (an old key, renamed)."""


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``name`` (by spelling, then ignoring case), or None.

    >>> closest("kiled", ["killed", "injured"]), closest("Measure", ["measure"])
    ('killed', 'measure')
    """
    pool = [str(c) for c in candidates]
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if close:
        return close[0]
    lowered = {c.lower(): c for c in pool}
    return lowered.get(name.lower())


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest candidate, or ``""``.

    >>> did_you_mean("kiled", ["killed", "injured"])
    " Did you mean 'killed'?"
    """
    close = closest(name, candidates)
    return f" Did you mean {close!r}?" if close else ""


def quoted(value: object) -> str:
    """A value as a message quotes it: its repr, at most 60 characters (a huge whole number
    is named, not spelled out).

    >>> quoted("x" * 70)[-6:], quoted(10**400)
    ('xxx...', 'a huge number')
    """
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**50 else "a huge number"
    return text if len(text) <= 60 else text[:57] + "..."

"""GitHub Actions workflow commands for findings: ``::error file=F,line=N::message``.

Escaping follows GitHub's toolkit (``@actions/core`` ``command.ts``): in the message,
``%``, CR and LF; in properties also ``:`` and ``,``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd

from toolkit.reporting.terminal import plain

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _tuples(df: pd.DataFrame) -> Iterator[Any]:
    """Rows as named tuples (typed loosely: columns hold any value)."""
    return df.itertuples(index=False)


def escape_data(text: str) -> str:
    """GitHub's escaping of a message; other control characters (an escape sequence, a
    bidirectional override) become ``?`` (see :func:`~toolkit.reporting.terminal.plain`).

    >>> escape_data("50%\\r\\n::error::x\\x1b[2J\\u202e")
    '50%25%0D%0A::error::x?[2J?'
    """
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return plain(escaped)


def escape_property(text: str) -> str:
    """:func:`escape_data`, and ``:`` and ``,`` (which end a property).

    >>> escape_property("a,b:c%")
    'a%2Cb%3Ac%25'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(findings: pd.DataFrame) -> Iterator[str]:
    """One workflow command per finding, worst first.

    >>> f = pd.DataFrame([{"severity": "error", "origin_file": "a.csv", "origin_row": 3,
    ...     "rule": "x <= y", "kind": "rule", "message": "50% over, see: it"}])
    >>> next(workflow_commands(f))
    '::error file=a.csv,line=3,title=rule%3A x <= y::50%25 over, see: it'
    """
    for f in _tuples(findings):
        props = []
        if isinstance(f.origin_file, str) and f.origin_file:
            props.append(f"file={escape_property(f.origin_file)}")
            if pd.notna(f.origin_row):
                props.append(f"line={int(f.origin_row)}")
        props.append(f"title={escape_property(f'{f.kind}: {f.rule}')}")
        level = _LEVEL.get(str(f.severity), "notice")
        yield f"::{level} {','.join(props)}::{escape_data(str(f.message))}"

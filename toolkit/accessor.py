"""``df.crosscheck``: a figures table's checks, comparison and charts, from the frame.

Registered when pandas and toolkit are both imported (in either order)::

    >>> import toolkit as cc
    >>> figures = cc.read("fixtures/al-qaryatayn")
    >>> figures.crosscheck.check().ok
    True
    >>> figures.crosscheck.compare().conflicts.empty
    True
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from toolkit import figures as ft
from toolkit.errors import CrosscheckError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from toolkit.checking import CheckResult
    from toolkit.comparison import Comparison
    from toolkit.suite import Suite


class NotAFiguresTable(CrosscheckError):
    """A frame without the figures table's columns."""


def missing_columns(df: pd.DataFrame) -> str | None:
    """The message for a frame that is not a figures table, or None when it is one."""
    missing = [c for c in ft.REQUIRED if c not in df.columns]
    if not missing:
        return None
    present = [str(c) for c in df.columns]
    parts = []
    for c in missing:
        close = difflib.get_close_matches(c, present, n=1, cutoff=0.6)
        if not close:
            lowered = {p.lower(): p for p in present}
            close = [lowered[c]] if c in lowered else []
        parts.append(f"{c!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return (
        "not a figures table: missing column"
        + ("s " if len(parts) > 1 else " ")
        + ", ".join(parts)
        + ". Read exports with cc.read(...) to get one."
    )


@pd.api.extensions.register_dataframe_accessor("crosscheck")
class CrosscheckAccessor:
    """``df.crosscheck.check()``, ``.compare()``, ``.plot(incident)``, ``.intervals()``."""

    def __init__(self, df: pd.DataFrame) -> None:
        problem = missing_columns(df)
        if problem:
            raise NotAFiguresTable(problem)
        self._df = df

    def check(self, suite: str | Path | Suite | None = None, engine: str = "native") -> CheckResult:
        """:func:`toolkit.check` on this table."""
        from toolkit.checking import check

        return check(self._df, suite, engine=engine)

    def compare(self, as_of: object = None, suite: str | Path | Suite | None = None) -> Comparison:
        """:func:`toolkit.compare` on this table."""
        from toolkit.comparison import compare

        return compare(self._df, suite, as_of=as_of)

    def plot(self, incident: str, **kwargs: Any) -> Figure:
        """One incident's figures side by side per source (a matplotlib Figure)."""
        return self.compare().plot(incident, **kwargs)

    def intervals(self, suite: str | Path | Suite | None = None) -> pd.DataFrame:
        """Each figure as the interval it stands for: ``low`` and ``high`` (floats, ``inf``
        for "at least"), aligned with the table."""
        from toolkit.qualifiers import intervals
        from toolkit.suite import suite_for

        the_suite = suite_for(self._df, suite)
        lo, hi = intervals(self._df, float(the_suite.compare["about_tolerance"]))
        return pd.DataFrame({"low": lo, "high": hi}, index=self._df.index)

"""``df.crosscheck``: a figures table's checks, comparison and charts, from the frame.

Registered when crosscheck has pandas (see ``toolkit``'s docstring)::

    >>> import toolkit as cc
    >>> figures = cc.read("fixtures/al-qaryatayn")
    >>> figures.crosscheck.check().ok
    True
    >>> figures.crosscheck.compare().conflicts.empty
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from toolkit.model import figures as ft

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from toolkit.comparing import Comparison
    from toolkit.pipeline import CheckResult
    from toolkit.suite import Suite


@pd.api.extensions.register_dataframe_accessor("crosscheck")
class CrosscheckAccessor:
    """``df.crosscheck.check()``, ``.compare()``, ``.plot(incident)``, ``.intervals()``."""

    def __init__(self, df: pd.DataFrame) -> None:
        self._df = ft.require(df)

    def check(
        self, suite: str | Path | Suite | None = None, engine: Literal["native", "gx"] = "native"
    ) -> CheckResult:
        """:func:`toolkit.checking` on this table."""
        from toolkit.pipeline import check

        return check(self._df, suite, engine=engine)

    def compare(
        self,
        as_of: object = None,
        suite: str | Path | Suite | None = None,
        over_time: bool | None = None,
    ) -> Comparison:
        """:func:`toolkit.comparing` on this table (``over_time``: every report date too)."""
        from toolkit.pipeline import compare

        return compare(self._df, suite, as_of=as_of, over_time=over_time)

    def plot(self, incident: str, **kwargs: Any) -> Figure:
        """One incident's figures side by side per source (a matplotlib Figure)."""
        return self.compare().plot(incident, **kwargs)

    def intervals(self, suite: str | Path | Suite | None = None) -> pd.DataFrame:
        """Each figure as the interval it stands for: ``low`` and ``high`` (floats, ``inf``
        for "at least"), aligned with the table."""
        from toolkit.model.intervals import intervals
        from toolkit.suite import suite_for

        the_suite = suite_for(self._df, suite)
        lo, hi = intervals(self._df, the_suite.compare.about_tolerance)
        return pd.DataFrame({"low": lo, "high": hi}, index=self._df.index)

"""Reports: charts (matplotlib), the self-contained HTML report, JUnit XML, annotations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from toolkit.checking import CheckResult


def report(
    result: CheckResult,
    path: str | Path,
    figures: pd.DataFrame | None = None,
    *,
    fail_on: str = "error",
    charts: int = 10,
    title: str | None = None,
) -> Path:
    """Write the self-contained HTML report of a check.

    Parameters
    ----------
    result
        What :func:`toolkit.check` returned.
    path
        The ``.html`` file to write (its folder is created).
    figures
        The figures table checked (for per-file counts and citations); by default the
        one the comparison holds.
    fail_on
        The severity the report's exit status is computed at.
    charts
        How many incidents get a chart, worst first (tables list all).
    title
        Defaults to the suite's name.

    Examples
    --------
    >>> import tempfile, toolkit as cc
    >>> figures = cc.read("fixtures/al-qaryatayn")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = cc.report(cc.check(figures), f"{tmp}/report.html", figures)
    ...     "<!doctype html>" in path.read_text()
    True
    """
    from toolkit.reporting import html

    return html.write(result, path, figures, fail_on=fail_on, charts=charts, title=title)

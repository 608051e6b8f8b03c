"""Report stage: how a run's result reaches people and machines.

``console`` prints the terminal summary, ``html`` writes the self-contained report (its
template in ``templates/``, charts by ``charts``), ``notebook`` is how results show
themselves in Jupyter, ``junit`` and ``github`` speak to CI, ``writers`` put tables on disk
(atomically, spreadsheet-safe). The report reuses what the run computed; it runs no stage.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from toolkit.pipeline import CheckResult


def report(
    result: CheckResult,
    path: str | Path,
    *,
    fail_on: str = "error",
    charts: int = 10,
    title: str | None = None,
    max_findings: int = 200,
) -> Path:
    """Write the self-contained HTML report of a check.

    Parameters
    ----------
    result
        What :func:`toolkit.checking` returned: the report shows it as it is.
    path
        The ``.html`` file to write (its folder is created; written atomically).
    fail_on
        The severity the report's exit status is computed at.
    charts
        How many incidents get a chart, worst first.
    title
        Defaults to the suite's name.
    max_findings
        Rows the report lists per rule and severity (and per group in its other tables:
        status, direction, sources), worst first; the rest are counted, with a pointer to
        ``result.findings`` and the CSV/JSON, which always hold every row.

    Examples
    --------
    >>> import tempfile, toolkit as cc
    >>> result = cc.check("fixtures/al-qaryatayn")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = cc.report(result, f"{tmp}/report.html")
    ...     "<!doctype html>" in path.read_text()
    True
    """
    from toolkit.reporting import html

    return html.write(
        result, path, fail_on=fail_on, charts=charts, title=title, max_findings=max_findings
    )

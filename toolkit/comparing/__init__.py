"""Compare stage: the outlets' figures for one incident and measure, side by side, as
intervals.

Each figure is an interval from its qualifier (``at least 128`` is [128, inf), ``about 200``
is 200 ± the suite's tolerance). For each incident and measure, each source's latest
figure (as of a date) is compared with the others' (``latest``): sources agree when their
intervals have a common point, and the consensus is that intersection; when they do not, a
source whose interval misses every point where most sources agree is an outlier
(``consensus``). The result (``result``) builds its tables, findings (``findings``),
revisions (``revisions``) and scorecard (``scorecard``) from those arrays.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from toolkit.comparing.explaining import explain
from toolkit.comparing.latest import Coded, code_figures, latest_figures
from toolkit.comparing.result import Comparison, compared_core, comparison_table
from toolkit.errors import CrosscheckError
from toolkit.model import figures as ft
from toolkit.model.derived import derive_wholes
from toolkit.suite import Suite

__all__ = ["Comparison", "as_of_date", "compare_figures"]


def as_of_date(as_of: object) -> pd.Timestamp | None:
    """A date given by a user (``"2017-10-23"``), or None; anything else is an error."""
    if as_of is None:
        return None
    problem = CrosscheckError(f"as of {as_of!r}: not a date (use YYYY-MM-DD)")
    try:
        stamp = pd.Timestamp(as_of)  # type: ignore[arg-type]
    except (ValueError, TypeError) as e:
        raise problem from e
    if pd.isna(stamp):
        raise problem
    return stamp


def compare_figures(
    figures: pd.DataFrame,
    suite: Suite,
    as_of: object = None,
    findings: pd.DataFrame | None = None,
    over_time: bool | None = None,
) -> Comparison:
    """Compare the sources' figures for every incident and measure.

    Parameters
    ----------
    figures
        A figures table, its incidents linked across sources.
    suite
        Its ``compare`` settings give the tolerance of "about", the wide-spread threshold
        and the window after which a figure is stale; its taxonomy the definition notes.
    as_of
        A date: each source's latest figure published on or before it (undated figures
        are then left out). ``None``: each source's latest figure; an undated figure
        counts as older than any dated one.
    findings
        The check's findings, for the scorecard's count of rule findings per source.
    over_time
        Also compare every report date on which two or more sources have a current
        figure (:attr:`Comparison.series`): its episodes of conflict and lags join the
        findings. ``None``: as the suite says (``compare: {over_time: true}``). With
        ``as_of``, the dates up to it.

    Examples
    --------
    >>> import toolkit as cc
    >>> from toolkit.suite import load_suite
    >>> suite = load_suite("fixtures/al-qaryatayn/expectations")
    >>> comparison = compare_figures(cc.read("fixtures/al-qaryatayn"), suite)
    >>> row = comparison.table.set_index(["incident", "measure"]).loc[
    ...     ("al-qaryatayn-2017", "killed.civilians")]
    >>> row["status"], int(row["sources"]), float(row["consensus_low"]), bool(row["wide_spread"])
    ('agree', 4, 128.0, True)
    """
    when = as_of_date(as_of)
    tolerance = suite.compare.about_tolerance
    figures = ft.conform(figures.reset_index(drop=True))
    figures = derive_wholes(figures, suite.taxonomy, tolerance, suite.compare.match_days)
    coded = code_figures(figures, tolerance)
    latest = latest_figures(coded, when, suite)
    core = compared_core(coded, latest, suite)
    explained = explain(core, figures, suite)
    series = None
    if suite.compare.over_time if over_time is None else over_time:
        from toolkit.comparing.over_time import compare_series

        series = compare_series(_up_to(coded, when), figures, suite)
    return Comparison(
        table=comparison_table(core, suite, explained),
        figures=figures,
        suite=suite,
        core=core,
        as_of=when,
        check_findings=findings,
        series=series,
        explained=explained,
    )


def _up_to(coded: Coded, when: pd.Timestamp | None) -> Coded:
    """The figures reported on or before ``when`` (all where None): the others' dates are
    marked missing, so the series leaves them out as the latest comparison does."""
    if when is None:
        return coded
    later = coded.dates > when.to_datetime64().astype("datetime64[us]")
    if not later.any():
        return coded
    return replace(coded, dates=np.where(later, np.datetime64("NaT", "us"), coded.dates))

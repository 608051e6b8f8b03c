"""The comparison over time as a result: per incident x measure x report date (``table``),
per source on each of those dates (``latest``), the runs of dates in conflict
(``episodes``), the sources that give the others' figures days late (``lags``), their
findings, and charts."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

from toolkit.comparing.latest import Coded
from toolkit.comparing.result import (
    Core,
    compared_core,
    comparison_table,
    latest_frame,
    shown_texts,
)
from toolkit.comparing.series import Aligned, align
from toolkit.suite import Suite

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class Series:
    """The sources compared on every report date (see :mod:`toolkit.comparing.series`).

    Attributes
    ----------
    table
        One row per incident × measure × ``reported_on`` (a date on which a source
        reported it and two or more sources have a current figure), in incident, measure
        and date order: the columns of :attr:`Comparison.table
        <toolkit.comparing.Comparison.table>`, each as of that date.
    latest
        One row per incident × measure × date × source: the figure compared (``as_of``
        is the date compared; ``reported_on`` the figure's own), its interval, status.
    episodes
        One row per run of dates on which the sources of an incident and measure
        conflict, ended only by a date on which they agree again.
    lags
        One row per run of dates on which a source's figure is the others' of a steady
        number of days earlier.
    findings
        ``conflict-episode`` and ``lag`` findings.
    """

    table: pd.DataFrame
    figures: pd.DataFrame = field(repr=False)
    suite: Suite = field(repr=False)
    core: Core = field(repr=False)
    aligned: Aligned = field(repr=False)

    @cached_property
    def _shown(self) -> pd.Series:
        k = self.core.latest
        return shown_texts(self.figures, k.rep, k.published_lo, k.published_hi, k.stale)

    @cached_property
    def latest(self) -> pd.DataFrame:
        """Each source's figure on each date compared (see the class notes)."""
        frame = latest_frame(self.core, self.figures, self._shown)
        on = self.aligned.day[self.core.latest.group].view("datetime64[us]")
        frame.insert(2, "as_of", on)
        return frame

    @cached_property
    def episodes(self) -> pd.DataFrame:
        """Runs of dates in conflict (see :func:`toolkit.comparing.episodes.episodes`)."""
        from toolkit.comparing.episodes import episodes

        return episodes(self)

    @cached_property
    def lags(self) -> pd.DataFrame:
        """Sources late by a steady number of days (see
        :func:`toolkit.comparing.episodes.lags`)."""
        from toolkit.comparing.episodes import lags

        return lags(self)

    @cached_property
    def findings(self) -> pd.DataFrame:
        """One ``conflict-episode`` finding per episode, one ``lag`` finding per lag."""
        from toolkit.comparing.episodes import series_findings

        return series_findings(self)

    def by_source(self) -> pd.DataFrame:
        """:attr:`table` with a column per source holding the figure it had on each date,
        as published (see :meth:`Comparison.by_source
        <toolkit.comparing.Comparison.by_source>`)."""
        from toolkit.comparing.by_source import by_source

        return by_source(self)

    def counts(self) -> dict[str, int]:
        """Dates compared, dates in conflict, episodes and lags."""
        return {
            "dates": len(self.table),
            "in conflict": int((self.table["status"] == "conflict").sum()),
            "episodes": len(self.episodes),
            "lags": len(self.lags),
        }

    def status_text(self) -> str:
        """``"612 dates compared, 40 in conflict: 7 episodes, 1 lag"``."""
        n = self.counts()
        lag = "lag" if n["lags"] == 1 else "lags"
        episode = "episode" if n["episodes"] == 1 else "episodes"
        return (
            f"{n['dates']:,} dates compared, {n['in conflict']:,} in conflict: "
            f"{n['episodes']:,} {episode}, {n['lags']:,} {lag}"
        )

    def in_conflict_per_date(self) -> pd.DataFrame:
        """Per report date: incidents compared that date, and how many of them are in
        conflict on some measure."""
        t = self.table[["incident", "reported_on", "status"]]
        compared = t.groupby("reported_on", observed=True)["incident"].nunique()
        conflicted = t[t["status"] == "conflict"].groupby("reported_on")["incident"].nunique()
        out = pd.DataFrame({"compared": compared, "in_conflict": conflicted})
        out["in_conflict"] = out["in_conflict"].fillna(0).astype("int64")
        return out.rename_axis("reported_on").reset_index()

    def plot(self, incident: str, measure: str | None = None, **kwargs: Any) -> Figure:
        """Each source's series for one incident (and measure: by default its first) as
        step lines with their intervals, the consensus band, conflict episodes shaded."""
        from toolkit.reporting.series_charts import series_chart

        return series_chart(self, incident, measure, **kwargs)


def compare_series(coded: Coded, figures: pd.DataFrame, suite: Suite) -> Series:
    """Compare the sources on every report date of every incident and measure."""
    aligned = align(coded, suite)
    core = compared_core(coded, aligned.latest, suite, ranked=False)  # name, then date order
    return Series(
        table=comparison_table(core, suite),
        figures=figures,
        suite=suite,
        core=core,
        aligned=aligned,
    )

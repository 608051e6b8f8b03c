"""The comparison as a result: per incident x measure (``table``), per source (``latest``),
the figures' short texts, and how it shows itself (tables, charts, notebook)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from toolkit.columnar import categorical, names_per_group, repeated_text, take_names
from toolkit.comparing.consensus import (
    Groups,
    Outliers,
    consensus,
    find_outliers,
    row_statuses,
    summarise,
    worst_first,
)
from toolkit.comparing.latest import Coded, Latest
from toolkit.model.intervals import interval_column
from toolkit.model.vocabulary import EXPLANATIONS, ROW_STATUSES, STATUSES
from toolkit.suite import Suite

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from toolkit.comparing.explaining import Explained
    from toolkit.comparing.over_time import Series


@dataclass(frozen=True)
class Core:
    """The arrays behind a comparison: the table as numbers (``coded``), the figures
    compared (``latest``), per group its summary (``groups``), consensus bounds and rank
    (worst first), and per figure whether it is an outlier and its status code (into
    ``ROW_STATUSES``)."""

    coded: Coded
    latest: Latest
    groups: Groups
    g_lo: np.ndarray
    g_hi: np.ndarray
    outliers: Outliers
    row_status: np.ndarray
    rank: np.ndarray

    @property
    def outlier(self) -> np.ndarray:
        return self.outliers.outlier

    @cached_property
    def distance(self) -> np.ndarray:
        """Per figure, its relative distance from its group's median (NaN for a stale
        figure or a group of one): built on first use, the table does not need it."""
        k = self.latest
        mid = self.groups.median[k.group]
        with np.errstate(divide="ignore", invalid="ignore"):
            distance: np.ndarray = np.abs(k.point - mid) / mid
        distance[(self.groups.sources < 2)[k.group] | k.stale] = np.nan
        return distance


def compared_core(coded: Coded, latest: Latest, suite: Suite, ranked: bool = True) -> Core:
    """The groups of ``latest`` compared: their summaries, outliers, consensus and statuses,
    in the order a table lists them (worst first when ``ranked``; else as they stand)."""
    groups = summarise(latest, suite.compare.spread_threshold)
    found = find_outliers(latest, groups)
    g_lo, g_hi = consensus(groups, found)
    return Core(
        coded=coded,
        latest=latest,
        groups=groups,
        g_lo=g_lo,
        g_hi=g_hi,
        outliers=found,
        row_status=row_statuses(latest, groups),
        rank=worst_first(groups) if ranked else np.arange(len(groups.status)),
    )


def shown_texts(
    figures: pd.DataFrame,
    rep: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    stale: np.ndarray | None = None,
) -> pd.Series:
    """Each figure (rows ``rep`` of the table, intervals ``lo``/``hi``) as a short text
    (``≥ 128``); a stale one says ``(earlier)``, one derived from its parts ``(sum)``."""
    out = interval_column(lo, hi, figures["qualifier"].take(rep))
    if "derived" in figures:
        derived = figures["derived"].take(rep).notna().to_numpy()
        if derived.any():
            out = out.where(~derived, out + " (sum)")
    if stale is not None and stale.any():
        out = out.where(~stale, out + " (earlier)")
    return out


def compared_on(k: Latest) -> np.ndarray:
    """Per group, the date it is compared at: its newest figure's (NaT: none is dated)."""
    if not len(k.rep):
        return np.zeros(0, dtype="datetime64[us]")
    newest: np.ndarray = np.maximum.reduceat(k.day, k.starts).view("datetime64[us]")
    return newest


def comparison_table(core: Core, suite: Suite, explained: Explained | None = None) -> pd.DataFrame:
    """One row per incident x measure, worst first: permute the numbers, then build each
    text column once. With ``explained``, each conflict's explanation and evidence."""
    k, g, r = core.latest, core.groups, core.rank
    coded = core.coded
    measures = suite.taxonomy.measures
    note_of = pd.Series(
        pd.array(
            [
                "; ".join(measures[str(m)].notes) if str(m) in measures else None
                for m in coded.mea_names
            ],
            dtype="str",
        )
    )
    note_of = note_of.where(note_of != "")
    idx = np.flatnonzero(core.outlier)
    outliers = names_per_group(coded.src_names, k.src[idx], k.group[idx], len(g.status), r)
    old = np.flatnonzero(k.stale)
    stale = names_per_group(coded.src_names, k.src[old], k.group[old], len(g.status), r)
    table = pd.DataFrame(
        {
            "incident": take_names(k.g_inc[r], coded.inc_names),
            "measure": take_names(k.g_mea[r], coded.mea_names),
            "reported_on": compared_on(k)[r],
            "sources": g.sources[r],
            "status": categorical(g.status[r], STATUSES),
            "consensus_low": core.g_lo[r],
            "consensus_high": core.g_hi[r],
            "median": g.median[r],
            "min": g.v_min[r],
            "max": g.v_max[r],
            "spread": g.spread[r],
            "gap": g.gap[r],
            "difference": (g.v_max - g.v_min)[r],
            "wide_spread": g.wide[r],
            "outliers": outliers,
            "stale": stale,
            "notes": take_names(k.g_mea[r], note_of)
            if len(note_of)
            else pd.Series([], dtype="str"),
        },
        copy=False,  # every column is new here (gathered by rank): no need to copy it again
    )
    if explained is not None:
        table["explanation"] = categorical(explained.code[r], EXPLANATIONS)
        table["evidence"] = explained.evidence.take(r).reset_index(drop=True)
    return table


@dataclass(frozen=True)
class Comparison:
    """The figures of every incident and measure, compared across sources.

    Attributes
    ----------
    table
        One row per incident × measure, worst first: the date compared at (``reported_on``,
        the newest figure's), the number of current sources,
        ``status`` (``conflict``, ``agree``, ``single``), the consensus interval, median,
        min and max of the current point figures, ``spread`` (max / min), ``gap`` (how far
        apart conflicting intervals are, relative to the higher one), ``difference`` (max -
        min, shown whether or not the figures agree), whether the figures are far apart
        (``wide_spread``), the outlier sources, the sources whose figure is stale (shown,
        not counted), the taxonomy's definition notes, and for each conflict its
        ``explanation`` (``definition``, ``timing``, ``breakdown``, ``link`` or
        ``unexplained``; see :mod:`toolkit.comparing.explaining`) and ``evidence``.
    latest
        One row per incident × measure × source: the figure compared (the source's latest
        as of ``as_of``), its interval, whether it is stale or an outlier, and its relative
        distance from the median of the sources' figures.
    findings
        ``discrepancy`` findings: conflicts (with their explanations), wide spreads,
        definition differences, and patterns of explanations across incidents.
    revisions
        Each source's dated figures per incident and measure, and how each moved.
    scorecard
        Per source: figures, outliers, and (given the check's findings) rule findings.
    series
        With ``over_time``: the sources compared on every report date
        (:class:`~toolkit.comparing.over_time.Series`); else None.
    """

    table: pd.DataFrame
    figures: pd.DataFrame = field(repr=False)
    suite: Suite = field(repr=False)
    core: Core = field(repr=False)
    as_of: pd.Timestamp | None = None
    check_findings: pd.DataFrame | None = field(default=None, repr=False)
    series: Series | None = field(default=None, repr=False)
    explained: Explained | None = field(default=None, repr=False)

    @cached_property
    def latest(self) -> pd.DataFrame:
        """Each source's compared figure per incident and measure (see the class notes)."""
        return latest_frame(self.core, self.figures, self._shown)

    @cached_property
    def _shown(self) -> pd.Series:
        """Each compared figure as a short text (``≥ 128``), in ``latest``'s order."""
        k = self.core.latest
        return shown_texts(self.figures, k.rep, k.published_lo, k.published_hi, k.stale)

    @cached_property
    def revisions(self) -> pd.DataFrame:
        """Each source's dated figures for an incident and measure, in date order, with the
        highest figure of its previous day, the change and its direction (``first``,
        ``up``, ``down``, ``same``)."""
        from toolkit.comparing.revisions import revisions

        return revisions(self)

    @cached_property
    def findings(self) -> pd.DataFrame:
        """``discrepancy`` findings (conflicts, wide spreads, definition differences),
        worst first."""
        from toolkit.comparing.patterns import pattern_findings
        from toolkit.model import findings as fd

        return fd.concat([self.incident_findings, pattern_findings(self.patterns, self.suite)])

    @cached_property
    def incident_findings(self) -> pd.DataFrame:
        """The findings about incidents (all but the patterns across them): what a
        comparison of part of the incidents can say on its own."""
        from toolkit.comparing.findings import discrepancies
        from toolkit.model import findings as fd

        if self.series is None:
            return discrepancies(self)
        return fd.concat([discrepancies(self), self.series.findings])

    @cached_property
    def patterns(self) -> pd.DataFrame:
        """Per source, measure and reading of an explanation (``includes
        killed.perpetrators``, ``equals killed``, ``lag``): the source's conflicts on the
        measure, how many the reading explains, its share, whether that makes a pattern
        (``compare.pattern_share`` of at least ``compare.pattern_min``), the measure its
        figures then are (``instead``) and the pattern's words; most explained first."""
        from toolkit.comparing.patterns import pattern_counts, patterns

        return patterns(*pattern_counts(self), self.suite)

    def explanation_counts(self) -> dict[str, int]:
        """Conflicts (incident x measure) by explanation, unexplained first."""
        if "explanation" not in self.table:
            return {}
        by = self.table["explanation"].value_counts()
        return {e: int(by.get(e, 0)) for e in EXPLANATIONS}

    @cached_property
    def scorecard(self) -> pd.DataFrame:
        """Per source, over all incidents: figures given, incidents, figures compared with
        another source's, times an outlier, rule findings (counted from the check's
        findings this comparison was given; missing when it was given none) and the
        median relative distance of its figures from the median of all sources'."""
        from toolkit.comparing.scorecard import scorecard

        return scorecard(self, self.check_findings)

    def by_source(self) -> pd.DataFrame:
        """:attr:`table` with a column per source (named as the source, in name order;
        ``NAME (source)`` where a table column has the name) holding the figure that
        source published for the row's incident and measure: its text as published
        (``128 persons at least``), else its value (``≥ 128``, ``67``); missing where it
        gave none. What ``crosscheck compare --csv``/``--json`` write: one column per
        source, so 50 sources make 50 columns (filter with ``[["incident", "measure",
        "status", "AP"]]`` or use :attr:`latest` for the long form)."""
        from toolkit.comparing.by_source import by_source

        return by_source(self)

    def side_by_side(self, incident: str | None = None) -> pd.DataFrame:
        """Each source's figure as a short text (``≥ 128``), a column per source, with the
        status; one row per incident × measure (or per measure of one incident)."""
        latest = self.latest
        if incident is not None:
            latest = latest[latest["incident"] == incident]
        wide = latest.pivot_table(
            index=["incident", "measure"], columns="source", values="shown", aggfunc="first"
        )
        wide.columns.name = None
        status = self.table.set_index(["incident", "measure"])["status"]
        wide.insert(0, "status", status.reindex(wide.index))
        if incident is not None:
            wide = wide.droplevel("incident")
        return wide

    def __repr__(self) -> str:
        from toolkit.reporting.notebook import comparison_repr

        return comparison_repr(self)

    def _repr_html_(self) -> str:
        from toolkit.reporting.notebook import comparison_html

        return comparison_html(self)

    def counts(self) -> dict[str, int]:
        """Incident x measure pairs by status, and how many of them are far apart."""
        by = self.table["status"].value_counts()
        return {
            **{str(s): int(by.get(s, 0)) for s in STATUSES},
            "far apart": int(self.table["wide_spread"].sum()),
        }

    def status_text(self) -> str:
        """``"0 conflict, 4 agree, 7 single"``."""
        counts = self.counts()
        return ", ".join(f"{counts[s]} {s}" for s in STATUSES)

    @property
    def conflicts(self) -> pd.DataFrame:
        """The rows of :attr:`table` whose sources conflict, worst first."""
        return self.table[self.table["status"] == "conflict"]

    @property
    def disagreements(self) -> pd.DataFrame:
        """The rows of :attr:`table` whose sources conflict or are far apart, worst first."""
        return self.table[(self.table["status"] == "conflict") | self.table["wide_spread"]]

    def plot(self, incident: str, **kwargs: Any) -> Figure:
        """A chart of one incident's figures, side by side per source (matplotlib): a row
        per source, its interval as a line (an arrowhead where open), the consensus
        shaded; ``measures=[...]`` to choose panels."""
        from toolkit.reporting.charts import incident_chart

        return incident_chart(self, incident, **kwargs)

    def plot_revisions(self, incident: str, measure: str) -> Figure:
        """Each source's figure for one incident and measure over the dates it gave it."""
        from toolkit.reporting.charts import revision_chart

        return revision_chart(self, incident, measure)


def latest_frame(core: Core, figures: pd.DataFrame, shown: pd.Series) -> pd.DataFrame:
    """One row per compared figure (``core.latest``): its group's incident and measure, its
    source, the figure as published and as compared, its status and distance."""
    k = core.latest
    coded = core.coded
    f = figures

    def take(col: str) -> pd.Series:
        return f[col].take(k.rep).reset_index(drop=True)

    return pd.DataFrame(
        {
            "incident": take_names(k.g_inc[k.group], coded.inc_names),
            "measure": take_names(k.g_mea[k.group], coded.mea_names),
            "source": take_names(k.src, coded.src_names),
            "figure_text": take("figure_text"),
            "qualifier": take("qualifier"),
            "value": take("value"),
            "low": k.lo,
            "high": k.hi,
            "reported_on": take("reported_on"),
            "origin_file": take("origin_file"),
            "origin_row": take("origin_row"),
            "citation": take("citation"),
            "derived": take("derived") if "derived" in f else repeated_text(None, len(k.rep)),
            "status": categorical(core.row_status, ROW_STATUSES),
            "stale": k.stale,
            "outlier": core.outlier,
            "distance": core.distance,
            "shown": shown,
        }
    )

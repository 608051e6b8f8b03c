"""A dask run's report: what the HTML shows of it, gathered from the cluster without every
row — the counts of the whole run, the worst findings of each rule and severity, the
worst disagreements with their figures, and the revisions listed and charted — as a
result the HTML report takes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from toolkit.checking import suite_rules
from toolkit.comparing.consensus import worst_order
from toolkit.comparing.scorecard import (
    assemble,
    compared_shares,
    published,
    rule_findings,
)
from toolkit.model import figures as ft
from toolkit.model import findings as fd
from toolkit.model.vocabulary import EXPLANATIONS, STATUSES
from toolkit.reading import ReadResult
from toolkit.reporting.bounds import Omitted, head_per_group
from toolkit.reporting.console import unpaired_hint
from toolkit.reporting.htmlparts import Totals

if TYPE_CHECKING:
    from toolkit.comparing import Comparison
    from toolkit.on_dask import DaskRun
    from toolkit.pipeline import CheckResult

_GROUPS = ["severity", "kind", "rule", "code"]


def _top(findings: pd.DataFrame, limit: int) -> pd.DataFrame:
    """A part's worst ``limit`` findings of each rule and severity."""
    shown, _ = head_per_group(fd.sort(findings), ["severity", "kind", "rule"], limit)
    return shown


def _groups(findings: pd.DataFrame) -> pd.DataFrame:
    return findings.groupby(_GROUPS, dropna=False).size().rename("n").reset_index()


def worst_first(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of comparison tables in the order one table lists them: conflicts by gap,
    then far-apart agreements, agreements, single sources; then by spread; then names
    (as :func:`toolkit.comparing.consensus.worst_first` orders one part's)."""
    if table.empty:
        return table
    table = table.sort_values(["incident", "measure"], kind="stable")  # ties: name order
    status = pd.Categorical(table["status"].astype("str"), categories=list(STATUSES)).codes
    return table.iloc[
        worst_order(
            status,
            table["gap"].to_numpy(dtype="float64"),
            table["wide_spread"].to_numpy(dtype=bool),
            table["spread"].to_numpy(dtype="float64"),
        )
    ]


def _disagreeing(table: pd.DataFrame, limit: int) -> pd.DataFrame:
    """A part's worst ``limit`` conflicts and ``limit`` far-apart rows."""
    rows = table[(table["status"] == "conflict") | table["wide_spread"]]
    label = np.where(rows["status"].astype("str") == "conflict", "conflict", "far apart")
    shown, _ = head_per_group(worst_first(rows).assign(_label=label), ["_label"], limit)
    return shown.drop(columns="_label")


_DIRECTIONS = {"down": 0, "up": 1, "same": 2}  # as the native report lists revisions


def _revised(revisions: pd.DataFrame, limit: int, series: int) -> pd.DataFrame:
    """Of revisions in the native order (a part's, or several parts' put in that order),
    what the report may show: the first ``limit`` figures changed in each direction (down,
    up, same), and every dated figure of the first ``series`` series (incident and
    measure) revised down and of the first ``series`` revised at all (those charted). The
    same selection made again of the parts' selections gives the whole run's."""
    revisions = revisions.reset_index(drop=True)
    changed = revisions[revisions["direction"] != "first"]
    rank = changed["direction"].map(_DIRECTIONS).fillna(len(_DIRECTIONS)).to_numpy()
    listed, _ = head_per_group(changed.iloc[np.argsort(rank, kind="stable")], ["direction"], limit)
    keep = revisions.index.isin(listed.index)
    pairs = pd.MultiIndex.from_frame(revisions[["incident", "measure"]].astype("str"))
    down = changed[changed["direction"] == "down"]
    for rows in (down, changed):
        first = pd.unique(pairs[rows.index])[: max(series, 0)]
        keep |= pairs.isin(first)
    return revisions[keep]


def _directions(revisions: pd.DataFrame) -> pd.DataFrame:
    said = revisions["direction"].astype("str")
    return said.value_counts().rename("n").rename_axis("direction").reset_index()


def revisions_section(run: DaskRun, compared: Any, charts: int, limit: int) -> dict[str, Any]:
    """The report's revisions (listed, counted and charted) of a dask run, as the native
    report's (:func:`toolkit.reporting.html._revisions`): each part's selection
    (:func:`_revised`) gathered, put in the native order (a series lies in one part) and
    selected again; the counts summed over the parts."""
    from toolkit.reporting.html import _revisions

    frame = run.tables.get("revisions")
    if frame is None:  # no part: nothing compared
        return {"revisions": [], "revisions_total": 0, "revisions_more": [], "revision_charts": []}
    series = max(1, charts // 4) if charts else 0
    parts = frame.map_partitions(_revised, limit, series, meta=frame._meta).compute()
    parts = parts.sort_values(["incident", "measure"], kind="stable")
    shown = _revised(parts, limit, series)
    counted = frame.map_partitions(_directions, meta=_directions(frame._meta)).compute()
    by = counted.groupby("direction")["n"].sum()
    section = _revisions(replace(compared, revised=shown), charts, limit)
    changed = {d: int(by.get(d, 0)) for d in _DIRECTIONS}
    section["revisions_total"] = sum(changed.values())
    section["revisions_more"] = [Omitted((d,), limit, n) for d, n in changed.items() if n > limit]
    return section


@dataclass(frozen=True)
class _Series:
    """The part of a comparison over time a dask run's report draws: the series'
    rows of the incidents and measures charted (``table``), each source's figures for
    their incidents (``latest``), the episodes and lags the report may list, the whole
    run's incidents compared and in conflict per date, and its counts; what the report's
    "Over time" section reads of a :class:`~toolkit.comparing.over_time.Series`."""

    table: pd.DataFrame
    latest: pd.DataFrame
    episodes: pd.DataFrame
    lags: pd.DataFrame
    per_date: pd.DataFrame
    counted: dict[str, int]

    def counts(self) -> dict[str, int]:
        return dict(self.counted)

    def status_text(self) -> str:
        from toolkit.comparing.over_time import Series

        return Series.status_text(cast("Series", self))

    def in_conflict_per_date(self) -> pd.DataFrame:
        return self.per_date


@dataclass(frozen=True)
class _Rows:
    """A series' table alone: what a series' ranking and counts per date read of it."""

    table: pd.DataFrame


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    from toolkit.reporting.series_charts import conflict_dates

    return conflict_dates(cast("Any", _Rows(table)))


def _per_date(table: pd.DataFrame) -> pd.DataFrame:
    from toolkit.comparing.over_time import Series

    return Series.in_conflict_per_date(cast("Series", _Rows(table)))


def _pairs(frame: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(frame[["incident", "measure"]].astype("str"))


def _episodes_shown(episodes: pd.DataFrame, limit: int, charted: pd.MultiIndex) -> pd.DataFrame:
    """A part's episodes the report may list (the ``limit`` of the largest gap) or
    shade (those of the series charted), in the part's order."""
    episodes = episodes.reset_index(drop=True)
    order = np.argsort(-episodes["largest_gap"].to_numpy(dtype=float), kind="stable")
    keep = episodes.index.isin(order[:limit]) | _pairs(episodes).isin(charted)
    return episodes[keep]


def over_time_section(
    run: DaskRun, compared: Any, charts: int, limit: int
) -> dict[str, Any] | None:
    """The report's "Over time" section of a dask run, as the native report's
    (:func:`toolkit.reporting.htmlparts.over_time`; None when the run did not compare
    every date): the series charted chosen from each part's worst, their rows and
    figures, the episodes and lags listed (each part's first, put in the native order:
    an incident lies in one part), the counts and the incidents per date summed."""
    from toolkit.reporting.htmlparts import MAX_PANELS, over_time

    tables = run.tables
    if "over_time" not in tables:
        return None
    table, episodes, lags = tables["over_time"], tables["episodes"], tables["lags"]
    panels = min(max(charts, 0), MAX_PANELS)
    ranked = _ranked(table._meta)
    worst = table.map_partitions(lambda t: _ranked(t).head(panels), meta=ranked).compute()
    worst = _ranked_again(worst).head(panels)
    charted = _pairs(worst)
    rows = table[table["incident"].isin(list(worst["incident"]))].compute()
    rows = rows[_pairs(rows).isin(charted)].sort_values(["incident", "measure"], kind="stable")
    figures = tables["series_drawn"]
    figures = figures[figures["incident"].isin(list(worst["incident"]))].compute()
    firsts = tables["series_drawn"]
    sources = firsts.map_partitions(lambda f: f.drop_duplicates("source"), meta=firsts._meta)
    per_date = table.map_partitions(_per_date, meta=_per_date(table._meta)).compute()
    per_date = per_date.groupby("reported_on", as_index=False)[["compared", "in_conflict"]].sum()
    listed = episodes.map_partitions(_episodes_shown, limit, charted, meta=episodes._meta)
    counted = {
        "dates": len(table),
        "in conflict": int((table["status"] == "conflict").sum().compute()),
        "episodes": len(episodes),
        "lags": len(lags),
    }
    view = _Series(
        table=rows.reset_index(drop=True),
        latest=pd.concat([figures, sources.compute()], ignore_index=True),
        episodes=_in_order(listed.compute()),
        lags=_in_order(lags.map_partitions(lambda g: g.head(limit), meta=lags._meta).compute()),
        per_date=per_date,
        counted=counted,
    )
    section = over_time(replace(compared, drawn=view), charts, limit)
    assert section is not None  # a series was given
    listed_episodes, listed_lags = len(section["episodes"]), len(section["lags"])
    return section | {
        "dates": counted["dates"],
        "episodes_total": counted["episodes"],
        "episodes_more": counted["episodes"] - listed_episodes,
        "lags_total": counted["lags"],
        "lags_more": counted["lags"] - listed_lags,
    }


def _ranked_again(worst: pd.DataFrame) -> pd.DataFrame:
    """The parts' worst series ranked as one table ranks them (ties in its order)."""
    worst = worst.sort_values(["incident", "measure"], kind="stable").reset_index(drop=True)
    order = np.lexsort(
        (-worst["largest_gap"].to_numpy(dtype=float), -worst["in_conflict"].to_numpy())
    )
    return worst.iloc[order].reset_index(drop=True)


def _in_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows gathered from the parts in the native order (incident first: an incident
    lies in one part, whose own order is kept)."""
    return frame.sort_values("incident", kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class _Compared:
    """The part of a comparison a dask run's report shows: its worst disagreements (in
    ``table``) and their figures (``latest``); what the HTML report reads of a
    :class:`~toolkit.comparing.Comparison`."""

    table: pd.DataFrame
    latest: pd.DataFrame
    counted: dict[str, int]

    @property
    def disagreements(self) -> pd.DataFrame:
        return self.table[(self.table["status"] == "conflict") | self.table["wide_spread"]]

    @property
    def figures(self) -> pd.DataFrame:  # none here: the report's hint comes with the totals
        return ft.empty()

    @property
    def series(self) -> _Series | None:  # what the report draws over time, once asked
        return self.drawn

    @property
    def revisions(self) -> pd.DataFrame:  # those the report lists and charts, once asked
        return self.revised

    card: pd.DataFrame = field(default_factory=pd.DataFrame)
    patterns: pd.DataFrame | None = None  # the run's patterns of explanations
    explained: dict[str, int] = field(default_factory=dict)  # conflicts by explanation
    revised: pd.DataFrame = field(default_factory=pd.DataFrame)
    run: Any = field(default=None, repr=False)  # the DaskRun, for the sections asked later
    drawn: _Series | None = None

    def over_time_section(self, charts: int, limit: int) -> dict[str, Any] | None:
        """The report's "Over time" section (see :func:`over_time_section`)."""
        return over_time_section(self.run, self, charts, limit)

    def revisions_section(self, charts: int, limit: int) -> dict[str, Any]:
        """The report's revisions section (see :func:`revisions_section`)."""
        return revisions_section(self.run, self, charts, limit)

    @property
    def scorecard(self) -> pd.DataFrame:
        return self.card

    def counts(self) -> dict[str, int]:
        return dict(self.counted)

    def explanation_counts(self) -> dict[str, int]:
        return dict(self.explained)


def _explained(table: pd.DataFrame) -> pd.DataFrame:
    if "explanation" not in table:
        return pd.DataFrame({"explanation": pd.Series([], dtype="str"), "n": []})
    said = table["explanation"].dropna().astype("str")
    return said.value_counts().rename("n").rename_axis("explanation").reset_index()


def explanation_counts(run: DaskRun) -> dict[str, int]:
    """The run's conflicts by explanation (unexplained first), summed over its parts."""
    parts = run.table.map_partitions(_explained, meta=_explained(run.table._meta)).compute()
    by = parts.groupby("explanation")["n"].sum() if len(parts) else pd.Series(dtype="int64")
    return {e: int(by.get(e, 0)) for e in EXPLANATIONS}


def _shares(latest: pd.DataFrame) -> pd.DataFrame:
    return compared_shares(latest).reset_index()


def _ruled(findings: pd.DataFrame) -> pd.DataFrame:
    return rule_findings(findings).rename("n").reset_index()


def scorecard(run: DaskRun, rules: bool) -> pd.DataFrame:
    """The source scorecard of a dask run, from sums over its parts (and the median of
    each source's distances, computed on the cluster): as the native one."""
    parts = run.latest.map_partitions(_shares, meta=_shares(run.latest._meta)).compute()
    per = parts.groupby("source").sum()
    compared = run.latest[run.latest["status"].isin(["agree", "conflict"])]
    per["median_distance"] = compared.groupby("source")["distance"].median().compute()
    ruled = None
    if rules:
        parts = run.findings.map_partitions(_ruled, meta=_ruled(fd.empty())).compute()
        ruled = parts.groupby("source")["n"].sum()
    given = run.given if run.given is not None else published(ft.empty())
    return assemble(given, per, ruled)


def report_view(run: DaskRun, limit: int, rules: bool = True) -> tuple[CheckResult, Totals]:
    """What the HTML report shows of a dask run (at most ``limit`` rows per group, as the
    native report lists them), and the whole run's counts."""
    from toolkit.linking import Linked
    from toolkit.pipeline import CheckResult

    limit = max(int(limit), 0)
    groups = run.findings.map_partitions(_groups, meta=_groups(fd.empty())).compute()
    groups = groups.groupby(_GROUPS, as_index=False, dropna=False).agg(n=("n", "sum"))
    top = run.cited.map_partitions(_top, limit, meta=run.cited._meta).compute()
    top = _top(top, limit).reset_index(drop=True)
    worst = run.table.map_partitions(_disagreeing, limit, meta=run.table._meta).compute()
    worst = _disagreeing(worst, limit).reset_index(drop=True)
    # every measure of the incidents shown: their charts draw each one the sources give
    shown = list(set(worst["incident"].astype("str")))
    table = worst_first(run.table[run.table["incident"].isin(shown)].compute())
    latest = run.latest[run.latest["incident"].isin(shown)].compute()
    sources = int(run.latest["source"].nunique().compute())
    card = scorecard(run, rules)
    compared = _Compared(
        table.reset_index(drop=True),
        latest,
        dict(run.counts),
        card=card,
        patterns=run.patterns,
        explained=explanation_counts(run),
        run=run,
    )
    read = ReadResult(ft.empty(), fd.empty(), run.files, (), run.suite)
    result = CheckResult(
        findings=top,
        rules=suite_rules(run.suite),
        suite=run.suite,
        read=read,
        figures=ft.empty(),
        linked=Linked(ft.empty(), run.matching),
        comparison=cast("Comparison", compared),
    )
    paired = run.counts.get("conflict", 0) + run.counts.get("agree", 0) > 0
    hint = unpaired_hint(sources, paired, run.matching)
    return result, Totals(
        groups=groups,
        compared=dict(run.counts),
        figures=run.figures,
        unlinked=hint,
    )

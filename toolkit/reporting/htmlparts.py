"""Parts of the HTML report: the cell formatting every section shares, and the sections a
run has only sometimes ("Over time" when it compared every report date, "History" when it
had a history). :mod:`toolkit.reporting.html` assembles them."""

from __future__ import annotations

import base64
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from toolkit.model import findings as fd
from toolkit.model.vocabulary import KINDS, SEVERITIES, failing, title
from toolkit.reporting.bounds import Omitted, head


def citations(findings: pd.DataFrame, figures: pd.DataFrame | None) -> pd.Series:
    """Each finding's source citation, looked up by the file and line it points at (or
    as the findings carry it: a dask run's, cited on the workers while its figures were
    at hand)."""
    if "citation" in findings:
        return pd.Series(findings["citation"].to_numpy(dtype=object), index=findings.index)
    empty = pd.Series([None] * len(findings), index=findings.index, dtype=object)
    if figures is None or "citation" not in figures or findings.empty:
        return empty
    cited = figures[["origin_file", "origin_row", "citation"]].dropna()
    cited = cited.drop_duplicates(["origin_file", "origin_row"])
    if cited.empty:
        return empty
    keys = findings[["origin_file", "origin_row"]].astype({"origin_row": "Int64"})
    joined = keys.merge(
        cited.astype({"origin_row": "Int64"}), on=["origin_file", "origin_row"], how="left"
    )
    return pd.Series(joined["citation"].to_numpy(dtype=object), index=findings.index)


def families_of(groups: pd.DataFrame) -> list[dict[str, Any]]:
    """Per finding family present (``groups``: code, kind, severity, ``n``): its code,
    kind, what it finds, counts by severity."""
    if groups.empty:
        return []
    table = (
        groups.groupby(["code", "kind", "severity"], dropna=False)["n"]
        .sum()
        .unstack("severity", fill_value=0)
        .reindex(columns=list(SEVERITIES), fill_value=0)
    )
    return [
        {
            "code": text(code),
            "kind": text(kind),
            "title": title(text(code)),
            "counts": [int(n) for n in counts],
        }
        for (code, kind), counts in zip(table.index, table.to_numpy().tolist(), strict=True)
    ]


@dataclass(frozen=True)
class Totals:
    """The whole run's counts, for a report given only part of its findings and of its
    comparison (the dask engine's report: the worst of each, gathered from the cluster).

    ``groups``: findings per severity, kind, rule and code (column ``n``); ``compared``:
    incident x measure pairs per status, and ``far apart``; ``figures``: figures read;
    ``unlinked``: the hint when no incident has two sources."""

    groups: pd.DataFrame
    compared: dict[str, int]
    figures: int = 0
    unlinked: str | None = None

    @property
    def findings(self) -> int:
        return int(self.groups["n"].sum())

    def exit_code(self, fail_on: str) -> int:
        hit = self.groups[self.groups["severity"].isin(failing(fail_on))]["n"].sum()
        return int(int(hit) > 0)

    def counts(self) -> list[tuple[str, list[int]]]:
        """Findings by kind (in kind order) and severity, as ``findings.counts`` gives."""
        return fd.tallied(self.groups)

    def families(self) -> list[dict[str, Any]]:
        """Per family: code, kind, title, counts by severity (as the report lists them)."""
        return families_of(self.groups)

    def omitted(self, listed: pd.DataFrame, by: list[str]) -> list[Omitted]:
        """The groups (by ``by``) of which ``listed`` holds fewer findings than the run."""
        shown = listed.groupby(by, dropna=False).size() if len(listed) else pd.Series()
        totals = self.groups.groupby(by, dropna=False)["n"].sum()
        # in the order the native report notes them: as the (worst first) listing meets them
        first: dict[tuple[str, ...], int] = {}
        for i, row in enumerate(zip(*(listed[c].astype("str") for c in by), strict=True)):
            first.setdefault(tuple(row), i)
        rank = {s: i for i, s in enumerate(SEVERITIES)} | {k: i for i, k in enumerate(KINDS)}

        def place(key: Any) -> tuple[float, list[int], str]:
            parts = tuple(str(p) for p in (key if isinstance(key, tuple) else (key,)))
            return (first.get(parts, math.inf), [rank.get(p, 99) for p in parts[:2]], str(parts))

        totals = totals.reindex(sorted(totals.index, key=place))
        out = []
        for key, n in totals.items():
            names = tuple(str(k) for k in (key if isinstance(key, tuple) else (key,)))
            listed_n = int(shown.get(key, 0))
            if int(n) > listed_n:
                out.append(Omitted(names, listed_n, int(n)))
        return out


if TYPE_CHECKING:
    from toolkit.comparing import Comparison
    from toolkit.history import History


def tuples(df: pd.DataFrame) -> Iterator[Any]:
    """Rows as named tuples (typed loosely: columns hold any value)."""
    return df.itertuples(index=False)


def text(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def num(value: float, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if math.isinf(value):
        return "∞"
    return f"{value:,.{digits}f}"


def chart(fig: Any) -> str:
    from toolkit.reporting.series_charts import compact_svg

    return base64.b64encode(compact_svg(fig)).decode("ascii")


# Panels of the small multiples at most, whatever ``charts`` says (one SVG holds them all).
MAX_PANELS = 12


def over_time(comparison: Comparison, charts: int, limit: int) -> dict[str, Any] | None:
    """The "Over time" section when the run compared every report date (else None): the
    series' status, the chart of incidents in conflict per date, the worst series as small
    multiples (``min(charts, 12)`` panels), the episodes (largest gap first) and the lags,
    at most ``limit`` rows each."""
    series = comparison.series
    if series is None:
        return None
    from toolkit.reporting.series_charts import (
        compact_svg,
        conflict_dates,
        series_overview,
        small_multiples,
    )

    panels = min(max(charts, 0), MAX_PANELS)
    worst = conflict_dates(series).head(panels)
    multiples = ""
    if len(worst):
        multiples = base64.b64encode(compact_svg(small_multiples(series, panels))).decode()
    episodes = series.episodes
    order = np.argsort(-episodes["largest_gap"].to_numpy(dtype=float), kind="stable")
    listed, episodes_more = head(episodes.iloc[order], limit)
    lags, lags_more = head(series.lags, limit)
    return {
        "status": series.status_text(),
        "dates": len(series.table),
        "overview": base64.b64encode(compact_svg(series_overview(series))).decode(),
        "multiples": multiples,
        "panels": [
            f"{r.incident} · {r.measure}: {r.in_conflict} of {r.dates} dates in conflict"
            for r in tuples(worst)
        ],
        "episodes": [
            {
                "incident": e.incident,
                "measure": e.measure,
                "start": text(e.start),
                "end": text(e.end),
                "agreed_on": text(e.agreed_on) or "ongoing",
                "dates": int(e.dates),
                "gap": f"{float(e.largest_gap):.0%}",
                "gap_value": float(e.largest_gap),
                "gap_on": text(e.gap_on),
                "difference": num(float(e.difference), 0),
                "low": text(e.low),
                "high": text(e.high),
                "where": f"{e.origin_file}:{text(e.origin_row)}",
            }
            for e in tuples(listed)
        ],
        "episodes_total": len(episodes),
        "episodes_more": episodes_more,
        "lags": [
            {
                "incident": g.incident,
                "measure": g.measure,
                "source": g.source,
                "behind": g.behind,
                "days": int(g.days),
                "start": text(g.start),
                "end": text(g.end),
                "dates": int(g.dates),
                "shown": text(g.shown),
                "where": f"{g.origin_file}:{text(g.origin_row)}",
            }
            for g in tuples(lags)
        ],
        "lags_total": len(series.lags),
        "lags_more": lags_more,
    }


def new_counts(findings: pd.DataFrame) -> dict[str, Any] | None:
    """How many findings are new (absent from the suite's previous run), in all and per
    severity; None when the run had no history (no ``new`` column)."""
    if "new" not in findings:
        return None
    new = findings["new"].to_numpy(dtype=bool)
    severity = findings["severity"].to_numpy()
    return {
        "total": int(new.sum()),
        "by_severity": [(s, int((new & (severity == s)).sum())) for s in SEVERITIES],
    }


def history_section(history: History | None, findings: pd.DataFrame, limit: int) -> Any:
    """The "History" section when the run had a history (else None): where it is, the
    previous run, the trends charts once there are two runs or more (this one included;
    the last :data:`~toolkit.reporting.history_charts.MAX_RUNS` drawn) and this run's
    silent edits, at most ``limit`` listed."""
    if history is None:
        return None
    trends = history.trends(findings)
    runs = [str(r) for r in trends["run"]]
    by_source = history.edits_by_source()
    severity_chart = edits_chart = ""
    edits_total = int(by_source["edits"].sum()) if len(by_source) else 0
    if len(runs) >= 2:
        from toolkit.reporting.history_charts import (
            edits_trend_chart,
            last_runs,
            severity_trend_chart,
        )

        drawn = last_runs(runs)
        severity_chart = chart(severity_trend_chart(trends))
        if edits_total:
            edits_chart = chart(edits_trend_chart(by_source, runs))
    else:
        drawn = runs
    edits = history.edits
    listed, edits_more = head(edits, limit)
    return {
        "url": history.url,
        "previous": history.previous,
        "runs": len(runs),
        "drawn": len(drawn),
        "first_drawn": drawn[0] if drawn else "",
        "severity_chart": severity_chart,
        "severity_alt": "; ".join(
            f"run {r.run}: {r.errors} errors, {r.warnings} warnings, {r.infos} infos"
            for r in tuples(trends.tail(min(len(drawn), 12)))
        ),
        "edits_chart": edits_chart,
        "edits_alt": "; ".join(
            f"{source}: {int(n)}"
            for source, n in by_source.groupby("source")["edits"].sum().items()
        )
        if edits_total
        else "",
        "edits_total": edits_total,
        "edits": [
            {
                "source": e.source,
                "incident": e.incident,
                "measure": e.measure,
                "reported_on": text(e.reported_on),
                "before": text(e.before),
                "after": text(e.after),
                "before_where": f"{text(e.before_file)}:{text(e.before_row)}",
                "after_where": f"{text(e.after_file)}:{text(e.after_row)}",
            }
            for e in tuples(listed)
        ],
        "edits_count": len(edits),
        "edits_more": edits_more,
    }

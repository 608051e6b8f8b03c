"""The self-contained HTML report: one file, everything inline, nothing from the network.

Rendered by Jinja2 with autoescaping on, so every value from an export or a suite is
text. Charts are SVG embedded as ``data:`` images (an SVG shown as an image cannot run
script), the one inline script is allowed by its hash in the page's Content-Security-
Policy (an injected script would not run even if escaping failed), and the policy allows
no network request at all.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from toolkit.model import findings as fd
from toolkit.model.vocabulary import SEVERITIES, title
from toolkit.reporting.bounds import MAX_FINDINGS, head, head_per_group
from toolkit.reporting.charts import (
    contested_measures,
    incident_chart,
    revision_chart,
    scorecard_chart,
)
from toolkit.reporting.console import unlinked_hint
from toolkit.reporting.writers import write_text

if TYPE_CHECKING:
    from toolkit.comparing import Comparison
    from toolkit.history import History
    from toolkit.pipeline import CheckResult

_LINK = re.compile(r"^https?://[^\s<>\"'`]+$", re.IGNORECASE)


@cache
def environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(files("toolkit.reporting") / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )


@cache
def _script() -> tuple[str, str]:
    text = (files("toolkit.reporting") / "report.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return text, f"sha256-{digest}"


def _tuples(df: pd.DataFrame) -> Iterator[Any]:
    """Rows as named tuples (typed loosely: columns hold any value)."""
    return df.itertuples(index=False)


def safe_link(citation: object) -> str | None:
    """The citation as a link target when it is a plain http(s) URL; else None (shown as
    text, never as a link: no ``javascript:``, ``data:`` or relative targets).

    >>> safe_link("https://www.syriahr.com/en/76920"), safe_link("javascript:alert(1)")
    ('https://www.syriahr.com/en/76920', None)
    """
    if not isinstance(citation, str):
        return None
    text = citation.strip()
    return text if _LINK.match(text) else None


def _text(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _num(value: float, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if math.isinf(value):
        return "∞"
    return f"{value:,.{digits}f}"


def figures_by_group(latest: pd.DataFrame) -> dict[tuple[str, str], list[tuple[str, str, bool]]]:
    """(incident, measure) -> [(source, figure shown, stale), ...], in one pass over plain
    lists (a pandas groupby iterated per group costs a second per few thousand groups)."""
    out: dict[tuple[str, str], list[tuple[str, str, bool]]] = {}
    columns = (latest[c].tolist() for c in ("incident", "measure", "source", "shown", "stale"))
    for incident, measure, source, shown, stale in zip(*columns, strict=True):
        out.setdefault((incident, measure), []).append((source, shown, bool(stale)))
    return out


def disagreements(comparison: Comparison, limit: int | None = None) -> list[dict[str, Any]]:
    """The incident x measure rows where sources conflict or are far apart, worst first,
    each with every source's figure."""
    shown = comparison.disagreements
    return _disagreement_rows(comparison, shown if limit is None else shown.head(limit))


# Figures listed in one row of the disagreements table (the JSON's comparison has all).
FIGURES_PER_ROW = 20


def _disagreement_rows(comparison: Comparison, shown: pd.DataFrame) -> list[dict[str, Any]]:
    latest = comparison.latest
    figures_of = figures_by_group(latest[latest["incident"].isin(shown["incident"])])
    rows = [
        {
            "incident": r.incident,
            "measure": r.measure,
            "label": "conflict" if r.status == "conflict" else "far apart",
            "sources": int(r.sources),
            "spread": _num(float(r.spread)),
            "spread_value": float(r.spread) if np.isfinite(r.spread) else 1e300,
            "figures": figures_of.get((r.incident, r.measure), []),
            "outliers": _text(r.outliers),
            "notes": _text(r.notes),
        }
        for r in _tuples(shown)
    ]
    for row in rows:
        row["figures_more"] = max(len(row["figures"]) - FIGURES_PER_ROW, 0)
        row["figures"] = row["figures"][:FIGURES_PER_ROW]
    return rows


def _bounded_disagreements(comparison: Comparison, limit: int) -> dict[str, Any]:
    """The first ``limit`` conflicts and the first ``limit`` far-apart rows (worst first),
    and how many of each are not listed."""
    table = comparison.disagreements
    label = pd.Series(
        np.where(table["status"].to_numpy() == "conflict", "conflict", "far apart"),
        index=table.index,
    )
    shown, omitted = head_per_group(table.assign(_label=label), ["_label"], limit)
    return {
        "disagreements": _disagreement_rows(comparison, shown),
        "disagreements_total": len(table),
        "disagreements_more": omitted,
    }


def incident_svg(comparison: Comparison, incident: str) -> dict[str, str]:
    """One incident's chart of the measures more than one figure is shown for (stale ones
    included), as base64 SVG, with a text alternative listing the figures."""
    shown = comparison.latest[comparison.latest["incident"] == incident]
    measures = contested_measures(shown)
    figures_of = figures_by_group(shown)
    alt = "; ".join(
        f"{m}: " + ", ".join(f"{s} {v}" for s, v, _ in figures_of.get((incident, m), []))
        for m in measures
    )
    fig = incident_chart(comparison, incident, measures=measures)
    return {"incident": incident, "svg": _chart(fig), "alt": alt}


def _chart(fig: Any) -> str:
    from toolkit.reporting.series_charts import compact_svg

    return base64.b64encode(compact_svg(fig)).decode("ascii")


def _citations(findings: pd.DataFrame, figures: pd.DataFrame | None) -> pd.Series:
    """Each finding's source citation, looked up by the file and line it points at."""
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


def context(
    result: CheckResult,
    *,
    fail_on: str = "error",
    charts: int = 10,
    title: str | None = None,
    generated: datetime | None = None,
    max_findings: int = MAX_FINDINGS,
) -> dict[str, Any]:
    """Everything the template shows, as plain values: the run's result as it is (the
    report computes no stage again). Each table lists at most ``max_findings`` rows per
    group (see :mod:`toolkit.reporting.bounds`) and counts the rest."""
    from toolkit import __version__

    comparison = result.comparison
    findings = result.findings
    limit = max(int(max_findings), 0)
    bounded = _bounded_disagreements(comparison, limit)
    worst = list(dict.fromkeys(d["incident"] for d in bounded["disagreements"]))[: max(charts, 0)]
    listed, findings_more = head_per_group(findings, ["severity", "kind", "rule"], limit)
    files = result.read.files if result.read is not None else ()
    script, script_hash = _script()
    card = result.scorecard
    return {
        "title": title or result.suite.name,
        "generated": (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
        "suite": result.suite,
        "fail_on": fail_on,
        "exit_code": fd.exit_code(findings, fail_on),
        "rows": result.rows,
        "compared": {"total": len(comparison.table), **comparison.counts()},
        "unlinked": unlinked_hint(comparison, result.linked.matching),
        "linking": _linking(result),
        "limit": limit,
        "files": files[:limit],
        "files_more": max(len(files) - limit, 0),
        "unclaimed": result.read.unclaimed if result.read is not None else (),
        "severities": list(SEVERITIES),
        "counts": fd.counts(findings),
        "families": _families(findings),
        **bounded,
        "charts": [incident_svg(comparison, incident) for incident in worst],
        "findings": _finding_rows(listed, result.figures),
        "findings_total": len(findings),
        "findings_more": findings_more,
        **_revisions(comparison, charts, limit),
        **_scorecard(card, limit),
        "scorecard_chart": _chart(scorecard_chart(card)) if len(card) else "",
        "over_time": over_time(comparison, charts, limit),
        "new": new_counts(findings),
        "history": history_section(result.history, findings, limit),
        "rules": result.rules,
        "script": script,
        "script_hash": script_hash,
    }


def _revisions(comparison: Comparison, charts: int, limit: int) -> dict[str, Any]:
    """The revisions that changed a figure, down ones first, at most ``limit`` per
    direction, and charts of the series revised (those with a figure revised down first)."""
    revisions = comparison.revisions
    changed = revisions[revisions["direction"] != "first"]
    rank = changed["direction"].map({"down": 0, "up": 1}).fillna(2)
    ordered = changed.iloc[np.argsort(rank.to_numpy(), kind="stable")]
    listed, omitted = head_per_group(ordered, ["direction"], limit)
    rows = [
        {
            "incident": r.incident,
            "measure": r.measure,
            "source": r.source,
            "reported_on": _text(r.reported_on),
            "shown": r.shown,
            "previous": _num(float(r.previous), 0),
            "direction": r.direction,
            "where": f"{r.origin_file}:{_text(r.origin_row)}",
        }
        for r in _tuples(listed)
    ]
    first = pd.concat([changed[changed["direction"] == "down"], changed])
    series = list(dict.fromkeys(zip(first["incident"], first["measure"], strict=True)))
    drawn = [
        {"incident": i, "measure": m, "svg": _chart(revision_chart(comparison, i, m))}
        for i, m in series[: max(1, charts // 4) if charts else 0]
    ]
    return {
        "revisions": rows,
        "revisions_total": len(changed),
        "revisions_more": omitted,
        "revision_charts": drawn,
    }


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
            for r in _tuples(worst)
        ],
        "episodes": [
            {
                "incident": e.incident,
                "measure": e.measure,
                "start": _text(e.start),
                "end": _text(e.end),
                "agreed_on": _text(e.agreed_on) or "ongoing",
                "dates": int(e.dates),
                "gap": f"{float(e.largest_gap):.0%}",
                "gap_value": float(e.largest_gap),
                "gap_on": _text(e.gap_on),
                "difference": _num(float(e.difference), 0),
                "low": _text(e.low),
                "high": _text(e.high),
                "where": f"{e.origin_file}:{_text(e.origin_row)}",
            }
            for e in _tuples(listed)
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
                "start": _text(g.start),
                "end": _text(g.end),
                "dates": int(g.dates),
                "shown": _text(g.shown),
                "where": f"{g.origin_file}:{_text(g.origin_row)}",
            }
            for g in _tuples(lags)
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
        severity_chart = _chart(severity_trend_chart(trends))
        if edits_total:
            edits_chart = _chart(edits_trend_chart(by_source, runs))
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
            for r in _tuples(trends.tail(min(len(drawn), 12)))
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
                "reported_on": _text(e.reported_on),
                "before": _text(e.before),
                "after": _text(e.after),
                "before_where": f"{_text(e.before_file)}:{_text(e.before_row)}",
                "after_where": f"{_text(e.after_file)}:{_text(e.after_row)}",
            }
            for e in _tuples(listed)
        ],
        "edits_count": len(edits),
        "edits_more": edits_more,
    }


def _linking(result: CheckResult) -> str:
    """How the run linked incidents, in a few words."""
    matching = result.linked.matching
    return matching.summary() if matching is not None else ""


def _families(findings: pd.DataFrame) -> list[dict[str, Any]]:
    """Per finding family present: its code, kind, what it finds, counts by severity."""
    if findings.empty:
        return []
    table = (
        findings.groupby(["code", "kind", "severity"], dropna=False)
        .size()
        .unstack("severity", fill_value=0)
        .reindex(columns=list(SEVERITIES), fill_value=0)
    )
    return [
        {
            "code": _text(code),
            "kind": _text(kind),
            "title": title(_text(code)),
            "counts": [int(n) for n in counts],
        }
        for (code, kind), counts in zip(table.index, table.to_numpy().tolist(), strict=True)
    ]


def _finding_rows(findings: pd.DataFrame, figures: pd.DataFrame) -> list[dict[str, Any]]:
    citations = _citations(findings, figures)
    return [
        {
            "severity": f.severity,
            "kind": f.kind,
            "rule": f.rule,
            "where": w,
            "incident": _text(f.incident),
            "source": _text(f.source),
            "measure": _text(f.measure),
            "observed": _text(f.observed),
            "expected": _text(f.expected),
            "message": _text(f.message),
            "citation": _text(c),
            "link": safe_link(c),
            "new": bool(n),
        }
        for f, w, c, n in zip(
            _tuples(findings), fd.location(findings), citations, _new(findings), strict=True
        )
    ]


def _new(findings: pd.DataFrame) -> np.ndarray:
    """Per finding: new since the suite's previous run (all False without a history)."""
    if "new" not in findings:
        return np.zeros(len(findings), dtype=bool)
    return findings["new"].to_numpy(dtype=bool)


def _scorecard(card: pd.DataFrame, limit: int) -> dict[str, Any]:
    listed, more = head(card, limit)
    return {"scorecard": _scorecard_rows(listed), "scorecard_more": more}


def _scorecard_rows(card: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "source": s.source,
            "figures": int(s.figures),
            "incidents": int(s.incidents),
            "compared": int(s.compared),
            "outliers": int(s.outliers),
            "in_conflict": int(s.in_conflict),
            "rule_findings": "" if pd.isna(s.rule_findings) else int(s.rule_findings),
            "median_distance": _num(float(s.median_distance)),
            "distance_value": float(s.median_distance) if np.isfinite(s.median_distance) else -1,
        }
        for s in _tuples(card)
    ]


def render(result: CheckResult, **options: Any) -> str:
    """The report as one HTML string (see :func:`write`)."""
    return str(environment().get_template("report.html.j2").render(context(result, **options)))


def write(result: CheckResult, path: str | Path, **options: Any) -> Path:
    """Write the self-contained HTML report of a check to ``path``.

    Options: ``fail_on`` (the exit status shown), ``charts`` (incidents charted, worst
    first), ``max_findings`` (rows listed per rule and severity, and per group of every
    other table; the rest are counted), ``title``, ``generated`` (a datetime, for
    reproducible files).
    """
    return write_text(path, render(result, **options))

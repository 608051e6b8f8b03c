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
import re
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from toolkit.model import findings as fd
from toolkit.model.vocabulary import SEVERITIES
from toolkit.reporting.bounds import MAX_FINDINGS, Omitted, head, head_per_group
from toolkit.reporting.charts import (
    contested_measures,
    incident_chart,
    revision_chart,
    scorecard_chart,
)
from toolkit.reporting.console import patterns_of, unlinked_hint
from toolkit.reporting.htmlparts import (
    Totals,
    citations,
    families_of,
    history_section,
    new_counts,
    over_time,
)
from toolkit.reporting.htmlparts import chart as _chart
from toolkit.reporting.htmlparts import num as _num
from toolkit.reporting.htmlparts import text as _text
from toolkit.reporting.htmlparts import tuples as _tuples
from toolkit.reporting.writers import write_text

if TYPE_CHECKING:
    from toolkit.comparing import Comparison
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
            # a conflict's explanation and its evidence (none on a table without them)
            "explanation": _text(getattr(r, "explanation", None)),
            "evidence": _text(getattr(r, "evidence", None)),
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


def context(
    result: CheckResult,
    *,
    fail_on: str = "error",
    charts: int = 10,
    title: str | None = None,
    generated: datetime | None = None,
    max_findings: int = MAX_FINDINGS,
    totals: Totals | None = None,
) -> dict[str, Any]:
    """Everything the template shows, as plain values: the run's result as it is (the
    report computes no stage again). Each table lists at most ``max_findings`` rows per
    group (see :mod:`toolkit.reporting.bounds`) and counts the rest. ``totals``: the
    run's counts where ``result`` holds only the worst of its findings and comparison (a
    dask run's report, whose view gathers its revisions and over-time sections itself)."""
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
    out = {
        "title": title or result.suite.name,
        "generated": (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
        "suite": result.suite,
        "fail_on": fail_on,
        "exit_code": fd.exit_code(findings, fail_on),
        "rows": result.rows,
        "compared": {"total": len(comparison.table), **comparison.counts()},
        "explanations": explanations(comparison),
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
        **_revisions_of(comparison, charts, limit),
        **_scorecard(card, limit),
        "patterns": _patterns(comparison, limit),
        "scorecard_chart": _chart(scorecard_chart(card)) if len(card) else "",
        "over_time": _over_time_of(comparison, charts, limit),
        "new": new_counts(findings),
        "history": history_section(result.history, findings, limit),
        "rules": result.rules,
        "script": script,
        "script_hash": script_hash,
        "partial": False,
    }
    if totals is not None:
        out |= _whole_run(totals, listed, bounded, fail_on, result.rows)
    return out


def _revisions_of(comparison: Comparison, charts: int, limit: int) -> dict[str, Any]:
    """The revisions section; a dask run's view gathers its own from the cluster."""
    gathered = getattr(comparison, "revisions_section", None)
    if gathered is not None:
        section: dict[str, Any] = gathered(charts, limit)
        return section
    return _revisions(comparison, charts, limit)


def _over_time_of(comparison: Comparison, charts: int, limit: int) -> dict[str, Any] | None:
    """The "Over time" section; a dask run's view gathers its own from the cluster."""
    gathered = getattr(comparison, "over_time_section", None)
    if gathered is not None:
        section: dict[str, Any] | None = gathered(charts, limit)
        return section
    return over_time(comparison, charts, limit)


def _whole_run(
    totals: Totals,
    listed: pd.DataFrame,
    bounded: dict[str, Any],
    fail_on: str,
    rows: dict[str, int],
) -> dict[str, Any]:
    """What a report of part of a run says of the whole run (see :class:`Totals`)."""
    c = totals.compared
    shown = pd.Series([d["label"] for d in bounded["disagreements"]], dtype="str")
    more = [
        Omitted((label,), int((shown == label).sum()), int(c.get(key, 0)))
        for label, key in (("conflict", "conflict"), ("far apart", "far apart"))
        if int(c.get(key, 0)) > int((shown == label).sum())
    ]
    return {
        "rows": rows | {"figures": totals.figures},
        "unlinked": totals.unlinked,
        "exit_code": totals.exit_code(fail_on),
        "compared": {"total": sum(c.get(s, 0) for s in ("conflict", "agree", "single")), **c},
        "counts": totals.counts(),
        "families": totals.families(),
        "findings_total": totals.findings,
        "findings_more": totals.omitted(listed, ["severity", "kind", "rule"]),
        "disagreements_total": int(c.get("conflict", 0)) + int(c.get("far apart", 0)),
        "disagreements_more": more,
        "partial": True,
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


def _linking(result: CheckResult) -> str:
    """How the run linked incidents, in a few words."""
    matching = result.linked.matching
    return matching.summary() if matching is not None else ""


def _families(findings: pd.DataFrame) -> list[dict[str, Any]]:
    """Per finding family present: its code, kind, what it finds, counts by severity."""
    groups = findings.groupby(["code", "kind", "severity"], dropna=False).size()
    return families_of(groups.rename("n").reset_index())


def _finding_rows(findings: pd.DataFrame, figures: pd.DataFrame) -> list[dict[str, Any]]:
    cites = citations(findings, figures)
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
            _tuples(findings), fd.location(findings), cites, _new(findings), strict=True
        )
    ]


def _new(findings: pd.DataFrame) -> np.ndarray:
    """Per finding: new since the suite's previous run (all False without a history)."""
    if "new" not in findings:
        return np.zeros(len(findings), dtype=bool)
    return findings["new"].to_numpy(dtype=bool)


def explanations(comparison: Comparison) -> list[tuple[str, int]]:
    """The conflicts by explanation, unexplained first, as (explanation, count): those
    with none left out but the unexplained; none when nothing conflicts or the comparison
    does not count them (a dask run's view)."""
    counted = getattr(comparison, "explanation_counts", None)
    counts: dict[str, int] = counted() if counted is not None else {}
    if not sum(counts.values()):
        return []
    return [(name, int(n)) for name, n in counts.items() if n or name == "unexplained"]


def _patterns(comparison: Comparison, limit: int) -> list[dict[str, str]]:
    """The systematic patterns (what explains most of one source's conflicts on a
    measure), by source, at most ``limit``; none from a comparison without them."""
    found = patterns_of(comparison)
    listed = found.iloc[np.argsort(found["source"].astype("str").to_numpy(), kind="stable")]
    return [
        {
            "source": _text(p.source),
            "measure": _text(p.measure),
            "explanation": _text(p.explanation),
            "message": _text(p.message),
        }
        for p in _tuples(listed.head(limit))
    ]


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

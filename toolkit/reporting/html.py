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

from toolkit import findings as fd

if TYPE_CHECKING:
    from toolkit.checking import CheckResult
    from toolkit.comparison import Comparison

_LINK = re.compile(r"^https?://[^\s<>\"'`]+$", re.IGNORECASE)
_RANK = {s: i for i, s in enumerate(fd.SEVERITIES)}


@cache
def _environment() -> Any:
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


def figures_by_group(latest: pd.DataFrame) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(incident, measure) -> [(source, figure shown), ...], in one pass over plain lists
    (a pandas groupby iterated per group costs a second per few thousand groups)."""
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    columns = (latest[c].tolist() for c in ("incident", "measure", "source", "shown"))
    for incident, measure, source, shown in zip(*columns, strict=True):
        out.setdefault((incident, measure), []).append((source, shown))
    return out


def _chart(fig: Any) -> str:
    from toolkit.reporting.charts import svg

    return base64.b64encode(svg(fig)).decode("ascii")


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
    figures: pd.DataFrame | None = None,
    *,
    fail_on: str = "error",
    charts: int = 10,
    title: str | None = None,
    generated: datetime | None = None,
) -> dict[str, Any]:
    """Everything the template shows, as plain values."""
    from toolkit import __version__
    from toolkit.comparison import compare
    from toolkit.reporting.charts import incident_chart, revision_chart, scorecard_chart

    comparison: Comparison = result.comparison or compare(
        figures if figures is not None else pd.DataFrame(), result.suite, findings=result.findings
    )
    figures = figures if figures is not None else comparison.figures
    attrs = figures.attrs.get("crosscheck", {}) if figures is not None else {}
    findings = result.findings
    table = comparison.table
    latest = comparison.latest

    files_ = attrs.get("files", [])
    rows = {
        "read": sum(f["rows_read"] for f in files_) if files_ else len(figures),
        "accepted": sum(f["rows_accepted"] for f in files_) if files_ else len(figures),
        "rejected": sum(f["rows_rejected"] for f in files_) if files_ else 0,
        "figures": len(figures),
    }
    status_counts = table["status"].value_counts()
    compared = {
        "total": len(table),
        **{s: int(status_counts.get(s, 0)) for s in ("conflict", "agree", "single")},
    }
    counts = []
    if len(findings):
        by = findings.groupby(["kind", "severity"]).size()
        for kind in [k for k in fd.KINDS if k in set(findings["kind"])]:
            counts.append((kind, [int(by.get((kind, s), 0)) for s in fd.SEVERITIES]))

    figures_of = figures_by_group(latest)
    shown = table[(table["status"] == "conflict") | table["wide_spread"]]
    disagreements = [
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
    chart_list = []
    worst = list(dict.fromkeys(shown["incident"]))[: max(charts, 0)]
    for incident in worst:
        mine = table[(table["incident"] == incident) & (table["sources"] > 1)]
        measures = list(mine["measure"])
        fig = incident_chart(comparison, incident, measures=measures)
        alt = "; ".join(
            f"{m}: " + ", ".join(f"{s} {v}" for s, v in figures_of.get((incident, m), []))
            for m in measures
        )
        chart_list.append({"incident": incident, "svg": _chart(fig), "alt": alt})

    revisions = comparison.revisions
    changed = revisions[revisions["direction"] != "first"]
    revision_rows = [
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
        for r in _tuples(changed)
    ]
    revision_charts = []
    if len(changed):
        down = changed["direction"] == "down"
        keys = list(
            dict.fromkeys(
                zip(
                    pd.concat([changed[down], changed[~down]])["incident"],
                    pd.concat([changed[down], changed[~down]])["measure"],
                    strict=True,
                )
            )
        )
        for incident, measure in keys[: max(1, charts // 4) if charts else 0]:
            fig = revision_chart(comparison, incident, measure)
            revision_charts.append({"incident": incident, "measure": measure, "svg": _chart(fig)})

    card = comparison.scorecard
    citations = _citations(findings, figures)
    where = fd.location(findings)
    finding_rows = [
        {
            "severity": f.severity,
            "rank": _RANK.get(f.severity, 9),
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
        }
        for f, w, c in zip(_tuples(findings), where, citations, strict=True)
    ]
    script, script_hash = _script()
    exit_code = fd.exit_code(findings, fail_on)
    return {
        "title": title or result.suite.name,
        "generated": (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
        "suite": result.suite,
        "fail_on": fail_on,
        "exit_code": exit_code,
        "rows": rows,
        "compared": compared,
        "files": files_,
        "unclaimed": attrs.get("unclaimed", []),
        "severities": list(fd.SEVERITIES),
        "counts": counts,
        "disagreements": disagreements,
        "charts": chart_list,
        "findings": finding_rows,
        "revisions": revision_rows,
        "revision_charts": revision_charts,
        "scorecard": [
            {
                "source": s.source,
                "figures": int(s.figures),
                "incidents": int(s.incidents),
                "compared": int(s.compared),
                "outliers": int(s.outliers),
                "in_conflict": int(s.in_conflict),
                "rule_findings": int(s.rule_findings),
                "median_distance": _num(float(s.median_distance)),
                "distance_value": float(s.median_distance)
                if np.isfinite(s.median_distance)
                else -1,
            }
            for s in _tuples(card)
        ],
        "scorecard_chart": _chart(scorecard_chart(card)) if len(card) else "",
        "rules": result.rules,
        "script": script,
        "script_hash": script_hash,
    }


def render(result: CheckResult, figures: pd.DataFrame | None = None, **options: Any) -> str:
    """The report as one HTML string (see :func:`write`)."""
    return str(
        _environment().get_template("report.html.j2").render(context(result, figures, **options))
    )


def write(
    result: CheckResult, path: str | Path, figures: pd.DataFrame | None = None, **options: Any
) -> Path:
    """Write the self-contained HTML report of a check to ``path``.

    Options: ``fail_on`` (the exit status shown), ``charts`` (incidents charted, worst
    first; tables list all), ``title``, ``generated`` (a datetime, for reproducible files).
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(render(result, figures, **options), encoding="utf-8")
    return p

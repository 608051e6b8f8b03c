"""How results show themselves in a notebook (``_repr_html_``) and a terminal
(``__repr__``): summary first, the worst disagreements with a chart, then findings; the
look of the HTML report, and the same escaping (Jinja2 autoescape)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from toolkit.model import findings as fd
from toolkit.model.vocabulary import SEVERITIES
from toolkit.reporting.console import explanation_text
from toolkit.reporting.html import disagreements as disagreement_rows
from toolkit.reporting.html import environment, incident_svg

if TYPE_CHECKING:
    from toolkit.comparing import Comparison
    from toolkit.pipeline import CheckResult

ROWS = 20


def _disagreements(c: Comparison) -> tuple[list[dict[str, Any]], int]:
    """The first ROWS disagreements, and how many more there are."""
    total = len(c.disagreements)
    return disagreement_rows(c, ROWS), max(total - ROWS, 0)


def _worst_chart(c: Comparison, rows: list[dict[str, Any]]) -> dict[str, str] | None:
    """The chart of the incident with the worst disagreement, if there is one."""
    if not rows:
        return None
    return incident_svg(c, rows[0]["incident"])


def _findings(findings: pd.DataFrame, limit: int) -> tuple[list[dict[str, Any]], int]:
    head = findings.head(limit)
    where = fd.location(head)
    rows = [
        {
            "severity": r["severity"],
            "kind": r["kind"],
            "rule": r["rule"],
            "where": w,
            "source": "" if pd.isna(r["source"]) else r["source"],
            "message": r["message"],
        }
        for r, w in zip(head.to_dict("records"), where, strict=True)
    ]
    return rows, max(len(findings) - limit, 0)


def _render(**values: Any) -> str:
    return str(environment().get_template("notebook.html.j2").render(**values))


def check_html(result: CheckResult) -> str:
    findings = result.findings
    disagreements, more_d = _disagreements(result.comparison)
    rows, more_f = _findings(findings, ROWS)
    return _render(
        heading="crosscheck: check",
        suite=result.suite.name,
        ok=result.ok,
        verdict="no errors" if result.ok else "errors",
        summary=check_text_summary(result),
        severities=list(SEVERITIES),
        counts=fd.counts(findings),
        disagreements=disagreements,
        more_disagreements=more_d,
        chart=_worst_chart(result.comparison, disagreements),
        findings=rows,
        more_findings=more_f,
    )


def comparison_html(c: Comparison) -> str:
    disagreements, more_d = _disagreements(c)
    rows, more_f = _findings(c.findings, ROWS)
    conflicts = int((c.table["status"] == "conflict").sum())
    return _render(
        heading="crosscheck: comparison",
        suite=c.suite.name,
        ok=conflicts == 0,
        verdict=f"{conflicts} conflict" + ("" if conflicts == 1 else "s"),
        summary=comparison_text_summary(c),
        severities=list(SEVERITIES),
        counts=fd.counts(c.findings),
        disagreements=disagreements,
        more_disagreements=more_d,
        chart=_worst_chart(c, disagreements),
        findings=rows,
        more_findings=more_f,
    )


def check_text_summary(result: CheckResult) -> str:
    f = result.findings
    by = ", ".join(f"{int((f['severity'] == s).sum())} {s}" for s in SEVERITIES)
    text = f"{len(f)} findings ({by}) from {len(result.rules)} rules"
    text += "; " + comparison_text_summary(result.comparison)
    return text


def comparison_text_summary(c: Comparison) -> str:
    text = (
        f"{len(c.table)} incident x measure pairs compared: {c.status_text()}; "
        f"{c.counts()['far apart']} far apart"
    )
    counted = getattr(c, "explanation_counts", None)  # not on a dask run's view
    explained = explanation_text(counted()) if counted is not None else ""
    if explained:
        text += f"; conflicts by explanation: {explained}"
    if c.series is not None:
        text += f"; over time: {c.series.status_text()}"
    return text


def _lines(findings: pd.DataFrame, limit: int = 5) -> list[str]:
    where = fd.location(findings.head(limit))
    return [
        f"  {r['severity']:<7} {w}: {r['message']}"
        for r, w in zip(findings.head(limit).to_dict("records"), where, strict=True)
    ]


def check_repr(result: CheckResult) -> str:
    lines = [
        f"<CheckResult suite={result.suite.name!r} ok={result.ok}: {check_text_summary(result)}>"
    ]
    lines += _lines(result.findings)
    if len(result.findings) > 5:
        lines.append(f"  … {len(result.findings) - 5} more in .findings")
    return "\n".join(lines)


def comparison_repr(c: Comparison) -> str:
    lines = [f"<Comparison suite={c.suite.name!r}: {comparison_text_summary(c)}>"]
    worst = c.disagreements.head(5)
    for r in worst.to_dict("records"):
        figures = c.latest[
            (c.latest["incident"] == r["incident"]) & (c.latest["measure"] == r["measure"])
        ]
        said = ", ".join(
            f"{s} {t}" for s, t in zip(figures["source"], figures["shown"], strict=True)
        )
        label = "conflict" if r["status"] == "conflict" else "far apart"
        why = r.get("explanation")
        why = f" [{why}]" if isinstance(why, str) else ""
        lines.append(f"  {label:<9} {r['incident']} / {r['measure']}: {said}{why}")
    return "\n".join(lines)

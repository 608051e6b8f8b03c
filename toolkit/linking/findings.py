"""The link stage's findings: a best candidate that fell short of the threshold (one per
incident, naming it, its score and why it fell short), and one source listing one
incident twice."""

from __future__ import annotations

from typing import Any

import pandas as pd

from toolkit.model import findings as fd
from toolkit.model.vocabulary import FAMILIES
from toolkit.suite import Suite


def link_findings(walk: pd.DataFrame, suite: Suite, cut: float) -> pd.DataFrame:
    """Findings of a crosswalk's ``uncertain`` and ``listed twice?`` rows."""
    rows = []
    for r in walk.itertuples(index=False):
        if r.status == "uncertain":
            rows.append(
                {
                    **_link_finding("uncertain-match", r, suite),
                    "column": "location",
                    "observed": f"{r.score:.2f}",
                    "expected": f">= {cut:.2f}",
                    "message": f"{r.source} {r.incident} ({_text(r.location)}, "
                    f"{day_text(r.event_start)}) may be {r.candidate_source} "
                    f"{r.candidate_incident}: score {r.score:.2f}, below {cut:.2f} "
                    f"({_text(r.why)}); not merged: confirm in the crosswalk",
                }
            )
        elif r.status == "listed twice?":
            rows.append(
                {
                    **_link_finding("listed-twice", r, suite),
                    "column": "incident",
                    "observed": f"{r.score:.2f}",
                    "expected": "one row per incident",
                    "message": f"{r.source} lists {r.incident} and {r.candidate_incident} at "
                    f"{_text(r.location)} on {day_text(r.event_start)} ({_text(r.why)}): one "
                    "incident listed twice (one row per party, say)? Not merged: confirm in "
                    "the crosswalk",
                }
            )
    return fd.from_records(rows)


def _text(value: object) -> str:
    return value if isinstance(value, str) else "no place given"


def _link_finding(code: str, r: Any, suite: Suite) -> dict[str, Any]:
    family = FAMILIES[code]
    return {
        "kind": family.kind.value,
        "code": code,
        "rule": family.title,
        "severity": suite.severity_of(code),
        "incident": r.incident,
        "source": r.source,
        "origin_file": r.origin_file,
        "origin_row": r.origin_row,
    }


def day_text(value: object) -> str:
    """A date as YYYY-MM-DD, or "no date"."""
    return (
        pd.Timestamp(value).strftime("%Y-%m-%d") if isinstance(value, pd.Timestamp) else "no date"
    )

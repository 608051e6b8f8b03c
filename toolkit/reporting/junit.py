"""JUnit XML of a check: a test case per rule x incident, so CI shows each as a test.

A case fails when it has a finding at or above ``fail_on``; its failure names each
finding's file:line and message. Lower findings go to the case's system-out. When the run
had a history (a ``new`` column), a case with a finding the suite's previous run did not
have carries ``<property name="new" value="true"/>``, each new finding's line starts with
``new: `` and so does the failure's message when a new finding fails the case (it is then
the one the message names).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from toolkit.model import findings as fd
from toolkit.model.vocabulary import Kind, failing, titles
from toolkit.reporting.writers import write_with

if TYPE_CHECKING:
    from toolkit.pipeline import CheckResult

NO_INCIDENT = "(no incident)"


COMPARISON = titles(Kind.DISCREPANCY)


def by_rule(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings, one row per rule each names (a finding may name several rules of one
    family, joined with "; ")."""
    out = findings.assign(rule=findings["rule"].str.split("; "))
    return out.explode("rule", ignore_index=True)


def cases(result: CheckResult) -> list[tuple[str, str]]:
    """The (rule, incident) test cases: every rule that ran (and the comparison's checks)
    or found something, for every incident in the figures or the findings."""
    f = by_rule(result.findings)
    rules = list(dict.fromkeys([r.name for r in result.rules] + COMPARISON))
    rules += [r for r in dict.fromkeys(f["rule"].dropna()) if r not in rules]
    tables = [result.figures, result.linked.figures]
    incidents = [str(i) for t in tables for i in t["incident"].dropna().unique()]
    incidents += [str(i) for i in f["incident"].dropna().unique()]
    incidents = sorted(set(incidents))
    if f["incident"].isna().any():
        incidents.append(NO_INCIDENT)
    return [(rule, incident) for rule in rules for incident in incidents]


def tree(result: CheckResult, fail_on: str = "error") -> ET.ElementTree[ET.Element]:
    f = by_rule(result.findings)
    f["incident"] = f["incident"].fillna(NO_INCIDENT)
    f["where"] = fd.location(f)
    f["new"] = f["new"].to_numpy(dtype=bool) if "new" in f else False
    at_or_above = failing(fail_on)
    by_case = dict(iter(f.groupby(["rule", "incident"], sort=False)))
    root = ET.Element("testsuites", name="crosscheck")
    total = failures = 0
    suites: dict[str, ET.Element] = {}
    for rule, incident in cases(result):
        suite = suites.get(rule)
        if suite is None:
            suite = suites[rule] = ET.SubElement(root, "testsuite", name=rule)
        case = ET.SubElement(
            suite, "testcase", name=incident, classname=f"crosscheck.{_slug(rule)}"
        )
        total += 1
        found = by_case.get((rule, incident))
        if found is None:
            continue
        bad = found[found["severity"].isin(at_or_above)]
        if bool(found["new"].any()):
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="new", value="true")
        lines = [
            f"{'new: ' if n else ''}{w}: [{s}] {m}"
            for n, w, s, m in zip(
                found["new"], found["where"], found["severity"], found["message"], strict=True
            )
        ]
        if len(bad):
            failures += 1
            fresh = bad[bad["new"].to_numpy(dtype=bool)]
            first = (fresh if len(fresh) else bad).iloc[0]
            failure = ET.SubElement(
                case,
                "failure",
                message=f"{'new: ' if first['new'] else ''}{first['where']}: {first['message']}",
                type=str(first["kind"]),
            )
            failure.text = "\n".join(lines)
        else:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(lines)
    for name, suite in suites.items():
        n = len(suite)
        failed = sum(1 for c in suite if c.find("failure") is not None)
        suite.set("tests", str(n))
        suite.set("failures", str(failed))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        del name
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    return ET.ElementTree(root)


def write(result: CheckResult, path: str | Path, fail_on: str = "error") -> Path:
    """Write the JUnit XML of a check to ``path`` (atomically)."""
    t = tree(result, fail_on)
    ET.indent(t)
    return write_with(path, lambda p: t.write(p, encoding="utf-8", xml_declaration=True))


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text).strip("_") or "rule"

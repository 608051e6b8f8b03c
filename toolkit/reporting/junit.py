"""JUnit XML of a check: a test case per rule x incident, so CI shows each as a test.

A case fails when it has a finding at or above ``fail_on``; its failure names each
finding's file:line and message. Lower findings go to the case's system-out. When the run
had a history (a ``new`` column), a case with a finding the suite's previous run did not
have carries ``<property name="new" value="true"/>``, each new finding's line starts with
``new: `` and so does the failure's message when a new finding fails the case (it is then
the one the message names).

The file is built from findings frames given one after another (:func:`write_frames`): a
run's one frame, or a cluster's parts, which are put aside rule by rule in a folder beside
the file and read back one rule at a time (a test suite), so that no process holds every
finding.
"""

from __future__ import annotations

import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Sequence
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

# what a case needs of a finding (and what orders findings: kind, severity, file, line)
_KEPT = ["rule", "incident", "where", "new", "severity", "kind", "message"]
_KEPT += ["origin_file", "origin_row"]


def by_rule(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings, one row per rule each names (a finding may name several rules of one
    family, joined with "; ")."""
    out = findings.assign(rule=findings["rule"].str.split("; "))
    return out.explode("rule", ignore_index=True)


class _Found:
    """Findings frames taken one after another, kept by rule: in memory (``folder`` None:
    one frame, in its order) or written as Parquet parts to ``folder`` (many frames, each put in the
    native order, worst first; a rule's rows are read back and ordered together).
    Also the incidents they name, and the order in which their rules first appear."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self.kept: dict[str, list[pd.DataFrame]] = {}
        self.files: dict[str, Path] = {}
        self.parts: dict[str, int] = {}  # parts written per rule
        self.incidents: set[str] = set()
        self.no_incident = False
        self.firsts: list[pd.DataFrame] = []

    def add(self, findings: pd.DataFrame) -> None:
        if self.folder is not None:
            findings = fd.sort(findings)
        named = findings["incident"]
        self.incidents.update(str(i) for i in named.dropna().unique())
        self.no_incident = self.no_incident or bool(named.isna().any())
        f = by_rule(findings)
        f = f[f["rule"].notna()]
        f["incident"] = f["incident"].fillna(NO_INCIDENT)
        f["where"] = fd.location(f)
        f["new"] = f["new"].to_numpy(dtype=bool) if "new" in f else False
        f = f[_KEPT]
        self.firsts.append(f.drop_duplicates("rule"))
        for rule, rows in f.groupby("rule", sort=False):
            self._keep(str(rule), rows)

    def _keep(self, rule: str, rows: pd.DataFrame) -> None:
        if self.folder is None:
            self.kept.setdefault(rule, []).append(rows)
            return
        path = self.files.setdefault(rule, self.folder / f"rule-{len(self.files)}")
        path.mkdir(exist_ok=True)
        self.parts[rule] = n = self.parts.get(rule, 0) + 1
        rows.to_parquet(path / f"part-{n:06d}.parquet", index=False)

    def rules(self) -> list[str]:
        """The rules found, in the order of their first finding, worst first."""
        if not self.firsts:
            return []
        firsts = pd.concat(self.firsts, ignore_index=True)
        if self.folder is not None:
            firsts = fd.sort(firsts)
        return [str(r) for r in dict.fromkeys(firsts["rule"])]

    def of(self, rule: str) -> pd.DataFrame | None:
        """The findings of ``rule``, in the native order; None when it has none."""
        if self.folder is None:
            kept = self.kept.get(rule)
            return None if kept is None else pd.concat(kept)
        path = self.files.get(rule)
        if path is None:
            return None
        parts = [pd.read_parquet(part) for part in sorted(path.iterdir())]
        return fd.sort(pd.concat(parts, ignore_index=True))


def _planned(
    ran: Sequence[str], incidents: Iterable[str], found: _Found
) -> tuple[list[str], list[str]]:
    """The test suites (every rule that ran, the comparison's checks, then any other rule
    found) and the test cases of each (every incident, sorted; then findings without)."""
    rules = list(dict.fromkeys([*ran, *COMPARISON]))
    rules += [r for r in found.rules() if r not in rules]
    names = sorted(set(incidents) | found.incidents)
    if found.no_incident:
        names.append(NO_INCIDENT)
    return rules, names


def _figure_incidents(result: CheckResult) -> list[str]:
    tables = [result.figures, result.linked.figures]
    return [str(i) for t in tables for i in t["incident"].dropna().unique()]


def _ran(result: CheckResult) -> list[str]:
    return [r.name for r in result.rules]


def cases(result: CheckResult) -> list[tuple[str, str]]:
    """The (rule, incident) test cases: every rule that ran (and the comparison's checks)
    or found something, for every incident in the figures or the findings."""
    found = _Found()
    found.add(result.findings)
    rules, incidents = _planned(_ran(result), _figure_incidents(result), found)
    return [(rule, incident) for rule in rules for incident in incidents]


def _suites(
    rules: list[str], incidents: list[str], found: _Found, fail_on: str
) -> Iterator[tuple[ET.Element, int]]:
    """Each rule's test suite, with its number of failing cases (none without incidents)."""
    if not incidents:
        return
    at_or_above = failing(fail_on)
    for rule in rules:
        rows = found.of(rule)
        by_case = {} if rows is None else dict(iter(rows.groupby("incident", sort=False)))
        suite = ET.Element("testsuite", name=rule)
        failed = 0
        for incident in incidents:
            case = ET.SubElement(
                suite, "testcase", name=incident, classname=f"crosscheck.{_slug(rule)}"
            )
            here = by_case.get(incident)
            if here is not None:
                failed += _filled(case, here, at_or_above)
        suite.set("tests", str(len(incidents)))
        suite.set("failures", str(failed))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        yield suite, failed


def _filled(case: ET.Element, found: pd.DataFrame, at_or_above: tuple[str, ...]) -> int:
    """A case's findings: a failure (1) when one is at or above the threshold, else
    system-out (0)."""
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
    if not len(bad):
        out = ET.SubElement(case, "system-out")
        out.text = "\n".join(lines)
        return 0
    fresh = bad[bad["new"].to_numpy(dtype=bool)]
    first = (fresh if len(fresh) else bad).iloc[0]
    failure = ET.SubElement(
        case,
        "failure",
        message=f"{'new: ' if first['new'] else ''}{first['where']}: {first['message']}",
        type=str(first["kind"]),
    )
    failure.text = "\n".join(lines)
    return 1


def tree(result: CheckResult, fail_on: str = "error") -> ET.ElementTree[ET.Element]:
    found = _Found()
    found.add(result.findings)
    rules, incidents = _planned(_ran(result), _figure_incidents(result), found)
    root = ET.Element("testsuites", name="crosscheck")
    failures = 0
    for suite, failed in _suites(rules, incidents, found, fail_on):
        root.append(suite)
        failures += failed
    root.set("tests", str(len(root) * len(incidents)))
    root.set("failures", str(failures))
    root.set("errors", "0")
    return ET.ElementTree(root)


def write(result: CheckResult, path: str | Path, fail_on: str = "error") -> Path:
    """Write the JUnit XML of a check to ``path`` (atomically)."""
    return write_frames(
        path, _ran(result), _figure_incidents(result), [result.findings], fail_on, spill=False
    )


def write_frames(
    path: str | Path,
    ran: Sequence[str],
    incidents: Iterable[str],
    frames: Iterable[pd.DataFrame],
    fail_on: str = "error",
    *,
    spill: bool = True,
) -> Path:
    """Write the JUnit XML of a run to ``path`` (atomically) from its findings given as
    ``frames`` one after another: ``ran`` names the rules that ran, ``incidents`` those of
    its figures (those the findings name are added). With ``spill``, the frames are put
    aside on disk beside ``path`` (no frame is held after it is read) and read back a rule
    at a time; without, they are kept in memory (one frame: the native run's).

    The file is byte for byte what :func:`tree` gives for the same findings: the suites
    are written one by one to a body, then the counts' header and the body into the file.
    """

    def streamed(temporary: Path) -> None:
        with tempfile.TemporaryDirectory(
            prefix=f"{temporary.name}.", suffix=".parts", dir=temporary.parent
        ) as aside:
            folder = Path(aside)
            found = _Found(folder if spill else None)
            for frame in frames:
                found.add(frame)
            rules, names = _planned(ran, incidents, found)
            body = folder / "body.xml"
            suites = failures = 0
            with open(body, "w", encoding="utf-8", newline="\n", errors="xmlcharrefreplace") as out:
                for suite, failed in _suites(rules, names, found, fail_on):
                    ET.indent(suite, level=1)
                    out.write("\n  " + ET.tostring(suite, encoding="unicode"))
                    suites += 1
                    failures += failed
                if suites:
                    out.write("\n")
            root = ET.Element("testsuites", name="crosscheck")
            root.set("tests", str(suites * len(names)))
            root.set("failures", str(failures))
            root.set("errors", "0")
            if suites:
                root.text = "BODY"
            head, _, tail = ET.tostring(root, encoding="unicode").partition("BODY")
            with (
                open(
                    temporary, "w", encoding="utf-8", newline="\n", errors="xmlcharrefreplace"
                ) as xml,
                open(body, encoding="utf-8", newline="") as b,
            ):
                xml.write("<?xml version='1.0' encoding='utf-8'?>\n" + head)
                shutil.copyfileobj(b, xml)
                xml.write(tail)

    return write_with(path, streamed)


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text).strip("_") or "rule"

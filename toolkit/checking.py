"""Check stage: schema and consistency rules over a figures table, as one findings table."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from toolkit import figures as ft
from toolkit import findings as fd
from toolkit.errors import CrosscheckError
from toolkit.rules import Rule, derive, load_rules, parameters, resolve
from toolkit.rules.native import REGISTRY, Outcome
from toolkit.rules.views import Views
from toolkit.schema import check_schema
from toolkit.suite import Suite, suite_for

if TYPE_CHECKING:
    from toolkit.comparison import Comparison

ENGINES = ("native", "gx")


@dataclass(frozen=True)
class CheckResult:
    """Findings of a check, worst first, and the rules that ran."""

    findings: pd.DataFrame
    rules: tuple[Rule, ...]
    suite: Suite
    comparison: Comparison | None = None

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not bool((self.findings["severity"] == "error").any())

    def __repr__(self) -> str:
        from toolkit.reporting.notebook import check_repr

        return check_repr(self)

    def _repr_html_(self) -> str:
        from toolkit.reporting.notebook import check_html

        return check_html(self)

    @property
    def summary(self) -> pd.DataFrame:
        """Counts of findings by kind and severity."""
        table = self.findings.groupby(["kind", "severity"]).size().unstack(fill_value=0)
        return table.reindex(columns=list(fd.SEVERITIES), fill_value=0)


def suite_rules(suite: Suite) -> tuple[Rule, ...]:
    """The rules derived from the suite's taxonomy, then its hand-written GX rules."""
    written = [r for f in suite.rule_files for r in load_rules(f, REGISTRY)]
    return (*derive(suite), *written)


def check(
    figures: pd.DataFrame,
    suite: str | Path | Suite | None = None,
    engine: str = "native",
    compare: bool = True,
    on_rule: Callable[[str, int], None] | None = None,
) -> CheckResult:
    """Check a figures table against the schema and the suite's rules.

    Parameters
    ----------
    figures
        A figures table (from :func:`toolkit.read`); its input findings come along.
    suite
        A suite folder; by default the one the table was read with.
    engine
        ``"native"``: vectorized pandas (default); ``"gx"``: Great Expectations itself, the
        reference the native engine is tested against.
    compare
        Also compare the sources (:func:`toolkit.compare`) and include its discrepancy
        and revision findings; the comparison is kept as ``result.comparison``.
    on_rule
        Called with each rule's name, and the number of rules, as it runs (a progress
        display).

    Examples
    --------
    >>> import toolkit as cc
    >>> result = cc.check(cc.read("fixtures/al-qaryatayn"))
    >>> result.ok
    True
    """
    if engine not in ENGINES:
        raise CrosscheckError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    the_suite = suite_for(figures, suite)
    figures = ft.conform(figures.reset_index(drop=True))
    rules = suite_rules(the_suite)
    views = Views(figures, the_suite.compare["about_tolerance"])
    found = [
        fd.from_records(figures.attrs.get("crosscheck", {}).get("input_findings", [])),
        check_schema(figures, the_suite.taxonomy),
    ]
    values = parameters(the_suite)
    outcomes: Iterable[Outcome]
    if engine == "gx":
        from toolkit import gx

        outcomes = gx.run(views, rules, values)
    else:
        # one rule at a time: an outcome holds row-sized arrays, so do not keep them all
        outcomes = (REGISTRY[r.expectation](views, **resolve(r.kwargs, values)) for r in rules)
    for rule, outcome in zip(rules, outcomes, strict=True):
        if on_rule is not None:
            on_rule(rule.name, len(rules))
        if outcome.fail.any():
            found.append(_rule_findings(figures, views, rule, outcome))
    checked = pd.concat([f for f in found if len(f)] or [fd.empty()], ignore_index=True)
    comparison = None
    if compare:
        from toolkit.comparison import compare as compare_sources

        comparison = compare_sources(figures, the_suite, findings=checked)
        if len(comparison.findings):
            checked = pd.concat([checked, comparison.findings], ignore_index=True)
    return CheckResult(fd.sort(checked), rules, the_suite, comparison)


def _rule_findings(
    figures: pd.DataFrame, views: Views, rule: Rule, outcome: Outcome
) -> pd.DataFrame:
    fail = outcome.fail
    severity = rule.severity
    note = ""
    applies = int(outcome.applies.sum())
    if rule.mostly < 1 and fail.sum() <= (1 - rule.mostly) * applies:
        severity, note = "info", f" (within mostly={rule.mostly:g})"
    sub = figures.loc[fail]
    lo, hi = views.lo[fail], views.hi[fail]
    observed = [fd.interval_text(a, b) for a, b in zip(lo, hi, strict=True)]
    expected: Any = (
        outcome.expected if isinstance(outcome.expected, str) else (outcome.expected(fail))
    )
    return fd.from_frame(
        pd.DataFrame(
            {
                "kind": "rule",
                "rule": rule.name,
                "severity": severity,
                "incident": sub["incident"].to_numpy(),
                "source": sub["source"].to_numpy(),
                "measure": sub["measure"].to_numpy(),
                "reported_on": sub["reported_on"].to_numpy(),
                "origin_file": sub["origin_file"].to_numpy(),
                "origin_row": sub["origin_row"].to_numpy(),
                "observed": observed,
                "expected": expected,
                "message": rule.message + note,
            }
        )
    )

"""Check stage: the schema (pandera) and the suite's consistency rules over a figures table.

``rules`` says what a rule is and derives them from the taxonomy; ``native`` runs each as
vectorized masks over shared ``views``; ``gx`` runs the same rules in Great Expectations,
the reference the native engine is held to; ``schema`` is the pandera stage. Rules run on
each source's own incident keys, before linking.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from toolkit.checking.native import REGISTRY, Outcome
from toolkit.checking.rules import (
    Rule,
    derive,
    load_rules,
    missing_columns,
    parameters,
    resolve,
    uncomparable,
)
from toolkit.checking.schema import check_schema
from toolkit.checking.views import Views
from toolkit.errors import CrosscheckError, RuleError, did_you_mean
from toolkit.model import figures as ft
from toolkit.model import findings as fd
from toolkit.model.intervals import interval_texts
from toolkit.model.vocabulary import SEVERITIES
from toolkit.suite import Suite

ENGINES = ("native", "gx")


@dataclass(frozen=True)
class Checked:
    """What the check stage found: schema and rule findings (worst first), and the rules
    that ran."""

    findings: pd.DataFrame
    rules: tuple[Rule, ...]
    counts: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # rule: failed, applied


def suite_rules(suite: Suite) -> tuple[Rule, ...]:
    """The rules derived from the suite's taxonomy, then its hand-written GX rules."""
    written = [r for f in suite.rule_files for r in load_rules(f, REGISTRY, suite)]
    return (*derive(suite), *written)


def check_figures(
    figures: pd.DataFrame,
    suite: Suite,
    engine: str = "native",
    on_rule: Callable[[str, int], None] | None = None,
    within: Mapping[str, bool] | None = None,
) -> Checked:
    """Check a figures table against the schema and the suite's rules.

    Parameters
    ----------
    figures
        A figures table, as read (each source's own incident keys).
    suite
        The suite whose taxonomy and rules apply.
    engine
        ``"native"``: vectorized pandas (default); ``"gx"``: Great Expectations itself, the
        reference the native engine is tested against.
    on_rule
        Called with each rule's name, and the number of rules, as it runs (a progress
        display).
    within
        Per rule name, whether its failures stay within its ``mostly`` (findings of
        severity info); by default decided on this table. Where a table is checked in
        parts (the Dask engine), the decision is taken on the whole table's counts
        (:attr:`Checked.counts` of each part, added).
    """
    if engine not in ENGINES:
        raise CrosscheckError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    figures = ft.conform(figures.reset_index(drop=True))
    rules = suite_rules(suite)
    for rule in rules:
        _runnable(rule, figures)
    views = Views(figures, suite.compare.about_tolerance, suite.compare.match_days)
    broken = []
    counts: dict[str, tuple[int, int]] = {}
    for rule, outcome in zip(rules, _outcomes(engine, views, rules, suite), strict=True):
        if on_rule is not None:
            on_rule(rule.name, len(rules))
        with _running(rule):
            failed = int(outcome.fail.sum())
            counts[rule.name] = (failed, int(outcome.applies.sum()))
            if failed:
                held = None if within is None else within.get(rule.name)
                broken.append(_rule_findings(figures, views, rule, outcome, held))
    found = [check_schema(figures, suite.taxonomy), one_per_row_and_family(broken)]
    return Checked(fd.concat(found), rules, counts)


def within_mostly(rules: Iterable[Rule], counts: Mapping[str, tuple[int, int]]) -> dict[str, bool]:
    """Per rule with a ``mostly`` tolerance: whether its failures (``counts``: failed and
    applied rows) stay within it."""
    return {
        r.name: counts.get(r.name, (0, 0))[0] <= (1 - r.mostly) * counts.get(r.name, (0, 0))[1]
        for r in rules
        if r.mostly < 1
    }


def one_per_row_and_family(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Rule findings, one per row and family: a row that breaks several rules of one
    family (overlapping partitions of one whole, say) gets one finding naming each rule
    (``rule``: the names joined with "; "), with their messages and expectations."""
    if not parts:
        return fd.empty()
    found = pd.concat(parts, ignore_index=True)
    twice = found.duplicated(["row", "code"], keep=False).to_numpy()
    if not twice.any():
        return found.drop(columns="row")
    joined: dict[str, Any] = {c: "first" for c in found.columns if c not in ("row", "code")}
    joined |= dict.fromkeys(("rule", "expected", "message"), _join_distinct)
    joined["severity"] = _most_severe  # a rule within its `mostly` must not hide an error
    merged = found[twice].groupby(["row", "code"], sort=False).agg(joined).reset_index()
    return fd.from_frame(pd.concat([found[~twice], merged], ignore_index=True).drop(columns="row"))


def _most_severe(severities: pd.Series) -> str:
    return min(severities.astype("str"), key=SEVERITIES.index)  # SEVERITIES: worst first


def _join_distinct(texts: pd.Series) -> str:
    return "; ".join(dict.fromkeys(texts.astype("str")))


def _outcomes(
    engine: str, views: Views, rules: tuple[Rule, ...], suite: Suite
) -> Iterable[Outcome]:
    values = parameters(suite)
    if engine == "gx":
        from toolkit.checking import gx

        return gx.run(views, rules, values)
    # one rule at a time: an outcome holds row-sized arrays, so do not keep them all
    return (_native(views, r, values) for r in rules)


def _native(views: Views, rule: Rule, values: dict[str, Any]) -> Outcome:
    with _running(rule):
        return REGISTRY[rule.expectation](views, **resolve(rule.kwargs, values))


@contextmanager
def _running(rule: Rule) -> Iterator[None]:
    """Whatever a rule's kernel raises on data it cannot handle becomes a
    :class:`RuleError` naming the rule, never a traceback."""
    try:
        yield
    except CrosscheckError:
        raise
    except (TypeError, ValueError, LookupError, ArithmeticError) as exc:
        raise RuleError(rule.name, f"cannot run on this table: {exc}") from None


def _runnable(rule: Rule, figures: pd.DataFrame) -> None:
    """Raise :class:`RuleError` for a rule that cannot run on this table: a column it names
    is missing, or its keyword arguments are not the expectation's."""
    missing = missing_columns(rule, figures.columns)
    if missing:
        raise RuleError(
            rule.name, f"names column {missing[0]!r}, which the figures table does not have"
        )
    problem = uncomparable(rule, figures)
    if problem:
        raise RuleError(rule.name, problem)
    signature = inspect.signature(REGISTRY[rule.expectation])
    accepted = list(signature.parameters)[1:]  # after the views
    for name in rule.kwargs:
        if name not in accepted:
            raise RuleError(
                rule.name,
                f"{rule.expectation} takes no argument {name!r}." + did_you_mean(name, accepted),
            )
    try:
        signature.bind(None, **rule.kwargs)
    except TypeError as exc:
        raise RuleError(rule.name, f"{rule.expectation}: {exc}") from None


def _rule_findings(
    figures: pd.DataFrame, views: Views, rule: Rule, outcome: Outcome, held: bool | None = None
) -> pd.DataFrame:
    fail = outcome.fail
    severity = rule.severity
    note = ""
    applies = int(outcome.applies.sum())
    if held is None:
        held = bool(fail.sum() <= (1 - rule.mostly) * applies)
    if rule.mostly < 1 and held:
        severity, note = "info", f" (within mostly={rule.mostly:g})"
    sub = figures.loc[fail]
    observed = (
        interval_texts(views.lo[fail], views.hi[fail], sub["qualifier"])
        if outcome.observed is None
        else outcome.observed(fail)
    )
    expected: Any = (
        outcome.expected if isinstance(outcome.expected, str) else (outcome.expected(fail))
    )
    found = fd.from_frame(
        pd.DataFrame(
            {
                "kind": "rule",
                "code": rule.family,
                "rule": rule.name,
                "severity": severity,
                "incident": sub["incident"].to_numpy(),
                "source": sub["source"].to_numpy(),
                "measure": sub["measure"].to_numpy(),
                "reported_on": sub["reported_on"].to_numpy(),
                "origin_file": sub["origin_file"].to_numpy(),
                "origin_row": sub["origin_row"].to_numpy(),
                "observed": np.asarray(observed, dtype=object),
                "expected": expected,
                "message": rule.message + note,
            }
        )
    )
    found["row"] = np.flatnonzero(fail)  # which figure: to merge one row's findings of a family
    return found

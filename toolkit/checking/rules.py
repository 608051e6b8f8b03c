"""Consistency rules: what a rule is, the rules derived from a suite's taxonomy, and the
hand-written ones of its GX JSON files.

A rule is data: an expectation type (Great Expectations' name for it), its keyword
arguments, its finding family, a severity and a ``mostly`` tolerance. Engines (``native``,
``gx``) decide how it runs. Nobody writes "killed >= killed.civilians" by hand: :func:`derive`
builds those from the taxonomy.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from toolkit.errors import SuiteError, did_you_mean
from toolkit.model.vocabulary import SEVERITIES

if TYPE_CHECKING:
    from toolkit.suite import RuleFile, Suite


# Expectation types crosscheck adds to GX (custom MulticolumnMapExpectations), and the
# columns each receives: figures with their intervals (lo, hi).
CUSTOM_EXPECTATIONS = frozenset(
    {
        "expect_figure_within_bounds",
        "expect_figure_not_above_parent",
        "expect_parts_not_above_whole",
        "expect_parts_to_equal_whole",
        "expect_cumulative_figure_not_to_drop",
        "expect_one_figure_per_report",
        "expect_one_incident_per_key",
        "expect_increment_to_match_cumulative",
    }
)
GX_COLUMNS = (
    "incident",
    "source",
    "measure",
    "reported_on",
    "event_start",
    "location",
    "value",
    "low",
    "high",
    "qualifier",
    "lo",
    "hi",
    "one_incident",
    "origin_file",
    "origin_row",
)


@dataclass(frozen=True)
class Rule:
    """One rule. ``name`` says which figures it is about; ``family`` sets its severity."""

    name: str
    family: str
    expectation: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    severity: str = "error"
    mostly: float = 1.0
    message: str = ""


def derive(suite: Suite) -> list[Rule]:
    """The rules a suite's taxonomy and settings imply.

    Examples
    --------
    >>> from toolkit.suite import load_suite
    >>> names = [r.name for r in derive(load_suite())]
    >>> "killed.civilians <= killed" in names
    True
    """
    tax = suite.taxonomy

    def rule(name: str, family: str, expectation: str, message: str, **kwargs: Any) -> Rule:
        return Rule(
            name=name,
            family=family,
            expectation=expectation,
            kwargs=kwargs,
            severity=suite.severity_of(family),
            mostly=suite.mostly.get(family, 1.0),
            message=message,
        )

    pair = "expect_column_pair_values_a_to_be_greater_than_b"
    rules = [
        rule(
            "low <= value <= high",
            "bounds",
            "expect_figure_within_bounds",
            "the figure lies outside the bounds the export gives for it",
        ),
        rule(
            "event_start <= event_end",
            "event-dates-ordered",
            pair,
            "the event ends before it starts",
            column_A="event_end",
            column_B="event_start",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        rule(
            "reported_on >= event_start",
            "reported-after-start",
            pair,
            "reported before the event started",
            column_A="reported_on",
            column_B="event_start",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
    ]
    for column in ("reported_on", "event_start", "event_end"):
        rules.append(
            rule(
                f"{column} not in the future",
                "not-in-future",
                "expect_column_values_to_be_between",
                "date in the future",
                column=column,
                max_value={"$PARAMETER": "today"},
            )
        )
        if suite.date_floor:
            rules.append(
                rule(
                    f"{column} >= {suite.date_floor}",
                    "not-before-floor",
                    "expect_column_values_to_be_between",
                    f"date before the suite's floor {suite.date_floor}",
                    column=column,
                    min_value={"$PARAMETER": "floor"},
                )
            )
    for child, measure in tax.measures.items():
        if measure.parent is not None:
            rules.append(
                rule(
                    f"{child} <= {measure.parent}",
                    "child-not-above-parent",
                    "expect_figure_not_above_parent",
                    f"{child} exceeds {measure.parent} in the same report",
                    child=child,
                    parent=measure.parent,
                )
            )
    for p in tax.partitions:
        parts = " + ".join(p.parts)
        rules.append(
            rule(
                f"{parts} <= {p.whole}",
                "parts-not-above-whole",
                "expect_parts_not_above_whole",
                f"the parts ({p.name}) sum past {p.whole}",
                whole=p.whole,
                parts=list(p.parts),
            )
        )
        if p.exhaustive:
            rules.append(
                rule(
                    f"{parts} == {p.whole}",
                    "parts-equal-whole",
                    "expect_parts_to_equal_whole",
                    f"the parts ({p.name}) do not add up to {p.whole}",
                    whole=p.whole,
                    parts=list(p.parts),
                )
            )
    for name in tax.measures:
        if tax.measures[name].cumulative:
            rules.append(
                rule(
                    f"{name} does not drop",
                    "cumulative-no-drop",
                    "expect_cumulative_figure_not_to_drop",
                    f"cumulative {name} lower than the same source gave in its previous report",
                    measure=name,
                )
            )
    rules.append(
        rule(
            "one incident per key",
            "one-key-two-incidents",
            "expect_one_incident_per_key",
            "one key, two incidents? the source gives this key event starts more than "
            "match_days apart",
        )
    )
    rules.append(
        rule(
            "one figure per report",
            "one-figure-per-report",
            "expect_one_figure_per_report",
            "the source gives different figures for one incident, measure and date",
        )
    )
    for inc in tax.increments:
        rules.append(
            rule(
                f"{inc.measure} = change in {inc.of}",
                "increment-matches-cumulative",
                "expect_increment_to_match_cumulative",
                f"{inc.measure} differs from the change in {inc.of} since the previous report",
                measure=inc.measure,
                of=inc.of,
            )
        )
    return rules


def parameters(suite: Suite) -> dict[str, Any]:
    """Values for the ``{"$PARAMETER": name}`` placeholders in rule kwargs (GX's suite
    parameters): ``today`` (the day of the run) and ``floor`` (the suite's date floor)."""
    from datetime import datetime

    today = datetime.combine(datetime.now().date(), datetime.min.time())
    floor = datetime.fromisoformat(suite.date_floor) if suite.date_floor else None
    return {"today": today, "floor": floor}


def resolve(kwargs: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """``kwargs`` with each ``{"$PARAMETER": name}`` replaced by ``values[name]``."""
    return {
        k: values[v["$PARAMETER"]] if isinstance(v, Mapping) and "$PARAMETER" in v else v
        for k, v in kwargs.items()
    }


def to_gx_suite(rules: Iterable[Rule], name: str) -> dict[str, Any]:
    """Rules as Great Expectations ExpectationSuite JSON (what ``gx.ExpectationSuite``
    takes); crosscheck's own fields travel in each expectation's ``meta``. Dates come in
    as GX suite parameters: validate with ``expectation_parameters={"today": ...,
    "floor": ...}`` (datetimes). crosscheck's own expectations read three columns it adds
    to the figures table: ``lo`` and ``hi`` (each figure's interval) and
    ``one_incident`` (``Views.runs``)."""
    expectations = []
    for r in rules:
        kwargs = dict(r.kwargs)
        if r.expectation in CUSTOM_EXPECTATIONS:
            kwargs |= {"column_list": list(GX_COLUMNS), "ignore_row_if": "never"}
        if r.mostly < 1:
            kwargs["mostly"] = r.mostly
        meta = {"rule": r.name, "family": r.family, "severity": r.severity, "message": r.message}
        expectations.append({"type": r.expectation, "kwargs": kwargs, "meta": meta})
    return {"name": name, "expectations": expectations, "meta": {"generated_by": "crosscheck"}}


def load_rules(rule_file: RuleFile, known: Iterable[str], suite: Suite) -> list[Rule]:
    """The hand-written rules of one GX ExpectationSuite JSON file.

    ``known`` are the expectation types the engines run; any other type is an error that
    names the file and the expectation, never a rule silently skipped. A rule's severity
    is its ``meta.severity``, else the suite's for its family, else ``error``.
    """
    p = rule_file.path
    known = sorted(known)
    rules = []
    for i, e in enumerate(rule_file.expectations, start=1):
        kind = str(e["type"])
        if kind not in known:
            raise SuiteError(
                f"expectation #{i}: crosscheck cannot run {kind!r}." + did_you_mean(kind, known), p
            )
        kwargs = dict(e.get("kwargs") or {})
        meta = dict(e.get("meta") or {})
        family = str(meta.get("family", "custom"))
        severity = str(meta.get("severity", suite.severity.get(family, "error")))
        if severity not in SEVERITIES:
            raise SuiteError(
                f"expectation #{i}: severity must be one of {', '.join(SEVERITIES)}", p
            )
        mostly = kwargs.pop("mostly", suite.mostly.get(family, 1.0))
        if isinstance(mostly, bool) or not isinstance(mostly, (int, float)):
            raise SuiteError(f"expectation #{i}: mostly must be a number, not {mostly!r}", p)
        if not 0 <= float(mostly) <= 1 or math.isnan(float(mostly)):
            raise SuiteError(f"expectation #{i}: mostly must lie between 0 and 1", p)
        if kind in CUSTOM_EXPECTATIONS:  # GX needs these; the native engine knows them
            kwargs.pop("column_list", None)
            kwargs.pop("ignore_row_if", None)
        name = str(meta.get("rule") or f"{kind} {json.dumps(kwargs, sort_keys=True)}")
        rules.append(
            Rule(
                name=name,
                family=family,
                expectation=kind,
                kwargs=kwargs,
                severity=severity,
                mostly=float(mostly),
                message=str(meta.get("message") or name),
            )
        )
    return rules


# Keyword arguments of GX's column expectations that name a column of the table.
COLUMN_ARGUMENTS = ("column", "column_A", "column_B")


def missing_columns(rule: Rule, columns: Iterable[object]) -> list[str]:
    """The columns a rule names that the table lacks (none for crosscheck's own rules)."""
    present = {str(c) for c in columns}
    return [
        str(rule.kwargs[k])
        for k in COLUMN_ARGUMENTS
        if k in rule.kwargs and str(rule.kwargs[k]) not in present
    ]


# Expectations that compare a column's values (with bounds, or with another column): each
# column must hold numbers or dates, of the kind the bounds are.
_COMPARED = {
    "expect_column_values_to_be_between": ("column",),
    "expect_column_pair_values_a_to_be_greater_than_b": ("column_A", "column_B"),
}


def _holds(dtype: Any) -> str:
    """What a column holds, as far as comparing goes: numbers, dates, text or other."""
    types = pd.api.types
    if types.is_datetime64_any_dtype(dtype):
        return "dates"
    if types.is_numeric_dtype(dtype) and not types.is_complex_dtype(dtype):
        return "numbers"
    if types.is_string_dtype(dtype) or types.is_object_dtype(dtype):
        return "text"
    return f"{dtype} values"


def uncomparable(rule: Rule, figures: Any) -> str | None:
    """Why a rule comparing values cannot run on ``figures`` (a column of text, a date
    bound on a column of numbers...), or None."""
    names = _COMPARED.get(rule.expectation, ())
    holds = {str(rule.kwargs[n]): _holds(figures[rule.kwargs[n]].dtype) for n in names}
    for column, kind in holds.items():
        if kind not in ("numbers", "dates"):
            return f"column {column!r} holds {kind}; {rule.expectation} compares numbers or dates"
    if len(set(holds.values())) > 1:
        a, b = holds
        return f"columns {a!r} ({holds[a]}) and {b!r} ({holds[b]}) cannot be compared"
    for bound in ("min_value", "max_value"):
        value = rule.kwargs.get(bound)
        if value is None:
            continue
        given = "numbers" if isinstance(value, (int, float)) else "dates"
        (column, kind), *_ = holds.items()
        if given != kind:
            one = "a number" if given == "numbers" else "a date"
            return f"{bound} {_shown(value)} is {one}, but column {column!r} holds {kind}"
    return None


def _shown(value: object) -> str:
    if isinstance(value, Mapping):
        return f"(the {value.get('$PARAMETER')} parameter)"
    return repr(value)

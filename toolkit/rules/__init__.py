"""Consistency rules: what a rule is, and the rules derived from a suite's taxonomy.

A rule is data: an expectation type (Great Expectations' name for it), its keyword
arguments, a severity and a ``mostly`` tolerance. Engines (``toolkit.rules.native``, and GX)
decide how it runs. Nobody writes "killed >= killed.civilians" by hand: :func:`derive`
builds those from the taxonomy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolkit.suite import Suite

# Rule families a suite can set severity and mostly for (suite.yaml: severity, mostly).
DEFAULT_SEVERITY: dict[str, str] = {
    "bounds": "error",
    "child-not-above-parent": "error",
    "parts-not-above-whole": "error",
    "parts-equal-whole": "error",
    "event-dates-ordered": "error",
    "reported-after-start": "error",
    "not-in-future": "error",
    "not-before-floor": "error",
    "cumulative-no-drop": "warning",
    "one-figure-per-report": "error",
    "increment-matches-cumulative": "warning",
}


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
            severity=suite.severity.get(family, DEFAULT_SEVERITY[family]),
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
                max_value="today",
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
                    min_value=suite.date_floor,
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
                    f"cumulative {name} lower than the same source gave earlier",
                    measure=name,
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

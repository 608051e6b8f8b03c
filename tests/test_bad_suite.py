"""Bad suites: settings of the wrong type or that make no sense, hand-written rules whose
arguments are wrong, paths that leave the suite's folder. Each case of the table
(docs/bad-inputs.md), and the tests that pin the mechanism behind it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from badinputs import Case, add_to_suite, aq, check

Build = Callable[[Path], Sequence[str]]


def suite_says(text: str) -> Build:
    """The Al-Qaryatayn fixtures, ``text`` appended to their suite.yaml."""

    def build(folder: Path) -> list[str]:
        data = aq(folder)
        add_to_suite(data, text)
        return ["check", str(data)]

    return build


def rules_say(expectations: list[dict[str, Any]], engine: str = "native") -> Build:
    """The Al-Qaryatayn fixtures with a rules file holding ``expectations``."""

    def build(folder: Path) -> list[str]:
        data = aq(folder)
        (data / "expectations" / "rules.json").write_text(
            json.dumps({"name": "bad", "expectations": expectations}), encoding="utf-8"
        )
        add_to_suite(data, "rules: rules.json\n")
        return ["check", str(data), "--engine", engine]

    return build


SUITE_YAML = "DIR/aq/expectations/suite.yaml"
RULES_JSON = "DIR/aq/expectations/rules.json"
NOT_NULL = "expect_column_values_to_not_be_null"

CASES = [
    # settings of the wrong type, or that make no sense (fixed before this table)
    Case(
        "suite-tolerance-not-a-number",
        "crash",
        "suite.yaml: `compare: {about_tolerance: abc}`",
        suite_says("compare: {about_tolerance: abc}\n"),
        2,
        f"{SUITE_YAML}: compare.about_tolerance: expected a number, not 'abc'",
    ),
    Case(
        "suite-tolerance-negative",
        "crash",
        "suite.yaml: `compare: {about_tolerance: -5}`",
        suite_says("compare: {about_tolerance: -5}\n"),
        2,
        f"{SUITE_YAML}: compare.about_tolerance: -5 is out of range (at least 0 and below 1)",
    ),
    Case(
        "suite-threshold-nan",
        "crash",
        "suite.yaml: `compare: {spread_threshold: .nan}`",
        suite_says("compare: {spread_threshold: .nan}\n"),
        2,
        f"{SUITE_YAML}: compare.spread_threshold: nan is out of range (at least 0 and at most 1)",
    ),
    Case(
        "suite-window-negative",
        "crash",
        "suite.yaml: `compare: {window_days: -1}`",
        suite_says("compare: {window_days: -1}\n"),
        2,
        f"{SUITE_YAML}: compare.window_days: -1 is out of range (at least 0)",
    ),
    Case(
        "suite-words-a-list",
        "crash",
        "suite.yaml: `words: [dozens, 12]`",
        suite_says("words: [dozens, 12]\n"),
        2,
        f"{SUITE_YAML}: words: expected a mapping, not ['dozens', 12]",
    ),
    Case(
        "suite-dates-a-number",
        "crash",
        "suite.yaml: `dates: 2017`",
        suite_says("dates: 2017\n"),
        2,
        f"{SUITE_YAML}: dates: expected a mapping, not 2017",
    ),
    Case(
        "suite-floor-not-a-date",
        "crash",
        "suite.yaml: `dates: {floor: not-a-date}`",
        suite_says("dates: {floor: not-a-date}\n"),
        2,
        f"{SUITE_YAML}: dates.floor: 'not-a-date' is not a date (YYYY-MM-DD)",
    ),
    Case(
        "suite-severity-a-list",
        "crash",
        "suite.yaml: `severity: [a, b]`",
        suite_says("severity: [a, b]\n"),
        2,
        f"{SUITE_YAML}: severity: expected a mapping of finding families to values",
    ),
    Case(
        "suite-severity-unknown-family",
        "crash",
        "suite.yaml: a severity for a family that does not exist (`severity: {conflct: warning}`)",
        suite_says("severity: {conflct: warning}\n"),
        2,
        f"{SUITE_YAML}: severity: unknown finding family 'conflct'. Did you mean 'conflict'?",
    ),
    Case(
        "suite-mostly-a-number",
        "crash",
        "suite.yaml: `mostly: 5`",
        suite_says("mostly: 5\n"),
        2,
        f"{SUITE_YAML}: mostly: expected a mapping of finding families to values",
    ),
    Case(
        "suite-mostly-out-of-range",
        "crash",
        "suite.yaml: `mostly: {bounds: 5}`",
        suite_says("mostly: {bounds: 5}\n"),
        2,
        f"{SUITE_YAML}: mostly.bounds: 5 is out of range (at least 0 and at most 1)",
    ),
    Case(
        "suite-rules-a-number",
        "crash",
        "suite.yaml: `rules: 5`",
        suite_says("rules: 5\n"),
        2,
        f"{SUITE_YAML}: rules: expected a file name or a list of file names",
    ),
    # hand-written rules (a GX ExpectationSuite JSON) of the wrong shape
    Case(
        "rule-missing-column",
        "crash",
        "A hand-written rule on a column the figures table does not have",
        rules_say([{"type": NOT_NULL, "kwargs": {"column": "nope"}}]),
        2,
        f"rule '{NOT_NULL} {{\"column\": \"nope\"}}': names column 'nope', which the figures "
        "table does not have",
    ),
    Case(
        "rule-missing-column-gx",
        "crash",
        "The same, with `--engine gx`",
        rules_say([{"type": NOT_NULL, "kwargs": {"column": "nope"}}], "gx"),
        2,
        f"rule '{NOT_NULL} {{\"column\": \"nope\"}}': names column 'nope', which the figures "
        "table does not have",
    ),
    Case(
        "rule-mostly-text",
        "crash",
        'A hand-written rule with `mostly: "lots"`',
        rules_say([{"type": NOT_NULL, "kwargs": {"column": "source", "mostly": "lots"}}]),
        2,
        f"{RULES_JSON}: expectation #1: mostly must be a number, not 'lots'",
    ),
    Case(
        "rule-kwargs-not-an-object",
        "crash",
        "A hand-written rule whose `kwargs` is not an object",
        rules_say([{"type": NOT_NULL, "kwargs": 5}]),
        2,
        f"{RULES_JSON}: expectation #1: 'kwargs' must be an object",
    ),
    Case(
        "rule-no-kwargs",
        "crash",
        "A hand-written rule with no `kwargs`",
        rules_say([{"type": NOT_NULL}]),
        2,
        f"rule '{NOT_NULL} {{}}': {NOT_NULL}: missing a required argument: 'column'",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)

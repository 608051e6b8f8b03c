"""The pytest plugin: ``pytest --crosscheck PATH`` makes each rule a test item."""

from __future__ import annotations

from conftest import AQ, REAL

from toolkit.checking import suite_rules
from toolkit.model.vocabulary import FAMILIES, Kind
from toolkit.suite import load_suite

pytest_plugins = ["pytester"]


def _items(suite_dir) -> int:
    """One item per rule of the suite, one for input and one for the schema, and one per
    family of the link and comparison stages."""
    rules = {r.name for r in suite_rules(load_suite(suite_dir))}
    later = [f for f in FAMILIES.values() if f.kind in (Kind.LINK, Kind.DISCREPANCY)]
    return len(rules) + 2 + len(later)


def test_each_rule_is_a_passing_item_on_clean_exports(pytester):
    result = pytester.runpytest_subprocess("--crosscheck", str(AQ), "-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=_items(AQ / "expectations"))
    result.stdout.fnmatch_lines(["*crosscheck[[]killed.civilians <= killed[]] PASSED*"])
    result.stdout.fnmatch_lines(["*crosscheck[[]sources conflict[]] PASSED*"])


def test_a_broken_rule_fails_with_file_and_line(pytester):
    result = pytester.runpytest_subprocess("--crosscheck", str(REAL), "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 8
    result.stdout.fnmatch_lines(
        [
            "*crosscheck: dead_missing.females + dead_missing.males <= dead_missing*",
            "*error*missing-migrants-2026.csv:141: the parts (dead and missing by sex) sum past*",
        ]
    )
    assert result.ret == 1


def test_the_threshold_and_the_users_own_tests_run_together(pytester):
    pytester.makepyfile(test_own="def test_mine():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_subprocess(
        "--crosscheck", str(AQ), "--crosscheck-fail-on", "warning", "-p", "no:cacheprovider"
    )
    outcomes = result.parseoutcomes()
    # the input warning (SOHR's "more missing people") and the two comparison warnings
    assert outcomes["failed"] == 3
    assert outcomes["passed"] == _items(AQ / "expectations") - 3 + 1  # and the user's own


def test_without_the_option_nothing_is_added(pytester):
    pytester.makepyfile(test_own="def test_mine():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)

"""pytest plugin: ``pytest --crosscheck PATH`` runs a suite's rules as test items.

Each rule of the suite (derived from the taxonomy, written by hand, and the comparison's
checks) becomes one test against the exports under PATH, so a team's validation runs in
the test run it already has. The exports are read and checked once per session. Loaded
through the ``pytest11`` entry point; it imports nothing heavy until ``--crosscheck`` is
given.

What cannot run says so once, as crosscheck's command line would, never as a traceback:
a suite that cannot be loaded is a usage error (``ERROR: suite.yaml:9:1: …``, exit 4, as
for a bad option: the suite is the run's configuration, not a result); exports that cannot
be read fail the first item that needs them with the message (``file:line:column: …``)
and every other item is skipped as not run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from toolkit.errors import CrosscheckError
from toolkit.model.vocabulary import LINK_MODES, SEVERITIES, Kind, failing, titles
from toolkit.reporting.terminal import safe_line

if TYPE_CHECKING:
    from collections.abc import Iterator

_RUN = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("crosscheck", "crosscheck: incident figures as tests")
    group.addoption(
        "--crosscheck",
        action="append",
        default=[],
        metavar="PATH",
        help="check the exports under PATH: each rule of the suite becomes a test item",
    )
    group.addoption("--crosscheck-suite", metavar="DIR", help="suite folder (default: found)")
    group.addoption(
        "--crosscheck-link",
        choices=LINK_MODES,
        help="how incidents are linked across sources (default: as the suite says)",
    )
    group.addoption(
        "--crosscheck-fail-on",
        default="error",
        choices=SEVERITIES,
        help="lowest severity that fails an item (default: error)",
    )


class CrosscheckFailure(Exception):
    """Findings at or above the threshold for one rule, or the reason nothing could run."""


class _CannotRun:
    """Why the exports could not be checked, and the item that said so first."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.said_by: str | None = None


class RuleItem(pytest.Item):
    """One rule of the suite, run against the exports."""

    def __init__(self, *, rule: str, kind: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rule = rule
        self.kind = kind

    def runtest(self) -> None:
        f = _run(self.config)  # one row per rule a finding names
        if isinstance(f, _CannotRun):
            if f.said_by is not None:
                pytest.skip(f"not run: the exports cannot be checked (see {f.said_by})")
            f.said_by = self.name
            raise CrosscheckFailure(f.message)
        threshold = failing(self.config.getoption("crosscheck_fail_on"))
        named = f[self.kind] == self.rule
        mine = f[named & f["severity"].isin(threshold)]
        if len(mine):
            raise CrosscheckFailure(_describe(mine))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CrosscheckFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, safe_line(f"crosscheck: {self.rule}")


def _describe(findings: Any) -> str:
    from toolkit.model.findings import location

    lines = [f"{len(findings)} finding(s):"]
    for (_, row), where in zip(findings.iterrows(), location(findings), strict=True):
        lines.append(safe_line(f"  {row['severity']:<7} {where}: {row['message']}"))
    return "\n".join(lines)


def _run(config: pytest.Config) -> Any:
    """The findings, one row per rule each names (read and checked once per session), or
    why the exports could not be checked."""
    if _RUN not in config.stash:
        from toolkit.pipeline import check
        from toolkit.reporting.junit import by_rule

        paths = config.getoption("crosscheck")
        try:
            result = check(
                paths,
                config.getoption("crosscheck_suite"),
                link=config.getoption("crosscheck_link"),
            )
        except CrosscheckError as exc:
            config.stash[_RUN] = _CannotRun(f"crosscheck: {safe_line(str(exc))}")
            return config.stash[_RUN]
        # a finding may name several rules of one family: split once, not per item
        config.stash[_RUN] = by_rule(result.findings)
    return config.stash[_RUN]


def _items(session: pytest.Session) -> Iterator[RuleItem]:
    from toolkit.checking import suite_rules
    from toolkit.suite import find_suite

    config = session.config
    try:
        suite = find_suite(config.getoption("crosscheck"), config.getoption("crosscheck_suite"))
        rules = suite_rules(suite)
    except CrosscheckError as exc:  # the run's configuration: as a bad option would be
        raise pytest.UsageError(f"crosscheck: {safe_line(str(exc))}") from None
    # Reading and the schema come first: each is one item over its kind of finding.
    yield RuleItem.from_parent(session, name="crosscheck[input]", rule="input", kind="kind")
    yield RuleItem.from_parent(session, name="crosscheck[schema]", rule="schema", kind="kind")
    comparison = titles(Kind.LINK, Kind.DISCREPANCY)
    names = [r.name for r in rules] + comparison
    for name in dict.fromkeys(names):
        shown = safe_line(name)  # a suite's rule name, in pytest's report lines
        yield RuleItem.from_parent(session, name=f"crosscheck[{shown}]", rule=name, kind="rule")


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if config.getoption("crosscheck"):
        items.extend(_items(session))

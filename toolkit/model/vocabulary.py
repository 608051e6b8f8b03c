"""The words every stage shares: severities, finding kinds, comparison statuses, and the
registry of finding families (the keys a suite's ``severity:`` and ``mostly:`` use).

Plain Python, no pandas: the command line's start-up and the pytest plugin use it too.

>>> str(FAMILIES["conflict"].kind), str(FAMILIES["conflict"].severity)
('discrepancy', 'error')
>>> failing("warning"), failing("never")
(('error', 'warning'), ())
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How bad a finding is; a run fails at or above ``--fail-on``."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Kind(StrEnum):
    """Which stage found a finding, in the order findings are listed."""

    INPUT = "input"  # an export's row or cell could not be read as it is
    SCHEMA = "schema"  # the figures table's types and allowed values (pandera)
    RULE = "rule"  # a consistency rule of the suite (derived or hand-written)
    LINK = "link"  # linking incidents across sources: uncertain matches, double listings
    DISCREPANCY = "discrepancy"  # sources disagree on an incident's figure
    HISTORY = "history"  # a source changed a figure it had published (seen across runs)


class Status(StrEnum):
    """An incident x measure's comparison (and, per figure, ``stale``)."""

    CONFLICT = "conflict"  # the sources' intervals have no common point
    AGREE = "agree"  # they have one: the consensus
    SINGLE = "single"  # one source only
    STALE = "stale"  # (a figure) much older than the newest and not compared


SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)
KINDS: tuple[str, ...] = tuple(k.value for k in Kind)
STATUSES: tuple[str, ...] = (Status.CONFLICT, Status.AGREE, Status.SINGLE)  # of a group
ROW_STATUSES: tuple[str, ...] = (*STATUSES, Status.STALE)  # of a compared figure
FAIL_ON: tuple[str, ...] = (*SEVERITIES, "never")
# why sources conflict, in the order reports list them (the ones a person must look at
# first); explanations are tried in another order (see toolkit.comparing.explaining)
EXPLANATIONS: tuple[str, ...] = ("unexplained", "definition", "timing", "breakdown", "link")


def failing(fail_on: str) -> tuple[str, ...]:
    """The severities at or above ``fail_on``; none for ``"never"``."""
    return () if fail_on == "never" else SEVERITIES[: SEVERITIES.index(fail_on) + 1]


@dataclass(frozen=True)
class Family:
    """A family of findings: its ``code`` (the key under ``severity:``/``mostly:``), the
    kind of finding, its default severity and what it says.

    ``tunable``: a suite may set its severity (input and schema problems are what they
    are: a row that cannot be read is an error). ``mostly``: a suite may let a fraction of
    rows fail it (rule families).
    """

    code: str
    kind: Kind
    severity: Severity
    title: str
    tunable: bool = True
    mostly: bool = False


def _input(code: str, severity: Severity, title: str) -> Family:
    return Family(code, Kind.INPUT, severity, title, tunable=False)


def _rule(code: str, severity: Severity, title: str) -> Family:
    return Family(code, Kind.RULE, severity, title, mostly=True)


ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
FAMILIES: dict[str, Family] = {
    f.code: f
    for f in (
        # read: what an export's rows and cells gave
        _input("unreadable-file", ERROR, "export cannot be read"),
        _input("unclaimed-file", WARNING, "no source profile claims the file"),
        _input("no-rows", WARNING, "the file has a header but no rows"),
        _input("encoding", WARNING, "not UTF-8; read with a fallback encoding"),
        _input("ragged-row", ERROR, "row has another number of fields than the header"),
        _input("unbalanced-quote", ERROR, "a quote not closed where its value ends"),
        _input("multiline-value", WARNING, "a quoted value over many lines (a stray quote?)"),
        _input("not-a-record", ERROR, "JSON value is not a record"),
        _input("formula-without-value", WARNING, "xlsx formula with no saved value"),
        _input("bad-date", ERROR, "not a date in the profile's format"),
        _input("missing-incident", ERROR, "row names no incident"),
        _input("missing-source", ERROR, "row names no source"),
        _input("unknown-measure", ERROR, "measure not in the taxonomy"),
        _input("bad-count", ERROR, "a number that cannot be a count"),
        _input("unreadable-figure", WARNING, "figure text that cannot be read"),
        _input("no-figures", WARNING, "a row with no figure at all (its incident is kept)"),
        # check: the schema, then rules derived from the taxonomy
        Family("schema", Kind.SCHEMA, ERROR, "fails the figures-table schema", tunable=False),
        _rule("bounds", ERROR, "figure outside its bounds"),
        _rule("child-not-above-parent", ERROR, "part above its parent"),
        _rule("parts-not-above-whole", ERROR, "parts sum past the whole"),
        _rule("parts-equal-whole", ERROR, "parts do not add up to the whole"),
        _rule("event-dates-ordered", ERROR, "event ends before it starts"),
        _rule("reported-after-start", ERROR, "reported before the event started"),
        _rule("not-in-future", ERROR, "date in the future"),
        _rule("not-before-floor", ERROR, "date before the suite's floor"),
        _rule("cumulative-no-drop", WARNING, "cumulative figure below the previous report's"),
        _rule("one-key-two-incidents", WARNING, "one key, two incidents?"),
        _rule("one-figure-per-report", ERROR, "two figures for one incident, measure and date"),
        _rule(
            "increment-matches-cumulative",
            WARNING,
            "increment differs from the cumulative's change",
        ),
        _rule("custom", ERROR, "hand-written rule"),
        # link: incidents across sources
        Family("uncertain-match", Kind.LINK, WARNING, "uncertain incident match"),
        Family("listed-twice", Kind.LINK, INFO, "incident listed twice"),
        # compare: sources side by side
        Family("conflict", Kind.DISCREPANCY, ERROR, "sources conflict"),
        Family("wide-spread", Kind.DISCREPANCY, WARNING, "sources' figures far apart"),
        Family("definition", Kind.DISCREPANCY, WARNING, "same figure, different definition"),
        # compare over time: runs of dates
        Family(
            "conflict-episode", Kind.DISCREPANCY, WARNING, "sources conflicted for a run of dates"
        ),
        Family("lag", Kind.DISCREPANCY, WARNING, "a source gives the others' figures days late"),
        # patterns across incidents: what explains most of one source's conflicts
        Family(
            "systematic-definition",
            Kind.DISCREPANCY,
            WARNING,
            "a source's figures follow another definition",
        ),
        Family("systematic-lag", Kind.DISCREPANCY, WARNING, "a source's figures lag the others'"),
        # history: what changed since the previous run of the suite
        Family("silent-edit", Kind.HISTORY, WARNING, "a published figure changed silently"),
    )
}

# Old suite keys, still accepted (with a warning) under severity: and mostly:.
ALIASES: dict[str, str] = {
    # a lowered cumulative figure used to be reported twice (a rule and a revision
    # finding); it is one rule finding now
    "revision": "cumulative-no-drop",
}


def titles(*kinds: Kind) -> list[str]:
    """What the findings of every family of these kinds say, in registry order."""
    return [f.title for f in FAMILIES.values() if f.kind in kinds]


# Where runs are recorded when --history names no database (relative to where crosscheck runs).
HISTORY_URL = "sqlite:///reports/history.sqlite"

# How a run links incidents across sources (suite.yaml's `link:`, `--match`).
LINK_MODES: tuple[str, ...] = ("none", "crosswalk", "auto")


def title(code: str) -> str:
    """What findings of a family say, for a code (a hand-written family: the code)."""
    family = FAMILIES.get(code)
    return family.title if family is not None else code

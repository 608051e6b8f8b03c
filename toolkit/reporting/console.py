"""The terminal: what each command prints, coloured when the stream is a TTY.

The command line prints through :class:`~toolkit.reporting.terminal.ConsoleStream`, which
makes every line safe whatever it holds (no control character, no forged CI command).
Each text from an export or a suite is also passed through :func:`clean` here, so these
functions print one line per value on any stream they are given.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO

import pandas as pd

from toolkit.model.findings import location
from toolkit.reporting.terminal import plain

if TYPE_CHECKING:
    from toolkit.comparing import Comparison
    from toolkit.comparing.over_time import Series
    from toolkit.linking import Matching
    from toolkit.pipeline import CheckResult
    from toolkit.reading import FileReport, ReadResult

_SEVERITY_COLOUR = {"error": "31", "warning": "33", "info": "36"}
_NEW_COLOUR = "35"


def clean(value: object) -> str:
    """A value as one line of plain text: control characters become a visible ``?``.

    >>> clean("S1\\n::error file=x::forged"), clean(None), clean(float("nan"))
    ('S1?::error file=x::forged', '', '')
    """
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    return plain(str(value))


def colour_on(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def paint(out: TextIO, text: str, code: str) -> None:
    """Write ``text`` to ``out``, coloured (SGR ``code``) when ``out`` is a terminal."""
    if not colour_on(out):
        out.write(text)
        return
    # a ConsoleStream takes crosscheck's own sequences apart from text
    style = getattr(out, "style", None) or (lambda c: out.write(f"\033[{c}m"))
    style(code)
    out.write(text)
    style("0")


def read_summary(result: ReadResult, out: TextIO) -> None:
    """Per file: rows read, accepted, rejected and figures; then figures per source and
    measure."""
    figs = result.figures
    print(f"suite: {clean(result.suite.name)} ({clean(result.suite.path)})", file=out)
    print("files:", file=out)
    width = max([len(f.path) for f in result.files] + [4])
    for f in result.files:
        print(
            f"  {clean(f.path):<{width}}  {f.format:<6} {clean(f.profile)!r}: {_counts(f)}",
            file=out,
        )
    for u in result.unclaimed:
        print(f"  {clean(u):<{width}}  not read: no source profile claims it", file=out)
    if len(figs):
        print("figures per source and measure:", file=out)
        counts = figs.groupby(["source", "measure"], sort=True).size().reset_index(name="n")
        for source, measure, n in counts.itertuples(index=False):
            print(f"  {clean(source):<40} {clean(measure):<32} {n:>8}", file=out)


def rows_line(result: ReadResult, findings: int | None = None) -> str:
    """``rows read N = accepted A + rejected R; figures F[; findings K]``."""
    line = (
        f"rows read {result.rows_read} = accepted {result.rows_accepted} + rejected "
        f"{result.rows_rejected}; figures {len(result.figures)}"
    )
    return line if findings is None else f"{line}; findings {findings}"


def findings_list(
    findings: pd.DataFrame,
    out: TextIO,
    limit: int | None = 20,
    hint: str | None = None,
    total: int | None = None,
    new: int | None = None,
) -> None:
    """The worst findings, one line each with ``file:line`` and the values observed and
    expected; how many more there are, and (``hint``: the option that writes them, None
    when it was given) how to get them all. When the run had a history (a ``new``
    column), each finding the suite's previous run did not have is marked ``new``.
    ``total`` and ``new``: how many findings there are, and new ones, where ``findings``
    holds only the worst."""
    if not len(findings):
        return
    total = len(findings) if total is None else total
    shown = findings if limit is None else findings.head(limit)
    marked = "new" in findings
    if marked and new is None:
        new = int(findings["new"].to_numpy(dtype=bool).sum())
    fresh = f", {new} new" if marked else ""
    print(f"findings ({total}{fresh}):", file=out)
    for row, loc in zip(shown.to_dict("records"), location(shown), strict=True):
        out.write("  ")
        paint(out, f"{row['severity']:<7}", _SEVERITY_COLOUR.get(row["severity"], "0"))
        if marked:
            out.write(" ")
            if bool(row["new"]):
                paint(out, "new", _NEW_COLOUR)
            else:
                out.write("   ")
        message = clean(row["message"])
        print(
            f" {clean(loc)}: [{row['kind']}/{clean(row['rule'])}] {message}"
            + values_said(message, row["observed"], row["expected"]),
            file=out,
        )
    if total > len(shown):
        more = f"  … and {total - len(shown)} more"
        print(more + (f" (write them all with {hint})" if hint else ""), file=out)


_VALUE_WIDTH = 40


def values_said(message: str, observed: object, expected: object) -> str:
    """`` (observed 140, expected <= 128)``: a finding's values for its console line, each
    made safe (:func:`clean`) and cut to 40 characters; a value the message already says
    (as a whole word) or that is missing is left out, and nothing is said when neither is
    left.

    >>> values_said("the parts sum past killed", "140", "<= 128")
    ' (observed 140, expected <= 128)'
    >>> values_said("cannot read 'x' as a figure", "x", "a count")
    ' (expected a count)'
    >>> values_said("killed 40 conflicts", "40", None)
    ''
    """
    said = []
    for name, value in (("observed", observed), ("expected", expected)):
        text = clean(value).strip()
        if text and not re.search(rf"(?<!\w){re.escape(text)}(?!\w)", message):
            cut = text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 1] + "…"
            said.append(f"{name} {cut}")
    return f" ({', '.join(said)})" if said else ""


def check_summary(result: CheckResult, out: TextIO) -> None:
    """What ``crosscheck check`` prints before the findings: the suite, each file's rows,
    the comparison's counts and the findings by kind and severity."""
    suite = result.suite
    print(f"suite: {clean(suite.name)} ({clean(suite.path)}); {len(result.rules)} rules", file=out)
    for f in result.read.files if result.read is not None else ():
        print(
            f"  {clean(f.path)}: {_counts(f)}",
            file=out,
        )
    if result.linked.matching is not None:
        print(matching_line(result.linked.matching), file=out)
    c = result.comparison
    when = f" as of {c.as_of:%Y-%m-%d}" if c.as_of is not None else ""
    print(f"compared {len(c.table)} incident x measure pairs{when}: {c.status_text()}", file=out)
    explanations(c, out)
    if c.series is not None:
        print(series_line(c.series), file=out)
    hint = unlinked_hint(c, result.linked.matching)
    if hint:
        print(hint, file=out)
    if result.history is not None:
        print(history_line(result), file=out)
    if len(result.findings):
        print("findings by kind and severity:", file=out)
        for line in result.summary.to_string().splitlines():
            print(f"  {line}", file=out)


def history_line(result: CheckResult) -> str:
    """``history: run 3 of suite series in sqlite:///… (previous: run 2): 5 new findings,
    1 silent edit``: the run's place among the suite's runs in its history (``run N``
    counts them; ``previous`` is the previous run's id, as ``crosscheck history`` lists
    it), what is new since and the figures changed silently."""
    h = result.history
    assert h is not None
    runs = len(h.earlier) + 1
    since = f"previous: run {h.previous}" if h.previous is not None else "its first"
    new = int(result.findings["new"].to_numpy(dtype=bool).sum()) if "new" in result.findings else 0
    edits = len(h.edits)
    note = getattr(h, "note", "")
    return (
        f"history: run {runs} of suite {clean(result.suite.name)} in {clean(h.url)} ({since}): "
        f"{new} new finding{'' if new == 1 else 's'}, "
        f"{edits} silent edit{'' if edits == 1 else 's'}" + (f" ({clean(note)})" if note else "")
    )


def series_line(series: Series) -> str:
    """``over time: 54 dates compared, 17 in conflict: 6 episodes, 1 lag``."""
    return f"over time: {series.status_text()}"


def unlinked_hint(c: Comparison, matching: Matching | None = None) -> str | None:
    """When several sources were read but no incident has figures from two of them, the
    outlets likely name incidents differently: say so, and how to link them (not with
    --match when ``matching`` says incidents were matched already)."""
    paired = len(c.table) == 0 or bool((c.table["sources"] >= 2).any())
    return unpaired_hint(int(c.figures["source"].nunique()), paired, matching)


def unpaired_hint(sources: int, paired: bool, matching: Matching | None = None) -> str | None:
    """:func:`unlinked_hint` from its counts: ``sources`` read, and whether some incident
    and measure has two current sources (``paired``)."""
    if sources < 2 or paired:
        return None
    if matching is not None and bool((matching.crosswalk["status"] != "crosswalk").any()):
        return (
            f"no incident is reported by two sources ({sources} sources read), even matched: "
            "review `crosscheck match` (a lower --threshold proposes more pairs) and name "
            "the crosswalk in the suite"
        )
    return (
        f"no incident is reported by two sources ({sources} sources read): if the outlets "
        "name incidents differently, link them with --match, or review `crosscheck match` "
        "and name the crosswalk in the suite"
    )


def matching_line(matching: Matching) -> str:
    return "matched incidents: " + matching.summary()


def matching_list(matching: Matching, out: TextIO) -> None:
    """Each proposal that is not "unmatched": status, score, incident and its match."""
    walk = matching.crosswalk
    shown = walk[walk["status"] != "unmatched"].sort_values(["match", "source", "incident"])
    rows: Iterable[Any] = shown.itertuples(index=False)
    for row in rows:
        target = row.match if isinstance(row.match, str) else f"? {row.candidate_incident}"
        score = f"{float(row.score):5.2f}" if pd.notna(row.score) else "    -"
        print(
            f"  {row.status:<14} {score}  {clean(row.source)} {clean(row.incident)} "
            f"({clean(row.location)}) -> {clean(target)}",
            file=out,
        )


def explanation_text(counts: dict[str, int]) -> str:
    """Conflicts by explanation, in the order given (unexplained first), those with none
    left out but the unexplained; "" when there is no conflict.

    >>> explanation_text({"unexplained": 0, "definition": 14, "timing": 0, "breakdown": 2})
    '0 unexplained, 14 definition, 2 breakdown'
    >>> explanation_text({"unexplained": 0, "definition": 0})
    ''
    """
    if not sum(counts.values()):
        return ""
    return ", ".join(
        f"{n} {clean(name)}" for name, n in counts.items() if n or name == "unexplained"
    )


def patterns_of(c: Comparison) -> pd.DataFrame:
    """The systematic patterns of a comparison (rows of its ``patterns`` that make one);
    empty when it has none, or finds none (a view of a comparison without them)."""
    found = getattr(c, "patterns", None)
    if not isinstance(found, pd.DataFrame) or "pattern" not in found:
        return pd.DataFrame(columns=["source", "measure", "explanation", "message"])
    return found[found["pattern"].to_numpy(dtype=bool)]


def explanations(c: Comparison, out: TextIO) -> None:
    """``conflicts by explanation: 2 unexplained, 14 definition, 2 breakdown``, then one
    ``pattern  …`` line per systematic pattern (what explains most of one source's
    conflicts); nothing when nothing conflicts."""
    counted = getattr(c, "explanation_counts", None)
    said = explanation_text(counted()) if counted is not None else ""
    if said:
        print(f"conflicts by explanation: {said}", file=out)
    for message in patterns_of(c)["message"]:
        print(f"pattern  {clean(message)}", file=out)


_EVIDENCE_WIDTH = 200


def why(explanation: object, evidence: object) -> str:
    """``definition: <evidence>``: a conflict's explanation and its evidence, made safe
    (:func:`clean`) and the evidence cut to 200 characters; "" without an explanation.

    >>> why("unexplained", None), why("timing", "JHU's 90 is\\x1b[2JCTP's of 2 days later")
    ('unexplained', "timing: JHU's 90 is?[2JCTP's of 2 days later")
    """
    name = clean(explanation)
    text = clean(evidence).strip()
    if len(text) > _EVIDENCE_WIDTH:
        text = text[: _EVIDENCE_WIDTH - 1] + "…"
    return f"{name}: {text}" if name and text else name


def disagreements(comparison: Comparison, out: TextIO, limit: int, hint: str | None = None) -> None:
    """The conflicts by explanation and the patterns (:func:`explanations`); then the
    conflicts, then wide spreads, worst first: each with its explanation and evidence and
    each source's figure on its own line; how many more there are, and (``hint``: None
    when given) the option that writes them."""
    explanations(comparison, out)
    disagreeing = comparison.disagreements
    shown = disagreeing.head(limit)
    if shown.empty:
        return
    latest = comparison.latest.set_index(["incident", "measure"]).sort_index()
    explained = "explanation" in shown
    print("where sources disagree (worst first):", file=out)
    for row in shown.itertuples(index=False):
        label = "conflict" if row.status == "conflict" else "far apart"
        colour = "31" if row.status == "conflict" else "33"
        extra = f"; outliers: {clean(row.outliers)}" if isinstance(row.outliers, str) else ""
        out.write("  ")
        paint(out, label, colour)
        print(
            f"  {clean(row.incident)} / {clean(row.measure)}: "
            f"{row.sources} sources, spread {row.spread:.2f}{extra}",
            file=out,
        )
        said = why(row.explanation, getattr(row, "evidence", None)) if explained else ""
        if said:
            print(f"      why: {said}", file=out)
        for fig in latest.loc[[(row.incident, row.measure)]].itertuples(index=False):
            mark = " <- outlier" if fig.outlier else ""
            where = f"{clean(fig.origin_file)}:{clean(fig.origin_row)}"
            print(f"      {fig.shown:>10}  {clean(fig.source)}  ({where}){mark}", file=out)
    rest = len(disagreeing) - len(shown)
    if rest > 0:
        print(f"  … and {rest} more" + (f" (write them all with {hint})" if hint else ""), file=out)


def github_annotations(findings: pd.DataFrame, out: TextIO) -> None:
    """GitHub Actions workflow commands, one per finding (escaped as GitHub's toolkit
    does; see ``github``). Through a ConsoleStream, the only lines that may start with
    ``::``."""
    from toolkit.reporting.github import workflow_commands

    command = getattr(out, "command", None) or (lambda line: print(line, file=out))
    for line in workflow_commands(findings):
        command(line)


def wrote(paths: list[Any], out: TextIO) -> None:
    for path in paths:
        print(f"wrote {clean(path)}", file=out)


def _counts(f: FileReport) -> str:
    """``6 rows read, 5 accepted, 1 rejected, 9 figures`` (``1 row``, ``1 figure``)."""
    rows = "row" if f.rows_read == 1 else "rows"
    figures = "figure" if f.figures == 1 else "figures"
    return (
        f"{f.rows_read} {rows} read, {f.rows_accepted} accepted, {f.rows_rejected} rejected, "
        f"{f.figures} {figures}"
    )

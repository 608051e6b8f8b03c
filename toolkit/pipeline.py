"""The pipeline: read → check → link → compare → scorecard, each stage run once, each
handing what it produced to the next; :func:`check` runs it and returns one result that
carries every stage's output.

Rules run on each source's own incident keys, before linking; linking then gives the
shared incident id that the comparison uses. Nothing here is a stage of its own: it only
says in which order the stages run and what each is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import pandas as pd

from toolkit.checking import ENGINES, check_figures
from toolkit.checking.rules import Rule
from toolkit.comparing import Comparison, compare_figures
from toolkit.errors import CrosscheckError
from toolkit.linking import Linked, link_figures, link_mode
from toolkit.model import figures as ft
from toolkit.model import findings as fd
from toolkit.reading import ReadResult, given_paths, read_figures, read_of
from toolkit.suite import Suite, load_suite, suite_for

if TYPE_CHECKING:
    from toolkit.history import History
    from toolkit.on_dask import DaskRun

# What a run can start from: exports (paths), a read's result, or a figures table.
Data = ReadResult | pd.DataFrame | str | Path | Sequence[str | Path]


@dataclass(frozen=True)
class CheckResult:
    """One run of the pipeline: what each stage produced.

    Attributes
    ----------
    findings
        Every finding of the run (input, schema, rule, link, discrepancy), worst first.
    rules
        The rules that ran (derived from the taxonomy, then hand-written).
    suite
        The suite used.
    read
        The read stage's result (files, row counts, input findings); None when the run
        was given a figures table that was not read by crosscheck.
    figures
        The figures table as checked: each source's own incident keys.
    linked
        The figures under shared incident keys, and the matching behind them.
    comparison
        The sources compared.
    history
        What the run learned from the suite's previous run, when it was given a history
        (None otherwise); ``findings`` then has a ``new`` column.
    """

    findings: pd.DataFrame
    rules: tuple[Rule, ...]
    suite: Suite
    read: ReadResult | None = field(repr=False)
    figures: pd.DataFrame = field(repr=False)
    linked: Linked = field(repr=False)
    comparison: Comparison = field(repr=False)
    history: History | None = field(default=None, repr=False)

    @property
    def scorecard(self) -> pd.DataFrame:
        """Per source: figures, outliers, conflicts and rule findings (the comparison's,
        counted with this run's rule findings)."""
        return self.comparison.scorecard

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not bool((self.findings["severity"] == "error").any())

    @property
    def summary(self) -> pd.DataFrame:
        """Counts of findings by kind and severity."""
        return fd.summary(self.findings)

    @property
    def rows(self) -> dict[str, int]:
        """Rows read (= accepted + rejected) and figures: from the read where there was one."""
        if self.read is None:
            n = len(self.figures)
            return {"read": n, "accepted": n, "rejected": 0, "figures": n}
        return {
            "read": self.read.rows_read,
            "accepted": self.read.rows_accepted,
            "rejected": self.read.rows_rejected,
            "figures": len(self.figures),
        }

    def __repr__(self) -> str:
        from toolkit.reporting.notebook import check_repr

        return check_repr(self)

    def _repr_html_(self) -> str:
        from toolkit.reporting.notebook import check_html

        return check_html(self)


def start(
    data: Data, suite: str | Path | Suite | None = None
) -> tuple[ReadResult | None, pd.DataFrame, Suite]:
    """What a run starts from: the read (reading exports when given paths), its figures
    table and the suite (the one given, else the read's, else the default)."""
    if isinstance(data, ReadResult):
        return data, data.figures, _suite(suite) or data.suite
    if isinstance(data, pd.DataFrame):
        figures = ft.require(data)
        read = read_of(figures)
        given = _suite(suite)
        return read, figures, given or (read.suite if read else suite_for(figures))
    if isinstance(data, (str, Path)) or (
        isinstance(data, Sequence) and all(isinstance(p, (str, Path)) for p in data)
    ):
        read = read_figures(data, suite)
        return read, read.figures, read.suite
    raise CrosscheckError(
        "expected exports (a path or paths), a read result or a figures table, "
        f"not {type(data).__name__}"
    )


def _suite(suite: str | Path | Suite | None) -> Suite | None:
    if suite is None or isinstance(suite, Suite):
        return suite
    return load_suite(suite)


def read_and_link(
    data: Data, suite: str | Path | Suite | None = None, link: str | None = None
) -> tuple[ReadResult | None, Linked, Suite]:
    """The read (reading exports when given paths), the link stage's result and the
    suite: what :func:`compare` and the commands that show the linking start from."""
    read, figures, the_suite = start(data, suite)
    return read, link_figures(figures, the_suite, link), the_suite


@overload
def check(
    data: Data,
    suite: str | Path | Suite | None = ...,
    engine: Literal["native", "gx"] = ...,
    *,
    link: str | None = ...,
    as_of: object = ...,
    over_time: bool | None = ...,
    history: str | None = ...,
    record: bool = ...,
    scheduler: object = ...,
    on_rule: Callable[[str, int], None] | None = ...,
) -> CheckResult: ...


@overload
def check(
    data: Data,
    suite: str | Path | Suite | None = ...,
    engine: Literal["dask"] = ...,
    *,
    link: str | None = ...,
    as_of: object = ...,
    over_time: bool | None = ...,
    history: str | None = ...,
    record: bool = ...,
    scheduler: object = ...,
    on_rule: Callable[[str, int], None] | None = ...,
) -> DaskRun: ...


def check(
    data: Data,
    suite: str | Path | Suite | None = None,
    engine: str = "native",
    *,
    link: str | None = None,
    as_of: object = None,
    over_time: bool | None = None,
    history: str | None = None,
    record: bool = True,
    scheduler: object = None,
    on_rule: Callable[[str, int], None] | None = None,
) -> CheckResult | DaskRun:
    """Read (if given paths), check, link and compare: the whole pipeline, each stage once.

    Parameters
    ----------
    data
        Export files or folders, a :class:`~toolkit.reading.ReadResult`, or a figures table
        (from :func:`toolkit.reading`: its read's input findings come along).
    suite
        A suite folder; by default the one the exports were read with.
    engine
        ``"native"``: vectorized pandas (default); ``"gx"``: the rules on Great Expectations
        itself; ``"dask"``: the whole run on a Dask cluster (exports given as paths; returns
        a :class:`toolkit.on_dask.DaskRun`, whose findings and tables stay on the cluster
        as Dask DataFrames until it is closed).
    link
        ``"none"``, ``"crosswalk"`` or ``"auto"``: how incidents are linked across sources
        before they are compared; by default as the suite says.
    as_of
        Compare each source's latest figure on or before this date.
    over_time
        Also compare every report date on which two or more sources have a current figure
        (``result.comparison.series``); its episodes of conflict and lags are findings.
        By default as the suite says (``compare: {over_time: true}``).
    history
        A database URL (``sqlite:///reports/history.sqlite``, ``postgresql+psycopg://…``)
        where runs are recorded; by default the suite's ``history:`` (none: no history).
        The suite's previous run there marks which findings are ``new`` and gives the
        ``silent-edit`` findings; this run is then recorded (``record``), its exit status
        that of ``--fail-on error``.
    record
        Record the run in the history (the command line records it itself, after the
        report, with its exit status).
    scheduler
        With ``engine="dask"``: ``"local"`` (default), ``"local:N"``, a scheduler's address
        (``"tcp://host:8786"``) or a ``distributed.Client``.
    on_rule
        Called with each rule's name and the number of rules, as it runs.

    Examples
    --------
    >>> import toolkit as cc
    >>> result = cc.check(cc.read("fixtures/al-qaryatayn"))
    >>> result.ok, result.comparison.status_text()
    (True, '0 conflict, 4 agree, 7 single')
    """
    if engine == "dask":
        done = _on_dask(data, suite, scheduler, link=link, as_of=as_of, over_time=over_time)
        url = history if history is not None else done.suite.history
        if url:  # new findings and silent edits, then the run recorded (part by part)
            from toolkit.on_dask import history as on_cluster

            paths = [str(p) for p in given_paths(data)]  # type: ignore[arg-type]  # not a frame
            done.history = on_cluster.consult(done.client, done, paths, url)
            if record:
                on_cluster.record(done, done.history, 0 if done.ok else 1, "toolkit.check")
        return done
    if engine not in ENGINES:
        choices = ", ".join((*ENGINES, "dask"))
        raise CrosscheckError(f"unknown engine {engine!r}; choose one of {choices}")
    read, figures, the_suite = start(data, suite)
    mode = link_mode(the_suite, link)  # a wrong mode fails before the rules run
    url = history if history is not None else the_suite.history
    store = None
    if url:  # a history that cannot be had fails before the rules run too
        from toolkit.history import Store

        store = Store(url)
    checked = check_figures(figures, the_suite, engine, on_rule=on_rule)
    linked = link_figures(figures, the_suite, mode)
    found = fd.concat(
        [read.findings if read is not None else fd.empty(), checked.findings, linked.findings]
    )
    comparison = compare_figures(
        linked.figures, the_suite, as_of, findings=found, over_time=over_time
    )
    _ = comparison.scorecard  # the last stage, run now (cached): reports only show it
    findings = fd.concat([found, comparison.findings])
    seen = None
    if store is not None:  # the previous run: silent edits, and which findings are new
        from toolkit.history import consult

        seen = consult(store, the_suite, read, figures)
        findings = fd.concat([findings, seen.findings])
        findings = findings.assign(new=seen.is_new(findings))
    result = CheckResult(
        findings=findings,
        rules=checked.rules,
        suite=the_suite,
        read=read,
        figures=figures,
        linked=linked,
        comparison=comparison,
        history=seen,
    )
    if seen is not None and record:
        record_run(result, exit_status=0 if result.ok else 1, command="toolkit.check")
    return result


def _on_dask(
    data: Data, suite: str | Path | Suite | None, scheduler: object, **options: Any
) -> DaskRun:
    from toolkit.on_dask import run

    if isinstance(data, (ReadResult, pd.DataFrame)):
        raise CrosscheckError("engine='dask' reads the exports itself: give their paths")
    return run(data, suite, scheduler=scheduler, **options)


def record_run(result: CheckResult, exit_status: int, command: str) -> int | None:
    """Record a run in its history (None: it has none); returns the run's id."""
    if result.history is None:
        return None
    return result.history.record(
        result.findings,
        result.comparison.table,
        exit_status=exit_status,
        command=command,
        figures=len(result.figures),
    )


def compare(
    data: Data,
    suite: str | Path | Suite | None = None,
    as_of: object = None,
    *,
    link: str | None = None,
    over_time: bool | None = None,
) -> Comparison:
    """Read (if given paths), link and compare the sources' figures, without the rules.

    Parameters
    ----------
    data
        Export files or folders, a read result, or a figures table.
    suite
        A suite folder; by default the one the table was read with. Its ``compare``
        settings give the tolerance of "about", the wide-spread threshold and the window
        after which a figure is stale; its taxonomy the definition notes.
    as_of
        A date: each source's latest figure published on or before it (undated figures
        are then left out). ``None``: each source's latest figure.
    link
        How incidents are linked across sources (``none``, ``crosswalk``, ``auto``); by
        default as the suite says.
    over_time
        Also compare every report date (``comparison.series``); by default as the suite
        says.

    Examples
    --------
    >>> import toolkit as cc
    >>> comparison = cc.compare(cc.read("fixtures/al-qaryatayn"))
    >>> row = comparison.table.set_index(["incident", "measure"]).loc[
    ...     ("al-qaryatayn-2017", "killed.civilians")]
    >>> row["status"], int(row["sources"]), float(row["consensus_low"]), bool(row["wide_spread"])
    ('agree', 4, 128.0, True)
    """
    _, linked, the_suite = read_and_link(data, suite, link)
    return compare_figures(linked.figures, the_suite, as_of, over_time=over_time)

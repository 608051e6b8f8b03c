"""``--engine dask``: the pipeline's stages run on a Dask cluster, with the native kernels,
and the native engine's findings.

- **read**: one task per export (:func:`toolkit.reading.read_file`, the native reader), its
  figures kept on the workers; the file reports and input findings come back (they are
  small);
- **check**: the figures are split by incident (hashed), so that every rule sees all the rows
  it compares — one source's incident, its reports and measures — in one part; where the
  exports are split by incident already, they are not moved. Each part is checked by the
  native engine; a rule's ``mostly`` is decided on the whole table's counts;
- **link**: ``none`` moves nothing; ``crosswalk`` applies the suite's reviewed crosswalk;
  ``auto`` shuffles each part's incident records (one row per source × incident) by block
  (place × window of days), scores the candidate pairs of each block on the cluster, and
  accepts them on the client (only the scored pairs come back; see
  :mod:`toolkit.on_dask.matching`); the crosswalk goes to every part and the linked
  figures are split again by shared incident;
- **compare**: each part is compared natively (no comparison looks across incidents); the
  patterns of explanations across incidents come from counts summed over the parts;
- **results**: findings, the comparison table and the figures compared stay on the
  cluster, as Dask DataFrames, and are written from it (Parquet, CSV); the console gets
  aggregates computed there (counts, the worst findings and disagreements).

Dask and distributed are an optional extra, imported here only.
"""

from __future__ import annotations

import logging
import operator
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from toolkit.checking import suite_rules, within_mostly
from toolkit.comparing.patterns import pattern_findings
from toolkit.errors import CrosscheckError
from toolkit.linking import Matching, link_mode, reviewed_matching
from toolkit.model import figures as ft
from toolkit.model import findings as fd
from toolkit.model.vocabulary import STATUSES
from toolkit.on_dask.matching import match_on_cluster
from toolkit.on_dask.parts import (
    CITED,
    Client,
    Future,
    added,
    apart,
    bucket,
    check_part,
    cite_records,
    cited,
    compare_part,
    conform,
    distributed_module,
    figures_of,
    get,
    incidents,
    kind_severity,
    kinds_added,
    patterns_added,
    rule_counts,
    said_of,
    shared_columns,
    summed,
    unbucket,
    worst,
)
from toolkit.on_dask.streamed import finished, streamable, streamed
from toolkit.reading import (
    FileReport,
    discover,
    gathered,
    given_paths,
    read_file,
)
from toolkit.suite import Suite, find_suite

WORST = 20  # findings and disagreements shown on the console


_CLOSING = ("distributed", "tornado")


def _quiet() -> None:
    for name in _CLOSING:
        logging.getLogger(name).setLevel(logging.CRITICAL)


@contextmanager
def _quiet_when_closing() -> Iterator[None]:
    """Workers closing may log a lost heartbeat as an error with its traceback: noise on a
    run that ended well. The loggers' levels are put back once the cluster is closed."""
    levels = {name: logging.getLogger(name).level for name in _CLOSING}
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@contextmanager
def cluster(scheduler: str | None = None) -> Iterator[Client]:
    """A client of the cluster ``scheduler`` names: ``local`` (a LocalCluster of process
    workers, one per core), ``local:N`` (N workers), or a running scheduler's address
    (``tcp://host:8786``). Closed (and a local cluster stopped) on exit."""
    distributed = distributed_module()
    address = (scheduler or "local").strip()
    if address == "local" or address.startswith("local:"):
        count = address.partition(":")[2]
        most = 4 * (os.cpu_count() or 1)
        if count and not (count.isdigit() and 1 <= int(count) <= most):
            raise CrosscheckError(
                f"--scheduler {address!r}: local:N takes a number of workers from 1 to "
                f"{most} (four per core)"
            )
        workers = int(count) if count else max(1, os.cpu_count() or 1)
        with ExitStack() as stack:
            stack.enter_context(_quiet_when_closing())
            local = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(distributed.Client(local))
            stack.callback(_quiet)  # runs first on exit: the cluster then closes quietly
            yield client
        return
    if "://" not in address:
        raise CrosscheckError(
            f"--scheduler {address!r}: expected local, local:N or a scheduler's address "
            "(tcp://host:8786)"
        )
    try:
        client = distributed.Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise CrosscheckError(f"--scheduler {address}: cannot be reached: {exc}") from None
    with client:
        yield client


# --- the run -----------------------------------------------------------------------------


@dataclass
class DaskRun:
    """A run of the pipeline on a cluster: what came back, and handles on what stayed.

    ``findings``, ``table`` and ``latest`` are Dask DataFrames (each part in the native
    engine's order: worst first; ``cited``: the findings with their figures' citations);
    ``files`` the file reports; ``counts`` the comparison's status counts; ``summary``
    findings by kind and severity; ``given`` each source's figures and incidents. Valid
    while the client that made it is open (and, for a streamed run, its parts on disk).
    """

    client: Client = field(repr=False)
    suite: Suite
    files: tuple[FileReport, ...]
    findings: Any = field(repr=False)
    table: Any = field(repr=False)
    latest: Any = field(repr=False)
    cited: Any = field(repr=False)  # the findings, each with its figure's citation
    matching: Matching | None = field(repr=False)
    counts: dict[str, int]
    summary: pd.DataFrame
    figures: int
    parts: int
    shuffled: bool
    streamed: bool = False
    given: pd.DataFrame | None = field(default=None, repr=False)  # per source: figures, incidents
    patterns: pd.DataFrame | None = field(default=None, repr=False)  # explanations' patterns
    # per source x incident of the figures: the incident compared and the source's own key
    keys: pd.DataFrame | None = field(default=None, repr=False)
    # the comparison's other tables (Dask DataFrames, see toolkit.on_dask.outputs)
    tables: dict[str, Any] = field(default_factory=dict, repr=False)
    folder: Path | None = None  # where a streamed run's parts lie until it closes
    history: Any = field(default=None, repr=False)  # with a history: what it said (DaskHistory)
    _stack: ExitStack = field(default_factory=ExitStack, repr=False)

    def close(self) -> None:
        """Remove the parts this run wrote and stop the cluster it started (a client given
        to it is left open)."""
        self._stack.close()

    def __enter__(self) -> DaskRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def rows(self) -> dict[str, int]:
        return {
            "read": sum(f.rows_read for f in self.files),
            "accepted": sum(f.rows_accepted for f in self.files),
            "rejected": sum(f.rows_rejected for f in self.files),
            "figures": self.figures,
        }

    @property
    def ok(self) -> bool:
        errors = self.summary[self.summary["severity"] == "error"]["n"]
        return int(errors.sum()) == 0

    def worst_findings(self, n: int = WORST) -> pd.DataFrame:
        """The ``n`` worst findings of the run, chosen part by part on the cluster (with a
        history, each marked ``new`` or not)."""
        marked = "new" in self.cited.columns
        frame = self.cited if marked else self.findings
        heads = frame.map_partitions(worst, n, meta=frame._meta).compute()
        out = fd.sort(heads).head(n).reset_index(drop=True)
        return out.drop(columns="citation") if marked else out

    def status_text(self) -> str:
        """``"2 conflict, 1 agree, 3 single"``, as the native comparison says it."""
        return ", ".join(f"{self.counts.get(s, 0)} {s}" for s in STATUSES)


def refuse_history(suite: Suite, url: str | None = None, new_only: bool = False) -> None:
    """Before a cluster starts: ``--new-only`` with no history, or a history (``url``, else
    the suite's ``history:``) that cannot be had, is an error. The command consults and
    records the run itself (:mod:`toolkit.on_dask.history`); :func:`check` records nothing."""
    from toolkit.on_dask.history import check_url

    check_url(suite, url, new_only)


def check(
    paths: str | Path | Sequence[str | Path],
    suite: str | Path | Suite | None = None,
    *,
    client: Client,
    link: str | None = None,
    as_of: object = None,
    over_time: bool | None = None,
    rules: bool = True,
    on_part: Callable[[str, int], None] | None = None,
    tables: bool = True,
) -> DaskRun:
    """Read, check, link and compare on the cluster ``client`` is connected to (see the
    module notes); ``rules=False`` compares without checking (``crosscheck compare``).
    ``on_part`` is called with a label and the number of exports as each export's work
    finishes (a progress display). ``tables``: also keep what ``--json`` and the HTML
    report need besides the findings and the table (the texts for a column per source,
    revisions, the series' tables): ``DaskRun.tables`` (empty without)."""
    distributed_module()
    paths = given_paths(paths)
    the_suite = find_suite(paths, suite)
    mode = link_mode(the_suite, link)
    if streamable(client, the_suite, mode, rules):
        done = streamed(client, paths, the_suite, as_of, over_time, rules, on_part, tables)
        if done is not None:
            return done
    parts, files, input_findings = _read(client, paths, the_suite, on_part)
    figures = sum(f.figures for f in files)
    parts, shuffled = _by_incident(client, parts)
    found: list[Any] = []
    if rules:
        found += _checked(client, parts, the_suite)
    matching = None
    if mode != "none" and (mode == "auto" or the_suite.crosswalk):
        matching = _matching(client, parts, the_suite, mode)
        parts = client.map(matching.apply, parts, pure=False)
        parts, moved = _by_incident(client, parts)
        shuffled = shuffled or moved
    compared = client.map(
        compare_part, parts, suite=the_suite, as_of=as_of, over_time=over_time, tables=tables
    )
    found += client.map(get, compared, name="findings")
    patterns = patterns_added(client.gather(client.map(get, compared, name="patterns")), the_suite)
    small = fd.concat(
        [
            input_findings,
            matching.findings if matching is not None else fd.empty(),
            pattern_findings(patterns, the_suite),
        ]
    )
    done = _result(client, the_suite, files, found, compared, small, matching, figures, shuffled)
    done.patterns = patterns
    return done


def _read(
    client: Client,
    paths: list[str | Path],
    suite: Suite,
    on_part: Callable[[str, int], None] | None = None,
) -> tuple[list[Future], tuple[FileReport, ...], pd.DataFrame]:
    """One task per export; the parts' futures, the file reports and input findings."""
    found, skipped = discover(paths, suite)
    reads = client.map(
        read_file, [p for p, _ in found], [r for _, r in found], suite=suite, pure=False
    )
    said = finished(client, client.map(said_of, reads), on_part, "exports read")
    reports, records, _, kept = gathered(paths, found, [(r, p) for r, p, _ in said], skipped)
    meta = shared_columns([said[k][2] for k in kept])
    parts = client.map(figures_of, [reads[k] for k in kept])
    parts = client.map(conform, parts, meta=meta)
    return parts, tuple(reports), cite_records(fd.sort(fd.from_records(records)), records)


def _by_incident(client: Client, parts: list[Future]) -> tuple[list[Future], bool]:
    """The parts split so that each incident's rows lie in one part: as they are when the
    exports are split by incident already, else moved by a hash of the incident (a Dask
    shuffle). Returns the parts and whether they moved."""
    import dask.dataframe as dd

    if apart(client.gather(client.map(incidents, parts))):
        return parts, False
    buckets = max(1, len(parts))
    meta = bucket(client.submit(operator.methodcaller("head", 0), parts[0]).result(), 1)
    frame = dd.from_delayed(client.map(bucket, parts, buckets=buckets), meta=meta)
    moved = frame.shuffle("bucket", npartitions=buckets).map_partitions(
        unbucket, meta=meta.drop(columns="bucket")
    )
    return list(client.compute(moved.to_delayed())), True


def _checked(client: Client, parts: list[Future], suite: Suite) -> list[Future]:
    """The check findings of each part (a ``mostly`` decided on every part's counts)."""
    within = None
    rules = suite_rules(suite)
    if any(r.mostly < 1 for r in rules):
        counted = client.gather(client.map(rule_counts, parts, suite=suite))
        failed = added([{r: n[0] for r, n in c.items()} for c in counted])
        applied = added([{r: n[1] for r, n in c.items()} for c in counted])
        within = within_mostly(rules, {r: (failed[r], applied[r]) for r in failed})
    return list(client.map(check_part, parts, suite=suite, within=within))


def _matching(client: Client, parts: list[Future], suite: Suite, mode: str) -> Matching:
    """The crosswalk for ``crosswalk`` or ``auto`` linking: ``auto`` pairs and scores the
    incident records block by block on the cluster, and accepts the scored pairs on the
    client (:mod:`toolkit.on_dask.matching`)."""
    if mode == "crosswalk":
        return reviewed_matching(suite)
    return match_on_cluster(client, parts, suite)


def _result(
    client: Client,
    suite: Suite,
    files: tuple[FileReport, ...],
    found: list[Future],
    compared: list[Future],
    small: pd.DataFrame,
    matching: Matching | None,
    figures: int,
    shuffled: bool,
) -> DaskRun:
    import dask.dataframe as dd
    from dask.delayed import delayed

    from toolkit.on_dask.outputs import side_tables

    if "citation" not in small:  # no input finding: the link stage's, or none
        small = cited(small, ft.empty())
    parts = [*found, client.scatter(small)]
    with_citations = dd.from_delayed(parts, meta=CITED, verify_meta=False)
    findings = with_citations.drop(columns="citation")
    first = client.submit(get, compared[0], "table").result().head(0)
    latest_meta = client.submit(get, compared[0], "latest").result().head(0)
    table = dd.from_delayed(client.map(get, compared, name="table"), meta=first)
    latest = dd.from_delayed(client.map(get, compared, name="latest"), meta=latest_meta)
    counts = added(client.gather(client.map(get, compared, name="counts")))
    summary = kinds_added(client.gather(client.map(kind_severity, parts)))
    shares = summed(client.gather(client.map(get, compared, name="given")))
    keys = pd.concat(client.gather(client.map(get, compared, name="keys")), ignore_index=True)

    over_time = bool(client.submit(operator.contains, compared[0], "series").result())
    has_tables = bool(client.submit(operator.contains, compared[0], "texts").result())

    def pieces(name: str) -> list[Any]:
        return [delayed(get)(c, name) for c in compared]

    return DaskRun(
        client=client,
        suite=suite,
        files=files,
        findings=findings,
        table=table,
        latest=latest,
        cited=with_citations,
        matching=matching,
        counts=counts,
        summary=summary,
        figures=figures,
        parts=len(compared),
        shuffled=shuffled,
        given=shares,
        keys=keys.drop_duplicates(ignore_index=True),
        tables=side_tables(pieces, first, shares.index, over_time) if has_tables else {},
    )


def run(
    paths: str | Path | Sequence[str | Path],
    suite: str | Path | Suite | None = None,
    *,
    scheduler: Any = None,
    **options: Any,
) -> DaskRun:
    """:func:`check` on the cluster ``scheduler`` names (see :func:`cluster`), or on a
    ``distributed.Client`` given; a cluster it starts stops with :meth:`DaskRun.close`
    (or at the end of a ``with`` block)."""
    if scheduler is not None and not isinstance(scheduler, str):
        return check(paths, suite, client=scheduler, **options)
    stack = ExitStack()
    try:
        client = stack.enter_context(cluster(scheduler))
        result = check(paths, suite, client=client, **options)
    except BaseException:
        stack.close()
        raise
    result._stack.enter_context(stack)
    return result

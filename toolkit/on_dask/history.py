"""``--history`` with ``--engine dask``: a run on the cluster consults the suite's previous
run and is recorded as the native engine records the same run, row for row, without any
one process holding every finding or figure.

- **New findings**: the previous run's fingerprints (8 bytes a finding, read on the
  client without their texts) are broadcast to every worker once, and each part of the
  findings is marked against them where it lies. A finding may match any finding of the
  previous run, so each part needs the whole set; the set is a few MB where the findings
  are GBs, so sending it beats moving the findings to meet it (a shuffle by fingerprint).
- **Silent edits**: each export is read again on a worker into its snapshot (its figures
  as the history keeps them, and its SHA-256); the previous run's figures are streamed
  from the database a chunk at a time and scattered. Both sides are split into buckets by
  a hash of source and incident (an edit is about one key), and each bucket's edits are
  found on a worker; the client gets the edits' counts per source.
- **Recording**: :meth:`toolkit.history.Store.record` is given the findings and the
  comparison part after part (each computed on the cluster as the history keeps it) and
  the snapshots it lacks one export at a time, inside its one transaction.
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
import pandas as pd

from toolkit.history import (
    Store,
    comparison_rows,
    finding_rows,
    keys,
    sha256_of,
    shown_url,
    store_run,
    suite_folder,
    suite_hash,
)
from toolkit.history.edits import edit_findings, silent_edits, snapshot_frame
from toolkit.model import figures as ft
from toolkit.model import findings as fd
from toolkit.model.vocabulary import failing
from toolkit.on_dask.parts import Client, Future, cited, kind_severity, kinds_added
from toolkit.reading import discover, read_file

if TYPE_CHECKING:
    import argparse

    from toolkit.on_dask import DaskRun
    from toolkit.suite import Suite

_MOST_BUCKETS = 64
_CHUNK = 100_000  # previous figures streamed from the database at a time


@dataclass
class DaskHistory:
    """What a dask run learned from the history, and what it records there: the previous
    run's id (None: the suite's first), its input files and their snapshots (on the
    cluster), the silent edits per source, the new findings per severity."""

    store: Store
    previous: int | None
    runs: int  # the suite's recorded runs before this one
    files: pd.DataFrame
    snapshots: Mapping[str, pd.DataFrame]
    edits: pd.DataFrame  # source, edits
    new: dict[str, int]
    started_at: datetime
    suite_hash: str
    note: str = ""
    run_id: int | None = None

    @property
    def url(self) -> str:
        return shown_url(self.store.url)

    def line(self, suite: Suite) -> str:
        """The native console's history line (``history: run 3 of suite …``)."""
        from toolkit.reporting.console import clean

        new, edits = sum(self.new.values()), int(self.edits["edits"].sum())
        since = f"previous: run {self.previous}" if self.previous is not None else "its first"
        return (
            f"history: run {self.runs + 1} of suite {clean(suite.name)} in {clean(self.url)} "
            f"({since}): {new} new finding{'' if new == 1 else 's'}, "
            f"{edits} silent edit{'' if edits == 1 else 's'}"
            + (f" ({clean(self.note)})" if self.note else "")
        )


class _OnCluster(Mapping[str, pd.DataFrame]):
    """Snapshots by SHA-256, each fetched from the cluster only when asked for (the store
    asks only for those it has not stored)."""

    def __init__(self, futures: dict[str, Future]) -> None:
        self._futures = futures

    def __getitem__(self, sha: str) -> pd.DataFrame:
        frame: pd.DataFrame = self._futures[sha].result()
        return frame

    def __iter__(self) -> Iterator[str]:
        return iter(self._futures)

    def __len__(self) -> int:
        return len(self._futures)


# --- on the workers ----------------------------------------------------------------------


def snapshot(path: Path, root: Path | None, suite: Suite) -> tuple[dict[str, Any] | None, Any]:
    """One export read again: its file row (None: nobody claims it) and its snapshot."""
    report, figures, _ = read_file(path, root, suite)
    if report is None:
        return None, None
    row = {
        "path": report.path,
        "sha256": sha256_of(path),
        "rows_read": report.rows_read,
        "rows_accepted": report.rows_accepted,
        "rows_rejected": report.rows_rejected,
    }
    return row, snapshot_frame(figures)


def split(frame: pd.DataFrame, buckets: int) -> list[pd.DataFrame]:
    """A side's figures in ``buckets`` by a hash of source and incident, the figures' numbers
    as the history reads them back (floats, NaN where missing)."""
    frame = frame.astype({c: "float64" for c in ("value", "low", "high")})
    key = frame[["source", "incident"]].astype("str").fillna("").astype(object)
    hashed = pd.util.hash_pandas_object(key, index=False).to_numpy() % np.uint64(buckets)
    return [frame[hashed == k].reset_index(drop=True) for k in range(buckets)]


def bucket_edits(
    before: list[pd.DataFrame], after: list[pd.DataFrame], suite: Suite, previous: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One bucket's silent edits: their ``silent-edit`` findings (with a citation column,
    as the run's findings have) and the count per source."""
    edits = silent_edits(_joined(before), _joined(after))
    found = cited(edit_findings(edits, suite, previous), ft.empty())
    return found, edits.groupby("source").size().rename("edits").reset_index()


def _joined(pieces: list[pd.DataFrame]) -> pd.DataFrame:
    kept = [p for p in pieces if len(p)]
    return pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()


def marked(part: pd.DataFrame, seen: np.ndarray) -> pd.DataFrame:
    """A part's findings, each marked ``new`` when the previous run did not have it."""
    prints = keys.fingerprints(keys.texts(part))
    return part.assign(new=~np.isin(prints, seen))


def new_by_severity(part: pd.DataFrame) -> pd.DataFrame:
    return part[part["new"]].groupby("severity").size().rename("n").reset_index()


# --- on the client -----------------------------------------------------------------------


def check_url(suite: Suite, url: str | None, new_only: bool) -> None:
    """Before a cluster starts: ``--new-only`` needs a history, and a history that cannot
    be had (or is newer than this crosscheck) is an error now, not after the run."""
    from toolkit.errors import CrosscheckError

    url = url or suite.history
    if new_only and not url:
        raise CrosscheckError(
            "--new-only needs a history: add --history [URL], or history: URL to the suite"
        )
    if url:
        Store(url).close()


def consult(client: Client, run: DaskRun, paths: list[str], url: str) -> DaskHistory:
    """The suite's previous run: the silent edits since (added to the run's findings) and
    which findings are new (each part of ``run.findings`` gets a ``new`` column); the
    run's summary counts the edits."""
    started = datetime.now(UTC)
    suite = run.suite
    store = Store(url)
    folder = suite_folder(suite)
    previous = store.previous(suite.name, folder)
    earlier = len(store.runs(suite.name, folder))
    found, _ = discover(paths, suite)
    read = client.map(snapshot, [p for p, _ in found], [r for _, r in found], suite=suite)
    rows = client.gather(client.map(operator.itemgetter(0), read))
    kept = [(row, read[k]) for k, row in enumerate(rows) if row is not None]
    files = pd.DataFrame([row for row, _ in kept], columns=list(_FILE_COLUMNS))
    frames = client.map(operator.itemgetter(1), [r for _, r in kept])
    snapshots: dict[str, Future] = {}
    for (row, _), frame in zip(kept, frames, strict=True):
        snapshots.setdefault(row["sha256"], frame)
    written = suite_hash(suite)
    seen = np.array([], dtype=np.int64)
    note = ""
    edit_parts: list[Future] = []
    counted: list[pd.DataFrame] = []
    if previous is not None:
        seen = store.fingerprints(previous)
        if store.run(previous)["suite_hash"] != written:
            note = f"the suite changed since run {previous}: no silent edits looked for"
        elif set(files["sha256"]) != set(store.files(previous)["sha256"]):
            edit_parts, counted = _edits(client, store, previous, frames, suite)
    _with_history(client, run, seen, edit_parts)
    new = run.cited.map_partitions(new_by_severity, meta=new_by_severity(_MARKED)).compute()
    per_source = pd.concat([_NO_EDITS, *counted], ignore_index=True)
    return DaskHistory(
        store=store,
        previous=previous,
        runs=earlier,
        files=files,
        snapshots=_OnCluster(snapshots),
        edits=per_source.groupby("source", as_index=False).agg(edits=("edits", "sum")),
        new={str(k): int(v) for k, v in new.groupby("severity")["n"].sum().items()},
        started_at=started,
        suite_hash=written,
        note=note,
    )


_FILE_COLUMNS = ("path", "sha256", "rows_read", "rows_accepted", "rows_rejected")
_NO_EDITS = pd.DataFrame(
    {"source": pd.Series([], dtype="str"), "edits": pd.Series([], dtype="int64")}
)
_MARKED = cited(fd.empty(), ft.empty()).assign(new=pd.Series([], dtype=bool))


def _edits(
    client: Client, store: Store, previous: int, now: list[Future], suite: Suite
) -> tuple[list[Future], list[pd.DataFrame]]:
    """The silent edits between the previous run's figures (streamed from the database,
    scattered a chunk at a time) and this run's snapshots, bucket by bucket on the
    cluster: the edits' findings (futures) and their counts per source."""
    before = [client.scatter(chunk) for chunk in store.figures_in_chunks(previous, _CHUNK)]
    buckets = max(1, min(len(before) + len(now), _MOST_BUCKETS))
    sides = [client.map(split, side, buckets=buckets) for side in (before, now)]
    done = [
        client.submit(
            bucket_edits,
            [client.submit(operator.getitem, s, k) for s in sides[0]],
            [client.submit(operator.getitem, s, k) for s in sides[1]],
            suite=suite,
            previous=previous,
        )
        for k in range(buckets)
    ]
    counts = client.gather(client.map(operator.itemgetter(1), done))
    return client.map(operator.itemgetter(0), done), counts


def _with_history(client: Client, run: DaskRun, seen: np.ndarray, edits: list[Future]) -> None:
    """The run's findings with the silent edits' and a ``new`` column (the previous run's
    fingerprints sent to every worker once); its summary counting the edits."""
    import dask.dataframe as dd

    every = run.cited
    if edits:
        edited = dd.from_delayed(edits, meta=every._meta, verify_meta=False)
        every = dd.concat([every, edited])  # type: ignore[no-untyped-call]  # dask untyped
        added = client.gather(client.map(kind_severity, edits))
        run.summary = kinds_added([run.summary, *added])
    prints = client.scatter(seen, broadcast=True)
    meta = every._meta.assign(new=pd.Series([], dtype=bool))
    run.cited = every.map_partitions(marked, prints, meta=meta)
    # the findings keep their columns: DaskRun.worst_findings computes them against the
    # findings' columns without ``new``
    run.findings = run.cited.drop(columns=["citation", "new"])


def exit_status(h: DaskHistory | None, code: int, fail_on: str, new_only: bool) -> int:
    """With ``--new-only``, the exit status counts only the new findings."""
    if h is None or not new_only:
        return code
    return 1 if any(h.new.get(s, 0) for s in failing(fail_on)) else 0


def record(run: DaskRun, h: DaskHistory, exit_status: int, command: str) -> int:
    """Record the run: the store takes the findings and the comparison part by part."""
    rows = run.cited.map_partitions(finding_rows, meta=finding_rows(_MARKED))
    table = run.table.map_partitions(comparison_rows, meta=comparison_rows(run.table._meta))
    h.run_id = store_run(
        h.store,
        run.suite,
        started_at=h.started_at,
        suite_hash=h.suite_hash,
        files=h.files,
        snapshots=h.snapshots,
        findings=parts_of(rows),
        comparison=parts_of(table),
        exit_status=exit_status,
        command=command,
        figures=run.figures,
    )
    h.store.close()
    return h.run_id


def parts_of(frame: Any) -> Iterator[pd.DataFrame]:
    """A Dask DataFrame's parts, computed one at a time."""
    for part in frame.to_delayed():
        yield part.compute()


# --- the command line --------------------------------------------------------------------


def before_report(
    run: DaskRun, args: argparse.Namespace, out: TextIO, rules: bool = True
) -> DaskHistory | None:
    """``check --engine dask`` with a history (``--history``, else the suite's): consult
    it before the report and print the native console's history line."""
    url = getattr(args, "history", None) or run.suite.history
    if not rules or not url:
        return None
    h = consult(run.client, run, list(args.paths), url)
    print(h.line(run.suite), file=out)
    return h


def after_report(
    run: DaskRun, h: DaskHistory | None, code: int, args: argparse.Namespace, out: TextIO
) -> int:
    """The exit status (``--new-only``: the new findings'), and the run recorded with it."""
    from toolkit.reporting.console import clean

    code = exit_status(h, code, args.fail_on, bool(getattr(args, "new_only", False)))
    if h is None:
        return code
    run_id = record(run, h, code, " ".join(["crosscheck", *sys.argv[1:]]))
    since = f" (previous: run {h.previous})" if h.previous is not None else " (the suite's first)"
    print(f"recorded run {run_id} in {clean(h.url)}{since}", file=out)
    return code

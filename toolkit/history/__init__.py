"""History: every run of a suite recorded in a SQL database, so a run knows the last one.

Before the report, the pipeline *consults* the history (:func:`consult`): the previous run
of the same suite (same name and folder) gives which findings are new (matched on their
fingerprints, :mod:`toolkit.history.keys`) and, against the figures of its exports, which
figures a source changed silently (:mod:`toolkit.history.edits`: ``silent-edit``
findings). After the report, the run is *recorded* (:meth:`History.record`), in one
transaction. Stages never import this package; the pipeline and the commands do.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from toolkit.history import keys
from toolkit.history.edits import edit_findings, silent_edits, snapshot_frame
from toolkit.history.store import DEFAULT_URL, RunRecord, Store, shown_url

if TYPE_CHECKING:
    from toolkit.reading import ReadResult
    from toolkit.suite import Suite

__all__ = ["DEFAULT_URL", "History", "Store", "consult", "shown_url"]


def sha256_of(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# What a suite is written in: a history database, a report or an export kept in its folder
# is not the suite, and changes every run.
_SUITE_SUFFIXES = (".yaml", ".yml", ".json")


def suite_hash(suite: Suite) -> str:
    """A hash of the files the suite and the suites it extends are written in (their
    YAML and JSON, and the crosswalk: names and bytes)."""
    digest = hashlib.sha256()
    for folder in suite.chain:
        root = Path(folder)
        written = (p for p in root.rglob("*") if p.suffix.lower() in _SUITE_SUFFIXES)
        crosswalk = [Path(suite.crosswalk)] if suite.crosswalk else []
        for path in sorted({*written, *crosswalk}):
            if not path.is_file() or any(part.startswith(".") for part in path.parts[-2:]):
                continue
            digest.update(str(path).encode("utf-8", "surrogateescape"))
            digest.update(path.read_bytes())
    return digest.hexdigest()


def suite_folder(suite: Suite) -> str:
    return str(Path(suite.path).resolve())


@dataclass
class History:
    """What a run learned from the history, and what it will record there.

    ``previous`` is the id of the suite's last recorded run (None: this is its first);
    ``edits`` the silent edits against that run's exports and ``findings`` their
    ``silent-edit`` findings; ``earlier`` the suite's recorded runs (for trends);
    ``run_id`` this run's id once recorded.
    """

    store: Store
    suite: Suite
    previous: int | None
    seen: frozenset[int]
    edits: pd.DataFrame
    findings: pd.DataFrame
    earlier: pd.DataFrame
    files: pd.DataFrame
    snapshots: dict[str, pd.DataFrame] = field(repr=False)
    started_at: datetime
    suite_hash: str = ""  # of the files the suite is written in (see :func:`suite_hash`)
    note: str = ""  # why no silent edits were looked for, when they were not
    run_id: int | None = None

    @property
    def url(self) -> str:
        return shown_url(self.store.url)

    def is_new(self, findings: pd.DataFrame) -> np.ndarray:
        """Per finding: absent from the previous run (all are new in a suite's first)."""
        prints = keys.fingerprints(keys.texts(findings))
        new: np.ndarray = ~np.isin(prints, np.fromiter(self.seen, dtype=np.int64))
        return new

    def trends(self, findings: pd.DataFrame) -> pd.DataFrame:
        """Findings by severity per run: the suite's recorded runs, then this one."""
        now = {
            "run": "this run",
            "recorded_at": self.started_at,
            "errors": int((findings["severity"] == "error").sum()),
            "warnings": int((findings["severity"] == "warning").sum()),
            "infos": int((findings["severity"] == "info").sum()),
        }
        before = self.earlier.assign(
            run=self.earlier["id"].astype("str"),
            recorded_at=pd.to_datetime(self.earlier["recorded_at"], utc=True),
        )
        columns = list(now)
        return pd.concat([before[columns], pd.DataFrame([now])], ignore_index=True)

    def edits_by_source(self) -> pd.DataFrame:
        """Silent edits per run and source: the suite's recorded runs, then this one."""
        ids = self.earlier["id"].tolist()
        before = self.store.silent_edits_per_source(ids) if ids else pd.DataFrame()
        if not before.empty:
            before = before.assign(run=before["run_id"].astype("str"))[["run", "source", "edits"]]
        now = self.edits.groupby("source").size().rename("edits").reset_index()
        now.insert(0, "run", "this run")
        frames = [f for f in (before, now) if not f.empty]
        if not frames:
            return pd.DataFrame({"run": [], "source": [], "edits": []})
        return pd.concat(frames, ignore_index=True)

    def record(
        self,
        findings: pd.DataFrame,
        comparison: pd.DataFrame,
        exit_status: int,
        command: str,
        figures: int,
    ) -> int:
        """Record this run (its findings as reported, ``new`` marked) in one transaction."""
        self.run_id = store_run(
            self.store,
            self.suite,
            started_at=self.started_at,
            suite_hash=self.suite_hash,
            files=self.files,
            snapshots=self.snapshots,
            findings=finding_rows(findings),
            comparison=comparison_rows(comparison),
            exit_status=exit_status,
            command=command,
            figures=figures,
        )
        return self.run_id


def store_run(store: Store, suite: Suite, **run: Any) -> int:
    """Record a run of ``suite`` (``run``: the :class:`RunRecord` fields but the version
    and the suite's own; findings and comparison as frames or frames one after another)."""
    from toolkit import __version__

    return store.record(
        RunRecord(
            version=__version__, suite_name=suite.name, suite_folder=suite_folder(suite), **run
        )
    )


def finding_rows(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings as the history records them: their texts, content hash, fingerprint, line
    and whether each is new (None where the run could not tell)."""
    text = keys.texts(findings)
    return text.assign(
        content=keys.contents(text),
        fingerprint=keys.fingerprints(text),
        origin_row=findings["origin_row"].astype("Int64").to_numpy(),
        new=findings["new"].to_numpy(dtype=bool) if "new" in findings else None,
    )


_COMPARED = (
    "incident",
    "measure",
    "reported_on",
    "sources",
    "status",
    "consensus_low",
    "consensus_high",
    "min",
    "max",
    "outliers",
    "explanation",
)


def comparison_rows(comparison: pd.DataFrame) -> pd.DataFrame:
    """The comparison table's columns the history records, as it keeps them."""
    table = comparison[[c for c in _COMPARED if c in comparison]].copy()
    for c in ("incident", "measure", "status", "outliers", "explanation"):
        if c in table:
            table[c] = table[c].astype("str")
    if "reported_on" in table:
        table["reported_on"] = pd.to_datetime(table["reported_on"]).dt.strftime("%Y-%m-%d")
    return table


def _files_and_snapshots(
    read: ReadResult | None, snap: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """This run's input files with their SHA-256, and each distinct file's figures (the
    run's figures as :func:`snapshot_frame` keeps them)."""
    if read is None or not read.files:
        content = pd.util.hash_pandas_object(snap, index=False).to_numpy().tobytes()
        sha = hashlib.sha256(content).hexdigest()
        n = len(snap)
        files = pd.DataFrame(
            [{"path": "(figures table)", "sha256": sha, "rows_read": n, "rows_accepted": n,
              "rows_rejected": 0}]
        )  # fmt: skip
        return files, {sha: snap.assign(origin_file="(figures table)")}
    rows: list[dict[str, Any]] = []
    snapshots: dict[str, pd.DataFrame] = {}
    by_file = dict(tuple(snap.groupby("origin_file", sort=False)))
    for f in read.files:
        sha = sha256_of(f.path)
        rows.append(
            {
                "path": f.path,
                "sha256": sha,
                "rows_read": f.rows_read,
                "rows_accepted": f.rows_accepted,
                "rows_rejected": f.rows_rejected,
            }
        )
        mine = by_file.get(f.path)
        snapshots.setdefault(sha, mine if mine is not None else snap.iloc[0:0])
    return pd.DataFrame(rows), snapshots


def consult(
    store: Store | str, suite: Suite, read: ReadResult | None, figures: pd.DataFrame
) -> History:
    """Learn from the suite's previous run in the history (``store``, or its URL): which
    figures its sources changed since (silent edits), and which findings it already had.
    No silent edits are looked for when the suite changed since (its profiles may read the
    same files otherwise)."""
    started = datetime.now(UTC)
    store = Store(store) if isinstance(store, str) else store
    now = snapshot_frame(figures)
    files, snapshots = _files_and_snapshots(read, now)
    folder = suite_folder(suite)
    previous = store.previous(suite.name, folder)
    earlier = store.runs(suite.name, folder)
    seen: frozenset[int] = frozenset()
    edits = silent_edits(pd.DataFrame(), pd.DataFrame())
    note = ""
    written = suite_hash(suite)  # once: the files a suite is written in are read for it
    if previous is not None:
        seen = frozenset(int(x) for x in store.findings(previous)["fingerprint"])
        if store.run(previous)["suite_hash"] != written:
            # the profiles may read the same files otherwise now: nothing to compare with
            note = f"the suite changed since run {previous}: no silent edits looked for"
        elif set(files["sha256"]) != set(store.files(previous)["sha256"]):
            edits = silent_edits(store.figures(previous), now)
    found = edit_findings(edits, suite, previous or 0)
    return History(
        store=store,
        suite=suite,
        previous=previous,
        seen=seen,
        edits=edits,
        findings=found,
        earlier=earlier,
        files=files,
        snapshots=snapshots,
        started_at=started,
        suite_hash=written,
        note=note,
    )

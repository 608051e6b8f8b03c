"""History benchmark (issue 17): a SQLite history of 1,000 daily runs of 10,000 findings.

    python bench/bench_history.py [--runs 1000] [--per-run 10000] [--fresh] [--db PATH]

Not in CI (``nox -s bench`` does not run it): building the database takes minutes. It is
built once, by bulk insert (SQLAlchemy Core ``executemany`` straight into the tables of a
database the store created, 50 runs per transaction: recording 1,000 runs one by one with
``Store.record`` would take as many seconds as runs), and reused while it exists
(``--fresh`` rebuilds it). Each run is what a daily CI run of a suite would record:

- 10,000 findings over 2,000 incidents and 5 sources, like real ones: 60 % conflicts and
  10 % wide spreads (their messages list the five sources' figures, ~150 characters), 30 %
  rule findings (citation, parts, cumulative) at a line of an export. From one run to the
  next, 95 % are the same findings (their lines shifted: rows were added above them), 5 %
  are fixed and as many are new (about a new report date).
- 5 export files (figures of 2,000 incidents x 2 measures each): two sources publish a new
  export every day, one weekly, one monthly, one never; a new export edits ~1 % of its
  figures silently.
- the comparison table: 2,000 incidents x 2 measures.

The figures are measured on a copy of that database (the copy grows by the runs measured):
``Store(url)`` (open and check the schema), ``Store.previous``, ``Store.record`` of one
more run (built as ``History.record`` builds it), ``Store.findings`` of a run and
``diff(store)`` of the last two runs, each in a fresh process (bench/_measure.py), best of
3; then the file size per run, per table, and for contrast the size per run of a history
whose runs share no findings (each run's findings all distinct: what naming exports by
date in ``origin_file`` would do). Targets: record and diff each under 1 s.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
import sqlalchemy as sa
from _measure import _run

import toolkit.history.schema as db
from toolkit.history import keys
from toolkit.history.diff import diff
from toolkit.history.store import RunRecord, Store
from toolkit.model.findings import COLUMNS

INCIDENTS = 2000
SOURCES = ("ACLED", "UCDP GED", "Airwars", "OCHA oPt", "IOM Missing Migrants Project")
SLUGS = ("acled", "ucdp-ged", "airwars", "ocha-opt", "iom-mmp")
PERIOD = (1, 1, 7, 30, 10**9)  # days between two exports of each source
FINDING_MEASURES = ("killed", "killed.civilians", "injured", "killed.children")
FIGURE_MEASURES = ("killed", "injured")
TURNOVER = 0.05  # of a run's findings: fixed by the next run, and as many new
SUITE_NAME = "bench-history"
SUITE_FOLDER = "/srv/suites/bench-history"
START = datetime(2024, 1, 1, 6, 0, tzinfo=UTC)
DAY0 = np.datetime64("2023-06-01", "D")
CHUNK_RUNS = 50  # runs per transaction while building


# -- what each run holds ------------------------------------------------------------------


def memberships(runs: int, per_run: int, distinct: bool = False) -> Iterator[np.ndarray]:
    """The finding numbers of runs 1..runs, in turn. Shared: each run drops a random 5 %
    of the previous run's and adds as many never seen; distinct: none in common."""
    if distinct:
        for r in range(runs):
            yield np.arange(r * per_run, (r + 1) * per_run, dtype=np.int64)
        return
    turnover = int(per_run * TURNOVER)
    current = np.arange(per_run, dtype=np.int64)
    fresh = per_run
    for r in range(1, runs + 1):
        if r > 1:
            rng = np.random.default_rng(r)
            gone = rng.choice(per_run, size=turnover, replace=False)
            kept = np.delete(current, gone)
            current = np.concatenate([kept, np.arange(fresh, fresh + turnover, dtype=np.int64)])
            fresh += turnover
        yield current


def _figures_of(k: np.ndarray) -> np.ndarray:
    """Each finding's five sources' figures (one column per source)."""
    s = np.arange(len(SOURCES), dtype=np.int64)
    return 50 + (k[:, None] * 31 + s[None, :] * 97 + (k[:, None] // 7) * 13) % 400


def findings_frame(k: np.ndarray, run: int, turnover: int) -> pd.DataFrame:
    """Findings number ``k`` as a run's findings frame (the columns and types of
    :data:`toolkit.model.findings.COLUMNS`); a finding's texts depend on its number only,
    its line also on the run (rows are added above it every day)."""
    n = len(k)
    kind_pick = (k * 2654435761) % 100
    incident = k % INCIDENTS
    source = (k // INCIDENTS) % len(SOURCES)
    measure = (k // 7) % len(FINDING_MEASURES)
    day = k // max(turnover, 1)  # the findings new in a run are about a new report date
    figs = _figures_of(k)
    own = figs[np.arange(n), source]
    src = np.array(SOURCES, dtype=object)[source]
    meas = np.array(FINDING_MEASURES, dtype=object)[measure]
    code = np.select(
        [kind_pick < 60, kind_pick < 70, kind_pick < 85, kind_pick < 92, kind_pick < 97],
        ["conflict", "wide-spread", "citation", "increment-matches-cumulative",
         "parts-not-above-whole"],
        default="cumulative-no-drop",
    ).astype(object)  # fmt: skip
    discrepancy = kind_pick < 70
    listed = [
        ", ".join(f"{SOURCES[j]} {'' if j == s else '≥ '}{v[j]}" for j in range(len(SOURCES)))
        for s, v in zip(source.tolist(), figs.tolist(), strict=True)
    ]
    rule_of = {
        "conflict": "sources conflict",
        "wide-spread": "sources' figures far apart",
        "citation": "every figure cites its source",
        "increment-matches-cumulative": "killed.new = change in killed",
        "parts-not-above-whole": "killed.civilians + killed.combatants <= killed",
        "cumulative-no-drop": "killed does not drop",
    }
    said = {
        "citation": "no citation: the figure cannot be traced to a published source",
        "increment-matches-cumulative": "killed.new differs from the change in killed "
        "since the previous report",
        "parts-not-above-whole": "the parts (civilians and combatants) sum past killed",
        "cumulative-no-drop": "cumulative killed lower than the same source gave in its "
        "previous report",
    }
    message, expected = [], []
    for c, s, m, v, text in zip(code, src, meas, own.tolist(), listed, strict=True):
        if c == "conflict":
            message.append(f"{s}'s {m} {v} lies outside what the other sources agree on "
                           f"(all: {text})")  # fmt: skip
            expected.append(f"≥ {v + 40}")
        elif c == "wide-spread":
            message.append(f"{m}: the intervals overlap but the figures are far apart: {text}")
            expected.append("within 50% of the highest figure")
        else:
            message.append(said[c])
            expected.append(f"<= {v - 1} (killed)" if c == "parts-not-above-whole" else "a value")
    slug = np.array(SLUGS, dtype=object)[source]
    frame = pd.DataFrame(
        {
            "kind": np.where(discrepancy, "discrepancy", "rule"),
            "code": code,
            "rule": [rule_of[c] for c in code],
            "severity": np.where(
                (code == "conflict") | (code == "parts-not-above-whole"), "error", "warning"
            ),
            "incident": [f"inc-{i:07d}" for i in incident.tolist()],
            "source": src,
            "measure": meas,
            "reported_on": (DAY0 + day).astype("datetime64[us]"),
            "origin_file": np.where(discrepancy, None, [f"exports/{x}.csv" for x in slug]),
            "origin_row": np.where(discrepancy, -1, (k * 37) % 50_000 + 2 + 3 * run),
            "column": np.where(discrepancy, "figure_text", None),
            "observed": own.astype(str).astype(object),
            "expected": expected,
            "message": message,
        }
    )
    for c in COLUMNS:
        if c not in ("origin_row", "reported_on"):
            frame[c] = frame[c].astype("str")
    rows = frame["origin_row"].astype("Int64")
    frame["origin_row"] = rows.mask(rows < 0)
    return frame[list(COLUMNS)]


def recorded(findings: pd.DataFrame, new: np.ndarray | None) -> pd.DataFrame:
    """The findings as ``History.record`` hands them to the store."""
    text = keys.texts(findings)
    return text.assign(
        content=keys.contents(text),
        fingerprint=keys.fingerprints(text),
        origin_row=findings["origin_row"].astype("Int64").to_numpy(),
        new=new,
    )


def _sha(source: int, version: int) -> str:
    return hashlib.sha256(f"{SLUGS[source]}:{version}".encode()).hexdigest()


def exports(run: int) -> list[tuple[int, int]]:
    """Each source's export a run reads: (source, version)."""
    return [(s, run // PERIOD[s]) for s in range(len(SOURCES))]


def snapshot(source: int, version: int) -> pd.DataFrame:
    """The figures of one export as a snapshot keeps them (with their file): 2,000
    incidents x 2 measures; each new version edits ~1 % of the figures."""
    j = np.repeat(np.arange(INCIDENTS, dtype=np.int64), len(FIGURE_MEASURES))
    m = np.tile(np.arange(len(FIGURE_MEASURES), dtype=np.int64), INCIDENTS)
    base = 20 + (j * 53 + m * 11 + source * 7) % 900
    value = (base + (version + j + m * 50) // 100).astype("float64")
    return pd.DataFrame(
        {
            "source": SOURCES[source],
            "incident": [f"inc-{i:07d}" for i in j.tolist()],
            "measure": np.array(FIGURE_MEASURES, dtype=object)[m],
            "reported_on": (DAY0 + j % 300).astype(str),
            "value": value,
            "low": value,
            "high": np.nan,
            "qualifier": "exact",
            "figure_text": value.astype(np.int64).astype(str),
            "origin_file": f"exports/{SLUGS[source]}.csv",
            "origin_row": pd.array(j * 2 + m + 2, dtype="Int64"),
        }
    )


def comparison(run: int) -> pd.DataFrame:
    """A run's comparison table: 2,000 incidents x 2 measures."""
    j = np.repeat(np.arange(INCIDENTS, dtype=np.int64), len(FIGURE_MEASURES))
    m = np.tile(np.arange(len(FIGURE_MEASURES), dtype=np.int64), INCIDENTS)
    low = (20 + (j * 53 + m * 11 + run) % 900).astype("float64")
    conflict = (j + run) % 10 < 6
    return pd.DataFrame(
        {
            "incident": [f"inc-{i:07d}" for i in j.tolist()],
            "measure": np.array(FIGURE_MEASURES, dtype=object)[m],
            "reported_on": (DAY0 + j % 300).astype(str),
            "sources": 5,
            "status": np.where(conflict, "conflict", "agree"),
            "consensus_low": low,
            "consensus_high": low + 10,
            "min": low - np.where(conflict, 30, 0),
            "max": low + 10,
            "outliers": np.where(conflict, SOURCES[1], ""),
        }
    )


def files_frame(run: int) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"path": f"exports/{SLUGS[s]}.csv", "sha256": _sha(s, v), "rows_read": 4000,
             "rows_accepted": 4000, "rows_rejected": 0}
            for s, v in exports(run)
        ]
    )  # fmt: skip


def make_run(run: int, per_run: int) -> RunRecord:
    """Run number ``run`` as the pipeline would record it (its findings marked new against
    the run before)."""
    previous = current = np.arange(0)
    for members in memberships(run, per_run):
        previous, current = current, members
    findings = findings_frame(current, run, int(per_run * TURNOVER))
    new = ~np.isin(current, previous)
    return RunRecord(
        started_at=START + timedelta(days=run - 1),
        version="0.17.0",
        suite_name=SUITE_NAME,
        suite_folder=SUITE_FOLDER,
        suite_hash="0" * 64,
        command="crosscheck check suites/bench-history --junit reports/junit.xml",
        exit_status=1,
        files=files_frame(run),
        snapshots={_sha(s, v): snapshot(s, v) for s, v in exports(run)},
        findings=recorded(findings, new),
        comparison=comparison(run),
        figures=INCIDENTS * len(FIGURE_MEASURES) * len(SOURCES),
    )


# -- building the database by bulk insert -------------------------------------------------


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain values (None where missing), column by column: faster than
    ``to_dict("records")`` for millions of rows."""
    names = [str(c) for c in frame.columns]
    columns = [frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in names]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def build(path: Path, runs: int, per_run: int, distinct: bool = False) -> float:
    """A history of ``runs`` runs at ``path``, by bulk insert; returns the seconds taken."""
    start = time.perf_counter()
    final, path = path, path.with_name(path.name + ".building")  # renamed when complete
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    Store(url).close()  # the schema, as the store makes it
    turnover = int(per_run * TURNOVER)
    all_members = list(memberships(runs, per_run, distinct))
    universe = int(max(m.max() for m in all_members)) + 1
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA synchronous=OFF")  # this connection only
        conn.commit()
        with conn.begin():
            for lo in range(0, universe, 100_000):  # every finding's texts, once
                k = np.arange(lo, min(lo + 100_000, universe), dtype=np.int64)
                rows = recorded(findings_frame(k, 0, turnover), None)
                rows = rows.drop(columns=["origin_row", "new"]).rename(
                    columns={"column": "column_name"}
                )
                conn.execute(sa.insert(db.findings), _rows(rows.assign(id=k + 1)))
            stored: set[str] = set()
            for r in range(1, runs + 1):
                for s, v in exports(r):
                    sha = _sha(s, v)
                    if sha in stored:
                        continue
                    stored.add(sha)
                    figures = snapshot(s, v)
                    snapshot_id = conn.execute(
                        sa.insert(db.snapshots).returning(db.snapshots.c.id),
                        {"sha256": sha, "suite_hash": "0" * 64, "figures": len(figures)},
                    ).scalar_one()
                    rows = figures.drop(columns=["origin_file"]).assign(snapshot_id=snapshot_id)
                    conn.execute(sa.insert(db.snapshot_figures), _rows(rows))
        previous = np.arange(0)
        for lo in range(1, runs + 1, CHUNK_RUNS):
            with conn.begin():
                for r in range(lo, min(lo + CHUNK_RUNS, runs + 1)):
                    members = all_members[r - 1]
                    new = ~np.isin(members, previous)
                    previous = members
                    _bulk_run(conn, r, members, new, turnover)
    engine.dispose()
    path.replace(final)
    return time.perf_counter() - start


def _bulk_run(
    conn: sa.Connection, run: int, members: np.ndarray, new: np.ndarray, turnover: int
) -> None:
    """One run's rows: the run, its files, its findings (referring to the stored texts
    by id: a finding's number + 1) and its comparison table."""
    kind_pick = (members * 2654435761) % 100
    severity_error = (kind_pick < 60) | ((kind_pick >= 92) & (kind_pick < 97))
    errors = int(severity_error.sum())
    conn.execute(
        sa.insert(db.runs),
        {
            "id": run,
            "started_at": START + timedelta(days=run - 1),
            "recorded_at": START + timedelta(days=run - 1, minutes=3),
            "version": "0.17.0",
            "suite_name": SUITE_NAME,
            "suite_folder": SUITE_FOLDER,
            "suite_hash": "0" * 64,
            "command": "crosscheck check suites/bench-history --junit reports/junit.xml",
            "exit_status": 1,
            "files": len(SOURCES),
            "figures": INCIDENTS * len(FIGURE_MEASURES) * len(SOURCES),
            "findings": len(members),
            "errors": errors,
            "warnings": len(members) - errors,
            "infos": 0,
            "new_findings": int(new.sum()),
        },
    )
    conn.execute(sa.insert(db.run_files), _rows(files_frame(run).assign(run_id=run)))
    discrepancy = kind_pick < 70
    line = np.where(discrepancy, -1, (members * 37) % 50_000 + 2 + 3 * run)
    links = pd.DataFrame(
        {
            "run_id": run,
            "finding_id": members + 1,
            "origin_row": pd.array(line, dtype="Int64"),
            "new": new,
        }
    )
    links["origin_row"] = links["origin_row"].mask(links["origin_row"] < 0)
    conn.execute(sa.insert(db.run_findings), _rows(links))
    conn.execute(sa.insert(db.comparisons), _rows(comparison(run).assign(run_id=run)))


# -- what is measured (each in a fresh process, bench/_measure.py) ------------------------

_STATE: dict[str, Any] = {}


def _url(path: str) -> str:
    return f"sqlite:///{path}"


def run_open(path: str, per_run: str) -> None:
    Store(_url(path)).close()


def prepare_run_previous(path: str, per_run: str) -> None:
    _STATE["store"] = Store(_url(path))


def run_previous(path: str, per_run: str) -> None:
    assert _STATE["store"].previous(SUITE_NAME, SUITE_FOLDER) is not None


def prepare_run_record(path: str, per_run: str) -> None:
    store = Store(_url(path))
    last = store.previous(SUITE_NAME, SUITE_FOLDER) or 0
    _STATE["store"] = store
    _STATE["run"] = make_run(last + 1, int(per_run))


def run_record(path: str, per_run: str) -> None:
    assert _STATE["store"].record(_STATE["run"]) > 0


def prepare_run_findings(path: str, per_run: str) -> None:
    _STATE["store"] = Store(_url(path))


def run_findings(path: str, per_run: str) -> None:
    store = _STATE["store"]
    last = store.previous(SUITE_NAME, SUITE_FOLDER)
    assert len(store.findings(last)) == int(per_run)


def prepare_run_diff(path: str, per_run: str) -> None:
    _STATE["store"] = Store(_url(path))


def run_diff(path: str, per_run: str) -> None:
    d = diff(_STATE["store"])
    turnover = int(int(per_run) * TURNOVER)
    assert len(d.new) == turnover, len(d.new)
    assert len(d.fixed) == turnover, len(d.fixed)


def measure(target: str, *args: str, repeat: int = 3) -> dict[str, float]:
    """Best and median wall seconds of ``repeat`` fresh processes."""
    runs = [_run(f"bench_history:{target}", args) for _ in range(repeat)]
    return {
        "seconds": min(r["seconds"] for r in runs),
        "median_seconds": statistics.median(r["seconds"] for r in runs),
        "rss_mib": max(r["rss_mib"] for r in runs),
    }


def table_sizes(path: Path) -> dict[str, int]:
    """Bytes per table, its indexes counted with it (SQLite's dbstat)."""
    with sqlite3.connect(path) as conn:
        owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master").fetchall())
        out: dict[str, int] = {}
        for name, size in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            table = owner.get(name, name)
            out[table] = out.get(table, 0) + int(size)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def _mib(n: float) -> str:
    return f"{n / 2**20:,.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--per-run", type=int, default=10_000)
    parser.add_argument("--fresh", action="store_true", help="rebuild the database")
    parser.add_argument("--db", type=Path, default=None, help="where the database is kept")
    parser.add_argument("--contrast-runs", type=int, default=50,
                        help="runs of the all-distinct history (0: skip it)")  # fmt: skip
    args = parser.parse_args()
    runs, per_run = args.runs, args.per_run
    folder = Path(tempfile.gettempdir()) / "crosscheck-bench-history"
    base = args.db or folder / f"history-{runs}x{per_run}.sqlite"
    base.parent.mkdir(parents=True, exist_ok=True)
    if args.fresh or not base.exists():
        seconds = build(base, runs, per_run)
        print(f"built {base} by bulk insert: {runs:,} runs x {per_run:,} findings in "
              f"{seconds:.0f} s ({seconds / runs * 1000:.0f} ms a run)")  # fmt: skip
    else:
        print(f"reusing {base} (--fresh rebuilds it)")
    size = base.stat().st_size
    with sqlite3.connect(base) as conn:
        count = {
            t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("runs", "findings", "run_findings", "snapshot_figures", "comparisons")
        }
    assert count["runs"] == runs, count
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in count.items()))

    work = base.with_name(base.stem + "-work.sqlite")
    shutil.copyfile(base, work)
    try:
        _measure_all(work, runs, per_run)
    finally:
        work.unlink(missing_ok=True)

    sizes = table_sizes(base)
    print(f"file: {_mib(size)} for {runs:,} runs: {size / runs / 1024:,.0f} KiB a run; "
          "by table (with its indexes): "
          + ", ".join(f"{t} {_mib(n)}" for t, n in sizes.items() if n > 65536))  # fmt: skip
    if args.contrast_runs:
        distinct = folder / f"history-distinct-{args.contrast_runs}x{per_run}.sqlite"
        build(distinct, args.contrast_runs, per_run, distinct=True)
        d_size = distinct.stat().st_size
        d_tables = table_sizes(distinct)
        print(f"contrast, runs sharing no findings: {_mib(d_size)} for {args.contrast_runs} "
              f"runs: {d_size / args.contrast_runs / 1024:,.0f} KiB a run (findings "
              f"{d_tables.get('findings', 0) / args.contrast_runs / 1024:,.0f} KiB a run, "
              f"vs {sizes.get('findings', 0) / runs / 1024:,.0f} KiB shared)")  # fmt: skip
        distinct.unlink()


def _measure_all(work: Path, runs: int, per_run: int) -> None:
    args = (str(work), str(per_run))
    opened = measure("run_open", *args)
    previous = measure("run_previous", *args)
    before = work.stat().st_size
    recorded_ = measure("run_record", *args)  # three more runs, each the next day's
    grown = (work.stat().st_size - before) / 3
    found = measure("run_findings", *args)
    diffed = measure("run_diff", *args)
    for what, m in (
        ("Store(url) (open, schema check)", opened),
        ("Store.previous", previous),
        (f"Store.record of one more run of {per_run:,} findings", recorded_),
        (f"Store.findings of a run ({per_run:,})", found),
        ("diff of the last two runs", diffed),
    ):
        print(f"{what}: {m['seconds']:.3f} s (median {m['median_seconds']:.3f} s, "
              f"peak RSS {m['rss_mib']:.0f} MiB)")  # fmt: skip
    print(f"a run recorded grows the file by {grown / 1024:,.0f} KiB")
    for what, m in (("record", recorded_), ("diff", diffed)):
        held = "holds" if m["seconds"] < 1 else "MISSED"
        print(f"target {what} < 1 s at {runs:,} runs of {per_run:,} findings: {held} "
              f"({m['seconds']:.3f} s)")  # fmt: skip


if __name__ == "__main__":
    main()

"""History: runs recorded in SQL (SQLite and a real PostgreSQL server), new findings,
silent edits, --new-only, migrations, concurrent and killed runs, bad URLs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import FIXTURES, ROOT, edit_line

import toolkit as cc
import toolkit.history.schema as db
from toolkit.errors import HistoryError, SuiteError
from toolkit.history import Store
from toolkit.history.diff import diff
from toolkit.suite import load_suite

SERIES = FIXTURES / "series"
CTP_FILE = "covid-tracking.csv"


def _copy(tmp_path: Path, name: str = "series") -> Path:
    target = tmp_path / name
    shutil.copytree(SERIES, target)
    return target


def _count(url: str, table: sa.Table, **where: object) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            query = sa.select(sa.func.count()).select_from(table)
            for column, value in where.items():
                query = query.where(table.c[column] == value)
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


# --- recording, new findings, silent edits (SQLite and PostgreSQL) ----------------------


def test_a_run_is_recorded_and_the_next_run_knows_its_findings(tmp_path, history_url):
    data = _copy(tmp_path)
    first = cc.check(data, history=history_url)
    assert first.history.previous is None
    assert first.findings["new"].all()  # a suite's first run: everything is new
    second = cc.check(data, history=history_url)
    assert second.history.previous == first.history.run_id
    assert not second.findings["new"].any()
    store = Store(history_url)
    runs = store.runs()
    assert runs["id"].tolist() == [first.history.run_id, second.history.run_id]
    assert runs["findings"].tolist() == [len(first.findings), len(second.findings)]
    assert runs["new_findings"].tolist() == [len(first.findings), 0]
    assert runs["exit_status"].tolist() == [1, 1]  # the conflicts are errors
    assert set(runs["suite_name"]) == {"series"}
    assert runs["suite_folder"].iloc[0] == str((data / "expectations").resolve())
    # files with their checksums and counts; the findings with their lines
    files = store.files(second.history.run_id)
    files = files.set_index(files["path"].map(lambda p: Path(p).name))
    assert files.loc[CTP_FILE, "rows_read"] == 54
    assert len(files.loc[CTP_FILE, "sha256"]) == 64
    assert Path(files.loc[CTP_FILE, "path"]).resolve() == (data / CTP_FILE).resolve()
    recorded = store.findings(second.history.run_id)
    assert sorted(recorded["origin_row"].dropna().astype(int)) == sorted(
        second.findings["origin_row"].dropna().astype(int)
    )
    # finding texts are stored once, not once per run
    assert _count(history_url, db.findings) == len(first.findings)
    assert _count(history_url, db.run_findings) == 2 * len(first.findings)
    # each export's figures once per distinct content: the second run stored none
    assert _count(history_url, db.snapshots) == 2
    comparison = _count(history_url, db.comparisons, run_id=second.history.run_id)
    assert comparison == len(second.comparison.table)
    store.close()


def test_a_figure_changed_between_two_snapshots_is_a_silent_edit(tmp_path, history_url):
    data = _copy(tmp_path)
    cc.check(data, history=history_url)
    # Colorado, 16 May 2020: the project's 878 becomes 880, same report date
    edit_line(data / CTP_FILE, 14, ",878,", ",880,")
    result = cc.check(data, history=history_url)
    edits = result.findings[result.findings["code"] == "silent-edit"]
    assert len(edits) == 1
    edit = edits.iloc[0]
    assert (edit["kind"], edit["severity"]) == ("history", "warning")
    assert (edit["source"], edit["incident"], edit["measure"]) == (
        "COVID Tracking Project",
        "covid-19 US-CO",  # the source's own key
        "deaths",
    )
    assert edit["reported_on"] == pd.Timestamp("2020-05-16")
    assert (edit["origin_file"].endswith(CTP_FILE), edit["origin_row"]) == (True, 14)
    assert (edit["observed"], edit["expected"]) == ("880", "as published before: 878")
    assert f"from 878 (run 1, {edit['origin_file']}:14) to 880" in edit["message"]
    assert bool(edit["new"])
    # history diff says the same, with both file:lines, and the file that changed
    d = diff(Store(history_url))
    assert d.edits[["before", "after", "before_row", "after_row"]].values.tolist() == [
        ["878", "880", 14, 14]
    ]
    assert d.files[["change", "path"]].values.tolist() == [["changed", edit["origin_file"]]]
    assert "silent-edit" in set(d.new["code"])
    # an unchanged export between runs: no edit
    again = cc.check(data, history=history_url)
    assert not (again.findings["code"] == "silent-edit").any()


def test_an_export_kept_beside_its_copy_is_no_silent_edit(tmp_path):
    """Daily snapshots kept side by side repeat each figure: no figure was changed."""
    data = _copy(tmp_path)
    url = f"sqlite:///{tmp_path}/h.sqlite"
    cc.check(data, history=url)
    shutil.copy(data / CTP_FILE, data / "covid-tracking-2020-05-21.csv")
    kept = cc.check(data, history=url)
    assert not (kept.findings["code"] == "silent-edit").any()
    (data / "covid-tracking-2020-05-21.csv").unlink()
    edit_line(data / CTP_FILE, 14, ",878,", ",880,")
    edited = cc.check(data, history=url)
    assert edited.findings["code"].tolist().count("silent-edit") == 1


def test_a_history_kept_in_the_suite_folder_is_no_change_of_the_suite(tmp_path):
    """The suite is its YAML and JSON: a database beside them changes every run."""
    data = _copy(tmp_path)
    url = f"sqlite:///{data}/expectations/history.sqlite"
    cc.check(data, history=url)
    edit_line(data / CTP_FILE, 14, ",878,", ",880,")
    edited = cc.check(data, history=url)
    assert edited.history.note == ""
    assert edited.findings["code"].tolist().count("silent-edit") == 1


def test_a_changed_suite_looks_for_no_silent_edits(tmp_path, cli):
    """A profile changed between runs reads the same files otherwise: that is no outlet's
    edit, and the run says why it did not look."""
    data = _copy(tmp_path)
    url = f"sqlite:///{tmp_path}/h.sqlite"
    assert cli("check", str(data), "--history", url).code == 1
    suite_yaml = data / "expectations" / "suite.yaml"
    suite_yaml.write_text(suite_yaml.read_text() + "severity: {wide-spread: info}\n")
    edit_line(data / CTP_FILE, 14, ",878,", ",880,")
    run = cli("check", str(data), "--history", url)
    assert "0 silent edits (the suite changed since run 1: no silent edits looked for)" in run.out
    assert "silently" not in run.out.split("findings (")[1]


def test_the_suite_sets_the_severity_of_silent_edits_and_names_the_history(tmp_path, cli):
    data = _copy(tmp_path)
    suite_yaml = data / "expectations" / "suite.yaml"
    suite_yaml.write_text(
        suite_yaml.read_text()
        + "history: sqlite:///reports/runs.sqlite\nseverity: {silent-edit: error}\n"
    )
    os.chdir(tmp_path)  # a relative SQLite path is relative to where crosscheck runs
    try:
        assert cli("check", "series", "--fail-on", "never").code == 0
        assert (tmp_path / "reports" / "runs.sqlite").is_file()
        edit_line(data / CTP_FILE, 14, ",878,", ",880,")
        run = cli("check", "series", "--new-only")
        assert run.code == 1  # the silent edit is a new error
        assert "[history/a published figure changed silently]" in run.out
        assert "recorded run 2 in sqlite:///reports/runs.sqlite (previous: run 1)" in run.out
    finally:
        os.chdir(ROOT)


def test_new_only_fails_on_a_new_error_and_not_on_old_ones(tmp_path, cli):
    data = _copy(tmp_path)
    url = f"sqlite:///{tmp_path}/h.sqlite"
    first = cli("check", str(data), "--history", url, "--new-only")
    assert first.code == 1  # the first run: its conflicts are new errors
    assert cli("check", str(data), "--history", url, "--new-only").code == 0  # old ones
    assert cli("check", str(data), "--history", url).code == 1  # without --new-only: all
    # JHU's Colorado deaths of 20 May change: a conflict with a new figure, a new error
    jhu = data / "jhu-csse.csv"
    line = next(i for i, t in enumerate(jhu.read_text().splitlines(), 1) if ",1257," in t)
    edit_line(jhu, line, ",1257,", ",1300,")
    run = cli(
        "check", str(data), "--history", url, "--new-only", "--json", str(tmp_path / "r.json")
    )
    assert run.code == 1
    written = json.loads((tmp_path / "r.json").read_text())
    new = [f for f in written["findings"] if f["new"]]
    assert {f["code"] for f in new if f["severity"] == "error"} == {"conflict"}
    assert any("1,300" in f["message"] for f in new)
    # --new-only with no history to compare with is a usage error
    bare = cli("check", str(data), "--new-only")
    assert bare.code == 2
    assert "--new-only needs a history" in bare.err


def test_history_lists_runs_and_diffs_the_last_two(tmp_path, cli):
    data = _copy(tmp_path)
    url = f"sqlite:///{tmp_path}/h.sqlite"
    for _ in range(2):
        cli("check", str(data), "--history", url)
    edit_line(data / CTP_FILE, 14, ",878,", ",880,")
    cli("check", str(data), "--history", url)
    listed = cli("history", "--history", url)
    assert listed.code == 0
    assert "3 runs in" in listed.out
    assert len([line for line in listed.out.splitlines() if " series " in line]) == 3
    d = cli("history", "diff", "--history", url)
    assert d.code == 0
    assert "run 2 (" in d.out
    assert "-> run 3 (" in d.out
    assert "1 silent edits" in d.out
    where = next(w for w in d.out.split() if w.endswith(f"{CTP_FILE}:14)")).strip("()")
    assert f"878 ({where}) -> 880 ({where})" in d.out
    same = cli("history", "diff", "1", "2", "--history", url).out
    assert "0 new findings, 0 fixed, 0 files changed, 0 silent edits" in same
    missing = cli("history", "diff", "1", "9", "--history", url)
    assert missing.code == 2
    assert "no run 9 (runs 1-3)" in missing.err
    huge = cli("history", "diff", "99999999999999999999999", "--history", url)
    assert huge.code == 2
    assert "no run 99999999999999999999999" in huge.err
    # listing a history that is not there creates none
    typo = tmp_path / "typo" / "h.sqlite"
    absent = cli("history", "--history", f"sqlite:///{typo}")
    assert absent.code == 2
    assert "no such database" in absent.err
    assert not typo.parent.exists()


# --- the schema: versions, migrations, refusals -----------------------------------------


def test_an_older_history_is_upgraded_and_keeps_its_runs(tmp_path, history_url):
    engine = sa.create_engine(history_url)
    with engine.begin() as conn:  # a history as version 1 wrote it, with one run
        db.MIGRATIONS[1](conn)
        conn.execute(sa.insert(db.meta).values(key="schema_version", value="1"))
        conn.execute(
            sa.insert(db.runs).values(
                started_at=pd.Timestamp("2026-01-01", tz="UTC"),
                recorded_at=pd.Timestamp("2026-01-01", tz="UTC"),
                version="0.0.9",
                suite_name="old",
                suite_folder="/nowhere",
                suite_hash="0" * 64,
                command="crosscheck check old",
                exit_status=0,
                files=0,
                figures=0,
                findings=0,
                errors=0,
                warnings=0,
                infos=0,
            )
        )
    assert "snapshots" not in sa.inspect(engine).get_table_names()
    engine.dispose()
    store = Store(history_url)
    assert store.runs()["suite_name"].tolist() == ["old"]  # nothing dropped
    engine = sa.create_engine(history_url)
    with engine.connect() as conn:
        assert store.version(conn) == db.VERSION == 3
        assert {"snapshots", "snapshot_figures", "comparisons"} <= set(
            sa.inspect(conn).get_table_names()
        )
    engine.dispose()
    # and records on top
    result = cc.check(_copy(tmp_path), history=history_url)
    assert store.runs()["id"].tolist() == [1, result.history.run_id]


def test_a_version_2_history_gains_the_explanations_and_records_them(tmp_path, history_url, cli):
    engine = sa.create_engine(history_url)
    with engine.begin() as conn:  # version 2: findings and comparisons without explanations
        db.MIGRATIONS[1](conn)
        db.MIGRATIONS[2](conn)
        for table, column in (
            ("findings", "explanation"),
            ("findings", "evidence"),
            ("comparisons", "explanation"),
        ):
            conn.execute(sa.text(f'ALTER TABLE {table} DROP COLUMN "{column}"'))
        conn.execute(sa.insert(db.meta).values(key="schema_version", value="2"))
    engine.dispose()
    run = cli("check", str(FIXTURES / "explaining"), "--history", history_url)
    assert run.code == 1, run.err
    engine = sa.create_engine(history_url)
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("findings")}
        assert {"explanation", "evidence"} <= columns
        said = conn.execute(
            sa.select(db.findings.c.explanation, sa.func.count())
            .where(db.findings.c.code == "conflict")
            .group_by(db.findings.c.explanation)
        ).all()
        kept = (
            conn.execute(
                sa.select(db.comparisons.c.explanation).where(db.comparisons.c.status == "conflict")
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert dict(said)["definition"] > 0  # the FBI's and the MSA's findings of 14 conflicts
    assert sorted(set(kept)) == ["breakdown", "definition", "unexplained"]


def test_a_newer_history_is_refused(tmp_path, history_url, cli):
    Store(history_url).close()
    engine = sa.create_engine(history_url)
    with engine.begin() as conn:
        conn.execute(sa.update(db.meta).values(value="99"))
    engine.dispose()
    with pytest.raises(HistoryError, match="its schema is version 99, newer than this"):
        Store(history_url)
    run = cli("check", str(_copy(tmp_path)), "--history", history_url)
    assert run.code == 2
    assert f"newer than this crosscheck's ({db.VERSION})" in run.err
    assert "Traceback" not in run.err


def test_a_database_that_is_not_a_history_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path}/other.sqlite"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE runs (x INTEGER)")
    engine.dispose()
    with pytest.raises(HistoryError, match="not a crosscheck history"):
        Store(url)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("notaurl", "'notaurl' is not a database URL"),
        ("mysql://u@h/db", "only sqlite and postgresql are supported"),
        ("sqlite://", "name a database file"),
        (
            "postgresql+psycopg://me:s3cret@127.0.0.1:1/db",
            "history postgresql+psycopg://me:***@127.0.0.1:1/db: cannot be reached",
        ),
        ("postgresql://me:s3cret@host:notaport/db", "//me:***@host:notaport/db' is not a"),
        ("sqlite:///%00x", "embedded null byte"),
    ],
)
def test_a_history_that_cannot_be_had_is_a_clear_error(tmp_path, cli, url, says):
    run = cli("check", str(_copy(tmp_path)), "--history", url)
    assert run.code == 2
    assert says in run.err
    assert "s3cret" not in run.err + run.out
    assert "Traceback" not in run.err


def test_the_suites_history_key_must_be_a_url_text(tmp_path):
    folder = tmp_path / "suite"
    folder.mkdir()
    (folder / "suite.yaml").write_text("name: t\nhistory: [a, b]\n")
    with pytest.raises(SuiteError, match="history: expected a database URL"):
        load_suite(folder)


# --- concurrency and faults --------------------------------------------------------------

_RECORD = textwrap.dedent(
    """
    import sys
    import toolkit as cc
    for _ in range(int(sys.argv[3])):
        cc.check(sys.argv[1], history=sys.argv[2])
    """
)


def test_runs_recorded_at_once_all_land(tmp_path, history_url):
    data = _copy(tmp_path)
    Store(history_url).close()  # created once: the race is on recording
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RECORD, str(data), history_url, "2"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    runs = Store(history_url).runs()
    assert len(runs) == 6
    assert runs["id"].is_unique
    for r in runs.itertuples():  # each run whole: as many findings as it says
        assert _count(history_url, db.run_findings, run_id=r.id) == r.findings


_BIG_RUN = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    import numpy as np
    import pandas as pd
    from toolkit.history import keys
    from toolkit.history.store import RunRecord, Store
    from toolkit.model import findings as fd

    n = int(sys.argv[2])
    text = keys.texts(fd.from_frame(pd.DataFrame({
        "kind": "rule", "code": "bounds", "rule": "bounds", "severity": "error",
        "incident": [f"i{k}" for k in range(n)], "source": "S", "measure": "killed",
        "observed": [str(k) for k in range(n)], "message": "a message " * 10,
        "origin_file": "f.csv", "origin_row": np.arange(n) + 2,
    })))
    rows = text.assign(content=keys.contents(text), fingerprint=keys.fingerprints(text),
                       origin_row=np.arange(n) + 2, new=True)
    store = Store(sys.argv[1])
    print("ready", flush=True)
    store.record(RunRecord(datetime.now(UTC), "t", "big", "/big", "0" * 64, "big", 1,
                           pd.DataFrame(columns=["path", "sha256", "rows_read", "rows_accepted",
                                                 "rows_rejected"]),
                           {}, rows, pd.DataFrame(), 0))
    print("recorded", flush=True)
    """
)


def _mid_transaction(url: str, tmp_path: Path) -> bool:
    if url.startswith("sqlite"):
        return (tmp_path / "history.sqlite-journal").exists()
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            busy = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL "
                    "AND query ILIKE 'INSERT INTO run_findings%'"
                )
            ).scalar_one()
        return bool(busy)
    finally:
        engine.dispose()


def test_a_run_killed_while_recording_leaves_nothing_half_written(tmp_path, history_url):
    Store(history_url).close()
    rows = "300000" if history_url.startswith("sqlite") else "60000"  # long enough to catch
    proc = subprocess.Popen(
        [sys.executable, "-c", _BIG_RUN, history_url, rows],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 120
    while not _mid_transaction(history_url, tmp_path):
        assert proc.poll() is None, "the run ended before it could be killed mid-way"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    assert Store(history_url).runs().empty
    assert _count(history_url, db.findings) == 0
    assert _count(history_url, db.run_findings) == 0

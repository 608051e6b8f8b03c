"""``--history`` with ``--engine dask``: a dask run recorded (SQLite and a real PostgreSQL
server) with the rows a native run of the same exports records, new findings and silent
edits found against the previous run, ``--new-only``, and the store fed part by part —
on a real cluster of two process workers."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from conftest import FIXTURES, edit_line

import toolkit as cc
import toolkit.history.schema as db
from toolkit import on_dask
from toolkit.history import Store
from toolkit.history.diff import diff
from toolkit.on_dask import history as dask_history

SERIES = FIXTURES / "series"
CTP_FILE = "covid-tracking.csv"


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "series"
    shutil.copytree(SERIES, target)
    return target


def _dask_run(client: Any, data: Path, url: str) -> tuple[on_dask.DaskRun, Any, int]:
    """A dask run consulted and recorded as ``check --engine dask --history`` does."""
    run = on_dask.check(data, client=client)
    h = dask_history.consult(client, run, [str(data)], url)
    run_id = dask_history.record(run, h, 0 if run.ok else 1, "crosscheck check --engine dask")
    return run, h, run_id


def _rows(url: str, table: sa.Table, run_id: int, drop: tuple[str, ...] = ()) -> list[tuple]:
    """A run's rows of ``table``, sorted, without the columns that differ between runs."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            query = sa.select(table).where(table.c.run_id == run_id)
            frame = pd.DataFrame(conn.execute(query).mappings().all())
    finally:
        engine.dispose()
    frame = frame.drop(columns=["run_id", *drop]).astype("str")
    return sorted(frame.itertuples(index=False, name=None))


def _findings(store: Store, run_id: int) -> list[tuple]:
    found = store.findings(run_id).astype("str")
    return sorted(found.itertuples(index=False, name=None))


def test_a_dask_run_records_the_rows_a_native_run_records(tmp_path, history_url, client):
    data = _copy(tmp_path)
    _, h, dask_id = _dask_run(client, data, history_url)
    assert h.previous is None
    native = cc.check(data, history=history_url)
    native_id = native.history.run_id
    assert native.history.previous == dask_id
    assert not native.findings["new"].any()  # the dask run had every finding
    store = Store(history_url)
    d = diff(store, dask_id, native_id)
    assert (len(d.new), len(d.fixed), len(d.files), len(d.edits)) == (0, 0, 0, 0)
    runs = store.runs().set_index("id")
    differ = ["started_at", "recorded_at", "command"]
    assert runs.loc[dask_id].drop(differ).to_dict() == {
        **runs.loc[native_id].drop(differ).to_dict(),
        "new_findings": len(native.findings),  # the suite's first run: all new
    }
    assert runs.loc[native_id, "new_findings"] == 0
    assert _rows(history_url, db.run_files, dask_id) == _rows(history_url, db.run_files, native_id)
    assert _rows(history_url, db.comparisons, dask_id) == _rows(
        history_url, db.comparisons, native_id
    )
    ours = store.findings(dask_id)
    theirs = store.findings(native_id)
    assert ours["new"].all()
    same = [c for c in ours.columns if c != "new"]
    assert sorted(ours[same].astype("str").itertuples(index=False, name=None)) == sorted(
        theirs[same].astype("str").itertuples(index=False, name=None)
    )
    # the snapshots the dask run stored are the native engine's, figure for figure
    alone = f"sqlite:///{tmp_path}/native.sqlite"
    apart = cc.check(data, history=alone)
    figures = store.figures(dask_id).astype("str")
    native_figures = Store(alone).figures(apart.history.run_id).astype("str")
    assert len(figures) == 162
    assert sorted(figures.itertuples(index=False, name=None)) == sorted(
        native_figures.itertuples(index=False, name=None)
    )
    assert _rows(history_url, db.comparisons, dask_id) == _rows(
        alone, db.comparisons, apart.history.run_id
    )
    store.close()


def test_a_figure_edited_between_two_dask_runs_is_a_silent_edit(tmp_path, history_url, client):
    data = _copy(tmp_path)
    _, _, first = _dask_run(client, data, history_url)
    edit_line(data / CTP_FILE, 14, ",878,", ",880,")  # Colorado, 16 May 2020
    run, h, second = _dask_run(client, data, history_url)
    assert h.previous == first
    assert h.edits.values.tolist() == [["COVID Tracking Project", 1]]
    found = run.cited.compute()
    edits = found[found["code"] == "silent-edit"]
    assert len(edits) == 1
    edit = edits.iloc[0]
    assert (edit["kind"], edit["severity"], edit["incident"]) == (
        "history",
        "warning",
        "covid-19 US-CO",
    )
    assert (edit["observed"], edit["expected"]) == ("880", "as published before: 878")
    assert f"from 878 (run {first}, {edit['origin_file']}:14) to 880" in edit["message"]
    assert bool(edit["new"])
    # the run's summary counts it; only it (and the findings about 880) are new
    summary = run.summary.set_index(["kind", "severity"])["n"]
    assert summary.loc[("history", "warning")] == 1
    assert sum(h.new.values()) == int(found["new"].sum())
    assert set(found[found["new"]]["observed"]) >= {"880"}
    # the history says the same as a native run's would
    d = diff(Store(history_url))
    assert d.edits[["before", "after", "before_row", "after_row"]].values.tolist() == [
        ["878", "880", 14, 14]
    ]
    assert "silent-edit" in set(d.new["code"])
    store = Store(history_url)
    assert int(store.runs().set_index("id").loc[second, "findings"]) == len(found)
    store.close()


def test_new_only_exits_as_the_native_engine_does(tmp_path, history_url, client, cli):
    data = _copy(tmp_path)
    on = ["--engine", "dask", "--scheduler", client.scheduler.address]
    first = cli("check", str(data), *on, "--history", history_url, "--new-only")
    assert first.code == 1, first.out + first.err  # the first run: its conflicts are new
    assert "history: run 1 of suite series" in first.out
    assert "recorded run 1" in first.out
    again = cli("check", str(data), *on, "--history", history_url, "--new-only")
    assert again.code == 0, again.out + again.err  # old errors only
    assert "0 new findings, 0 silent edits" in again.out
    # the worst findings listed are marked as natively: new in the first run, not again
    assert "\n  error   new " in first.out
    assert ", 0 new):" in again.out
    assert "\n  error   new " not in again.out
    assert cli("check", str(data), *on, "--history", history_url).code == 1
    jhu = data / "jhu-csse.csv"
    line = next(i for i, t in enumerate(jhu.read_text().splitlines(), 1) if ",1257," in t)
    edit_line(jhu, line, ",1257,", ",1300,")
    changed = cli("check", str(data), *on, "--history", history_url, "--new-only")
    assert changed.code == 1
    # the native engine, on the same history, exits as the dask engine did
    assert cli("check", str(data), "--history", history_url, "--new-only").code == 0
    bare = cli("check", str(data), *on, "--new-only")
    assert bare.code == 2
    assert "--new-only needs a history" in bare.err


def test_the_store_gets_the_findings_part_by_part(tmp_path, client, monkeypatch):
    """The client never holds all findings at once: the store receives them in several
    chunks (the two exports are shuffled into two parts by incident)."""
    data = _copy(tmp_path)
    chunks: list[int] = []
    insert = Store._findings

    def spy(self: Store, conn: Any, run_id: int, findings: pd.DataFrame) -> None:
        chunks.append(len(findings))
        insert(self, conn, run_id, findings)

    monkeypatch.setattr(Store, "_findings", spy)
    run, _, _ = _dask_run(client, data, f"sqlite:///{tmp_path}/h.sqlite")
    total = int(run.summary["n"].sum())
    assert sum(chunks) == total == 11
    assert len([n for n in chunks if n]) >= 2
    assert max(chunks) < total


def test_a_suites_history_is_recorded_and_a_bad_one_refused_before_the_cluster(tmp_path, cli):
    data = _copy(tmp_path)
    suite = data / "expectations" / "suite.yaml"
    url = f"sqlite:///{tmp_path}/suite.sqlite"
    suite.write_text(suite.read_text().replace("link: none\n", f"link: none\nhistory: {url}\n", 1))
    run = cli("check", str(data), "--engine", "dask", "--scheduler", "local:1")
    assert run.code == 1, run.err
    assert "recorded run 1 in sqlite:///" in run.out
    assert Store(url).runs()["findings"].tolist() == [11]
    bad = cli("check", str(data), "--engine", "dask", "--history", "mysql://h/db")
    assert bad.code == 2
    assert "only sqlite and postgresql are supported" in bad.err
    assert "dask:" not in bad.out  # refused before a cluster starts


def test_cc_check_with_the_dask_engine_consults_and_records_its_history(tmp_path, client):
    """In Python too: ``cc.check(..., engine="dask", history=URL)`` records the run (it
    used to be silently ignored) and says which findings are new."""
    data = _copy(tmp_path)
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    first = cc.check(data, engine="dask", scheduler=client, history=url)
    second = cc.check(data, engine="dask", scheduler=client, history=url)
    try:
        assert first.history.run_id == 1
        assert second.history.run_id == 2
        assert second.history.previous == 1
        assert sum(first.history.new.values()) > 0
        assert sum(second.history.new.values()) == 0  # the same exports: nothing new
    finally:
        first.close()
        second.close()
    store = Store(url)
    try:
        assert store.runs()["command"].tolist() == ["toolkit.check", "toolkit.check"]
    finally:
        store.close()

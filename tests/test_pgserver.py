"""The history databases the tests get: a SQLite file and a real, throwaway PostgreSQL server."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from pgserver import PgServer, PostgresUnavailable, find_bindir

ROWS = sa.table("runs", sa.column("id"), sa.column("suite"))


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.NullPool)


def test_a_fresh_database_takes_writes_and_a_second_connection_sees_them_once_committed(
    history_url: str,
) -> None:
    a, b = _engine(history_url), _engine(history_url)
    try:
        assert sa.inspect(a).get_table_names() == []  # fresh and empty
        with a.begin() as conn:
            conn.execute(sa.text("CREATE TABLE runs (id INTEGER PRIMARY KEY, suite TEXT)"))
        with a.connect() as writer, b.connect() as reader:
            writer.execute(sa.insert(ROWS).values(id=1, suite="al-qaryatayn"))
            # Uncommitted: the other connection does not see the row yet.
            assert reader.execute(sa.select(sa.func.count()).select_from(ROWS)).scalar() == 0
            reader.rollback()
            writer.commit()
            got = reader.execute(sa.select(ROWS.c.id, ROWS.c.suite)).all()
        assert [tuple(r) for r in got] == [(1, "al-qaryatayn")]
    finally:
        a.dispose()
        b.dispose()


def test_the_postgresql_param_is_a_real_server_of_its_own_database(
    history_url: str, pg_server: PgServer
) -> None:
    if not history_url.startswith("postgresql"):
        assert history_url.startswith("sqlite:///")
        assert history_url.endswith("/history.sqlite")
        return
    engine = _engine(history_url)
    try:
        with engine.connect() as conn:
            assert engine.dialect.name == "postgresql"
            assert conn.execute(sa.text("SELECT version()")).scalar().startswith("PostgreSQL ")
            assert conn.execute(sa.text("SELECT inet_server_port()")).scalar() == pg_server.port
            database = conn.execute(sa.text("SELECT current_database()")).scalar()
        assert history_url.endswith(f"/{database}")
        assert database.startswith("history_")
    finally:
        engine.dispose()


def test_postgres_url_is_a_database_on_the_session_server(postgres_url: str) -> None:
    engine = _engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_database()")).scalar() == (
                "crosscheck_session"
            )
    finally:
        engine.dispose()


def test_dropping_a_database_closes_connections_a_test_left_open(pg_server: PgServer) -> None:
    name = f"history_{uuid.uuid4().hex}"
    left_open = _engine(pg_server.create_database(name)).connect()
    admin = _engine(pg_server.url())
    try:
        left_open.execute(sa.text("SELECT 1"))
        pg_server.drop_database(name)
        with admin.connect() as conn:
            names = conn.execute(sa.text("SELECT datname FROM pg_database")).scalars().all()
        assert name not in names
        assert "postgres" in names
        with pytest.raises(sa.exc.OperationalError):
            left_open.execute(sa.text("SELECT 1"))
    finally:
        admin.dispose()
        left_open.invalidate()
        left_open.close()


def test_without_postgresql_the_error_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    (tmp_path / "12" / "bin").mkdir(parents=True)  # a version folder without initdb
    with pytest.raises(PostgresUnavailable, match=r"scripts/ensure-postgresql.*apt-get install"):
        find_bindir(debian=tmp_path)


def test_the_highest_debian_version_is_used(tmp_path: Path) -> None:
    for version in ("9.6", "15", "16"):
        (tmp_path / version / "bin").mkdir(parents=True)
        (tmp_path / version / "bin" / "initdb").touch()
    assert find_bindir(debian=tmp_path) == tmp_path / "16" / "bin"


def test_a_server_that_cannot_start_fails_with_the_tail_of_its_log(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pgserver

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setattr(pgserver, "free_port", lambda: taken.getsockname()[1])
        server = PgServer()
        with pytest.raises(PostgresUnavailable, match=r"(?s)pg_ctl start failed.*already in use"):
            server.start()
    assert not server.root.exists()  # the throwaway folder is gone

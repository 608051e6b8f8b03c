"""A throwaway PostgreSQL server for the test session.

A fresh cluster (``initdb``) in a temporary folder, listening on 127.0.0.1 on a free port
with trust authentication, started with ``pg_ctl -w start`` and stopped with
``pg_ctl -m fast stop``; fsync is off, as nothing in it outlives the session. ``initdb`` and
``pg_ctl`` refuse to run as root, so as root they run as the ``postgres`` user
(``runuser -u postgres``) and the folder is given to that user. The binaries are Debian's
(``/usr/lib/postgresql/<version>/bin``, highest version) or on PATH;
``scripts/ensure-postgresql`` installs them (``nox -s tests`` runs it).
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import LiteralString

SUPERUSER = "postgres"
SHM_ROOM = 1 << 30  # bytes free on /dev/shm to put the cluster there
INSTALL_HINT = (
    "PostgreSQL is needed for the history tests on PostgreSQL: run 'bash scripts/ensure-postgresql'"
    " as root (nox -s tests does), or 'sudo apt-get install postgresql'"
)


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server can be started here; the message says how to get one."""


def find_bindir(debian: Path = Path("/usr/lib/postgresql")) -> Path:
    """The folder holding initdb and pg_ctl: Debian's highest version, else PATH."""
    versions = []
    for bindir in debian.glob("*/bin"):
        version = bindir.parent.name
        if re.fullmatch(r"\d+(\.\d+)?", version) and (bindir / "initdb").is_file():
            versions.append((tuple(int(p) for p in version.split(".")), bindir))
    if versions:
        return max(versions)[1]
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    raise PostgresUnavailable(f"initdb and pg_ctl not found. {INSTALL_HINT}")


def scratch_dir() -> str | None:
    """Memory-backed /dev/shm when it has room, else the usual temp folder (None).

    A database is a few hundred small files: creating one took 250 ms on an ext4 disk and
    9 ms on tmpfs, and the tests create one per test. Docker's default /dev/shm is 64 MB,
    too small, hence the room check.
    """
    shm = "/dev/shm"
    try:
        st = os.statvfs(shm)
    except OSError:
        return None
    if os.access(shm, os.W_OK) and st.f_bavail * st.f_frsize >= SHM_ROOM:
        return shm
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PgServer:
    """One cluster; ``start()`` then ``url(db)``, ``create_database``, ``stop()``."""

    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            try:
                self.owner = pwd.getpwnam(SUPERUSER)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root but there is no '{SUPERUSER}' user to run initdb and"
                    f" pg_ctl as (they refuse root). {INSTALL_HINT}"
                ) from None
        self.root = Path(tempfile.mkdtemp(prefix="crosscheck-pg-", dir=scratch_dir()))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self.running = False
        self.seconds_to_start = 0.0
        if self.as_root:
            os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / tool), *args]
        if self.as_root:
            cmd = ["runuser", "-u", SUPERUSER, "--", *cmd]
        return subprocess.run(
            cmd, cwd=self.root, capture_output=True, text=True, check=False, timeout=120
        )

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> PgServer:
        began = time.perf_counter()
        done = self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        if done.returncode:
            self.cleanup()
            raise PostgresUnavailable(f"initdb failed:\n{done.stdout}{done.stderr}")
        # The free port can be taken between finding and binding it: try again on a new one.
        for _attempt in range(3):
            self.port = free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root}"
                " -c fsync=off -c full_page_writes=off"
            )
            done = self._run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"
            )
            if done.returncode == 0:
                self.running = True
                atexit.register(self.stop)
                self.seconds_to_start = time.perf_counter() - began
                return self
            if "already in use" not in self._log_tail():
                break
        message = (
            f"pg_ctl start failed (exit {done.returncode}):\n{done.stdout}{done.stderr}"
            f"\n--- tail of {self.log} ---\n{self._log_tail()}"
        )
        self.cleanup()
        raise PostgresUnavailable(message)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _admin(self, statement: LiteralString, database: str) -> None:
        import psycopg
        from psycopg import sql

        query = sql.SQL(statement).format(sql.Identifier(database))
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(query)

    def create_database(self, database: str) -> str:
        """Create an empty database; returns its SQLAlchemy URL."""
        self._admin("CREATE DATABASE {}", database)
        return self.url(database)

    def drop_database(self, database: str) -> None:
        """Drop it, closing any connection a test left open."""
        self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)", database)

    def stop(self) -> None:
        if self.running:
            self.running = False
            atexit.unregister(self.stop)
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.cleanup()

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

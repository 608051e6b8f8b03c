"""Shared test helpers: fixture paths, a CLI runner, history databases (SQLite, PostgreSQL)."""

from __future__ import annotations

import io
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

from toolkit.model import figures as ft
from toolkit.reading.qualifiers import parse_figures

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
AQ = FIXTURES / "al-qaryatayn"
REAL = FIXTURES / "real"
sys.path.insert(0, str(FIXTURES))  # the synthetic generator

# Fuzz tests (marker ``fuzz``) take their example count from the profile: a bounded number
# in the test run, many more under ``nox -s fuzz`` (``--hypothesis-profile=fuzz``).
_SLOW_INPUTS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("ci", max_examples=40, deadline=None, suppress_health_check=_SLOW_INPUTS)
settings.register_profile(
    "fuzz", max_examples=1500, deadline=None, suppress_health_check=_SLOW_INPUTS
)
settings.load_profile("ci")


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run ``crosscheck ARGS`` in-process; returns exit code, stdout and stderr."""
    from toolkit.cli import main

    def run(*args: str) -> Run:
        out = io.StringIO()
        try:
            code = main(list(args), out=out)
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Run(code, out.getvalue() + captured.out, captured.err)

    return run


# Figure texts the generated test frames draw from: every qualifier, and unknown.
FIGURE_TEXTS = [
    "7",
    "12",
    "at least 5",
    "more than 10",
    "12-15",
    "about 20",
    "fewer than 4",
    "up to 9",
    "unknown",
    "0",
    "30",
]


def frame(*rows: tuple) -> pd.DataFrame:
    """Rows of (incident, source, measure, figure text, reported_on[, event_start, event_end])."""
    cols = [
        "incident",
        "source",
        "measure",
        "figure_text",
        "reported_on",
        "event_start",
        "event_end",
    ]
    df = pd.DataFrame([list(r) + [None] * (len(cols) - len(r)) for r in rows], columns=cols)
    parsed = parse_figures(df["figure_text"].astype("str"))
    df = pd.concat([df, parsed[["value", "low", "high", "qualifier"]]], axis=1)
    for c in ("reported_on", "event_start", "event_end"):
        df[c] = pd.to_datetime(df[c])
    df["origin_file"] = "inline.csv"
    df["origin_row"] = range(2, len(df) + 2)
    return ft.conform(df)


CHROMIUM = "/usr/bin/chromium"  # Debian's; playwright cannot download its own here


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (browser tests), one per test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL server for the session (tests/pgserver.py), stopped at the end.

    Where PostgreSQL cannot be had, tests on it fail with how to install it: never skipped.
    """
    from pgserver import PgServer

    server = PgServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(pg_server) -> str:
    """The SQLAlchemy URL of a fresh database on the session's PostgreSQL server."""
    return pg_server.create_database("crosscheck_session")


@pytest.fixture(params=["sqlite", "postgresql"])
def history_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database per test: a SQLite file, or a new database on the server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/history.sqlite"
        return
    server = request.getfixturevalue("pg_server")
    name = f"history_{uuid.uuid4().hex}"
    url = server.create_database(name)
    try:
        yield url
    finally:
        server.drop_database(name)


@pytest.fixture(scope="module")
def client():
    """A Dask cluster of two process workers (the dask tests), one per test module."""
    from toolkit import on_dask

    with on_dask.cluster("local:2") as c:
        assert len(c.scheduler_info()["workers"]) == 2
        yield c


def edit_line(path: Path, line: int, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` on one line (1-based) of a copied export."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert old in lines[line - 1], lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("".join(lines), encoding="utf-8")


def fails_halfway_and_leaves_nothing(
    module: object, name: str, write: Callable[[Path], object], folder: Path, file: str, old: str
) -> None:
    """Writing through ``module.name`` (a generator of parts) that fails at its second
    part leaves no file and no temporary file beside it, and a previous file as it was."""
    taken = getattr(module, name)

    def breaking(*args: object) -> Iterator[object]:
        for n, part in enumerate(taken(*args)):
            if n == 1:
                raise RuntimeError("a worker was lost")
            yield part

    setattr(module, name, breaking)
    try:
        folder.mkdir()
        with pytest.raises(RuntimeError, match="a worker was lost"):
            write(folder / file)
        assert list(folder.iterdir()) == []
        previous = folder / file
        previous.write_text(old, encoding="utf-8")
        with pytest.raises(RuntimeError, match="a worker was lost"):
            write(previous)
        assert previous.read_text(encoding="utf-8") == old
        assert [p.name for p in folder.iterdir()] == [file]
    finally:
        setattr(module, name, taken)

"""Shared test helpers: fixture paths and a CLI runner."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
AQ = FIXTURES / "al-qaryatayn"
REAL = FIXTURES / "real"
sys.path.insert(0, str(FIXTURES))  # the synthetic generator


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

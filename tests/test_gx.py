"""Two engines, one answer: GX (the reference) and the native engine fail the same rows."""

from __future__ import annotations

import random
import subprocess
import sys

import pandas as pd
from conftest import AQ, REAL, ROOT, frame
from hypothesis import given, settings
from hypothesis import strategies as st

import toolkit as cc
from toolkit.checking import check
from toolkit.suite import load_suite

SUITE = load_suite()
KEY = ["rule", "incident", "source", "measure", "reported_on", "origin_file", "origin_row"]


def failing(figures: pd.DataFrame, engine: str, suite=SUITE) -> set[tuple]:
    f = check(figures, suite, engine=engine).findings
    f = f[f["kind"] == "rule"]
    return set(f[KEY].astype("str").itertuples(index=False, name=None))


def test_engines_agree_on_the_fixtures():
    for path in (AQ, REAL):
        figures = cc.read(path)
        suite = load_suite(path / "expectations")
        native = failing(figures, "native", suite)
        assert native == failing(figures, "gx", suite), path
    assert len(failing(cc.read(REAL), "native", load_suite(REAL / "expectations"))) > 30


MEASURES = ["killed", "killed.civilians", "killed.children", "killed.women", "injured", "missing"]
TEXTS = [
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
DATES = ["2017-10-21", "2017-10-22", "2017-10-25", None]


def small_frame_rows(seed: int, prefix: str) -> list[tuple]:
    """1-8 rows of figures for one or two incidents, drawn from ``seed``."""
    rng = random.Random(seed)
    return [
        (
            f"{prefix}-{rng.choice('ab')}",
            rng.choice("ST"),
            rng.choice(MEASURES),
            rng.choice(TEXTS),
            rng.choice(DATES),
        )
        for _ in range(rng.randint(1, 8))
    ]


@settings(max_examples=3, deadline=None)
@given(st.lists(st.integers(0, 2**32 - 1), min_size=200, max_size=200))
def test_engines_agree_on_200_generated_frames(seeds):
    # Hypothesis draws 200 seeds, each a small frame (kept compact: Hypothesis slows down
    # badly on large nested draws). Each frame gets incidents of its own, so one GX run
    # checks all 200 (GX costs about a second a run); no rule looks across incidents.
    rows = [r for i, seed in enumerate(seeds) for r in small_frame_rows(seed, str(i))]
    figures = frame(*rows)
    assert failing(figures, "native") == failing(figures, "gx")


def test_gx_is_imported_in_one_module_and_only_when_used():
    sources = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "toolkit").rglob("*.py")
        if "great_expectations" in p.read_text()
    }
    assert sources == {"toolkit/gx.py"}
    code = (
        "import sys, toolkit as cc; cc.check(cc.read('fixtures/al-qaryatayn')); "
        "print(sorted(m for m in ('great_expectations', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"


def test_gx_engine_from_the_command_line(cli):
    run = cli("check", str(REAL), "--engine", "gx", "--fail-on", "never")
    assert run.code == 0, run.err
    assert "killed.women does not drop" in run.out or "findings (" in run.out

"""Two engines, one answer: GX (the reference) and the native engine fail the same rows."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pandas as pd
from conftest import AQ, FIGURE_TEXTS, FIXTURES, REAL, ROOT, frame
from hypothesis import given, settings
from hypothesis import strategies as st

import toolkit as cc
from toolkit.pipeline import check
from toolkit.suite import load_suite

SUITE = load_suite()
KEY = ["rule", "incident", "source", "measure", "reported_on", "origin_file", "origin_row"]


def failing(figures: pd.DataFrame, engine: str, suite=SUITE) -> set[tuple]:
    f = check(figures, suite, engine=engine).findings
    f = f[f["kind"] == "rule"]
    return set(f[KEY].astype("str").itertuples(index=False, name=None))


def test_engines_agree_on_the_fixtures():
    # the real shootings (a case id for two incidents) and daily series (drops) too
    for path in (AQ, REAL, FIXTURES / "linking", FIXTURES / "series"):
        figures = cc.read(path)
        suite = load_suite(path / "expectations")
        native = failing(figures, "native", suite)
        assert native == failing(figures, "gx", suite), path
    assert len(failing(cc.read(REAL), "native", load_suite(REAL / "expectations"))) > 30


MEASURES = ["killed", "killed.civilians", "killed.children", "killed.women", "injured", "missing"]
TEXTS = FIGURE_TEXTS
DATES = ["2017-10-21", "2017-10-22", "2017-10-25", None]


def small_frame_rows(seed: int, prefix: str) -> list[tuple]:
    """1-8 rows of figures for one or two incidents, drawn from ``seed``; now and then a
    row gives its key another event start, weeks before (one key, two incidents?) or two
    days after (the same incident)."""
    rng = random.Random(seed)
    return [
        (
            f"{prefix}-{rng.choice('ab')}",
            rng.choice("ST"),
            rng.choice(MEASURES),
            rng.choice(TEXTS),
            rng.choice(DATES),
            rng.choices(["2017-10-01", "2017-10-22", "2017-10-20"], [0.15, 0.15, 0.7])[0],
        )
        for _ in range(rng.randint(1, 8))
    ]


def test_an_unknown_figure_does_not_hide_a_cumulative_drop():
    # Found by the generated frames in CI: 30, then "unknown", then 12 is still a drop.
    figures = frame(
        ("q", "T", "killed.women", "30", "2017-10-21"),
        ("q", "T", "killed.women", "unknown", "2017-10-22"),
        ("q", "T", "killed.women", "12", "2017-10-25"),
    )
    for engine in ("native", "gx"):
        drops = {r for r in failing(figures, engine) if r[0] == "killed.women does not drop"}
        assert {(r[4], r[6]) for r in drops} == {("2017-10-25", "4")}, engine


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
    assert sources == {"toolkit/checking/gx.py"}
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
    native = cli("check", str(REAL), "--fail-on", "never")
    # the same findings, by the same count, whichever engine ran the rules
    assert run.out.splitlines()[-1] == native.out.splitlines()[-1]
    assert f"findings ({len(cc.check(REAL).findings)}):" in run.out


def test_every_custom_expectation_has_a_gx_metric_and_a_native_check():
    from toolkit.checking import gx
    from toolkit.checking.native import REGISTRY
    from toolkit.checking.rules import CUSTOM_EXPECTATIONS

    assert set(gx._METRICS) == CUSTOM_EXPECTATIONS
    assert set(REGISTRY) >= CUSTOM_EXPECTATIONS


def test_the_committed_gx_suite_is_current_and_gx_loads_all_of_it(cli, tmp_path):
    from toolkit.checking import gx

    committed = ROOT / "expectations" / "suite.gx.json"
    run = cli("suite", "--gx-json", str(tmp_path / "s.json"))
    assert run.code == 0
    assert (tmp_path / "s.json").read_text() == committed.read_text(), (
        "expectations/suite.gx.json is stale: run crosscheck suite --gx-json "
        "expectations/suite.gx.json"
    )
    document = json.loads(committed.read_text())
    suite = gx._gx().ExpectationSuite(**document)  # GX drops what it cannot load
    assert len(suite.expectations) == len(document["expectations"]) > 20


def test_hand_written_gx_rules_run_on_both_engines():
    figures = cc.read(REAL)
    suite = load_suite(REAL / "expectations")
    for engine in ("native", "gx"):
        f = check(figures, suite, engine=engine).findings
        cited = f[f["rule"] == "every figure cites its source"]
        assert set(cited["source"]) == {"IOM Missing Migrants Project", "UCDP GED"}, engine
        assert set(cited["severity"]) == {"warning"}


def test_unknown_expectation_types_are_suite_errors(tmp_path):
    import pytest

    from toolkit.checking import suite_rules
    from toolkit.errors import SuiteError

    (tmp_path / "suite.yaml").write_text("name: t\nrules: rules.json\n")
    p = tmp_path / "rules.json"
    p.write_text(
        json.dumps(
            {
                "name": "x",
                "expectations": [
                    {"type": "expect_column_values_to_not_be_nul", "kwargs": {"column": "source"}}
                ],
            }
        )
    )
    with pytest.raises(
        SuiteError,
        match=r"cannot run 'expect_column_values_to_not_be_nul'\. "
        r"Did you mean 'expect_column_values_to_not_be_null'",
    ):
        suite_rules(load_suite(tmp_path))


def test_an_empty_table_passes_on_both_engines():
    from toolkit.model import figures as ft

    for engine in ("native", "gx"):
        assert check(ft.empty(), SUITE, engine=engine).findings.empty, engine

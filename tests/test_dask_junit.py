"""``check --engine dask --junit FILE``: the native engine's JUnit file, byte for byte and
case for case, written from a real cluster of two process workers a part of the findings
at a time, and atomically."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from conftest import AQ, FIXTURES, REAL, fails_halfway_and_leaves_nothing
from generate import write_parts  # fixtures/ is on the path (conftest)

import toolkit as cc
from toolkit import cli_dask, on_dask
from toolkit.reporting import junit


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A generated table over several files: one export per source (the incidents must
    be shuffled together) and one per group of incidents (each file a part)."""
    root = tmp_path_factory.mktemp("generated")
    write_parts(root / "by-source", 3000, 10, by_incident=False, seed=4)
    write_parts(root / "by-incident", 3000, 4, by_incident=True, seed=3)
    return root


def header(root: ET.Element) -> list[tuple[str, ...]]:
    """The counts of the file and of each test suite, in order."""
    counts = [("testsuites", root.get("tests"), root.get("failures"), root.get("errors"))]
    for suite in root:
        counts.append(
            (suite.get("name"), suite.get("tests"), suite.get("failures"), suite.get("skipped"))
        )
    return counts


def cases_of(root: ET.Element) -> set[tuple[str | None, ...]]:
    """Each test case as (class, name, its failure's message or None)."""
    out = set()
    for case in root.iter("testcase"):
        failure = case.find("failure")
        message = None if failure is None else failure.get("message")
        out.add((case.get("classname"), case.get("name"), message))
    return out


def both(cli, client, data: Path, tmp_path: Path, *options: str) -> tuple[Path, Path]:
    """The JUnit files of the native run and of the dask run of ``data``; the same exit."""
    native, dask = tmp_path / "native.xml", tmp_path / "reports" / "dask.xml"
    by_native = cli("check", str(data), "--junit", str(native), *options)
    by_dask = cli("check", str(data), "--engine", "dask", "--scheduler",
                  client.scheduler.address, "--junit", str(dask), *options)  # fmt: skip
    assert by_dask.code == by_native.code, by_dask.err
    assert by_dask.code == 1  # each run has findings that fail its build
    assert f"wrote {dask}" in by_dask.out.replace("\n", " ")
    return native, dask


@pytest.mark.parametrize(
    ("data", "options"),
    [
        (FIXTURES / "series", []),
        (FIXTURES / "series", ["--fail-on", "warning"]),
        (FIXTURES / "linking", []),  # auto linking: the sources' own keys have cases too
        (FIXTURES / "matching", ["--match"]),
        (FIXTURES / "explaining", ["--match"]),  # the reviewed crosswalk decides every link
        ("by-source", []),
        ("by-incident", []),
        # incidents whose figures all came later have cases too
        (AQ, ["--as-of", "2017-10-22", "--fail-on", "warning"]),
        (FIXTURES / "series", ["--as-of", "2020-05-10", "--fail-on", "warning"]),
        (FIXTURES / "explaining", []),  # a reviewed crosswalk: the sources' own keys too
    ],
    ids=["series", "series-warning", "linking", "matching", "explaining-matched", "by-source",
         "by-incident", "as-of", "series-as-of", "crosswalk"],
)  # fmt: skip
def test_the_dask_runs_junit_file_is_the_native_engines(
    cli, client, generated, tmp_path, data, options
):
    data = generated / data if isinstance(data, str) else data
    native, dask = both(cli, client, data, tmp_path, *options)
    expected, got = ET.parse(native).getroot(), ET.parse(dask).getroot()
    assert header(got) == header(expected)
    assert cases_of(got) == cases_of(expected)
    assert int(got.get("failures") or 0) > 0
    assert dask.read_bytes() == native.read_bytes()  # and in the same order
    assert sorted(p.name for p in dask.parent.iterdir()) == ["dask.xml"]  # nothing left


@pytest.mark.parametrize(
    "data", [FIXTURES / "series", REAL, FIXTURES / "linking"], ids=lambda p: p.name
)
def test_findings_in_any_order_over_many_frames_give_the_native_file(tmp_path, data):
    """The frames put aside and read back by rule are put in the native order: a run's
    findings shuffled and cut in four give the file of the run, byte for byte."""
    result = cc.check(data)
    native = junit.write(result, tmp_path / "native.xml", fail_on="warning")
    shuffled = result.findings.take(np.random.default_rng(7).permutation(len(result.findings)))
    cuts = np.linspace(0, len(shuffled), 5).astype(int)
    frames = [shuffled.iloc[a:b] for a, b in itertools.pairwise(cuts)]
    ran = [r.name for r in result.rules]
    incidents = [
        str(i) for t in (result.figures, result.linked.figures) for i in t["incident"].dropna()
    ]
    got = junit.write_frames(tmp_path / "frames.xml", ran, incidents, frames, "warning")
    assert len(frames[0]) > 1
    assert got.read_bytes() == native.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames.xml", "native.xml"]


def test_the_findings_are_taken_a_part_at_a_time_and_put_aside_beside_the_file(
    client, generated, tmp_path, monkeypatch
):
    target = tmp_path / "reports" / "junit.xml"
    target.parent.mkdir()
    taken = cli_dask.findings_parts
    seen: list[tuple[int, list[str]]] = []

    def watched(findings):
        for n, part in enumerate(taken(findings)):
            beside = [p.name for p in target.parent.rglob("*")]
            seen.append((n, beside))
            yield part

    monkeypatch.setattr(cli_dask, "findings_parts", watched)
    with on_dask.check(generated / "by-source", client=client) as run:
        parts = run.findings.npartitions
        cli_dask.write_junit(run, target)
    assert parts > 2
    assert [n for n, _ in seen] == list(range(parts))
    _, last = seen[-1]
    assert any(name.endswith(".tmp") for name in last)  # the file, under a hidden name
    assert any(name.startswith("rule-") for name in last)  # the parts' findings, by rule
    assert sorted(p.name for p in target.parent.iterdir()) == ["junit.xml"]


def test_a_failure_half_way_leaves_no_file_and_the_previous_one_whole(client, tmp_path):
    with on_dask.check(FIXTURES / "series", client=client) as run:
        assert run.findings.npartitions > 1
        fails_halfway_and_leaves_nothing(
            cli_dask,
            "findings_parts",
            lambda path: cli_dask.write_junit(run, path),
            tmp_path / "reports",
            "junit.xml",
            "<testsuites/>",
        )


@pytest.mark.parametrize(
    ("data", "options"),
    [(AQ, {"as_of": "2017-10-22"}), (FIXTURES / "explaining", {})],
    ids=["as-of", "crosswalk"],
)
def test_the_incidents_of_the_cases_are_the_native_ones(client, data, options):
    """As of a date, an incident whose figures all came later has no figure compared; a
    reviewed crosswalk replaces the sources' own keys: the parts keep both."""
    native = cc.check(data, **options)
    expected = {
        str(i) for t in (native.figures, native.linked.figures) for i in t["incident"].dropna()
    }
    with on_dask.check(data, client=client, **options) as run:
        got = cli_dask.figure_incidents(run)
        compared = set(run.latest["incident"].dropna().astype("str").compute())
    assert got == expected
    assert compared < got  # the figures compared do not tell them all

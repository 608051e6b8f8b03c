"""``check|compare --engine dask --json FILE`` and ``compare --over-time --csv``: the
native engine's documents, key for key (the revisions too), from a
real cluster of two process workers, written a part at a time and atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import FIXTURES, ROOT, fails_halfway_and_leaves_nothing
from generate import write_parts  # fixtures/ is on the path (conftest)

from toolkit import on_dask
from toolkit.on_dask import outputs


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A generated table over several files: by source (a shuffle brings each incident
    together) and by incident (each file a part, run file by file)."""
    root = tmp_path_factory.mktemp("generated")
    write_parts(root / "by-source", 2000, 5, by_incident=False, seed=5)
    write_parts(root / "by-incident", 2000, 4, by_incident=True, seed=6)
    return root


def records(value: object) -> object:
    """A JSON table as sorted records (parts list rows in their own order); else as is."""
    if isinstance(value, list):
        return sorted(json.dumps(r, sort_keys=True) for r in value)
    return value


def documents(cli, client, command: str, data: Path, tmp_path: Path, *options: str):
    """The native and the dask document of ``command --json`` on ``data``."""
    native, dask = tmp_path / "native.json", tmp_path / "out" / "dask.json"
    by_native = cli(command, str(data), "--json", str(native), *options)
    by_dask = cli(command, str(data), "--engine", "dask", "--scheduler",
                  client.scheduler.address, "--json", str(dask), *options)  # fmt: skip
    assert by_dask.code == by_native.code, by_dask.err
    assert f"wrote {dask}" in by_dask.out.replace("\n", " ")
    assert [p.name for p in dask.parent.iterdir()] == ["dask.json"]  # no temporary left
    return json.loads(native.read_text("utf-8")), json.loads(dask.read_text("utf-8"))


CASES = [
    (FIXTURES / "series", []),
    (FIXTURES / "series", ["--over-time", "--as-of", "2020-05-10"]),
    (FIXTURES / "linking", ["--over-time"]),  # auto linking
    (FIXTURES / "explaining", []),  # the reviewed crosswalk links; patterns
    ("by-source", []),
    ("by-incident", ["--over-time"]),
]
IDS = ["series", "series-over-time-as-of", "linking", "explaining", "by-source", "by-incident"]


@pytest.mark.parametrize("command", ["check", "compare"])
@pytest.mark.parametrize(("data", "options"), CASES, ids=IDS)
def test_the_dask_json_is_the_native_one(cli, client, generated, tmp_path, command, data, options):
    data = generated / data if isinstance(data, str) else data
    native, dask = documents(cli, client, command, data, tmp_path, *options)
    assert outputs.LEFT_OUT == ()
    assert list(dask) == list(native)  # every key, in the native order
    for key in dask:
        assert records(dask[key]) == records(native[key]), key
    table = dask["comparison" if command == "check" else "table"]
    assert len(table) > 0
    if data.name in ("series", "by-incident"):  # revised figures (rows compared sorted)
        assert any(r["direction"] != "first" for r in dask["revisions"])
    over_time = "--over-time" in options
    assert ("over_time" in dask) == over_time
    if over_time:
        assert len(dask["over_time"]) > 0


def test_the_readme_names_what_the_dask_json_leaves_out():
    readme = (ROOT / "README.md").read_text("utf-8")
    dask = readme[readme.index("## When one machine is not enough: Dask") :]
    dask = dask[: dask.index("\n## ", 1)]
    assert "`--json FILE`" in dask
    for key in outputs.LEFT_OUT:
        assert f"`{key}`" in dask


def test_every_part_has_a_column_for_every_source_of_the_run(client, cli, tmp_path):
    """Each export an incident (a part each): the first has no figure from S3, the second
    none from S2; each part's table has the whole run's columns, empty where it has none,
    and the JSON is the native one."""
    data = tmp_path / "two"
    data.mkdir()
    header = "incident,source,measure,figure_text,reported_on\n"
    (data / "a.csv").write_text(header + "a,S1,killed,3,2020-01-01\na,S2,killed,5,2020-01-02\n")
    (data / "b.csv").write_text(
        header + "b,S1,killed,7,2020-01-01\nb,S3,killed,about 7,2020-01-03\n"
    )
    with on_dask.check(data, client=client) as run:
        assert run.streamed
        parts = list(outputs.partitions(run.tables["comparison"]))
    assert len(parts) == 2
    for part in parts:
        assert list(part.columns)[-3:] == ["S1", "S2", "S3"]
    texts = sorted(
        tuple(row) for part in parts for row in part[["S1", "S2", "S3"]].fillna("").to_numpy()
    )
    assert texts == sorted([("3", "5", ""), ("7", "", "about 7")])
    native, dask = documents(cli, client, "check", data, tmp_path)
    assert records(dask["comparison"]) == records(native["comparison"])


def test_a_failure_half_way_leaves_no_file_and_no_temporary(client, tmp_path):
    with on_dask.check(FIXTURES / "series", client=client) as run:
        assert run.findings.npartitions > 1
        fails_halfway_and_leaves_nothing(
            outputs,
            "partitions",
            lambda path: outputs.write_json(run, path),
            tmp_path / "reports",
            "all.json",
            "{}",
        )


def _csv(path: Path) -> pd.DataFrame:
    table = pd.read_csv(path, dtype="str", keep_default_na=False)
    return table.sort_values(list(table.columns)).reset_index(drop=True)


@pytest.mark.parametrize(
    ("data", "options"),
    [
        (FIXTURES / "series", ["--over-time"]),
        (FIXTURES / "series", ["--over-time", "--as-of", "2020-05-10"]),
        ("by-source", ["--over-time"]),
        ("by-incident", ["--over-time"]),
        (FIXTURES / "series", []),  # without: the latest table, a column per source
    ],
    ids=["series", "series-as-of", "by-source", "by-incident", "series-latest"],
)
def test_compare_csv_is_the_native_table(cli, client, generated, tmp_path, data, options):
    data = generated / data if isinstance(data, str) else data
    native, dask = tmp_path / "native.csv", tmp_path / "dask.csv"
    by_native = cli("compare", str(data), "--csv", str(native), *options)
    by_dask = cli("compare", str(data), "--engine", "dask", "--scheduler",
                  client.scheduler.address, "--csv", str(dask), *options)  # fmt: skip
    assert by_dask.code == by_native.code, by_dask.err
    expected, got = _csv(native), _csv(dask)
    assert list(got.columns) == list(expected.columns)
    assert len(got) > 0
    if "--over-time" in options:
        assert got["reported_on"].nunique() > 1  # a row per date
    pd.testing.assert_frame_equal(got, expected)


def test_a_run_without_tables_keeps_only_the_findings_and_the_table(client):
    """What ``check --engine dask --csv`` runs: no texts, revisions or series tables kept
    (they cost each part as much again), the same findings."""
    series = FIXTURES / "series"
    with (
        on_dask.check(series, client=client, over_time=True) as full,
        on_dask.check(series, client=client, over_time=True, tables=False) as bare,
    ):
        assert bare.tables == {}
        assert {"comparison", "revisions", "over_time"} <= set(full.tables)
        assert len(bare.findings.compute()) == len(full.findings.compute())

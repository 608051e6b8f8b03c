"""The generator's chunked mode (issue 18): a partitioned Parquet dataset written one chunk at
a time, the same bytes for the same arguments, reused when complete, and read by crosscheck
as figures with no profile."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import generate as gen
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import FIXTURES
from generate import MANIFEST, generate, write_parts

from toolkit.model import figures as ft
from toolkit.reading import read_figures


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _parts(folder: Path) -> list[pd.DataFrame]:
    return [pd.read_parquet(p) for p in sorted(folder.glob("part-*.parquet"))]


def test_same_arguments_give_the_same_bytes(tmp_path: Path) -> None:
    a = write_parts(tmp_path / "a", 6_000, 5, seed=3)
    b = write_parts(tmp_path / "b", 6_000, 5, seed=3)
    assert (a.figures, a.parts) == (b.figures, b.parts)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert sorted(_files(tmp_path / "a")) == [MANIFEST] + [
        f"part-{i:05d}.parquet" for i in range(5)
    ]
    other = write_parts(tmp_path / "c", 6_000, 5, seed=4)
    assert (
        _files(tmp_path / "c")["part-00000.parquet"] != _files(tmp_path / "a")["part-00000.parquet"]
    )
    assert other.figures > 0


@pytest.mark.parametrize("by_incident", [True, False])
def test_totals_and_columns(tmp_path: Path, by_incident: bool) -> None:
    done = write_parts(tmp_path, 50_000, 10, by_incident=by_incident, sources=5, reports=2)
    parts = _parts(tmp_path)
    assert done.parts == len(parts) == 10
    assert done.figures == sum(map(len, parts))
    assert 50_000 <= done.figures <= 50_000 * 1.01  # + the injected duplicate figures
    assert done.violations > 0
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert [p["rows"] for p in manifest["parts"]] == list(map(len, parts))
    for i, part in enumerate(parts):
        name = f"part-{i:05d}.parquet"
        assert list(part.columns) == list(ft.COLUMNS)
        assert {c: str(t) for c, t in part.dtypes.items()} == ft.DTYPES
        assert ft.conform(part) is part  # already a figures table: nothing to cast
        assert (part["origin_file"] == name).all()
        assert part["origin_row"].tolist() == list(range(1, len(part) + 1))
    # incidents are numbered across the dataset: 50,000 / (5 x 2 x 2) = 2,500 of them
    incidents = pd.concat(parts)["incident"]
    assert incidents.nunique() == 2_500
    assert set(incidents) == {f"inc-{i:07d}" for i in range(2_500)}


def test_by_incident_puts_each_incident_in_one_part(tmp_path: Path) -> None:
    write_parts(tmp_path, 20_000, 8, by_incident=True)
    figures = pd.concat(_parts(tmp_path), ignore_index=True)
    assert figures.groupby("incident")["origin_file"].nunique().max() == 1
    # ... and the whole incident is there: every source in every part
    assert figures.groupby("origin_file")["source"].nunique().min() == 5


def test_by_source_spreads_incidents_over_parts(tmp_path: Path) -> None:
    write_parts(tmp_path, 20_000, 10, by_incident=False, sources=5)
    figures = pd.concat(_parts(tmp_path), ignore_index=True)
    assert figures.groupby("origin_file")["source"].nunique().max() == 1  # one outlet a part
    spread = figures.groupby("incident")["origin_file"].nunique()
    assert (spread == 5).all()  # every incident in one part per source
    with pytest.raises(ValueError, match="multiple of sources"):
        write_parts(tmp_path / "x", 20_000, 7, by_incident=False, sources=5)


def test_a_complete_dataset_is_reused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = write_parts(tmp_path, 8_000, 4)
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    again = write_parts(tmp_path, 8_000, 4)
    assert again.reused
    assert not first.reused
    assert (again.figures, again.parts, again.violations) == (
        first.figures,
        first.parts,
        first.violations,
    )
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == stamps
    assert "reused" in capsys.readouterr().out
    # other arguments: written again, and the parts of the old dataset do not linger
    smaller = write_parts(tmp_path, 8_000, 2)
    assert not smaller.reused
    assert sorted(p.name for p in tmp_path.glob("part-*")) == [
        "part-00000.parquet",
        "part-00001.parquet",
    ]


def test_a_half_written_folder_is_written_again(tmp_path: Path) -> None:
    write_parts(tmp_path / "fresh", 8_000, 4)
    folder = tmp_path / "half"
    write_parts(folder, 8_000, 4)
    (folder / MANIFEST).unlink()  # stopped before the manifest
    (folder / "part-00003.parquet").unlink()
    (folder / "part-00002.parquet").write_bytes(b"PAR1 cut short")
    assert not write_parts(folder, 8_000, 4).reused
    assert _files(folder) == _files(tmp_path / "fresh")
    # a part cut short under a manifest is noticed too (its size is in the manifest)
    (folder / "part-00001.parquet").write_bytes(b"PAR1")
    assert not write_parts(folder, 8_000, 4).reused
    assert _files(folder) == _files(tmp_path / "fresh")


def test_memory_is_bounded_by_a_part(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """200 parts: each one is a part's worth of figures, in row groups of ROW_GROUP rows;
    nothing in a part grows with the dataset."""
    monkeypatch.setattr(gen, "ROW_GROUP", 100)
    done = write_parts(tmp_path, 200 * 400, 200, violation_rate=0)
    assert done.parts == 200
    sizes = []
    for p in sorted(tmp_path.glob("part-*.parquet")):
        meta = pq.ParquetFile(p).metadata
        assert meta.num_rows == 400
        assert meta.num_row_groups == 4
        sizes.append(p.stat().st_size)
    assert max(sizes) < 1.2 * min(sizes)


def test_crosscheck_reads_the_folder_as_figures(tmp_path: Path) -> None:
    """No profile needed; the manifest is no export (no unclaimed-file finding); the reader
    numbers the rows as the parts do and names the file by its path."""
    write_parts(tmp_path, 6_000, 3)
    read = read_figures(tmp_path)
    assert len(read.findings) == 0
    assert [f.profile for f in read.files] == ["figures table"] * 3
    written = pd.concat(_parts(tmp_path), ignore_index=True)
    assert read.figures["origin_row"].equals(written["origin_row"])
    shown = read.figures["origin_file"].map(lambda f: Path(f).name)  # the reader shows a path
    assert shown.equals(written["origin_file"])
    assert read.figures.drop(columns="origin_file").equals(written.drop(columns="origin_file"))


def test_first_incident_only_renumbers() -> None:
    plain = generate(30, 3, 2, seed=5)
    moved = generate(30, 3, 2, seed=5, first_incident=1_000)
    renumber = {f"inc-{i:07d}": f"inc-{1_000 + i:07d}" for i in range(30)}
    assert moved.figures.equals(
        plain.figures.assign(incident=plain.figures["incident"].map(renumber))
    )
    assert (
        moved.violations["incident"].tolist() == plain.violations["incident"].map(renumber).tolist()
    )


def test_command_line(tmp_path: Path) -> None:
    run = [sys.executable, str(FIXTURES / "generate.py"), "--parts", "3", "--figures", "3000"]
    out = subprocess.run([*run, str(tmp_path)], capture_output=True, text=True, check=True)
    assert " figures in 3 parts written to " in out.stdout
    again = subprocess.run([*run, str(tmp_path)], capture_output=True, text=True, check=True)
    assert "reused" in again.stdout
    spread = subprocess.run(
        [*run[:3], "5", *run[4:], "--by-source", str(tmp_path / "s")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "in 5 parts written" in spread.stdout

"""Read benchmark: 1M-row long and wide CSVs through profiles vs bare pandas.read_csv(pyarrow).

    nox -s bench            (or: python bench/bench_read.py [ROWS])

Prints the best of five fresh processes each (seconds, and the ratio to the baseline measured
in the same run), the ratio of the medians, peak RSS, and the kernel time of each best run:
on this shared virtual machine first use of fresh memory is slow and varies, and it shows
as kernel time. Target: ratio <= 2.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fixtures"))

import pandas as pd
import pyarrow.csv  # noqa: F401  # imported before timing, for both sides alike
from _measure import measure_pair
from generate import WIDE_PROFILE, generate, write_long_csv, write_wide_csv

from toolkit.reading import read_figures


def _head(path: str, lines: int = 2000) -> str:
    """The file's first lines, in a file of the same name pattern (for warming up)."""
    src = Path(path)
    out = Path(tempfile.mkdtemp()) / src.name.replace(".csv", "-head.csv")
    with src.open() as fh, out.open("w") as dst:
        for _, line in zip(range(lines), fh, strict=False):
            dst.write(line)
    return str(out)


def prepare_read_pandas(path: str, suite: str) -> None:
    """Read the file's first lines once: first-call costs are not the throughput measured."""
    read_pandas(_head(path), suite)


def prepare_read_crosscheck(path: str, suite: str) -> None:
    """Read the file's first lines once (suite loading, first-call imports), as for pandas."""
    read_crosscheck(_head(path), suite)


def read_pandas(path: str, _suite: str) -> None:
    """The baseline: a bare pandas.read_csv with the pyarrow engine."""
    pd.read_csv(path, engine="pyarrow")


def read_crosscheck(path: str, suite: str) -> None:
    """The figures table through the profile."""
    result = read_figures(path, suite=suite or None)
    assert result.rows_rejected == 0


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        # long: incidents x 5 sources x 1 report x 2 measures = rows figures
        long_csv = d / "long.csv"
        write_long_csv(generate(rows // 10, 5, 1).figures, str(long_csv))
        # wide: incidents x 5 sources x 1 report = rows lines, 2 measures each
        wide_dir = d / "wide"
        (wide_dir / "expectations" / "profiles").mkdir(parents=True)
        (wide_dir / "expectations" / "suite.yaml").write_text("name: bench\nextends: default\n")
        (wide_dir / "expectations" / "profiles" / "wide.yaml").write_text(WIDE_PROFILE)
        wide_csv = wide_dir / "synthetic-wide.csv"
        write_wide_csv(generate(rows // 5, 5, 1).figures, str(wide_csv))
        print(
            f"{'case':<10} {'rows':>9} {'crosscheck s':>13} {'pandas s':>9} {'ratio':>6} "
            f"{'median':>7} {'RSS MiB':>8} {'pandas RSS':>10} {'kernel s':>9} {'pandas':>7}"
        )
        for name, path, suite in (
            ("long", long_csv, None),
            ("wide", wide_csv, wide_dir / "expectations"),
        ):
            with open(path) as fh:
                n_lines = sum(1 for _ in fh) - 1
            ours, base = measure_pair(
                "bench_read:read_crosscheck", "bench_read:read_pandas", str(path), str(suite or "")
            )
            ratio = ours["seconds"] / base["seconds"]
            median = ours["median_seconds"] / base["median_seconds"]
            print(
                f"{name:<10} {n_lines:>9} {ours['seconds']:>13.2f} {base['seconds']:>9.2f} "
                f"{ratio:>6.2f} {median:>7.2f} {ours['rss_mib']:>8.0f} {base['rss_mib']:>10.0f} "
                f"{ours['kernel_seconds']:>9.2f} {base['kernel_seconds']:>7.2f}"
            )


if __name__ == "__main__":
    main()

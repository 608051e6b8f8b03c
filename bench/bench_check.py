"""Check benchmark: the native engine vs a hand-written pandas version of the same rules.

    nox -s bench            (or: python bench/bench_check.py [FIGURES])

A generated figures table (incidents x 5 sources x 1 report x 2 measures), the default
suite. The hand-written baseline computes the same failing rows with boolean masks,
groupby and unstack, as a competent analyst would; the test suite holds both to the same
rows. Also prints native vs the GX engine (target: native >= 3x faster), 10x rows vs 1x with
--scale (target t10/t1 <= 11), and peak RSS vs the frame's memory (target <= 3x).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fixtures"))

import pandas as pd
from _measure import measure_pair
from baseline import hand_written
from generate import generate

from toolkit.checking import check_figures
from toolkit.suite import load_suite

_TABLES: dict[str, pd.DataFrame] = {}


def _table(path: str) -> pd.DataFrame:
    if path not in _TABLES:
        _TABLES[path] = pd.read_parquet(path)
    return _TABLES[path]


def prepare(path: str) -> None:
    """Load the table before timing (called by _measure)."""
    _table(path)


def prepare_run_gx(path: str) -> None:
    """Load the table and import GX before timing GX's run (its import is reported apart)."""
    _table(path)
    from toolkit.checking import gx

    gx._gx()


def run_native(path: str) -> None:
    """The rules only: the comparison is measured by bench_compare."""
    check_figures(_table(path), load_suite())


def run_hand(path: str) -> None:
    hand_written(_table(path))


def run_gx(path: str) -> None:
    """The same suite on the GX engine."""
    check_figures(_table(path), load_suite(), engine="gx")


def main() -> None:
    figures = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        print(
            f"{'figures':>9} {'native s':>9} {'by hand s':>10} {'ratio':>6} "
            f"{'peak RSS':>9} {'added':>6} {'frame MiB':>10} {'added/frame':>12}"
        )
        seconds = {}
        for n in (figures, figures * 10) if "--scale" in sys.argv else (figures,):
            path = str(Path(tmp) / f"f{n}.parquet")
            table = generate(n // 10, 5, 1).figures
            table.to_parquet(path)
            frame_mib = table.memory_usage(deep=True).sum() / 2**20
            ours, base = measure_pair(
                "bench_check:run_native", "bench_check:run_hand", path, repeat=3
            )
            seconds[n] = ours["seconds"]
            added = ours["rss_mib"] - ours["before_mib"]
            print(
                f"{n:>9} {ours['seconds']:>9.2f} {base['seconds']:>10.2f} "
                f"{ours['seconds'] / base['seconds']:>6.2f} {ours['rss_mib']:>9.0f} "
                f"{added:>6.0f} {frame_mib:>10.0f} {added / frame_mib:>12.1f}"
            )
            if n == figures:
                gx_run, native = measure_pair(
                    "bench_check:run_gx", "bench_check:run_native", path, repeat=1
                )
                speedup = gx_run["seconds"] / native["seconds"]
                print(
                    f"GX engine {gx_run['seconds']:.2f} s vs native {native['seconds']:.2f} s: "
                    f"native {speedup:.1f}x faster (GX's import is not counted)"
                )
        if len(seconds) == 2:
            a, b = sorted(seconds)
            print(f"t({b})/t({a}) = {seconds[b] / seconds[a]:.1f}")


if __name__ == "__main__":
    main()

"""Report and start-up benchmarks.

    nox -s bench            (or: python bench/bench_report.py)

1. ``crosscheck check FILE --html`` end to end (a fresh process: imports, read, check,
   compare, report) on a generated set of 1,000 incidents x 5 sources x 4 measures:
   seconds and file size (targets <= 10 s, <= 5 MB).
2. ``crosscheck --help`` wall time next to ``python -c pass`` (target <= 0.25 s: no
   pandas, GX or matplotlib import for help).
3. ``python -c "import toolkit"`` next to ``python -c "import pandas"`` (target <= 1.3x).
Each is the best of several interleaved runs (this machine is shared and noisy).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "fixtures"))


def wall(args: list[str], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, cwd=ROOT, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def interleaved(a: list[str], b: list[str], repeat: int = 7) -> tuple[float, float]:
    ta, tb = float("inf"), float("inf")
    for _ in range(repeat):
        tb = min(tb, wall(b, 1))
        ta = min(ta, wall(a, 1))
    return ta, tb


def main() -> None:
    from generate import generate, write_long_csv

    measures = ("killed", "killed.civilians", "killed.children", "killed.women")
    for label, agreement in (
        ("most sources agree", 0.8),
        ("worst case: every source differs", 0.0),
    ):
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "figures.csv"
            table = generate(
                1000, 5, 1, measures=measures, at_least=1 / 3, agreement=agreement, seed=2
            ).figures
            write_long_csv(table, str(csv))
            out = Path(tmp) / "report.html"
            seconds = wall(
                [
                    sys.executable,
                    "-m",
                    "toolkit",
                    "check",
                    str(csv),
                    "--html",
                    str(out),
                    "--fail-on",
                    "never",
                ],
                repeat=3,
            )
            size = out.stat().st_size / 2**20
            findings = out.read_text().count("<tr data-severity=")
            print(
                f"HTML report, 1,000 incidents x 5 sources x 4 measures ({len(table):,} figures, "
                f"{label}: {findings:,} findings): {seconds:.2f} s end to end, {size:.2f} MiB "
                "(targets <= 10 s, <= 5 MB)"
            )
    crosscheck = str(Path(sys.executable).with_name("crosscheck"))
    helped, bare = interleaved([crosscheck, "--help"], [sys.executable, "-c", "pass"])
    print(
        f"crosscheck --help {helped:.3f} s vs python -c pass {bare:.3f} s "
        f"(+{helped - bare:.3f} s; target <= 0.25 s)"
    )
    ours, pandas = interleaved(
        [sys.executable, "-c", "import toolkit"], [sys.executable, "-c", "import pandas"]
    )
    print(
        f"import toolkit {ours:.3f} s vs import pandas {pandas:.3f} s: "
        f"ratio {ours / pandas:.2f} (target <= 1.3)"
    )


if __name__ == "__main__":
    main()

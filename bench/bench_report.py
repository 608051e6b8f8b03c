"""Report and start-up benchmarks.

    nox -s bench            (or: python bench/bench_report.py)

1. ``crosscheck check FILE --html`` end to end (a fresh process: imports, read, check,
   compare, report) on a generated set of 1,000 incidents x 5 sources x 4 measures:
   seconds and file size (targets <= 10 s, <= 5 MB); and a run with ~100,000 findings
   (target <= 10 MB: the HTML lists at most --max-findings per rule and severity).
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
    cases = [
        (
            f"1,000 incidents x 5 sources x 4 measures, {label}",
            generate(1000, 5, 1, measures=measures, at_least=1 / 3, agreement=agreement, seed=2),
            3,
            "<= 10 s, <= 5 MB",
        )
        for label, agreement in (
            ("most sources agree", 0.8),
            ("worst case: every source differs", 0.0),
        )
    ]
    # ~100,000 findings: every third incident and source breaks a rule (one run: ~10 s)
    cases.append(
        (
            "5,100 incidents x 5 sources x 2 reports, violations everywhere",
            generate(5100, 5, 2, violation_rate=0.3, seed=1),
            1,
            "<= 10 MB, opens in < 5 s",
        )
    )
    for label, synthetic, repeat, targets in cases:
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "figures.csv"
            write_long_csv(synthetic.figures, str(csv))
            out = Path(tmp) / "report.html"
            args = [sys.executable, "-m", "toolkit", "check", str(csv), "--html", str(out)]
            seconds = wall([*args, "--fail-on", "never"], repeat=repeat)
            size = out.stat().st_size / 2**20
            listed = out.read_text().count("<tr data-severity=")
            last = subprocess.run(
                [*args, "--fail-on", "never"], capture_output=True, text=True, check=True
            ).stdout.splitlines()[-1]
            findings = last.split()[-1]  # "rows read ...; findings N": every finding
            print(
                f"HTML report, {label} ({len(synthetic.figures):,} figures, {int(findings):,} "
                f"findings, {listed:,} listed): {seconds:.2f} s end to end, {size:.2f} MiB "
                f"(targets {targets})"
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

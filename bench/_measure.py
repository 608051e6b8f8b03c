"""Time one benchmark function in a fresh process: wall seconds and peak RSS (MiB).

    measure_pair("bench_read:read_crosscheck", "bench_read:read_pandas", "/tmp/x.csv", "")

runs ``python bench/_measure.py TARGET ARGS…`` for each target in turn and returns the best
of ``repeat`` runs of each, with the median and the kernel (system CPU) time of the best
run: on a shared virtual machine, first use of fresh memory is slow and varies from run to
run, and it shows up as kernel time. The child imports the named function from this folder and calls
it with the string arguments; nothing is evaluated from a string.
"""

from __future__ import annotations

import importlib
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _run(target: str, args: tuple[str, ...]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, str(HERE / "_measure.py"), target, *args],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def measure_pair(
    ours: str, baseline: str, *args: str, repeat: int = 5
) -> tuple[dict[str, float], dict[str, float]]:
    """Best wall time of ``repeat`` fresh processes each, the two runs interleaved so that
    load on this shared machine falls on both alike. Peak RSS is the largest seen."""
    runs: dict[str, list[dict[str, float]]] = {ours: [], baseline: []}
    for _ in range(repeat):
        for target in (baseline, ours):
            runs[target].append(_run(target, args))

    def best(rs: list[dict[str, float]]) -> dict[str, float]:
        fastest = min(rs, key=lambda r: r["seconds"])
        return {
            "seconds": fastest["seconds"],
            "median_seconds": statistics.median(r["seconds"] for r in rs),
            "kernel_seconds": fastest["kernel_seconds"],
            "rss_mib": max(r["rss_mib"] for r in rs),
            "before_mib": max(r.get("before_mib", 0.0) for r in rs),
        }

    return best(runs[ours]), best(runs[baseline])


def _child() -> None:
    module_name, func_name = sys.argv[1].split(":")
    sys.path.insert(0, str(HERE))
    module = importlib.import_module(module_name)
    func = getattr(module, func_name)
    prepare = getattr(module, f"prepare_{func_name}", getattr(module, "prepare", None))
    if prepare is not None:  # e.g. load the input: not part of what is measured
        prepare(*sys.argv[2:])
    before = _rss_mib("VmRSS")
    kernel = resource.getrusage(resource.RUSAGE_SELF).ru_stime
    start = time.perf_counter()
    func(*sys.argv[2:])
    seconds = time.perf_counter() - start
    kernel = resource.getrusage(resource.RUSAGE_SELF).ru_stime - kernel
    print(
        json.dumps(
            {
                "seconds": seconds,
                "kernel_seconds": kernel,
                "rss_mib": _peak_rss_mib(),
                "before_mib": before,
            }
        )
    )


def _rss_mib(field: str) -> float:
    """A memory figure of this process from /proc (0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _peak_rss_mib() -> float:
    """This process's peak RSS. VmHWM starts afresh at exec; ru_maxrss would carry the
    parent's peak over from fork, so it is only the fallback off Linux."""
    return _rss_mib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    _child()

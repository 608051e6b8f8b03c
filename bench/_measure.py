"""Run one snippet in a fresh process; print wall seconds and peak RSS (MiB) as JSON."""

from __future__ import annotations

import json
import subprocess
import sys

_RUNNER = """
import json, resource, sys, time
setup, stmt = sys.argv[1], sys.argv[2]
ns = {}
exec(setup, ns)
t = time.perf_counter()
exec(stmt, ns)
dt = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": dt, "rss_mib": rss}))
"""


def measure(setup: str, stmt: str, repeat: int = 3) -> dict[str, float]:
    """Best wall time of ``repeat`` fresh processes (machines here are shared and noisy)."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", _RUNNER, setup, stmt],
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["seconds"])
    return {"seconds": best["seconds"], "rss_mib": max(r["rss_mib"] for r in runs)}

"""Dask benchmark (issue 18): the native engine vs ``--engine dask`` on 1M, 10M (and 100M)
generated figures.

    python bench/bench_dask.py                 # 1M and 10M, native and dask
    python bench/bench_dask.py --sizes 100M --engines dask
    python bench/bench_dask.py --repeat 3 --sizes 1M

The datasets are ``fixtures/generate.py`` ``write_parts`` (by incident, parts of 250,000
figures: 1M has 4 parts, 10M 40, 100M 400), written once under ``--cache``
(``/tmp/crosscheck-bench-dask/<size>/``) and reused.

- **native**: ``cc.check(DIR)`` in a fresh process (``_measure.py``): wall time, peak RSS;
- **dask**: in a fresh process, a LocalCluster of 2 process workers (``on_dask.cluster
  ("local:2")``; its start-up and the workers' first imports timed apart), then
  ``on_dask.check(DIR, client=…, tables=False)`` (what ``check --engine dask --csv``
  runs) and the findings written to Parquet from the cluster
  (``cli_dask.write_frame``), so they are never gathered: wall time, each worker's peak
  RSS (its process polled every 0.2 s from a thread of the client process, which costs
  the workers nothing) and the client's peak RSS (it holds the scheduler too). A worker
  over ``--worker-limit`` GiB, or a run over ``--timeout`` minutes, is stopped and
  reported as such.

At every size both engines run, their findings are counted by kind and code, and the
counts must agree. Targets (issue 18): a dask worker's peak memory bounded by the
partition size, not by the data; 100M figures complete with dask on this 2-core, 24 GiB
machine; at 10M, dask within 2x of native on 2 workers. The cost ratio t(10x)/t(1x) of
each engine is printed (10 is linear).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "fixtures"))

from _measure import _peak_rss_mib, _run  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "crosscheck-bench-dask"
PART_FIGURES = 250_000
SIZES = {"1M": 1_000_000, "10M": 10_000_000, "20M": 20_000_000, "100M": 100_000_000}
GIB = 1024**3


def dataset(cache: Path, size: str) -> Path:
    """The generated dataset of ``size`` figures (written once, then reused)."""
    from generate import write_parts

    n = SIZES[size]
    parts = max(1, n // PART_FIGURES)
    return write_parts(cache / size, n, parts, by_incident=True, seed=0).directory


def _kind_code(frame: Any) -> dict[str, int]:
    counts = frame.groupby(["kind", "code"], observed=True).size()
    if hasattr(counts, "compute"):  # a Dask DataFrame's
        counts = counts.compute()
    return {f"{k}/{c}": int(n) for (k, c), n in counts.items() if n}


# --- native: a function for _measure.py's fresh process -----------------------------------


def prepare_run_native(directory: str, counts_path: str) -> None:
    """Imports, and one run on a few rows: first use of each code path is not measured."""
    import toolkit as cc

    with tempfile.TemporaryDirectory() as tmp:
        import pandas as pd

        first = sorted(Path(directory).glob("part-*.parquet"))[0]
        pd.read_parquet(first).head(2000).to_parquet(Path(tmp) / "part-00000.parquet")
        cc.check(tmp)


def run_native(directory: str, counts_path: str) -> None:
    import toolkit as cc

    result = cc.check(directory)
    Path(counts_path).write_text(json.dumps(_kind_code(result.findings)))


# --- dask: this file run as a fresh process ----------------------------------------------


class _Watch(threading.Thread):
    """Polls the workers' RSS every ``every`` seconds; past ``limit`` bytes or ``timeout``
    seconds, calls ``stop`` (once) with the reason."""

    def __init__(self, pids: dict[str, int], limit: float, timeout: float, stop: Any) -> None:
        super().__init__(daemon=True)
        import psutil

        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.peak = dict.fromkeys(pids, 0)
        self.limit, self.timeout, self.stop = limit, timeout, stop
        self.start_time = time.perf_counter()
        self.done = threading.Event()
        self.every = 0.2

    def run(self) -> None:
        while not self.done.wait(self.every):
            for name, proc in self.procs.items():
                try:
                    rss = proc.memory_info().rss
                except Exception:  # a worker restarted or gone: its peak so far stands
                    continue
                self.peak[name] = max(self.peak[name], rss)
                if rss > self.limit:
                    self.stop(f"worker {name} passed {self.limit / GIB:.1f} GiB")
                    return
            if time.perf_counter() - self.start_time > self.timeout:
                self.stop(f"over {self.timeout / 60:.0f} minutes")
                return


def _warm(_: int = 0) -> int:
    """A worker's first imports (the native kernels), done at start-up."""
    import toolkit.checking
    import toolkit.comparing
    import toolkit.on_dask
    import toolkit.reading  # noqa: F401

    return os.getpid()


def dask_child(
    directory: str, out_json: str, limit_gib: float, timeout_min: float, engine: str
) -> None:
    from toolkit import on_dask
    from toolkit.cli_dask import write_frame

    said: dict[str, Any] = {}

    def dump() -> None:
        said["client_rss_mib"] = _peak_rss_mib()
        Path(out_json).write_text(json.dumps(said))

    t0 = time.perf_counter()
    with on_dask.cluster("local:2") as client, contextlib.ExitStack() as stack:
        pids = client.run(_warm)  # worker address -> pid, and the imports done
        said["startup_seconds"] = time.perf_counter() - t0
        said["memory_limit_gib"] = [
            w.get("memory_limit", 0) / GIB for w in client.scheduler_info()["workers"].values()
        ]

        def stop(reason: str) -> None:  # the run is abandoned: say so, stop what we started
            import psutil

            said["stopped"] = reason
            said["peak_worker_mib"] = [p / 2**20 for p in watch.peak.values()]
            said["seconds"] = time.perf_counter() - start
            dump()
            for child in psutil.Process().children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
            os._exit(3)

        watch = _Watch(pids, limit_gib * GIB, timeout_min * 60, stop)
        with tempfile.TemporaryDirectory(dir=Path(out_json).parent) as tmp:
            start = time.perf_counter()
            watch.start()
            # as `check --engine dask --csv` runs: the findings only (no --json/--html tables)
            run = on_dask.check(directory, client=_client_for(engine, client, stack), tables=False)
            time.sleep(0.5)  # the scheduler's view of the workers, after the run's releases
            paused = 0.5
            said["held_mib"] = sum(
                w["metrics"]["managed_bytes"] / 2**20
                for w in client.scheduler_info()["workers"].values()
            )
            said["client_check_mib"] = _peak_rss_mib()
            write_frame(run.findings, Path(tmp) / "findings.parquet")
            said["seconds"] = time.perf_counter() - start - paused
            said["client_rss_mib"] = _peak_rss_mib()  # before the counting below
            watch.done.set()
            watch.join()
            said["peak_worker_mib"] = [p / 2**20 for p in watch.peak.values()]
            said.update(figures=run.figures, parts=run.parts, shuffled=run.shuffled)
            said["streamed"] = bool(getattr(run, "streamed", False))
            import dask.dataframe as dd  # counted on the cluster, not in this process

            written = dd.read_parquet(str(Path(tmp) / "findings.parquet"), columns=["kind", "code"])
            said["counts"] = _kind_code(written)
    Path(out_json).write_text(json.dumps(said))


def _client_for(engine: str, client: Any, stack: contextlib.ExitStack) -> Any:
    """``dask``: the LocalCluster's client, as the command line has it (the engine may
    stream file by file). ``dask-held``: a second client of the same scheduler, by its
    address, as for a remote cluster: the engine keeps each stage's parts as futures."""
    if engine == "dask":
        return client
    import distributed

    return stack.enter_context(distributed.Client(client.scheduler.address))


def run_dask(
    directory: Path, limit_gib: float, timeout_min: float, engine: str = "dask"
) -> dict[str, Any]:
    """The dask child in a process (and session) of its own; a hung one is killed."""
    with tempfile.TemporaryDirectory(dir=directory.parent) as tmp:
        out = Path(tmp) / "dask.json"
        args = [str(directory), str(out), str(limit_gib), str(timeout_min), engine]
        proc = subprocess.Popen(
            [sys.executable, __file__, "--dask-child", *args], start_new_session=True
        )
        try:
            proc.wait(timeout=timeout_min * 60 + 300)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return {"stopped": "hung past the time limit (killed)"}
        if not out.exists():
            return {"stopped": f"failed (exit status {proc.returncode})"}
        result: dict[str, Any] = json.loads(out.read_text())
        return result


def run_native_measured(directory: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=directory.parent) as tmp:
        counts = Path(tmp) / "counts.json"
        result: dict[str, Any] = _run("bench_dask:run_native", (str(directory), str(counts)))
        result["counts"] = json.loads(counts.read_text())
        return result


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    done = [r for r in runs if "stopped" not in r] or runs
    best = dict(min(done, key=lambda r: r.get("seconds", float("inf"))))
    best["all_seconds"] = [round(r.get("seconds", float("nan")), 1) for r in runs]
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1M,10M", help="of 1M, 10M, 100M (default 1M,10M)")
    p.add_argument(
        "--engines",
        default="native,dask,dask-held",
        help="native; dask (the LocalCluster's own client: the engine may stream file by "
        "file); dask-held (a client by address: each stage's parts held as futures)",
    )
    p.add_argument("--repeat", type=int, default=1, help="runs of each (best reported)")
    p.add_argument("--cache", type=Path, default=CACHE)
    p.add_argument(
        "--native-max",
        default="10M",
        choices=list(SIZES),
        help="the largest size run natively (10M peaks near 8 GiB; 100M would not fit)",
    )
    p.add_argument("--worker-limit", type=float, default=9.0, help="GiB: stop a dask run past")
    p.add_argument("--timeout", type=float, default=25.0, help="minutes: stop a dask run past")
    a = p.parse_args()
    sizes = [s.strip() for s in a.sizes.split(",")]
    engines = [e.strip() for e in a.engines.split(",")]
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for size in sizes:
        t = time.perf_counter()
        directory = dataset(a.cache, size)
        print(f"{size}: dataset ready in {time.perf_counter() - t:.0f} s ({directory})")
        results[size] = {}
        for engine in engines:
            if engine == "native" and SIZES[size] > SIZES[a.native_max]:
                print(f"  native: not run above {a.native_max} (see the estimate below)")
                continue
            runs = []
            for _ in range(a.repeat):
                if engine == "native":
                    runs.append(run_native_measured(directory))
                else:
                    runs.append(run_dask(directory, a.worker_limit, a.timeout, engine))
            results[size][engine] = r = _best(runs)
            print(f"  {engine}: {_describe(engine, r)}", flush=True)
        _agree(results[size])
    _report(results)


def _describe(engine: str, r: dict[str, Any]) -> str:
    if engine == "native":
        return (
            f"{r['seconds']:.1f} s (runs {r['all_seconds']}), peak RSS {r['rss_mib']:.0f} MiB, "
            f"{sum(r['counts'].values()):,} findings"
        )
    workers = ", ".join(f"{m:.0f}" for m in r.get("peak_worker_mib", []))
    text = (
        f"{r.get('seconds', float('nan')):.1f} s (runs {r['all_seconds']}; cluster start-up "
        f"{r.get('startup_seconds', float('nan')):.1f} s apart), peak RSS per worker "
        f"[{workers}] MiB, client+scheduler {r.get('client_rss_mib', float('nan')):.0f} MiB "
        f"({r.get('client_check_mib', float('nan')):.0f} MiB after check())"
    )
    if "stopped" in r:
        return text + f": STOPPED, {r['stopped']}"
    return text + (
        f", {sum(r['counts'].values()):,} findings, {r['parts']} parts"
        f"{' (shuffled)' if r['shuffled'] else ''}"
        f"{' streamed' if r.get('streamed') else ''}"
        f", held on the cluster after check() {r['held_mib']:.0f} MiB"
    )


DASK = ("dask", "dask-held")


def _agree(by_engine: dict[str, dict[str, Any]]) -> None:
    native = by_engine.get("native")
    for engine in DASK:
        dask = by_engine.get(engine)
        if not native or not dask or "counts" not in dask:
            continue
        if native["counts"] == dask["counts"]:
            print(f"  {engine}: same findings by kind/code as native: {native['counts']}")
        else:
            print(f"  {engine}: FINDINGS DIFFER: native {native['counts']} vs {dask['counts']}")


def _report(results: dict[str, dict[str, dict[str, Any]]]) -> None:
    print("summary:")
    per_m: dict[str, list[tuple[float, float]]] = {}
    for size, by_engine in results.items():
        millions = SIZES[size] / 1e6
        native = by_engine.get("native")
        if native:
            per_m.setdefault("native", []).append((millions, native["rss_mib"]))
        for engine in DASK:
            dask = by_engine.get(engine)
            if not dask:
                continue
            if native and "stopped" not in dask:
                ratio = dask["seconds"] / native["seconds"]
                verdict = ""
                if size == "10M":
                    verdict = f" (target <= 2: {'met' if ratio <= 2 else 'NOT met'})"
                print(f"  {size}: time {engine}/native {ratio:.2f}{verdict}")
            if dask.get("peak_worker_mib"):
                peak = max(dask["peak_worker_mib"])
                per_m.setdefault(engine, []).append((millions, peak))
                held = dask.get("held_mib")
                print(
                    f"  {size}: {engine} worker peak {peak:.0f} MiB"
                    + (f"; held on the cluster after check() {held:.0f} MiB" if held else "")
                )
    for engine in ("native", *DASK):
        one, ten = results.get("1M", {}).get(engine), results.get("10M", {}).get(engine)
        if one and ten and "stopped" not in one and "stopped" not in ten:
            cost = ten["seconds"] / one["seconds"]
            print(f"  {engine}: t(10M)/t(1M) = {cost:.1f} (10 is linear)")
    for engine, points in per_m.items():
        if len(points) < 2:
            continue
        (m0, r0), (m1, r1) = points[0], points[-1]
        slope = (r1 - r0) / (m1 - m0)  # MiB per 1M figures, one process
        who = "the process" if engine == "native" else "a worker (of 2)"
        cap = 24 if engine == "native" else 12  # GiB: a worker's share of the machine
        grows = slope > 0.2 * r0 / m0
        at_100 = r0 + slope * (100 - m0)
        print(
            f"  {engine}: peak of {who} grows {slope:.0f} MiB per 1M figures "
            f"({'grows with the data, not bounded by the part size' if grows else 'bounded'}); "
            f"at 100M about {at_100 / 1024:.1f} GiB"
            + (
                f"; fits {cap} GiB up to about {m0 + (cap * 1024 - r0) / slope:.0f}M"
                if grows
                else ""
            )
        )
    for engine in DASK:
        big = results.get("100M", {}).get(engine)
        if big:
            print(f"  100M with {engine}: {big.get('stopped', 'completed')}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--dask-child":
        d, o, lim, tmo, engine = sys.argv[2:7]
        dask_child(d, o, float(lim), float(tmo), engine)
    else:
        main()

"""Compare benchmark: crosscheck's comparison vs a bare pandas groupby-agg of the same table.

    nox -s bench            (or: python bench/bench_compare.py [INCIDENTS])

A generated figures table of 100,000 incidents x 5 sources x 2 measures (1M figures, a
third of them "at least N"; each source's count differs by up to 30 %, so most incidents
conflict: a worst case). Ours: ``cc.compare`` (the table), then also its findings
(conflicts, spreads, definitions, revisions). Baseline: ``groupby(["incident",
"measure"])["value"].agg(["min", "max", "median"])``, what an analyst would write first.
Target: ratio <= 3.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fixtures"))

import pandas as pd
from _measure import measure_pair
from generate import generate

from toolkit.comparing import compare_figures as compare
from toolkit.suite import load_suite

_TABLES: dict[str, pd.DataFrame] = {}


def _table(path: str) -> pd.DataFrame:
    if path not in _TABLES:
        _TABLES[path] = pd.read_parquet(path)
    return _TABLES[path]


def _warm(path: str, run: Callable[[pd.DataFrame], object]) -> None:
    """Load the table, then run once on its first rows: the first call of a pandas or
    Arrow code path imports and initialises things that are not the work measured."""
    run(_table(path).head(5000))


def prepare_run_compare(path: str) -> None:
    _warm(path, lambda t: compare(t, load_suite()).table)


def prepare_run_compare_findings(path: str) -> None:
    _warm(path, lambda t: compare(t, load_suite()).findings)


def prepare_run_groupby(path: str) -> None:
    _warm(path, _groupby)


def _groupby(table: pd.DataFrame) -> pd.DataFrame:
    return table.groupby(["incident", "measure"])["value"].agg(["min", "max", "median"])


def run_compare(path: str) -> None:
    """The comparison table (what ``cc.compare`` returns; the rest is built on first use)."""
    assert len(compare(_table(path), load_suite()).table) > 0


def run_compare_findings(path: str) -> None:
    """The table and every finding (conflicts, spreads, definitions, revisions)."""
    c = compare(_table(path), load_suite())
    assert len(c.findings) > 0


def run_groupby(path: str) -> None:
    _groupby(_table(path))


def main() -> None:
    incidents = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "figures.parquet")
        table = generate(incidents, 5, 1, at_least=1 / 3, seed=1).figures
        table.to_parquet(path)
        c = compare(table, load_suite())
        counts = c.table["status"].value_counts()
        print(
            f"compare: {len(table):,} figures -> {len(c.table):,} incident x measure rows "
            f"({int(counts.get('conflict', 0)):,} conflict, {int(counts.get('agree', 0)):,} "
            f"agree), {len(c.findings):,} findings"
        )
        for name, what, target in (
            ("run_compare", "compare (table)", " (target <= 3)"),
            ("run_compare_findings", "compare + findings", " (no target: more work)"),
        ):
            ours, base = measure_pair(f"bench_compare:{name}", "bench_compare:run_groupby", path)
            print(
                f"{what}: {ours['seconds']:.2f} s (peak RSS {ours['rss_mib']:.0f} MiB) vs "
                f"groupby-agg {base['seconds']:.2f} s (peak RSS {base['rss_mib']:.0f} MiB): "
                f"ratio {ours['seconds'] / base['seconds']:.2f}{target}; medians "
                f"{ours['median_seconds']:.2f} s vs {base['median_seconds']:.2f} s, kernel time "
                f"of the best runs {ours['kernel_seconds']:.2f} s vs {base['kernel_seconds']:.2f} s"
            )


def matching(incidents: int = 10_000) -> None:
    """Match two outlets' 10k incidents each (no shared key): seconds, pairs scored after
    blocking, precision and recall against the known pairing."""
    import time

    from generate import incidents_pair

    from toolkit.linking import match

    figures, truth = incidents_pair(incidents)
    start = time.perf_counter()
    m = match(figures, load_suite())
    seconds = time.perf_counter() - start
    walk = m.crosswalk.dropna(subset=["match"])
    by = walk.groupby("match")["incident"].agg(lambda s: tuple(sorted(s)))
    got = {keys for keys in by if len(keys) == 2}
    expected = {tuple(sorted(p)) for p in zip(truth["a"], truth["b"], strict=True)}
    hit = len(got & expected)
    print(
        f"match {incidents:,} x {incidents:,} incidents: {seconds:.2f} s, "
        f"{len(m.pairs):,} candidate pairs scored (of {incidents * incidents:,} possible), "
        f"precision {hit / max(len(got), 1):.3f}, recall {hit / len(expected):.3f}"
    )


if __name__ == "__main__":
    main()
    matching()

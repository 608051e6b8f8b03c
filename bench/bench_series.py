"""Series benchmark: crosscheck's comparison over time vs a pandas ``merge_asof`` of the same
alignment.

    python bench/bench_series.py [N_FIGURES...]        (default: 150000 1000000)

A generated figures table of daily cumulative ``killed`` counts: incidents x 3 sources x
1,000 days, each source missing a day in ten except every fifth day (8 % missing, never
five days in a row, so no figure goes stale and the dates compared are the dates aligned);
150,000 figures are 55 incidents, 1,000,000 are 363, the last incident's last days cut.
The sources follow the same noisy toll; one is a day behind on two stretches (lags),
another runs 15 % high for a stretch (an episode of conflict) and holds yesterday's figure
on a day in twenty; a source that misses a day is a day behind that date (short
conflicts): about 30 % of the dates compared are in conflict, a hard case. Ours:
``compare_figures(figures, suite, over_time=True)`` and its ``series.table`` (the alignment
and each date's status), then the same plus ``series.findings`` (episodes and lags).
Baseline: ``pd.merge_asof`` of the same alignment only (each source's latest figure on or
before each report date of its incident and measure), no statuses. Targets: ratio <= 2 and
peak RSS <= 1 GB at 150,000 figures.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
from _measure import measure_pair

from toolkit.comparing import compare_figures
from toolkit.suite import load_suite

SOURCES = ("agency", "ministry", "monitor")
DAYS = 1000
KEY = ["incident", "measure", "source"]
PRESENT = 0.9 * 0.8 + 0.2  # the share of days a source reports (see series_figures)


def series_figures(n_figures: int, days: int = DAYS, seed: int = 0) -> pd.DataFrame:
    """A figures table of ``n_figures`` daily cumulative ``killed`` figures (see the module
    notes): enough incidents x 3 sources x ``days`` that, once the missing days are
    dropped, the table can be cut to size."""
    rng = np.random.default_rng(seed)
    n_src = len(SOURCES)
    # enough incidents for n_figures once the missing days are dropped; the table is then
    # cut to size (the last incident loses its last days)
    incidents = -(-n_figures // int(n_src * days * PRESENT))
    # the toll each day: a few new deaths a day, bursts now and then
    steps = rng.poisson(2, size=(incidents, days)) + (rng.random((incidents, days)) < 0.02) * 30
    toll = rng.integers(1, 200, size=(incidents, 1)) + steps.cumsum(axis=1)
    yesterday = np.concatenate([toll[:, :1], toll[:, :-1]], axis=1)
    day = np.arange(days)
    values = np.repeat(toll[:, None, :], n_src, axis=1)  # (incidents, sources, days)
    # the ministry is a day behind on two stretches of 10-40 days: lags
    for k in range(2):
        start = rng.integers(k * days // 2, (k + 1) * days // 2 - 40, size=(incidents, 1))
        behind = (day >= start) & (day < start + rng.integers(10, 40, size=(incidents, 1)))
        values[:, 1] = np.where(behind, yesterday, values[:, 1])
    # the monitor runs 15 % high for 20-60 days (episodes), and holds yesterday's figure on
    # a twentieth of the days (short conflicts)
    start = rng.integers(0, days - 60, size=(incidents, 1))
    high = (day >= start) & (day < start + rng.integers(20, 60, size=(incidents, 1)))
    values[:, 2] = np.where(high, (toll * 1.15).astype(np.int64) + 2, values[:, 2])
    held = rng.random((incidents, days)) < 0.05
    values[:, 2] = np.where(held & ~high, yesterday, values[:, 2])
    # a tenth of the days missing per source, but every fifth day present: no gap is long
    # enough for a figure to go stale, so the slots compared are the slots aligned
    present = (rng.random((incidents, days, n_src)) >= 0.1) | (day[:, None] % 5 == 0)
    inc, d, src = (a[:n_figures] for a in np.nonzero(present))
    flat = values[inc, src, d]
    first = np.datetime64("2020-01-01") + rng.integers(0, 365, size=incidents).astype(
        "timedelta64[D]"
    )
    names = np.char.add("inc-", np.char.zfill(np.arange(incidents).astype(str), 5))
    n = len(flat)
    return pd.DataFrame(
        {
            "incident": pd.array(names[inc], dtype="str"),
            "source": pd.array(np.asarray(SOURCES)[src], dtype="str"),
            "measure": pd.array(np.full(n, "killed"), dtype="str"),
            "value": pd.array(flat, dtype="Int64"),
            "low": pd.array(flat, dtype="Int64"),
            "high": pd.array(flat, dtype="Int64"),
            "qualifier": pd.array(np.full(n, "exact"), dtype="str"),
            "reported_on": (first[inc] + d.astype("timedelta64[D]")).astype("datetime64[us]"),
            "event_start": first[inc].astype("datetime64[us]"),
            "event_end": first[inc].astype("datetime64[us]"),
        }
    )


def merge_asof_alignment(table: pd.DataFrame) -> pd.DataFrame:
    """Each source's latest figure on or before each report date of its incident and
    measure: the query frame (report dates x the group's sources) merged as of the date
    with the figures, by key (incident, measure and source). The alignment only: no
    statuses. The keys are integer codes: ``by=`` the three text columns is slower
    (about 1.5x in trials), and the baseline should be the fast way to write it."""
    codes = pd.DataFrame(
        {
            "group": table.groupby(KEY[:2], sort=False).ngroup().to_numpy(),
            "key": table.groupby(KEY, sort=False).ngroup().to_numpy(),
            "reported_on": table["reported_on"].to_numpy(),
        }
    )
    figures = pd.concat([codes, table[["value", "low", "high"]]], axis=1)
    dates = codes[["group", "reported_on"]].drop_duplicates()
    sources = codes[["group", "key"]].drop_duplicates()
    query = dates.merge(sources, on="group").sort_values("reported_on")
    return pd.merge_asof(
        query,
        figures.drop(columns="group").sort_values("reported_on"),
        on="reported_on",
        by="key",
        direction="backward",
    )


def compared(aligned: pd.DataFrame) -> pd.DataFrame:
    """The baseline's figures on the (incident, measure, date) rows with two or more."""
    has = aligned[aligned["value"].notna()]
    per_slot = has.groupby(["group", "reported_on"])["key"].transform("size")
    return has[per_slot.to_numpy() >= 2]


def same_figures(table: pd.DataFrame, aligned: pd.DataFrame, latest: pd.DataFrame) -> bool:
    """Whether the series compares, on each date, the figures the baseline aligns."""
    names = table[KEY].assign(key=table.groupby(KEY, sort=False).ngroup().to_numpy())
    ours = latest[["incident", "source", "as_of", "value"]].set_axis(
        ["incident", "source", "on", "value"], axis=1
    )
    theirs = (
        compared(aligned)
        .merge(names.drop_duplicates("key"), on="key")[
            ["incident", "source", "reported_on", "value"]
        ]
        .set_axis(["incident", "source", "on", "value"], axis=1)
    )
    sort = ["incident", "source", "on"]
    a = ours.sort_values(sort, ignore_index=True)
    b = theirs.sort_values(sort, ignore_index=True)
    return len(a) == len(b) and bool(
        (a[sort] == b[sort]).all().all()
        and (a["value"].astype("float64") == b["value"].astype("float64")).all()
    )


_TABLES: dict[str, pd.DataFrame] = {}


def _table(path: str) -> pd.DataFrame:
    if path not in _TABLES:
        _TABLES[path] = pd.read_parquet(path)
    return _TABLES[path]


def _warm(path: str, run: Callable[[pd.DataFrame], object]) -> None:
    """Load the table, then run once on its first rows: the first call of a pandas code
    path imports and initialises things that are not the work measured."""
    run(_table(path).head(5000))


def _series_table(table: pd.DataFrame) -> pd.DataFrame:
    series = compare_figures(table, load_suite(), over_time=True).series
    assert series is not None
    return series.table


def _series_findings(table: pd.DataFrame) -> pd.DataFrame:
    series = compare_figures(table, load_suite(), over_time=True).series
    assert series is not None
    assert len(series.table) > 0
    return series.findings


def prepare_run_series(path: str) -> None:
    _warm(path, _series_table)


def prepare_run_series_findings(path: str) -> None:
    _warm(path, _series_findings)


def prepare_run_merge_asof(path: str) -> None:
    _warm(path, merge_asof_alignment)


def run_series(path: str) -> None:
    """The comparison with its series table (alignment and each date's status)."""
    assert len(_series_table(_table(path))) > 0


def run_series_findings(path: str) -> None:
    """The same, then the episodes of conflict and the lags as findings."""
    assert len(_series_findings(_table(path))) > 0


def run_merge_asof(path: str) -> None:
    assert len(merge_asof_alignment(_table(path))) > 0


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [150_000, 1_000_000]
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = str(Path(tmp) / f"series-{n}.parquet")
            table = series_figures(n)
            table.to_parquet(path)
            series = compare_figures(table, load_suite(), over_time=True).series
            assert series is not None
            counts = series.counts()
            aligned = merge_asof_alignment(table)
            slots = compared(aligned)[["group", "reported_on"]].drop_duplicates()
            print(
                f"series: {len(table):,} figures ({table['incident'].nunique()} incidents x "
                f"{len(SOURCES)} sources x {DAYS:,} days, some missing) -> "
                f"{series.status_text()}, {len(series.findings):,} findings"
            )
            same = "same" if len(slots) == counts["dates"] else "DIFFERENT"
            figures = "the same" if same_figures(table, aligned, series.latest) else "DIFFERENT"
            print(
                f"  sanity: {counts['dates']:,} series rows vs {len(slots):,} (incident, "
                f"measure, date) rows with >= 2 sources in the merge_asof alignment: {same}; "
                f"{figures} figure per source and date"
            )
            for name, what, target in (
                ("run_series", "compare + series.table", 2.0),
                ("run_series_findings", "compare + series.table + findings", None),
            ):
                ours, base = measure_pair(
                    f"bench_series:{name}", "bench_series:run_merge_asof", path, repeat=5
                )
                ratio = ours["seconds"] / base["seconds"]
                held = []
                if target is not None:
                    held.append(f"ratio <= {target:g}: {'yes' if ratio <= target else 'NO'}")
                if n <= 150_000:
                    fits = ours["rss_mib"] <= 1024
                    held.append(f"peak RSS <= 1 GB: {'yes' if fits else 'NO'}")
                print(
                    f"  {what}: {ours['seconds']:.2f} s (peak RSS {ours['rss_mib']:.0f} MiB, "
                    f"{ours['before_mib']:.0f} before) vs merge_asof alignment only, no "
                    f"statuses {base['seconds']:.2f} s (peak RSS {base['rss_mib']:.0f} MiB, "
                    f"{base['before_mib']:.0f} before): ratio {ratio:.2f}"
                    f"{' (' + '; '.join(held) + ')' if held else ''}; medians "
                    f"{ours['median_seconds']:.2f} s vs {base['median_seconds']:.2f} s, kernel "
                    f"time of the best runs {ours['kernel_seconds']:.2f} s vs "
                    f"{base['kernel_seconds']:.2f} s"
                )


if __name__ == "__main__":
    main()

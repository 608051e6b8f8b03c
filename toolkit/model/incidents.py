"""Keys that name more than one incident: one source reusing a case id for two shootings
years apart.

A source's key (incident, source) names several incidents when its known event starts fall
into runs more than ``days`` apart (sorted, a new run begins after a gap longer than
``days``): two shootings years apart are two runs, a toll whose rows carry each day's date
is one. Place names alone never split a key (outlets spell one place many ways).
:func:`runs_of` computes it on integer codes (the native rules, derived wholes);
:func:`incident_runs` in plain pandas (the GX engine's column), and the tests hold the two
engines to the same rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.columnar import DAY_US, NAT_INT64


def incident_runs(figures: pd.DataFrame, days: float) -> np.ndarray:
    """Per row, which incident of its key it belongs to: 1, 2, … by event start for the
    keys whose starts fall into several runs more than ``days`` apart; 0 for every other
    row (keys naming one incident, rows with no event start).

    >>> f = pd.DataFrame({"incident": ["156"] * 3 + ["9"] * 2, "source": "MSA",
    ...     "event_start": pd.to_datetime(["2013-08-07", "2013-12-28", "2013-08-08",
    ...                                    "2020-01-01", "2020-01-03"])})
    >>> incident_runs(f, 3).tolist()
    [1, 2, 1, 0, 0]
    """
    n = len(figures)
    starts = figures["event_start"]
    known = starts.notna().to_numpy()
    if n == 0 or known.sum() < 2:
        return np.zeros(n, dtype=np.int64)
    keys = figures[["incident", "source"]].astype("str").fillna("\x00")
    key = keys.groupby(["incident", "source"], sort=False).ngroup().to_numpy()
    ticks = starts.to_numpy(dtype="datetime64[us]").view(np.int64)
    runs = pd.DataFrame({"key": key[known], "t": ticks[known]}).drop_duplicates()
    runs = runs.sort_values(["key", "t"], kind="stable")
    same_key = runs["key"].diff().eq(0)
    breaks = same_key & (runs["t"].diff() > days * float(DAY_US))
    runs["run"] = breaks.astype(np.int64).groupby(runs["key"]).cumsum()
    several = runs.groupby("key")["run"].transform("max") > 0
    runs["label"] = np.where(several, runs["run"] + 1, 0)
    rows = pd.DataFrame({"key": key[known], "t": ticks[known]})
    labels = rows.merge(runs[["key", "t", "label"]], on=["key", "t"], how="left")["label"]
    out = np.zeros(n, dtype=np.int64)
    out[known] = labels.to_numpy(dtype=np.int64)
    return out


def runs_of(key: np.ndarray, starts: np.ndarray, days: float) -> np.ndarray:
    """:func:`incident_runs` on codes: ``key`` one integer per (incident, source) (0 ..
    k-1), ``starts`` the event starts as datetime64[us]. Only the keys whose starts span
    more than ``days`` are sorted: most tables have none, and cost two passes.

    >>> t = np.array(["2013-08-07", "2013-12-28", "2013-08-08", "NaT"], "datetime64[us]")
    >>> runs_of(np.array([0, 0, 0, 1]), t, 3).tolist()
    [1, 2, 1, 0]
    """
    out = np.zeros(len(key), dtype=np.int64)
    ticks = np.asarray(starts, dtype="datetime64[us]").view(np.int64)
    known = np.flatnonzero(ticks != NAT_INT64)
    if len(known) < 2:
        return out
    k, t = key[known], ticks[known]
    n_keys = int(key.max(initial=-1)) + 1
    low = np.full(n_keys, np.iinfo(np.int64).max)
    high = np.full(n_keys, np.iinfo(np.int64).min)
    np.minimum.at(low, k, t)
    np.maximum.at(high, k, t)
    wide = (high.astype(np.float64) - low.astype(np.float64)) > days * float(DAY_US)
    if not wide.any():
        return out
    pick = wide[k]
    known, k, t = known[pick], k[pick], t[pick]
    order = np.lexsort((t, k))
    k, t = k[order], t[order]
    first = np.ones(len(k), dtype=bool)
    first[1:] = k[1:] != k[:-1]
    gap = np.zeros(len(k), dtype=bool)
    gap[1:] = (t[1:] - t[:-1]).astype(np.float64) > days * float(DAY_US)
    breaks = np.cumsum(gap & ~first)
    run: np.ndarray = breaks - np.maximum.accumulate(np.where(first, breaks, 0))  # per key
    most = np.zeros(n_keys, dtype=np.int64)
    np.maximum.at(most, k, run)
    out[known[order]] = np.where(most[k] > 0, run + 1, 0)
    return out

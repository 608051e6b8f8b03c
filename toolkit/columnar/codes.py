"""Integer codes of columns and runs of equal keys: encoded by Arrow, combined into one
key, reduced run by run (column by column where runs are short and alike)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def arrow_codes(
    values: pd.Series, missing_group: bool, dtype: type[np.integer[Any]] = np.int64
) -> tuple[np.ndarray, Any]:
    """(codes, Arrow dictionary) of Arrow-backed text, in order of first appearance.

    Chunks are encoded as they are, without first joining them: Arrow encodes a chunked
    array with one hash table, so every chunk carries the same (final) dictionary. With
    ``dtype=np.int32`` the codes of one chunk are Arrow's own (read-only, no copy).
    Missing values get -1, or a code of their own with ``missing_group``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(values.array)
    if not isinstance(arr, pa.ChunkedArray):
        arr = pa.chunked_array([arr])
    encoded = pc.dictionary_encode(arr, null_encoding="encode" if missing_group else "mask")
    chunks = encoded.chunks
    if not chunks:
        return np.zeros(0, dtype=np.int64), pa.array([], type=arr.type)
    dictionary = chunks[0].dictionary
    if dtype == np.int32 and len(chunks) == 1 and not chunks[0].indices.null_count:
        return chunks[0].indices.to_numpy(), dictionary
    out = np.empty(len(values), dtype=dtype)
    at = 0
    for chunk in chunks:
        indices = chunk.indices
        if indices.null_count:
            indices = indices.fill_null(-1)
        out[at : at + len(indices)] = indices.to_numpy(zero_copy_only=False)
        at += len(indices)
    return out, dictionary


def codes(values: pd.Series, missing_group: bool = False) -> np.ndarray:
    """Integer codes of a column in order of first appearance; missing values get -1, or a
    group of their own with ``missing_group``. Arrow-backed text is encoded by Arrow, with
    no Python string per row.

    >>> codes(pd.Series(["b", "a", None, "b"], dtype="str")).tolist()
    [0, 1, -1, 0]
    """
    if values.dtype != "str":
        out, _ = pd.factorize(values, use_na_sentinel=not missing_group)
        return np.asarray(out, dtype=np.int64)
    return arrow_codes(values, missing_group)[0]


def distinct(
    values: pd.Series, dtype: type[np.integer[Any]] = np.int64
) -> tuple[np.ndarray, list[object]]:
    """(codes, uniques) of a column, -1 for missing.

    >>> distinct(pd.Series(["x", None, "x"], dtype="str"))[0].tolist()
    [0, -1, 0]
    """
    if values.dtype == "str":
        out, dictionary = arrow_codes(values, missing_group=False, dtype=dtype)
        return out, dictionary.to_pylist()
    out, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.asarray(out, dtype=dtype), list(uniques)


def codes_by_name(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes (int32) in alphabetical order of the names (-1 for missing), and the names
    as an Arrow-backed text Series (sorted by Arrow: no Python string per name). Sorting
    codes then sorts names.

    >>> c, names = codes_by_name(pd.Series(["b", "a", None, "b"], dtype="str"))
    >>> c.tolist(), names.tolist()
    ([1, 0, -1, 1], ['a', 'b'])
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if values.dtype == "str":
        out, dictionary = arrow_codes(values, missing_group=False, dtype=np.int32)
    else:
        out, uniques = pd.factorize(values.astype("str"), use_na_sentinel=True)
        out = out.astype(np.int32)
        dictionary = pa.array(np.asarray(uniques, dtype=object), type=pa.large_string())
    order = pc.sort_indices(dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    names = pd.Series(pd.array(dictionary.take(pa.array(order)), dtype="str"))
    if not len(order) or bool((order == np.arange(len(order))).all()):
        return out, names  # already in name order
    # -1 (missing) takes the appended -1
    return np.append(rank, -1).astype(np.int32)[out], names


def combine_codes(columns: list[np.ndarray], n: int) -> np.ndarray:
    """One dense code (0 .. k-1) per distinct combination of several code columns (each
    >= 0); the codes' order is not the combinations'.

    Where the combined key is itself dense (at most four possible keys per row, as
    incident x source x measure usually is), codes come from marking the keys present and
    counting: linear, no hashing. Otherwise a hash factorisation, whose cost grows faster
    than the rows once the table no longer fits in cache.

    >>> combine_codes([np.array([0, 1, 0]), np.array([2, 0, 2])], 3).tolist()
    [0, 1, 0]
    """
    key = np.zeros(n, dtype=np.int64)
    bound = 1
    for column in columns:
        c = column.astype(np.int64)
        width = int(c.max(initial=0)) + 1
        key = key * width + c
        bound *= width
    if bound <= 4 * max(n, 1):
        present = np.zeros(bound, dtype=bool)
        present[key] = True
        rank = np.cumsum(present) - 1
        return rank[key]
    return pd.factorize(key)[0]


def product_key(
    columns: list[tuple[np.ndarray, int]], rows: np.ndarray | None = None
) -> np.ndarray:
    """Code columns as one int64 key, row by row (of ``rows``; None: every row): the first
    column varies slowest. Each entry is ``(codes, how many codes it may take)``; built in
    one array, in place.

    >>> product_key([(np.array([1, 0]), 2), (np.array([2, 1]), 3)]).tolist()
    [5, 1]
    """
    first, _ = columns[0]
    key = at(first, rows).astype(np.int64)  # codes may be int32: the product needs 64 bits
    for column, width in columns[1:]:
        key *= width
        key += at(column, rows)
    return key


def at(values: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    """``values`` at ``rows``; all of them (no copy) where ``rows`` is None."""
    return values if rows is None else values[rows]


def run_starts(keys: np.ndarray) -> np.ndarray:
    """Where each run of equal (sorted) keys starts.

    >>> run_starts(np.array([3, 3, 5, 7, 7])).tolist()
    [0, 2, 3]
    """
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


def reduce_runs(
    ufunc: np.ufunc, values: np.ndarray, starts: np.ndarray, size: np.ndarray
) -> np.ndarray:
    """``ufunc`` reduced over each run ``values[starts[g] : starts[g] + size[g]]`` (the runs
    cover ``values``). Runs all of one short length (every incident with the same sources)
    are reduced column by column, elementwise: about twice as fast as ``reduceat``.

    >>> reduce_runs(np.maximum, np.array([1.0, 5, 2, 4]), np.array([0, 2]), np.array([2, 2]))
    array([5., 4.])
    """
    s = int(size[0]) if len(size) else 0
    if 1 < s <= 8 and len(values) == s * len(size) and bool((size == s).all()):
        runs = values.reshape(-1, s)
        out = runs[:, 0].copy()
        for i in range(1, s):
            ufunc(out, runs[:, i], out=out)
        return out
    out_: np.ndarray = ufunc.reduceat(values, starts)
    return out_


def run_medians(values: np.ndarray, starts: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Median of each run ``values[starts[g] : starts[g] + size[g]]``, runs of one size
    at a time (runs are short: one figure per source). Up to 8 figures, as ``s`` columns
    sorted by an odd-even transposition network (elementwise, no per-row sort); more, by
    sorting rows.

    >>> run_medians(np.array([3.0, 1, 2, 10, 20]), np.array([0, 3]), np.array([3, 2]))
    array([ 2., 15.])
    """
    out = np.full(len(starts), np.nan)
    for s in np.unique(size):
        which = np.flatnonzero(size == s)
        first = starts[which]
        if s <= 8:
            if len(which) * s == len(values):  # every run has this length: no gather
                cols = values.reshape(-1, s).T.copy()
            else:
                cols = values[first + np.arange(s)[:, None]]
            for step in range(s):
                for i in range(step % 2, s - 1, 2):
                    low = np.minimum(cols[i], cols[i + 1])
                    np.maximum(cols[i], cols[i + 1], out=cols[i + 1])
                    cols[i] = low
            out[which] = (cols[(s - 1) // 2] + cols[s // 2]) / 2
            continue
        block = np.sort(values[first[:, None] + np.arange(s)], axis=1)
        out[which] = (block[:, (s - 1) // 2] + block[:, s // 2]) / 2
    return out


def chunks_of(groups: np.ndarray, width: int, cells: int = 1 << 16) -> list[np.ndarray]:
    """``groups`` in slices of about ``cells / width`` (work that stays in cache)."""
    step = max(1, cells // width)
    return [groups[k : k + step] for k in range(0, len(groups), step)]


def runs_apart(key: np.ndarray, ticks: np.ndarray, gap: float) -> np.ndarray:
    """Per element, which run of its key's values it falls in (1, 2, … in sorted order, a
    new run after a step longer than ``gap``), for the keys whose values form several
    runs; 0 for every other element and for missing ticks (the smallest int64, NaT).
    ``key`` holds codes >= 0. Only the keys whose values span more than ``gap`` are
    sorted: two passes settle the common case where none does.

    >>> runs_apart(np.array([0, 0, 0, 1, 1]), np.array([10, 50, 12, 0, 3]), 5).tolist()
    [1, 2, 1, 0, 0]
    """
    out = np.zeros(len(key), dtype=np.int64)
    known = np.flatnonzero(ticks != np.iinfo(np.int64).min)
    if len(known) < 2:
        return out
    k, t = key[known], ticks[known]
    n_keys = int(key.max(initial=-1)) + 1
    low = np.full(n_keys, np.iinfo(np.int64).max)
    high = np.full(n_keys, np.iinfo(np.int64).min)
    np.minimum.at(low, k, t)
    np.maximum.at(high, k, t)
    wide = (high.astype(np.float64) - low.astype(np.float64)) > gap
    if not wide.any():
        return out
    pick = wide[k]
    known, k, t = known[pick], k[pick], t[pick]
    order = np.lexsort((t, k))
    k, t = k[order], t[order]
    first = np.zeros(len(k), dtype=bool)
    first[run_starts(k)] = True
    step = np.zeros(len(k), dtype=bool)
    step[1:] = (t[1:] - t[:-1]).astype(np.float64) > gap
    breaks = np.cumsum(step & ~first)
    run: np.ndarray = breaks - np.maximum.accumulate(np.where(first, breaks, 0))  # per key
    most = np.zeros(n_keys, dtype=np.int64)
    np.maximum.at(most, k, run)
    out[known[order]] = np.where(most[k] > 0, run + 1, 0)
    return out


def previous_days(
    series: np.ndarray, day: np.ndarray, values: np.ndarray, ufunc: np.ufunc, known_only: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For rows sorted by (series, day): where each (series, day) run starts, each run's
    ``ufunc``-reduced value, and per row the run of its series' previous day (with
    ``known_only``, the last earlier one whose value is not NaN); -1 where there is none.

    >>> starts, best, prev = previous_days(np.array([0, 0, 0, 1]), np.array([1, 1, 2, 1]),
    ...                                    np.array([3.0, 5, 4, 9]), np.maximum, False)
    >>> starts.tolist(), best.tolist(), prev.tolist()
    ([0, 2, 3], [5.0, 4.0, 9.0], [-1, -1, 0, -1])
    """
    if len(series) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, np.zeros(0), empty
    starts = np.flatnonzero(np.r_[True, (series[1:] != series[:-1]) | (day[1:] != day[:-1])])
    best = ufunc.reduceat(values, starts)
    runs = np.arange(len(starts))
    last = np.maximum.accumulate(np.where(np.isnan(best), -1, runs) if known_only else runs)
    previous = np.r_[-1, last[:-1]]
    run_series = series[starts]
    first = np.r_[True, run_series[1:] != run_series[:-1]]
    series_start = np.maximum.accumulate(np.where(first, runs, 0))
    previous[previous < series_start] = -1  # an earlier series' day is no previous day
    per_row = np.repeat(previous, np.diff(np.r_[starts, len(series)]))
    return starts, best, per_row

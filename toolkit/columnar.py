"""How crosscheck stays fast: every Arrow and numpy trick in one place.

The stages say *what* they compute (the latest figure per source, a group's median, the
names of a column's codes); this module says *how*, without a Python object per row:
Arrow-backed text built and coded by Arrow, integer codes sorted once, runs of equal keys
reduced with ``reduceat`` or, when they are short and alike, column by column. Only public
pandas, numpy and pyarrow APIs are used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

DAY_US = np.int64(86_400_000_000)  # a day in datetime64[us] ticks
NAT_INT64 = np.iinfo(np.int64).min  # NaT as a datetime64 tick count
_CHUNK = 1 << 16


# --- text columns -----------------------------------------------------------------------


def repeated_text(value: str | None, n: int) -> pd.Series:
    """``n`` copies of one text (``None``: missing), as Arrow-backed ``str``.

    One chunk of at most 65,536 rows is built and repeated by reference, so a constant
    column (a file's name, a measure of a wide export) costs the same memory at any length.

    >>> repeated_text("x", 3).tolist(), str(repeated_text(None, 2).dtype)
    (['x', 'x', 'x'], 'str')
    """
    import pyarrow as pa

    chunk = (
        pa.nulls(min(n, _CHUNK), pa.large_string())
        if value is None
        else pa.repeat(pa.scalar(value, pa.large_string()), min(n, _CHUNK))
    )
    whole, rest = divmod(n, _CHUNK) if n > _CHUNK else (0, n)
    parts = [chunk] * whole + ([chunk.slice(0, rest)] if rest or not whole else [])
    return pd.Series(
        pd.arrays.ArrowStringArray(pa.chunked_array(parts, pa.large_string())), dtype="str"
    )


def missing_column(dtype: str, n: int) -> pd.Series:
    """``n`` missing values of a dtype (``str``, ``Int64`` or a datetime64), built without
    a Python object per row."""
    if dtype == "str":
        return repeated_text(None, n)
    if dtype == "Int64":
        numbers = pd.arrays.IntegerArray(np.zeros(n, np.int64), np.ones(n, dtype=bool))
        return pd.Series(numbers, copy=False)
    return pd.Series(np.full(n, np.datetime64("NaT"), dtype=dtype), copy=False)


def may_be_padded(texts: pd.Series) -> bool:
    """Whether an Arrow-backed text may start or end with whitespace.

    Looks at each text's first and last byte in Arrow's buffers, a chunk at a time, with no
    copy of the texts. ASCII control characters, space, and every byte of a non-ASCII
    character (a Unicode space is one) count: a "yes" may be too cautious, a "no" is sure.

    >>> may_be_padded(pd.Series(["a", "b "], dtype="str"))
    True
    >>> may_be_padded(pd.Series(["a"], dtype="str"))
    False
    """
    import pyarrow as pa

    column = pa.array(texts.array)
    for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
        _, offsets_buffer, data_buffer = chunk.buffers()
        if not len(chunk) or data_buffer is None or not data_buffer.size:
            continue
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(offsets_buffer, dtype=width).astype(np.int64, copy=False)
        offsets = offsets[chunk.offset :][: len(chunk) + 1]
        data = np.frombuffer(data_buffer, dtype=np.uint8)
        # An empty text's "first byte" is the next text's and its "last" the previous
        # text's (clipped at the buffer's ends): never a look too few.
        first = np.take(data, offsets[:-1], mode="clip")
        last = np.take(data, offsets[1:] - 1, mode="clip")
        if (np.minimum(first, last) <= 0x20).any() or (np.maximum(first, last) >= 0x7F).any():
            return True
    return False


def take_names(codes: np.ndarray, names: pd.Series) -> pd.Series:
    """A text column from codes into ``names`` (an Arrow take, no Python string per row)."""
    return names.take(codes).reset_index(drop=True)


def categorical(codes: np.ndarray, names: tuple[str, ...]) -> pd.Categorical[str]:
    """A categorical column from integer codes into ``names``."""
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=pd.Index(names))


def join_runs(texts: pd.Series, groups: np.ndarray, sep: str = ", ") -> pd.Series:
    """Texts joined with ``sep`` per run of equal ``groups`` (rows sorted by group), one
    entry per row: joined by Arrow as a list array, with no Python per group.

    >>> join_runs(pd.Series(["a", "b", "c"], dtype="str"), np.array([0, 0, 1])).tolist()
    ['a, b', 'a, b', 'c']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if texts.empty:
        return texts
    starts = run_starts(groups)
    offsets = pa.array(np.r_[starts, len(groups)].astype(np.int64))
    values = pa.array(texts.astype("str").array).cast(pa.large_string())
    lists = pa.LargeListArray.from_arrays(offsets, values)
    joined = pc.binary_join(lists, pa.scalar(sep, pa.large_string()))
    sizes = np.diff(np.r_[starts, len(groups)])
    per_row = joined.take(pa.array(np.repeat(np.arange(len(starts)), sizes)))
    return pd.Series(pd.array(per_row, dtype="str"), index=texts.index)


def names_per_group(
    names: pd.Series,
    codes: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    order: np.ndarray | None = None,
    sep: str = "; ",
) -> pd.Series:
    """Per group (``0 .. n_groups - 1``, or in ``order``), the names of its members joined
    with ``sep``, missing where it has none. ``codes`` index ``names``; members are sorted
    by group. A group of one member (the usual case) takes its name; only the others are
    joined. One Arrow take builds the column.

    >>> names = pd.Series(["A", "B"], dtype="str")
    >>> names_per_group(names, np.array([1, 0, 1]), np.array([0, 2, 2]), 3).tolist()
    ['B', nan, 'A; B']
    """
    import pyarrow as pa

    if len(codes) == 0:
        return repeated_text(None, n_groups if order is None else len(order))
    count = np.bincount(groups, minlength=n_groups)
    single = count[groups] == 1
    arrow_names = pa.array(names.array).cast(pa.large_string())
    if isinstance(arrow_names, pa.ChunkedArray):
        arrow_names = arrow_names.combine_chunks()
    parts = [arrow_names, pa.nulls(1, pa.large_string())]
    pick = np.full(n_groups, len(arrow_names), dtype=np.int64)  # just past the names: missing
    pick[groups[single]] = codes[single]
    several = ~single
    if several.any():  # joined names come after the missing one
        joined = join_runs(take_names(codes[several], names), groups[several], sep=sep)
        first = run_starts(groups[several])
        pick[groups[several][first]] = len(arrow_names) + 1 + np.arange(len(first))
        extra = pa.array(joined.iloc[first].array).cast(pa.large_string())
        parts.extend(getattr(extra, "chunks", [extra]))
    taken = pa.concat_arrays(parts).take(pa.array(pick if order is None else pick[order]))
    return pd.Series(pd.arrays.ArrowStringArray(taken), dtype="str")


# --- codes ------------------------------------------------------------------------------


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


# --- runs of equal keys ---------------------------------------------------------------


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


def format_each_distinct(values: np.ndarray, fmt: Callable[[Any], str]) -> np.ndarray:
    """``fmt`` of each element, each distinct value formatted once (an object array).

    >>> format_each_distinct(np.array([2.0, 1.0, 2.0]), lambda x: f"<{x:g}>").tolist()
    ['<2>', '<1>', '<2>']
    """
    uniques, inverse = np.unique(values, return_inverse=True)
    texts = np.array([fmt(u) for u in uniques], dtype=object)
    return texts[inverse.reshape(-1)]


def format_each_distinct_row(columns: list[np.ndarray], fmt: Callable[..., str]) -> np.ndarray:
    """``fmt(*row)`` of each row of several columns (floats, or int codes), each distinct
    row formatted once (an object array). NaN rows are alike.

    >>> format_each_distinct_row([np.array([1.0, 1, 2]), np.array([3, 3, 4])],
    ...                          lambda a, b: f"{a:g}/{b}").tolist()
    ['1/3', '1/3', '2/4']
    """
    key = np.zeros(len(columns[0]), dtype=np.int64)
    levels = []
    for column in columns:
        c, uniques = pd.factorize(column, use_na_sentinel=False)
        key = key * (len(uniques) + 1) + c
        levels.append(uniques)
    row_codes, keys = pd.factorize(key)
    texts = []
    for k in np.asarray(keys, dtype=np.int64):
        parts = []
        rest = int(k)
        for uniques in reversed(levels):
            rest, i = divmod(rest, len(uniques) + 1)
            parts.append(uniques[i])
        texts.append(fmt(*reversed(parts)))
    return np.array(texts, dtype=object)[row_codes]


# --- dates ------------------------------------------------------------------------------


def is_arrow_date(dtype: object) -> bool:
    """Whether a column holds Arrow dates (date32: as a CSV's ISO dates are read)."""
    import pyarrow as pa

    return isinstance(dtype, pd.ArrowDtype) and pa.types.is_date32(dtype.pyarrow_dtype)


def whole_days(dates: pd.Series) -> pd.Series:
    """Arrow dates as ``datetime64[us]`` at midnight (NaT where missing).

    Written chunk by chunk from the day numbers into one new array; pandas' own cast goes
    through a Python object per row, about 400 times slower.
    """
    import pyarrow as pa

    days = pa.array(dates.array)
    chunks = days.chunks if isinstance(days, pa.ChunkedArray) else [days]
    out = np.empty(len(dates), dtype="datetime64[us]")
    ticks = out.view(np.int64)
    first = 0
    for chunk in chunks:
        n = len(chunk)
        if not n:
            continue
        numbers = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset :][:n]
        np.multiply(numbers, DAY_US, out=ticks[first : first + n], dtype=np.int64)
        if chunk.null_count:
            ticks[first : first + n][chunk.is_null().to_numpy(zero_copy_only=False)] = NAT_INT64
        first += n
    return pd.Series(out, index=dates.index, name=dates.name, copy=False)


def at_midnight(dates: pd.Series) -> pd.Series:
    """Dates (datetime64[us]) at midnight; a column that is already (the usual case) is
    not rewritten. Checked a slice at a time in one small buffer: whole-column
    temporaries would cost more than the check."""
    ticks = dates.to_numpy().view(np.int64)
    step = 1 << 16
    rest = np.empty(min(step, len(ticks)), dtype=np.int64)
    for start in range(0, len(ticks), step):
        chunk = ticks[start : start + step]
        left = rest[: len(chunk)]
        np.remainder(chunk, DAY_US, out=left)
        if left[chunk != NAT_INT64].any():
            normalized: pd.Series = dates.dt.normalize()
            return normalized
    return dates


# --- bytes ------------------------------------------------------------------------------


def octets(data: Any) -> np.ndarray:
    """A bytes-like object (bytes, mmap) as uint8, without a copy."""
    return np.frombuffer(data, dtype=np.uint8)


def count_lines(data: Any) -> int:
    """Lines in a file's bytes (a last line without a newline counts).

    Compared a megabyte at a time into one small buffer: a whole-file comparison would
    allocate a mask as large as the file, and fresh memory is what costs most here.

    >>> count_lines(b"a\\nb\\n"), count_lines(b"a\\nb")
    (2, 2)
    """
    view = octets(data)
    step = 1 << 20
    hits = np.empty(min(step, len(view)), dtype=bool)
    newlines = 0
    for start in range(0, len(view), step):
        chunk = view[start : start + step]
        np.equal(chunk, ord("\n"), out=hits[: len(chunk)])
        newlines += int(np.count_nonzero(hits[: len(chunk)]))
    return newlines + int(len(data) > 0 and data[-1:] != b"\n")


def is_blank(data: Any) -> bool:
    """Whether a file's bytes are only whitespace (or nothing)."""
    if bytes(data[:65536]).strip():
        return False
    return len(data) <= 65536 or bool(np.isin(octets(data), list(b" \t\r\n\f\v")).all())

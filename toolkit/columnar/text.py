"""Text columns built by Arrow: constant columns by reference, names by a take of
their codes, joins of runs, and texts formatted once per distinct value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from toolkit.columnar.codes import run_starts

_CHUNK = 1 << 16


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


def format_each_distinct(values: np.ndarray, fmt: Callable[[Any], str]) -> np.ndarray:
    """``fmt`` of each element, each distinct value formatted once (an object array).

    >>> format_each_distinct(np.array([2.0, 1.0, 2.0]), lambda x: f"<{x:g}>").tolist()
    ['<2>', '<1>', '<2>']
    """
    uniques, inverse = np.unique(values, return_inverse=True)
    texts = np.array([fmt(u) for u in uniques], dtype=object)
    return texts[inverse.reshape(-1)]


def distinct_rows_formatted(
    columns: list[np.ndarray], fmt: Callable[..., str | None]
) -> tuple[np.ndarray, list[str | None]]:
    """Each row's code and the text of each distinct row (``fmt(*row)``, formatted once)
    of several columns (floats, or int codes; NaN rows are alike): a text column is then
    a take of a few texts, with no Python string per row (None: a missing text)."""
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
    return np.asarray(row_codes), texts


def texts_at(at: np.ndarray, texts: list[str]) -> pd.Series:
    """A text column: ``texts[at[i]]``, missing where ``at[i]`` is -1 (one Arrow take, no
    Python string per row)."""
    import pyarrow as pa

    taken = pa.array(texts, type=pa.large_string()).take(pa.array(at, mask=at < 0))
    return pd.Series(taken.to_pandas(types_mapper=None), dtype="str")

"""A figure is an interval: parsed figures to closed numeric intervals, and the one way
every finding, table and chart writes an interval or a count.

``at least 128`` is [128, inf); ``more than 60`` [61, inf); ``about 200`` 200 ± the suite's
tolerance; ``12-15`` [12, 15]; ``up to 10`` [0, 10]; an unknown figure has no interval (NaN).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.columnar import (
    distinct,
    distinct_rows_formatted,
    format_each_distinct,
    take_names,
)

QUALIFIERS: tuple[str, ...] = (
    "exact",
    "at_least",
    "more_than",
    "at_most",
    "fewer_than",
    "about",
    "range",
    "unknown",
)


def intervals(figures: pd.DataFrame, tolerance: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Closed intervals [lo, hi] (floats, ``inf`` for open ends) of parsed figures.

    Unknown figures give NaN. ``about`` widens the value by ``tolerance`` each way.

    >>> f = pd.DataFrame({"value": pd.array([128, 45, 200], dtype="Int64"),
    ...                   "low": pd.array([128, 45, None], dtype="Int64"),
    ...                   "high": pd.array([None, 45, None], dtype="Int64"),
    ...                   "qualifier": ["at_least", "exact", "about"]})
    >>> lo, hi = intervals(f, tolerance=0.1)
    >>> lo.round(6).tolist(), hi.round(6).tolist()
    ([128.0, 45.0, 180.0], [inf, 45.0, 220.0])
    """
    lo, hi, _ = intervals_and_points(figures, tolerance)
    return lo, hi


def _floats(column: pd.Series) -> np.ndarray:
    """A column as a float array of its own (NaN for missing), safe to change in place."""
    # copy=True: a Float64 column with no missing value would otherwise hand out its own
    # buffer, and the caller's table would change with the array (one copy either way).
    out: np.ndarray = column.to_numpy(dtype="float64", na_value=np.nan, copy=True)
    return out


def intervals_and_points(
    figures: pd.DataFrame, tolerance: float = 0.1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`intervals` and each figure's point: its value, or its low bound where the
    export gives none (a range). Built in place, a few arrays in all (one per row each
    would be a dozen): the qualifiers are coded once and each rule touches its rows only."""
    value, lo, hi = (_floats(figures[c]) for c in ("value", "low", "high"))
    no_low, no_high = np.isnan(lo), np.isnan(hi)
    np.copyto(lo, value, where=no_low)
    np.copyto(hi, value, where=no_high)
    # Compare small integer codes, not a Python string per row.
    q_codes, q_names = distinct(figures["qualifier"], np.int32)

    def rows(*names: str) -> np.ndarray | None:
        present = [q_names.index(n) for n in names if n in q_names]
        if not present:
            return None
        return np.isin(q_codes, present) if len(present) > 1 else q_codes == present[0]

    if (m := rows("at_least", "more_than")) is not None:
        np.copyto(hi, np.inf, where=m)
    if (m := rows("more_than")) is not None:
        np.add(value, 1, out=lo, where=m & no_low)
    if (m := rows("at_most", "fewer_than")) is not None:
        np.copyto(lo, 0.0, where=m)
    if (m := rows("fewer_than")) is not None:
        np.subtract(value, 1, out=hi, where=m & no_high)
    if (m := rows("about")) is not None:
        np.multiply(value, 1 - tolerance, out=lo, where=m)
        np.multiply(value, 1 + tolerance, out=hi, where=m)
    if (m := rows("unknown")) is not None:
        np.copyto(lo, np.nan, where=m)
        np.copyto(hi, np.nan, where=m)
    point = value
    np.copyto(point, lo, where=np.isnan(point))
    return lo, hi, point


# --- writing intervals and counts ------------------------------------------------------


def number_text(x: float) -> str:
    """A count or bound as a message shows it: ``1,234,567``, ``42.3``, ``∞``,
    ``unknown``.

    >>> number_text(1234567), number_text(float("inf")), number_text(float("nan"))
    ('1,234,567', '∞', 'unknown')
    """
    if np.isnan(x):
        return "unknown"
    if np.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def number_texts(x: np.ndarray) -> np.ndarray:
    """:func:`number_text` per element, each distinct number formatted once."""
    return format_each_distinct(np.asarray(x, dtype="float64"), number_text)


def interval_text(lo: float, hi: float, qualifier: object = None) -> str:
    """A figure's interval in a few characters: ``≥ 128``, ``45``, ``60–70``.

    The one formatter of intervals: findings, tables, charts and the console all use it.
    A qualifier, where known, says how the figure was published.

    >>> inf = float("inf")
    >>> interval_text(128, inf), interval_text(45, 45), interval_text(61, inf, "more_than")
    ('≥ 128', '45', '> 60')
    >>> interval_text(180, 220, "about"), interval_text(0, 4, "fewer_than"), interval_text(12, 15)
    ('≈ 200', '< 5', '12–15')
    >>> interval_text(float("nan"), float("nan")), interval_text(10, float("nan"))
    ('unknown', '10–unknown')
    """
    if lo != lo or hi != hi:  # NaN: a bound nobody gave
        if lo != lo and hi != hi:
            return "unknown"
        return f"{number_text(lo)}–{number_text(hi)}"
    if qualifier == "about":
        return f"≈ {number_text((lo + hi) / 2)}"
    if hi == float("inf"):
        if qualifier == "more_than":
            return f"> {number_text(lo - 1)}"
        return f"≥ {number_text(lo)}"
    if lo == hi:
        return number_text(lo)
    if lo == 0 and qualifier == "fewer_than":
        return f"< {number_text(hi + 1)}"
    if lo == 0 and qualifier == "at_most":
        return f"≤ {number_text(hi)}"
    return f"{number_text(lo)}–{number_text(hi)}"


def interval_texts(
    lo: np.ndarray, hi: np.ndarray, qualifiers: pd.Series | None = None
) -> np.ndarray:
    """:func:`interval_text` per element (an object array), each distinct (interval,
    qualifier) formatted once. ``qualifiers``: a text column aligned with the bounds.

    >>> interval_texts(np.array([128.0, 5]), np.array([np.inf, 5])).tolist()
    ['≥ 128', '5']
    """
    codes, texts = _distinct_intervals(lo, hi, qualifiers)
    out: np.ndarray = np.array(texts, dtype=object)[codes]
    return out


def interval_column(
    lo: np.ndarray, hi: np.ndarray, qualifiers: pd.Series | None = None
) -> pd.Series:
    """:func:`interval_texts` as an Arrow-backed text column, built by a take of the
    distinct texts (no Python string per row).

    >>> interval_column(np.array([128.0, 5]), np.array([np.inf, 5])).tolist()
    ['≥ 128', '5']
    """
    codes, texts = _distinct_intervals(lo, hi, qualifiers)
    return take_names(codes, pd.Series(pd.array(texts, dtype="str")))


def _distinct_intervals(
    lo: np.ndarray, hi: np.ndarray, qualifiers: pd.Series | None
) -> tuple[np.ndarray, list[str | None]]:
    """Each element's code and the text of each distinct (interval, qualifier)."""
    lo = np.asarray(lo, dtype="float64")
    hi = np.asarray(hi, dtype="float64")
    if qualifiers is None:
        return distinct_rows_formatted([lo, hi], interval_text)
    q, names = distinct(qualifiers.reset_index(drop=True))
    table = [*names, None]  # -1 (missing) takes the last entry
    return distinct_rows_formatted(
        [lo, hi, np.asarray(q, dtype=np.int64)], lambda a, b, i: interval_text(a, b, table[i])
    )

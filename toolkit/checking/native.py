"""The native engine: each expectation type is a vectorized function from views to masks.

The registry is an explicit dict from Great Expectations' expectation type to a function
returning an :class:`Outcome` (which rows fail, which rows the rule applies to, and what was
expected of each). Functions only read the views they are given, so the engine can run
partition by partition (one partition per incident keeps every cross-row rule whole).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from toolkit.checking.views import Views
from toolkit.columnar import previous_days
from toolkit.model.intervals import interval_texts, number_texts


@dataclass(frozen=True)
class Outcome:
    """``fail`` and ``applies`` are boolean masks over the figures rows; ``expected`` says
    what was expected, as text or as a function giving the text for a mask of rows (so
    messages are only formatted for the rows that fail); ``observed``, where given, what
    was seen instead of each failing figure's interval (for a rule about a whole line)."""

    fail: np.ndarray
    applies: np.ndarray
    expected: Callable[[np.ndarray], Any] | str = ""
    observed: Callable[[np.ndarray], Any] | None = None


def _column(views: Views, name: str) -> np.ndarray:
    col = views.figures[name]
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return col.to_numpy(dtype="datetime64[us]")
    return col.to_numpy(dtype="float64", na_value=np.nan)


def pair_greater(
    views: Views,
    column_A: str,
    column_B: str,
    or_equal: bool = False,
    ignore_row_if: str = "both_values_are_missing",
) -> Outcome:
    """GX's expect_column_pair_values_a_to_be_greater_than_b."""
    a, b = _column(views, column_A), _column(views, column_B)
    a_missing, b_missing = pd.isna(a), pd.isna(b)
    if ignore_row_if == "either_value_is_missing":
        ignored = a_missing | b_missing
    elif ignore_row_if == "neither":  # a missing value then fails the comparison
        ignored = np.zeros(len(a), dtype=bool)
    else:
        ignored = a_missing & b_missing
    with np.errstate(invalid="ignore"):
        ok = (a >= b) if or_equal else (a > b)
    applies = ~ignored
    return Outcome(applies & ~ok, applies, f"{column_A} {'>=' if or_equal else '>'} {column_B}")


def not_null(views: Views, column: str) -> Outcome:
    """GX's expect_column_values_to_not_be_null."""
    missing = views.figures[column].isna().to_numpy()
    return Outcome(missing, np.ones(len(missing), dtype=bool), "a value")


def in_set(views: Views, column: str, value_set: list[Any]) -> Outcome:
    """GX's expect_column_values_to_be_in_set (missing values are not judged)."""
    col = views.figures[column]
    applies = col.notna().to_numpy()
    fail = applies & ~col.isin(value_set).to_numpy()
    return Outcome(fail, applies, "one of " + ", ".join(map(str, value_set)))


def within_bounds(views: Views) -> Outcome:
    """Where the export gave bounds (exact figures and ranges): low <= value <= high.

    Other qualifiers derive their bounds from the value ("more than 60": low 61), so the
    check would only restate the parser.
    """
    f = views.figures
    value, low, high = (_column(views, c) for c in ("value", "low", "high"))
    applies = f["qualifier"].isin(["exact", "range"]).to_numpy()
    with np.errstate(invalid="ignore"):
        fail = (low > value) | (value > high) | (low > high)

    def bounds(m: np.ndarray) -> np.ndarray:
        lows, highs = number_texts(low[m]), number_texts(high[m])
        return np.asarray([f"between {a} and {b}" for a, b in zip(lows, highs, strict=True)])

    return Outcome(
        applies & fail,
        applies,
        bounds,
        lambda m: number_texts(value[m]),  # the value, not its interval (its bounds)
    )


def between(views: Views, column: str, min_value: Any = None, max_value: Any = None) -> Outcome:
    """GX's expect_column_values_to_be_between (numbers, or dates as datetimes)."""
    values = _column(views, column)
    applies = ~pd.isna(values)

    def as_value(v: Any) -> Any:
        if v is None:
            return None
        return np.datetime64(pd.Timestamp(v), "us") if values.dtype.kind == "M" else float(v)

    lo, hi = as_value(min_value), as_value(max_value)
    fail = np.zeros(len(values), dtype=bool)
    if lo is not None:
        fail |= applies & (values < lo)
    if hi is not None:
        fail |= applies & (values > hi)
    parts = [
        f">= {min_value:%Y-%m-%d}"
        if hasattr(min_value, "year")
        else (f">= {min_value}" if min_value is not None else ""),
        f"<= {max_value:%Y-%m-%d}"
        if hasattr(max_value, "year")
        else (f"<= {max_value}" if max_value is not None else ""),
    ]
    return Outcome(fail, applies, " and ".join(p for p in parts if p))


def not_above_parent(views: Views, child: str, parent: str) -> Outcome:
    """A part contradicts its whole only when its low bound exceeds the whole's high bound."""
    rows = views.rows_of(child)
    _, parent_hi = views.loosest(parent)
    p_hi = parent_hi[views.report[rows]]
    fail = np.zeros(len(views.figures), dtype=bool)
    applies = np.zeros(len(views.figures), dtype=bool)
    applies[rows[~np.isnan(p_hi)]] = True
    with np.errstate(invalid="ignore"):
        fail[rows] = views.lo[rows] > p_hi
    limit = np.full(len(views.figures), np.nan)
    limit[rows] = p_hi
    return Outcome(fail, applies, lambda m: "<= " + number_texts(limit[m]) + f" ({parent})")


def _parts_sum(views: Views, parts: list[str], bound: int) -> tuple[np.ndarray, np.ndarray]:
    """Per report: the sum of the parts' (lo if bound 0 else hi) and how many are present."""
    total = np.zeros(views.n_reports)
    present = np.zeros(views.n_reports, dtype=np.int64)
    for part in parts:
        lo, hi = views.loosest(part)
        val = lo if bound == 0 else hi
        given = ~np.isnan(val)
        total[given] += val[given]
        present += given
    return total, present


def parts_not_above_whole(views: Views, whole: str, parts: list[str]) -> Outcome:
    rows = views.rows_of(whole)
    parts_lo, present = _parts_sum(views, parts, 0)
    r = views.report[rows]
    fail = np.zeros(len(views.figures), dtype=bool)
    applies = np.zeros(len(views.figures), dtype=bool)
    applies[rows] = present[r] > 0
    with np.errstate(invalid="ignore"):
        fail[rows] = applies[rows] & (parts_lo[r] > views.hi[rows])
    total = np.full(len(views.figures), np.nan)
    total[rows] = parts_lo[r]
    return Outcome(fail, applies, lambda m: "≥ " + number_texts(total[m]) + " (the parts' sum)")


def parts_equal_whole(views: Views, whole: str, parts: list[str]) -> Outcome:
    """Exhaustive partition: with every part given, the parts' interval sum must meet the
    whole's interval."""
    rows = views.rows_of(whole)
    parts_lo, present = _parts_sum(views, parts, 0)
    parts_hi, _ = _parts_sum(views, parts, 1)
    r = views.report[rows]
    fail = np.zeros(len(views.figures), dtype=bool)
    applies = np.zeros(len(views.figures), dtype=bool)
    applies[rows] = present[r] == len(parts)
    with np.errstate(invalid="ignore"):
        apart = (parts_lo[r] > views.hi[rows]) | (parts_hi[r] < views.lo[rows])
    fail[rows] = applies[rows] & apart
    lo = np.full(len(views.figures), np.nan)
    hi = np.full(len(views.figures), np.nan)
    lo[rows], hi[rows] = parts_lo[r], parts_hi[r]
    return Outcome(
        fail,
        applies,
        lambda m: "= the parts' sum " + interval_texts(lo[m], hi[m]),
    )


def cumulative_not_to_drop(views: Views, measure: str) -> Outcome:
    """A figure whose high bound is below the low bound the same source gave in its
    previous report (the last one that gave a known figure) is a drop: one finding at the
    drop, naming the figure it fell from; later figures are held to the drop, not to the
    old peak.

    Sorted once by (series, date), so each day's highest low bound and the previous known
    one are array operations (no joins).
    """
    n = len(views.figures)
    fail = np.zeros(n, dtype=bool)
    applies = np.zeros(n, dtype=bool)
    rows = views.rows_of(measure)
    all_dates = views.figures["reported_on"].to_numpy(dtype="datetime64[us]")
    rows = rows[~np.isnat(all_dates[rows])]
    if len(rows) == 0:
        return Outcome(fail, applies)
    day = views.day[rows]
    series = views.series[rows]
    order = np.lexsort((day, series))
    rows, day, series = rows[order], day[order], series[order]
    # each (series, day): its highest low bound; held to the last earlier known one
    starts, day_lo, per_row = previous_days(series, day, views.lo[rows], np.fmax, True)
    known = per_row >= 0
    at = per_row[known]
    applies[rows[known]] = True
    fail[rows[known]] = views.hi[rows[known]] < day_lo[at]
    limit = np.full(n, np.nan)
    limit[rows[known]] = day_lo[at]
    when = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    when[rows[known]] = all_dates[rows[starts][at]]
    return Outcome(
        fail,
        applies,
        lambda m: (
            ">= "
            + number_texts(limit[m])
            + " (its report of "
            + np.datetime_as_string(when[m], unit="D").astype(object)
            + ")"
        ),
    )


def one_incident_per_key(views: Views) -> Outcome:
    """Rows of one source's incident key that names several incidents: its event starts
    fall into runs more than the suite's ``match_days`` apart (a reused case id). One
    figure a line fails: the finding is about the line, not each figure on it."""
    fail = views.two_incident_keys
    if fail.any():  # which line is which only matters where a key names two incidents
        fail = fail & views.first_of_line
    texts: list[tuple[list[str], list[str]]] = []  # both texts in one pass, when asked

    def named(rows: np.ndarray) -> tuple[list[str], list[str]]:
        if not texts:
            texts.append(_incidents_named(views, rows))
        return texts[0]

    return Outcome(
        fail,
        np.ones(len(fail), dtype=bool),
        lambda rows: named(rows)[1],
        lambda rows: named(rows)[0],
    )


def _incidents_named(views: Views, rows: np.ndarray) -> tuple[list[str], list[str]]:
    """For the failing ``rows``: the incident each line names (its event start and place),
    and what was expected (one incident per key, naming the key's other incidents by the
    first line of each)."""
    f = views.figures
    involved = np.flatnonzero(views.two_incident_keys)
    day = f["event_start"].take(involved).dt.strftime("%Y-%m-%d").fillna("")
    place = f["location"].take(involved).astype("str").fillna("")
    text = (day + " " + place).str.strip().tolist()
    key, run = views.key[involved].tolist(), views.runs[involved].tolist()
    named = dict(zip(involved.tolist(), text, strict=True))
    first: dict[int, dict[int, str]] = {}
    for k, r, t in zip(key, run, text, strict=True):
        first.setdefault(k, {}).setdefault(r, t)
    observed, expected = [], []
    for row in np.flatnonzero(rows).tolist():
        k, r = int(views.key[row]), int(views.runs[row])
        others = [t for other, t in first[k].items() if other != r]
        observed.append(named[row])
        expected.append("one incident per key; the key also names " + "; ".join(others))
    return observed, expected


def one_figure_per_report(views: Views) -> Outcome:
    """Rows of a (report, measure) group whose intervals are not all the same."""
    key = pd.factorize(
        views.report.astype(np.int64) * (int(views.series.max(initial=0)) + 1) + views.series
    )[0]
    lo = np.nan_to_num(views.lo, nan=-1.0)
    hi = np.nan_to_num(views.hi, nan=-1.0)
    frame = pd.DataFrame({"key": key, "lo": lo, "hi": hi})
    g = frame.groupby("key")
    differ = (g["lo"].transform("min") != g["lo"].transform("max")) | (
        g["hi"].transform("min") != g["hi"].transform("max")
    )
    applies = np.ones(len(views.figures), dtype=bool)
    return Outcome(differ.to_numpy(), applies, "one figure per incident, measure and date")


def increment_matches_cumulative(views: Views, measure: str, of: str) -> Outcome:
    """A report's new figure equals the change in the cumulative since the source's previous
    report (compared on point values, where both are known)."""
    n = len(views.figures)
    fail = np.zeros(n, dtype=bool)
    applies = np.zeros(n, dtype=bool)
    cum_rows = views.rows_of(of)
    cum = (
        pd.DataFrame(
            {
                "incident": views.figures["incident"].to_numpy(dtype=object)[cum_rows],
                "source": views.figures["source"].to_numpy(dtype=object)[cum_rows],
                "date": views.figures["reported_on"].to_numpy(dtype="datetime64[us]")[cum_rows],
                "value": views.figures["value"].to_numpy(dtype="float64", na_value=np.nan)[
                    cum_rows
                ],
            }
        )
        .dropna()
        .groupby(["incident", "source", "date"])["value"]
        .max()
        .reset_index()
    )
    cum = cum.sort_values(["incident", "source", "date"])
    cum["change"] = cum.groupby(["incident", "source"])["value"].diff()
    new_rows = views.rows_of(measure)
    new = pd.DataFrame(
        {
            "row": new_rows,
            "incident": views.figures["incident"].to_numpy(dtype=object)[new_rows],
            "source": views.figures["source"].to_numpy(dtype=object)[new_rows],
            "date": views.figures["reported_on"].to_numpy(dtype="datetime64[us]")[new_rows],
            "value": views.figures["value"].to_numpy(dtype="float64", na_value=np.nan)[new_rows],
        }
    ).merge(cum[["incident", "source", "date", "change"]], on=["incident", "source", "date"])
    new = new[new["change"].notna() & new["value"].notna()]
    r = new["row"].to_numpy()
    applies[r] = True
    fail[r] = new["value"].to_numpy() != new["change"].to_numpy()
    change = np.full(n, np.nan)
    change[r] = new["change"].to_numpy()
    return Outcome(fail, applies, lambda m: "= " + number_texts(change[m]) + f" (change in {of})")


Check = Callable[..., Outcome]
REGISTRY: dict[str, Check] = {
    "expect_figure_within_bounds": within_bounds,
    "expect_column_pair_values_a_to_be_greater_than_b": pair_greater,
    "expect_column_values_to_be_between": between,
    "expect_column_values_to_not_be_null": not_null,
    "expect_column_values_to_be_in_set": in_set,
    "expect_figure_not_above_parent": not_above_parent,
    "expect_parts_not_above_whole": parts_not_above_whole,
    "expect_parts_to_equal_whole": parts_equal_whole,
    "expect_cumulative_figure_not_to_drop": cumulative_not_to_drop,
    "expect_one_figure_per_report": one_figure_per_report,
    "expect_one_incident_per_key": one_incident_per_key,
    "expect_increment_to_match_cumulative": increment_matches_cumulative,
}

"""Cells of an export column to figures-table values: text, dates and counts.

Numbers stay numbers; text goes through the figure parser (``qualifiers``), each distinct
text once; dates parse strictly, in the profile's formats. Nothing loops over rows in
Python except to parse each distinct text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from toolkit.columnar import at_midnight, distinct, is_arrow_date, may_be_padded, repeated_text
from toolkit.reading.qualifiers import INT64_MAX, parse_figures


def as_text(series: pd.Series) -> pd.Series:
    if series.dtype == "str":
        out = series
    else:
        out = series.map(
            lambda v: (
                None
                if v is None or (isinstance(v, float) and np.isnan(v))
                else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
            )
        )
        out = out.astype("str")
    if may_be_padded(out):  # trimming writes every text anew: only when one needs it
        out = out.str.strip()
    return out.replace("", None) if bool(out.eq("").any()) else out


def to_datetime(texts: pd.Series, fmt: str) -> pd.Series:
    """Strict parse (2017-02-30 fails) to naive UTC datetimes; NaT where the text fails."""

    def one(text: str) -> pd.Timestamp | None:
        try:
            return pd.to_datetime(text, format=fmt, utc=True)
        except (ValueError, OverflowError):
            return None

    try:
        got = pd.to_datetime(texts, format=fmt, errors="coerce", utc=True)
    except (ValueError, OverflowError):  # a mix pandas will not parse in one go
        got = pd.to_datetime(texts.map(one), utc=True)
    return got.dt.tz_localize(None).astype("datetime64[us]")


def parse_dates(raw: pd.Series, formats: tuple[str, ...]) -> tuple[pd.Series, np.ndarray]:
    """Dates (datetime64[us], normalized to midnight) and a mask of cells that failed.

    Arrow dates are whole days already, and stay Arrow until the figures table is built.
    """
    if is_arrow_date(raw.dtype):
        return raw, np.zeros(len(raw), dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        if getattr(raw.dtype, "tz", None) is not None:
            raw = raw.dt.tz_convert("UTC").dt.tz_localize(None)
        parsed = at_midnight(raw.astype("datetime64[us]"))
        return parsed, np.zeros(len(raw), dtype=bool)
    if raw.dtype == object and len(raw) and raw.map(lambda v: hasattr(v, "year")).any():
        raw = raw.map(lambda v: v.isoformat() if hasattr(v, "year") else v)
    text = as_text(raw)
    codes, uniques = distinct(text)  # dates repeat: parse each distinct text once
    u = pd.Series(uniques, dtype="str")
    parsed_u = pd.Series(pd.NaT, index=u.index, dtype="datetime64[us]")
    for fmt in formats:
        todo = parsed_u.isna().to_numpy()
        if not todo.any():
            break
        parsed_u[todo] = to_datetime(u[todo], fmt)
    values = np.append(parsed_u.dt.normalize().to_numpy(), np.datetime64("NaT", "us"))
    result = pd.Series(values[np.where(codes >= 0, codes, len(u))], index=raw.index, copy=False)
    failed = (codes >= 0) & result.isna().to_numpy()
    return result, failed


def numeric_counts(series: pd.Series) -> pd.DataFrame:
    """Counts from a numeric column: blanks, numbers past int64 and fractions are marked."""
    n = len(series)
    blank = series.isna().to_numpy()
    too_big = fractional = np.zeros(n, dtype=bool)
    if pd.api.types.is_integer_dtype(series.dtype):
        ints = series.to_numpy(dtype="int64", na_value=0)
    else:  # float: NaN for blanks, or numbers pyarrow could not fit in int64
        arr = series.to_numpy(dtype="float64", na_value=np.nan)
        too_big = ~blank & (np.abs(arr) > INT64_MAX)  # inf too
        fractional = ~blank & ~too_big & (arr != np.floor(arr))
        ints = np.where(blank | too_big | fractional, 0, arr).astype(np.int64)
    bad = too_big | fractional
    # One Series serves value, low and high: copy-on-write copies it if one is changed.
    value = pd.Series(pd.arrays.IntegerArray(ints, blank | bad), copy=False)
    nulls = repeated_text(None, n)  # immutable Arrow data: one array serves both text columns
    problem = nulls
    qualifier = repeated_text("exact", n)
    if blank.any():  # a blank cell is no count: unknown, as blank text is
        qualifier = qualifier.where(~blank, "unknown")
    if bad.any():
        messages = np.full(n, None, dtype=object)
        messages[too_big] = "number is too large for a count"
        messages[fractional] = "a count is a whole number"
        problem = pd.Series(messages, dtype="str")
        qualifier = qualifier.where(~bad, "unknown")
    return pd.DataFrame(
        {
            "value": value,
            "low": value,
            "high": value,
            "qualifier": qualifier,
            "figure_text": nulls,
            "problem": problem,
            "invalid": bad,
            "blank": blank,
        },
        copy=False,
    )


# Text a number column would have held: pyarrow reads such a column as numbers, so the
# same cell must get the same verdict in a text column ("2.5", "1e308", "inf", "NaN").
_NUMBER_TEXT = r"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf|infinity|nan)"


def read_counts(
    series: pd.Series,
    words: Mapping[str, object],
    sentinels: tuple[int, ...],
    signed: bool | Callable[[np.ndarray], np.ndarray] = False,
) -> pd.DataFrame:
    """Figures from one export column: numbers stay numbers, text goes through the parser.

    A cell gets the same verdict whether its column holds numbers or text. Negative
    figures are errors unless ``signed`` (for the whole column, or a function of the
    negative rows' positions that says which may be negative) says the
    measure is a change, not a count.

    Columns: value, low, high, qualifier, figure_text, problem, invalid, blank.
    """
    if pd.api.types.is_integer_dtype(series.dtype) or pd.api.types.is_float_dtype(series.dtype):
        out = numeric_counts(series)
    else:
        text = as_text(series).reset_index(drop=True)
        out = parse_figures(text, words).assign(figure_text=text, blank=text.isna().to_numpy())
        _numbers_in_text(out, text)
    if sentinels:
        is_sentinel = out["value"].isin(list(sentinels)).fillna(False).to_numpy(dtype=bool)
        if is_sentinel.any():
            out = out.copy()  # columns read zero-copy (pyarrow) are read-only
            for c in ("value", "low", "high"):
                out.loc[is_sentinel, c] = pd.NA
            out.loc[is_sentinel, "qualifier"] = "unknown"
    negative = ((out["value"] < 0) | (out["low"] < 0)).to_numpy(dtype=bool, na_value=False)
    if signed is not False and negative.any():  # asked of the few negative rows only
        rows = np.flatnonzero(negative)
        negative[rows if signed is True else rows[signed(rows)]] = False
    if negative.any():
        out.loc[negative, "problem"] = (
            "a count cannot be negative (declare sentinels such as -1 in the profile if it "
            "means unknown, or mark the measure 'signed: true' in the taxonomy if it is a change)"
        )
        out.loc[negative, "invalid"] = True
    out.index = series.index
    return out


def _numbers_in_text(out: pd.DataFrame, text: pd.Series) -> None:
    """Give text the figure parser cannot read, but that is a number (``2.5``, ``1e308``,
    ``inf``, ``NaN``), the verdict the number would get in a column of numbers."""
    unread = (out["problem"].notna() & ~out["invalid"].astype(bool)).to_numpy()
    if not unread.any():
        return
    candidates = text[unread]
    is_number = candidates.str.fullmatch(_NUMBER_TEXT, case=False).fillna(False).to_numpy(bool)
    if not is_number.any():
        return
    rows = np.flatnonzero(unread)[is_number]
    as_numbers = numeric_counts(pd.Series(candidates[is_number].astype(float).to_numpy()))
    for c in ("value", "low", "high", "qualifier", "problem", "invalid", "blank"):
        out.loc[out.index[rows], c] = as_numbers[c].to_numpy()


def observed(series: pd.Series, mask: np.ndarray) -> np.ndarray:
    return as_text(series[mask]).fillna("").to_numpy(dtype=object)

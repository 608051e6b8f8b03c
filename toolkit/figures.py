"""The figures table: one row per figure one source published about one incident.

Owns the canonical columns, their dtypes, and the pandera schema that checks them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from toolkit.qualifiers import QUALIFIERS

if TYPE_CHECKING:
    from toolkit.taxonomy import Taxonomy

DTYPES: dict[str, str] = {
    "incident": "str",
    "source": "str",
    "measure": "str",
    "value": "Int64",
    "low": "Int64",
    "high": "Int64",
    "qualifier": "str",
    "figure_text": "str",
    "reported_on": "datetime64[us]",
    "event_start": "datetime64[us]",
    "event_end": "datetime64[us]",
    "location": "str",
    "country": "str",
    "citation": "str",
    "origin_file": "str",
    "origin_row": "Int64",
}
COLUMNS: tuple[str, ...] = tuple(DTYPES)
REQUIRED: tuple[str, ...] = ("incident", "source", "measure", "value", "low", "high", "qualifier")
DATE_COLUMNS: tuple[str, ...] = ("reported_on", "event_start", "event_end")


def empty() -> pd.DataFrame:
    """A figures table with no rows."""
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in DTYPES.items()})


_CHUNK = 1 << 16
DAY_US = np.int64(86_400_000_000)  # a day in the table's datetime64[us] ticks
NAT_INT64 = np.iinfo(np.int64).min  # NaT as a datetime64 tick count


def repeated_text(value: str | None, n: int) -> pd.Series:
    """``n`` copies of one text (``None``: missing), as Arrow-backed ``str``.

    One chunk of at most 65,536 rows is built and repeated by reference, so a constant
    column (a file's name, a measure of a wide export) costs the same memory at any length.
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
    """``n`` missing values of a figures-table dtype, built without a Python object per row."""
    if dtype == "str":
        return repeated_text(None, n)
    if dtype == "Int64":
        numbers = pd.arrays.IntegerArray(np.zeros(n, np.int64), np.ones(n, dtype=bool))
        return pd.Series(numbers, copy=False)
    return pd.Series(np.full(n, np.datetime64("NaT"), dtype=dtype), copy=False)


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
    at = 0
    for chunk in chunks:
        n = len(chunk)
        if not n:
            continue
        numbers = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset :][:n]
        np.multiply(numbers, DAY_US, out=ticks[at : at + n], dtype=np.int64)
        if chunk.null_count:
            ticks[at : at + n][chunk.is_null().to_numpy(zero_copy_only=False)] = NAT_INT64
        at += n
    return pd.Series(out, index=dates.index, name=dates.name, copy=False)


def conform(df: pd.DataFrame) -> pd.DataFrame:
    """Add missing optional columns and cast every canonical column to its dtype. Arrow
    dates, in any column, become ``datetime64[us]``."""
    arrow_dates = {c for c, t in df.dtypes.items() if is_arrow_date(t)}
    if (
        not arrow_dates
        and list(df.columns[: len(COLUMNS)]) == list(COLUMNS)
        and all(str(df[c].dtype) == t for c, t in DTYPES.items())
    ):
        return df  # already a figures table
    cols: dict[str, pd.Series] = {}
    for c, t in DTYPES.items():
        if c not in df:
            cols[c] = missing_column(t, len(df)).set_axis(df.index)
        elif c not in arrow_dates and str(df[c].dtype) != t:
            col = pd.to_datetime(df[c]) if t == "datetime64[us]" else df[c]
            cols[c] = col.astype(t)  # type: ignore[call-overload]  # dtype names from DTYPES
        else:
            cols[c] = df[c]
    cols.update({c: df[c] for c in df.columns if c not in DTYPES})
    return pd.DataFrame(
        {c: whole_days(col) if c in arrow_dates else col for c, col in cols.items()},
        index=df.index,
        copy=False,
    )


def schema(taxonomy: Taxonomy | None = None, countries: frozenset[str] | None = None) -> Any:
    """The pandera schema of the figures table.

    Types, required fields, allowed qualifiers, measures in the taxonomy, ISO 3166-1
    alpha-3 countries and non-negative counts. Imported lazily: pandera is only needed to check.
    """
    import pandera.pandas as pa

    def count(name: str) -> Any:
        return pa.Column(
            "Int64", pa.Check.ge(0, error=f"{name} is a count: not negative"), nullable=True
        )

    measure_checks = []
    if taxonomy is not None:
        measure_checks.append(pa.Check.isin(list(taxonomy.names), error="measure in taxonomy"))
    country_checks = []
    if countries is not None:
        country_checks.append(pa.Check.isin(sorted(countries), error="ISO 3166-1 alpha-3 code"))
    return pa.DataFrameSchema(
        {
            "incident": pa.Column(str, nullable=False),
            "source": pa.Column(str, nullable=False),
            "measure": pa.Column(str, checks=measure_checks, nullable=False),
            "value": count("value"),
            "low": count("low"),
            "high": count("high"),
            "qualifier": pa.Column(
                str, pa.Check.isin(list(QUALIFIERS), error="allowed qualifier"), nullable=False
            ),
            "figure_text": pa.Column(str, nullable=True),
            "reported_on": pa.Column("datetime64[us]", nullable=True),
            "event_start": pa.Column("datetime64[us]", nullable=True),
            "event_end": pa.Column("datetime64[us]", nullable=True),
            "location": pa.Column(str, nullable=True),
            "country": pa.Column(str, checks=country_checks, nullable=True),
            "citation": pa.Column(str, nullable=True),
            "origin_file": pa.Column(str, nullable=True),
            "origin_row": pa.Column("Int64", nullable=True),
        },
        strict=False,
        coerce=False,
        name="figures table",
    )

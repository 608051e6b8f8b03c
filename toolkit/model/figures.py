"""The figures table: one row per figure one source published about one incident.

Owns the canonical columns and their dtypes (the schema stage checks them with pandera).
"""

from __future__ import annotations

import pandas as pd

from toolkit.columnar import is_arrow_date, missing_column, whole_days
from toolkit.errors import NotAFiguresTable, closest

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
    "admin1": "str",
    "country": "str",
    "title": "str",
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


def missing_columns(df: pd.DataFrame) -> str | None:
    """The message for a frame that is not a figures table, or None when it is one."""
    missing = [c for c in REQUIRED if c not in df.columns]
    if not missing:
        return None
    present = [str(c) for c in df.columns]
    parts = []
    for c in missing:
        close = closest(c, present)
        parts.append(f"{c!r}" + (f" (did you mean {close!r}?)" if close else ""))
    return (
        "not a figures table: missing column"
        + ("s " if len(parts) > 1 else " ")
        + ", ".join(parts)
        + ". Read exports with cc.read(...) to get one."
    )


def require(df: object) -> pd.DataFrame:
    """``df`` itself when it is a figures table; else :class:`NotAFiguresTable` naming the
    missing columns."""
    if not isinstance(df, pd.DataFrame):
        raise NotAFiguresTable(
            f"expected a figures table (a pandas DataFrame), not {type(df).__name__}"
        )
    problem = missing_columns(df)
    if problem:
        raise NotAFiguresTable(problem)
    return df

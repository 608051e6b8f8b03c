"""Shapes a profile reads without pandas first: one column per date (``dates_in_columns``)
and sub-units summed (``aggregate``). See :mod:`toolkit.suite.profiles` for what they mean.

Both work on columns: a date column is read as one block of figures, as a wide export's
figure column is (a loop over date columns, none over rows), and parts are summed per
group with integer codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.columnar import codes, combine_codes, join_runs
from toolkit.errors import InputError
from toolkit.reading.raw import RawTable
from toolkit.suite.profiles import FigureSpec, Profile
from toolkit.suite.taxonomy import Taxonomy


def date_columns(
    raw: RawTable, profile: Profile, taxonomy: Taxonomy
) -> tuple[list[FigureSpec], list[np.datetime64]]:
    """One figure block per header that is a date in the profile's format, and its date.

    Raises :class:`SuiteError` for a measure the taxonomy lacks and :class:`InputError`
    when no header is a date in that format.
    """
    spec = profile.dates_in_columns
    assert spec is not None
    taxonomy.require(spec.measure, f"dates_in_columns, profile {profile.name!r}", profile.path)
    headers = [str(c) for c in raw.frame.columns]
    stripped = pd.Series([h.strip() for h in headers], dtype=object)  # "1/23/20 " too
    parsed = pd.to_datetime(stripped, format=spec.format, errors="coerce")
    is_date = parsed.notna().to_numpy()
    if not is_date.any():
        shown = ", ".join(repr(h) for h in headers[:6]) + (", …" if len(headers) > 6 else "")
        raise InputError(
            f"no header is a date in the format {spec.format!r} (dates_in_columns, profile "
            f"{profile.name!r}); the headers are {shown}",
            raw.path,
            raw.header_line or None,
        )
    _no_date_lost(raw, spec.format, headers, stripped, parsed)
    days = parsed[is_date].to_numpy(dtype="datetime64[us]")
    columns = list(raw.frame.columns[is_date])
    return [FigureSpec(spec.measure, (c,)) for c in columns], list(days)


_LOOKS_LIKE_A_DATE = r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}"


def _no_date_lost(
    raw: RawTable, fmt: str, headers: list[str], stripped: pd.Series, parsed: pd.Series
) -> None:
    """An :class:`InputError` for a header that looks like a date but is not in the format
    (its figures would be lost), or for two headers of one date (two figures for one
    report)."""
    other = stripped[parsed.isna() & stripped.str.fullmatch(_LOOKS_LIKE_A_DATE).fillna(False)]
    if len(other):
        i = int(other.index[0])
        raise InputError(
            f"header {headers[i]!r} looks like a date but is not one in the format {fmt!r} "
            "(dates_in_columns): its figures would be lost; fix the format or the header",
            raw.path,
            raw.header_line or None,
            i + 1,
        )
    twice = parsed[parsed.notna() & parsed.duplicated(keep=False)]
    if len(twice):
        first, second = (int(i) for i in twice.index[:2])
        raise InputError(
            f"headers {headers[first]!r} and {headers[second]!r} are one date "
            f"({parsed[first]:%Y-%m-%d}): two figures for one report (dates_in_columns)",
            raw.path,
            raw.header_line or None,
            second + 1,
        )


def on_date(day: np.datetime64, n: int) -> pd.Series:
    """A report-date column of ``n`` rows, all ``day``."""
    return pd.Series(np.full(n, day, dtype="datetime64[us]"))


@dataclass(frozen=True)
class Grouping:
    """The records of one file grouped for summing: each accepted record's group (-1 for a
    rejected one), and per group its first record's columns (``base``, ``extras``,
    ``lines``), with the values that differ within the group left empty (they describe
    one part, not the sum), and what its sum sums (``text``)."""

    groups: np.ndarray
    first: np.ndarray  # per group, its first record
    base: Mapping[str, pd.Series]
    extras: pd.DataFrame
    lines: np.ndarray
    text: pd.Series

    @classmethod
    def of(
        cls,
        keys: list[pd.Series],
        base: Mapping[str, pd.Series],
        extras: pd.DataFrame,
        rejected: np.ndarray,
        lines: np.ndarray,
    ) -> Grouping:
        """Records grouped by ``keys`` (the ``by`` export columns, and a long export's
        measures) and by the incident, source and report date they name."""
        n = len(rejected)
        keys = keys + [base[c] for c in ("incident", "source", "reported_on") if c in base]
        coded = [codes(k.reset_index(drop=True), missing_group=True) for k in keys]
        groups = np.where(rejected, -1, combine_codes(coded, n))
        part = groups >= 0
        groups[part] = pd.factorize(groups[part])[0]  # dense, in order of first record
        size = int(groups.max(initial=-1)) + 1
        first = np.full(size, n, dtype=np.int64)
        np.minimum.at(first, groups[part], np.flatnonzero(part))
        at = pd.Index(first)
        index = pd.RangeIndex(size)
        return cls(
            groups,
            first,
            {k: _first_of_group(v, groups, at, index) for k, v in base.items()},
            pd.DataFrame(
                {c: _first_of_group(extras[c], groups, at, index) for c in extras.columns},
                index=index,
            ),
            lines[first],
            _summed_text(groups, part, lines, size),
        )


def _first_of_group(
    values: pd.Series, groups: np.ndarray, first: pd.Index, index: pd.RangeIndex
) -> pd.Series:
    """Per group, its first record's value; empty where the group's values differ."""
    values = values.reset_index(drop=True)
    ok = groups >= 0
    per = values[ok].groupby(groups[ok]).nunique(dropna=False)
    out = values.take(first.to_numpy()).set_axis(index)
    differs = per.reindex(index, fill_value=1).to_numpy() > 1
    return out.where(~differs) if differs.any() else out


def summed(grouping: Grouping, figures: pd.DataFrame, signed: np.ndarray) -> pd.DataFrame:
    """One block's figures summed per group (one row a group, ``keep`` where a part was
    read). Lows add and highs add (an open part makes an open sum); a part not read (bad,
    blank, unknown) makes the sum a lower bound, or unknown for a signed measure
    (``signed``: per record, whether its measure is signed)."""
    groups = grouping.groups
    part = groups >= 0
    low = figures["low"].to_numpy(dtype="float64", na_value=np.nan)
    high = figures["high"].to_numpy(dtype="float64", na_value=np.nan)
    value = figures["value"].to_numpy(dtype="float64", na_value=np.nan)
    read = part & ~figures["invalid"].to_numpy(dtype=bool) & ~figures["blank"].to_numpy()
    known = read & ~np.isnan(low)
    size = len(grouping.first)
    g = np.where(part, groups, 0)

    def total(x: np.ndarray, where: np.ndarray) -> np.ndarray:
        return np.bincount(g[where], weights=x[where], minlength=size)

    def count(where: np.ndarray) -> np.ndarray:
        return np.bincount(g[where], minlength=size)

    parts, n_known = count(part), count(known)
    lo = total(low, known)
    missing = n_known < parts  # a part not read
    open_ = missing | (count(known & np.isnan(high)) > 0)
    hi = np.where(open_, np.nan, total(np.nan_to_num(high), known & ~np.isnan(high)))
    exact = count(known & (figures["qualifier"] == "exact").to_numpy(dtype=bool)) == parts
    point = total(np.where(np.isnan(value), low, value), known)
    unknown = (count(part & signed) > 0) & missing
    qualifier = np.where(
        unknown, "unknown", np.where(open_, "at_least", np.where(lo == hi, "exact", "range"))
    )
    val = np.where(unknown | (qualifier == "range"), np.nan, np.where(exact, point, lo))
    lo, hi = np.where(unknown, np.nan, lo), np.where(unknown, np.nan, hi)
    return pd.DataFrame(
        {
            "value": _counts(val),
            "low": _counts(lo),
            "high": _counts(hi),
            "qualifier": pd.array(qualifier, dtype="str"),
            "figure_text": pd.array([None] * size, dtype="str"),
            "measure": figures["measure"].take(grouping.first).reset_index(drop=True),
            "keep": n_known > 0,
        }
    ).reset_index(drop=True)


def _counts(sums: np.ndarray) -> pd.Series:
    """Sums (floats, NaN for none) as whole counts."""
    return pd.Series(np.round(sums)).astype("Int64")


def _summed_text(groups: np.ndarray, part: np.ndarray, lines: np.ndarray, size: int) -> pd.Series:
    """Per group, what its sum sums: "sum of 3 rows: lines 2, 3, 4"."""
    rows = np.flatnonzero(part)
    order = rows[np.argsort(groups[rows], kind="stable")]
    listed = join_runs(pd.Series(lines[order].astype(str), dtype="str"), groups[order])
    starts = np.flatnonzero(np.r_[True, np.diff(groups[order]) != 0]) if len(order) else order
    counts = np.bincount(groups[order], minlength=size)
    text = listed.reset_index(drop=True).take(starts).reset_index(drop=True)
    rows_ = pd.Series(np.where(counts == 1, " row: line ", " rows: lines "), dtype="str")
    return "sum of " + pd.Series(counts.astype(str), dtype="str") + rows_ + text

"""Apply a source profile to a raw table: records become rows of the figures table.

Every record is either accepted or rejected with an ``input`` finding that names file, line
and column; figure text nobody can read is kept as an ``unknown`` figure with a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from toolkit import figures as ft
from toolkit.errors import InputError, did_you_mean
from toolkit.profiles import CANONICAL, DATE_COLUMNS, MAPPABLE, LongSpec, Profile
from toolkit.qualifiers import INT64_MAX, distinct, parse_figures
from toolkit.readers.formats import RawTable
from toolkit.taxonomy import Taxonomy


@dataclass
class Mapped:
    """The figures one file gave, and what went wrong on the way."""

    figures: pd.DataFrame
    problems: pd.DataFrame  # one row per problem: record, column, severity, rule, observed, message
    rows_rejected: int  # records rejected here or by the file reader
    blank_cells: int


def text_columns(profile: Profile) -> set[str]:
    """Export columns that must stay text (identifiers, names and dates)."""
    cols = {col for target, col in profile.columns.items() if target in MAPPABLE}
    if profile.long:
        cols.add(profile.long.measure)
    return cols


class _Problems:
    """Collects per-record problems as arrays (no Python loop over rows)."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(
        self,
        records: np.ndarray,
        *,
        column: str | None,
        severity: str,
        rule: str,
        observed: Any,
        expected: str,
        message: Any,
    ) -> None:
        if len(records) == 0:
            return
        self.parts.append(
            pd.DataFrame(
                {
                    "record": records,
                    "column": column,
                    "severity": severity,
                    "rule": rule,
                    "observed": observed,
                    "expected": expected,
                    "message": message,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(
                {
                    c: pd.Series([], dtype=object)
                    for c in (
                        "record",
                        "column",
                        "severity",
                        "rule",
                        "observed",
                        "expected",
                        "message",
                    )
                }
            )
        return pd.concat(self.parts, ignore_index=True)


def _as_text(series: pd.Series) -> pd.Series:
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
    return out.str.strip().replace("", None)


def _null_text(n: int) -> pd.Series:
    import pyarrow as pa

    return pd.Series(pa.nulls(n, pa.large_string()), dtype="str")


def _parse_dates(raw: pd.Series, formats: tuple[str, ...]) -> tuple[pd.Series, np.ndarray]:
    """Dates (datetime64[us], normalized to midnight) and a mask of cells that failed."""
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        parsed = raw.astype("datetime64[us]").dt.normalize()
        return parsed, np.zeros(len(raw), dtype=bool)
    if raw.dtype == object and len(raw) and raw.map(lambda v: hasattr(v, "year")).any():
        raw = raw.map(lambda v: v.isoformat() if hasattr(v, "year") else v)
    text = _as_text(raw)
    codes, uniques = distinct(text)  # dates repeat: parse each distinct text once
    u = pd.Series(uniques, dtype="str")
    parsed_u = pd.Series(pd.NaT, index=u.index, dtype="datetime64[us]")
    for fmt in formats:
        todo = parsed_u.isna().to_numpy()
        if not todo.any():
            break
        got = pd.to_datetime(u[todo], format=fmt, errors="coerce")  # strict: no 2017-02-30
        parsed_u[todo] = got.astype("datetime64[us]")
    values = np.append(parsed_u.dt.normalize().to_numpy(), np.datetime64("NaT", "us"))
    result = pd.Series(values[np.where(codes >= 0, codes, len(u))], index=raw.index)
    failed = (codes >= 0) & result.isna().to_numpy()
    return result, failed


def _read_counts(
    series: pd.Series, words: Mapping[str, object], sentinels: tuple[int, ...]
) -> pd.DataFrame:
    """Figures from one export column: numbers stay numbers, text goes through the parser.

    Columns: value, low, high, qualifier, figure_text, problem, invalid, blank.
    """
    n = len(series)
    if pd.api.types.is_integer_dtype(series.dtype) or pd.api.types.is_float_dtype(series.dtype):
        arr = series.to_numpy(dtype="float64", na_value=np.nan)
        blank = np.isnan(arr)
        too_big = ~blank & (np.abs(arr) > INT64_MAX)
        fractional = ~blank & ~too_big & (arr != np.floor(arr))
        bad = too_big | fractional
        ints = np.where(blank | bad, 0, arr).astype(np.int64)
        if pd.api.types.is_integer_dtype(series.dtype):
            ints = np.where(blank, 0, series.to_numpy(dtype="int64", na_value=0))
        value = pd.array(ints, dtype="Int64")
        value[blank | bad] = pd.NA
        problem = np.full(n, None, dtype=object)
        problem[too_big] = "number is too large for a count"
        problem[fractional] = "a count is a whole number"
        out = pd.DataFrame(
            {
                "value": value,
                "low": value.copy(),
                "high": value.copy(),
                "qualifier": pd.Series("exact", index=pd.RangeIndex(n), dtype="str").where(
                    ~bad, "unknown"
                ),
                "figure_text": _null_text(n),
                "problem": _null_text(n) if not bad.any() else pd.Series(problem, dtype="str"),
                "invalid": bad,
                "blank": blank,
            }
        )
    else:
        text = _as_text(series)
        parsed = parse_figures(text.reset_index(drop=True), words)
        out = parsed.assign(figure_text=text.reset_index(drop=True), blank=text.isna().to_numpy())
    if sentinels:
        is_sentinel = out["value"].isin(list(sentinels)).fillna(False).to_numpy(dtype=bool)
        if is_sentinel.any():
            for c in ("value", "low", "high"):
                out.loc[is_sentinel, c] = pd.NA
            out.loc[is_sentinel, "qualifier"] = "unknown"
    negative = ((out["value"] < 0).fillna(False) | (out["low"] < 0).fillna(False)).to_numpy(
        dtype=bool
    )
    if negative.any():
        out.loc[negative, "problem"] = (
            "a count cannot be negative (declare sentinels such "
            "as -1 in the profile if it means unknown)"
        )
        out.loc[negative, "invalid"] = True
    out.index = series.index
    return out


def _observed(series: pd.Series, mask: np.ndarray) -> np.ndarray:
    return series[mask].astype("str").to_numpy(dtype=object)


def apply_profile(
    raw: RawTable,
    profile: Profile,
    taxonomy: Taxonomy,
    words: Mapping[str, object],
    display_path: str,
) -> Mapped:
    """Turn one raw table into figures; see the module docstring."""
    frame = raw.frame.reset_index(drop=True)
    n = len(frame)
    canonical = profile is CANONICAL
    long: LongSpec | None
    if canonical:
        value_col = "figure_text" if "figure_text" in frame and "value" not in frame else "value"
        long = LongSpec(
            measure="measure",
            value=value_col,
            low="low" if "low" in frame else None,
            high="high" if "high" in frame else None,
        )
        columns = {c: c for c in MAPPABLE if c in frame}
    else:
        long = profile.long
        columns = dict(profile.columns)
        for col, purpose in profile.export_columns().items():
            if col not in frame.columns:
                raise InputError(
                    f"column {col!r} ({purpose}, profile {profile.name!r}) not found in the "
                    "header." + did_you_mean(col, map(str, frame.columns)),
                    raw.path,
                    raw.header_line or None,
                )
    problems = _Problems()
    number = raw.column_numbers

    def col_ref(col: str) -> str:
        return col

    # Per-record columns.
    base: dict[str, Any] = {}
    for target in MAPPABLE:
        if target in columns:
            src = columns[target]
            if target in DATE_COLUMNS:
                parsed, failed = _parse_dates(frame[src], profile.formats_for(target))
                base[target] = parsed
                if failed.any():
                    fmts = " or ".join(profile.formats_for(target))
                    problems.add(
                        np.flatnonzero(failed),
                        column=col_ref(src),
                        severity="error",
                        rule="bad-date",
                        observed=_observed(frame[src], failed),
                        expected=fmts,
                        message=f"{target}: not a date in format {fmts}; row not read",
                    )
            else:
                base[target] = _as_text(frame[src])
        elif target in profile.constants:
            value = profile.constants[target]
            base[target] = (
                pd.Series(pd.Timestamp(value), index=frame.index).astype("datetime64[us]")
                if target in DATE_COLUMNS
                else pd.Series(value, index=frame.index, dtype="str")
            )
    for key in ("incident", "source"):
        if key in base:
            missing = base[key].isna().to_numpy()
            if missing.any() and not (
                key == "source" and profile.figures and all(f.source for f in profile.figures)
            ):
                problems.add(
                    np.flatnonzero(missing),
                    column=col_ref(columns.get(key, key)),
                    severity="error",
                    rule=f"missing-{key}",
                    observed="",
                    expected=key,
                    message=f"no {key} in this row; row not read",
                )

    # Figures: blocks of (record, measure, figure) rows.
    blocks: list[pd.DataFrame] = []
    blank_cells = 0
    specs: list[tuple[str | None, tuple[str, ...], str | None, str | None, str | None]] = []
    if long is not None:
        specs.append((None, (long.value,), long.low, long.high, None))
    else:
        specs.extend((f.measure, f.value, f.low, f.high, f.source) for f in profile.figures)
    for measure, value_cols, low_col, high_col, source in specs:
        if len(value_cols) > 1:  # a figure that is the sum of several columns
            parts = [_read_counts(frame[c], words, profile.sentinels) for c in value_cols]
            for c, part in zip(value_cols, parts, strict=True):
                _collect_count_problems(problems, part, frame[c], col_ref(c))
            total = pd.concat([p["value"] for p in parts], axis=1).sum(axis=1, min_count=1)
            total = total.astype("Int64")
            fig = pd.DataFrame(
                {
                    "value": total,
                    "low": total,
                    "high": total,
                    "qualifier": pd.Series("exact", index=pd.RangeIndex(n), dtype="str").where(
                        total.notna().to_numpy(), "unknown"
                    ),
                    "figure_text": _null_text(n),
                    "blank": np.logical_and.reduce([p["blank"].to_numpy() for p in parts]),
                }
            )
        else:
            value_col = value_cols[0]
            fig = _read_counts(frame[value_col], words, profile.sentinels)
            _collect_count_problems(problems, fig, frame[value_col], col_ref(value_col))
            if canonical and "qualifier" in frame and value_col == "value":
                q = _as_text(frame["qualifier"])
                fig["qualifier"] = q.where(q.notna(), fig["qualifier"])
                if "figure_text" in frame:
                    fig["figure_text"] = _as_text(frame["figure_text"])
        for bound_col, name in ((low_col, "low"), (high_col, "high")):
            if bound_col:
                b = _read_counts(frame[bound_col], words, profile.sentinels)
                _collect_count_problems(problems, b, frame[bound_col], col_ref(bound_col))
                # A figures table states its bounds; elsewhere a blank bound falls back to
                # the value's own.
                fig[name] = (
                    b["value"] if canonical else b["value"].where(~b["blank"].to_numpy(), fig[name])
                )
        if (low_col or high_col) and not canonical:
            has_bounds = fig["value"].notna() & (fig["low"].notna() | fig["high"].notna())
            same = (fig["low"] == fig["value"]).fillna(False) & (
                fig["high"] == fig["value"]
            ).fillna(False)
            fig.loc[has_bounds & ~same & (fig["qualifier"] == "exact"), "qualifier"] = "range"
        fig["record"] = np.arange(n)
        if long is not None:
            names = _as_text(frame[long.measure])
            if long.measures:
                mapped = names.map(lambda v: long.measures.get(v, v) if v is not None else v)
                names = mapped.astype("str")
            unknown = names.notna() & ~names.isin(list(taxonomy.names))
            bad = (unknown | names.isna()).to_numpy()
            if bad.any():
                observed = names[bad].fillna("").to_numpy(dtype=object)
                problems.add(
                    np.flatnonzero(bad),
                    column=col_ref(long.measure),
                    severity="error",
                    rule="unknown-measure",
                    observed=observed,
                    expected="a measure of the taxonomy",
                    message=[
                        f"measure {o!r} is not in the taxonomy."
                        + did_you_mean(str(o), taxonomy.names)
                        + " Row not read"
                        for o in observed
                    ],
                )
            fig["measure"] = names
        else:
            fig["measure"] = pd.Series(measure, index=fig.index, dtype="str")
        if source is not None:
            fig["source_override"] = source
        if long is not None:
            blocks.append(fig)  # a long record names its measure: an empty figure is unknown
        else:
            blank_cells += int(fig["blank"].sum())  # a wide blank cell is no figure
            blocks.append(fig[~fig["blank"].to_numpy()])

    # A column read twice (on its own and inside a sum) reports its problems once.
    probs = problems.frame().drop_duplicates(["record", "column", "rule"], ignore_index=True)
    if len(probs):
        where = probs["column"].map(
            lambda c: f"column {c!r} (#{number[c]}): " if c in number else ""
        )
        probs["message"] = where + probs["message"].astype("str")
    rejected = np.zeros(n, dtype=bool)
    err = probs["severity"] == "error"
    rejected[probs.loc[err, "record"].astype("int64").to_numpy()] = True

    figs = pd.concat(blocks, ignore_index=True) if blocks else pd.DataFrame({"record": []})
    figs = figs[~rejected[figs["record"].to_numpy(dtype=np.int64)]]
    rec = figs["record"].to_numpy(dtype=np.int64)
    index = pd.RangeIndex(len(rec))
    # Series.take keeps Arrow-backed text as Arrow: no Python string per row.
    out: dict[str, Any] = {}
    for target in MAPPABLE:
        if target in base:
            out[target] = base[target].take(rec).set_axis(index)
    for c in ("measure", "value", "low", "high", "qualifier", "figure_text"):
        out[c] = figs[c].set_axis(index)
    if "source_override" in figs:
        override = figs["source_override"].set_axis(index).astype("str")
        src = out.get("source", _null_text(len(rec)))
        out["source"] = override.where(override.notna(), src)
    out["origin_file"] = pd.Series(display_path, index=index, dtype="str")
    out["origin_row"] = pd.Series(raw.lines[rec], index=index, dtype="Int64")
    result = pd.DataFrame(out, index=index)
    used = set(profile.export_columns()) | set(columns.values())
    if canonical:
        used |= set(ft.COLUMNS)
    extras = [c for c in frame.columns if c not in used]
    if extras:
        extra_frame = frame[extras].take(rec).reset_index(drop=True)
        extra_frame.columns = [f"export.{c}" if c in ft.DTYPES else str(c) for c in extras]
        result = pd.concat([result, extra_frame], axis=1)
    result = ft.conform(result)
    probs["origin_row"] = raw.lines[probs["record"].to_numpy(dtype=np.int64)] if len(probs) else []
    return Mapped(
        figures=result,
        problems=probs,
        rows_rejected=int(rejected.sum())
        + sum(1 for p in raw.problems if p.get("severity") == "error"),
        blank_cells=blank_cells,
    )


def _collect_count_problems(
    problems: _Problems, fig: pd.DataFrame, raw: pd.Series, column: str
) -> None:
    has = fig["problem"].notna().to_numpy()
    if not has.any():
        return
    invalid = fig["invalid"].to_numpy(dtype=bool)
    for severity, mask, tail in (
        ("error", has & invalid, "; row not read"),
        ("warning", has & ~invalid, "; kept as an unknown figure"),
    ):
        if mask.any():
            msgs = fig["problem"].to_numpy(dtype=object)[mask]
            problems.add(
                np.flatnonzero(mask),
                column=column,
                severity=severity,
                rule="bad-count" if severity == "error" else "unreadable-figure",
                observed=_observed(raw.reset_index(drop=True), mask),
                expected="a count",
                message=[m + tail for m in msgs],
            )

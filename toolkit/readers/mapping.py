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
from pandas.core.arrays.masked import BaseMaskedArray

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
    """Export columns that must stay text: identifiers, names, and dates in explicit formats.

    ISO dates are left to the file reader (pyarrow parses them strictly; a column with an
    impossible date stays text and gets the careful parse here).
    """
    cols = {
        col
        for target, col in profile.columns.items()
        if target in MAPPABLE
        and not (target in DATE_COLUMNS and profile.formats_for(target) == ("ISO8601",))
    }
    if profile.long:
        cols.add(profile.long.measure)
    return cols


_PROBLEM_COLUMNS = ("record", "column", "severity", "rule", "observed", "expected", "message")


class _Problems:
    """Collects per-record problems as arrays (no Python loop over rows)."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, records: np.ndarray, **fields: Any) -> None:
        """``fields``: column, severity, rule, observed, expected, message (scalars or arrays)."""
        if len(records):
            self.parts.append(pd.DataFrame({"record": records, **fields}))

    def frame(self, column_numbers: Mapping[str, int], lines: np.ndarray) -> pd.DataFrame:
        """One row per problem, with its line; a column read twice reports its problem once."""
        if not self.parts:
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in _PROBLEM_COLUMNS})
        probs = pd.concat(self.parts, ignore_index=True)[list(_PROBLEM_COLUMNS)]
        probs = probs.drop_duplicates(["record", "column", "rule"], ignore_index=True)
        where = probs["column"].map(
            lambda c: f"column {c!r} (#{column_numbers[c]}): " if c in column_numbers else ""
        )
        probs["message"] = where + probs["message"].astype("str")
        probs["origin_row"] = lines[probs["record"].to_numpy(dtype=np.int64)]
        return probs


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
    if _may_be_padded(out):  # trimming writes every text anew: only when one needs it
        out = out.str.strip()
    return out.replace("", None) if bool(out.eq("").any()) else out


def _may_be_padded(texts: pd.Series) -> bool:
    """Whether a text may start or end with whitespace.

    Looks at each text's first and last byte in Arrow's buffers, a chunk at a time, with no
    copy of the texts. ASCII control characters, space, and every byte of a non-ASCII
    character (a Unicode space is one) count: a "yes" may be too cautious, a "no" is sure.
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


def _midnight(dates: pd.Series) -> pd.Series:
    """Dates at midnight; a column that is already (the usual case) is not rewritten.

    Checked a slice at a time in one small buffer: whole-column temporaries would cost
    more than the check.
    """
    ticks = dates.to_numpy().view(np.int64)
    step = 1 << 16
    rest = np.empty(min(step, len(ticks)), dtype=np.int64)
    for start in range(0, len(ticks), step):
        chunk = ticks[start : start + step]
        left = rest[: len(chunk)]
        np.remainder(chunk, ft.DAY_US, out=left)
        if left[chunk != ft.NAT_INT64].any():
            normalized: pd.Series = dates.dt.normalize()
            return normalized
    return dates


def _to_datetime(texts: pd.Series, fmt: str) -> pd.Series:
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


def _parse_dates(raw: pd.Series, formats: tuple[str, ...]) -> tuple[pd.Series, np.ndarray]:
    """Dates (datetime64[us], normalized to midnight) and a mask of cells that failed.

    Arrow dates are whole days already, and stay Arrow until the figures table is built.
    """
    if ft.is_arrow_date(raw.dtype):
        return raw, np.zeros(len(raw), dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        if getattr(raw.dtype, "tz", None) is not None:
            raw = raw.dt.tz_convert("UTC").dt.tz_localize(None)
        parsed = _midnight(raw.astype("datetime64[us]"))
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
        parsed_u[todo] = _to_datetime(u[todo], fmt)
    values = np.append(parsed_u.dt.normalize().to_numpy(), np.datetime64("NaT", "us"))
    result = pd.Series(values[np.where(codes >= 0, codes, len(u))], index=raw.index, copy=False)
    failed = (codes >= 0) & result.isna().to_numpy()
    return result, failed


def _numeric_counts(series: pd.Series) -> pd.DataFrame:
    """Counts from a numeric column: blanks, numbers past int64 and fractions are marked."""
    n = len(series)
    blank = series.isna().to_numpy()
    too_big = fractional = np.zeros(n, dtype=bool)
    if pd.api.types.is_integer_dtype(series.dtype):
        ints = series.to_numpy(dtype="int64", na_value=0)
    else:  # float: NaN for blanks, or numbers pyarrow could not fit in int64
        arr = series.to_numpy(dtype="float64", na_value=np.nan)
        too_big = ~blank & (np.abs(arr) > INT64_MAX)
        fractional = ~blank & ~too_big & (arr != np.floor(arr))
        ints = np.where(blank | too_big | fractional, 0, arr).astype(np.int64)
    bad = too_big | fractional
    # One Series serves value, low and high: copy-on-write copies it if one is changed.
    value = pd.Series(pd.arrays.IntegerArray(ints, blank | bad), copy=False)
    nulls = ft.repeated_text(None, n)  # immutable Arrow data: one array serves both text columns
    problem = nulls
    qualifier = ft.repeated_text("exact", n)
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


def _read_counts(
    series: pd.Series, words: Mapping[str, object], sentinels: tuple[int, ...]
) -> pd.DataFrame:
    """Figures from one export column: numbers stay numbers, text goes through the parser.

    Columns: value, low, high, qualifier, figure_text, problem, invalid, blank.
    """
    if pd.api.types.is_integer_dtype(series.dtype) or pd.api.types.is_float_dtype(series.dtype):
        out = _numeric_counts(series)
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
    negative = ((out["value"] < 0) | (out["low"] < 0)).to_numpy(dtype=bool, na_value=False)
    if negative.any():
        out.loc[negative, "problem"] = (
            "a count cannot be negative (declare sentinels such "
            "as -1 in the profile if it means unknown)"
        )
        out.loc[negative, "invalid"] = True
    out.index = series.index
    return out


def _observed(series: pd.Series, mask: np.ndarray) -> np.ndarray:
    return _as_text(series[mask]).fillna("").to_numpy(dtype=object)


@dataclass(frozen=True)
class _Spec:
    """One block of figures: a measure (None: named per record) from value/bound columns."""

    measure: str | None
    value: tuple[str, ...]
    low: str | None = None
    high: str | None = None
    source: str | None = None


def _specs(profile: Profile, long: LongSpec | None) -> list[_Spec]:
    if long is not None:
        return [_Spec(None, (long.value,), long.low, long.high)]
    return [_Spec(f.measure, f.value, f.low, f.high, f.source) for f in profile.figures]


def _layout(raw: RawTable, profile: Profile) -> tuple[LongSpec | None, dict[str, str]]:
    """The long spec (if any) and the figures-table columns taken from export columns.

    Raises :class:`InputError` when a column the profile reads is not in the header.
    """
    frame = raw.frame
    if profile is CANONICAL:
        value = "figure_text" if "figure_text" in frame and "value" not in frame else "value"
        long = LongSpec(
            measure="measure",
            value=value,
            low="low" if "low" in frame else None,
            high="high" if "high" in frame else None,
        )
        return long, {c: c for c in MAPPABLE if c in frame}
    for col, purpose in profile.export_columns().items():
        if col not in frame.columns:
            raise InputError(
                f"column {col!r} ({purpose}, profile {profile.name!r}) not found in the "
                "header." + did_you_mean(col, map(str, frame.columns)),
                raw.path,
                raw.header_line or None,
            )
    return profile.long, dict(profile.columns)


def _record_columns(
    frame: pd.DataFrame, profile: Profile, columns: Mapping[str, str], problems: _Problems
) -> dict[str, pd.Series]:
    """Figures-table columns that belong to the record (incident, source, dates, place…)."""
    n = len(frame)
    base: dict[str, pd.Series] = {}
    for target in MAPPABLE:
        if target in columns:
            src = columns[target]
            if target not in DATE_COLUMNS:
                base[target] = _as_text(frame[src])
                continue
            formats = profile.formats_for(target)
            base[target], failed = _parse_dates(frame[src], formats)
            if failed.any():
                fmts = " or ".join(formats)
                problems.add(
                    np.flatnonzero(failed),
                    column=src,
                    severity="error",
                    rule="bad-date",
                    observed=_observed(frame[src], failed),
                    expected=fmts,
                    message=f"{target}: not a date in format {fmts}; row not read",
                )
        elif target in profile.constants:
            value = profile.constants[target]
            base[target] = (
                pd.Series(pd.Timestamp(value), index=frame.index).astype("datetime64[us]")
                if target in DATE_COLUMNS
                else ft.repeated_text(value, n)
            )
    source_per_figure = bool(profile.figures) and all(f.source for f in profile.figures)
    for key in ("incident", "source"):
        if key in base and not (key == "source" and source_per_figure):
            missing = base[key].isna().to_numpy()
            if missing.any():
                problems.add(
                    np.flatnonzero(missing),
                    column=columns.get(key, key),
                    severity="error",
                    rule=f"missing-{key}",
                    observed="",
                    expected=key,
                    message=f"no {key} in this row; row not read",
                )
    return base


def _figures(
    spec: _Spec,
    long: LongSpec | None,
    frame: pd.DataFrame,
    profile: Profile,
    taxonomy: Taxonomy,
    words: Mapping[str, object],
    problems: _Problems,
) -> pd.DataFrame:
    """One block: value, low, high, qualifier, figure_text, measure and blank, per record."""
    canonical = profile is CANONICAL
    n = len(frame)
    if len(spec.value) > 1:  # a figure that is the sum of several columns
        parts = [_read_counts(frame[c], words, profile.sentinels) for c in spec.value]
        for c, part in zip(spec.value, parts, strict=True):
            _collect_count_problems(problems, part, frame[c], c)
        total = pd.concat([p["value"] for p in parts], axis=1).sum(axis=1, min_count=1)
        total = total.astype("Int64")
        fig = pd.DataFrame(
            {
                "value": total,
                "low": total,
                "high": total,
                "qualifier": ft.repeated_text("exact", n).where(
                    total.notna().to_numpy(), "unknown"
                ),
                "figure_text": ft.repeated_text(None, n),
                "blank": np.logical_and.reduce([p["blank"].to_numpy() for p in parts]),
            },
            copy=False,  # the bounds share the total's numbers, as in _numeric_counts
        )
    else:
        value_col = spec.value[0]
        fig = _read_counts(frame[value_col], words, profile.sentinels)
        _collect_count_problems(problems, fig, frame[value_col], value_col)
        if canonical and value_col == "value" and "qualifier" in frame:
            q = _as_text(frame["qualifier"])
            fig["qualifier"] = q.where(q.notna(), fig["qualifier"])
            if "figure_text" in frame:
                fig["figure_text"] = _as_text(frame["figure_text"])
    for bound_col, name in ((spec.low, "low"), (spec.high, "high")):
        if bound_col:
            b = _read_counts(frame[bound_col], words, profile.sentinels)
            _collect_count_problems(problems, b, frame[bound_col], bound_col)
            # A figures table states its bounds; elsewhere a blank bound falls back to the
            # value's own.
            given = ~b["blank"].to_numpy()
            fig[name] = b["value"] if canonical else b["value"].where(given, fig[name])
    if (spec.low or spec.high) and not canonical:
        has_bounds = fig["value"].notna() & (fig["low"].notna() | fig["high"].notna())
        same = (fig["low"] == fig["value"]).fillna(False) & (fig["high"] == fig["value"]).fillna(
            False
        )
        fig.loc[has_bounds & ~same & (fig["qualifier"] == "exact"), "qualifier"] = "range"
    fig["measure"] = (
        _measures(frame, long, taxonomy, problems)
        if long is not None
        else ft.repeated_text(str(spec.measure), n)
    )
    return fig


def _measures(
    frame: pd.DataFrame, long: LongSpec, taxonomy: Taxonomy, problems: _Problems
) -> pd.Series:
    """Measure names of a long export, mapped to the taxonomy; unknown ones are problems."""
    names = _as_text(frame[long.measure])
    if long.measures:
        names = names.map(lambda v: long.measures.get(v, v) if v is not None else v).astype("str")
    bad = (names.isna() | ~names.isin(list(taxonomy.names))).to_numpy()
    if bad.any():
        observed = names[bad].fillna("").to_numpy(dtype=object)
        problems.add(
            np.flatnonzero(bad),
            column=long.measure,
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
    return names


_FIGURE_COLUMNS = ("measure", "value", "low", "high", "qualifier", "figure_text")


def apply_profile(
    raw: RawTable,
    profile: Profile,
    taxonomy: Taxonomy,
    words: Mapping[str, object],
    display_path: str,
) -> Mapped:
    """Turn one raw table into figures; see the module docstring."""
    frame = raw.frame.reset_index(drop=True)
    long, columns = _layout(raw, profile)
    problems = _Problems()
    base = _record_columns(frame, profile, columns, problems)
    specs = _specs(profile, long)
    blocks = [_figures(spec, long, frame, profile, taxonomy, words, problems) for spec in specs]

    probs = problems.frame(raw.column_numbers, raw.lines)
    rejected = np.zeros(len(frame), dtype=bool)
    rejected[probs.loc[probs["severity"] == "error", "record"].to_numpy(dtype=np.int64)] = True

    used = set(profile.export_columns()) | set(columns.values())
    if profile is CANONICAL:
        used |= set(ft.COLUMNS)
    extras = frame[[c for c in frame.columns if c not in used]]
    extras.columns = [f"export.{c}" if c in ft.DTYPES else str(c) for c in extras.columns]

    parts: list[pd.DataFrame] = []
    blank_cells = 0
    for spec, fig in zip(specs, blocks, strict=True):
        keep = ~rejected
        if long is None:  # a wide blank cell is no figure; a long record always names one
            blank = fig["blank"].to_numpy()
            blank_cells += int(blank.sum())
            keep &= ~blank
        parts.append(_block_rows(keep, base, fig, extras, spec.source, raw.lines, display_path))
    figures = _stack(parts) if parts else ft.empty()
    rejected_by_reader = sum(1 for p in raw.problems if p.get("severity") == "error")
    return Mapped(
        figures=ft.conform(figures),
        problems=probs,
        rows_rejected=int(rejected.sum()) + rejected_by_reader,
        blank_cells=blank_cells,
    )


def _stack(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The blocks one under the other. Bounds equal to the value (every exact count) are
    stacked once and shared: a wide export's blocks would otherwise copy the same numbers
    three times over (copy-on-write copies them if one column is changed later)."""
    if len(parts) == 1:
        return parts[0]
    same = [
        c
        for c in ("low", "high")
        if all(_same_numbers(p[c], p["value"]) or p[c].equals(p["value"]) for p in parts)
    ]
    figures = pd.concat([p.drop(columns=same) for p in parts], ignore_index=True)
    return figures.assign(**dict.fromkeys(same, figures["value"])) if same else figures


def _same_numbers(a: pd.Series, b: pd.Series) -> bool:
    """Whether two count columns are views of the same numbers (equal without a look).

    True for a value and the bounds that share its buffers (see ``_numeric_counts``); False
    says nothing: the columns may still be equal.
    """
    x, y = a.array, b.array
    if not (isinstance(x, BaseMaskedArray) and isinstance(y, BaseMaskedArray)):
        return False
    return _buffers(x) == _buffers(y)


def _buffers(masked: Any) -> tuple[object, ...]:
    """Where a masked array's numbers (``_data``) and missing-mask (``_mask``) live: address,
    shape, strides and type of each."""
    where = [a.__array_interface__ for a in (masked._data, masked._mask)]
    return tuple((i["data"][0], i["shape"], i["strides"], i["typestr"]) for i in where)


def _block_rows(
    keep: np.ndarray,
    base: Mapping[str, pd.Series],
    fig: pd.DataFrame,
    extras: pd.DataFrame,
    source: str | None,
    lines: np.ndarray,
    display_path: str,
) -> pd.DataFrame:
    """The kept records of one block as figures-table rows.

    Filtering (not taking) keeps Arrow-backed text as Arrow, and when every record is kept
    the columns are used as they are, without a copy.
    """
    whole = bool(keep.all())

    def pick(col: pd.Series) -> pd.Series:
        return col if whole else col[keep]

    n = int(keep.sum())
    cols: dict[str, pd.Series] = {t: pick(c) for t, c in base.items()}
    cols.update({c: pick(fig[c]) for c in _FIGURE_COLUMNS})
    if source is not None:
        cols["source"] = ft.repeated_text(source, n)
    cols["origin_file"] = ft.repeated_text(display_path, n)
    rows = lines if whole else lines[keep]
    origin_row = pd.arrays.IntegerArray(rows, np.zeros(n, dtype=bool))
    cols["origin_row"] = pd.Series(origin_row, copy=False)
    index = pd.RangeIndex(n)
    block = pd.DataFrame({k: v.set_axis(index) for k, v in cols.items()}, index=index, copy=False)
    if len(extras.columns):
        block = pd.concat([block, (extras if whole else extras[keep]).set_axis(index)], axis=1)
    return block


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

"""Apply a source profile to a raw table: records become rows of the figures table.

Every record is either accepted or rejected with an ``input`` finding that names file, line
and column; figure text nobody can read is kept as an ``unknown`` figure with a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from toolkit.columnar import repeated_text
from toolkit.errors import InputError, did_you_mean
from toolkit.model import figures as ft
from toolkit.model.vocabulary import FAMILIES
from toolkit.reading.cells import as_text, observed, read_counts
from toolkit.reading.raw import RawTable
from toolkit.reading.records import record_columns
from toolkit.reading.shapes import Grouping, date_columns, on_date, summed
from toolkit.suite.profiles import (
    CANONICAL,
    DATE_COLUMNS,
    MAPPABLE,
    ColumnSpec,
    FigureSpec,
    LongSpec,
    Profile,
)
from toolkit.suite.taxonomy import Taxonomy


@dataclass
class Mapped:
    """The figures one file gave, and what went wrong on the way."""

    figures: pd.DataFrame
    problems: pd.DataFrame  # one row per problem: record, column, severity, code, observed, …
    rows_rejected: int  # records rejected here or by the file reader
    blank_cells: int


def text_columns(profile: Profile) -> set[str]:
    """Export columns that must stay text: identifiers, names, and dates in explicit formats.

    ISO dates are left to the file reader (pyarrow parses them strictly; a column with an
    impossible date stays text and gets the careful parse here).
    """
    cols = {
        col
        for target, spec in profile.columns.items()
        if target in MAPPABLE
        and not (target in DATE_COLUMNS and profile.formats_for(target) == ("ISO8601",))
        for col in spec.columns
    }
    if profile.long:
        cols.add(profile.long.measure)
    return cols


_PROBLEM_COLUMNS = (
    *("record", "column", "kind", "code", "rule", "severity", "observed", "expected", "message"),
)


class _Problems:
    """Collects per-record problems as arrays (no Python loop over rows)."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []
        self.figure_only: set[int] = set()  # parts whose errors reject a figure, not a row

    def add(self, records: np.ndarray, code: str, *, figure: bool = False, **fields: Any) -> None:
        """A problem of family ``code`` (its kind, rule name and severity are the
        family's) in each of ``records``; ``fields``: column, observed, expected, message
        (scalars or arrays). An error with ``figure`` rejects that record's figure of the
        block being read, not the record's other figures."""
        if len(records):
            family = FAMILIES[code]
            meta = {"kind": family.kind.value, "code": code, "rule": code}
            meta["severity"] = family.severity.value
            if figure:
                self.figure_only.add(len(self.parts))
            self.parts.append(pd.DataFrame({"record": records, **meta, **fields}))

    def rejected(self, n: int) -> np.ndarray:
        """Per record: whether an error keeps the whole record from being read."""
        out = np.zeros(n, dtype=bool)
        for i, part in enumerate(self.parts):
            if i not in self.figure_only:
                errors = part.loc[part["severity"] == "error", "record"]
                out[errors.to_numpy(dtype=np.int64)] = True
        return out

    def frame(self, column_numbers: Mapping[str, int], lines: np.ndarray) -> pd.DataFrame:
        """One row per problem, with its line; a column read twice reports its problem once."""
        if not self.parts:
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in _PROBLEM_COLUMNS})
        probs = pd.concat(self.parts, ignore_index=True)[list(_PROBLEM_COLUMNS)]
        probs = probs.drop_duplicates(["record", "column", "code"], ignore_index=True)
        where = probs["column"].map(
            lambda c: f"column {c!r} (#{column_numbers[c]}): " if c in column_numbers else ""
        )
        probs["message"] = where + probs["message"].astype("str")
        probs["origin_row"] = lines[probs["record"].to_numpy(dtype=np.int64)]
        return probs


def _layout(raw: RawTable, profile: Profile) -> tuple[LongSpec | None, dict[str, ColumnSpec]]:
    """The long spec (if any) and the figures-table columns taken from export columns.

    Raises :class:`InputError` when a column the profile reads is not in the header.
    """
    frame = raw.frame
    if profile is CANONICAL:
        value = "figure_text" if "figure_text" in frame and "value" not in frame else "value"
        long = LongSpec.of(
            measure="measure",
            value=value,
            low="low" if "low" in frame else None,
            high="high" if "high" in frame else None,
        )
        return long, {c: ColumnSpec((c,)) for c in MAPPABLE if c in frame}
    for col, purpose in profile.export_columns().items():
        if col not in frame.columns:
            raise InputError(
                f"column {col!r} ({purpose}, profile {profile.name!r}) not found in the "
                "header." + did_you_mean(col, map(str, frame.columns)),
                raw.path,
                raw.header_line or None,
            )
    return profile.long, dict(profile.columns)


@dataclass(frozen=True)
class _Block:
    """One block's figures per record (value, low, high, qualifier, figure_text, measure,
    blank), and which bounds are the value itself (every exact count's are): those are
    stacked once and shared, not copied."""

    figures: pd.DataFrame
    bounds_are_value: frozenset[str]


def _summed(
    spec: FigureSpec,
    frame: pd.DataFrame,
    profile: Profile,
    words: Mapping[str, object],
    problems: _Problems,
    signed: bool,
) -> pd.DataFrame:
    """A figure that is the sum of several columns (exact where any part is known); a bad
    part makes the sum bad."""
    n = len(frame)
    parts = [read_counts(frame[c], words, profile.sentinels, signed) for c in spec.value]
    for c, part in zip(spec.value, parts, strict=True):
        _collect_count_problems(problems, part, frame[c], c)
    total = pd.concat([p["value"] for p in parts], axis=1).sum(axis=1, min_count=1)
    total = total.astype("Int64")
    return pd.DataFrame(
        {
            "value": total,
            "low": total,
            "high": total,
            "qualifier": repeated_text("exact", n).where(total.notna().to_numpy(), "unknown"),
            "figure_text": repeated_text(None, n),
            "blank": np.logical_and.reduce([p["blank"].to_numpy() for p in parts]),
            "invalid": np.logical_or.reduce([p["invalid"].to_numpy(dtype=bool) for p in parts]),
        },
        copy=False,  # the bounds share the total's numbers, as in cells.numeric_counts
    )


def _figures(
    spec: FigureSpec,
    long: LongSpec | None,
    frame: pd.DataFrame,
    profile: Profile,
    taxonomy: Taxonomy,
    words: Mapping[str, object],
    problems: _Problems,
) -> _Block:
    """One block: value, low, high, qualifier, figure_text, measure, blank and invalid (a
    figure not read, for a bad count), per record."""
    canonical = profile is CANONICAL
    n = len(frame)
    signed: bool | Callable[[np.ndarray], np.ndarray] = False
    if long is not None:
        measures = _measures(frame, long, taxonomy, problems)
        if taxonomy.signed:
            signed = _signed_rows(measures, taxonomy.signed)
    else:
        measures = repeated_text(str(spec.measure), n)
        signed = str(spec.measure) in taxonomy.signed
    if len(spec.value) > 1:  # a wide block: signed is the measure's, True or False
        fig = _summed(spec, frame, profile, words, problems, signed is True)
        shared = {"low", "high"}
    else:
        value_col = spec.value[0]
        fig = read_counts(frame[value_col], words, profile.sentinels, signed)
        _collect_count_problems(problems, fig, frame[value_col], value_col)
        numeric = frame[value_col].dtype.kind in "iuf"  # numbers: the bounds are the value
        shared = {"low", "high"} if numeric and not profile.sentinels else set()
        if canonical and value_col == "value" and "qualifier" in frame:
            q = as_text(frame["qualifier"])
            fig["qualifier"] = q.where(q.notna(), fig["qualifier"])
            if "figure_text" in frame:
                fig["figure_text"] = as_text(frame["figure_text"])
    invalid = fig["invalid"].to_numpy(dtype=bool).copy()
    for bound_col, name in ((spec.low, "low"), (spec.high, "high")):
        if bound_col:
            shared.discard(name)
            b = read_counts(frame[bound_col], words, profile.sentinels, signed)
            _collect_count_problems(problems, b, frame[bound_col], bound_col)
            invalid |= b["invalid"].to_numpy(dtype=bool)
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
    fig["measure"] = measures
    fig["invalid"] = invalid
    return _Block(fig, frozenset(shared))


def _signed_rows(measures: pd.Series, names: frozenset[str]) -> Callable[[np.ndarray], np.ndarray]:
    """Which of some rows (positions) name a signed measure: asked of negative figures
    only, so a long export's measures are not all looked up."""
    listed = list(names)
    return lambda rows: measures.iloc[rows].isin(listed).to_numpy(dtype=bool)


def _measures(
    frame: pd.DataFrame, long: LongSpec, taxonomy: Taxonomy, problems: _Problems
) -> pd.Series:
    """Measure names of a long export, mapped to the taxonomy; unknown ones are problems."""
    names = as_text(frame[long.measure])
    if long.measures:
        names = names.map(lambda v: long.measures.get(v, v) if v is not None else v).astype("str")
    bad = (names.isna() | ~names.isin(list(taxonomy.names))).to_numpy()
    if bad.any():
        seen = names[bad].fillna("").to_numpy(dtype=object)
        problems.add(
            np.flatnonzero(bad),
            column=long.measure,
            code="unknown-measure",
            observed=seen,
            expected="a measure of the taxonomy",
            message=[
                f"measure {o!r} is not in the taxonomy."
                + did_you_mean(str(o), taxonomy.names)
                + " Row not read"
                for o in seen
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
    base = record_columns(frame, profile, columns, problems.add)
    specs = [long.figure] if long is not None else list(profile.figures)
    days: list[np.datetime64] = []
    if profile.dates_in_columns is not None:
        specs, days = date_columns(raw, profile, taxonomy)
    blocks = [_figures(spec, long, frame, profile, taxonomy, words, problems) for spec in specs]

    rejected = problems.rejected(len(frame))
    # A bad count rejects its figure; a record none of whose figures could be read (all
    # bad, or bad and blank) is rejected as a whole.
    read_any = np.logical_or.reduce(
        [~b.figures["invalid"].to_numpy() & ~b.figures["blank"].to_numpy() for b in blocks]
    )
    bad_any = np.logical_or.reduce([b.figures["invalid"].to_numpy() for b in blocks])
    rejected |= bad_any & ~read_any
    no_figures = _no_figures(long, specs, blocks, rejected, problems)
    probs = problems.frame(raw.column_numbers, raw.lines)

    used = set(profile.export_columns()) | {c for spec in columns.values() for c in spec.columns}
    used |= {c for spec in specs for c in spec.value}
    if profile is CANONICAL:
        used |= set(ft.COLUMNS)
    extras = frame[[c for c in frame.columns if c not in used]]
    extras.columns = [f"export.{c}" if c in ft.DTYPES else str(c) for c in extras.columns]

    parts: list[_Block] = []
    blank_cells = 0
    grouping = None
    if profile.aggregate is not None:
        keys = [frame[c] for c in profile.aggregate.by]
        if long is not None:  # one block: its measures split the groups too
            keys.append(blocks[0].figures["measure"])
        grouping = Grouping.of(keys, base, extras, rejected, raw.lines)
    for i, (spec, block) in enumerate(zip(specs, blocks, strict=True)):
        keep = ~rejected & ~block.figures["invalid"].to_numpy()
        if long is None:  # a wide blank cell is no figure; a long record always names one
            blank = block.figures["blank"].to_numpy()
            blank_cells += int(blank.sum())
            keep &= ~blank
            if i == 0 and grouping is None:  # a record with no figure still names its incident
                keep |= no_figures
        record = base if not days else {**base, "reported_on": on_date(days[i], len(frame))}
        if grouping is not None:
            day = days[i] if days else None
            parts.append(_summed_rows(grouping, block, spec, taxonomy, day, display_path))
            continue
        parts.append(_block_rows(keep, record, block, extras, spec.source, raw.lines, display_path))
    figures = _stack(parts) if parts else ft.empty()
    rejected_by_reader = sum(1 for p in raw.problems if p.get("severity") == "error")
    return Mapped(
        figures=ft.conform(figures),
        problems=probs,
        rows_rejected=int(rejected.sum()) + rejected_by_reader,
        blank_cells=blank_cells,
    )


def _summed_rows(
    grouping: Grouping,
    block: _Block,
    spec: FigureSpec,
    taxonomy: Taxonomy,
    day: np.datetime64 | None,
    display_path: str,
) -> _Block:
    """One block's figures summed per group (``aggregate``), as figures-table rows."""
    signed = block.figures["measure"].isin(list(taxonomy.signed)).to_numpy(dtype=bool)
    sums = summed(grouping, block.figures, signed)
    keep = sums["keep"].to_numpy()
    record = dict(grouping.base)
    if day is not None:
        record["reported_on"] = on_date(day, len(keep))
    rows = _block_rows(
        keep,
        record,
        _Block(sums, frozenset()),
        grouping.extras,
        spec.source,
        grouping.lines,
        display_path,
    )
    rows.figures["summed"] = grouping.text[keep].reset_index(drop=True)
    return rows


def _no_figures(
    long: LongSpec | None,
    specs: list[FigureSpec],
    blocks: list[_Block],
    rejected: np.ndarray,
    problems: _Problems,
) -> np.ndarray:
    """Records of a wide export whose figure cells are all blank: each keeps one unknown
    figure (of the first measure), so that its incident is still read, linked and listed,
    and says so in a finding."""
    if long is not None or not blocks:
        return np.zeros(len(rejected), dtype=bool)
    empty: np.ndarray = ~rejected & np.logical_and.reduce(
        [b.figures["blank"].to_numpy() for b in blocks]
    )
    problems.add(
        np.flatnonzero(empty),
        column=specs[0].value[0],
        code="no-figures",
        observed="",
        expected="a figure in at least one figure column",
        message=f"no figures in this row; its incident is kept, as an unknown "
        f"{specs[0].measure} figure, so it is still linked and listed",
    )
    return empty


def _stack(parts: list[_Block]) -> pd.DataFrame:
    """The blocks one under the other. Bounds equal to the value (every exact count) are
    stacked once and shared: a wide export's blocks would otherwise copy the same numbers
    three times over (copy-on-write copies them if one column is changed later)."""
    if len(parts) == 1:
        return parts[0].figures
    same = [
        c
        for c in ("low", "high")
        if all(c in p.bounds_are_value or p.figures[c].equals(p.figures["value"]) for p in parts)
    ]
    figures = pd.concat([p.figures.drop(columns=same) for p in parts], ignore_index=True)
    return figures.assign(**dict.fromkeys(same, figures["value"])) if same else figures


def _block_rows(
    keep: np.ndarray,
    base: Mapping[str, pd.Series],
    block: _Block,
    extras: pd.DataFrame,
    source: str | None,
    lines: np.ndarray,
    display_path: str,
) -> _Block:
    """The kept records of one block as figures-table rows.

    Filtering (not taking) keeps Arrow-backed text as Arrow, and when every record is kept
    the columns are used as they are, without a copy. Bounds that are the value are the
    kept value's column itself.
    """
    whole = bool(keep.all())
    fig = block.figures

    def pick(col: pd.Series) -> pd.Series:
        return col if whole else col[keep]

    n = int(keep.sum())
    cols: dict[str, pd.Series] = {t: pick(c) for t, c in base.items()}
    cols.update({c: pick(fig[c]) for c in _FIGURE_COLUMNS if c not in block.bounds_are_value})
    cols.update(dict.fromkeys(block.bounds_are_value, cols["value"]))
    if source is not None:
        cols["source"] = repeated_text(source, n)
    cols["origin_file"] = repeated_text(display_path, n)
    rows = lines if whole else lines[keep]
    origin_row = pd.arrays.IntegerArray(rows, np.zeros(n, dtype=bool))
    cols["origin_row"] = pd.Series(origin_row, copy=False)
    index = pd.RangeIndex(n)
    out = pd.DataFrame({k: v.set_axis(index) for k, v in cols.items()}, index=index, copy=False)
    if len(extras.columns):
        out = pd.concat([out, (extras if whole else extras[keep]).set_axis(index)], axis=1)
    return _Block(out, block.bounds_are_value)


def _collect_count_problems(
    problems: _Problems, fig: pd.DataFrame, raw: pd.Series, column: str
) -> None:
    has = fig["problem"].notna().to_numpy()
    if not has.any():
        return
    invalid = fig["invalid"].to_numpy(dtype=bool)
    for code, mask, tail in (
        ("bad-count", has & invalid, "; figure not read"),  # an error, for this figure only
        ("unreadable-figure", has & ~invalid, "; kept as an unknown figure"),  # a warning
    ):
        if mask.any():
            msgs = fig["problem"].to_numpy(dtype=object)[mask]
            problems.add(
                np.flatnonzero(mask),
                figure=True,
                column=column,
                code=code,
                observed=observed(raw.reset_index(drop=True), mask),
                expected="a count",
                message=[m + tail for m in msgs],
            )

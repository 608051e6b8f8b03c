"""Source profiles: how one outlet's export becomes rows of the figures table.

A profile is a YAML file in a suite's ``profiles/`` folder. It says which files it claims, how
to read them, where each figures-table column comes from, and which columns hold figures
(``figures:`` for a wide export, a column per measure; ``long:`` for measure + value columns;
``dates_in_columns:`` for one column per date).

Two keys for shapes that otherwise need pandas first:

``dates_in_columns: {columns: "%m/%d/%y", measure: deaths}``
    A daily series by region, one column per date (Johns Hopkins' time series:
    ``UID,…,Province_State,…,1/22/20,1/23/20,…``). Every header that is a date in the
    strftime format ``columns`` is a date column; each of its cells is one ``measure``
    figure of its row, reported on that date (so ``reported_on`` comes from the header, not
    from ``columns:`` or ``constants:``). A figure cites its row's line and, in a finding,
    its header; a bad cell rejects that figure only, a blank cell is no figure. Other
    headers are read as usual (``columns:``) or kept as extra columns.
``aggregate: {by: [Province_State], sum: true}``
    Sub-units summed: the figures of rows sharing the ``by`` export columns' values (and
    the incident, source, report date and measure) become one figure, their sum (county
    rows into a state's figure). The sum cites its first part's line (``origin_row``) and
    says what it sums in the ``summed`` column (``"sum of 3 rows: lines 2, 3, 4"``).
    Bounds add (an open part makes an open sum). A part not read (a bad or blank cell, an
    unknown figure) makes the sum a lower bound, ``at_least`` the known parts (counts are
    not negative); for a signed measure (an increment) the sum is then unknown. Record
    columns that differ between the parts (a county's name) are left empty in the sum.
    Rows read, accepted and rejected still count the export's rows.
"""

from __future__ import annotations

import contextlib
import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import SuiteError, did_you_mean
from toolkit.suite.shapes import Aggregate, DatesInColumns, aggregate, dates_in_columns

# Figures-table columns a profile can fill from export columns or a constant.
MAPPABLE = (
    "incident",
    "source",
    "reported_on",
    "event_start",
    "event_end",
    "location",
    "admin1",
    "country",
    "title",
    "citation",
)
DATE_COLUMNS = ("reported_on", "event_start", "event_end")
FORMATS = ("csv", "tsv", "xlsx", "json", "parquet")

_PROFILE_KEYS = {
    "name",
    "description",
    "files",
    "format",
    "encoding",
    "delimiter",
    "sheet",
    "records",
    "skip_hashtag_row",
    "columns",
    "constants",
    "dates",
    "sentinels",
    "figures",
    "long",
    "dates_in_columns",
    "aggregate",
    "attribution",
}
_FIGURE_KEYS = {"measure", "value", "low", "high", "text", "source", "qualifier"}
_COLUMN_KEYS = {"columns", "template", "values", "join"}
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")  # a template's {name}: a name, never code


@dataclass(frozen=True)
class ColumnSpec:
    """Where a figures-table column comes from: one export column, several joined (``join``,
    missing parts left out), or a ``template`` such as ``"{event_start} {City}"``.

    A template's placeholders name export columns, or figures-table columns the profile
    fills otherwise (dates then read ``YYYY-MM-DD``, ``admin1`` its ISO 3166-2 code); a
    missing value leaves the whole result missing. ``values`` rewrites an export column's
    values first (``{State: {New York: NY}}``). Nothing is evaluated: placeholders are names.
    """

    columns: tuple[str, ...]
    template: str | None = None
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    join: str = ", "
    targets: tuple[str, ...] = ()  # figures-table columns a template names

    @property
    def single(self) -> str | None:
        """The one export column read as it is, or None."""
        plain = self.template is None and not self.values and len(self.columns) == 1
        return self.columns[0] if plain else None


_LONG_KEYS = {"measure", "value", "low", "high", "measures", "text"}


@dataclass(frozen=True)
class FigureSpec:
    """Where one block of figures comes from: the value column (or columns, summed), its
    bound columns, and the measure it holds (``None`` in a long export, where a column
    names the measure of each record)."""

    measure: str | None
    value: tuple[str, ...]
    low: str | None = None
    high: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class LongSpec:
    """A long export: one column names the measure, another holds the figure."""

    measure: str
    figure: FigureSpec
    measures: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        measure: str,
        value: str,
        low: str | None = None,
        high: str | None = None,
        measures: Mapping[str, str] | None = None,
    ) -> LongSpec:
        return cls(measure, FigureSpec(None, (value,), low, high), dict(measures or {}))


@dataclass(frozen=True)
class Profile:
    """How to read one outlet's export. See the module docstring."""

    name: str
    files: tuple[str, ...]
    path: str
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None
    records: str | None = None
    skip_hashtag_row: bool = False
    columns: Mapping[str, ColumnSpec] = field(default_factory=dict)
    constants: Mapping[str, str] = field(default_factory=dict)
    date_formats: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sentinels: tuple[int, ...] = ()
    figures: tuple[FigureSpec, ...] = ()
    long: LongSpec | None = None
    dates_in_columns: DatesInColumns | None = None
    aggregate: Aggregate | None = None

    def claims(self, path: Path, root: Path | None = None) -> bool:
        """True when one of ``files`` matches the file's name or its path below ``root``."""
        names = [path.name]
        if path.name.lower().endswith(".gz"):
            names.append(path.name[:-3])
        if root is not None:
            with contextlib.suppress(ValueError):
                names.append(path.relative_to(root).as_posix())
        return any(fnmatch.fnmatch(n, pat) for n in names for pat in self.files)

    def formats_for(self, column: str) -> tuple[str, ...]:
        return self.date_formats.get(column) or self.date_formats.get("*") or ("ISO8601",)

    def export_columns(self) -> dict[str, str]:
        """Every export column the profile reads, with what it feeds (for error messages)."""
        used: dict[str, str] = {
            col: target for target, spec in self.columns.items() for col in spec.columns
        }
        for f in self.figures:
            for v in f.value:
                used[v] = f"figure {f.measure}"
            for bound in (f.low, f.high):
                if bound:
                    used[bound] = f"bound of {f.measure}"
        for col in self.aggregate.by if self.aggregate else ():
            used.setdefault(col, "aggregate.by")
        if self.long:
            used[self.long.measure] = "measure"
            used[self.long.figure.value[0]] = "value"
            for bound in (self.long.figure.low, self.long.figure.high):
                if bound:
                    used[bound] = "bound"
        return used


def _strs(value: Any, what: str, path: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise SuiteError(f"{what} must be a string or a list of strings", path)


def _check_keys(data: Mapping[str, Any], allowed: set[str], what: str, path: str) -> None:
    for key in data:
        if key not in allowed:
            raise SuiteError(
                f"unknown key {key!r} in {what}." + did_you_mean(str(key), allowed), path
            )


def parse_profile(data: Any, path: str) -> Profile:
    """Check a parsed profile YAML and build a :class:`Profile`."""
    if not isinstance(data, Mapping):
        raise SuiteError("a profile is a mapping (name, files, columns, figures…)", path)
    _check_keys(data, _PROFILE_KEYS, "profile", path)
    for required in ("name", "files"):
        if required not in data:
            raise SuiteError(f"profile needs {required!r}", path)
    columns = {
        target: _column_spec(target, value, path)
        for target, value in _targets(data.get("columns"), "columns", path).items()
    }
    constants = {
        str(k): str(v) for k, v in _targets(data.get("constants"), "constants", path).items()
    }
    fmt = data.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise SuiteError(f"format {fmt!r} is not one of {', '.join(FORMATS)}", path)
    figures = _figure_specs(data.get("figures"), path)
    long = _long_spec(data.get("long"), path)
    by_date = dates_in_columns(data.get("dates_in_columns"), path)
    if [bool(figures), long is not None, by_date is not None].count(True) != 1:
        raise SuiteError(
            "a profile has either 'figures' (wide) or 'long' or 'dates_in_columns', "
            "not several or none",
            path,
        )
    if by_date is not None and ("reported_on" in columns or "reported_on" in constants):
        raise SuiteError(
            "dates_in_columns: each figure's report date is its column's header; "
            "drop reported_on from columns/constants",
            path,
        )
    if "source" not in columns and "source" not in constants and not all(f.source for f in figures):
        raise SuiteError(
            "say where the source comes from: columns.source or constants.source", path
        )
    sentinels = data.get("sentinels") or []
    if not isinstance(sentinels, list) or not all(
        isinstance(s, int) and not isinstance(s, bool) for s in sentinels
    ):
        raise SuiteError("sentinels are whole numbers such as -1 or -99", path)
    _check_settings(data, path)
    return Profile(
        name=str(data["name"]),
        files=_patterns(data["files"], path),
        path=path,
        format=fmt,
        encoding=data.get("encoding"),
        delimiter=data.get("delimiter"),
        sheet=data.get("sheet"),
        records=data.get("records"),
        skip_hashtag_row=bool(data.get("skip_hashtag_row", False)),
        columns=columns,
        constants=constants,
        date_formats=_date_formats(data.get("dates"), path),
        sentinels=tuple(int(s) for s in sentinels),
        figures=figures,
        long=long,
        dates_in_columns=by_date,
        aggregate=aggregate(data.get("aggregate"), path),
    )


def _patterns(value: Any, path: str) -> tuple[str, ...]:
    """``files:``: patterns matched against a file's name, or its path below the folder
    being read; they choose among the files given, never open one, so a pattern that
    climbs out (``..``) or starts at the root could never match and is refused."""
    patterns = _strs(value, "files", path)
    for pattern in patterns:
        parts = pattern.replace("\\", "/").split("/")
        if not pattern.strip() or pattern.startswith(("/", "\\")) or ".." in parts:
            raise SuiteError(
                f"files: {pattern!r} can never match: a pattern matches a file's name or "
                "its path below the folder being read (no '..', no leading '/')",
                path,
            )
    return patterns


def _check_settings(data: Mapping[str, Any], path: str) -> None:
    """How to read the export: each setting of the kind the readers take."""
    encoding = data.get("encoding")
    if encoding is not None and not _text_encoding(encoding):
        raise SuiteError(
            f"encoding: expected a text encoding such as utf-8 or cp1256, not {encoding!r}", path
        )
    delimiter = data.get("delimiter")
    if delimiter is not None and (
        not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '\r\n"'
    ):
        raise SuiteError(f"delimiter: expected one character such as ';', not {delimiter!r}", path)
    sheet = data.get("sheet")
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, (str, int))):
        raise SuiteError(f"sheet: expected a sheet's name or number, not {sheet!r}", path)
    records = data.get("records")
    if records is not None and not isinstance(records, str):
        raise SuiteError(f"records: expected the key that holds the records, not {records!r}", path)
    hxl = data.get("skip_hashtag_row")
    if hxl is not None and not isinstance(hxl, bool):
        raise SuiteError(f"skip_hashtag_row: expected true or false, not {hxl!r}", path)


def _text_encoding(name: object) -> bool:
    if not isinstance(name, str):
        return False
    try:
        "".encode(name)
    except (LookupError, ValueError):  # unknown, or not bytes to text (rot13)
        return False
    return True


def _column_name(spec: Mapping[str, Any], key: str, what: str, path: str) -> str | None:
    """An optional export column a figure spec names (a bound, a source)."""
    value = spec.get(key)
    if value is not None and not isinstance(value, str):
        raise SuiteError(f"{what}.{key}: expected an export column's name, not {value!r}", path)
    return value


def _targets(value: Any, what: str, path: str) -> dict[str, Any]:
    """``columns:`` or ``constants:``: figures-table columns to export columns (or values)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SuiteError(f"{what}: expected a mapping of figures-table columns", path)
    for target in value:
        if target not in MAPPABLE:
            raise SuiteError(
                f"{what}: {target!r} is not a figures-table column a profile fills."
                + did_you_mean(str(target), MAPPABLE),
                path,
            )
    return {str(k): v for k, v in value.items()}


def _column_spec(target: str, value: Any, path: str) -> ColumnSpec:
    """One ``columns:`` entry: a column name, a list of them (joined), or a mapping with
    ``columns``/``template``, ``values`` and ``join``."""
    what = f"columns.{target}"
    if isinstance(value, (str, list)):
        value = {"columns": value}
    if not isinstance(value, Mapping):
        raise SuiteError(f"{what}: an export column, a list of them, or a mapping", path)
    _check_keys(value, _COLUMN_KEYS, what, path)
    template = value.get("template")
    if template is not None and not isinstance(template, str):
        raise SuiteError(f"{what}.template: expected text such as '{{Date}} {{City}}'", path)
    if (template is None) == ("columns" not in value):
        raise SuiteError(f"{what}: give either 'columns' or 'template'", path)
    named = PLACEHOLDER.findall(template) if template else []
    if template is not None and not named:
        raise SuiteError(f"{what}.template names no column: use {{Column}}", path)
    targets = tuple(n for n in named if n in MAPPABLE and n != target)
    columns = _strs(value.get("columns", [n for n in named if n not in targets]), what, path)
    if target in DATE_COLUMNS and (template is not None or len(columns) != 1):
        raise SuiteError(f"{what}: a date comes from one export column", path)
    values = value.get("values") or {}
    if not isinstance(values, Mapping) or not all(isinstance(m, Mapping) for m in values.values()):
        raise SuiteError(f"{what}.values: per export column, published value: value used", path)
    join = value.get("join", ", ")
    if not isinstance(join, str):
        raise SuiteError(f"{what}.join: expected text such as ', '", path)
    return ColumnSpec(
        columns=columns,
        template=template,
        values={str(c): {str(k): str(v) for k, v in m.items()} for c, m in values.items()},
        join=join,
        targets=targets,
    )


def _date_formats(dates: Any, path: str) -> dict[str, tuple[str, ...]]:
    formats: dict[str, tuple[str, ...]] = {}
    if dates is None:
        return formats
    if isinstance(dates, (str, list)):
        formats["*"] = _strs(dates, "dates", path)
    elif isinstance(dates, Mapping):
        for key, value in dates.items():
            if key != "*" and key not in DATE_COLUMNS:
                raise SuiteError(f"dates: {key!r} is not a date column {DATE_COLUMNS}", path)
            formats[str(key)] = _strs(value, f"dates.{key}", path)
    else:
        raise SuiteError("dates: a format, a list of formats, or formats per column", path)
    return formats


def _figure_specs(specs: Any, path: str) -> tuple[FigureSpec, ...]:
    if specs is None:
        return ()
    if not isinstance(specs, list):
        raise SuiteError("figures: expected a list of {measure, value} entries", path)
    figures = []
    for i, spec in enumerate(specs):
        if not isinstance(spec, Mapping) or "measure" not in spec or "value" not in spec:
            raise SuiteError(f"figures #{i + 1} needs 'measure' and 'value'", path)
        _check_keys(spec, _FIGURE_KEYS, f"figures #{i + 1}", path)
        figures.append(
            FigureSpec(
                measure=str(spec["measure"]),
                value=_strs(spec["value"], f"figures #{i + 1} value", path),
                low=_column_name(spec, "low", f"figures #{i + 1}", path),
                high=_column_name(spec, "high", f"figures #{i + 1}", path),
                source=_column_name(spec, "source", f"figures #{i + 1}", path),
            )
        )
    return tuple(figures)


def _long_spec(spec: Any, path: str) -> LongSpec | None:
    if spec is None:
        return None
    if not isinstance(spec, Mapping) or "measure" not in spec or "value" not in spec:
        raise SuiteError("long needs 'measure' and 'value' columns", path)
    _check_keys(spec, _LONG_KEYS, "long", path)
    measures = spec.get("measures") or {}
    if not isinstance(measures, Mapping):
        raise SuiteError("long.measures: expected a mapping of export names to measures", path)
    return LongSpec.of(
        measure=str(spec["measure"]),
        value=str(spec["value"]),
        low=_column_name(spec, "low", "long", path),
        high=_column_name(spec, "high", "long", path),
        measures={str(k): str(v) for k, v in measures.items()},
    )


# Files already in the figures table's own column names need no profile.
CANONICAL = Profile(
    name="figures table",
    files=("*",),
    path="<built-in>",
    columns={c: ColumnSpec((c,)) for c in MAPPABLE},
    long=LongSpec.of(measure="measure", value="value", low="low", high="high"),
)
CANONICAL_KEYS = frozenset({"incident", "source", "measure"})  # and value or figure_text

"""Source profiles: how one outlet's export becomes rows of the figures table.

A profile is a YAML file in a suite's ``profiles/`` folder. It says which files it claims, how
to read them, where each figures-table column comes from, and which columns hold figures
(``figures:`` for a wide export, a column per measure; ``long:`` for measure + value columns).
"""

from __future__ import annotations

import contextlib
import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import SuiteError, did_you_mean

# Figures-table columns a profile can fill from an export column or a constant.
MAPPABLE = (
    "incident",
    "source",
    "reported_on",
    "event_start",
    "event_end",
    "location",
    "country",
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
    "attribution",
}
_FIGURE_KEYS = {"measure", "value", "low", "high", "text", "source", "qualifier"}
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
    columns: Mapping[str, str] = field(default_factory=dict)
    constants: Mapping[str, str] = field(default_factory=dict)
    date_formats: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sentinels: tuple[int, ...] = ()
    figures: tuple[FigureSpec, ...] = ()
    long: LongSpec | None = None

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
        used: dict[str, str] = {col: target for target, col in self.columns.items()}
        for f in self.figures:
            for v in f.value:
                used[v] = f"figure {f.measure}"
            for bound in (f.low, f.high):
                if bound:
                    used[bound] = f"bound of {f.measure}"
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
    columns = _targets(data.get("columns"), "columns", path)
    constants = _targets(data.get("constants"), "constants", path)
    fmt = data.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise SuiteError(f"format {fmt!r} is not one of {', '.join(FORMATS)}", path)
    figures = _figure_specs(data.get("figures"), path)
    long = _long_spec(data.get("long"), path)
    if bool(figures) == (long is not None):
        raise SuiteError(
            "a profile has either 'figures' (wide) or 'long', not both or neither", path
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
    return Profile(
        name=str(data["name"]),
        files=_strs(data["files"], "files", path),
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
    )


def _targets(value: Any, what: str, path: str) -> dict[str, str]:
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
    return {str(k): str(v) for k, v in value.items()}


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
                low=spec.get("low"),
                high=spec.get("high"),
                source=spec.get("source"),
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
        low=spec.get("low"),
        high=spec.get("high"),
        measures={str(k): str(v) for k, v in measures.items()},
    )


# Files already in the figures table's own column names need no profile.
CANONICAL = Profile(
    name="figures table",
    files=("*",),
    path="<built-in>",
    columns={c: c for c in MAPPABLE},
    long=LongSpec.of(measure="measure", value="value", low="low", high="high"),
)
CANONICAL_KEYS = frozenset({"incident", "source", "measure"})  # and value or figure_text

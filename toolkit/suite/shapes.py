"""Profile keys for shapes beyond one row per record: ``dates_in_columns`` (one column per
date) and ``aggregate`` (sub-units summed). What they mean is told in
:mod:`toolkit.suite.profiles`; this module checks them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from toolkit.errors import SuiteError, did_you_mean


@dataclass(frozen=True)
class DatesInColumns:
    """One column per date: headers that are dates in ``format``, each cell a figure of
    ``measure``."""

    format: str
    measure: str


@dataclass(frozen=True)
class Aggregate:
    """Rows sharing the ``by`` export columns' values are summed into one figure."""

    by: tuple[str, ...]


def _keys(spec: Mapping[str, Any], allowed: tuple[str, ...], what: str, path: str) -> None:
    for key in spec:
        if key not in allowed:
            raise SuiteError(
                f"unknown key {key!r} in {what}." + did_you_mean(str(key), allowed), path
            )


def dates_in_columns(spec: Any, path: str) -> DatesInColumns | None:
    """``dates_in_columns: {columns: FORMAT, measure: NAME}``."""
    if spec is None:
        return None
    what = "dates_in_columns"
    if not isinstance(spec, Mapping):
        raise SuiteError(f'{what}: expected {{columns: "%m/%d/%y", measure: deaths}}', path)
    _keys(spec, ("columns", "measure"), what, path)
    fmt, measure = spec.get("columns"), spec.get("measure")
    if not isinstance(fmt, str) or "%" not in fmt:
        raise SuiteError(
            f"{what}.columns: expected the headers' date format, such as '%m/%d/%y', not {fmt!r}",
            path,
        )
    if not isinstance(measure, str) or not measure:
        raise SuiteError(f"{what}.measure: expected a measure's name, not {measure!r}", path)
    return DatesInColumns(fmt, measure)


def aggregate(spec: Any, path: str) -> Aggregate | None:
    """``aggregate: {by: [COLUMN, ...], sum: true}``."""
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        raise SuiteError("aggregate: expected {by: [export columns], sum: true}", path)
    _keys(spec, ("by", "sum"), "aggregate", path)
    if spec.get("sum") is not True:
        raise SuiteError(
            f"aggregate.sum: only 'sum: true' is known (parts are summed), not {spec.get('sum')!r}",
            path,
        )
    by = spec.get("by")
    if isinstance(by, str):
        by = [by]
    if not isinstance(by, Sequence) or not by or not all(isinstance(c, str) for c in by):
        raise SuiteError(
            f"aggregate.by: expected the export columns that group the parts, not {by!r}", path
        )
    return Aggregate(tuple(by))

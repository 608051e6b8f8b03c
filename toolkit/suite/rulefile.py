"""Hand-written rules files (a Great Expectations ExpectationSuite JSON), read and checked
when the suite loads, before any data is read.

Every expectation is checked against the arguments its type takes (:data:`ARGUMENTS`, the
same for the native engine and GX): the type is one crosscheck runs; ``kwargs`` holds only
that type's arguments, each of the right kind (a column is a name, a value set a non-empty
list of plain values, a bound a number, an ISO date or ``{"$PARAMETER": name}``, ``or_equal``
true or false, a measure one the taxonomy defines); ``mostly`` is a number from 0 to 1; and
``meta`` gives text, a severity crosscheck knows. A wrong one is a
:class:`~toolkit.errors.SuiteError` naming the file, the expectation's number and the
argument, never a crash when the rule runs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from toolkit.errors import SuiteError, did_you_mean, quoted
from toolkit.model.vocabulary import SEVERITIES
from toolkit.suite.taxonomy import Taxonomy

# Values a rule's ``{"$PARAMETER": name}`` may name: the day of the run and the suite's
# date floor (both datetimes, given by the check stage).
PARAMETERS = ("today", "floor")
PAIR_IGNORE = ("both_values_are_missing", "either_value_is_missing", "neither")
MULTICOLUMN_IGNORE = ("all_values_are_missing", "any_value_is_missing", "never")
_SCALARS = (str, int, float, bool, type(None))

# Each expectation type crosscheck runs: its arguments, as (kind, required). ``mostly`` is
# every type's; crosscheck's own (multicolumn) types also take GX's ``column_list`` and
# ``ignore_row_if``, which crosscheck sets itself when it hands the rule to GX.
_CUSTOM = {"column_list": ("columns", False), "ignore_row_if": ("multicolumn_ignore", False)}
ARGUMENTS: dict[str, dict[str, tuple[str, bool]]] = {
    "expect_column_pair_values_a_to_be_greater_than_b": {
        "column_A": ("column", True),
        "column_B": ("column", True),
        "or_equal": ("bool", False),
        "ignore_row_if": ("pair_ignore", False),
    },
    "expect_column_values_to_be_between": {
        "column": ("column", True),
        "min_value": ("bound", False),
        "max_value": ("bound", False),
    },
    "expect_column_values_to_not_be_null": {"column": ("column", True)},
    "expect_column_values_to_be_in_set": {
        "column": ("column", True),
        "value_set": ("value_set", True),
    },
    "expect_figure_within_bounds": {**_CUSTOM},
    "expect_figure_not_above_parent": {
        "child": ("measure", True),
        "parent": ("measure", True),
        **_CUSTOM,
    },
    "expect_parts_not_above_whole": {
        "whole": ("measure", True),
        "parts": ("measures", True),
        **_CUSTOM,
    },
    "expect_parts_to_equal_whole": {
        "whole": ("measure", True),
        "parts": ("measures", True),
        **_CUSTOM,
    },
    "expect_cumulative_figure_not_to_drop": {"measure": ("measure", True), **_CUSTOM},
    "expect_one_figure_per_report": {**_CUSTOM},
    "expect_one_incident_per_key": {**_CUSTOM},
    "expect_increment_to_match_cumulative": {
        "measure": ("measure", True),
        "of": ("measure", True),
        **_CUSTOM,
    },
}
_META_TEXT = ("rule", "family", "message")


def read_rule_file(
    path: Path, taxonomy: Taxonomy, parameters: tuple[str, ...] = PARAMETERS
) -> tuple[Mapping[str, Any], ...]:
    """The expectations of a hand-written rules file, each checked (see the module
    docstring); ``parameters`` are the ``$PARAMETER`` names the suite can give."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(f"cannot read: {exc}", path) from None
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise SuiteError("JSON nested too deeply", path) from None
    except ValueError as exc:  # a number of 4,300+ digits; a date that is none (2017-02-30)
        why = "a number of more than 4,300 digits" if "digits" in str(exc) else str(exc)
        raise SuiteError(f"not valid JSON here: {why}", path) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("expectations"), list):
        raise SuiteError("a GX ExpectationSuite JSON object with 'expectations' is expected", path)
    for i, e in enumerate(data["expectations"], start=1):
        _check_expectation(e, f"expectation #{i}", path, taxonomy, parameters)
    return tuple(data["expectations"])


def _check_expectation(
    e: object, where: str, path: Path, taxonomy: Taxonomy, parameters: tuple[str, ...]
) -> None:
    if not isinstance(e, Mapping) or "type" not in e:
        raise SuiteError(f"{where} needs a 'type'", path)
    for part in ("kwargs", "meta"):
        if not isinstance(e.get(part, {}), Mapping):
            raise SuiteError(f"{where}: {part!r} must be an object", path)
    kind = e["type"]
    if not isinstance(kind, str) or kind not in ARGUMENTS:
        raise SuiteError(
            f"{where}: crosscheck cannot run {kind!r}." + did_you_mean(str(kind), ARGUMENTS), path
        )
    where = f"{where} ({kind})"
    kwargs: Mapping[str, Any] = e.get("kwargs") or {}
    arguments = ARGUMENTS[kind]
    for name, value in kwargs.items():
        if name == "mostly":
            _mostly(value, where, path)
            continue
        if name not in arguments:
            raise SuiteError(
                f"{where}: takes no argument {name!r}."
                + did_you_mean(str(name), [*arguments, "mostly"]),
                path,
            )
        problem = _KINDS[arguments[name][0]](value, taxonomy, parameters)
        if problem:
            raise SuiteError(f"{where}: {name}: {problem}", path)
    for name, (_, required) in arguments.items():
        if required and name not in kwargs:
            raise SuiteError(f"{where}: missing the argument {name!r}", path)
    if kind == "expect_column_values_to_be_between":
        _bounds_together(kwargs, where, path)
    _check_meta(e.get("meta") or {}, where, path)


def _mostly(value: object, where: str, path: Path) -> None:
    if not _is_number(value) or not 0 <= float(value) <= 1:  # type: ignore[arg-type]
        raise SuiteError(
            f"{where}: mostly: expected a number from 0 to 1, not {quoted(value)}", path
        )


def _check_meta(meta: Mapping[str, Any], where: str, path: Path) -> None:
    for key in _META_TEXT:
        if meta.get(key) is not None and (not isinstance(meta[key], str) or not meta[key]):
            raise SuiteError(f"{where}: meta.{key}: expected text, not {quoted(meta[key])}", path)
    severity = meta.get("severity")
    if severity is not None and severity not in SEVERITIES:
        raise SuiteError(
            f"{where}: meta.severity must be one of {', '.join(SEVERITIES)}, "
            f"not {quoted(severity)}",
            path,
        )


def _bounds_together(kwargs: Mapping[str, Any], where: str, path: Path) -> None:
    """``min_value`` and ``max_value``: at least one, of one kind, in order."""
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is None and high is None:
        raise SuiteError(f"{where}: give min_value, max_value or both", path)
    if low is None or high is None or isinstance(low, Mapping) or isinstance(high, Mapping):
        return
    if isinstance(low, str) != isinstance(high, str):
        raise SuiteError(f"{where}: min_value and max_value must both be numbers or dates", path)
    a, b = (as_date(v) if isinstance(v, str) else float(v) for v in (low, high))
    if a > b:  # type: ignore[operator]
        raise SuiteError(f"{where}: min_value {low!r} is above max_value {high!r}", path)


def as_date(text: str) -> datetime | None:
    """An ISO date (``2017-10-21``) or date and time without a zone, as a datetime."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is not None or len(text) < len("2017-10-21"):
        return None
    return value


def _is_number(value: object) -> bool:
    """A finite number (not true or false, not a whole number too large for a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


# Each kind of argument: a function giving what was expected instead of a value, or "" for
# a good one.
Kind = Callable[[Any, Taxonomy, tuple[str, ...]], str]


def _column(value: Any, taxonomy: Taxonomy, parameters: tuple[str, ...]) -> str:
    return (
        "" if isinstance(value, str) and value else f"expected a column name, not {quoted(value)}"
    )


def _columns(value: Any, taxonomy: Taxonomy, parameters: tuple[str, ...]) -> str:
    ok = isinstance(value, list) and all(isinstance(c, str) and c for c in value)
    return "" if ok else f"expected a list of column names, not {quoted(value)}"


def _bool(value: Any, taxonomy: Taxonomy, parameters: tuple[str, ...]) -> str:
    return "" if isinstance(value, bool) else f"expected true or false, not {quoted(value)}"


def _one_of(options: tuple[str, ...]) -> Kind:
    def check(value: Any, taxonomy: Taxonomy, parameters: tuple[str, ...]) -> str:
        if isinstance(value, str) and value in options:
            return ""
        return f"expected one of {', '.join(options)}, not {quoted(value)}"

    return check


def _bound(value: Any, taxonomy: Taxonomy, parameters: tuple[str, ...]) -> str:
    if value is None or _is_number(value):
        return ""
    if isinstance(value, str) and as_date(value) is not None:
        return ""
    if isinstance(value, Mapping) and set(value) == {"$PARAMETER"}:
        name = value["$PARAMETER"]
        if isinstance(name, str) and name in parameters:
            return ""
        given = ", ".join(parameters) or "none"
        return f"{quoted(name)} is not a parameter this suite gives ({given})"
    return (
        'expected a number, an ISO date (YYYY-MM-DD) or {"$PARAMETER": name}, '
        f"not {quoted(value)}"
    )


def _value_set(value: Any, taxonomy: Taxonomy, parameters: tuple[str, ...]) -> str:
    ok = (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(v, _SCALARS) and not (isinstance(v, float) and not math.isfinite(v))
            for v in value
        )
    )
    if ok:
        return ""
    plain = "text, numbers, true, false, null"
    return f"expected a non-empty list of values ({plain}), not {quoted(value)}"


def _measure(value: Any, taxonomy: Taxonomy, parameters: tuple[str, ...]) -> str:
    if isinstance(value, str) and value in taxonomy:
        return ""
    if not isinstance(value, str):
        return f"expected a measure, not {quoted(value)}"
    return f"{value!r} is not a measure of the taxonomy." + did_you_mean(value, taxonomy.names)


def _measures(value: Any, taxonomy: Taxonomy, parameters: tuple[str, ...]) -> str:
    if not isinstance(value, list) or not value:
        return f"expected a non-empty list of measures, not {quoted(value)}"
    for v in value:
        problem = _measure(v, taxonomy, parameters)
        if problem:
            return problem
    return "" if len(set(value)) == len(value) else "lists a measure twice"


_KINDS: dict[str, Kind] = {
    "column": _column,
    "columns": _columns,
    "bool": _bool,
    "pair_ignore": _one_of(PAIR_IGNORE),
    "multicolumn_ignore": _one_of(MULTICOLUMN_IGNORE),
    "bound": _bound,
    "value_set": _value_set,
    "measure": _measure,
    "measures": _measures,
}


def uses_parameter(expectations: tuple[Mapping[str, Any], ...], name: str) -> bool:
    """True when an expectation's argument is ``{"$PARAMETER": name}``."""
    return any(
        isinstance(v, Mapping) and v.get("$PARAMETER") == name
        for e in expectations
        for v in (e.get("kwargs") or {}).values()
    )

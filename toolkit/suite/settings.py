"""Typed settings of a suite: comparison tolerances, severities and ``mostly`` per finding
family, each checked when the suite is loaded (a wrong type or an unknown key is a
:class:`~toolkit.errors.SuiteError` naming the file, never a crash later)."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from toolkit.errors import SuiteError, SuiteWarning, did_you_mean, quoted
from toolkit.model.vocabulary import ALIASES, FAMILIES, SEVERITIES


@dataclass(frozen=True)
class ExactTolerance:
    """How far two exact figures may differ and still agree: ``max(absolute, relative x
    the figure)`` (both 0: to the digit)."""

    relative: float = 0.0
    absolute: float = 0.0


@dataclass(frozen=True)
class CompareSettings:
    """How figures are compared and incidents matched (``compare:`` in suite.yaml)."""

    about_tolerance: float = 0.1  # "about 200" -> [180, 220]
    spread_threshold: float = 0.5  # points more than 50 % apart while intervals overlap
    match_threshold: float = 0.8  # incident matches scoring lower are findings
    window_days: float = 7  # a developing figure this much older than the newest is stale
    match_days: float = 3  # incidents whose dates lie further apart are never matched
    developing_days: float = 30  # reported this long after the event ended: final
    exact_tolerance: ExactTolerance = ExactTolerance()
    over_time: bool = False  # also compare every report date, not only the latest figures
    lag_days: float = 7  # the longest lag looked for, in days
    lag_dates: float = 3  # the fewest dates a lag must hold on to be reported
    review_threshold: float = 0.9  # automatic links scoring lower are worth a person's review
    pattern_share: float = 0.6  # one explanation for this share of a source's conflicts...
    pattern_min: float = 5  # ...of at least this many is a pattern (a source-level finding)

    def as_dict(self) -> dict[str, object]:
        """The settings by name, as suite.yaml spells them."""
        out: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        tolerance = self.exact_tolerance
        out["exact_tolerance"] = f"relative {tolerance.relative:g}, absolute {tolerance.absolute:g}"
        return out

    def with_values(self, values: object, path: Path | str) -> CompareSettings:
        """These settings with ``values`` (the parsed ``compare:`` mapping) applied."""
        if values is None:
            return self
        if not isinstance(values, Mapping):
            raise SuiteError("compare: expected a mapping of settings to values", path)
        names = [f.name for f in fields(self)]
        changed: dict[str, Any] = {}
        for key, value in values.items():
            if key not in names:
                raise SuiteError(
                    f"unknown compare setting {key!r}." + did_you_mean(str(key), names), path
                )
            if key == "exact_tolerance":
                changed[key] = _exact_tolerance(value, path)
            elif key == "over_time":
                if not isinstance(value, bool):
                    raise SuiteError(
                        f"compare.over_time: expected true or false, not {quoted(value)}", path
                    )
                changed[key] = value
            else:
                changed[str(key)] = _number(f"compare.{key}", value, path, *_RANGES[str(key)])
                if key in _WHOLE and changed[str(key)] != int(changed[str(key)]):
                    raise SuiteError(f"compare.{key}: expected a whole number, not {value!r}", path)
        return replace(self, **changed)


_UNITS = {
    "": 1,
    "b": 1,
    "kib": 1 << 10,
    "mib": 1 << 20,
    "gib": 1 << 30,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
}


@dataclass(frozen=True)
class Limits:
    """How much an export may hold before crosscheck refuses to read it (``limits:`` in
    suite.yaml): a file past a limit is an :class:`~toolkit.errors.InputError` that names
    the limit and how to raise it, never a machine run out of memory."""

    cell_bytes: int = 1 << 20  # text in one cell (1 MiB)
    sheet_bytes: int = 512 << 20  # one worksheet's XML, or the shared strings, inflated
    inflated_bytes: int = 4 << 30  # a .gz or .xlsx once decompressed

    def as_dict(self) -> dict[str, object]:
        """The limits by name, as suite.yaml spells them."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def with_values(self, values: object, path: Path | str) -> Limits:
        """These limits with ``values`` (the parsed ``limits:`` mapping) applied: each a
        number of bytes, or a text such as ``64 MiB``."""
        if values is None:
            return self
        if not isinstance(values, Mapping):
            raise SuiteError("limits: expected a mapping of limits to sizes", path)
        names = [f.name for f in fields(self)]
        changed: dict[str, int] = {}
        for key, value in values.items():
            if key not in names:
                raise SuiteError(f"unknown limit {key!r}." + did_you_mean(str(key), names), path)
            changed[str(key)] = _size(f"limits.{key}", value, path)
        return replace(self, **changed)


def _size(what: str, value: object, path: Path | str) -> int:
    """A size in bytes: a positive whole number, or a number and a unit (``64 MiB``)."""
    number: float | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value if value < 1 << 62 else math.inf  # no float overflow for a huge one
    elif isinstance(value, str):
        parts = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*([A-Za-z]*)\s*", value)
        unit = _UNITS.get(parts.group(2).lower()) if parts else None
        number = float(parts.group(1)) * unit if parts and unit else None
    if number is None or not math.isfinite(number) or number < 1:
        raise SuiteError(
            f"{what}: expected a size in bytes (a whole number, or e.g. '64 MiB'), "
            f"not {quoted(value)}",
            path,
        )
    return int(number)


# Each setting's allowed range: (lowest, highest, whether the highest itself is allowed).
_RANGES: dict[str, tuple[float, float, bool]] = {
    "about_tolerance": (0.0, 1.0, False),
    "spread_threshold": (0.0, 1.0, True),
    "match_threshold": (0.0, 1.0, True),
    "window_days": (0.0, math.inf, False),
    "match_days": (0.0, math.inf, False),
    "developing_days": (0.0, math.inf, False),
    "lag_days": (1.0, 366.0, True),
    "lag_dates": (2.0, math.inf, False),
    "review_threshold": (0.0, 1.0, True),
    "pattern_share": (0.0, 1.0, True),
    "pattern_min": (1.0, math.inf, False),
    "relative": (0.0, 1.0, False),
    "absolute": (0.0, math.inf, False),
}


_WHOLE = ("lag_days", "lag_dates", "pattern_min")  # counted in whole days and dates


def _exact_tolerance(value: object, path: Path | str) -> ExactTolerance:
    if not isinstance(value, Mapping):
        raise SuiteError("compare.exact_tolerance: expected {relative: r, absolute: a}", path)
    allowed = ("relative", "absolute")
    for key in value:
        if key not in allowed:
            raise SuiteError(
                f"compare.exact_tolerance: unknown key {key!r}." + did_you_mean(str(key), allowed),
                path,
            )
    return ExactTolerance(
        **{
            str(k): _number(f"compare.exact_tolerance.{k}", v, path, *_RANGES[str(k)])
            for k, v in value.items()
        }
    )


def _number(
    what: str, value: object, path: Path | str, low: float, high: float, high_ok: bool
) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SuiteError(f"{what}: expected a number, not {quoted(value)}", path)
    try:
        number = float(value)
    except OverflowError:  # a whole number past a float's range
        number = math.inf
    if math.isinf(number) and math.isinf(high):
        raise SuiteError(f"{what}: expected a finite number, not {quoted(value)}", path)
    if math.isnan(number) or number < low or number > high or (number == high and not high_ok):
        upper = "" if math.isinf(high) else f" and {'at most' if high_ok else 'below'} {high:g}"
        raise SuiteError(f"{what}: {quoted(value)} is out of range (at least {low:g}{upper})", path)
    return number


def family_settings(
    section: str,
    values: object,
    path: Path | str,
    written: Collection[str] = (),
) -> dict[str, Any]:
    """The ``severity:`` or ``mostly:`` mapping of a suite, keyed by finding family.

    Keys must be families crosscheck knows (or that the suite's hand-written rules name in
    their ``meta.family``); an old key is accepted under its new name with a warning.
    """
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise SuiteError(f"{section}: expected a mapping of finding families to values", path)
    out: dict[str, Any] = {}
    known = [k for k, f in FAMILIES.items() if _settable(f.tunable, f.mostly, section)]
    known += [w for w in written if w not in FAMILIES]
    for raw_key, value in values.items():
        key = str(raw_key)
        if key in ALIASES:
            warnings.warn(
                f"{path}: {section}: {key!r} is now {ALIASES[key]!r}; rename the key",
                SuiteWarning,
                stacklevel=2,
            )
            key = ALIASES[key]
        family = FAMILIES.get(key)
        if key not in known:
            if family is not None:
                why = "its severity is fixed" if section == "severity" else "it is not a rule"
                raise SuiteError(f"{section}: {key!r} cannot be set here: {why}", path)
            raise SuiteError(
                f"{section}: unknown finding family {key!r}." + did_you_mean(key, known), path
            )
        if section == "severity":
            if value not in SEVERITIES:
                raise SuiteError(
                    f"severity of {key!r} must be one of {', '.join(SEVERITIES)}, not {value!r}",
                    path,
                )
            out[key] = str(value)
        else:
            out[key] = _number(f"mostly.{key}", value, path, 0.0, 1.0, True)
    return out


def _settable(tunable: bool, mostly: bool, section: str) -> bool:
    return tunable if section == "severity" else mostly

"""What a record says besides its figures: incident, source, dates, place, country, title,
citation — each from one export column, several joined, a template, or a constant.

Plain columns and constants come first, then the dates (parsed strictly, in the profile's
formats), then the joined and templated columns, each after the columns it names;
``admin1`` becomes an ISO 3166-2 code as soon as it and the country are final.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from toolkit.columnar import repeated_text
from toolkit.reading.admin1 import admin1_codes
from toolkit.reading.cells import as_text, observed, parse_dates
from toolkit.suite.profiles import DATE_COLUMNS, MAPPABLE, PLACEHOLDER, ColumnSpec, Profile

Problems = Callable[..., None]  # add(records, code=, column=, observed=, ...)


def record_columns(
    frame: pd.DataFrame, profile: Profile, columns: Mapping[str, ColumnSpec], add: Problems
) -> dict[str, pd.Series]:
    """Figures-table columns that belong to the record, and problems (missing incident or
    source, dates not in their format) through ``add``."""
    n = len(frame)
    base: dict[str, pd.Series] = {}
    later = []
    for target in MAPPABLE:
        spec = columns.get(target)
        if spec is not None and spec.single is not None and target not in DATE_COLUMNS:
            base[target] = as_text(frame[spec.single])
        elif spec is not None and target in DATE_COLUMNS:
            base[target] = _dates(frame, spec.columns[0], target, profile, add)
        elif spec is not None:
            later.append(target)
        elif target in profile.constants:
            value = profile.constants[target]
            base[target] = (
                pd.Series(pd.Timestamp(value), index=frame.index).astype("datetime64[us]")
                if target in DATE_COLUMNS
                else repeated_text(value, n)
            )
    pending = _in_order(later, columns)  # joined and templated: they may use the others
    coded = False
    while True:
        # admin1 becomes an ISO 3166-2 code once, when it and the country are final
        if not coded and "admin1" in base and not {"admin1", "country"} & set(pending):
            base["admin1"] = admin1_codes(_country(base, n), base["admin1"])
            coded = True
        if not pending:
            break
        target = pending.pop(0)
        base[target] = _composed(frame, columns[target], base)
    _require_keys(base, profile, columns, add)
    return base


def _in_order(later: list[str], columns: Mapping[str, ColumnSpec]) -> list[str]:
    """Composed columns in an order that fills each before the templates naming it (a
    template naming admin1 waits for the country too: admin1 is coded by it). A cycle
    keeps the profile's order: the names it cannot fill yet read as missing."""
    composed = set(later)

    def needs(target: str) -> set[str]:
        named = set(columns[target].targets)
        if "admin1" in named or target == "admin1":
            named |= {"admin1", "country"} - {target}
        return named & composed

    order: list[str] = []
    pending = list(later)
    while pending:
        target = next((t for t in pending if needs(t) <= set(order)), pending[0])
        pending.remove(target)
        order.append(target)
    return order


def _country(base: Mapping[str, pd.Series], n: int) -> pd.Series:
    return base["country"] if "country" in base else repeated_text(None, n)


def _dates(
    frame: pd.DataFrame, column: str, target: str, profile: Profile, add: Problems
) -> pd.Series:
    formats = profile.formats_for(target)
    parsed, failed = parse_dates(frame[column], formats)
    if failed.any():
        fmts = " or ".join(formats)
        add(
            np.flatnonzero(failed),
            column=column,
            code="bad-date",
            observed=observed(frame[column], failed),
            expected=fmts,
            message=f"{target}: not a date in format {fmts}; row not read",
        )
    return parsed


def _require_keys(
    base: Mapping[str, pd.Series],
    profile: Profile,
    columns: Mapping[str, ColumnSpec],
    add: Problems,
) -> None:
    source_per_figure = bool(profile.figures) and all(f.source for f in profile.figures)
    for key in ("incident", "source"):
        if key in base and not (key == "source" and source_per_figure):
            missing = base[key].isna().to_numpy()
            if missing.any():
                spec = columns.get(key)
                add(
                    np.flatnonzero(missing),
                    column=spec.columns[0] if spec is not None and spec.columns else key,
                    code=f"missing-{key}",
                    observed="",
                    expected=key,
                    message=f"no {key} in this row; row not read",
                )


def _text_of(value: pd.Series) -> pd.Series:
    """A figures-table column as text for a template: dates as YYYY-MM-DD."""
    if pd.api.types.is_datetime64_any_dtype(value.dtype):
        days: pd.Series = value.dt.strftime("%Y-%m-%d").astype("str")
        return days
    if isinstance(value.dtype, pd.ArrowDtype):  # Arrow dates, as a CSV's ISO dates are read
        return pd.Series(value.astype("str"), index=value.index, dtype="str")
    return value.astype("str")


def _composed(frame: pd.DataFrame, spec: ColumnSpec, base: Mapping[str, pd.Series]) -> pd.Series:
    """A column joined from several export columns, or filled in from a template."""
    parts: dict[str, pd.Series] = {}
    for column in spec.columns:
        text = as_text(frame[column])
        if column in spec.values:
            text = text.replace(dict(spec.values[column])).astype("str")
        parts[column] = text
    for target in spec.targets:
        parts[target] = (
            _text_of(base[target])
            if target in base
            else repeated_text(None, len(frame)).set_axis(frame.index)
        )
    if spec.template is None:
        return _joined([parts[c] for c in spec.columns], spec.join)
    return _filled(spec.template, parts, len(frame), frame.index)


def _joined(parts: list[pd.Series], sep: str) -> pd.Series:
    """Texts joined with ``sep``, missing ones left out; missing where all are.

    >>> a = pd.Series(["Aurora", None, None], dtype="str")
    >>> b = pd.Series(["Illinois", "Ohio", None], dtype="str")
    >>> _joined([a, b], ", ").tolist()
    ['Aurora, Illinois', 'Ohio', nan]
    """
    out = parts[0].reset_index(drop=True)
    for part in parts[1:]:
        part = part.reset_index(drop=True)
        both = out.notna() & part.notna()
        out = (out + sep + part).where(both, out.fillna(part))
    return out.set_axis(parts[0].index)


def _filled(template: str, parts: Mapping[str, Any], n: int, index: pd.Index) -> pd.Series:
    """The template with each ``{name}`` replaced; missing where any value is missing.
    Values are substituted as text, never evaluated.

    >>> d = pd.Series(["2019-02-15", None], dtype="str")
    >>> _filled("{d}/{c}", {"d": d, "c": pd.Series(["IL", "OH"], dtype="str")}, 2, d.index).tolist()
    ['2019-02-15/IL', nan]
    """
    pieces = PLACEHOLDER.split(template)  # literal, name, literal, name, …
    out = repeated_text("", n).set_axis(index)
    for i, piece in enumerate(pieces):
        if i % 2:
            out = out + parts[piece].set_axis(index)
        elif piece:
            out = out + piece
    return out

"""Schema stage: pandera checks the figures table; its failure cases become findings."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import pandas as pd

from toolkit import figures as ft
from toolkit import findings as fd

if TYPE_CHECKING:
    from toolkit.taxonomy import Taxonomy


@cache
def countries() -> frozenset[str]:
    """ISO 3166-1 alpha-3 codes (pycountry's list)."""
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.countries)


def check_schema(figures: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """Findings for every cell pandera rejects: types, required fields, allowed qualifiers,
    measures in the taxonomy, ISO 3166-1 alpha-3 countries, non-negative counts.

    ``figures`` must have a RangeIndex: pandera's failure index is then the row position.
    """
    import pandera.errors

    schema = ft.schema(taxonomy, countries())
    try:
        schema.validate(figures, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        return _findings(figures, exc.failure_cases)
    return fd.empty()


def _findings(figures: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """One finding per failure case; ``figures`` has a RangeIndex, so pandera's index is the
    row position. Column-level failures (a wrong dtype) have no row."""
    where = ("incident", "source", "measure", "reported_on", "origin_file", "origin_row")
    records = []
    for case in cases.to_dict("records"):  # a field is named "index": no itertuples here
        index = case["index"]
        row: dict[str, object] = {}
        if index is not None and not pd.isna(index) and 0 <= int(index) < len(figures):
            src = figures.iloc[int(index)]
            row = {k: src[k] for k in where}
        column = None if case["column"] is None else str(case["column"])
        check_name = str(case["check"])
        finding = fd.input_finding(
            check_name,
            "error",
            f"{column}: {case['failure_case']!r} fails the figures-table schema ({check_name})",
            column=column,
            observed=str(case["failure_case"]),
            expected=check_name,
        )
        records.append(finding | row | {"kind": "schema"})
    return fd.from_records(records)

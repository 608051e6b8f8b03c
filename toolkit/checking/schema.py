"""Schema stage: pandera checks the figures table; its failure cases become findings.

Types, required fields, allowed qualifiers, measures in the taxonomy, ISO 3166-1 alpha-3
countries and non-negative counts (but for measures the taxonomy marks ``signed``).
pandera is imported here only, when a check runs.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd

from toolkit.model import findings as fd
from toolkit.model.intervals import QUALIFIERS

if TYPE_CHECKING:
    from toolkit.suite.taxonomy import Taxonomy


@cache
def countries() -> frozenset[str]:
    """ISO 3166-1 alpha-3 codes (pycountry's list)."""
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.countries)


def figures_schema(
    taxonomy: Taxonomy | None = None, countries: frozenset[str] | None = None
) -> Any:
    """The pandera schema of the figures table."""
    import pandera.pandas as pa

    def count(name: str) -> Any:
        return pa.Column(
            "Int64", pa.Check.ge(0, error=f"{name} is a count: not negative"), nullable=True
        )

    measure_checks = []
    if taxonomy is not None:
        measure_checks.append(pa.Check.isin(list(taxonomy.names), error="measure in taxonomy"))
    country_checks = []
    if countries is not None:
        country_checks.append(pa.Check.isin(sorted(countries), error="ISO 3166-1 alpha-3 code"))
    return pa.DataFrameSchema(
        {
            "incident": pa.Column(str, nullable=False),
            "source": pa.Column(str, nullable=False),
            "measure": pa.Column(str, checks=measure_checks, nullable=False),
            "value": count("value"),
            "low": count("low"),
            "high": count("high"),
            "qualifier": pa.Column(
                str, pa.Check.isin(list(QUALIFIERS), error="allowed qualifier"), nullable=False
            ),
            "figure_text": pa.Column(str, nullable=True),
            "reported_on": pa.Column("datetime64[us]", nullable=True),
            "event_start": pa.Column("datetime64[us]", nullable=True),
            "event_end": pa.Column("datetime64[us]", nullable=True),
            "location": pa.Column(str, nullable=True),
            "admin1": pa.Column(str, nullable=True),
            "country": pa.Column(str, checks=country_checks, nullable=True),
            "title": pa.Column(str, nullable=True),
            "citation": pa.Column(str, nullable=True),
            "origin_file": pa.Column(str, nullable=True),
            "origin_row": pa.Column("Int64", nullable=True),
        },
        strict=False,
        coerce=False,
        name="figures table",
    )


def check_schema(figures: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """Findings for every cell pandera rejects (see the module docstring).

    ``figures`` must have a RangeIndex: pandera's failure index is then the row position.
    """
    import pandera.errors

    schema = figures_schema(taxonomy, countries())
    if taxonomy.signed:  # a change (a signed measure) may be negative: not its counts' check
        signed = figures["measure"].isin(list(taxonomy.signed)).to_numpy(dtype=bool)
        if signed.any():
            counts = ("value", "low", "high")
            figures = figures.assign(**{c: figures[c].mask(signed) for c in counts})
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
        records.append(
            {
                "kind": "schema",
                "code": "schema",
                "rule": check_name,
                "severity": "error",
                "column": column,
                "observed": str(case["failure_case"]),
                "expected": check_name,
                "message": f"{column}: {case['failure_case']!r} fails the figures-table "
                f"schema ({check_name})",
                **row,
            }
        )
    return fd.from_records(records)

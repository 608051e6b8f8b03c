"""How crosscheck stays fast: every Arrow and numpy trick in one small package.

The stages say *what* they compute (the latest figure per source, a group's median, the
names of a column's codes); this package says *how*, without a Python object per row:
Arrow-backed text built and coded by Arrow (``text``), integer codes sorted once and runs
of equal keys reduced with ``reduceat`` or, when short and alike, column by column
(``codes``), dates and bytes as numbers (``raw``). Only public pandas, numpy and pyarrow
APIs are used.
"""

from __future__ import annotations

from toolkit.columnar.codes import (
    arrow_codes,
    at,
    chunks_of,
    codes,
    codes_by_name,
    combine_codes,
    distinct,
    previous_days,
    product_key,
    reduce_runs,
    run_medians,
    run_starts,
    runs_apart,
)
from toolkit.columnar.raw import (
    DAY_US,
    NAT_INT64,
    at_midnight,
    count_lines,
    is_arrow_date,
    is_blank,
    octets,
    whole_days,
)
from toolkit.columnar.text import (
    categorical,
    distinct_rows_formatted,
    format_each_distinct,
    join_runs,
    may_be_padded,
    missing_column,
    names_per_group,
    repeated_text,
    take_names,
    texts_at,
)

__all__ = [
    "DAY_US",
    "NAT_INT64",
    "arrow_codes",
    "at",
    "at_midnight",
    "categorical",
    "chunks_of",
    "codes",
    "codes_by_name",
    "combine_codes",
    "count_lines",
    "distinct",
    "distinct_rows_formatted",
    "format_each_distinct",
    "is_arrow_date",
    "is_blank",
    "join_runs",
    "may_be_padded",
    "missing_column",
    "names_per_group",
    "octets",
    "previous_days",
    "product_key",
    "reduce_runs",
    "repeated_text",
    "run_medians",
    "run_starts",
    "runs_apart",
    "take_names",
    "texts_at",
    "whole_days",
]

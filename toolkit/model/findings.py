"""Findings: one tidy DataFrame for every problem, whatever stage found it.

Each finding names its ``kind`` (the stage), its ``code`` (the finding family: the key a
suite's ``severity:`` and ``mostly:`` use), the ``rule`` it broke, a severity, the figure
it is about and where that came from (``origin_file:origin_row``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from toolkit.columnar import distinct, missing_column
from toolkit.model.vocabulary import FAMILIES, KINDS, SEVERITIES, failing

COLUMNS = (
    "kind",
    "code",
    "rule",
    "severity",
    "incident",
    "source",
    "measure",
    "reported_on",
    "origin_file",
    "origin_row",
    "column",
    "observed",
    "expected",
    "message",
    "explanation",  # why sources conflict (conflicts and patterns; missing elsewhere)
    "evidence",
)
_NOT_STR = ("origin_row", "reported_on")
_STR = tuple(c for c in COLUMNS if c not in _NOT_STR)


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    for c in _STR:
        df[c] = df[c].astype("str")
    df["origin_row"] = df["origin_row"].astype("Int64")
    df["reported_on"] = pd.to_datetime(df["reported_on"]).astype("datetime64[us]")
    return df


@cache
def _empty() -> pd.DataFrame:
    return _typed(pd.DataFrame({c: pd.Series([], dtype=object) for c in COLUMNS}))


def empty() -> pd.DataFrame:
    """A findings frame with no rows and every column typed."""
    return _empty().copy()


def input_finding(
    code: str,
    message: str,
    *,
    severity: str | None = None,
    origin_file: str | None = None,
    origin_row: int | None = None,
    column: str | None = None,
    observed: str | None = None,
    expected: str | None = None,
) -> dict[str, Any]:
    """One ``input`` finding of family ``code`` as a record (for :func:`from_records`);
    its severity is the family's unless given."""
    family = FAMILIES[code]
    return {
        "kind": family.kind.value,
        "code": code,
        "rule": code,
        "severity": severity or family.severity.value,
        "message": message,
        "origin_file": origin_file,
        "origin_row": origin_row,
        "column": column,
        "observed": observed,
        "expected": expected,
    }


def from_records(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Findings from dicts; missing keys are missing values."""
    rows = list(records)
    if not rows:
        return empty()
    return from_frame(pd.DataFrame.from_records(rows))


def from_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Findings from a frame with some of the finding columns; the rest are missing."""
    df = df.copy()
    for c in COLUMNS:
        if c not in df:  # typed and missing, without a Python object per row
            df[c] = missing_column("str", len(df)).set_axis(df.index) if c in _STR else None
    return _typed(df[list(COLUMNS)])


def concat(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Findings frames one after the other (empty ones skipped), worst first."""
    kept = [p for p in parts if len(p)]
    if not kept:
        return empty()
    return sort(pd.concat(kept, ignore_index=True))


_SEVERITY_ORDER = {s: i for i, s in enumerate(SEVERITIES)}
_KIND_ORDER = {k: i for i, k in enumerate(KINDS)}


def sort(df: pd.DataFrame) -> pd.DataFrame:
    """Worst first: by severity, kind, then file and line (stable otherwise).

    Sorted on integer codes of the few distinct values, not on a Python string per row.
    """

    def rank(column: str, order: dict[str, int]) -> np.ndarray:
        codes, names = distinct(df[column])
        table = np.array([order.get(str(n), 9) for n in names] + [9])
        return np.asarray(table[codes])  # -1 (missing) takes the last entry: 9

    files, names = distinct(df["origin_file"].astype("str"))
    by_name = np.argsort(np.array([str(n) for n in names], dtype=object), kind="stable")
    file_rank = np.empty(len(names) + 1, dtype=np.int64)
    file_rank[by_name] = np.arange(1, len(names) + 1)
    file_rank[-1] = 0  # missing file sorts first, as "" did
    line = df["origin_row"].to_numpy(dtype="float64", na_value=0.0)
    order = np.lexsort(
        (line, file_rank[files], rank("kind", _KIND_ORDER), rank("severity", _SEVERITY_ORDER))
    )
    return df.take(order).reset_index(drop=True)


def location(df: pd.DataFrame) -> pd.Series:
    """``file:line`` (or just ``file``) for each finding."""
    f = df["origin_file"].fillna("")
    line = df["origin_row"].astype("str").fillna("")
    return f.where(line == "", f + ":" + line)


def exit_code(findings: pd.DataFrame, fail_on: str) -> int:
    """1 when a finding is at or above ``fail_on`` (error, warning, info), else 0; never 1
    for ``fail_on="never"``."""
    return int(bool(findings["severity"].isin(failing(fail_on)).any()))


def counts(findings: pd.DataFrame) -> list[tuple[str, list[int]]]:
    """Findings counted by kind (in kind order) and severity (in severity order)."""
    if findings.empty:
        return []
    return tallied(findings.groupby(["kind", "severity"]).size().rename("n").reset_index())


def tallied(groups: pd.DataFrame) -> list[tuple[str, list[int]]]:
    """:func:`counts` from findings already counted (``groups``: kind, severity, ``n``)."""
    by = groups.groupby(["kind", "severity"])["n"].sum()
    present = set(groups["kind"])
    return [(k, [int(by.get((k, s), 0)) for s in SEVERITIES]) for k in KINDS if k in present]


def summary(findings: pd.DataFrame) -> pd.DataFrame:
    """Counts of findings by kind (rows) and severity (columns)."""
    table = findings.groupby(["kind", "severity"]).size().unstack(fill_value=0)
    return table.reindex(columns=list(SEVERITIES), fill_value=0)

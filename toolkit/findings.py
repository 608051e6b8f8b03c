"""Findings: one tidy DataFrame for every problem, whatever stage found it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

KINDS = ("input", "schema", "rule", "discrepancy", "revision")
SEVERITIES = ("error", "warning", "info")
COLUMNS = (
    "kind",
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
)
_NOT_STR = ("origin_row", "reported_on")
_STR = tuple(c for c in COLUMNS if c not in _NOT_STR)


def number_text(x: float) -> str:
    """A count or bound as a message shows it: ``1,234,567``, ``42.3``, ``∞``,
    ``unknown``."""
    if np.isnan(x):
        return "unknown"
    if np.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def number_texts(x: np.ndarray) -> np.ndarray:
    """:func:`number_text` per element, each distinct number formatted once."""
    uniques, codes = np.unique(x, return_inverse=True)
    texts = np.array([number_text(u) for u in uniques], dtype=object)
    return texts[codes.reshape(-1)]


def interval_texts(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """:func:`interval_text` per element, each distinct interval formatted once."""
    a, a_u = pd.factorize(lo, use_na_sentinel=False)
    b, b_u = pd.factorize(hi, use_na_sentinel=False)
    codes, pairs = pd.factorize(a.astype(np.int64) * (len(b_u) + 1) + b)
    texts = [
        interval_text(float(a_u[i]), float(b_u[j]))
        for i, j in (divmod(int(k), len(b_u) + 1) for k in np.asarray(pairs, dtype=np.int64))
    ]
    return np.array(texts, dtype=object)[codes]


def interval_text(lo: float, hi: float) -> str:
    """An interval as a message shows it: ``45`` (exact), ``[128, ∞]``, ``unknown``."""
    if np.isnan(lo):
        return "unknown"
    if lo == hi:
        return number_text(lo)
    return f"[{number_text(lo)}, {number_text(hi)}]"


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
    rule: str,
    severity: str,
    message: str,
    *,
    origin_file: str | None = None,
    origin_row: int | None = None,
    column: str | None = None,
    observed: str | None = None,
    expected: str | None = None,
) -> dict[str, Any]:
    """One ``input`` finding as a record (for :func:`from_records`)."""
    return {
        "kind": "input",
        "rule": rule,
        "severity": severity,
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
        if c not in df:
            df[c] = None
    return _typed(df[list(COLUMNS)])


_SEVERITY_ORDER = {s: i for i, s in enumerate(SEVERITIES)}
_KIND_ORDER = {k: i for i, k in enumerate(KINDS)}


def sort(df: pd.DataFrame) -> pd.DataFrame:
    """Worst first: by severity, kind, then file and line (stable otherwise).

    Sorted on integer codes of the few distinct values, not on a Python string per row.
    """
    from toolkit.qualifiers import distinct

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


def failing(fail_on: str) -> tuple[str, ...]:
    """The severities at or above ``fail_on``; none for ``"never"``.

    >>> failing("warning"), failing("never")
    (('error', 'warning'), ())
    """
    return () if fail_on == "never" else SEVERITIES[: SEVERITIES.index(fail_on) + 1]


def exit_code(findings: pd.DataFrame, fail_on: str) -> int:
    """1 when a finding is at or above ``fail_on`` (error, warning, info), else 0; never 1
    for ``fail_on="never"``."""
    return int(bool(findings["severity"].isin(failing(fail_on)).any()))


def counts(findings: pd.DataFrame) -> list[tuple[str, list[int]]]:
    """Findings counted by kind (in kind order) and severity (in severity order)."""
    if findings.empty:
        return []
    by = findings.groupby(["kind", "severity"]).size()
    present = set(findings["kind"])
    return [(k, [int(by.get((k, s), 0)) for s in SEVERITIES]) for k in KINDS if k in present]

"""Figures as intervals, and the one way every finding, table and chart writes them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit.model.intervals import interval_text, interval_texts, number_text

INF, NAN = float("inf"), float("nan")


@pytest.mark.parametrize(
    ("lo", "hi", "qualifier", "text"),
    [
        (45, 45, None, "45"),
        (128, INF, None, "≥ 128"),
        (128, INF, "at_least", "≥ 128"),
        (61, INF, "more_than", "> 60"),
        (0, 4, None, "0–4"),
        (0, 4, "fewer_than", "< 5"),
        (0, 10, "at_most", "≤ 10"),
        (180, 220, "about", "≈ 200"),
        (12, 15, "range", "12–15"),
        (42.3, 51.7, None, "42.3–51.7"),
        (1_234_567, 1_234_567, "exact", "1,234,567"),
        (10, NAN, None, "10–unknown"),
        (NAN, NAN, "unknown", "unknown"),
    ],
)
def test_how_every_finding_writes_an_interval(lo, hi, qualifier, text):
    assert interval_text(lo, hi, qualifier) == text
    qualifiers = pd.Series([qualifier, qualifier], dtype="str")
    many = interval_texts(np.array([lo, lo]), np.array([hi, hi]), qualifiers)
    assert many.tolist() == [text, text]


def test_each_distinct_interval_is_written_once_and_rows_keep_their_order():
    lo = np.array([1.0, 5, 1, NAN, 5])
    hi = np.array([1.0, INF, 1, NAN, INF])
    q = pd.Series(["exact", "at_least", "exact", None, "more_than"], dtype="str")
    assert interval_texts(lo, hi, q).tolist() == ["1", "≥ 5", "1", "unknown", "> 4"]


@pytest.mark.parametrize(
    ("x", "text"),
    [(1234567, "1,234,567"), (42.25, "42.2"), (INF, "∞"), (-INF, "-∞"), (NAN, "unknown")],
)
def test_how_a_count_is_written(x, text):
    assert number_text(x) == text

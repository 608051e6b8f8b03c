"""The figure-text grammar (toolkit/reading/qualifiers): "at least 128", "12-15", "١٢٨"."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.model.intervals import QUALIFIERS, intervals
from toolkit.reading.qualifiers import INT64_MAX, parse_figure, parse_figures

CASES = [
    # text, value, low, high, qualifier
    ("at least 128", 128, 128, None, "at_least"),
    ("128+", 128, 128, None, "at_least"),
    ("128 persons at least", 128, 128, None, "at_least"),
    ("more than 60", 60, 61, None, "more_than"),
    ("over 70", 70, 71, None, "more_than"),
    ("more than a 100", 100, 101, None, "more_than"),
    ("nearly 50", 50, None, None, "about"),
    ("about 200", 200, None, None, "about"),
    ("some 200", 200, None, None, "about"),
    ("up to 10", 10, 0, 10, "at_most"),
    ("fewer than 5", 5, 0, 4, "fewer_than"),
    ("12-15", None, 12, 15, "range"),
    ("12 – 15", None, 12, 15, "range"),
    ("12 to 15", None, 12, 15, "range"),
    ("between 12 and 15", None, 12, 15, "range"),
    ("1,200", 1200, 1200, 1200, "exact"),
    ("١٢٨", 128, 128, 128, "exact"),
    ("١٬٢٠٠", 1200, 1200, 1200, "exact"),
    ("١٢٨ على الأقل", 128, 128, None, "at_least"),
    ("أكثر من ٦٠", 60, 61, None, "more_than"),
    ("six", 6, 6, 6, "exact"),
    ("twenty-five", 25, 25, 25, "exact"),
    ("at least 67 bodies", 67, 67, None, "at_least"),
    ("83 of the 128", 83, 83, 83, "exact"),
    ("1.5 million", 1_500_000, 1_500_000, 1_500_000, "exact"),
    ("", None, None, None, "unknown"),
    ("unknown", None, None, None, "unknown"),
    ("N/A", None, None, None, "unknown"),
]


@pytest.mark.parametrize(("text", "value", "low", "high", "qualifier"), CASES)
def test_parse_table(text, value, low, high, qualifier):
    p = parse_figure(text)
    assert (p.value, p.low, p.high, p.qualifier) == (value, low, high, qualifier)
    assert p.problem is None


@pytest.mark.parametrize("text", ["dozens", "many", "12 or 15", "several dozen", "lots"])
def test_ambiguous_text_is_a_finding_not_a_guess(text):
    p = parse_figure(text)
    assert p.qualifier == "unknown"
    assert p.value is None
    assert text in p.problem
    assert not p.invalid


def test_words_only_where_the_suite_maps_them():
    assert parse_figure("dozens").qualifier == "unknown"
    p = parse_figure("dozens", {"dozens": 12})
    assert (p.value, p.low, p.qualifier) == (12, 12, "at_least")
    p = parse_figure("dozens", {"dozens": {"value": 12, "qualifier": "exact"}})
    assert (p.value, p.qualifier) == (12, "exact")


@pytest.mark.parametrize("text", ["99999999999999999999", "2.5", "15-12"])
def test_numbers_that_cannot_be_counts_are_invalid(text):
    p = parse_figure(text)
    assert p.invalid
    assert p.qualifier == "unknown"


@given(st.integers(min_value=0, max_value=INT64_MAX // 1000))
def test_any_count_round_trips_in_every_spelling(n):
    arabic = str(n).translate({ord(d): chr(0x0660 + int(d)) for d in "0123456789"})
    for text in (str(n), f"{n:,}", arabic, f" {n} "):
        assert parse_figure(text).value == n
    assert parse_figure(f"at least {n}").low == n
    assert parse_figure(f"more than {n}").low == n + 1


@given(st.text(max_size=40))
def test_parser_never_raises_and_bounds_are_ordered(text):
    p = parse_figure(text)
    assert p.qualifier in QUALIFIERS
    if p.low is not None and p.high is not None:
        assert p.low <= p.high
    if p.qualifier == "unknown":
        assert p.value is None


@given(st.lists(st.sampled_from([t for t, *_ in CASES] + ["dozens", None]), max_size=30))
def test_column_parse_equals_one_by_one(texts):
    frame = parse_figures(pd.Series(texts, dtype=object))
    for text, (_, row) in zip(texts, frame.iterrows(), strict=True):
        one = parse_figure(text)
        assert (None if pd.isna(row["value"]) else row["value"]) == one.value
        assert row["qualifier"] == one.qualifier


def test_intervals():
    parsed = parse_figures(
        pd.Series(
            [
                "at least 128",
                "45",
                "more than 60",
                "about 200",
                "12-15",
                "up to 10",
                "fewer than 5",
                "unknown",
            ]
        )
    )
    lo, hi = intervals(parsed, tolerance=0.1)
    assert lo[:7].tolist() == pytest.approx([128, 45, 61, 180, 12, 0, 0])
    assert hi[:7].tolist() == [math.inf, 45, math.inf, pytest.approx(220), 15, 10, 4]
    assert math.isnan(lo[7])
    assert math.isnan(hi[7])


@pytest.mark.parametrize("dtype", ["Int64", "Float64", "float64"])
def test_intervals_leave_the_table_as_it_was(dtype):
    """Intervals are built in place, in arrays of their own: never in the table's."""
    f = pd.DataFrame(
        {
            "value": pd.array([128, 60, 200, 5], dtype=dtype),
            "low": pd.array([128, 60, 200, 5], dtype=dtype),
            "high": pd.array([128, 60, 200, 5], dtype=dtype),
            "qualifier": pd.array(["at_least", "more_than", "about", "fewer_than"], dtype="str"),
        }
    )
    before = f.copy(deep=True)
    lo, hi = intervals(f, tolerance=0.1)
    assert lo.tolist() == pytest.approx([128, 60, 180, 0])  # "more than" with its low given
    assert hi.tolist() == pytest.approx([np.inf, np.inf, 220, 5])
    pd.testing.assert_frame_equal(f, before)


@pytest.mark.parametrize(
    "text", ["-9223373136366403584", "more than 9223372036854775807", "99999999999999999999"]
)
def test_a_figure_past_int64_is_a_bad_count_not_an_overflow(text):
    # found by the workbook fuzz test: a float below -2**63 in a column of mixed cells
    out = parse_figures(pd.Series([text, "12"], dtype="str"))
    assert out["invalid"].tolist() == [True, False]
    assert out["problem"].iloc[0].endswith("is too large for a count (max 9223372036854775807)")
    assert out["value"].iloc[1] == 12

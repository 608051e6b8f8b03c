"""The speed helpers, each held to the plain pandas or Python it stands for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit import columnar as col

NAMES = st.sampled_from(["b", "a", "ç", "", "z z", None])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 50), min_size=1, max_size=12), min_size=1, max_size=40))
def test_run_medians_and_run_reductions_match_numpy(runs):
    values = np.array([v for r in runs for v in r], dtype=float)
    size = np.array([len(r) for r in runs])
    starts = np.r_[0, np.cumsum(size)[:-1]]
    assert col.run_medians(values, starts, size).tolist() == [float(np.median(r)) for r in runs]
    assert col.reduce_runs(np.maximum, values, starts, size).tolist() == [max(r) for r in runs]
    assert col.reduce_runs(np.minimum, values, starts, size).tolist() == [min(r) for r in runs]


@settings(max_examples=60, deadline=None)
@given(st.lists(NAMES, max_size=30), st.integers(1, 4))
def test_codes_by_name_sort_like_the_names_and_chunks_do_not_matter(names, chunks):
    arrow = pa.chunked_array(
        [pa.array(names[k::chunks], pa.large_string()) for k in range(chunks)] or [[]],
        pa.large_string(),
    )
    values = pd.Series(pd.arrays.ArrowStringArray(arrow), dtype="str")
    order = [n for k in range(chunks) for n in names[k::chunks]]
    codes, uniques = col.codes_by_name(values)
    assert uniques.tolist() == sorted({n for n in order if n is not None})
    assert [None if c < 0 else uniques[c] for c in codes] == order
    plain, _ = col.distinct(values)
    assert [c < 0 for c in plain] == [n is None for n in order]
    first_seen = col.codes(values)
    assert first_seen.tolist() == pd.factorize(pd.Series(order, dtype=object))[0].tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 40)), max_size=40))
def test_combined_codes_are_dense_and_follow_the_combinations(rows):
    a = np.array([r[0] for r in rows], dtype=np.int64)
    b = np.array([r[1] for r in rows], dtype=np.int64)
    c = np.array([r[2] for r in rows], dtype=np.int64)
    got = col.combine_codes([a, b, c], len(rows)).tolist()
    # one code per combination, and the codes are 0 .. k-1 (by marking or by hashing)
    assert sorted(set(got)) == list(range(len(set(rows))))
    assert len({(r, g) for r, g in zip(rows, got, strict=True)}) == len(set(rows))
    key = col.product_key([(a, 0), (b, 4), (c, 41)])
    assert key.tolist() == [(x * 4 + y) * 41 + z for x, y, z in rows]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.sampled_from(["A", "B", "C"])), max_size=30))
def test_names_per_group_and_joined_runs(members):
    members = sorted(members)
    groups = np.array([g for g, _ in members], dtype=np.int64)
    names = pd.Series(["A", "B", "C"], dtype="str")
    codes = np.array(["ABC".index(n) for _, n in members], dtype=np.int64)
    got = col.names_per_group(names, codes, groups, 7).tolist()
    want = ["; ".join(n for g2, n in members if g2 == g) or None for g in range(7)]
    assert [None if isinstance(x, float) else x for x in got] == want
    order = np.arange(7)[::-1]
    reordered = col.names_per_group(names, codes, groups, 7, order).tolist()
    assert [None if isinstance(x, float) else x for x in reordered] == want[::-1]
    if members:
        texts = pd.Series([n for _, n in members], dtype="str")
        joined = col.join_runs(texts, groups).tolist()
        assert joined == [", ".join(n for g2, n in members if g2 == g) for g, _ in members]


def test_each_distinct_row_is_formatted_once_and_rows_keep_their_place():
    seen = []

    def fmt(a, b):
        seen.append((a, b))
        return f"{a}/{b}"

    codes, texts = col.distinct_rows_formatted(
        [np.array([1.0, 2, 1, np.nan, np.nan]), np.array([3, 4, 3, -1, -1])], fmt
    )
    assert [texts[c] for c in codes] == ["1.0/3", "2.0/4", "1.0/3", "nan/-1", "nan/-1"]
    assert len(seen) == 3


@pytest.mark.parametrize("n", [0, 1, 65_535, 65_536, 65_537, 200_000])
def test_a_repeated_text_column_has_every_row(n):
    texts, missing = col.repeated_text("file.csv", n), col.repeated_text(None, n)
    assert (len(texts), len(missing)) == (n, n)
    assert str(texts.dtype) == str(missing.dtype) == "str"
    assert (texts == "file.csv").all()
    assert missing.isna().all()
    if n:
        both = pd.DataFrame({"a": texts, "b": texts})
        both.loc[n - 1, "a"] = "other"
        assert both["a"].iloc[-1] == "other"
        assert (both["b"] == "file.csv").all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-20000, 40000)), max_size=50), st.integers(0, 5))
def test_arrow_dates_become_midnights_like_pandas_would_make_them(days, cut):
    arrow = pa.array(days, pa.int32()).cast(pa.date32())
    sliced = pa.chunked_array([arrow[:cut], arrow[cut:]]) if days else pa.chunked_array([arrow])
    dates = pd.Series(sliced.to_pandas(types_mapper=pd.ArrowDtype))
    want = pd.to_datetime(
        pd.Series([None if d is None else d for d in days], dtype="float64"), unit="D"
    )
    got = col.whole_days(dates)
    assert got.dtype == "datetime64[us]"
    assert got.tolist() == want.astype("datetime64[us]").tolist()
    assert col.at_midnight(got) is got  # already midnights: not rewritten
    later = got + pd.Timedelta(hours=5)
    assert col.at_midnight(later).tolist() == later.dt.normalize().tolist()


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_lines_are_counted_as_an_editor_shows_them(data):
    # a last line without a newline counts; an empty file has none
    text = data.split(b"\n")
    assert col.count_lines(data) == len(text) - (text[-1] == b"")


def test_padding_is_seen_through_chunks_and_slices():
    arrow = pa.chunked_array([pa.array(["a", " b"])[1:], pa.array(["c"])], pa.string())
    assert col.may_be_padded(pd.Series(pd.arrays.ArrowStringArray(arrow), dtype="str"))
    clean = pa.chunked_array([pa.array(["a", " b"])[:1], pa.array(["c"])], pa.string())
    assert not col.may_be_padded(pd.Series(pd.arrays.ArrowStringArray(clean), dtype="str"))
    assert col.is_blank(b" \n\t")
    assert not col.is_blank(b" x")

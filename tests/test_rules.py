"""Each rule family on small inline frames (pass and fail), the native engine's outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import frame
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.checking import check_figures
from toolkit.model.incidents import runs_of
from toolkit.pipeline import check
from toolkit.suite import load_suite

SUITE = load_suite()


def rule_hits(df: pd.DataFrame) -> list[tuple[str, int]]:
    f = check_figures(df, SUITE).findings
    f = f[f["kind"] == "rule"]
    return sorted(zip(f["rule"], f["origin_row"].astype(int), strict=True))


D = "2017-10-21"


def test_subtotal_contradicts_total_only_when_its_low_bound_exceeds_the_high_bound():
    # "at least 83 of at least 128" is fine; so is 130 of "at least 128"
    assert (
        rule_hits(
            frame(
                ("q", "SOHR", "killed", "at least 128", D),
                ("q", "SOHR", "killed.civilians", "at least 83", D),
                ("q", "SOHR", "killed.children", "130", D),
            )
        )
        == []
    )
    hits = rule_hits(
        frame(
            ("q", "SOHR", "killed", "128", D), ("q", "SOHR", "killed.civilians", "more than 128", D)
        )
    )
    assert ("killed.civilians <= killed", 3) in hits


def test_child_and_parent_must_be_in_the_same_report():
    # a bigger subtotal from another source, or another date, is not this rule's business
    assert (
        rule_hits(
            frame(
                ("q", "SOHR", "killed", "100", D),
                ("q", "AP", "killed.civilians", "150", D),
                ("q", "SOHR", "killed.civilians", "150", "2017-10-22"),
            )
        )
        == []
    )


def test_parts_may_not_sum_past_the_whole():
    ok = frame(
        ("q", "S", "killed", "100", D),
        ("q", "S", "killed.civilians", "60", D),
        ("q", "S", "killed.combatants", "40", D),
    )
    assert rule_hits(ok) == []
    bad = frame(
        ("q", "S", "killed", "100", D),
        ("q", "S", "killed.civilians", "60", D),
        ("q", "S", "killed.combatants", "at least 41", D),
    )
    assert [h[0] for h in rule_hits(bad)] == [
        "killed.civilians + killed.combatants + killed.perpetrators + killed.unknown <= killed"
    ]


def test_exhaustive_partition_must_add_up(tmp_path):
    (tmp_path / "suite.yaml").write_text("name: t\n")
    (tmp_path / "taxonomy.yaml").write_text(
        "measures: {killed.side_a: {}, killed.side_b: {}}\n"
        "partitions: [{whole: killed, parts: [killed.side_a, killed.side_b], exhaustive: true}]\n"
    )
    suite = load_suite(tmp_path)
    rows = [
        ("e", "UCDP", "killed", "10", D),
        ("e", "UCDP", "killed.side_a", "4", D),
        ("e", "UCDP", "killed.side_b", "5", D),
    ]
    f = check_figures(frame(*rows), suite).findings
    assert f["rule"].tolist() == ["killed.side_a + killed.side_b == killed"]
    rows[2] = ("e", "UCDP", "killed.side_b", "6", D)
    assert check_figures(frame(*rows), suite).findings.empty
    # with a part missing, equality cannot be judged
    assert check_figures(frame(*rows[:2]), suite).findings.empty


def test_bounds_given_by_the_export():
    df = frame(("e", "UCDP", "killed", "3", D))
    df.loc[0, ["low", "high", "qualifier"]] = [0, 0, "range"]  # UCDP 84006: low 0 best 3 high 0
    assert rule_hits(df) == [("low <= value <= high", 2)]
    df.loc[0, "high"] = 5
    assert rule_hits(df) == []


def test_dates():
    hits = rule_hits(
        frame(
            ("a", "S", "killed", "5", "2017-10-21", "2017-10-01", "2017-10-20"),  # fine
            ("b", "S", "killed", "5", "2017-10-21", "2017-10-20", "2017-10-01"),  # ends first
            ("c", "S", "killed", "5", "2017-09-21", "2017-10-01", "2017-10-20"),  # early report
            ("d", "S", "killed", "5", "2999-01-01", "2017-10-01", "2017-10-20"),  # future
            ("e", "S", "killed", "5", "1900-01-01"),  # before floor
        )
    )
    assert hits == [
        ("event_start <= event_end", 3),
        ("reported_on >= 1946-01-01", 6),
        ("reported_on >= event_start", 4),
        ("reported_on not in the future", 5),
    ]


def test_cumulative_tolls_do_not_drop_as_intervals():
    # AP: "at least 67" then "more than 70" is a rise; SOHR 128 then 100 is a drop
    hits = rule_hits(
        frame(
            ("q", "AP", "killed", "at least 67", "2017-10-23"),
            ("q", "AP", "killed", "more than 70", "2017-10-24"),
            ("q", "SOHR", "killed", "128", "2017-10-21"),
            ("q", "SOHR", "killed", "100", "2017-10-25"),
            ("q", "SOHR", "missing", "13", "2017-10-21"),
            ("q", "SOHR", "missing", "5", "2017-10-25"),  # missing is not cumulative
        )
    )
    assert hits == [("killed does not drop", 5)]


def test_one_source_one_figure_per_report():
    hits = rule_hits(
        frame(
            ("q", "S", "killed", "128", D),
            ("q", "S", "killed", "130", D),
            ("q", "T", "killed", "128", D),
            ("q", "T", "killed", "128", D),
        )
    )
    assert hits == [("one figure per report", 2), ("one figure per report", 3)]


def test_severity_and_mostly_from_the_suite(tmp_path):
    (tmp_path / "suite.yaml").write_text(
        "name: t\nseverity: {one-figure-per-report: warning}\n"
        "mostly: {child-not-above-parent: 0.5}\n"
    )
    suite = load_suite(tmp_path)
    df = frame(
        ("q", "S", "killed", "128", D),
        ("q", "S", "killed", "130", D),
        ("a", "S", "killed", "10", D),
        ("a", "S", "killed.women", "11", D),
        ("b", "S", "killed", "10", D),
        ("b", "S", "killed.women", "9", D),
    )
    f = check_figures(df, suite).findings.set_index("rule")
    assert f.loc["one figure per report", "severity"].tolist() == ["warning", "warning"]
    assert f.loc["killed.women <= killed", "severity"] == "info"  # 1 of 2 fails: within 0.5
    assert "within mostly=0.5" in f.loc["killed.women <= killed", "message"]


def test_schema_findings_point_at_rows():
    df = frame(("q", "S", "killed", "5", D), ("q", "S", "kiled", "5", D))
    df.loc[0, "country"] = "XXX"
    df["value"] = df["value"].astype("Int64")
    df.loc[1, "value"] = -1
    f = check_figures(df, SUITE).findings
    schema = f[f["kind"] == "schema"]
    got = sorted(zip(schema["column"], schema["origin_row"].astype(int), strict=True))
    assert got == [("country", 2), ("measure", 3), ("value", 3)]


def test_unknown_engine_is_a_clear_error():
    from toolkit.errors import CrosscheckError

    with pytest.raises(CrosscheckError, match="unknown engine 'spark'"):
        check(frame(("q", "S", "killed", "5", D)), SUITE, engine="spark")


def test_messages_show_large_counts_in_full_and_intervals_alike():
    """Tolls of whole wars run to millions: a message must show 1,234,567, never
    1.23457e+06 (which is another number). Rule and comparison findings write a figure's
    interval the same way, as the comparison table shows it: one formatter."""
    from toolkit.pipeline import compare

    f = frame(
        ("q", "MoH", "killed", "1234567", D),
        ("q", "MoH", "killed.civilians", "more than 1300000", D),
        ("q", "UN", "killed", "1234567", D),
    )
    rule = check_figures(f, SUITE).findings.set_index("rule")
    rule = rule.loc["killed.civilians <= killed"]
    assert rule["expected"] == "<= 1,234,567 (killed)"
    assert rule["observed"] == "> 1,300,000"
    shown = compare(f, SUITE).latest.set_index(["source", "measure"])["shown"]
    assert shown[("MoH", "killed.civilians")] == rule["observed"]  # the same row, alike
    g = frame(
        ("q", "MoH", "killed", "1234567", D),
        ("q", "UN", "killed", "at least 2000000", D),
    )
    conflict = compare(g, SUITE).findings
    conflict = conflict[conflict["source"] == "MoH"].iloc[0]
    assert conflict["observed"] == "1,234,567"
    assert "1.23457e+06" not in " ".join(map(str, check(f, SUITE).findings["message"]))


def test_a_row_breaking_two_overlapping_partitions_gets_one_finding():
    f = check_figures(
        frame(
            ("q", "S", "killed", "10", D),
            ("q", "S", "killed.civilians", "8", D),
            ("q", "S", "killed.combatants", "5", D),  # by status: 13 > 10
            ("q", "S", "killed.children", "7", D),
            ("q", "S", "killed.women", "6", D),  # by age and sex: 13 > 10
        ),
        SUITE,
    ).findings
    whole = f[f["origin_row"] == 2]
    assert len(whole) == 1
    (rules,) = whole["rule"]
    assert rules.split("; ") == [
        "killed.civilians + killed.combatants + killed.perpetrators + killed.unknown <= killed",
        "killed.children + killed.women <= killed",
    ]
    assert "killed by status" in whole["message"].iloc[0]
    assert "killed by age and sex" in whole["message"].iloc[0]


def test_one_finding_per_row_and_family_keeps_the_worst_severity(tmp_path):
    """ "by age and sex" fails in 10 of 40 reports (an error even with mostly 0.95); "by
    status" only in one (within mostly: info). That one row's finding is an error."""
    (tmp_path / "suite.yaml").write_text(
        "name: t\nextends: default\nmostly: {parts-not-above-whole: 0.95}\n"
    )
    suite = load_suite(tmp_path)
    rows = [("i0", "S", "killed.civilians", "8", D), ("i0", "S", "killed.combatants", "5", D)]
    for i in range(40):
        rows.append((f"i{i}", "S", "killed", "10", D))
        if i > 0:  # "by status" applies to every report, and holds but in i0
            rows.append((f"i{i}", "S", "killed.civilians", "1", D))
        if i < 10:
            rows += [
                (f"i{i}", "S", "killed.children", "7", D),
                (f"i{i}", "S", "killed.women", "6", D),
            ]
    f = check_figures(frame(*rows), suite).findings
    i0 = f[(f["incident"] == "i0") & (f["code"] == "parts-not-above-whole")]
    assert len(i0) == 1
    assert i0["rule"].iloc[0].count("; ") == 1  # both rules, one finding
    assert i0["severity"].iloc[0] == "error"


def test_a_drop_is_one_finding_at_the_drop_naming_what_it_fell_from():
    f = check_figures(
        frame(
            ("q", "S", "killed", "100", "2020-01-01"),
            ("q", "S", "killed", "90", "2020-01-02"),  # the drop
            ("q", "S", "killed", "95", "2020-01-03"),  # below the old peak, above 90
            ("q", "S", "killed", "95", "2020-01-04"),
        ),
        SUITE,
    ).findings
    assert f[["code", "origin_row"]].values.tolist() == [["cumulative-no-drop", 3]]
    assert f["expected"].iloc[0] == ">= 100 (its report of 2020-01-01)"


def test_one_key_naming_two_incidents_is_its_own_finding():
    f = check_figures(
        frame(
            ("156", "MSA", "killed", "4", None, "2013-08-07", "2013-08-07"),
            ("156", "MSA", "killed", "3", None, "2013-12-28", "2013-12-28"),
        ),
        SUITE,
    ).findings
    assert set(f["code"]) == {"one-key-two-incidents"}  # not "one figure per report"
    assert f["origin_row"].tolist() == [2, 3]


def test_a_place_spelt_two_ways_or_a_running_start_date_is_still_one_incident():
    """Outlets spell one place many ways, and some date each report's row by its day: a
    key names two incidents only where its event starts lie more than match_days apart.
    The drop and the two figures of one day are still found."""
    f = check_figures(
        frame(
            ("q", "S", "killed", "100", "2020-01-01", "2020-01-01"),
            ("q", "S", "killed", "90", "2020-01-02", "2020-01-02"),
            ("q", "S", "killed", "95", "2020-01-02", "2020-01-03"),
        ).assign(location=["Homs", "Al-Qaryatayn, Homs", "Homs"]),
        SUITE,
    ).findings
    assert "one-key-two-incidents" not in set(f["code"])
    assert {"cumulative-no-drop", "one-figure-per-report"} <= set(f["code"])
    daily = frame(
        *[
            ("g", "S", "killed", str(100 + d), f"2020-01-{d:02d}", f"2020-01-{d:02d}")
            for d in range(1, 29)
        ]
    )
    assert check_figures(daily, SUITE).findings.empty
    years_apart = frame(
        ("156", "MSA", "killed", "4", None, "2013-08-07", "2013-08-07"),
        ("156", "MSA", "killed", "3", None, "2013-08-09", "2013-08-09"),  # within 3 days
        ("156", "MSA", "killed", "3", None, "2013-12-28", "2013-12-28"),
    )
    found = check_figures(years_apart, SUITE).findings
    found = found[found["code"] == "one-key-two-incidents"]
    assert found["origin_row"].tolist() == [2, 3, 4]
    assert found["observed"].tolist() == ["2013-08-07", "2013-08-09", "2013-12-28"]
    assert found["expected"].iloc[2] == "one incident per key; the key also names 2013-08-07"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.one_of(st.none(), st.integers(0, 40))),
        min_size=0,
        max_size=30,
    ),
    st.sampled_from([0, 1, 3, 10]),
)
def test_incident_runs_match_a_plain_pandas_oracle(rows, days):
    """runs_of (native rules, GX's column, derived wholes) against the rule written out in
    pandas: sort each key's distinct starts, a new run after a gap longer than days."""
    keys = [k for k, _ in rows]
    starts = pd.Series(
        [None if d is None else pd.Timestamp("2020-01-01") + pd.Timedelta(days=d) for _, d in rows],
        dtype="datetime64[us]",
    )
    f = pd.DataFrame({"incident": [f"k{k}" for k in keys], "source": "S", "event_start": starts})
    f["incident"] = f["incident"].astype("str")
    code = np.asarray(keys, dtype=np.int64)
    assert oracle_runs(f, days).tolist() == runs_of(code, starts.to_numpy(), days).tolist()


def oracle_runs(figures: pd.DataFrame, days: float) -> np.ndarray:
    n = len(figures)
    known = figures["event_start"].notna().to_numpy()
    out = np.zeros(n, dtype=np.int64)
    if known.sum() < 2:
        return out
    key = figures.groupby(["incident", "source"], sort=False).ngroup().to_numpy()
    ticks = figures["event_start"].to_numpy(dtype="datetime64[us]").view(np.int64)
    runs = pd.DataFrame({"key": key[known], "t": ticks[known]}).drop_duplicates()
    runs = runs.sort_values(["key", "t"], kind="stable")
    breaks = runs["key"].diff().eq(0) & (runs["t"].diff() > days * 86_400_000_000)
    runs["run"] = breaks.astype(np.int64).groupby(runs["key"]).cumsum()
    several = runs.groupby("key")["run"].transform("max") > 0
    runs["label"] = np.where(several, runs["run"] + 1, 0)
    rows = pd.DataFrame({"key": key[known], "t": ticks[known]})
    labels = rows.merge(runs[["key", "t", "label"]], on=["key", "t"], how="left")["label"]
    out[known] = labels.to_numpy(dtype=np.int64)
    return out

"""The read stage on fixture files: every profile shape and format, real excerpts, bad input."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import AQ, REAL, ROOT
from hypothesis import given
from hypothesis import strategies as st

import toolkit as cc
from toolkit.checking.schema import figures_schema
from toolkit.errors import InputError, SuiteError
from toolkit.model import figures as ft
from toolkit.reading import read_figures
from toolkit.suite import load_suite

AQ_SUITE = AQ / "expectations"


def flat(findings: pd.DataFrame) -> list[list[object]]:
    """Findings as [file name, line, column, rule, severity] (frictionless-style)."""
    return [
        [
            Path(r.origin_file).name,
            None if pd.isna(r.origin_row) else int(r.origin_row),
            None if pd.isna(r.column) else r.column,
            r.rule,
            r.severity,
        ]
        for r in findings.itertuples()
    ]


def figure(figs: pd.DataFrame, source: str, measure: str) -> pd.DataFrame:
    return figs[(figs["source"] == source) & (figs["measure"] == measure)]


# --- the Al-Qaryatayn fixtures: one profile shape and format per outlet ----------------------


@pytest.fixture(scope="module")
def aq():
    return read_figures(AQ)


def test_directory_carries_its_suite(aq):
    assert aq.suite.name == "al-qaryatayn"
    assert "killed.last_48h" in aq.suite.taxonomy  # the suite's own measure
    assert "killed.children" in aq.suite.taxonomy  # inherited from the default suite
    assert sorted(Path(f.path).name for f in aq.files) == [
        "al-masdar.xlsx",
        "ap.json",
        "homs-governor.tsv",
        "independent.csv",
        "sohr.csv",
    ]
    assert aq.rows_read == aq.rows_accepted + aq.rows_rejected == 16


def test_wide_csv_with_text_figures(aq):
    sohr = aq.figures[aq.figures["source"] == "Syrian Observatory for Human Rights"]
    killed = figure(sohr, "Syrian Observatory for Human Rights", "killed").iloc[0]
    assert (killed["value"], killed["low"], killed["qualifier"]) == (128, 128, "at_least")
    assert pd.isna(killed["high"])
    assert killed["figure_text"] == "128 persons at least"
    assert killed["reported_on"] == pd.Timestamp("2017-10-21")
    assert killed["event_end"] == pd.Timestamp("2017-10-20")
    assert (killed["origin_file"], killed["origin_row"]) == ("fixtures/al-qaryatayn/sohr.csv", 2)
    # other columns of the export are kept
    assert killed["killed_total_ar"] == "١٢٨ على الأقل"
    # "more missing people" has no number: unknown, and a warning that names file:line:column
    missing = figure(sohr, "Syrian Observatory for Human Rights", "missing").iloc[0]
    assert missing["qualifier"] == "unknown"
    assert pd.isna(missing["value"])
    assert ["sohr.csv", 2, "missing", "unreadable-figure", "warning"] in flat(aq.findings)


def test_long_json_lines_point_at_each_record(aq):
    ap = aq.figures[aq.figures["origin_file"].str.endswith("ap.json")]
    assert ap["origin_row"].tolist() == [2, 4, 6, 8, 10, 12]
    assert set(ap["source"]) == {"Associated Press", "Resident (AP video)"}
    civ = figure(ap, "Associated Press", "killed.civilians").sort_values("reported_on")
    assert civ["qualifier"].tolist() == ["at_least", "more_than"]
    assert civ["low"].tolist() == [67, 71]
    assert civ["reported_on"].tolist() == [pd.Timestamp("2017-10-23"), pd.Timestamp("2017-10-24")]


def test_long_tsv_with_mixed_date_formats(aq):
    gov = aq.figures[aq.figures["source"] == "Homs governor Talal Barazi"]
    assert set(gov["reported_on"]) == {pd.Timestamp("2017-10-23")}  # 10/23/2017 and 10/23/17
    assert dict(zip(gov["measure"], gov["value"], strict=True)) == {
        "killed.civilians": 60,
        "missing": 13,
        "killed.unidentified": 6,
    }


def test_xlsx_rows_and_real_dates(aq):
    xl = aq.figures[aq.figures["origin_file"].str.endswith(".xlsx")]
    assert xl["origin_row"].tolist() == [2, 3]
    assert xl["reported_on"].tolist() == [pd.Timestamp("2017-10-23")] * 2
    assert dict(zip(xl["source"], xl["value"], strict=True)) == {"Al-Masdar News": 45, "UPI": 153}
    assert len(xl) == 2  # the two blank cells are not figures


def test_figures_table_needs_no_profile(aq):
    ind = aq.figures[aq.figures["origin_file"].str.endswith("independent.csv")]
    assert sorted(ind["measure"]) == [
        "attackers.departed",
        "killed.by_regime",
        "killed.civilians",
        "killed.last_48h",
    ]
    assert ind.set_index("measure").loc["killed.by_regime", "value"] == 12  # "twelve"


def test_dtypes_of_the_figures_table(aq):
    for col, dtype in ft.DTYPES.items():
        assert str(aq.figures[col].dtype) == dtype, col
    figures_schema(aq.suite.taxonomy).validate(aq.figures, lazy=True)


def test_python_api_returns_the_figures_table():
    figs = cc.read(AQ)
    assert isinstance(figs, pd.DataFrame)
    assert len(figs) == 19
    assert figs.attrs["crosscheck"]["rows_read"] == 16


# --- formats ---------------------------------------------------------------------------------


def _copy_suite(tmp_path: Path) -> Path:
    shutil.copytree(AQ_SUITE, tmp_path / "expectations")
    return tmp_path


def test_gzip_and_parquet(tmp_path, aq):
    d = _copy_suite(tmp_path)
    (d / "sohr-2.csv.gz").write_bytes(gzip.compress((AQ / "sohr.csv").read_bytes()))
    aq.figures.to_parquet(d / "all.parquet")
    res = read_figures([d / "sohr-2.csv.gz", d / "all.parquet"], suite=d / "expectations")
    gz = res.figures[res.figures["origin_file"].str.endswith(".gz")]
    assert len(gz) == 4
    assert set(gz["origin_row"]) == {2}
    pq = res.figures[res.figures["origin_file"].str.endswith(".parquet")]
    assert pq["value"].tolist() == aq.figures["value"].tolist()
    assert pq["qualifier"].tolist() == aq.figures["qualifier"].tolist()


def test_json_lines(tmp_path):
    d = _copy_suite(tmp_path)
    prof = (
        (d / "expectations/profiles/ap.yaml")
        .read_text()
        .replace('"ap*.json.gz"', '"ap*.json.gz", "ap*.jsonl"')
    )
    (d / "expectations/profiles/ap.yaml").write_text(prof)
    records = json.loads((AQ / "ap.json").read_text())
    (d / "ap.jsonl").write_text("\n" + "\n".join(json.dumps(r) for r in records) + "\n")
    res = read_figures(d / "ap.jsonl", suite=d / "expectations")
    assert res.figures["origin_row"].tolist() == [2, 3, 4, 5, 6, 7]


def test_written_csv_reads_back_the_same(tmp_path, aq, cli):
    out = tmp_path / "figs.csv"
    run = cli("read", str(AQ), "-o", str(out))
    assert run.code == 0, run.err
    back = read_figures(out, suite=AQ_SUITE)  # the suite names the outlets' own measures
    assert back.rows_rejected == 0
    cols = [
        "incident",
        "source",
        "measure",
        "value",
        "low",
        "high",
        "qualifier",
        "figure_text",
        "reported_on",
        "event_start",
    ]
    pd.testing.assert_frame_equal(back.figures[cols], aq.figures[cols])


# --- real excerpts: row counts of the files themselves ---------------------------------------


def _csv_records(path: Path, skip: int = 0) -> int:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1 - skip


@pytest.fixture(scope="module")
def real():
    return read_figures(REAL)


def test_real_excerpts_row_counts(real):
    by_file = {Path(f.path).name: f for f in real.files}
    assert by_file["ucdp-ged-bangladesh.csv"].rows_read == _csv_records(
        REAL / "ucdp-ged-bangladesh.csv", skip=1
    )  # the HXL hashtag row is not a record
    assert by_file["missing-migrants-2026.csv"].rows_read == _csv_records(
        REAL / "missing-migrants-2026.csv"
    )
    assert by_file["gaza-casualties-daily.json"].rows_read == len(
        json.loads((REAL / "gaza-casualties-daily.json").read_text())
    )
    for f in real.files:
        assert f.rows_read == f.rows_accepted + f.rows_rejected


def test_ucdp_wide_with_bounds(real):
    ucdp = real.figures[real.figures["source"] == "UCDP GED"]
    assert len(ucdp) == 5 * 150  # best + four death columns for every event
    ev = ucdp[(ucdp["incident"] == "84006") & (ucdp["measure"] == "killed")].iloc[0]
    assert (ev["value"], ev["low"], ev["high"], ev["qualifier"]) == (3, 0, 0, "range")
    assert ev["origin_row"] == 64  # header, HXL row, then the 62nd event
    first = ucdp[(ucdp["incident"] == "71663") & (ucdp["measure"] == "killed")].iloc[0]
    assert (first["value"], first["qualifier"], first["origin_row"]) == (1, "exact", 3)


def test_missing_migrants_negative_missing_rejects_its_figures_not_the_row(real):
    assert [
        "missing-migrants-2026.csv",
        197,
        "Minimum Estimated Number of Missing",
        "bad-count",
        "error",
    ] in flat(real.findings)
    mm = real.figures[real.figures["source"] == "IOM Missing Migrants Project"]
    line = mm[mm["origin_row"] == 197].set_index("measure")["value"]
    # -5 missing: the missing figure and the sum it enters are not read; the row's dead,
    # females, males and children are
    assert line.to_dict() == {
        "dead_missing.dead": 17,
        "dead_missing.females": 8,
        "dead_missing.males": 14,
        "dead_missing.children": 5,
    }
    report = next(f for f in real.files if f.path.endswith("missing-migrants-2026.csv"))
    assert report.rows_read == report.rows_accepted + report.rows_rejected
    row = mm[(mm["incident"] == "2026.MMP0002") & (mm["measure"] == "dead_missing")]
    assert row["value"].tolist() == [1]  # Number Dead 1 + missing 0
    assert row["event_start"].tolist() == [pd.Timestamp("2026-01-02")]


def test_gaza_sources_and_extrapolated_series(real):
    gaza = real.figures[real.figures["incident"] == "gaza-2023"]
    assert {"mohtel", "gmotel", "missing", "Tech For Palestine (extrapolated)"} == set(
        gaza["source"]
    )
    first = gaza[(gaza["reported_on"] == "2023-10-07") & (gaza["measure"] == "killed")]
    assert sorted(first["value"].tolist()) == [232, 232]


# --- bad input --------------------------------------------------------------------------------


def _suite_dir(tmp_path: Path, profile: str) -> Path:
    (tmp_path / "expectations" / "profiles").mkdir(parents=True)
    (tmp_path / "expectations" / "suite.yaml").write_text("name: t\n")
    (tmp_path / "expectations" / "profiles" / "p.yaml").write_text(profile)
    return tmp_path


PROFILE = """\
name: outlet
files: ["*.csv", "*.txt", "*.docx"]
columns: {incident: id, reported_on: date}
constants: {source: Outlet}
figures:
  - {measure: killed, value: killed}
  - {measure: killed.civilians, value: civilians}
"""


def _write(tmp_path: Path, name: str, data: bytes | str, profile: str = PROFILE) -> Path:
    d = _suite_dir(tmp_path, profile)
    p = d / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return p


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "empty.csv:1: file is empty"),
        ("blank.csv", b"\n \n", "blank.csv:1: file is empty"),
        ("x.docx", b"PK\x03\x04", "unknown format (.docx)"),
        (
            "dup.csv",
            b"id,date,killed,killed,civilians\n1,2017-10-21,3,4,1\n",
            "dup.csv:1:4: duplicate column name 'killed' (columns 3 and 4)",
        ),
        (
            "miss.csv",
            b"id,date,kiled,civilians\n1,2017-10-21,3,1\n",
            "miss.csv:1: column 'killed' (figure killed, profile 'outlet') not found in the "
            "header. Did you mean 'kiled'?",
        ),
        ("bad.csv.gz", b"not gzip at all", "not a valid gzip file"),
    ],
)
def test_unreadable_files_exit_2_naming_file_line_column(tmp_path, cli, name, data, message):
    p = _write(tmp_path, name, data)
    run = cli("read", str(p), "--suite", str(tmp_path / "expectations"))
    assert run.code == 2
    assert message in run.err
    assert "Traceback" not in run.err + run.out


def test_missing_file(cli):
    run = cli("read", "no/such/file.csv")
    assert run.code == 2
    assert "no/such/file.csv: file not found" in run.err


def test_bad_json_names_line_and_column(tmp_path):
    d = _copy_suite(tmp_path)
    (d / "ap.json").write_text('[\n  {"a": 1},\n  {"a": 2,,}\n]\n')
    with pytest.raises(InputError, match=r"ap.json:3:11: not valid JSON"):
        read_figures(d / "ap.json", suite=d / "expectations")


def test_header_only_is_a_warning_beside_other_rows_and_alone_an_error(tmp_path, cli):
    p = _write(tmp_path, "h.csv", "id,date,killed,civilians\n")
    (tmp_path / "g.csv").write_text("id,date,killed,civilians\na,2017-10-21,3,1\n")
    suite = str(tmp_path / "expectations")
    run = cli("read", str(p), str(tmp_path / "g.csv"), "--suite", suite)
    assert run.code == 0
    assert "the file has a header but no rows" in run.out
    run = cli("read", str(p), str(tmp_path / "g.csv"), "--suite", suite, "--fail-on", "warning")
    assert run.code == 1
    run = cli("read", str(p), "--suite", suite)  # alone: zero rows read in all
    assert run.code == 2
    assert "no rows read from" in run.err
    assert "h.csv (read: no rows)" in run.err


def test_bom_utf16_and_cp1252(tmp_path):
    text = "id,date,killed,civilians\nQaryatayn-é,2017-10-21,128,83\n"
    p = _write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + text.encode())
    (tmp_path / "u16.csv").write_bytes(text.encode("utf-16"))
    (tmp_path / "win.csv").write_bytes(text.encode("cp1252"))
    res = read_figures(
        [p, tmp_path / "u16.csv", tmp_path / "win.csv"], suite=tmp_path / "expectations"
    )
    assert res.rows_read == 3
    assert res.rows_rejected == 0
    assert set(res.figures["incident"]) == {"Qaryatayn-é"}  # BOM not glued to the id column
    assert flat(res.findings) == [["win.csv", 2, "11", "encoding", "warning"]]


def test_a_bom_is_not_part_of_the_first_column_name(tmp_path):
    text = "id,date,killed,civilians\n,2017-10-21,128,83\n"
    p = _write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + text.encode())
    res = read_figures(p, suite=tmp_path / "expectations")
    assert flat(res.findings) == [["bom.csv", 2, "id", "missing-incident", "error"]]
    assert res.findings["message"].iloc[0].startswith("column 'id' (#1): no incident")


def test_row_problems_become_findings_and_the_run_goes_on(tmp_path, cli):
    text = (
        "id,date,killed,civilians\n"
        "a,2017-10-21,128,83\n"  # 2 fine
        "b,2017-10-21,lots,3\n"  # 3 unreadable: unknown, warning, kept
        "c,2017-10-21,-5,3\n"  # 4 negative: that figure rejected, civilians read
        "d,2017-02-30,10,3\n"  # 5 impossible date: rejected
        "e,2017-10-21,99999999999999999999,1\n"  # 6 overflow: that figure rejected
        "f,2017-10-21,5,1,extra\n"  # 7 ragged: rejected
        '"g\nwith a newline",2017-10-21,7,1\n'  # 8-9 one record over two lines
        "h,2017-10-21,9,2\n"  # 10 fine
    )
    p = _write(tmp_path, "rows.csv", text)
    res = read_figures(p, suite=tmp_path / "expectations")
    assert flat(res.findings) == [
        ["rows.csv", 4, "killed", "bad-count", "error"],
        ["rows.csv", 5, "date", "bad-date", "error"],
        ["rows.csv", 6, "killed", "bad-count", "error"],
        ["rows.csv", 7, "5", "ragged-row", "error"],
        ["rows.csv", 3, "killed", "unreadable-figure", "warning"],
    ]
    msgs = res.findings.set_index("origin_row")["message"]
    assert "'2017-02-30'" not in msgs[5]
    assert "not a date in format ISO8601" in msgs[5]
    assert "too large" in msgs[6]
    assert "cannot be negative" in msgs[4]
    assert res.rows_read == 8
    assert res.rows_rejected == 2  # the impossible date and the ragged row
    assert res.rows_accepted == 6
    assert sorted(set(res.figures["origin_row"])) == [2, 3, 4, 6, 8, 10]
    partly = res.figures[res.figures["origin_row"].isin([4, 6])]
    assert partly[["origin_row", "measure", "value"]].values.tolist() == [
        [4, "killed.civilians", 3],
        [6, "killed.civilians", 1],
    ]
    assert res.findings.loc[res.findings["rule"] == "bad-date", "observed"].tolist() == [
        "2017-02-30"
    ]
    run = cli("read", str(p), "--suite", str(tmp_path / "expectations"))
    assert run.code == 1
    assert "rows read 8 = accepted 6 + rejected 2" in run.out
    assert "rows.csv:5: [input/bad-date]" in run.out


def test_iso_datetimes_with_time_and_zone_become_dates(tmp_path):
    text = "id,date,killed,civilians\na,2017-10-21T23:30:00Z,5,1\nb,2017-10-22 08:00,6,2\n"
    p = _write(tmp_path, "t.csv", text)
    res = read_figures(p, suite=tmp_path / "expectations")
    assert res.rows_rejected == 0
    got = res.figures.drop_duplicates("incident").set_index("incident")["reported_on"]
    assert got.to_dict() == {"a": pd.Timestamp("2017-10-21"), "b": pd.Timestamp("2017-10-22")}


def test_directory_says_which_files_nobody_claims(tmp_path, cli):
    d = _copy_suite(tmp_path)
    shutil.copy(AQ / "sohr.csv", d)
    (d / "notes.docx").write_bytes(b"PK")
    (d / "other.csv").write_text("a,b\n1,2\n")
    res = read_figures(d)
    # named as given on the command line would show them (relative to where it runs)
    assert sorted(Path(u).resolve() for u in res.unclaimed) == [d / "notes.docx", d / "other.csv"]
    unclaimed = res.findings[res.findings["code"] == "unclaimed-file"]
    assert sorted(unclaimed["origin_file"]) == sorted(res.unclaimed)
    assert set(unclaimed["severity"]) == {"warning"}
    run = cli("read", str(d))
    assert run.out.count("not read: no source profile claims it") == 2


def test_a_named_file_nobody_claims_is_unreadable(tmp_path, cli):
    p = tmp_path / "other.csv"
    p.write_text("a,b\n1,2\n")
    run = cli("read", str(p))
    assert run.code == 2
    assert "no source profile claims this file" in run.err


def test_unknown_measure_in_long_export(tmp_path):
    d = _copy_suite(tmp_path)
    (d / "homs-governor.tsv").write_text(
        "date\tincident\tindicator\tstatement\tcitation\n10/23/2017\tx\tkiled\t5\tu\n"
    )
    res = read_figures(d / "homs-governor.tsv", suite=d / "expectations")
    assert flat(res.findings) == [["homs-governor.tsv", 2, "indicator", "unknown-measure", "error"]]
    assert "Did you mean 'killed'?" in res.findings["message"].iloc[0]


# --- inputs are never written -----------------------------------------------------------------


def _checksums(root: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_reading_leaves_inputs_unchanged(tmp_path, cli):
    before = _checksums(ROOT / "fixtures")
    read_figures(AQ)
    read_figures(REAL)
    cli(
        "read",
        str(AQ),
        str(REAL / "ucdp-ged-bangladesh.csv"),
        "-o",
        str(tmp_path / "o.parquet"),
        "--suite",
        str(REAL / "expectations"),
    )
    assert _checksums(ROOT / "fixtures") == before


def test_figure_columns_built_from_one_array_are_changed_one_at_a_time(real):
    """A wide export's value, low and high start out as one array, and a constant text
    (the file, the measure) as one repeated chunk: changing one column of the table must
    leave the others alone (pandas copy-on-write), as if each had its own copy."""
    f = real.figures[real.figures["measure"] == "killed.side_a"].reset_index(drop=True)
    assert len(f) > 1
    value, high = f["value"].copy(), f["high"].copy()
    measure, origin = f["measure"].copy(), f["origin_file"].copy()
    f.loc[0, "low"] = 10**9
    f.loc[1, "measure"] = "changed"
    f.loc[0, "origin_row"] = -5
    pd.testing.assert_series_equal(f["value"], value)
    pd.testing.assert_series_equal(f["high"], high)
    pd.testing.assert_series_equal(f["origin_file"], origin)
    assert f.loc[0, "low"] == 10**9
    assert (f["measure"] == measure).sum() == len(f) - 1
    assert not (real.figures["low"] == 10**9).any()
    assert not (real.figures["origin_row"] == -5).any()


def test_a_wide_exports_exact_counts_share_their_bounds_until_one_changes(tmp_path):
    """Blocks whose bounds equal their values are stacked once (the value column serves
    low and high); the table still reads, and changes, as three columns."""
    from generate import WIDE_PROFILE

    (tmp_path / "expectations" / "profiles").mkdir(parents=True)
    (tmp_path / "expectations" / "suite.yaml").write_text("name: t\nextends: default\n")
    (tmp_path / "expectations" / "profiles" / "wide.yaml").write_text(WIDE_PROFILE)
    (tmp_path / "x-wide.csv").write_text(
        "incident,source,reported_on,event_start,event_end,country,killed,civilians\n"
        "a,S,2020-01-02,2020-01-01,2020-01-01,SYR,10,4\n"
        "b,S,2020-01-02,2020-01-01,2020-01-01,SYR,7,\n"
    )
    f = cc.read(tmp_path)
    assert f["measure"].tolist() == ["killed", "killed", "killed.civilians"]
    assert f["value"].tolist() == f["low"].tolist() == f["high"].tolist() == [10, 7, 4]
    assert f["origin_row"].tolist() == [2, 3, 2]
    f.loc[2, "high"] = 99
    assert f["value"].tolist() == f["low"].tolist() == [10, 7, 4]
    assert f["high"].tolist() == [10, 7, 99]


@pytest.mark.parametrize("final_newline", [True, False])
def test_line_numbers_of_a_large_csv_count_every_line(tmp_path, final_newline):
    """Lines are counted a megabyte at a time: a blank line past the first megabyte must
    still shift the line numbers after it (pyarrow skips blank lines silently)."""
    rows = [f"inc-{i:07d},2017-10-21,{i % 90},{i % 7}" for i in range(60_000)]  # ~1.7 MB
    blank_at = 45_000  # past the first megabyte
    lines = ["id,date,killed,civilians", *rows[:blank_at], "", *rows[blank_at:]]
    text = "\n".join(lines) + ("\n" if final_newline else "")
    assert len(text.split("\n", blank_at + 1)[-1]) < len(text) - (1 << 20)
    p = _write(tmp_path, "big.csv", text)
    res = read_figures(p, suite=tmp_path / "expectations")
    assert res.rows_rejected == 0
    killed = res.figures[res.figures["measure"] == "killed"].set_index("incident")["origin_row"]
    assert killed["inc-0000000"] == 2
    assert killed[f"inc-{blank_at - 1:07d}"] == blank_at + 1
    assert killed[f"inc-{blank_at:07d}"] == blank_at + 3  # after the blank line
    assert killed["inc-0059999"] == 60_000 + 2


def test_a_time_of_day_past_the_first_slice_is_still_cut_to_its_date(tmp_path):
    """Dates with a time of day become dates: the check for times works a slice at a time,
    so the only one sits past the first slice, after missing dates."""
    n = 70_000
    when = pd.Series(pd.Timestamp("2017-10-21"), index=range(n)).astype("datetime64[us]")
    when[[5, 66_000]] = pd.NaT
    when[69_000] = pd.Timestamp("2017-10-22 08:15")
    frame = pd.DataFrame(
        {"id": [f"inc-{i}" for i in range(n)], "date": when, "killed": 3, "civilians": 1}
    )
    p = _suite_dir(tmp_path, PROFILE.replace('"*.csv"', '"*.parquet"')) / "t.parquet"
    frame.to_parquet(p)
    res = read_figures(p, suite=tmp_path / "expectations")
    got = res.figures[res.figures["measure"] == "killed"].set_index("incident")["reported_on"]
    assert str(got.dtype) == "datetime64[us]"
    assert got["inc-69000"] == pd.Timestamp("2017-10-22")
    assert got[["inc-5", "inc-66000"]].isna().all()
    assert (got.drop(["inc-5", "inc-66000", "inc-69000"]) == pd.Timestamp("2017-10-21")).all()


def test_iso_dates_of_a_csv_become_dates_in_mapped_and_unmapped_columns(tmp_path):
    """A CSV's ISO dates are read as Arrow dates and converted once, into the table: the
    mapped date and an export column no profile maps both come out as datetime64[us]."""
    text = (
        "id,date,killed,civilians,published\n"
        "a,2017-10-21,5,1,2017-10-23\n"
        "b,,6,2,\n"
        "c,2017-10-22,7,3,2017-10-24\n"
    )
    p = _write(tmp_path, "t.csv", text)
    f = read_figures(p, suite=tmp_path / "expectations").figures
    assert str(f["reported_on"].dtype) == str(f["published"].dtype) == "datetime64[us]"
    killed = f[f["measure"] == "killed"].set_index("incident")
    assert killed["reported_on"].tolist()[::2] == [
        pd.Timestamp("2017-10-21"),
        pd.Timestamp("2017-10-22"),
    ]
    assert pd.isna(killed.loc["b", "reported_on"])
    assert pd.isna(killed.loc["b", "published"])
    assert killed.loc["c", "published"] == pd.Timestamp("2017-10-24")


@given(
    st.lists(st.one_of(st.none(), st.integers(-700_000, 2_900_000)), max_size=60),
    st.lists(st.integers(1, 7), max_size=12),
    st.integers(0, 3),
)
def test_arrow_dates_convert_to_the_same_datetimes_as_pandas(days, cuts, skip):
    """figures.whole_days (chunk by chunk, from the day numbers) agrees with pandas' own
    cast on chunked, sliced and partly missing Arrow dates."""
    import pyarrow as pa

    whole = pa.array(days, type=pa.date32())
    chunks, at = [], 0
    for size in cuts:  # chunks of the given sizes, the last one holding the rest
        chunks.append(whole.slice(at, size))
        at += size
    chunks.append(whole.slice(at))
    column = pa.chunked_array(chunks, type=pa.date32())
    if skip:
        column = column.slice(min(skip, len(column)))
    series = pd.Series(pd.arrays.ArrowExtensionArray(column))
    got = ft.whole_days(series)
    assert str(got.dtype) == "datetime64[us]"
    assert got.equals(series.astype("datetime64[us]"))


@pytest.mark.parametrize("column", ["id", "note"])
def test_a_cp1252_byte_past_the_first_64k_is_found_and_read(tmp_path, column):
    """UTF-8 files are read without decoding them first (pyarrow checks the text): a
    Windows-1252 byte far into the file, in a mapped text column or in a column no profile
    maps, still sends the file through decoding, with the warning on its line."""
    rows = [f"inc-{i:06d},2017-10-21,{i % 90},{i % 7},ok" for i in range(4000)]  # ~130 KB
    bad = 3500
    rows[bad] = (
        "Qaryatayn-\xe9,2017-10-21,5,1,ok"
        if column == "id"
        else f"inc-{bad:06d},2017-10-21,5,1,caf\xe9"
    )
    text = "id,date,killed,civilians,note\n" + "\n".join(rows) + "\n"
    p = _write(tmp_path, "win.csv", text.encode("cp1252"))
    assert text.encode("cp1252").index(b"\xe9") > 1 << 16
    res = read_figures(p, suite=tmp_path / "expectations")
    assert res.rows_rejected == 0
    col = str(rows[bad].index("\xe9") + 1)
    assert flat(res.findings) == [["win.csv", bad + 2, col, "encoding", "warning"]]
    got = res.figures[res.figures["origin_row"] == bad + 2]
    if column == "id":
        assert set(got["incident"]) == {"Qaryatayn-é"}
    else:
        assert set(got["note"]) == {"café"}


_PIECES = ["a", "Qaryatayn", "é", " ", "\t", "\u00a0", "\u2003", "\x1f", "", "x y"]


@given(
    st.lists(
        st.one_of(st.none(), st.lists(st.sampled_from(_PIECES), max_size=4).map("".join)),
        max_size=40,
    ),
    st.lists(st.integers(1, 9), max_size=6),
    st.integers(0, 2),
)
def test_text_cells_are_trimmed_only_when_one_needs_it_and_always_then(texts, cuts, skip):
    """Read text is trimmed and blank text is missing. Trimming is skipped when no text
    starts or ends with a space, a look at first and last bytes in Arrow's buffers: on
    chunked and sliced columns the result must be the full trim's."""
    import pyarrow as pa

    from toolkit.reading.cells import as_text as _as_text

    whole = pa.array(texts, type=pa.large_string())
    chunks, at = [], 0
    for size in cuts:
        chunks.append(whole.slice(at, size))
        at += size
    chunks.append(whole.slice(at))
    column = pa.chunked_array(chunks, type=pa.large_string())
    column = column.slice(min(skip, len(column)))
    series = pd.Series(pd.arrays.ArrowStringArray(column), dtype="str")
    expected = series.str.strip().replace("", None)
    pd.testing.assert_series_equal(_as_text(series), expected)


# --- columns from several export columns ----------------------------------------------------

COMPOSED = """\
name: outlet
files: ["*.csv"]
columns:
  incident: [Date, City, State]
  reported_on: Date
  location: [City, State]
  admin1: State
  title: {template: "{Venue} ({reported_on})"}
  citation: {template: "{City}/{State}", values: {State: {New York: NY, NY: NY}}}
constants: {source: Outlet, country: USA}
dates: {reported_on: ["%m/%d/%Y"]}
figures:
  - {measure: killed, value: Killed}
  - {measure: injured, value: Injured}
"""


def test_columns_joined_templated_and_mapped(tmp_path):
    p = _write(
        tmp_path,
        "a.csv",
        "Date,City,State,Venue,Killed,Injured\n"
        "2/15/2019,Aurora,Illinois,Henry Pratt,5,6\n"
        "2/15/2019,Aurora,CO,,1,0\n"
        "3/1/2019,New York,New York,Bar,2,1\n"
        "3/2/2019,,N.Y.,Club,1,1\n",
        COMPOSED,
    )
    figures = read_figures(p, suite=tmp_path / "expectations").figures
    first = figures.drop_duplicates("origin_row").set_index("origin_row")
    assert first.loc[2, "incident"] == "2/15/2019, Aurora, Illinois"  # a composite key
    assert first.loc[2, "location"] == "Aurora, Illinois"
    assert first.loc[5, "location"] == "N.Y."  # a missing part is left out
    assert first["admin1"].tolist() == ["US-IL", "US-CO", "US-NY", "US-NY"]
    assert first.loc[2, "title"] == "Henry Pratt (2019-02-15)"  # a parsed date, as ISO
    assert pd.isna(first.loc[3, "title"])  # a template with a missing value is missing
    assert first.loc[4, "citation"] == "New York/NY"  # values mapped before filling in


def test_composed_columns_are_filled_after_the_columns_they_name(tmp_path):
    """A country built from a template, a state read from a column, and a place and a key
    naming both: each is filled after what it names, and the state is coded once the
    country is known, whatever order the profile lists them in."""
    profile = """\
name: p
files: ["*.csv"]
columns:
  incident: {template: "{admin1}/{id}"}
  location: {template: "{town}, {country}"}
  country: {template: "{nation}"}
  admin1: state
constants: {source: S}
figures: [{measure: killed, value: k}]
"""
    p = _write(tmp_path, "a.csv", "id,town,nation,state,k\n1,Aurora,USA,Colorado,12\n", profile)
    row = read_figures(p, suite=tmp_path / "expectations").figures.iloc[0]
    assert row["country"] == "USA"
    assert row["admin1"] == "US-CO"  # coded: the country was known in time
    assert row["location"] == "Aurora, USA"
    assert row["incident"] == "US-CO/1"


def test_a_template_names_columns_never_code(tmp_path):
    profile = COMPOSED.replace(
        'title: {template: "{Venue} ({reported_on})"}',
        'title: {template: "{Venue.__class__}"}',
    )
    p = _write(
        tmp_path, "a.csv", "Date,City,State,Venue,Killed,Injured\n2/15/2019,A,B,V,1,1\n", profile
    )
    with pytest.raises(InputError, match=r"column 'Venue.__class__' .* not found in the header"):
        read_figures(p, suite=tmp_path / "expectations")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("reported_on: [Date, City]", "a date comes from one export column"),
        ("title: {template: 5}", "template: expected text"),
        ("title: {template: plain}", "template names no column"),
        ("title: {columns: [a], template: '{a}'}", "either 'columns' or 'template'"),
        ("title: {colums: [a]}", "unknown key 'colums'.*Did you mean 'columns'"),
    ],
)
def test_composed_columns_that_make_no_sense_are_suite_errors(tmp_path, entry, message):
    profile = (
        "name: p\nfiles: ['*.csv']\nconstants: {source: S}\ncolumns:\n  "
        + entry
        + ("\nfigures: [{measure: killed, value: k}]\n")
    )
    _suite_dir(tmp_path, profile)
    with pytest.raises(SuiteError, match=message):
        load_suite(tmp_path / "expectations")


def test_a_row_with_no_figures_still_names_its_incident(tmp_path):
    p = _write(
        tmp_path,
        "a.csv",
        "id,date,killed,civilians\na,2017-10-21,5,1\npending,2017-10-22,,\n",
    )
    res = read_figures(p, suite=tmp_path / "expectations")
    pending = res.figures[res.figures["incident"] == "pending"]
    assert pending[["measure", "qualifier"]].values.tolist() == [["killed", "unknown"]]
    assert pending["value"].isna().all()
    assert flat(res.findings) == [["a.csv", 3, "killed", "no-figures", "warning"]]
    assert res.rows_accepted == 2
    assert "its incident is kept" in res.findings["message"].iloc[0]


def test_a_blank_cell_of_a_numeric_column_is_unknown_not_exact(tmp_path):
    p = _write(tmp_path, "a.csv", "id,date,killed,civilians\na,2017-10-21,,1\nb,2017-10-21,3,\n")
    f = read_figures(p, suite=tmp_path / "expectations").figures.set_index(["incident", "measure"])
    assert ("a", "killed") not in f.index  # a blank wide cell is no figure
    long = tmp_path / "long"
    long.mkdir()
    (long / "l.csv").write_text("incident,source,measure,value\nx,S,killed,\ny,S,killed,4\n")
    g = read_figures(long / "l.csv", suite=load_suite()).figures.set_index("incident")
    assert g.loc["x", "qualifier"] == "unknown"  # a long record names a figure nobody gave
    assert g.loc["y", "qualifier"] == "exact"

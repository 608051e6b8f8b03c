"""The dask engine: the native engine's findings, row for row, from a real cluster of two
process workers — on every fixture, on generated tables split over many files (by
incident, and by source so that a shuffle must bring each incident together), with a
``mostly`` decided on the whole table, and from the command line."""

from __future__ import annotations

import json
import re
import shutil
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
from conftest import AQ, FIXTURES, REAL
from generate import write_parts  # fixtures/ is on the path (conftest)

import toolkit as cc
from toolkit import on_dask
from toolkit.errors import CrosscheckError
from toolkit.model import findings as fd

COLUMNS = list(fd.COLUMNS)


@pytest.fixture(scope="module")
def client():
    with on_dask.cluster("local:2") as c:
        assert len(c.scheduler_info()["workers"]) == 2
        yield c


def rows(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings as comparable rows: every column as text, in one order."""
    out = findings[COLUMNS].astype("str")
    return out.sort_values(COLUMNS).reset_index(drop=True)


OPEN: list[on_dask.DaskRun] = []


@pytest.fixture(autouse=True)
def _close_runs():
    """Each run's parts (written to a temporary folder) are removed after its test."""
    yield
    while OPEN:
        OPEN.pop().close()


def same_findings(path: Path | str, client, **options) -> on_dask.DaskRun:
    native = cc.check(path, **options)
    run = on_dask.check(path, client=client, **options)
    OPEN.append(run)
    got = run.findings.compute()
    assert len(got) == len(native.findings)
    pd.testing.assert_frame_equal(rows(got), rows(native.findings))
    assert run.status_text() == native.comparison.status_text()
    assert run.rows == native.rows
    return run


@pytest.mark.parametrize(
    "fixture",
    [AQ, REAL, FIXTURES / "series", FIXTURES / "linking", FIXTURES / "matching",
     FIXTURES / "shapes", FIXTURES / "hostile", FIXTURES / "explaining", FIXTURES / "lagging"],
    ids=lambda p: p.name,
)  # fmt: skip
def test_every_fixture_gives_the_native_findings_row_for_row(client, fixture):
    same_findings(fixture, client)


def test_a_pattern_across_incidents_is_found_from_every_part(client, tmp_path):
    """The explaining fixture's exports cut into one file per incident pair: the
    pattern (the MSA's victims count the shooter) holds only over all the parts."""
    data = tmp_path / "explaining"
    shutil.copytree(FIXTURES / "explaining", data)
    for name in ("fbi.csv", "msa.csv"):
        whole = (data / name).read_text(encoding="utf-8").splitlines(keepends=True)
        (data / name).unlink()
        for i, line in enumerate(whole[1:]):
            stem = name.removesuffix(".csv")
            (data / f"{stem}-{i:02d}.csv").write_text(whole[0] + line, encoding="utf-8")
    run = same_findings(data, client)
    assert run.parts > 2
    found = run.findings.compute()
    pattern = found[found["code"] == "systematic-definition"]
    assert pattern["source"].tolist() == ["Stanford MSA"]
    assert pattern["observed"].tolist() == ["14 of 14"]
    assert run.patterns is not None
    assert run.patterns["pattern"].sum() == 1


def test_matching_and_the_series_give_the_native_findings_too(client):
    run = same_findings(FIXTURES / "matching", client, link="auto")
    assert run.matching is not None
    assert run.matching.scores()["matched"] == 20
    same_findings(FIXTURES / "linking", client, link="auto")
    series = same_findings(FIXTURES / "series", client, over_time=True)
    codes = set(series.findings["code"].compute())
    assert {"conflict-episode", "lag"} <= codes


def test_exports_split_by_incident_are_not_moved(client, tmp_path):
    parts = write_parts(tmp_path / "by-incident", 6000, 6, by_incident=True, seed=3)
    assert parts.parts == 6
    run = same_findings(tmp_path / "by-incident", client)
    assert run.shuffled is False
    assert run.streamed is True  # each file read, checked and compared in one task
    assert run.parts == 6
    assert run.counts["conflict"] > 0
    # the results stay on disk, a part per file, until the run closes
    assert run.folder is not None
    assert len(list((run.folder / "findings").glob("part-*.parquet"))) == 6
    assert run.findings.npartitions == 7  # and the input findings
    run.close()
    OPEN.remove(run)
    assert not run.folder.exists()


def test_progress_is_told_of_each_export_as_it_finishes(client, tmp_path):
    write_parts(tmp_path / "parts", 3000, 5, by_incident=True, seed=5)
    told: list[tuple[str, int]] = []
    with on_dask.check(tmp_path / "parts", client=client, on_part=lambda *a: told.append(a)):
        pass
    assert told == [("exports read, checked, compared", 5)] * 5
    told.clear()
    with on_dask.check(FIXTURES / "matching", client=client, link="auto",
                       on_part=lambda *a: told.append(a)):  # fmt: skip
        pass
    assert told == [("exports read", 3)] * 3  # truth.csv too: read, then found unclaimed


def test_one_export_per_source_is_shuffled_by_incident(client, tmp_path):
    write_parts(tmp_path / "by-source", 6000, 10, by_incident=False, seed=4)
    run = same_findings(tmp_path / "by-source", client)
    assert run.shuffled is True
    assert run.streamed is False  # one incident over five files: they must meet first
    # every incident's rows met: as many comparisons as the native engine has
    native = cc.check(tmp_path / "by-source")
    assert len(run.table.compute()) == len(native.comparison.table)


def test_a_bad_row_is_the_same_finding_at_the_same_line(client, tmp_path):
    data = tmp_path / "series"
    shutil.copytree(FIXTURES / "series", data)
    export = data / "jhu-csse.csv"
    lines = export.read_text(encoding="utf-8").splitlines()
    lines[9] = lines[9].replace("2020-05-05", "2020-05-45")  # not a date, line 10
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = same_findings(data, client)
    found = run.findings.compute()
    bad = found[found["code"] == "bad-date"]
    assert bad["origin_row"].tolist() == [10]
    assert run.rows["rejected"] == 1


def _with_rule(data: Path, expectation: dict) -> Path:
    """A folder whose suite adds one hand-written rule to the default one."""
    (data / "expectations").mkdir(parents=True)
    (data / "expectations" / "suite.yaml").write_text(
        f"name: {data.name}\nextends: default\nrules: rules.json\n"
    )
    rules = {"name": data.name, "expectations": [expectation]}
    (data / "expectations" / "rules.json").write_text(json.dumps(rules))
    return data


def test_mostly_is_decided_on_the_whole_table_not_on_each_part(client, tmp_path):
    """Each part alone would put its citation rule within ``mostly`` or not; the whole
    table decides."""
    data = _with_rule(
        tmp_path / "mostly",
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "citation", "mostly": 0.7},
            "meta": {"rule": "cited"},
        },
    )
    header = "incident,source,measure,figure_text,reported_on,citation\n"
    # part a: 10 rows, 4 uncited (40 %); part b: 10 rows, none uncited: 20 % in all
    a = "".join(
        f"a{k},S,killed,{k + 1},2020-01-0{1 + k % 5},{'' if k < 4 else 'http://x'}\n"
        for k in range(10)
    )
    b = "".join(f"b{k},S,killed,{k + 1},2020-01-01,http://x\n" for k in range(10))
    (data / "a.csv").write_text(header + a)
    (data / "b.csv").write_text(header + b)
    run = same_findings(data, client)
    cited = run.findings.compute()
    cited = cited[cited["rule"] == "cited"]
    assert len(cited) == 4
    assert set(cited["severity"]) == {"info"}  # 4 of 20 fail: within mostly 0.7


def test_an_unreadable_export_stops_the_run_with_its_file_and_line(client, tmp_path):
    data = tmp_path / "aq"
    shutil.copytree(AQ, data)
    (data / "al-masdar.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    with pytest.raises(CrosscheckError) as native:
        cc.check(data)
    with pytest.raises(CrosscheckError) as remote:
        on_dask.check(data, client=client)
    assert str(remote.value) == str(native.value)


def test_the_command_line_writes_the_findings_from_the_cluster(tmp_path, cli):
    out = tmp_path / "findings.csv"
    run = cli("check", str(FIXTURES / "series"), "--engine", "dask", "--scheduler", "local:2",
              "--csv", str(out))  # fmt: skip
    assert run.code == 1, run.err
    assert "dask: 2 workers; dashboard http" in run.out
    assert "compared 6 incident x measure pairs: 2 conflict, 1 agree, 3 single" in run.out
    assert "findings (11):" in run.out
    native = tmp_path / "native.csv"
    assert cli("check", str(FIXTURES / "series"), "--csv", str(native)).code == 1
    written = pd.read_csv(out).sort_values(COLUMNS).reset_index(drop=True)
    expected = pd.read_csv(native).sort_values(COLUMNS).reset_index(drop=True)
    pd.testing.assert_frame_equal(written, expected)
    lines = tmp_path / "findings.jsonl"
    assert cli("check", str(FIXTURES / "series"), "--engine", "dask", "--scheduler", "local:2",
               "--csv", str(lines)).code == 1  # fmt: skip
    as_lines = pd.read_json(lines, lines=True).sort_values(COLUMNS).reset_index(drop=True)
    assert len(as_lines) == len(expected)
    assert as_lines["message"].tolist() == expected["message"].tolist()
    dataset = tmp_path / "table.parquet"
    compared = cli("compare", str(FIXTURES / "linking"), "--engine", "dask", "--scheduler",
                   "local:2", "--csv", str(dataset))  # fmt: skip
    assert compared.code == 1, compared.err
    assert dataset.is_dir()
    table = pd.read_parquet(dataset)
    assert len(table) == len(cc.compare(FIXTURES / "linking").table)


def test_a_running_scheduler_is_reached_by_its_address(tmp_path, cli):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as running:  # fmt: skip
        run = cli("check", str(AQ), "--engine", "dask", "--scheduler", running.scheduler_address)
    assert run.code == 0, run.err
    assert "dask: 1 workers" in run.out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--scheduler", "local:2"], "--scheduler needs --engine dask"),
        (["--engine", "dask", "--scheduler", "local:0"], "local:N takes a number of workers"),
        (["--engine", "dask", "--scheduler", "nowhere"], "expected local, local:N or a"),
        (["--engine", "dask", "--scheduler", "local:999999"], "(four per core)"),
        (["--engine", "dask", "--scheduler", "tcp://127.0.0.1:notaport"], "cannot be reached"),
    ],
)
def test_what_the_dask_engine_does_not_take_is_a_usage_error(tmp_path, cli, args, says):
    run = cli("check", str(AQ), *args)
    assert run.code == 2
    assert says in run.err
    assert "Traceback" not in run.err


def test_without_dask_installed_the_engine_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed: ImportError
    with pytest.raises(CrosscheckError, match=r"pip install 'crosscheck\[dask\]'"):
        on_dask.cluster("local:1").__enter__()


def test_the_api_starts_and_stops_its_own_cluster():
    with cc.check(AQ, engine="dask", scheduler="local:1") as run:
        assert run.status_text() == "0 conflict, 4 agree, 7 single"
        assert run.ok
        client = run.client
    assert client.status == "closed"


def test_a_pattern_reads_what_it_matches_as_the_folder_read_would(tmp_path):
    every = cc.check(FIXTURES / "series")
    matched = cc.check(str(FIXTURES / "series" / "*"))  # SOURCES.md and the suite skipped
    assert len(matched.findings) == len(every.findings)
    folders = cc.check(str(FIXTURES / "se*"))  # a folder matched: read as a folder, its suite
    assert folders.suite.name == "series"
    assert folders.rows == every.rows


def test_a_pattern_names_the_exports_it_matches(client, tmp_path):
    write_parts(tmp_path / "parts", 4000, 4, by_incident=True, seed=6)
    pattern = str(tmp_path / "parts" / "part-0000[01].parquet")
    native = cc.check(pattern)
    assert [Path(f.path).name for f in native.read.files] == [
        "part-00000.parquet",
        "part-00001.parquet",
    ]
    run = same_findings(pattern, client)
    assert run.parts == 2
    with pytest.raises(CrosscheckError, match="no file matches this pattern"):
        cc.check(str(tmp_path / "parts" / "*.csv"))


def test_an_exports_own_column_is_typed_across_every_export(client, tmp_path):
    """Whole numbers in one export and decimals (and a blank) in another: one column of
    floats, as the native reader's concatenation makes it, for the rule that reads it."""
    data = _with_rule(
        tmp_path / "own",
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "note", "min_value": 0, "max_value": 5},
            "meta": {"rule": "note 0-5"},
        },
    )
    header = "incident,source,measure,figure_text,reported_on,note\n"
    (data / "x.csv").write_text(header + "a,S1,killed,3,2020-01-01,3\na,S1,killed,4,2020-01-02,9\n")
    (data / "y.csv").write_text(
        header
        + "a,S2,killed,3,2020-01-01,4.5\na,S2,killed,4,2020-01-02,\nb,S2,killed,1,2020-01-01,7.25\n"
    )
    run = same_findings(data, client)
    assert run.streamed is False  # a rule on the export's own column: typed across exports
    found = run.findings.compute()
    broken = found[found["rule"] == "note 0-5"]
    names = broken["origin_file"].map(lambda f: Path(f).name)
    where = sorted(zip(names, broken["origin_row"], strict=True))
    assert where == [("x.csv", 3), ("y.csv", 4)]  # notes 9 and 7.25


def _more(html: str, list_id: str) -> list[str]:
    """What a report's "not every row is listed" note says, per group."""
    import re

    found = re.search(rf'<div class="more small" id="{list_id}">.*?</div>', html, re.S)
    return re.findall(r"<li[^>]*>(.*?)</li>", found.group(0)) if found else []


def _table(html: str, table_id: str) -> list[str]:
    """A report table's rows as text, sorted (the order of equal rows may differ)."""
    import re

    found = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert found is not None, table_id
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(0), re.S)
    return sorted(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "|", r)).strip() for r in rows)


@pytest.mark.parametrize(
    "fixture",
    [AQ, FIXTURES / "series", FIXTURES / "linking", FIXTURES / "explaining", FIXTURES / "lagging"],
    ids=lambda p: p.name,
)
def test_the_html_report_of_a_dask_run_is_the_native_one_its_revisions_and_over_time_gathered(
    tmp_path, cli, browser, client, fixture
):
    """The counts are the whole run's; the findings listed (at most --max-findings per
    rule), the disagreements and their charts are the native report's; so are the
    revisions the view gathers for the report (listed per direction, counted, charted)
    and, compared over time, its "Over time" section (counts, episodes and lags listed,
    the chart per date and the small multiples' series)."""
    from test_reporting import Page

    from toolkit.on_dask.view import report_view
    from toolkit.reporting import html, htmlparts

    native, remote = tmp_path / "native.html", tmp_path / "dask.html"
    limit = ["--max-findings", "3", "--fail-on", "never"]
    assert cli("check", str(fixture), "--html", str(native), *limit).code == 0
    run = cli("check", str(fixture), "--engine", "dask", "--scheduler", "local:2",
              "--html", str(remote), *limit)  # fmt: skip
    assert run.code == 0, run.err
    a, b = native.read_text(encoding="utf-8"), remote.read_text(encoding="utf-8")
    for table in ("counts", "families", "findings-table", "disagreements", "scorecard-table"):
        assert _table(b, table) == _table(a, table), table
    for more in ("findings-more", "disagreements-more"):
        assert _more(b, more) == _more(a, more), more
    charts = re.compile(r'alt="Figures for [^"]*"')
    assert charts.findall(b) == charts.findall(a)  # the same incidents, the same measures
    figures = re.compile(r"figures <b>([\d,]+)</b>")
    assert figures.findall(b) == figures.findall(a)
    # the conflicts by explanation and the patterns: sums and counts of every part
    expected = {  # conflicts (and so explanations) in four fixtures, patterns in two
        r'<p id="explanations">.*?</p>': fixture.name != "al-qaryatayn",
        r'<ul id="patterns">.*?</ul>': fixture.name in ("explaining", "lagging"),
    }
    for block, present in expected.items():
        mine, theirs = re.search(block, a, re.S), re.search(block, b, re.S)
        assert (mine is not None) == present, block
        assert (theirs is None) if mine is None else (theirs.group(0) == mine.group(0))
    assert 'id="partial"' in b
    revs = re.compile(r'<section id="revisions">.*?</section>', re.S)
    assert revs.findall(b) == revs.findall(a)
    assert len(revs.findall(a)) == 1
    assert _more(b, "revisions-more") == _more(a, "revisions-more")
    rev_charts = re.compile(r'alt="Revisions of [^"]*"')
    assert rev_charts.findall(b) == rev_charts.findall(a)
    ot = ["--over-time", "--charts", "6"]
    if fixture.name in ("series", "linking", "lagging"):
        assert cli("check", str(fixture), "--html", str(native), *limit, *ot).code == 0
        run = cli("check", str(fixture), "--engine", "dask", "--scheduler", "local:2",
                  "--html", str(remote), *limit, *ot)  # fmt: skip
        assert run.code == 0, run.err
        a, b = native.read_text(encoding="utf-8"), remote.read_text(encoding="utf-8")
        sec = re.compile(r'<section id="over-time">.*?</section>', re.S)
        assert sec.findall(b) == sec.findall(a)
        assert len(sec.findall(a)) == 1
    native_run = cc.check(fixture)
    with on_dask.run(fixture, scheduler=client) as run:
        compared, _ = report_view(run, 2)
        for charts, most in ((10, 2), (40, 1), (0, 200)):
            mine = html._revisions(native_run.comparison, charts, most)
            theirs = compared.comparison.revisions_section(charts, most)  # type: ignore[attr-defined]
            assert theirs == mine, (charts, most)  # rows, counts and the charts' SVG
    if fixture.name in ("series", "lagging"):
        assert len(mine["revisions"]) > 0  # listed (charts=0: none drawn)
        assert len(html._revisions(native_run.comparison, 40, 1)["revision_charts"]) >= 3
    view = Page(browser, remote)
    try:
        assert view.errors == []
        assert view.requests == [remote.as_uri()]
    finally:
        view.close()
    if fixture.name not in ("series", "linking", "lagging"):
        return
    # the native charts of a series with one figure warn (matplotlib widens its y axis)
    warnings.filterwarnings("ignore", "Attempting to set identical low and high", UserWarning)
    native_run = cc.check(fixture, over_time=True)
    with on_dask.run(fixture, scheduler=client, over_time=True) as run:
        compared, _ = report_view(run, 2)
        for charts, most in ((10, 2), (40, 1), (0, 200)):
            mine = htmlparts.over_time(native_run.comparison, charts, most)
            theirs = compared.comparison.over_time_section(charts, most)  # type: ignore[attr-defined]
            assert mine is not None
            assert theirs == mine, (charts, most)  # the rows, counts and both charts' SVG
    assert len(htmlparts.over_time(native_run.comparison, 10, 1)["panels"]) > 0
    if fixture.name != "linking":
        assert mine["episodes"]
        assert mine["lags"]

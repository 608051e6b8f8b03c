"""Consoles and outputs crosscheck does not trust: data that would forge a CI annotation or
drive the terminal, output paths that cannot be written, writes that must be whole, the
pytest plugin's reports, and the exceptions that used to escape ``main``. Each case of the
table (docs/bad-inputs.md), and the tests that pin the mechanism behind it."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from badinputs import AQ, ROOT, Case, add_to_suite, aq, check
from hypothesis import given
from hypothesis import strategies as st

from toolkit.errors import OutputError
from toolkit.reporting.github import workflow_commands
from toolkit.reporting.terminal import ConsoleStream, plain, safe_line
from toolkit.reporting.writers import write_text

# Every way data could reach a console line and misbehave: a newline and a forged
# annotation, CSI/OSC escape sequences, BEL, a C1 CSI, a bidi override, a carriage return
# and the runner's legacy command form.
PAYLOAD = (
    "S1\n::error file=README.md,line=1::INJECTED \x1b[31mred\x07 \x1b]0;title\x07 "
    "\x9b2J \u202eevil\r##[error]legacy"
)
# What crosscheck shows of it: one line, every control a "?", the legacy form broken.
SHOWN = "S1?::error file=README.md,line=1::INJECTED ?[31mred? ?]0;title? ?2J ?evil?#?#[error]legacy"
# A file name carrying the same (no "/" in a file name).
EVIL_NAME = "evil\n::error file=README.md::NAME\x1b[2J\u202e.csv"
COLUMNS = "incident,source,measure,figure_text,reported_on,event_start,event_end,location,"
COLUMNS += "country,citation"
# C0 but the line end, DEL, C1, the bidi controls, the Unicode line separators.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
CROSSCHECK = [sys.executable, "-m", "toolkit"]
ANNOTATION = re.compile(r"::(error|warning|notice) (file=[^,:]*,line=\d+,)?title=[^,:]*::.*")


def _rows() -> list[list[str]]:
    """Rows of a long export whose every text cell carries the payload."""
    day = ["2017-10-21", "2017-10-01", "2017-10-20"]
    where = [f"loc{PAYLOAD}", "SYR"]
    return [
        [f"inc{PAYLOAD}", PAYLOAD, "killed.civilians", "12", *day, *where, f"cit{PAYLOAD}"],
        [f"inc{PAYLOAD}", f"T2{PAYLOAD}", "killed.civilians", "40", *day, *where, ""],
        [f"inc{PAYLOAD}", "::warning::START", "killed", "7", *day, *where, "c"],
        [f"inc{PAYLOAD}", "S3##[error]legacy", "killed", "9", *day, *where, "c"],
        [f"inc{PAYLOAD}", "S4", "killed", f"12{PAYLOAD}", *day, *where, "c"],
        [f"inc{PAYLOAD}", "S5", f"killed{PAYLOAD}", "9", *day, *where, "c"],
    ]


def hostile(folder: Path) -> Path:
    """The Al-Qaryatayn fixtures plus two exports (one named with the payload) whose cells
    carry it, and a hand-written rule whose name and message carry it."""
    data = aq(folder)
    for name in ("hostile.csv", EVIL_NAME):
        with (data / name).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS.split(","))
            writer.writerows(_rows())
    rule = {
        "type": "expect_column_values_to_not_be_null",
        "kwargs": {"column": "citation"},
        "meta": {"rule": f"cited{PAYLOAD}", "severity": "warning", "message": f"no{PAYLOAD}"},
    }
    rules = {"name": "hostile", "expectations": [rule]}
    (data / "expectations" / "rules.json").write_text(json.dumps(rules), encoding="utf-8")
    add_to_suite(data, "rules: rules.json\n")
    return data


def assert_console_safe(text: str) -> None:
    """No control character but the line end; no line starting a workflow command except
    crosscheck's own annotations (which never name README.md in their properties); no
    legacy command outside them (inside, the runner has read the line as a command)."""
    assert not UNSAFE.search(text), [line for line in text.split("\n") if UNSAFE.search(line)]
    for line in text.split("\n"):
        if line.lstrip().startswith(":"):
            assert ANNOTATION.fullmatch(line), line
            assert _runner_parse(line)[1].get("file") != "README.md", line
        else:
            assert "##[" not in line, line


def _hostile_check(folder: Path) -> list[str]:
    return ["check", str(hostile(folder)), "--annotations", "github"]


def _html_at_a_folder(folder: Path) -> list[str]:
    (folder / "out").mkdir()
    return ["check", str(aq(folder)), "--html", str(folder / "out")]


def _table_behind_a_file(folder: Path) -> list[str]:
    (folder / "file").write_text("not a folder\n")
    return ["read", str(aq(folder)), "-o", str(folder / "file" / "figures.csv")]


def _under_sys(folder: Path) -> list[str]:
    return ["compare", str(aq(folder)), "--csv", "/sys/crosscheck-comparison.csv"]


def _output_is_an_input(folder: Path) -> list[str]:
    data = aq(folder)
    return ["read", str(data), "-o", str(data / "sohr.csv")]


def _empty_output(folder: Path) -> list[str]:
    return ["check", str(aq(folder)), "--html", ""]


def _name_not_utf8(folder: Path) -> list[str]:
    data = aq(folder)
    shutil.copy(data / "independent.csv", data / os.fsdecode(b"caf\xe9.csv"))
    return ["read", str(data), "-o", str(folder / "figures.csv")]


def _history_not_a_url(folder: Path) -> list[str]:
    return ["check", str(aq(folder)), "--history", "reports/history.sqlite"]


def _history_newer(folder: Path) -> list[str]:
    import sqlalchemy as sa

    from toolkit.history import Store

    url = f"sqlite:///{folder}/h.sqlite"
    Store(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    engine.dispose()
    return ["check", str(aq(folder)), "--history", url]


def _scheduler_nowhere(folder: Path) -> list[str]:
    return ["check", str(aq(folder)), "--engine", "dask", "--scheduler", "nowhere"]


def _dask_into_an_export(folder: Path) -> list[str]:
    data = aq(folder)
    return ["compare", str(data), "--engine", "dask", "--csv", str(data / "sohr.csv")]


def _plugin_unreadable(folder: Path) -> list[str]:
    data = aq(folder)
    (data / "al-masdar.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    return ["pytest", "--crosscheck", str(data), "-rfs"]


def _plugin_broken_suite(folder: Path) -> list[str]:
    data = aq(folder)
    add_to_suite(data, "rules: [\n")
    return ["pytest", "--crosscheck", str(data)]


CASES = [
    Case(
        "console-control-characters",
        "trust",
        "Cells and a file name holding a newline then `::error file=README.md,line=1::…`, "
        "ESC/BEL/CSI/OSC sequences, a C1 `\\x9b`, a bidi override U+202E, `##[error]` "
        "(run with `--annotations github`)",
        _hostile_check,
        1,
        f"[discrepancy/sources conflict] {SHOWN}'s killed.civilians 12 cannot be reconciled",
    ),
    Case(
        "history-not-a-url",
        "crash",
        "`--history reports/history.sqlite` (a path where a database URL belongs)",
        _history_not_a_url,
        2,
        "history: 'reports/history.sqlite' is not a database URL "
        "(e.g. sqlite:///reports/history.sqlite or postgresql+psycopg://host/db)",
    ),
    Case(
        "history-newer-schema",
        "crash",
        "`--history URL` of a database a newer crosscheck wrote (schema version 4)",
        _history_newer,
        2,
        "its schema is version 4, newer than this crosscheck's (3): upgrade crosscheck",
    ),
    Case(
        "dask-scheduler-not-an-address",
        "crash",
        "`--engine dask --scheduler nowhere`",
        _scheduler_nowhere,
        2,
        "--scheduler 'nowhere': expected local, local:N or a scheduler's address (tcp://host:8786)",
    ),
    Case(
        "dask-output-is-an-input",
        "trust",
        "`compare --engine dask --csv` naming an export the run reads (before a cluster starts)",
        _dask_into_an_export,
        2,
        "DIR/aq/sohr.csv: is a file this run reads (an export or a suite file); crosscheck "
        "never writes its inputs: name another file",
    ),
    Case(
        "output-is-a-folder",
        "crash",
        "`--html` naming a folder (was `IsADirectoryError`)",
        _html_at_a_folder,
        2,
        "argument --html: DIR/out: is a folder: name a file to write",
    ),
    Case(
        "output-behind-a-file",
        "crash",
        "`read -o FILE/figures.csv` where FILE is a file (was `NotADirectoryError`, "
        "`FileExistsError`)",
        _table_behind_a_file,
        2,
        "argument -o/--output: DIR/file/figures.csv: cannot create its folder: DIR/file is a file",
    ),
    Case(
        "output-permission-denied",
        "crash",
        "`compare --csv` in a folder nobody may write (was `PermissionError`)",
        _under_sys,
        2,
        "crosscheck: error: /sys/crosscheck-comparison.csv: cannot write here: Permission denied",
    ),
    Case(
        "output-is-an-input",
        "trust",
        "`read -o` naming an export the run reads",
        _output_is_an_input,
        2,
        "DIR/aq/sohr.csv: is a file this run reads (an export or a suite file); crosscheck "
        "never writes its inputs: name another file",
    ),
    Case(
        "output-empty-path",
        "trust",
        '`--html ""` (was silently not written)',
        _empty_output,
        2,
        "argument --html: '': an empty path: name a file to write",
    ),
    Case(
        "file-name-not-utf8",
        "crash",
        "An export whose file name is not UTF-8 (the Latin-1 byte `\\xe9`; was "
        "`UnicodeEncodeError`)",
        _name_not_utf8,
        0,
        "aq/caf\\xe9.csv",
    ),
    Case(
        "pytest-unreadable-export",
        "crash",
        "`pytest --crosscheck DIR` with one unreadable export (was 36 failing items, each a "
        "pytest-internal traceback, ~30,000 lines): one failing item, the others skipped",
        _plugin_unreadable,
        1,
        "crosscheck: DIR/aq/al-masdar.xlsx: not a readable .xlsx workbook",
    ),
    Case(
        "pytest-broken-suite",
        "crash",
        "`pytest --crosscheck DIR` whose suite.yaml is not YAML (was `INTERNALERROR`, exit 3)",
        _plugin_broken_suite,
        4,
        "ERROR: crosscheck: DIR/aq/expectations/suite.yaml:8:1: not valid YAML",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case: Case, tmp_path: Path) -> None:
    outcome = check(case, tmp_path)
    if case.build in (_plugin_unreadable, _plugin_broken_suite):
        assert len(outcome.text.splitlines()) < 60, outcome.text  # was ~30,000 lines
        assert "INTERNALERROR" not in outcome.text
        assert "cls = <class" not in outcome.text  # pytest's own frames
    if case.build is _plugin_unreadable:  # one item fails, the others say why they did not run
        assert re.search(r"\b1 failed, \d+ skipped in", outcome.text), outcome.text
        assert "FAILED ::crosscheck[input] - crosscheck: " in outcome.text
        skipped = "not run: the exports cannot be checked (see crosscheck[input])"
        assert skipped in outcome.text


# 1. Console lines: no data can start a line, drive the terminal or forge a command.


def _crosscheck(args: Sequence[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """crosscheck in a subprocess (a real stdout and stderr), output decoded strictly."""
    done = subprocess.run(
        [sys.executable, "-m", "toolkit", *args],
        cwd=cwd,
        capture_output=True,
        env={**os.environ, **env},
        timeout=300,
        check=False,
    )
    text = subprocess.CompletedProcess(
        done.args,
        done.returncode,
        done.stdout.decode("utf-8"),
        done.stderr.decode("utf-8"),
    )
    return text


@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile(tmp_path_factory.mktemp("hostile"))


# Each command that prints, and what it must show of the payload (inline, not hidden).
COMMANDS = {
    "check": (["check", "{D}", "--json", "{T}/all.json"], SHOWN),
    "compare": (["compare", "{D}"], f"T2{SHOWN}"),
    "read": (["read", "{D}", "-o", "{T}/figures.csv"], f"  {SHOWN}"),
    "match": (["match", "{D}", "-o", "{T}/crosswalk.csv"], "wrote "),
    "suite": (["suite", "{D}/expectations"], f"cited{SHOWN}"),
    "unreadable-file-named-with-it": (["read", "{T}/" + EVIL_NAME + ".gz"], "NAME?[2J?.csv.gz"),
    "missing-path-named-with-it": (["check", "{D}/" + PAYLOAD], SHOWN),
    "argparse-error-quoting-it": (["check", "{D}", "--" + PAYLOAD], SHOWN),
    "output-error-naming-it": (["check", "{D}", "--csv", "{T}/" + PAYLOAD + ".txt"], SHOWN),
}


@pytest.fixture
def in_actions(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``cli`` as under GitHub Actions (``GITHUB_ACTIONS=true``), run in ``tmp_path``."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.chdir(tmp_path)
    return cli


@pytest.mark.parametrize("command", COMMANDS, ids=str)
def test_no_console_line_is_data_s_to_start(
    command: str, hostile_data: Path, tmp_path: Path, in_actions
) -> None:
    """Every command that prints, on stdout and stderr, under GitHub Actions: the payload
    is shown inline, and nothing of it acts."""
    (tmp_path / (EVIL_NAME + ".gz")).write_bytes(b"\x1f\x8b truncated")
    args, shown = COMMANDS[command]
    args = [a.replace("{D}", str(hostile_data)).replace("{T}", str(tmp_path)) for a in args]
    run = in_actions(*args)
    text = run.out + run.err
    assert "Traceback" not in text, text
    assert_console_safe(text)
    assert shown in text, text


def test_annotations_are_crosscheck_s_own_and_one_per_finding(
    hostile_data: Path, tmp_path: Path, in_actions
) -> None:
    run = in_actions("check", str(hostile_data), "--json", str(tmp_path / "all.json"))
    findings = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))["findings"]
    annotations = [line for line in run.out.split("\n") if line.startswith("::")]
    assert len(annotations) == len(findings) > 5
    assert all(ANNOTATION.fullmatch(line) for line in annotations)
    # the message's newline is escaped as the runner unescapes it, not printed raw
    assert any("S1%0A::error file=README.md" in line for line in annotations)


def test_a_cell_that_starts_a_line_with_a_command_is_marked(hostile_data: Path, in_actions) -> None:
    """No control character needed: a source named ``::warning::START`` starts the read
    summary's line after blanks, which the runner trims."""
    run = in_actions("read", str(hostile_data))
    assert "  ?::warning::START" in run.out
    assert "  S3#?#[error]legacy" in run.out


def test_colour_and_progress_are_the_only_escape_sequences_on_a_terminal(
    hostile_data: Path, tmp_path: Path
) -> None:
    """On a real terminal (a pty): crosscheck's colours (SGR) and its progress line's
    carriage returns pass; the payload's OSC title, CSI, BEL and C1 do not."""
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "check", str(hostile_data)],
        cwd=tmp_path,
        stdout=secondary,
        stderr=secondary,
        env={k: v for k, v in os.environ.items() if k != "NO_COLOR"},
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert process.wait(timeout=300) == 1
    os.close(main)
    text = b"".join(chunks).decode("utf-8")
    assert "\x1b[31merror  \x1b[0m" in text  # its own colour: an error finding
    assert "\r[#" in text  # its own progress line
    assert "?[31mred" in text
    for leaked in ("\x1b[31mred", "\x1b]", "\x1b[2J", "\x07", "\x9b", "\u202e"):
        assert leaked not in text
    own = re.sub(r"\x1b\[\d+m", "", text).replace("\r", "")
    assert not UNSAFE.search(own), repr(own)


def test_a_console_that_cannot_show_a_character_shows_a_question_mark(cli) -> None:
    """``PYTHONIOENCODING=ascii`` used to end in ``UnicodeEncodeError``: the exit code is
    the run's own, the findings all printed, the characters it cannot show are ``?``."""
    utf8 = cli("check", str(AQ))  # the same run, in-process: nothing to encode
    ascii_ = _crosscheck(["check", str(AQ)], ROOT, PYTHONIOENCODING="ascii")
    assert ascii_.returncode == utf8.code == 0, ascii_.stderr
    assert ascii_.stderr == ""
    assert "\u2265 45" in utf8.out
    assert ascii_.stdout == utf8.out.encode("ascii", "replace").decode("ascii")


def test_a_reader_that_goes_away_does_not_change_the_outcome(tmp_path: Path) -> None:
    """``crosscheck check … | head``: the pipe closes before crosscheck writes; the run
    still writes its report and exits 1 for its error (a pipefail CI step must fail), and
    prints nothing about the pipe (it used to exit 0)."""
    data = aq(tmp_path)
    (data / "extra.csv").write_text(COLUMNS + "\ninc,S9,killed.bogus,3,2017-10-21,,,,SYR,c\n")
    report = tmp_path / "report.html"
    process = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "check", str(data), "--html", str(report)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()  # the reader is gone before the first line
    _, err = process.communicate(timeout=300)
    assert process.returncode == 1, err
    assert err == b""
    assert report.read_text(encoding="utf-8").rstrip().endswith("</html>")


def test_the_stream_ends_a_line_only_where_print_does() -> None:
    """``print`` writes its line end alone: any other newline is data, shown as ``?``."""
    raw = io.StringIO()
    stream = ConsoleStream(raw)
    print("a", "b\nc", "d\n", sep=" | ", file=stream)
    print(":: starts", file=stream)
    stream.write("a whole line, as logging writes it\n")
    stream.write("no end")
    stream.finish()
    assert raw.getvalue() == (
        "a | b?c | d?\n?:: starts\na whole line, as logging writes it\nno end"
    )


def test_the_stream_takes_only_escaped_commands_and_sgr_codes() -> None:
    stream = ConsoleStream(io.StringIO())
    with pytest.raises(ValueError, match="not an escaped workflow command"):
        stream.command("::error::two\nlines")
    with pytest.raises(ValueError, match="not an escaped workflow command"):
        stream.command("echo hi")
    with pytest.raises(ValueError, match="not an SGR code"):
        stream.style("2J\x1b]0;x")


TEXT = st.text(max_size=40)  # any code point but surrogates: controls, bidi, separators


@pytest.mark.fuzz
@given(values=st.lists(TEXT, min_size=1, max_size=6))
def test_fuzz_any_value_prints_as_part_of_its_own_line(values: list[str]) -> None:
    """Whatever the values, printed inside crosscheck's lines (as the console does): one
    line per print, no control character, no line a runner reads as a command."""
    raw = io.StringIO()
    stream = ConsoleStream(raw)
    for value in values:
        print(f"{value}  {value}|x", file=stream)
    stream.finish()
    lines = raw.getvalue().split("\n")
    assert lines[-1] == ""
    assert len(lines) - 1 == len(values)
    assert_console_safe(raw.getvalue())


@pytest.mark.fuzz
@given(writes=st.lists(TEXT, min_size=1, max_size=8))
def test_fuzz_any_writes_make_safe_lines(writes: list[str]) -> None:
    """Whatever is written however (a library's own writes too): no control character,
    no line a runner reads as a command, and every character written is shown."""
    raw = io.StringIO()
    stream = ConsoleStream(raw)
    for text in writes:
        stream.write(text)
    stream.finish()
    assert_console_safe(raw.getvalue())
    assert len(raw.getvalue().replace("\n", "")) >= len("".join(writes).replace("\n", ""))


def _runner_unescape(text: str, property_: bool) -> str:
    """The Actions runner's unescaping (ActionCommand.UnescapeData / UnescapeProperty)."""
    pairs = [("%0D", "\r"), ("%0A", "\n")]
    pairs += [("%3A", ":"), ("%2C", ",")] if property_ else []
    for escaped, char in [*pairs, ("%25", "%")]:
        text = text.replace(escaped, char)
    return text


def _runner_parse(line: str) -> tuple[str, dict[str, str], str]:
    """How the runner reads a workflow command (ActionCommand.TryParseV2)."""
    line = line.lstrip()
    assert line.startswith("::")
    end = line.index("::", 2)
    info = line[2:end]
    name, _, props = info.partition(" ")
    properties = {}
    for pair in filter(None, props.strip().split(",")):
        key, _, value = pair.partition("=")
        properties[key] = _runner_unescape(value, property_=True)
    return name, properties, _runner_unescape(line[end + 2 :], property_=False)


@pytest.mark.fuzz
@given(file=TEXT.filter(bool), rule=TEXT, message=TEXT)
def test_fuzz_annotations_read_back_as_the_finding(file: str, rule: str, message: str) -> None:
    """The runner reads back exactly the finding's file, title and message (controls other
    than CR and LF shown as ``?``); a command of its own, never a second one."""
    import pandas as pd

    findings = pd.DataFrame(
        [
            {
                "severity": "error",
                "origin_file": file,
                "origin_row": 3,
                "kind": "rule",
                "rule": rule,
                "message": message,
            }
        ]
    )
    (line,) = workflow_commands(findings)
    assert "\n" not in line
    assert "\r" not in line
    name, properties, data = _runner_parse(line)
    keep_crlf = {"\r": "\r", "\n": "\n"}

    def shown(text: str) -> str:
        return "".join(keep_crlf.get(c, plain(c)) for c in text)

    assert name == "error"
    # the runner trims the escaped properties' ends: the title's trailing blanks go (an
    # escaped CR or LF is no blank)
    title = re.sub(r"[^\S\r\n]+\Z", "", shown(f"rule: {rule}"))  # \Z: not before a last LF
    assert properties == {"file": shown(file), "line": "3", "title": title}
    assert data == shown(message)


def test_safe_line_marks_what_the_runner_would_skip_before_a_command() -> None:
    assert safe_line("\u00a0\u200b::error::x").startswith("\u00a0\u200b?::")
    assert safe_line("#\u200b#[error]x") == "#?#[error]x"
    assert safe_line("a: b") == "a: b"
    assert plain("caf\udce9.xlsx") == "caf?.xlsx"  # no encoding writes a lone surrogate


# 2. Outputs that cannot be written: an OutputError naming the path, exit 2.

OUTPUTS = [
    ("check", "--html", "report.html"),
    ("check", "--csv", "findings.csv"),
    ("check", "--json", "all.json"),
    ("check", "--junit", "junit.xml"),
    ("read", "-o", "figures.parquet"),
    ("read", "--findings", "findings.json"),
    ("compare", "--csv", "comparison.csv"),
    ("compare", "--json", "comparison.json"),
    ("match", "-o", "crosswalk.csv"),
    ("suite", "--gx-json", "suite.gx.json"),
    ("demo", "--html", "demo.html"),
]


def _args(command: str, option: str, target: Path) -> list[str]:
    head = {"suite": ["suite"], "demo": ["demo"]}.get(command, [command, str(AQ)])
    return [*head, option, str(target)]


@pytest.mark.parametrize(("command", "option", "name"), OUTPUTS, ids=lambda v: str(v))
def test_every_output_refuses_a_folder_and_a_file_in_the_way(
    cli, tmp_path: Path, command: str, option: str, name: str
) -> None:
    folder = tmp_path / name
    folder.mkdir()
    run = cli(*_args(command, option, folder))
    assert run.code == 2
    assert f"{folder}: is a folder: name a file to write" in run.err
    (tmp_path / "file").write_text("x\n")
    run = cli(*_args(command, option, tmp_path / "file" / "deeper" / name))
    assert run.code == 2
    assert f"cannot create its folder: {tmp_path / 'file'} is a file" in run.err
    assert "Traceback" not in run.err


@pytest.mark.parametrize(("command", "option", "name"), OUTPUTS, ids=lambda v: str(v))
def test_every_output_where_writing_is_denied_is_an_output_error(
    cli, command: str, option: str, name: str
) -> None:
    """/sys refuses new files even to root: a real EACCES, after the run."""
    run = cli(*_args(command, option, Path("/sys") / name))
    assert run.code == 2, run.err
    assert f"crosscheck: error: /sys/{name}: cannot write here: Permission denied" in run.err


def test_a_refused_rename_is_an_output_error_and_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EACCES at the rename (a sticky folder owned by another user): the handler's path."""
    target = tmp_path / "report.html"
    target.write_text("old report\n")

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied", str(src))

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OutputError, match=r"report\.html: cannot write here: Permission denied"):
        write_text(target, "new report\n")
    assert target.read_text() == "old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_a_fifo_and_a_link_to_a_device_are_written_not_replaced(cli, tmp_path: Path) -> None:
    """``--csv /dev/stdout`` and friends: a target that is not a regular file is written
    into (a rename would replace the device's link, or the FIFO a reader waits on)."""
    sink = tmp_path / "sink.csv"
    sink.symlink_to("/dev/null")
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    run = cli("read", str(AQ), "-o", str(sink), "--findings", str(fifo))
    out, _ = reader.communicate(timeout=60)
    assert run.code == 0, run.err
    assert sink.is_symlink()
    assert os.readlink(sink) == "/dev/null"
    assert fifo.is_fifo()
    assert json.loads(out)[0]["kind"] == "input"


def test_a_link_to_a_report_keeps_pointing_at_it(cli, tmp_path: Path) -> None:
    real = tmp_path / "reports" / "latest.html"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "report.html"
    link.symlink_to(real)
    run = cli("check", str(AQ), "--html", str(link))
    assert run.code == 0, run.err
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8").rstrip().endswith("</html>")


def test_a_suite_file_is_never_an_output(cli, tmp_path: Path) -> None:
    data = aq(tmp_path)
    suite = data / "expectations" / "suite.yaml"
    before = suite.read_bytes()
    run = cli("suite", str(data / "expectations"), "--gx-json", str(suite))
    assert run.code == 2
    assert "is a file this run reads (an export or a suite file)" in run.err
    assert suite.read_bytes() == before


# 3. Writes are whole: renamed into place from a hidden temporary file.


def _report_text(path: str | Path) -> str:
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "TIME", path.read_text(encoding="utf-8"))


def test_runs_writing_one_report_at_once_leave_one_whole_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes write one --html at the same time, each a different report (no chart
    and failing on errors, or one chart and failing on warnings): the file is one of
    them, whole (it used to end in two ``</html>``)."""
    from toolkit.pipeline import check as run_check
    from toolkit.reading import read_figures
    from toolkit.reporting import html

    data = aq(tmp_path)
    shared = tmp_path / "same.html"
    runs = [(0, "error"), (1, "warning")]
    processes = [
        subprocess.Popen(
            [
                *CROSSCHECK,
                "check",
                str(data),
                "--html",
                str(shared),
                "--fail-on",
                fail_on,
                "--charts",
                str(charts),
            ],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for charts, fail_on in runs
    ]
    errors = [p.communicate(timeout=300)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 1], errors
    monkeypatch.chdir(tmp_path)  # each report alone, for reference, as the runs saw it
    result = run_check(read_figures([str(data)]), engine="native", link=None)
    expected = set()
    for charts, fail_on in runs:
        alone = html.write(result, tmp_path / "alone.html", fail_on=fail_on, charts=charts)
        expected.add(_report_text(alone))
    assert len(expected) == len(runs)
    got = _report_text(shared)
    assert got.count("</html>") == 1
    assert got in expected
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated long table of 400,100 figures (writing its CSV takes a while)."""
    from generate import generate, write_long_csv

    folder = tmp_path_factory.mktemp("big")
    write_long_csv(
        generate(incidents=20_000, sources=5, reports=2).figures, str(folder / "big.csv")
    )
    return folder / "big.csv"


def _stop_while_writing(process: subprocess.Popen[bytes], folder: Path, name: str) -> Path | None:
    """Poll until the run's temporary file for ``name`` holds bytes, then stop the
    process; the temporary file if it was still there (so the rename had not happened)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        for p in folder.glob(f".{name}.*.tmp"):
            try:
                if p.stat().st_size > 0:
                    os.kill(process.pid, signal.SIGSTOP)
                    os.waitpid(process.pid, os.WUNTRACED)
                    return p if p.exists() else None
            except FileNotFoundError:
                pass
        time.sleep(0.001)
    return None


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_run_killed_while_writing_leaves_the_previous_output(
    big_export: Path, tmp_path: Path, how: signal.Signals
) -> None:
    """Killed mid-write, the previous output stays as it was. SIGKILL may leave the
    temporary file, hidden (a dot name); SIGTERM unwinds and removes it."""
    out = tmp_path / "figures.csv"
    out.write_text("the previous good output\n")
    for _ in range(5):  # a run that finished before it could be stopped is tried again
        process = subprocess.Popen(
            [sys.executable, "-m", "toolkit", "read", str(big_export), "-o", str(out)],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        temporary = _stop_while_writing(process, tmp_path, out.name)
        if temporary is not None:
            break
        process.wait(timeout=300)
        out.write_text("the previous good output\n")
    else:
        pytest.fail("never caught a run while it wrote")
    os.kill(process.pid, how)
    if how == signal.SIGTERM:
        os.kill(process.pid, signal.SIGCONT)
    _, err = process.communicate(timeout=120)
    assert out.read_text() == "the previous good output\n"
    visible = [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert visible == ["figures.csv"]
    if how == signal.SIGTERM:
        assert process.returncode == 143
        assert err.decode().strip() == "crosscheck: terminated"
        assert not temporary.exists()
    else:
        assert process.returncode == -signal.SIGKILL
        assert temporary.name.startswith(".figures.csv.")


# 4. The pytest plugin: what cannot run says so once.


def _pytest(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_first_item_to_run_says_why_when_input_is_deselected(tmp_path: Path) -> None:
    command = _plugin_unreadable(tmp_path)
    done = _pytest([*command[1:-1], "-k", "not input"], tmp_path)
    assert done.returncode == 1
    assert "al-masdar.xlsx" in done.stdout
    assert re.search(r"1 failed, \d+ skipped, 1 deselected", done.stdout), done.stdout


def test_a_rule_named_with_control_characters_is_shown_plain(tmp_path: Path) -> None:
    data = hostile(tmp_path)
    done = _pytest(["--crosscheck", str(data), "-v", "--crosscheck-fail-on", "warning"], tmp_path)
    text = done.stdout + done.stderr
    assert done.returncode == 1
    assert not UNSAFE.search(text), text
    assert "##[" not in text
    starting = [line for line in text.split("\n") if line.lstrip().startswith(":")]
    assert starting  # pytest -v's node ids: no command the runner knows
    assert all(line.startswith("::crosscheck[") for line in starting), starting
    assert f"crosscheck[cited{SHOWN}]" in text
    assert f"crosscheck: cited{SHOWN}" in text  # the failure's header


# 5. Exceptions that escaped main: each caught by its type where it arises.


def test_out_of_memory_is_a_message_not_a_traceback(big_export: Path, tmp_path: Path) -> None:
    """In an address space of 600 MiB the fixtures check fine and 400,000 figures do not:
    ``MemoryError`` is exit 2 with a message (it was a traceback). One allocator arena and
    one thread each, so the limit means much the same on any machine."""
    limit = 600 * 2**20

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = dict(os.environ, MALLOC_ARENA_MAX="1", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    runs = [
        subprocess.run(
            [sys.executable, "-m", "toolkit", "check", str(path)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            preexec_fn=cap,
            timeout=300,
            check=False,
        )
        for path in (AQ, big_export)
    ]
    assert runs[0].returncode == 0, runs[0].stderr[-2000:]  # the limit leaves room to run
    assert runs[1].returncode == 2, runs[1].stderr[-2000:]
    assert runs[1].stderr == (
        "crosscheck: error: out of memory: check fewer or smaller exports at a time\n"
    )


def test_main_catches_no_exception_it_does_not_know(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug stays a traceback: ``main`` has no catch-all."""
    import toolkit.cli

    def broken(args: object, out: object) -> int:
        raise ZeroDivisionError("a bug")

    monkeypatch.setitem(toolkit.cli._COMMANDS, "suite", broken)
    with pytest.raises(ZeroDivisionError):
        cli("suite")


def test_a_bad_output_path_is_refused_before_the_run(tmp_path: Path) -> None:
    """A bad output path is refused before the run starts: no other output is written."""
    done = _crosscheck(
        ["check", str(AQ), "--csv", str(tmp_path / "f.csv"), "--json", str(tmp_path / "x.txt")],
        tmp_path,
    )
    assert done.returncode == 2
    assert "argument --json: " in done.stderr
    assert not (tmp_path / "f.csv").exists()

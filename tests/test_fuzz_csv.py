"""Fuzzing the CSV and TSV reader: any bytes of a header and rows (quotes, delimiters inside
cells, LF, CRLF and bare CR, blank lines, BOMs, UTF-16 and cp1252, ragged rows) end in exit
0, 1 or 2, never a traceback; and when the file reads, rows read = accepted + rejected and
every physical line is accounted for: a record's first line, a line inside a record that
spans lines, or a line an input finding names."""

from __future__ import annotations

import io
import re
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import fields
from pathlib import Path

import pytest
from badinputs import assert_rows_accounted
from hypothesis import given
from hypothesis import strategies as st

from toolkit.cli import main
from toolkit.columnar.raw import count_text_lines
from toolkit.errors import InputError
from toolkit.reading import read_figures
from toolkit.reading.delimited import DelimitedTable, _read_carefully
from toolkit.reading.formats import read_raw
from toolkit.reading.mapping import text_columns
from toolkit.reading.raw import is_hashtag_row, to_utf8
from toolkit.suite import Suite, load_suite

pytestmark = pytest.mark.fuzz

NAMES = ["Incident", "Date", "Killed", "Note"]
TAGS = ["#event+id", "#date", "#affected+killed", "#meta"]
PROFILE = """\
name: Fuzz
files: ["*.csv", "*.tsv"]
skip_hashtag_row: true
columns: {incident: Incident, reported_on: Date}
constants: {source: Fuzz}
figures: [{measure: killed, value: Killed}]
"""
ENDINGS = ["\n", "\r\n", "\r"]
# The bytes that shape a file (quotes, delimiters, line ends, BOM, a hashtag) and a few
# that do not; good values, so that most rows read and the fast path is taken too.
_PIECES = ["a", "b", " ", "1", ",", "\t", '"', '""', "\r", "\n", "\r\n", "#", "é", "€", "\ufeff"]
_GOOD = ["inc-1", "inc-2", "2017-10-21", "2017-10-22", "5", "12", "at least 3", "", "note"]
_raw_cell = st.lists(st.sampled_from(_PIECES), max_size=6).map("".join)
_long_value = st.integers(1, 14).map(lambda n: '"' + "\n".join(["x"] * n) + '"')
_odd_cells = [
    _raw_cell,
    _raw_cell.map(lambda s: '"' + s.replace('"', '""') + '"'),  # quoted as it should be
    _long_value,  # a quoted value over up to 14 lines
]
# Three cells in four are good, so that most files read and many take the fast path.
_cell = st.integers(0, 11).flatmap(
    lambda k: _odd_cells[k - 9] if k >= 9 else st.sampled_from(_GOOD)
)


@st.composite
def exports(draw: st.DrawFn) -> tuple[str, bytes]:
    """(suffix, file bytes): a header, maybe an HXL row, rows, blank lines, an encoding."""
    delimiter = draw(st.sampled_from([",", "\t"]))

    def end() -> str:
        return draw(st.sampled_from(ENDINGS))

    parts = [delimiter.join(NAMES) + end()]
    if draw(st.booleans()):
        parts.append(delimiter.join(TAGS) + end())
    clean = draw(st.booleans())  # good cells only: the fast path, but for its line ends
    cell = st.sampled_from(_GOOD) if clean else _cell
    for _ in range(draw(st.integers(0, 12))):
        if not clean and draw(st.integers(0, 5)) == 0:
            parts.append(draw(st.sampled_from(["", " ", "  \t"])) + end())  # blank
            continue
        width = len(NAMES) + (0 if clean else draw(st.sampled_from([0, 0, 0, 0, -1, 1])))
        parts.append(delimiter.join(draw(cell) for _ in range(width)) + end())
    text = "".join(parts)
    if draw(st.booleans()):
        text = text.rstrip("\r\n")  # no line end after the last line
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:  # a BOM character in cp1252
        data = text.encode("utf-8")
    if draw(st.integers(0, 7)) == 0:  # a stray byte: NUL, or not UTF-8
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\x00", b"\x81", b"\xe9", b"\xff"])) + data[at:]
    return (".tsv" if delimiter == "\t" else ".csv"), data


class _Suite(Suite):
    def __repr__(self) -> str:  # what hypothesis prints of a failing example
        return f"<suite {self.path}>"


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Suite:
    folder = tmp_path_factory.mktemp("suite")
    (folder / "profiles").mkdir()
    (folder / "suite.yaml").write_text("name: fuzz\nextends: default\nprofiles: profiles\n")
    (folder / "profiles" / "fuzz.yaml").write_text(PROFILE)
    loaded = load_suite(folder)
    return _Suite(**{f.name: getattr(loaded, f.name) for f in fields(loaded)})


def _physical_lines(text: str) -> list[str]:
    """The lines an editor shows: LF, CRLF and a bare CR each end one."""
    lines = re.split(r"\r\n|\r|\n", text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def _blank(line: str, delimiter: str) -> bool:
    return not line.strip() and delimiter not in line


def _assert_every_line_accounted_for(raw: DelimitedTable, text: str, delimiter: str) -> None:
    lines = _physical_lines(text)
    firsts, lasts = raw.lines.tolist(), raw.ends.tolist()
    assert len(firsts) == len(lasts) == len(raw.frame)
    assert all(a <= b for a, b in zip(firsts, lasts, strict=True))
    assert all(b < a for a, b in zip(firsts[1:], lasts, strict=False)), "records overlap"
    covered = {n for a, b in zip(firsts, lasts, strict=True) for n in range(a, b + 1)}
    named = {int(p["origin_row"]) for p in raw.problems}
    assert all(1 <= n <= len(lines) for n in covered | named)
    errors = sum(p["severity"] == "error" for p in raw.problems)
    assert raw.rows_read == len(firsts) + errors
    header = raw.header_line
    assert all(_blank(line, delimiter) for line in lines[: header - 1])
    after = [n for n in range(header + 1, len(lines) + 1) if not _blank(lines[n - 1], delimiter)]
    if after and after[0] not in covered | named:  # the HXL row the profile skips
        assert is_hashtag_row(lines[after[0] - 1].split(delimiter)), lines[after[0] - 1]
        after = after[1:]
    lost = [n for n in after if n not in covered and n not in named]
    assert not lost, f"lines neither read nor named: {lost}\n{lines!r}"


@given(exports())
def test_any_csv_reads_whole_or_says_why(suite: Suite, export: tuple[str, bytes]) -> None:
    suffix, data = export
    delimiter = "\t" if suffix == ".tsv" else ","
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"export{suffix}"
        path.write_bytes(data)
        profile = suite.profile_for(path)
        assert profile is not None
        try:
            raw = read_raw(path, profile, columns_as_text=text_columns(profile))
        except InputError:
            with pytest.raises(InputError):
                read_figures(path, suite)
            return
        assert isinstance(raw, DelimitedTable)
        text = bytes(to_utf8(data, path, None)[0]).decode("utf-8")
        _assert_every_line_accounted_for(raw, text, delimiter)
        if raw.ends is raw.lines:  # the fast path: the careful one numbers the same lines
            careful = _read_carefully(path, text.encode("utf-8"), delimiter, True, None)
            assert careful.lines.tolist() == careful.ends.tolist() == raw.lines.tolist()
            assert careful.rows_read == raw.rows_read
        if not set(NAMES[:3]) <= set(raw.frame.columns):  # read, but the profile cannot map it
            with pytest.raises(InputError, match="not found in the header"):
                read_figures(path, suite)
            return
        if raw.rows_read == 0:  # a run that reads no row at all is an error
            with pytest.raises(InputError, match="no rows read from"):
                read_figures(path, suite)
            return
        result = read_figures(path, suite)
        [report] = result.files
        assert report.rows_read == raw.rows_read
        assert_rows_accounted(result)


@given(exports())
def test_the_command_line_ends_with_0_1_or_2(suite: Suite, export: tuple[str, bytes]) -> None:
    suffix, data = export
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"export{suffix}"
        path.write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["read", str(path), "--suite", suite.path], out=out)
        assert code in (0, 1, 2), out.getvalue() + err.getvalue()
        assert "Traceback" not in out.getvalue() + err.getvalue()
        if code == 2:
            assert f"{path}" in err.getvalue()  # the message names the file
        else:
            assert re.search(r"rows read (\d+) = accepted (\d+) \+ rejected (\d+)", out.getvalue())


@given(st.lists(st.sampled_from([b"\r", b"\n", b"\r\n", b"a", b" "]), max_size=40).map(b"".join))
def test_lines_end_at_lf_crlf_and_bare_cr(data: bytes) -> None:
    assert count_text_lines(data) == len(_physical_lines(data.decode()))

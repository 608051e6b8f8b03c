"""Fuzzing the JSON, JSON Lines and XLSX readers: any such file ends in exit 0, 1 or 2, never
a traceback; and when it reads, rows read = accepted + rejected and every record is either
read (with the line it starts on) or named by an input finding.

JSON: lists of records with odd values (numbers, nulls, nested values, long and non-ASCII
text), records under a key, JSON Lines with bad lines, then cut short, with text after it,
a second document, deep nesting or a BOM. XLSX: workbooks built with openpyxl, cells of
mixed types, blanks, formulas (saved without values, as openpyxl saves them), long text,
empty rows, a stale ``<dimension>`` and shared strings as Excel writes them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from badinputs import assert_rows_accounted
from hypothesis import given
from hypothesis import strategies as st
from test_bad_json_xlsx import rewrite_part, to_shared_strings

from toolkit.cli import main
from toolkit.columnar.jsonscan import MAX_DEPTH
from toolkit.errors import InputError
from toolkit.reading import read_figures
from toolkit.reading.formats import read_raw
from toolkit.reading.mapping import text_columns
from toolkit.reading.raw import RawTable
from toolkit.suite import Suite, load_suite

pytestmark = pytest.mark.fuzz

NAMES = ["Incident", "Date", "Killed", "Note"]
CELL_BYTES = 2000
PROFILE = """\
name: Fuzz
files: ["plain-*.json", "*.jsonl", "*.xlsx"]
columns: {incident: Incident, reported_on: Date}
constants: {source: Fuzz}
figures: [{measure: killed, value: Killed}]
"""
NESTED = PROFILE.replace("name: Fuzz", "name: Nested").replace(
    'files: ["plain-*.json", "*.jsonl", "*.xlsx"]', 'files: ["nested-*.json"]\nrecords: data.items'
)


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Suite:
    folder = tmp_path_factory.mktemp("suite")
    (folder / "profiles").mkdir()
    (folder / "suite.yaml").write_text(
        f"name: fuzz\nextends: default\nprofiles: profiles\nlimits: {{cell_bytes: {CELL_BYTES}}}\n"
    )
    (folder / "profiles" / "fuzz.yaml").write_text(PROFILE)
    (folder / "profiles" / "nested.yaml").write_text(NESTED)
    return load_suite(folder)


_text = st.one_of(
    st.sampled_from(["inc-1", "inc-2", "2017-10-21", "2017-10-22", "5", "12", "at least 3", ""]),
    st.text(max_size=8),
    st.sampled_from(['"', "\\", "[", "]", "{", "}", "\n", "\u2028", "é", "\ufeff"]),
    st.integers(0, 3).map(lambda k: "x" * (CELL_BYTES - 1 + k)),  # about the cell limit
)
_scalar = st.one_of(
    _text,
    _text,
    st.integers(-5, 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.none(),
    st.booleans(),
)
_value = st.recursive(_scalar, lambda inner: st.lists(inner, max_size=2), max_leaves=4)
_record = st.dictionaries(st.sampled_from([*NAMES, "other"]), _value, max_size=5)
_element = st.one_of(_record, _record, _record, _scalar)  # now and then no record at all


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@st.composite
def json_exports(draw: st.DrawFn) -> tuple[str, str]:
    """(file name, text): records as a list, under a key, or as JSON Lines; then spoiled."""
    records = draw(st.lists(_element, max_size=8))
    layout = draw(st.sampled_from(["list", "pretty", "nested", "lines", "lines"]))
    if layout == "lines":
        lines = [json.dumps(r, ensure_ascii=draw(st.booleans())) for r in records]
        for _ in range(draw(st.integers(0, 3))):  # bad lines (after the first, mostly), blanks
            bad = draw(st.sampled_from(["{nope", "[1,", "", "  ", '{"a": 1} x', "\u00a0"]))
            first = draw(st.sampled_from([0, 1, 1, 1])) if lines else 0
            lines.insert(draw(st.integers(first, len(lines))), bad)
        text, name = "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"])), "x.jsonl"
    elif layout == "nested":
        doc = {"meta": {"items": 1}, "data": {"items": records}}
        text, name = json.dumps(doc, indent=draw(st.sampled_from([None, 1]))), "nested-x.json"
    else:
        text = json.dumps(records, indent=1 if layout == "pretty" else None)
        name = "plain-x.json"
    spoil = draw(st.sampled_from(["none", "none", "cut", "tail", "second", "deep"]))
    if spoil == "cut" and text:
        text = text[: draw(st.integers(0, len(text) - 1))]
    elif spoil == "tail":
        text += draw(st.sampled_from(["\n", " x", "\n]", "\x00", "\n// end"]))
    elif spoil == "second":
        text += draw(st.sampled_from(["", "\n"])) + text
    elif spoil == "deep":
        depth = draw(st.sampled_from([MAX_DEPTH - 3, MAX_DEPTH, 5000]))
        at = draw(st.integers(0, len(text)))
        text = text[:at] + _nested(depth) + text[at:]
    if draw(st.integers(0, 5)) == 0:
        text = "\ufeff" + text
    return name, text


def _depth(value: Any) -> int:
    if isinstance(value, (list, dict)):
        inner = value.values() if isinstance(value, dict) else value
        return 1 + max((_depth(v) for v in inner), default=0)
    return 0


def _expected(name: str, text: str) -> list[Any] | None:
    """The records a list (or a list under a key) holds when the text is valid JSON, no
    deeper than the limit, with every text within the limit; else None."""
    try:
        whole = json.loads(text.lstrip("\ufeff"))
    except (ValueError, RecursionError):
        return None
    doc = whole
    if name.startswith("nested-"):
        data = whole.get("data") if isinstance(whole, dict) else None
        doc = data.get("items") if isinstance(data, dict) else None
    texts = re.finditer(r'"(?:[^"\\\n]|\\.)*"', text)
    longest = max((len(m.group()) - 2 for m in texts), default=0)
    if not isinstance(doc, list) or _depth(whole) > MAX_DEPTH or longest > CELL_BYTES:
        return None
    return doc


def _raw(path: Path, suite: Suite) -> tuple[RawTable | None, str]:
    """The raw table of one export, or None and the error's words."""
    profile = suite.profile_for(path)
    assert profile is not None
    try:
        return read_raw(
            path, profile, columns_as_text=text_columns(profile), limits=suite.limits
        ), ""
    except InputError as exc:
        return None, str(exc)


def _read_all(path: Path, suite: Suite, raw: Any) -> None:
    """read_figures agrees with the reader, or stops only for a column the profile needs."""
    try:
        result = read_figures(path, suite)
    except InputError as exc:
        error = str(exc)
    else:
        error = ""
    if error:
        expected = "no rows read from" if raw.rows_read == 0 else "column"
        assert expected in error, error
        return
    [report] = result.files
    assert report.rows_read == raw.rows_read
    lines = [*raw.lines.tolist(), *(p["origin_row"] for p in raw.problems)]
    assert_rows_accounted(result, own_lines=len(set(lines)) == len(lines))


@given(json_exports())
def test_any_json_reads_whole_or_says_why(suite: Suite, export: tuple[str, str]) -> None:
    name, text = export
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        expected = _expected(name, text) if not name.endswith(".jsonl") else None
        raw, error = _raw(path, suite)
        if raw is None:
            assert str(path) in error
            refused = expected and any(isinstance(r, dict) for r in expected)
            assert not refused, f"valid records refused: {error}"
            return
        errors = [p for p in raw.problems if p["severity"] == "error"]
        assert raw.rows_read == len(raw.frame) + len(errors)
        if name.endswith(".jsonl"):  # every line is a record, or named by a finding
            lines = text.lstrip("\ufeff").split("\n")
            filled = {i for i, line in enumerate(lines, 1) if line.strip(" \t\r")}
            named = {int(p["origin_row"]) for p in errors}
            assert set(raw.lines.tolist()) | named == filled
            assert not set(raw.lines.tolist()) & named
        else:  # a list read whole is valid JSON: every record of it, in order
            assert expected is not None, "read a list that is not valid JSON"
            assert raw.rows_read == len(expected)
            assert len(raw.frame) == sum(isinstance(r, dict) for r in expected)
            assert list(raw.lines) == sorted(raw.lines)
        _read_all(path, suite, raw)


def _cli(path: Path, suite: Suite) -> None:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["read", str(path), "--suite", suite.path], out=out)
    said = out.getvalue() + err.getvalue()
    assert code in (0, 1, 2), said
    assert "Traceback" not in said
    if code == 2:
        assert str(path) in err.getvalue()
    else:
        assert re.search(r"rows read (\d+) = accepted (\d+) \+ rejected (\d+)", said)


@given(json_exports())
def test_the_command_line_ends_with_0_1_or_2_on_json(suite: Suite, export: tuple[str, str]) -> None:
    name, text = export
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        _cli(path, suite)


# XLSX.

_cell = st.one_of(
    st.none(),
    st.none(),
    st.sampled_from(["inc-1", "inc-2", "2017-10-21", "12", "about 40", "", " "]),
    st.text(max_size=6).filter(lambda s: not s.startswith("=")),
    st.integers(-3, 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.just(dt.datetime(2017, 10, 21)),
    st.sampled_from(["=1+1", "=C2*2", '="inc-"&"9"', "=SUM(C2:C3)"]),  # saved without values
    st.integers(0, 3).map(lambda k: "y" * (CELL_BYTES - 1 + k)),
)


@st.composite
def workbooks(draw: st.DrawFn) -> tuple[list[list[Any]], bool, bool]:
    """(rows, stale dimension, shared strings): a header, then rows, some empty."""
    header: list[Any] = list(NAMES)
    if draw(st.integers(0, 9)) == 0:
        header = draw(st.sampled_from([[], [None, None], ["Incident", "Incident"]]))
    rows = [header]
    for _ in range(draw(st.integers(0, 8))):
        width = draw(st.integers(0, len(NAMES) + 1))
        rows.append([draw(_cell) for _ in range(width)])
    return rows, draw(st.booleans()), draw(st.booleans())


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # openpyxl refuses these in a cell


def _save(path: Path, rows: list[list[Any]], stale: bool, shared: bool) -> list[list[Any]]:
    book = openpyxl.Workbook()
    written = []
    for row in rows:
        clean = [_ILLEGAL.sub("", v) if isinstance(v, str) else v for v in row]
        book.active.append(clean)
        written.append(clean)
    book.save(path)
    if stale:
        rewrite_part(
            path,
            "xl/worksheets/sheet1.xml",
            lambda d: re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:B2"/>', d),
        )
    if shared:
        to_shared_strings(path)
    return written


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


@given(workbooks())
def test_any_workbook_reads_whole_or_says_why(
    suite: Suite, book: tuple[list[list[Any]], bool, bool]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.xlsx"
        rows = _save(path, *book)
        raw, error = _raw(path, suite)
        if raw is None:
            assert str(path) in error
            return
        width = len(raw.frame.columns)
        long = [
            v for r in rows[1:] for v in r[:width] if isinstance(v, str) and len(v) > CELL_BYTES
        ]
        assert not long, "a text past the limit was read"
        formulas = {
            (i, j)
            for i, r in enumerate(rows[1:], start=2)
            for j, v in enumerate(r[:width], start=1)
            if isinstance(v, str) and v.startswith("=")
        }
        kept = [i for i, r in enumerate(rows[1:], start=2) if any(map(_filled, r[:width]))]
        assert raw.lines.tolist() == kept  # every row with a value: none cut off, none lost
        assert raw.rows_read == len(raw.frame) == len(kept)
        named = {(p["origin_row"], raw.column_numbers[p["column"]]) for p in raw.problems}
        assert named == formulas  # each formula (none has a saved value) named by its cell
        _read_all(path, suite, raw)
        _cli(path, suite)

"""Fuzzing suites: any value of any suite.yaml key (and of the nested keys of compare,
limits, dates, severity, mostly), and any hand-written rule (a known expectation type, or
not, with arguments of any shape), ends ``crosscheck check`` with exit 0, 1 or 2, never an
uncaught exception; and no file or folder outside the data folder is ever opened, however
a path is written (``../``, absolute, a link).

Each example writes a real data folder (a small export and its ``expectations/`` suite,
with a taxonomy, profiles, a rules file, a crosswalk and a suite beside it to extend) next
to trap files and a trap folder outside it. An audit hook records every file Python opens
or lists during the run; a trap among them fails the test.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from toolkit.cli import main
from toolkit.model.vocabulary import FAMILIES
from toolkit.suite.loading import SUITE_KEYS
from toolkit.suite.rulefile import ARGUMENTS

pytestmark = pytest.mark.fuzz

# --- watching what is opened ---------------------------------------------------------------

_WATCHED: list[tuple[str, list[str]]] = []  # (a path prefix, the paths opened under it)
_EVENTS = {"open", "os.listdir", "os.scandir"}


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _WATCHED or event not in _EVENTS or not args:
        return
    path = args[0]
    if not isinstance(path, (str, bytes, os.PathLike)):
        return  # a file descriptor
    real = os.path.realpath(os.fsdecode(path))
    for prefix, opened in _WATCHED:
        if real.startswith(prefix):
            opened.append(real)


sys.addaudithook(_audit)  # stays for the process; idle unless a test watches


@contextmanager
def watching(prefix: str) -> Iterator[list[str]]:
    """The paths under ``prefix`` (links resolved) opened or listed inside the block."""
    opened: list[str] = []
    _WATCHED.append((prefix, opened))
    try:
        yield opened
    finally:
        _WATCHED.remove((prefix, opened))


# --- the folder each example runs in --------------------------------------------------------

EXPORT = """\
incident,source,measure,value,reported_on,event_start,event_end,low,high
a,S,killed,12,2017-10-21,2017-10-20,2017-10-20,,
a,T,killed,about 20,2017-10-22,2017-10-20,,,
a,S,killed.civilians,5,2017-10-21,2017-10-20,2017-10-20,4,6
a,T,injured,dozens,2017-10-22,2017-10-20,,,
b,S,killed,3,2017-11-02,2017-11-01,2017-11-01,,
"""
TAXONOMY = "measures:\n  killed.extra: {label: Extra}\n"
PROFILE = """\
name: Other
files: ["other*.csv"]
columns: {incident: id}
constants: {source: Other}
figures: [{measure: killed, value: k}]
"""
RULES = {
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "source"}},
    ]
}
CROSSWALK = "source,incident,match\nS,a,A\nT,a,A\n"
TRAP = "trap"  # every file and folder outside the data folder starts with this


def lay_out(tmp: Path, suite: str, rules: str | None, profile_link: bool) -> Path:
    """The data folder (``tmp/data``) and the traps beside it; returns the data folder."""
    data = tmp / "data"
    suite_dir = data / "expectations"
    (suite_dir / "profiles").mkdir(parents=True)
    (data / "export.csv").write_text(EXPORT, encoding="utf-8")
    (suite_dir / "suite.yaml").write_text(suite, encoding="utf-8")
    (suite_dir / "taxonomy.yaml").write_text(TAXONOMY, encoding="utf-8")
    (suite_dir / "profiles" / "other.yaml").write_text(PROFILE, encoding="utf-8")
    (suite_dir / "rules.json").write_text(rules or json.dumps(RULES), encoding="utf-8")
    (suite_dir / "crosswalk.csv").write_text(CROSSWALK, encoding="utf-8")
    (data / "common").mkdir()
    (data / "common" / "suite.yaml").write_text("name: common\n", encoding="utf-8")
    # the traps: files a suite could use, were it let out of its folder
    (tmp / f"{TRAP}.json").write_text(json.dumps(RULES), encoding="utf-8")
    (tmp / f"{TRAP}.yaml").write_text(TAXONOMY, encoding="utf-8")
    (tmp / f"{TRAP}.csv").write_text(CROSSWALK, encoding="utf-8")
    (tmp / f"{TRAP}dir").mkdir()
    (tmp / f"{TRAP}dir" / "suite.yaml").write_text("name: trap\n", encoding="utf-8")
    (tmp / f"{TRAP}dir" / "p.yaml").write_text(PROFILE, encoding="utf-8")
    (suite_dir / "link.json").symlink_to(tmp / f"{TRAP}.json")
    (suite_dir / "linkdir").symlink_to(tmp / f"{TRAP}dir", target_is_directory=True)
    (data / "linked").symlink_to(tmp / f"{TRAP}dir", target_is_directory=True)
    if profile_link:
        (suite_dir / "profiles" / "linked.yaml").symlink_to(tmp / f"{TRAP}dir" / "p.yaml")
    return data


def run_check(data: Path, engine: str = "native") -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["check", str(data), "--engine", engine], out=out)
    return code, out.getvalue() + err.getvalue()


# --- values ---------------------------------------------------------------------------------

# Paths as a suite might write them; ABS_* become absolute paths to the traps.
PATHS = [
    "rules.json",
    "taxonomy.yaml",
    "profiles",
    "crosswalk.csv",
    "common",
    "default",
    "none",
    "link.json",
    "linkdir",
    "linked",
    "../linked",
    "sub/../rules.json",
    "./profiles",
    "../export.csv",
    "../../trap.json",
    "../../trap.yaml",
    "../../trap.csv",
    "../../trapdir",
    "../../../trapdir",
    "ABS_TRAP_JSON",
    "ABS_TRAPDIR",
    "/etc/passwd",
    "/",
    "..",
    ".",
    "",
    "x\x00y",
    "nope.json",
]
WORDS = [
    "conflict",
    "bounds",
    "child-not-above-parent",
    "cumulative-no-drop",
    "revision",
    "custom",
    "error",
    "warning",
    "info",
    "2017-10-21",
    "not-a-date",
    "64 MiB",
    "1 kb",
    "dozens",
    "at_least",
    "about",
]
NESTED_KEYS = [
    "about_tolerance",
    "spread_threshold",
    "match_threshold",
    "window_days",
    "match_days",
    "developing_days",
    "exact_tolerance",
    "relative",
    "absolute",
    "cell_bytes",
    "sheet_bytes",
    "inflated_bytes",
    "floor",
    "value",
    "qualifier",
    *WORDS[:6],
]
numbers = st.one_of(
    st.sampled_from([0, 1, -1, 0.5, 0.95, 1.5, 12, 10**30, -(10**6), 1e308]),
    st.sampled_from([10**400, -(10**400)]),  # past a float
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    st.sampled_from(PATHS),
    st.sampled_from(WORDS),
    st.text(max_size=8),
)
keys = st.one_of(st.sampled_from(NESTED_KEYS), st.text(max_size=6), st.integers(-3, 3))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3)),
    max_leaves=8,
)
TOP_KEYS = sorted(SUITE_KEYS)  # every key suite.yaml takes, as the loader lists them
PATH_KEYS = {"extends", "taxonomy", "profiles", "rules", "crosswalk"}
MAPPING_KEYS = {"words", "compare", "dates", "severity", "mostly", "limits"}


def _wild(key: str) -> st.SearchStrategy[Any]:
    """A value for a top-level key: anything, or more often something of its shape."""
    if key in PATH_KEYS:
        shaped: st.SearchStrategy[Any] = st.one_of(
            st.sampled_from(PATHS), st.lists(st.sampled_from(PATHS), max_size=3)
        )
    elif key in MAPPING_KEYS:
        shaped = st.dictionaries(keys, values, max_size=4)
    elif key == "link":
        shaped = st.sampled_from(["none", "crosswalk", "auto", "automatic"])
    else:
        shaped = st.text(max_size=10)
    return st.one_of(shaped, shaped, values)


TUNABLE = [k for k, f in FAMILIES.items() if f.tunable]
RULE_FAMILIES = [k for k, f in FAMILIES.items() if f.mostly]
unit = st.floats(0, 1)
# Values each key takes in a suite that loads: most of an example is these, so that the
# wild values reach every stage instead of stopping at the first key.
GOOD: dict[str, st.SearchStrategy[Any]] = {
    "name": st.text(max_size=10),
    "description": st.text(max_size=10),
    "extends": st.sampled_from(["default", "common"]),
    "taxonomy": st.just("taxonomy.yaml"),
    "profiles": st.sampled_from(["profiles", "./profiles"]),
    "words": st.dictionaries(st.sampled_from(["dozens", "scores", "Many"]), st.integers(0, 99)),
    "compare": st.fixed_dictionaries(
        {},
        optional={
            "about_tolerance": st.floats(0, 0.99),
            "spread_threshold": unit,
            "match_threshold": unit,
            "window_days": st.floats(0, 1e6),
            "match_days": st.integers(0, 30),
            "developing_days": st.integers(0, 400),
            "exact_tolerance": st.fixed_dictionaries(
                {}, optional={"relative": st.floats(0, 0.99), "absolute": st.integers(0, 9)}
            ),
            "over_time": st.booleans(),
            "lag_days": st.integers(1, 30),
            "lag_dates": st.integers(2, 9),
        },
    ),
    "dates": st.fixed_dictionaries({}, optional={"floor": st.sampled_from(["2000-01-01"])}),
    "rules": st.sampled_from(["rules.json", ["rules.json"], []]),
    "severity": st.dictionaries(
        st.sampled_from(TUNABLE), st.sampled_from(["error", "warning", "info"]), max_size=3
    ),
    "mostly": st.dictionaries(st.sampled_from(RULE_FAMILIES), unit, max_size=3),
    "crosswalk": st.just("crosswalk.csv"),
    "link": st.sampled_from(["none", "crosswalk", "auto"]),
    # a database URL is an output: a good one would write outside the data folder
    "history": st.none(),
    "limits": st.fixed_dictionaries(
        {},
        optional={
            "cell_bytes": st.sampled_from(["1 MiB", 4096, "64 kb"]),
            "sheet_bytes": st.sampled_from(["512 MiB", 10**9]),
            "inflated_bytes": st.sampled_from(["4 GiB", 10**9]),
        },
    ),
}


@st.composite
def suites(draw: st.DrawFn) -> dict[str, Any]:
    """A suite.yaml: good values for some keys, wild ones for a few (none now and then),
    and now and then a wild value inside one of the mappings."""
    chosen = draw(st.lists(st.sampled_from(TOP_KEYS), unique=True, max_size=len(TOP_KEYS)))
    conf = {key: draw(GOOD[key]) for key in chosen}
    for key in draw(st.lists(st.sampled_from(TOP_KEYS), unique=True, max_size=2)):
        conf[key] = draw(_wild(key))
    inside = [k for k in MAPPING_KEYS if isinstance(conf.get(k), dict)]
    if inside and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(inside)))
        conf[key] = {**conf[key], draw(keys): draw(values)}
    return conf


def _absolute(text: str, tmp: Path) -> str:
    return text.replace("ABS_TRAP_JSON", str(tmp / "trap.json")).replace(
        "ABS_TRAPDIR", str(tmp / "trapdir")
    )


def _dumped(conf: dict[str, Any], tmp: Path) -> str:
    conf = {"extends": "default", **conf} if "extends" not in conf else conf
    return _absolute(yaml.safe_dump(conf, allow_unicode=True), tmp)


# --- rules ----------------------------------------------------------------------------------

ARGUMENT_NAMES = sorted({a for args in ARGUMENTS.values() for a in args} | {"mostly", "colum"})
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    st.sampled_from(
        [
            "value",
            "source",
            "reported_on",
            "event_start",
            "low",
            "high",
            "measure",
            "nope",
            "killed",
            "killed.civilians",
            "injured",
            "killed.extra",
            "2017-10-21",
            "2017-10-21T12:00",
            "2017-10-21T12:00+02:00",
            "either_value_is_missing",
            "neither",
            "never",
        ]
    ),
    st.text(max_size=6),
    st.sampled_from([{"$PARAMETER": "today"}, {"$PARAMETER": "floor"}, {"$PARAMETER": "x"}]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=2)
    ),
    max_leaves=6,
)
metas = st.fixed_dictionaries(
    {},
    optional={
        "rule": st.one_of(st.text(max_size=8), json_scalars),
        "family": st.one_of(st.sampled_from(["custom", "bounds", "sources"]), json_scalars),
        "severity": st.one_of(st.sampled_from(["error", "warning", "info"]), json_scalars),
        "message": json_scalars,
    },
)
# A rule of each type that runs on the export: most of an example is these.
_DATES = ["reported_on", "event_start", "event_end"]
_TODAY = {"$PARAMETER": "today"}
TEMPLATES: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "expect_column_pair_values_a_to_be_greater_than_b": st.builds(
        lambda pair, or_equal, ignore: {
            "column_A": pair[0],
            "column_B": pair[1],
            "or_equal": or_equal,
            "ignore_row_if": ignore,
        },
        st.sampled_from([("high", "low"), ("event_end", "event_start"), ("value", "low")]),
        st.booleans(),
        st.sampled_from(["both_values_are_missing", "either_value_is_missing", "neither"]),
    ),
    "expect_column_values_to_be_between": st.one_of(
        st.builds(
            lambda column, low, high: {"column": column, "min_value": low, "max_value": high},
            st.sampled_from(["value", "low", "high", "origin_row"]),
            st.integers(0, 10),
            st.integers(10, 99),
        ),
        st.builds(
            lambda column, low: {"column": column, "min_value": low, "max_value": _TODAY},
            st.sampled_from(_DATES),
            st.sampled_from(["2017-10-21", "2017-10-21T12:00", {"$PARAMETER": "floor"}]),
        ),
    ),
    "expect_column_values_to_not_be_null": st.builds(
        lambda c: {"column": c}, st.sampled_from(["source", "value", "event_end"])
    ),
    "expect_column_values_to_be_in_set": st.builds(
        lambda c, v: {"column": c, "value_set": v},
        st.sampled_from(["source", "value", "measure", "reported_on"]),
        st.lists(st.sampled_from(["S", "T", 12, 3.5, None, True, "2017-10-21"]), min_size=1),
    ),
    "expect_figure_within_bounds": st.just({}),
    "expect_figure_not_above_parent": st.just({"child": "killed.civilians", "parent": "killed"}),
    "expect_parts_not_above_whole": st.just({"whole": "killed", "parts": ["killed.civilians"]}),
    "expect_parts_to_equal_whole": st.just(
        {"whole": "killed", "parts": ["killed.civilians", "killed.extra"]}
    ),
    "expect_cumulative_figure_not_to_drop": st.sampled_from(
        [{"measure": "killed"}, {"measure": "injured"}]
    ),
    "expect_one_figure_per_report": st.just({"column_list": ["value"], "ignore_row_if": "never"}),
    "expect_one_incident_per_key": st.just({}),
    "expect_increment_to_match_cumulative": st.just({"measure": "injured", "of": "killed"}),
}


@st.composite
def expectations(draw: st.DrawFn) -> dict[str, Any]:
    """A hand-written rule: a good one of its type, then now and then an argument changed
    to anything, one dropped or one added; now and then no kwargs, or kwargs of any shape."""
    kind = draw(st.sampled_from([*sorted(TEMPLATES), "expect_nothing"]))
    kwargs: Any = dict(draw(TEMPLATES.get(kind, st.just({}))))
    for _ in range(draw(st.integers(0, 2))):
        how = draw(st.sampled_from(["change", "change", "drop", "add"]))
        if how == "change" and kwargs:
            kwargs[draw(st.sampled_from(sorted(kwargs)))] = draw(json_values)
        elif how == "drop" and kwargs:
            del kwargs[draw(st.sampled_from(sorted(kwargs)))]
        else:
            kwargs[draw(st.sampled_from(ARGUMENT_NAMES))] = draw(json_values)
    # (hypothesis draws the smallest value often: let it stand for the common case)
    expectation: dict[str, Any] = {"type": kind}
    shape = draw(st.integers(0, 9))
    if shape < 8:
        expectation["kwargs"] = kwargs
    elif shape == 8:
        expectation["kwargs"] = draw(json_values)
    meta = draw(st.integers(0, 9))
    if meta in (1, 2, 3, 4, 5):
        expectation["meta"] = draw(metas)
    elif meta == 9:
        expectation["meta"] = draw(json_values)
    if draw(st.integers(0, 19)) == 19:
        expectation["type"] = draw(json_scalars)
    return expectation


def _rules_text(drawn: list[dict[str, Any]]) -> str:
    text = json.dumps({"name": "fuzz", "expectations": drawn}, allow_nan=True)
    return text if drawn else json.dumps(RULES)


# --- the tests ------------------------------------------------------------------------------


@given(suites(), st.booleans())
def test_any_suite_yaml_ends_with_0_1_or_2_and_never_leaves_the_folder(
    conf: dict[str, Any], profile_link: bool
) -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name).resolve()
        data = lay_out(tmp, _dumped(conf, tmp), None, profile_link)
        with watching(str(tmp / TRAP)) as opened:
            code, text = run_check(data)
        assert code in (0, 1, 2), text
        assert "Traceback" not in text
        assert not opened, f"opened outside the data folder: {opened}\n{text}"
        if profile_link:  # a profile that links out is refused, whatever else is wrong
            assert code == 2, text


# The rules' suite stands alone with a small taxonomy: GX validates each rule the
# taxonomy implies too, and takes a second or so for the default suite's forty.
RULES_SUITE = "name: fuzz\nextends: none\nrules: rules.json\ndates: {floor: 2000-01-01}\n"
SMALL_TAXONOMY = """\
measures:
  killed: {cumulative: true}
  killed.civilians: {}
  killed.extra: {}
  injured: {}
increments: [{measure: injured, of: killed}]
"""


@given(st.lists(expectations(), max_size=3), st.integers(0, 5))
def test_any_rules_file_ends_with_0_1_or_2(drawn: list[dict[str, Any]], which: int) -> None:
    engine = "gx" if which == 5 else "native"  # GX one time in six: it is slower
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name).resolve()
        data = lay_out(tmp, RULES_SUITE, _rules_text(drawn), False)
        (data / "expectations" / "taxonomy.yaml").write_text(SMALL_TAXONOMY, encoding="utf-8")
        code, text = run_check(data, engine)
        assert code in (0, 1, 2), text
        assert "Traceback" not in text
        if code == 2:
            assert "crosscheck: error:" in text


def test_the_traps_would_be_seen_if_opened(tmp_path: Path) -> None:
    """The watch is real: a run told to read the trap folder (through the data folder's
    link to it) is seen opening its files."""
    tmp = tmp_path.resolve()
    data = lay_out(tmp, "name: s\nextends: default\n", None, False)
    with watching(str(tmp / TRAP)) as opened:
        code, text = run_check(data / "linked")
    assert code == 2, text  # it holds suite files only: no rows read, an error
    assert "nothing to read" in text
    assert str(tmp / "trapdir" / "suite.yaml") in opened  # the folder's own suite
    assert str(tmp / "trapdir") in opened  # listed, for exports

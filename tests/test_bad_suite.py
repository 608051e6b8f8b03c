"""Bad suites: settings of the wrong type or that make no sense, hand-written rules whose
arguments are wrong, paths that leave the suite's folder. Each case of the table
(docs/bad-inputs.md), and the tests that pin the mechanism behind it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from badinputs import Case, add_to_suite, aq, check

Build = Callable[[Path], Sequence[str]]


def suite_says(text: str) -> Build:
    """The Al-Qaryatayn fixtures, ``text`` appended to their suite.yaml."""

    def build(folder: Path) -> list[str]:
        data = aq(folder)
        add_to_suite(data, text)
        return ["check", str(data)]

    return build


def rules_say(expectations: list[dict[str, Any]], engine: str = "native") -> Build:
    """The Al-Qaryatayn fixtures with a rules file holding ``expectations``."""

    def build(folder: Path) -> list[str]:
        data = aq(folder)
        (data / "expectations" / "rules.json").write_text(
            json.dumps({"name": "bad", "expectations": expectations}), encoding="utf-8"
        )
        add_to_suite(data, "rules: rules.json\n")
        return ["check", str(data), "--engine", engine]

    return build


SUITE_YAML = "DIR/aq/expectations/suite.yaml"
RULES_JSON = "DIR/aq/expectations/rules.json"
NOT_NULL = "expect_column_values_to_not_be_null"

CASES = [
    # settings of the wrong type, or that make no sense (fixed before this table)
    Case(
        "suite-tolerance-not-a-number",
        "crash",
        "suite.yaml: `compare: {about_tolerance: abc}`",
        suite_says("compare: {about_tolerance: abc}\n"),
        2,
        f"{SUITE_YAML}: compare.about_tolerance: expected a number, not 'abc'",
    ),
    Case(
        "suite-tolerance-negative",
        "crash",
        "suite.yaml: `compare: {about_tolerance: -5}`",
        suite_says("compare: {about_tolerance: -5}\n"),
        2,
        f"{SUITE_YAML}: compare.about_tolerance: -5 is out of range (at least 0 and below 1)",
    ),
    Case(
        "suite-threshold-nan",
        "crash",
        "suite.yaml: `compare: {spread_threshold: .nan}`",
        suite_says("compare: {spread_threshold: .nan}\n"),
        2,
        f"{SUITE_YAML}: compare.spread_threshold: nan is out of range (at least 0 and at most 1)",
    ),
    Case(
        "suite-window-negative",
        "crash",
        "suite.yaml: `compare: {window_days: -1}`",
        suite_says("compare: {window_days: -1}\n"),
        2,
        f"{SUITE_YAML}: compare.window_days: -1 is out of range (at least 0)",
    ),
    Case(
        "suite-over-time-not-a-boolean",
        "crash",
        "suite.yaml: `compare: {over_time: yes please}`",
        suite_says("compare: {over_time: yes please}\n"),
        2,
        f"{SUITE_YAML}: compare.over_time: expected true or false, not 'yes please'",
    ),
    Case(
        "suite-lag-days-zero",
        "crash",
        "suite.yaml: `compare: {lag_days: 0}`",
        suite_says("compare: {lag_days: 0}\n"),
        2,
        f"{SUITE_YAML}: compare.lag_days: 0 is out of range (at least 1 and at most 366)",
    ),
    Case(
        "suite-pattern-share-above-one",
        "crash",
        "suite.yaml: `compare: {pattern_share: 1.5}`",
        suite_says("compare: {pattern_share: 1.5}\n"),
        2,
        f"{SUITE_YAML}: compare.pattern_share: 1.5 is out of range (at least 0 and at most 1)",
    ),
    Case(
        "suite-pattern-min-fraction",
        "crash",
        "suite.yaml: `compare: {pattern_min: 2.5}`",
        suite_says("compare: {pattern_min: 2.5}\n"),
        2,
        f"{SUITE_YAML}: compare.pattern_min: expected a whole number, not 2.5",
    ),
    Case(
        "suite-review-threshold-text",
        "crash",
        "suite.yaml: `compare: {review_threshold: high}`",
        suite_says("compare: {review_threshold: high}\n"),
        2,
        f"{SUITE_YAML}: compare.review_threshold: expected a number, not 'high'",
    ),
    Case(
        "suite-words-a-list",
        "crash",
        "suite.yaml: `words: [dozens, 12]`",
        suite_says("words: [dozens, 12]\n"),
        2,
        f"{SUITE_YAML}: words: expected a mapping, not ['dozens', 12]",
    ),
    Case(
        "suite-dates-a-number",
        "crash",
        "suite.yaml: `dates: 2017`",
        suite_says("dates: 2017\n"),
        2,
        f"{SUITE_YAML}: dates: expected a mapping, not 2017",
    ),
    Case(
        "suite-floor-not-a-date",
        "crash",
        "suite.yaml: `dates: {floor: not-a-date}`",
        suite_says("dates: {floor: not-a-date}\n"),
        2,
        f"{SUITE_YAML}: dates.floor: 'not-a-date' is not a date (YYYY-MM-DD)",
    ),
    Case(
        "suite-severity-a-list",
        "crash",
        "suite.yaml: `severity: [a, b]`",
        suite_says("severity: [a, b]\n"),
        2,
        f"{SUITE_YAML}: severity: expected a mapping of finding families to values",
    ),
    Case(
        "suite-severity-unknown-family",
        "crash",
        "suite.yaml: a severity for a family that does not exist (`severity: {conflct: warning}`)",
        suite_says("severity: {conflct: warning}\n"),
        2,
        f"{SUITE_YAML}: severity: unknown finding family 'conflct'. Did you mean 'conflict'?",
    ),
    Case(
        "suite-mostly-a-number",
        "crash",
        "suite.yaml: `mostly: 5`",
        suite_says("mostly: 5\n"),
        2,
        f"{SUITE_YAML}: mostly: expected a mapping of finding families to values",
    ),
    Case(
        "suite-mostly-out-of-range",
        "crash",
        "suite.yaml: `mostly: {bounds: 5}`",
        suite_says("mostly: {bounds: 5}\n"),
        2,
        f"{SUITE_YAML}: mostly.bounds: 5 is out of range (at least 0 and at most 1)",
    ),
    Case(
        "suite-rules-a-number",
        "crash",
        "suite.yaml: `rules: 5`",
        suite_says("rules: 5\n"),
        2,
        f"{SUITE_YAML}: rules: expected a file name or a list of file names",
    ),
    # hand-written rules (a GX ExpectationSuite JSON) of the wrong shape
    Case(
        "rule-missing-column",
        "crash",
        "A hand-written rule on a column the figures table does not have",
        rules_say([{"type": NOT_NULL, "kwargs": {"column": "nope"}}]),
        2,
        f"rule '{NOT_NULL} {{\"column\": \"nope\"}}': names column 'nope', which the figures "
        "table does not have",
    ),
    Case(
        "rule-missing-column-gx",
        "crash",
        "The same, with `--engine gx`",
        rules_say([{"type": NOT_NULL, "kwargs": {"column": "nope"}}], "gx"),
        2,
        f"rule '{NOT_NULL} {{\"column\": \"nope\"}}': names column 'nope', which the figures "
        "table does not have",
    ),
    Case(
        "rule-mostly-text",
        "crash",
        'A hand-written rule with `mostly: "lots"`',
        rules_say([{"type": NOT_NULL, "kwargs": {"column": "source", "mostly": "lots"}}]),
        2,
        f"{RULES_JSON}: expectation #1 ({NOT_NULL}): mostly: expected a number from 0 to 1, "
        "not 'lots'",
    ),
    Case(
        "rule-kwargs-not-an-object",
        "crash",
        "A hand-written rule whose `kwargs` is not an object",
        rules_say([{"type": NOT_NULL, "kwargs": 5}]),
        2,
        f"{RULES_JSON}: expectation #1: 'kwargs' must be an object",
    ),
    Case(
        "rule-no-kwargs",
        "crash",
        "A hand-written rule with no `kwargs`",
        rules_say([{"type": NOT_NULL}]),
        2,
        f"{RULES_JSON}: expectation #1 ({NOT_NULL}): missing the argument 'column'",
    ),
]


# Rules whose arguments are of the wrong type: refused when the suite loads, before any data
# is read, on either engine.
IN_SET = "expect_column_values_to_be_in_set"
BETWEEN = "expect_column_values_to_be_between"
VALUE_SET_5 = [{"type": IN_SET, "kwargs": {"column": "source", "value_set": 5}}]
MIN_ABC = [{"type": BETWEEN, "kwargs": {"column": "value", "min_value": "abc"}}]
for engine in ("native", "gx"):
    tail = "" if engine == "native" else "-gx"
    CASES += [
        Case(
            f"rule-value-set-not-a-list{tail}",
            "crash",
            f"A hand-written rule whose `value_set` is a number (`--engine {engine}`)",
            rules_say(VALUE_SET_5, engine),
            2,
            f"{RULES_JSON}: expectation #1 ({IN_SET}): value_set: expected a non-empty list of "
            "values (text, numbers, true, false, null), not 5",
        ),
        Case(
            f"rule-bound-not-a-number{tail}",
            "crash",
            f'A hand-written rule whose `min_value` is `"abc"` (`--engine {engine}`)',
            rules_say(MIN_ABC, engine),
            2,
            f"{RULES_JSON}: expectation #1 ({BETWEEN}): min_value: expected a number, an ISO "
            "date (YYYY-MM-DD) or {\"$PARAMETER\": name}, not 'abc'",
        ),
    ]


def _word_not_a_number(folder: Path) -> list[str]:
    data = aq(folder)
    add_to_suite(data, "words: {dozens: abc}\n")
    sohr = data / "sohr.csv"
    sohr.write_text(sohr.read_text(encoding="utf-8").replace(",128", ",dozens", 1), "utf-8")
    return ["check", str(data)]


def _profile_says(text: str, instead_of: str = "") -> Build:
    """The Al-Qaryatayn fixtures, ``text`` added to the top of SOHR's profile (in place of
    the line ``instead_of``, if given)."""

    def build(folder: Path) -> list[str]:
        data = aq(folder)
        profile = data / "expectations" / "profiles" / "sohr.yaml"
        old = profile.read_text(encoding="utf-8")
        assert instead_of in old
        profile.write_text(text + old.replace(instead_of, ""), encoding="utf-8")
        return ["check", str(data)]

    return build


SOHR_YAML = "DIR/aq/expectations/profiles/sohr.yaml"
CASES += [
    Case(
        "rule-date-bound-on-numbers",
        "crash",
        "A hand-written rule bounding a column of numbers by a date",
        rules_say([{"type": BETWEEN, "kwargs": {"column": "value", "min_value": "2017-10-21"}}]),
        2,
        f'rule \'{BETWEEN} {{"column": "value", "min_value": "2017-10-21"}}\': min_value '
        "'2017-10-21' is a date, but column 'value' holds numbers",
    ),
    Case(
        "rule-unknown-measure",
        "crash",
        "A hand-written rule naming a measure the taxonomy does not define",
        rules_say(
            [
                {
                    "type": "expect_parts_not_above_whole",
                    "kwargs": {"whole": "killed", "parts": ["killed.civilans"]},
                }
            ]
        ),
        2,
        f"{RULES_JSON}: expectation #1 (expect_parts_not_above_whole): parts: "
        "'killed.civilans' is not a measure of the taxonomy. Did you mean 'killed.civilians'?",
    ),
    Case(
        "suite-word-not-a-number",
        "crash",
        "suite.yaml: `words: {dozens: abc}`, and an export that says “dozens”",
        _word_not_a_number,
        2,
        f"{SUITE_YAML}: words.dozens: expected a whole number (or {{value: n, qualifier: q}}), "
        "not 'abc'",
    ),
    Case(
        "profile-encoding-not-text",
        "crash",
        "A profile whose `encoding` is a number",
        _profile_says("encoding: 5\n"),
        2,
        f"{SOHR_YAML}: encoding: expected a text encoding such as utf-8 or cp1256, not 5",
    ),
]


def _outside(key: str, value: str, trap: str = "") -> Build:
    """A suite naming ``value`` for ``key``; ``trap`` (if given) is written where the path
    leads outside the suite folder: a file that would fail loudly if it were read."""

    def build(folder: Path) -> list[str]:
        data = aq(folder)
        if trap:
            (data / trap).write_text("{ this is no JSON, YAML or CSV a suite could use", "utf-8")
        add_to_suite(data, f"{key}: {value}\n")
        return ["check", str(data)]

    return build


def _linked(name: str, target: str) -> Build:
    """A suite file that is a symbolic link to a file outside the suite folder."""

    def build(folder: Path) -> list[str]:
        data = aq(folder)
        (folder / "secret.json").write_text('{"expectations": []}', encoding="utf-8")
        (data / "expectations" / name).symlink_to(folder / target)
        if name == "rules.json":
            add_to_suite(data, "rules: rules.json\n")
        return ["check", str(data)]

    return build


OUTSIDE = "is outside the suite folder DIR/aq/expectations; suite files must live inside it"
CASES += [
    Case(
        "suite-rules-outside",
        "trust",
        "suite.yaml: `rules: ../trap.json` (a file beside the suite folder)",
        _outside("rules", "../trap.json", "trap.json"),
        2,
        f"{SUITE_YAML}: rules: '../trap.json' {OUTSIDE}",
    ),
    Case(
        "suite-rules-absolute",
        "trust",
        "suite.yaml: `rules: /etc/passwd`",
        _outside("rules", "/etc/passwd"),
        2,
        f"{SUITE_YAML}: rules: '/etc/passwd' {OUTSIDE}",
    ),
    Case(
        "suite-taxonomy-outside",
        "trust",
        "suite.yaml: `taxonomy: ../../etc/passwd`",
        _outside("taxonomy", "../../etc/passwd"),
        2,
        f"{SUITE_YAML}: taxonomy: '../../etc/passwd' {OUTSIDE}",
    ),
    Case(
        "suite-profiles-outside",
        "trust",
        "suite.yaml: `profiles: ..` (the data folder above the suite)",
        _outside("profiles", ".."),
        2,
        f"{SUITE_YAML}: profiles: '..' {OUTSIDE}",
    ),
    Case(
        "suite-crosswalk-outside",
        "trust",
        "suite.yaml: `crosswalk: ../sohr.csv`",
        _outside("crosswalk", "../sohr.csv"),
        2,
        f"{SUITE_YAML}: crosswalk: '../sohr.csv' {OUTSIDE}",
    ),
    Case(
        "suite-rules-link-outside",
        "trust",
        "A rules file that is a symbolic link to a file outside the suite folder",
        _linked("rules.json", "secret.json"),
        2,
        f"{SUITE_YAML}: rules: 'rules.json' is a link to DIR/secret.json, outside the suite "
        "folder DIR/aq/expectations; suite files must live inside it",
    ),
    Case(
        "suite-profile-link-outside",
        "trust",
        "A profile that is a symbolic link to a file outside the suite folder",
        _linked("profiles/secret.yaml", "secret.json"),
        2,
        f"{SUITE_YAML}: profiles: 'profiles/secret.yaml' is a link to DIR/secret.json, outside "
        "the suite folder DIR/aq/expectations; suite files must live inside it",
    ),
    Case(
        "suite-extends-a-path",
        "trust",
        "suite.yaml: `extends: ../../elsewhere` (extends names a suite, not a path)",
        _outside("extends", "../../elsewhere"),
        2,
        f"{SUITE_YAML}: extends: expected default, none, or the name of a suite folder beside "
        "this one (in DIR/aq); '../../elsewhere' is a path, not a folder's name",
    ),
    Case(
        "suite-profiles-folder-missing",
        "smaller",
        "suite.yaml names a `profiles:` folder that does not exist",
        suite_says("profiles: profils\n"),
        2,
        f"{SUITE_YAML}: profiles: no folder 'profils' in the suite folder DIR/aq/expectations",
    ),
    Case(
        "suite-extends-missing",
        "smaller",
        "suite.yaml: `extends:` a suite folder that does not exist",
        suite_says("extends: common\n"),
        2,
        f"{SUITE_YAML}: extends: no suite 'common' beside this one (DIR/aq/common)",
    ),
    Case(
        "profile-pattern-outside",
        "smaller",
        "A profile whose `files:` pattern climbs out of the folder (`../*.csv`)",
        _profile_says('files: ["../sohr*.csv"]\n', 'files: ["sohr*.csv"]\n'),
        2,
        f"{SOHR_YAML}: files: '../sohr*.csv' can never match: a pattern matches a file's name "
        "or its path below the folder being read (no '..', no leading '/')",
    ),
    Case(
        "taxonomy-implied-parent-missing",
        "smaller",
        "taxonomy.yaml defines `injured.civilians.women`, but not `injured.civilians`",
        lambda folder: _taxonomy_adds(folder, "  injured.civilians.women: {label: Women}\n"),
        2,
        "DIR/aq/expectations/taxonomy.yaml: measure 'injured.civilians.women' has unknown parent "
        "'injured.civilians' (its name up to the last dot): define 'injured.civilians' as a "
        "measure, or give 'injured.civilians.women' a parent: (another measure, or null for "
        "none). The closest measure defined is 'killed.civilians'.",
    ),
]


def _taxonomy_adds(folder: Path, text: str) -> list[str]:
    data = aq(folder)
    taxonomy = data / "expectations" / "taxonomy.yaml"
    taxonomy.write_text(taxonomy.read_text(encoding="utf-8") + text, encoding="utf-8")
    return ["check", str(data)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)


# --- the mechanism: what a suite may name, and how ----------------------------------------

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(
    p.parent
    for p in [*ROOT.glob("fixtures/**/suite.yaml"), *ROOT.glob("expectations/**/suite.yaml")]
)


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_suite_still_loads(folder: Path) -> None:
    from toolkit.suite import load_suite

    suite = load_suite(folder)
    for path in (
        *suite.chain,
        *(r.path for r in suite.rule_files),
        *(p.path for p in suite.profiles),
    ):
        assert Path(path).resolve().is_relative_to(ROOT), path


def _write_suite(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "suite.yaml").write_text(text, encoding="utf-8")
    return folder


def test_a_suite_extends_a_suite_beside_it(tmp_path: Path) -> None:
    from toolkit.suite import load_suite

    common = _write_suite(tmp_path / "common", "name: common\ncompare: {window_days: 30}\n")
    strict = _write_suite(tmp_path / "strict", "name: strict\nextends: common\n")
    suite = load_suite(strict)
    assert suite.compare.window_days == 30
    assert suite.chain[:2] == (str(strict.resolve()), str(common.resolve()))


def test_a_sibling_that_is_a_link_leading_elsewhere_is_refused(tmp_path: Path) -> None:
    from toolkit.errors import SuiteError
    from toolkit.suite import load_suite

    far = _write_suite(tmp_path / "far" / "away", "name: away\n")
    suites = tmp_path / "suites"
    strict = _write_suite(suites / "strict", "name: strict\nextends: common\n")
    (suites / "common").symlink_to(far, target_is_directory=True)
    with pytest.raises(SuiteError, match="extends: 'common' leads outside"):
        load_suite(strict)


def test_a_suite_cannot_extend_itself(tmp_path: Path) -> None:
    from toolkit.errors import SuiteError
    from toolkit.suite import load_suite

    me = _write_suite(tmp_path / "me", "name: me\nextends: me\n")
    with pytest.raises(SuiteError, match="extends: 'me' is this suite's own folder"):
        load_suite(me)


def test_a_path_inside_the_suite_folder_is_fine_however_written(tmp_path: Path) -> None:
    from toolkit.suite import load_suite

    suite = _write_suite(tmp_path / "s", "name: s\nrules: [sub/../r.json, ./r.json]\n")
    (suite / "sub").mkdir()
    (suite / "r.json").write_text(
        json.dumps({"expectations": [{"type": NOT_NULL, "kwargs": {"column": "source"}}]})
    )
    assert len(load_suite(suite).rule_files) == 2


def test_a_suite_naming_no_profiles_folder_may_have_none(tmp_path: Path) -> None:
    from toolkit.suite import load_suite

    suite = load_suite(_write_suite(tmp_path / "s", "name: s\n"))
    assert suite.profiles == load_suite().profiles


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ("{dozens: 12.5}", "words.dozens: expected a whole number"),
        ("{dozens: -12}", "words.dozens: expected a whole number"),
        ("{dozens: true}", "words.dozens: expected a whole number"),
        ("{dozens: {value: 12, qualifier: range}}", "words.dozens.qualifier: expected one of"),
        ("{dozens: {value: 12, qualifer: about}}", "words.dozens: unknown keys ['qualifer']"),
    ],
)
def test_words_are_whole_numbers_or_a_value_and_qualifier(
    tmp_path: Path, words: str, message: str
) -> None:
    from toolkit.errors import SuiteError
    from toolkit.suite import load_suite

    with pytest.raises(SuiteError, match=message.replace("[", r"\[")):
        load_suite(_write_suite(tmp_path / "s", f"name: s\nwords: {words}\n"))


def test_a_word_with_a_qualifier_is_read_with_it(tmp_path: Path) -> None:
    from toolkit.reading.qualifiers import parse_figure
    from toolkit.suite import load_suite

    words = "{Dozens: {value: 24, qualifier: about}, scores: 40}"
    suite = load_suite(_write_suite(tmp_path / "s", f"name: s\nwords: {words}\n"))
    assert suite.words["dozens"] == {"value": 24, "qualifier": "about"}
    assert parse_figure("dozens", suite.words).qualifier == "about"
    assert (parse_figure("scores", suite.words).low, parse_figure("scores").low) == (40, None)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("encoding: rot13", "encoding: expected a text encoding"),
        ("delimiter: ';;'", "delimiter: expected one character"),
        ("delimiter: 5", "delimiter: expected one character"),
        ("sheet: [1]", "sheet: expected a sheet's name or number"),
        ("records: 5", "records: expected the key that holds the records"),
        ("skip_hashtag_row: 'yes'", "skip_hashtag_row: expected true or false"),
        ("files: /etc/*", "files: '/etc/\\*' can never match"),
    ],
)
def test_a_profile_reading_setting_of_the_wrong_kind_is_refused(setting: str, message: str) -> None:
    import yaml

    from toolkit.errors import SuiteError
    from toolkit.suite.profiles import parse_profile

    data = yaml.safe_load(
        "name: p\nfiles: ['*.csv']\nconstants: {source: S}\n"
        "figures: [{measure: killed, value: k}]\n" + setting + "\n"
    )
    with pytest.raises(SuiteError, match=message):
        parse_profile(data, "p.yaml")


def test_figure_bounds_name_export_columns() -> None:
    from toolkit.errors import SuiteError
    from toolkit.suite.profiles import parse_profile

    data = {
        "name": "p",
        "files": ["*.csv"],
        "constants": {"source": "S"},
        "figures": [{"measure": "killed", "value": "k", "low": 5}],
    }
    with pytest.raises(SuiteError, match=r"figures #1\.low: expected an export column's name"):
        parse_profile(data, "p.yaml")


def test_the_taxonomy_suggests_another_measure_never_the_one_it_is_about() -> None:
    from toolkit.errors import SuiteError
    from toolkit.suite.taxonomy import Taxonomy

    with pytest.raises(SuiteError) as info:
        Taxonomy.from_mapping(
            {"measures": {"killed": {}, "killed.civilians.women": {}, "killed.civilians.men": {}}}
        )
    text = str(info.value)
    assert "define 'killed.civilians' as a measure" in text
    assert "Did you mean" not in text
    assert "closest" not in text  # no measure is close: 'killed.civilians.men' lacks it too
    with pytest.raises(SuiteError, match=r"The closest measure defined is 'killed\.civilian'\.$"):
        Taxonomy.from_mapping(
            {"measures": {"killed": {}, "killed.civilian": {}, "killed.civilians.women": {}}}
        )
    with pytest.raises(SuiteError, match=r"unknown parent 'kiled'\. Did you mean 'killed'\?$"):
        Taxonomy.from_mapping({"measures": {"killed": {}, "x": {"parent": "kiled"}}})


# --- the mechanism: every rule's arguments checked at load, nothing raised at run -------


def test_the_argument_table_is_what_the_native_kernels_take() -> None:
    import inspect

    from toolkit.checking.native import REGISTRY
    from toolkit.checking.rules import CUSTOM_EXPECTATIONS
    from toolkit.suite.rulefile import ARGUMENTS

    assert set(ARGUMENTS) == set(REGISTRY)
    for kind, arguments in ARGUMENTS.items():
        given_to_gx_only = ("column_list", "ignore_row_if") if kind in CUSTOM_EXPECTATIONS else ()
        table = {a: req for a, (_, req) in arguments.items() if a not in given_to_gx_only}
        params = list(inspect.signature(REGISTRY[kind]).parameters.values())[1:]
        kernel = {p.name: p.default is inspect.Parameter.empty for p in params}
        assert table == kernel, kind


def _hand_rules(tmp_path: Path, expectations: list[dict[str, Any]], extra: str = "") -> Path:
    folder = _write_suite(tmp_path / "s", "name: s\nextends: default\nrules: r.json\n" + extra)
    (folder / "r.json").write_text(json.dumps({"expectations": expectations}), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"column": "reported_on"}, "give min_value, max_value or both"),
        ({"column": "value", "min_value": 5, "max_value": 1}, "min_value 5 is above max_value 1"),
        (
            {"column": "value", "min_value": 1, "max_value": "2017-01-01"},
            "both be numbers or dates",
        ),
        ({"column": "value", "min_value": float("nan")}, "min_value: expected a number"),
        ({"column": "value", "min_value": 10**400}, "min_value: expected a number"),
        ({"column": "reported_on", "max_value": "2017-10-21T00:00+02:00"}, "max_value: expected"),
        ({"column": "reported_on", "max_value": {"$PARAMETER": "now"}}, "'now' is not a param"),
        ({"column": 5, "min_value": 1}, "column: expected a column name, not 5"),
        ({"column": "value", "min_value": 1, "strict_min": True}, "no argument 'strict_min'"),
    ],
)
def test_bounds_are_numbers_or_dates_in_order(
    tmp_path: Path, kwargs: dict[str, Any], message: str
) -> None:
    from toolkit.errors import SuiteError
    from toolkit.suite import load_suite

    folder = _hand_rules(tmp_path, [{"type": BETWEEN, "kwargs": kwargs}])
    with pytest.raises(SuiteError, match=message) as info:
        load_suite(folder)
    assert str(info.value).startswith(f"{folder / 'r.json'}: expectation #1 ({BETWEEN})")


@pytest.mark.parametrize(
    ("expectation", "message"),
    [
        ({"type": IN_SET, "kwargs": {"column": "source", "value_set": []}}, "non-empty list"),
        ({"type": IN_SET, "kwargs": {"column": "source", "value_set": [[1]]}}, "non-empty list"),
        (
            {
                "type": "expect_column_pair_values_a_to_be_greater_than_b",
                "kwargs": {"column_A": "a", "column_B": "b", "or_equal": "yes"},
            },
            "or_equal: expected true or false, not 'yes'",
        ),
        (
            {
                "type": "expect_column_pair_values_a_to_be_greater_than_b",
                "kwargs": {"column_A": "a", "column_B": "b", "ignore_row_if": "always"},
            },
            "ignore_row_if: expected one of both_values_are_missing",
        ),
        (
            {"type": "expect_parts_to_equal_whole", "kwargs": {"whole": "killed", "parts": []}},
            "parts: expected a non-empty list of measures",
        ),
        (
            {
                "type": "expect_parts_to_equal_whole",
                "kwargs": {"whole": "killed", "parts": ["injured", "injured"]},
            },
            "parts: lists a measure twice",
        ),
        ({"type": "expect_cumulative_figure_not_to_drop", "kwargs": {"measure": 1}}, "measure"),
        ({"type": 5, "kwargs": {}}, "crosscheck cannot run 5"),
        ({"type": NOT_NULL, "kwargs": {"column": "a"}, "meta": {"family": 3}}, "meta.family"),
        ({"type": NOT_NULL, "kwargs": {"column": "a"}, "meta": {"severity": "bad"}}, "meta.sev"),
    ],
)
def test_every_argument_is_checked_when_the_suite_loads(
    tmp_path: Path, expectation: dict[str, Any], message: str
) -> None:
    from toolkit.errors import SuiteError
    from toolkit.suite import load_suite

    with pytest.raises(SuiteError, match=message):
        load_suite(_hand_rules(tmp_path, [expectation]))


def test_a_floor_parameter_needs_a_floor(tmp_path: Path) -> None:
    from toolkit.errors import SuiteError
    from toolkit.suite import load_suite

    rule = {
        "type": BETWEEN,
        "kwargs": {"column": "event_start", "min_value": {"$PARAMETER": "floor"}},
    }
    assert load_suite(_hand_rules(tmp_path / "a", [rule])).date_floor == "1946-01-01"
    with pytest.raises(SuiteError, match="'floor' is not a parameter this suite gives"):
        load_suite(_hand_rules(tmp_path / "b", [rule], "dates: {floor: null}\n"))


def _failing(check_result: Any, rule: str) -> set[tuple[str, ...]]:
    f = check_result.findings
    f = f[f["rule"] == rule][["origin_file", "origin_row", "measure"]].astype("str")
    return set(f.itertuples(index=False, name=None))


def test_date_bounds_and_missing_values_get_one_answer_from_both_engines(tmp_path: Path) -> None:
    import toolkit as cc
    from toolkit.pipeline import check
    from toolkit.suite import load_suite

    rules = [
        {
            "type": BETWEEN,
            "kwargs": {"column": "reported_on", "min_value": "2017-10-22"},
            "meta": {"rule": "late", "family": "late"},
        },
        {
            "type": "expect_column_pair_values_a_to_be_greater_than_b",
            "kwargs": {"column_A": "high", "column_B": "low", "ignore_row_if": "neither"},
            "meta": {"rule": "high above low", "family": "ordered"},
        },
    ]
    rules_say(rules)(tmp_path)
    data = tmp_path / "aq"
    suite = load_suite(data / "expectations")
    figures = cc.read(data)
    native, gx = (check(figures, suite, engine=e) for e in ("native", "gx"))
    for rule in ("late", "high above low"):
        assert _failing(native, rule) == _failing(gx, rule), rule
    early = figures["reported_on"] < "2017-10-22"
    assert len(_failing(native, "late")) == early.sum() > 0
    # "neither": a missing bound fails the comparison instead of being skipped
    missing = (figures["high"].isna() | figures["low"].isna()).sum()
    assert len(_failing(native, "high above low")) >= missing > 0


def test_a_column_no_comparison_can_order_is_refused_before_the_rule_runs(tmp_path: Path) -> None:
    import numpy as np
    from conftest import AQ

    import toolkit as cc
    from toolkit.checking import check_figures
    from toolkit.errors import RuleError
    from toolkit.suite import load_suite

    rule = {"type": BETWEEN, "kwargs": {"column": "z", "min_value": 0}, "meta": {"rule": "z"}}
    suite = load_suite(_hand_rules(tmp_path, [rule]))
    figures = cc.read(AQ)
    figures["z"] = np.arange(len(figures)) * 1j  # complex numbers have no order
    for engine in ("native", "gx"):
        with pytest.raises(RuleError, match="rule 'z': column 'z' holds complex128 values"):
            check_figures(figures, suite, engine)


def test_whatever_a_kernel_raises_on_data_becomes_a_rule_error_naming_it() -> None:
    from toolkit.checking import _running
    from toolkit.checking.rules import Rule
    from toolkit.errors import RuleError

    rule = Rule("sum of parts", "custom", NOT_NULL)
    for raised in (TypeError("unhashable"), ValueError("cannot convert"), KeyError("x")):
        with (
            pytest.raises(RuleError, match="rule 'sum of parts': cannot run on this table"),
            _running(rule),
        ):
            raise raised

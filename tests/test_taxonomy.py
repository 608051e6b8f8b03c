from __future__ import annotations

import pytest

from toolkit.errors import SuiteError
from toolkit.suite import load_suite
from toolkit.suite.taxonomy import Taxonomy


def test_default_taxonomy_covers_the_issue_measures():
    t = load_suite().taxonomy
    for name in (
        "killed",
        "killed.civilians",
        "killed.combatants",
        "killed.perpetrators",
        "killed.unknown",
        "killed.children",
        "killed.women",
        "injured",
        "missing",
        "detained",
        "displaced",
    ):
        assert name in t
    assert t.parent_of("killed.women") == "killed"
    assert t.measures["killed"].cumulative
    assert not t.measures["missing"].cumulative
    assert any("perpetrators" in n for n in t.measures["killed.perpetrators"].notes)
    by_status = next(p for p in t.partitions if p.name == "killed by status")
    assert by_status.whole == "killed"
    assert not by_status.exhaustive
    # one whole, three breakdowns: by status, by age and sex, and (exhaustive) by role
    assert len([p for p in t.partitions if p.whole == "killed"]) == 3
    by_role = next(p for p in t.partitions if p.name == "killed by role")
    assert by_role.parts == ("killed.victims", "killed.perpetrators")
    assert by_role.exhaustive


def test_unknown_parent_names_the_closest_measure():
    with pytest.raises(
        SuiteError,
        match=r"'killed.kids' has unknown parent 'kiled'\. "
        r"Did you mean 'killed'\?",
    ):
        Taxonomy.from_mapping({"measures": {"killed": {}, "killed.kids": {"parent": "kiled"}}})


def test_dotted_name_without_its_parent_is_an_error():
    with pytest.raises(SuiteError, match="unknown parent 'injured'"):
        Taxonomy.from_mapping({"measures": {"injured.children": {}}})


def test_cycles_are_errors_that_show_the_cycle():
    with pytest.raises(SuiteError, match="cycle: a -> b -> c -> a"):
        Taxonomy.from_mapping(
            {"measures": {"a": {"parent": "b"}, "b": {"parent": "c"}, "c": {"parent": "a"}}}
        )


def test_partition_and_increment_measures_must_exist():
    with pytest.raises(SuiteError, match=r"unknown measure 'killed\.civillians' \(partition"):
        Taxonomy.from_mapping(
            {
                "measures": {"killed": {}, "killed.civilians": {}},
                "partitions": [{"whole": "killed", "parts": ["killed.civillians"]}],
            }
        )
    with pytest.raises(SuiteError, match=r"unknown measure 'killed\.daily' \(increment"):
        Taxonomy.from_mapping(
            {
                "measures": {"killed": {}},
                "increments": [{"measure": "killed.daily", "of": "killed"}],
            }
        )


def test_unknown_settings_are_errors():
    with pytest.raises(SuiteError, match="unknown settings \\['cumulativ'\\]"):
        Taxonomy.from_mapping({"measures": {"killed": {"cumulativ": True}}})


def test_a_suite_extends_the_default_taxonomy():
    base = load_suite().taxonomy
    ext = Taxonomy.from_mapping(
        {
            "measures": {"killed.side_a": {}, "killed.side_b": {}},
            "partitions": [
                {"whole": "killed", "parts": ["killed.side_a", "killed.side_b"], "exhaustive": True}
            ],
        },
        base=base,
    )
    assert "killed.side_a" in ext
    assert "killed.civilians" in ext
    assert "killed.side_a" not in base  # the base is not changed
    assert ext.partitions[-1].exhaustive
    assert len(ext.partitions) == len(base.partitions) + 1


@pytest.mark.parametrize("flag", ["cumulative", "signed"])
def test_a_measure_flag_must_be_a_boolean(flag):
    with pytest.raises(SuiteError, match=f"measure 'x': {flag} must be true or false, not 'no'"):
        Taxonomy.from_mapping({"measures": {"x": {flag: "no"}}})


def test_signed_measures_are_marked_ones_and_every_increment():
    t = Taxonomy.from_mapping(
        {
            "measures": {"a": {}, "a.new": {}, "b": {"signed": True}, "c": {}},
            "increments": [{"measure": "a.new", "of": "a"}],
        }
    )
    assert t.signed == {"a.new", "b"}

"""docs/bad-inputs.md is rendered from the bad-input cases of tests/test_bad_*.py."""

from __future__ import annotations

import badinputs


def test_every_case_has_a_known_class_and_its_own_id() -> None:
    cases = badinputs.all_cases()
    assert cases
    assert {c.section for c in cases} <= set(badinputs.SECTIONS)
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids))


def test_the_table_of_bad_inputs_is_current() -> None:
    expected = badinputs.render(badinputs.all_cases())
    assert badinputs.DOC.read_text(encoding="utf-8") == expected, (
        "docs/bad-inputs.md is stale: run `python tests/badinputs.py`"
    )

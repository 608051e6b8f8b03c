"""Bad inputs whose rows used to be lost without a word: each case of the table
(docs/bad-inputs.md) and the tests that pin the mechanism behind it."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from badinputs import Case, aq, check


def _truncated_gzip_in_folder(folder: Path) -> list[str]:
    data = aq(folder)
    csv = (data / "sohr.csv").read_bytes()
    (data / "extra.csv.gz").write_bytes(gzip.compress(csv)[:40])
    return ["check", str(data)]


CASES = [
    Case(
        "folder-unreadable-export",
        "rows",
        "In a folder, an export no profile claims that cannot be read (a truncated .gz)",
        _truncated_gzip_in_folder,
        2,
        "DIR/aq/extra.csv.gz: not a valid gzip file",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)

"""The suite stage: what a run knows besides the data.

A suite folder holds ``suite.yaml`` (settings), the measure taxonomy, source profiles (how
each outlet's export becomes figures), hand-written rules (GX JSON) and a reviewed
crosswalk. ``loading`` finds and loads suites, ``paths`` keeps every path a suite names
inside its folder, ``settings`` types and checks their values, ``taxonomy``, ``profiles``
and ``rulefile`` parse and check their files, ``crosswalk`` reads the reviewed links.
"""

from __future__ import annotations

from toolkit.suite.loading import (
    SUITE_FILE,
    RuleFile,
    Suite,
    default_suite_dir,
    find_suite,
    load_suite,
    read_yaml,
    suite_for,
)
from toolkit.suite.settings import CompareSettings, Limits

__all__ = [
    "SUITE_FILE",
    "CompareSettings",
    "Limits",
    "RuleFile",
    "Suite",
    "default_suite_dir",
    "find_suite",
    "load_suite",
    "read_yaml",
    "suite_for",
]

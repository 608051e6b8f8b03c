"""crosscheck: check incident figures from several outlets and show where they disagree.

>>> import toolkit as cc
>>> figs = cc.read("fixtures/al-qaryatayn")
>>> int((figs["measure"] == "killed").sum()) >= 2
True
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from toolkit.errors import CrosscheckError, InputError, SuiteError

if TYPE_CHECKING:
    from toolkit.checking import CheckResult, check
    from toolkit.comparison import Comparison, compare
    from toolkit.matching import Matching, match
    from toolkit.readers import ReadResult, read, read_figures
    from toolkit.suite import Suite, load_suite

# Public names and the module each lives in. Imported on first use, so that `crosscheck
# --help` and `import toolkit` stay fast (pandas, pandera, GX and matplotlib load when needed).
_LAZY = {
    "CheckResult": "toolkit.checking",
    "Comparison": "toolkit.comparison",
    "compare": "toolkit.comparison",
    "Matching": "toolkit.matching",
    "match": "toolkit.matching",
    "check": "toolkit.checking",
    "ReadResult": "toolkit.readers",
    "read": "toolkit.readers",
    "read_figures": "toolkit.readers",
    "Suite": "toolkit.suite",
    "load_suite": "toolkit.suite",
}

__all__ = [
    "CheckResult",
    "Comparison",
    "CrosscheckError",
    "InputError",
    "Matching",
    "ReadResult",
    "Suite",
    "SuiteError",
    "check",
    "compare",
    "load_suite",
    "match",
    "read",
    "read_figures",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

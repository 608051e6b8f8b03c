"""crosscheck: check incident figures from several outlets and show where they disagree.

The pipeline, one stage per folder: ``reading`` → ``checking`` → ``linking`` →
``comparing`` → ``reporting``, over the ``model`` they share (figures table, findings,
intervals, vocabulary) and the ``suite`` that configures them; ``pipeline`` runs them in
order. (The folders are named for what they do, not ``read``/``check``/…: those are the
public functions ``cc.read``, ``cc.check``…, and a subpackage of the same name would
shadow them.) This module is the public API, imported lazily (``import toolkit`` loads no
pandas, so ``crosscheck --help`` stays fast).

``df.crosscheck`` is registered as soon as crosscheck itself has pandas: at ``import
toolkit`` when pandas is already imported, else on first use of any ``cc.`` name.

>>> import toolkit as cc
>>> figs = cc.read("fixtures/al-qaryatayn")
>>> int((figs["measure"] == "killed").sum()) >= 2
True
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import TYPE_CHECKING, Any

from toolkit.errors import CrosscheckError, InputError, SuiteError

if TYPE_CHECKING:
    from toolkit.comparing import Comparison
    from toolkit.linking import Matching, match
    from toolkit.pipeline import CheckResult, check, compare
    from toolkit.reading import ReadResult, read, read_figures
    from toolkit.reporting import report
    from toolkit.suite import Suite, load_suite

# Public names and the module each lives in. Imported on first use, so that `crosscheck
# --help` and `import toolkit` stay fast (pandas, pandera, GX and matplotlib load when needed).
_LAZY = {
    "CheckResult": "toolkit.pipeline",
    "check": "toolkit.pipeline",
    "Comparison": "toolkit.comparing",
    "compare": "toolkit.pipeline",
    "Matching": "toolkit.linking",
    "match": "toolkit.linking",
    "ReadResult": "toolkit.reading",
    "read": "toolkit.reading",
    "read_figures": "toolkit.reading",
    "report": "toolkit.reporting",
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
    "report",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        import_module("toolkit.accessor")  # pandas is loaded now: df.crosscheck with it
        globals()[name] = value
        return value
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


if "pandas" in sys.modules:  # registering costs nothing once pandas is loaded
    import_module("toolkit.accessor")

"""crosscheck: check incident figures from several outlets and show where they disagree.

>>> import toolkit as cc
>>> figs = cc.read("fixtures/al-qaryatayn")
>>> int((figs["measure"] == "killed").sum()) >= 2
True
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

from toolkit.errors import CrosscheckError, InputError, SuiteError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from toolkit.checking import CheckResult, check
    from toolkit.comparison import Comparison, compare
    from toolkit.matching import Matching, match
    from toolkit.readers import ReadResult, read, read_figures
    from toolkit.reporting import report
    from toolkit.suite import Suite, load_suite

# Public names and the module each lives in. Imported on first use, so that `crosscheck
# --help` and `import toolkit` stay fast (pandas, pandera, GX and matplotlib load when needed).
_LAZY = {
    "CheckResult": "toolkit.checking",
    "check": "toolkit.checking",
    "Comparison": "toolkit.comparison",
    "compare": "toolkit.comparison",
    "Matching": "toolkit.matching",
    "match": "toolkit.matching",
    "ReadResult": "toolkit.readers",
    "read": "toolkit.readers",
    "read_figures": "toolkit.readers",
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
        globals()[name] = value
        return value
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


class _AfterPandas(importlib.abc.MetaPathFinder):
    """Registers ``df.crosscheck`` as soon as pandas finishes importing, so that
    ``import toolkit`` itself does not import pandas (``crosscheck --help`` stays fast)."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "pandas":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec("pandas")
        loader = spec.loader if spec is not None else None
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            import_module("toolkit.accessor")

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _register_accessor() -> None:
    if "pandas" in sys.modules:
        import_module("toolkit.accessor")
    elif not any(isinstance(f, _AfterPandas) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterPandas())


_register_accessor()

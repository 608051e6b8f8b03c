"""The shape of toolkit/: stages in pipeline order, no stage importing a later one, no
import cycles, no module or function grown past reading size."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "toolkit"

# The pipeline, in order: a module may import its own stage and earlier ones only.
STAGES: list[tuple[str, ...]] = [
    ("toolkit.errors", "toolkit.columnar", "toolkit.model.vocabulary"),
    ("toolkit.model",),
    ("toolkit.suite",),
    ("toolkit.reading",),
    ("toolkit.checking",),
    ("toolkit.linking",),
    ("toolkit.comparing",),
    ("toolkit.reporting",),
    ("toolkit.history",),  # consulted and written by the pipeline; no stage imports it
    ("toolkit.pipeline",),
    ("toolkit", "toolkit.__main__", "toolkit.cli", "toolkit.accessor", "toolkit.pytest_plugin"),
]
# Declarative tables, long by nature: the command line's options, the rules the taxonomy
# implies.
LONG_ON_PURPOSE = {("toolkit/cli.py", "build_parser"), ("toolkit/checking/rules.py", "derive")}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def stage_of(module: str) -> int:
    """The stage a module belongs to: the longest prefix named in STAGES."""
    best, rank = -1, -1
    for i, prefixes in enumerate(STAGES):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    assert rank >= 0, f"{module} belongs to no stage: add it to STAGES"
    return rank


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def module_level_imports(source: str, module: str, is_package: bool) -> set[str]:
    """The toolkit modules a module imports when it is imported: every import statement
    outside functions and outside ``if TYPE_CHECKING:``."""
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = module.split(".")
                    anchor = anchor if is_package else anchor[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)  # may name submodules
            elif isinstance(node, ast.If):
                if not _is_type_checking(node.test):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)
            elif isinstance(node, (ast.With, ast.ClassDef)):
                visit(node.body)

    visit(ast.parse(source).body)
    return {m for m in found if m == "toolkit" or m.startswith("toolkit.")}


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the toolkit modules it imports at module level (existing ones only)."""
    files = {module_name(p): p for p in root.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        wanted = module_level_imports(path.read_text(), name, path.name == "__init__.py")
        graph[name] = {m for m in wanted if m in files and m != name}
    return graph


def problems(graph: dict[str, set[str]]) -> list[str]:
    """Upward imports (a stage importing a later one) and import cycles."""
    found = [
        f"{a} (stage {stage_of(a)}) imports {b} (stage {stage_of(b)})"
        for a, targets in graph.items()
        for b in targets
        if stage_of(b) > stage_of(a)
    ]
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append("cycle: " + " -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                walk(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node, [node])
    return found


def test_no_stage_imports_a_later_one_and_there_are_no_cycles():
    graph = import_graph()
    assert graph.get("toolkit.pipeline")  # the graph is real
    assert problems(graph) == []


def test_the_checker_sees_an_upward_import_and_a_cycle(tmp_path):
    """Held to a made-up package: it must see both kinds of problem."""
    pkg = tmp_path / "toolkit"
    (pkg / "model").mkdir(parents=True)
    (pkg / "reporting").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "model" / "__init__.py").write_text("")
    (pkg / "model" / "figures.py").write_text(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from toolkit.reporting import html\n"  # not at run time
        "def f():\n    from toolkit.reporting import html\n"  # lazy: allowed
    )
    (pkg / "model" / "findings.py").write_text("from toolkit.reporting.html import x\n")
    (pkg / "reporting" / "__init__.py").write_text("")
    (pkg / "reporting" / "html.py").write_text("from toolkit.reporting import charts\n")
    (pkg / "reporting" / "charts.py").write_text("from . import html\n")
    found = problems(_graph_of(tmp_path, pkg))
    assert found == [
        "toolkit.model.findings (stage 1) imports toolkit.reporting.html (stage 7)",
        "cycle: toolkit.reporting.html -> toolkit.reporting.charts -> toolkit.reporting.html",
    ]


def _graph_of(root: Path, pkg: Path) -> dict[str, set[str]]:
    files = {".".join(p.relative_to(root).with_suffix("").parts): p for p in pkg.rglob("*.py")}
    files = {k.removesuffix(".__init__"): v for k, v in files.items()}
    return {
        name: {
            m
            for m in module_level_imports(path.read_text(), name, path.name == "__init__.py")
            if m in files and m != name
        }
        for name, path in files.items()
    }


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_no_module_is_past_reading_size(path):
    assert len(path.read_text().splitlines()) <= 500


def test_no_function_is_past_reading_size():
    long = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            body = node.body
            if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # the docstring is reading, not code
            if body and body[-1].end_lineno - body[0].lineno + 1 > 80:  # type: ignore[operator]
                long.append((rel, node.name))
    assert set(long) <= LONG_ON_PURPOSE


def test_every_stage_folder_says_what_it_owns():
    for folder in ("model", "suite", "reading", "checking", "linking", "comparing", "reporting"):
        doc = ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text()))
        assert doc, folder


def test_speed_tricks_live_in_columnar_and_no_pandas_internals_are_used():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        assert "pandas.core" not in text, path
        assert "._data" not in text, path
        assert "._mask" not in text, path
        if path.parent.name != "columnar":
            assert "frombuffer" not in text, path
            assert "buffers()" not in text, path


# Heavy or optional engines, each imported (lazily) by one module only.
ONE_MODULE = {
    "dask": "toolkit/on_dask/",
    "distributed": "toolkit/on_dask/",
    "great_expectations": "toolkit/checking/gx.py",
    "sqlalchemy": "toolkit/history",
}


@pytest.mark.parametrize("package", sorted(ONE_MODULE))
def test_an_optional_engine_is_imported_in_one_place(package):
    importers = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            if any(n == package or n.startswith(package + ".") for n in names):
                importers.add(path.relative_to(ROOT).as_posix())
    assert importers
    assert all(i.startswith(ONE_MODULE[package]) for i in importers), importers

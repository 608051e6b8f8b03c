"""The table of bad inputs: each case builds files in a fresh folder, runs crosscheck on
them, and states the exit code and the words crosscheck must print.

The cases live in ``tests/test_bad_*.py`` (a module-level ``CASES`` list each, run there by
:func:`check`); ``docs/bad-inputs.md`` is rendered from all of them (``python
tests/badinputs.py`` rewrites it) and ``tests/test_bad_inputs_doc.py`` fails when it is
stale, so the table cannot drift from what crosscheck does.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AQ = ROOT / "fixtures" / "al-qaryatayn"
DOC = ROOT / "docs" / "bad-inputs.md"

# The classes of bad input, in the order the table shows them.
SECTIONS = {
    "crash": "Inputs that used to crash (a traceback) and now get a message",
    "rows": "Rows that used to be lost without a word",
    "trust": "Paths, consoles and outputs crosscheck does not trust",
    "smaller": "Smaller things",
}
EXIT_MEANING = {0: "0 (ran)", 1: "1 (findings)", 2: "2 (cannot run)", 4: "4 (pytest usage)"}


@dataclass(frozen=True)
class Case:
    """One bad input.

    ``build(folder)`` writes the input under ``folder`` and returns the command line:
    crosscheck's arguments, or ``["pytest", ...]`` for the pytest plugin. In ``says`` and
    in what crosscheck printed, the folder is written ``DIR/``.
    """

    id: str
    section: str
    input: str  # what is wrong with the input, in a few words (Markdown)
    build: Callable[[Path], Sequence[str]]
    exit: int
    says: str  # words the output must contain (the message a user reads)


@dataclass
class Outcome:
    code: int
    text: str  # stdout and stderr, the folder shown as DIR/


def run(case: Case, folder: Path) -> Outcome:
    """Build ``case`` in ``folder`` and run it: crosscheck in-process (so an uncaught
    exception fails the test with its traceback), pytest in a subprocess."""
    args = [str(a) for a in case.build(folder)]
    if args and args[0] == "pytest":
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args[1:]],
            cwd=folder,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        code, text = done.returncode, done.stdout + done.stderr
    else:
        from contextlib import redirect_stderr, redirect_stdout

        from toolkit.cli import main

        out, err = io.StringIO(), io.StringIO()
        cwd = Path.cwd()
        os.chdir(folder)
        try:
            with redirect_stdout(out), redirect_stderr(err):
                try:
                    code = main(args, out=out)
                except SystemExit as exc:  # argparse usage errors
                    code = int(exc.code or 0)
        finally:
            os.chdir(cwd)
        text = out.getvalue() + err.getvalue()
    return Outcome(code, text.replace(f"{folder}{os.sep}", "DIR/").replace(str(folder), "DIR"))


def check(case: Case, folder: Path) -> Outcome:
    """Run ``case`` and assert its exit code, its words, and no traceback."""
    outcome = run(case, folder)
    assert "Traceback" not in outcome.text, outcome.text
    assert outcome.code == case.exit, outcome.text
    assert case.says in outcome.text, outcome.text
    return outcome


# Builders the cases share.


def aq(folder: Path) -> Path:
    """A copy of the Al-Qaryatayn fixtures (five outlets, a suite) in ``folder/aq``."""
    target = folder / "aq"
    shutil.copytree(AQ, target)
    return target


def add_to_suite(data: Path, text: str) -> None:
    """Append YAML ``text`` to the suite.yaml of a data folder."""
    suite = data / "expectations" / "suite.yaml"
    suite.write_text(suite.read_text(encoding="utf-8") + text, encoding="utf-8")


def assert_rows_accounted(result: Any, *, own_lines: bool = True) -> None:
    """No row lost without a word, per file of a ``ReadResult``: rows read = accepted +
    rejected, where every accepted row gave at least one figure, and every rejected row
    gave none and is named by an error finding. Rows are told apart by their lines: where
    several records share one (a JSON list written on one line), ``own_lines=False`` checks
    only that there are at least as many accepted and rejected rows as lines of each."""
    figures, findings = result.figures, result.findings
    for report in result.files:
        gave = set(figures.loc[figures["origin_file"] == report.path, "origin_row"].tolist())
        mine = findings[
            (findings["origin_file"] == report.path) & (findings["severity"] == "error")
        ]
        named = set(mine["origin_row"].dropna().astype(int).tolist()) - gave
        assert report.rows_read == report.rows_accepted + report.rows_rejected, report
        if own_lines:
            assert report.rows_accepted == len(gave), report
            assert report.rows_rejected == len(named), (report, sorted(named))
        else:
            assert report.rows_accepted >= len(gave), report
            assert report.rows_rejected >= len(named), (report, sorted(named))
            assert report.rows_accepted == 0 or gave, report
            assert report.rows_rejected == 0 or len(mine), report


# The table.


def all_cases() -> list[Case]:
    """Every case of every ``tests/test_bad_*.py``, in file order."""
    cases: list[Case] = []
    for path in sorted(Path(__file__).parent.glob("test_bad_*.py")):
        name = f"_badinputs_{path.stem}"
        module = sys.modules.get(name)
        if module is None:
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec is not None
            assert spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        cases.extend(getattr(module, "CASES", []))
    return cases


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("|", "\\|").strip()


def render(cases: Sequence[Case]) -> str:
    """The Markdown table of ``cases``, one section per class."""
    lines = [
        "# Bad inputs",
        "",
        "What crosscheck says to each class of bad input, and its exit code (0: ran, 1: "
        "findings at or above `--fail-on`, 2: cannot run). Generated from the tests in "
        "`tests/test_bad_*.py` by `python tests/badinputs.py`; a test fails when this file "
        "is stale. `DIR/` is the folder the case ran in.",
    ]
    for key, title in SECTIONS.items():
        chosen = [c for c in cases if c.section == key]
        if not chosen:
            continue
        lines += ["", f"## {title}", "", "| Input | crosscheck says | Exit |", "|---|---|---|"]
        for c in chosen:
            said = _cell(c.says)
            fence = "``" if "`" in said else "`"  # a code span that holds a backtick
            lines.append(
                f"| {_cell(c.input)} | {fence} {said} {fence} | "
                f"{EXIT_MEANING.get(c.exit, c.exit)} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(render(all_cases()), encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")

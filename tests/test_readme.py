"""Every code block of the README runs, so the docs cannot drift from the code.

Blocks run in order in a scratch folder holding a copy of the fixtures: ``sh`` lines as
commands (crosscheck and pytest, through this Python), ``python`` blocks in one shared
namespace, blocks with ``file=PATH`` written to that path, and other ``yaml`` blocks
loaded as part of a suite. The two setup commands at the top are checked against what CI
and nox run instead (running nox inside the tests would install everything twice).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap

import pytest
import yaml
from conftest import ROOT

from toolkit.suite import load_suite

README = ROOT / "README.md"
BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
SETUP = (
    "python3 -m pip install -q nox && nox -s demo",
    "python3 -m pip install -q nox && nox -s tests",
)


def blocks() -> list[tuple[str, dict[str, str], str]]:
    out = []
    for lang, info, body in BLOCK.findall(README.read_text()):
        attrs = dict(a.split("=", 1) for a in info.split() if "=" in a)
        out.append((lang, attrs, body))
    return out


def test_the_two_commands_are_what_ci_and_nox_run():
    text = README.read_text()
    first, second = (body.strip() for lang, _, body in blocks()[:2])
    assert (first, second) == SETUP
    assert text.index(SETUP[0]) < text.index(SETUP[1])
    assert SETUP[1] in (ROOT / ".ci" / "run").read_text()
    noxfile = (ROOT / "noxfile.py").read_text()
    assert "def demo(" in noxfile
    assert "def tests(" in noxfile
    assert '"crosscheck", "demo"' in noxfile


def _command(line: str) -> list[str]:
    words = shlex.split(line, comments=True)
    if words[0] == "crosscheck":
        return [sys.executable, "-m", "toolkit", *words[1:]]
    if words[0] == "pytest":
        return [sys.executable, "-m", "pytest", *words[1:]]
    raise AssertionError(f"README command not runnable by the test: {line}")


def test_every_other_block_runs(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "fixtures", tmp_path / "fixtures")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "readme"}
    ran = {"sh": 0, "python": 0, "file": 0, "yaml": 0}
    for lang, attrs, body in blocks()[2:]:
        if "file" in attrs:
            target = tmp_path / attrs["file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body)
            if lang == "yaml":
                yaml.safe_load(body)
            ran["file"] += 1
        elif lang == "sh":
            for line in body.splitlines():
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                run = subprocess.run(
                    _command(line),
                    capture_output=True,
                    text=True,
                    check=False,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                )
                assert run.returncode in (0, 1), f"{line}\n{run.stderr}"
                assert "Traceback" not in run.stderr, line
                ran["sh"] += 1
        elif lang == "python":
            exec(compile(textwrap.dedent(body), "README.md", "exec"), namespace)
            ran["python"] += 1
        elif lang == "yaml":
            suite = tmp_path / "snippet-suite"
            suite.mkdir(exist_ok=True)
            (suite / "suite.yaml").write_text("name: snippet\nextends: default\n" + body)
            load_suite(suite)
            ran["yaml"] += 1
        else:
            pytest.fail(f"a README block of type {lang!r} that no test runs")
    assert ran["sh"] >= 9
    assert ran["python"] >= 4
    assert ran["file"] == 5
    assert (tmp_path / "reports" / "al-qaryatayn.html").is_file()
    assert (tmp_path / "reports" / "crosswalk.csv").is_file()

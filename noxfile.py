"""Sessions: tests, lint, typecheck, demo, report, bench. `nox -s NAME`."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "venv"
CONSTRAINTS = ("-c", "constraints.txt")


@nox.session
def tests(session: nox.Session) -> None:
    """Install crosscheck with its test extras and run pytest.

    Chromium for the browser tests, PostgreSQL for the history tests (a throwaway server).
    """
    session.install("-e", ".[test]", *CONSTRAINTS)
    session.run("bash", "scripts/ensure-chromium", external=True)
    session.run("bash", "scripts/ensure-postgresql", external=True)
    session.run("pytest", *session.posargs)


@nox.session
def fuzz(session: nox.Session) -> None:
    """The fuzz tests with many more examples than the test run gives them."""
    session.install("-e", ".[test]", *CONSTRAINTS)
    session.run(
        "pytest",
        "-m",
        "fuzz",
        "--hypothesis-profile=fuzz",
        "-p",
        "no:cacheprovider",
        "-q",
        *session.posargs,
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff", *CONSTRAINTS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy (strict) on toolkit/."""
    session.install("-e", ".[dev,test]", *CONSTRAINTS)  # the pytest plugin is typed against pytest
    session.run("mypy")


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: read and check the bundled Al-Qaryatayn exports."""
    session.install("-e", ".", *CONSTRAINTS)
    session.run("crosscheck", "demo", *session.posargs)


@nox.session
def report(session: nox.Session) -> None:
    """HTML report and JUnit XML for every fixture set, into reports/."""
    session.install("-e", ".", *CONSTRAINTS)
    for name in ("al-qaryatayn", "real", "matching", "linking", "series", "hostile"):
        session.run(
            "crosscheck",
            "check",
            f"fixtures/{name}",
            "--html",
            f"reports/{name}.html",
            "--junit",
            f"reports/{name}.junit.xml",
            "--fail-on",
            "never",
        )


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks; each prints ratios against a baseline measured in the same run."""
    session.install("-e", ".", *CONSTRAINTS)
    rows = session.posargs[0] if session.posargs else "1000000"
    session.run("python", "bench/bench_read.py", rows)
    session.run("python", "bench/bench_check.py", rows, "--scale")
    session.run("python", "bench/bench_compare.py")
    session.run("python", "bench/bench_series.py")
    session.run("python", "bench/bench_report.py")

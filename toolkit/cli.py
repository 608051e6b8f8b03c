"""The ``crosscheck`` command line: argparse, and each command as a few calls into the
pipeline and the console. Heavy imports happen inside commands, not at start-up."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from toolkit import cli_compare, cli_dask, cli_history, cli_profile
from toolkit.errors import CrosscheckError, SuiteWarning
from toolkit.model.vocabulary import FAIL_ON

if TYPE_CHECKING:
    import pandas as pd

    from toolkit.pipeline import CheckResult
    from toolkit.reading import ReadResult

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        from toolkit.reporting.terminal import safe_line

        self.print_usage(sys.stderr)  # the message quotes arguments: one safe line
        self.exit(EXIT_USAGE, f"{self.prog}: error: {safe_line(message)}\n")


# Where a command may write, and the suffixes each output accepts (None: any).
_OUTPUT_OPTIONS = ("output", "findings", "json", "csv", "html", "junit", "gx_json")
_TABLE, _JSON = (".csv", ".parquet", ".json", ".jsonl"), (".json",)


def _file(
    p: argparse.ArgumentParser, flag: str, suffixes: tuple[str, ...] | None, text: str, *more: str
) -> None:
    """An output option: its path is refused at once (before a long run) when it is empty,
    a folder, behind a file, or of a suffix the output cannot be written as."""

    def output(value: str) -> str:
        from toolkit.reporting.writers import check_target

        try:
            check_target(value, suffixes)
        except CrosscheckError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return value

    p.add_argument(flag, *more, metavar="FILE", type=output, help=text)


def _count(text: str) -> int:
    if not text.strip().isdigit():  # argparse turns this into a usage error (exit 2)
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, not {text!r}")
    return int(text)


def _outputs(p: argparse.ArgumentParser) -> None:
    _file(p, "--json", _JSON, "write everything (summary, findings, comparison) as JSON")
    _file(p, "--csv", _TABLE, "write every finding as CSV (spreadsheet-safe)")
    _file(p, "--html", None, "write the self-contained HTML report")
    _file(p, "--junit", None, "write JUnit XML: a test case per rule x incident")
    p.add_argument(
        "--annotations",
        choices=("github", "none"),
        help="print GitHub Actions annotations (default: github when GITHUB_ACTIONS=true)",
    )
    charts, most = (
        "incidents charted in the HTML report",
        ("rows the HTML lists per rule and severity, and per group elsewhere (default 200)"),
    )
    p.add_argument("--charts", type=_count, default=10, metavar="N", help=charts)
    p.add_argument("--max-findings", type=_count, default=200, metavar="N", help=most)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="crosscheck",
        description="Check incident-figure exports from several outlets and show where they "
        "disagree.",
        epilog="Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; "
        "2 bad usage or unreadable input.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("paths", nargs="+", metavar="PATH", help="export files or directories")
        p.add_argument(
            "--suite",
            metavar="DIR",
            help="a suite folder, or a folder that carries one in expectations/ (default: "
            "the first found in the folder read or above it, else the default suite)",
        )
        p.add_argument(
            "--fail-on",
            choices=FAIL_ON,
            default="error",
            help="lowest severity that fails the run (default: error)",
        )

    def linking(p: argparse.ArgumentParser) -> None:
        group = p.add_mutually_exclusive_group()
        group.add_argument(
            "--match",
            dest="link",
            action="store_const",
            const="auto",
            help="link incidents across sources by matching (the suite's crosswalk overrides)",
        )
        group.add_argument(
            "--no-match",
            dest="link",
            action="store_const",
            const="none",
            help="link nothing: compare each source's own incident keys",
        )

    p_read = sub.add_parser("read", help="read exports into the figures table and count rows")
    common(p_read)
    _file(p_read, "-o", _TABLE, "write the figures table (.parquet, .csv or .json)", "--output")
    _file(p_read, "--findings", _TABLE, "write input findings (.csv/.json)")
    linking(p_read)

    p_check = sub.add_parser("check", help="read exports and check schema and rules")
    common(p_check)
    p_check.add_argument(
        "--engine",
        choices=("native", "gx", "dask"),
        default="native",
        help="native (vectorized pandas, default), gx (the rules on Great Expectations) or "
        "dask (the whole run on a Dask cluster)",
    )
    cli_dask.options(p_check)
    cli_compare.time_options(p_check)
    cli_history.check_options(p_check)
    linking(p_check)
    _outputs(p_check)

    p_compare = sub.add_parser(
        "compare", help="compare the sources' figures; print where they conflict, worst first"
    )
    common(p_compare)
    cli_compare.time_options(p_compare)
    cli_compare.engine_options(p_compare)
    _file(
        p_compare,
        "--csv",
        _TABLE,
        "write the comparison table (a row per incident x measure, a column per source)",
    )
    _file(p_compare, "--json", _JSON, "write the table, each source's figures and the findings")
    p_compare.add_argument(
        "--limit", type=_count, default=20, metavar="N", help="incidents to print (default 20)"
    )
    linking(p_compare)

    p_match = sub.add_parser(
        "match", help="propose which incidents of different sources are the same incident"
    )
    common(p_match)
    _file(p_match, "-o", _TABLE, "write the proposed crosswalk (.csv) to review", "--output")
    p_match.add_argument(
        "--threshold", type=float, metavar="X", help="lowest score merged (default: the suite's)"
    )

    p_suite = sub.add_parser("suite", help="list a suite's rules; write them as GX JSON")
    p_suite.add_argument("dir", nargs="?", metavar="DIR", help="suite folder (default suite)")
    _file(p_suite, "--gx-json", None, "write every rule as a Great Expectations ExpectationSuite")

    p_demo = sub.add_parser("demo", help="check the bundled Al-Qaryatayn fixtures")
    p_demo.add_argument(
        "--fixtures",
        metavar="DIR",
        default=None,
        help="fixture folder (default: fixtures/al-qaryatayn)",
    )
    p_demo.add_argument("--fail-on", default="never", choices=FAIL_ON)
    _file(p_demo, "--html", None, "the report to write (default: reports/NAME.html)")
    cli_profile.add_parser(sub)
    cli_history.add_parser(sub)
    return parser


def spare_outputs(
    args: argparse.Namespace, read: ReadResult | None, suite: Any = None, files: Any = ()
) -> None:
    """Refuse an output that would replace a file the run reads (``files``: exports
    found, read elsewhere)."""
    from toolkit.reporting.outputs import spare_inputs

    outputs = [getattr(args, o, None) for o in _OUTPUT_OPTIONS]
    spare_inputs([o for o in outputs if o is not None], read, suite, files)


def _exit_code(findings: pd.DataFrame, fail_on: str) -> int:
    from toolkit.model.findings import exit_code

    return EXIT_FINDINGS if exit_code(findings, fail_on) else EXIT_OK


def _cmd_read(args: argparse.Namespace, out: TextIO) -> int:
    from toolkit.reading import read_figures
    from toolkit.reporting import console
    from toolkit.reporting.writers import write_table

    result = read_figures(args.paths, args.suite)
    spare_outputs(args, result)
    console.read_summary(result, out)
    findings = result.findings
    figures = result.figures
    if args.output:  # the table written is linked as every command links it
        from toolkit.model import findings as fd
        from toolkit.pipeline import read_and_link

        _, linked, _ = read_and_link(result, link=args.link)
        if linked.matching is not None:
            print(console.matching_line(linked.matching), file=out)
        findings = fd.concat([findings, linked.findings])
        figures = linked.figures
    console.findings_list(findings, out, hint=None if args.findings else "--findings FILE")
    print(console.rows_line(result), file=out)
    written = []
    if args.output:
        written.append(write_table(figures, args.output))
    if args.findings:
        written.append(write_table(findings, args.findings))
    console.wrote(written, out)
    return _exit_code(findings, args.fail_on)


def _cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from toolkit.pipeline import check
    from toolkit.reading import read_figures
    from toolkit.reporting import console
    from toolkit.reporting.progress import Progress

    if args.engine == "dask":
        return cli_dask.run(args, out)
    cli_dask.refuse_unsupported(args)
    outputs = [o for o in ("json", "csv", "html", "junit") if getattr(args, o, None)]
    steps = 2 + len(outputs)  # reading, comparing, each output; then one per rule
    progress = Progress(steps)
    progress.step("reading exports")
    read = read_figures(args.paths, args.suite)
    spare_outputs(args, read)
    result = check(
        read,
        engine=args.engine,
        link=args.link,
        as_of=args.as_of,
        over_time=args.over_time,
        history=args.history,
        record=False,  # recorded below, after the report, with the exit status
        on_rule=lambda name, rules: progress.step(name, total=steps + rules),
    )
    failing = cli_history.exit_findings(result, args.new_only)
    progress.step("comparing sources")
    written = _write_outputs(args, result, progress)
    progress.done()
    console.check_summary(result, out)
    hint = None if args.csv or args.json else "--csv FILE"
    console.findings_list(result.findings, out, hint=hint)
    console.wrote(written, out)
    print(console.rows_line(read, len(result.findings)), file=out)
    annotate = args.annotations or (
        "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "none"
    )
    if annotate == "github":
        console.github_annotations(result.findings, out)
    code = _exit_code(failing, args.fail_on)
    cli_history.record(result, code, out)
    return code


def _write_outputs(args: argparse.Namespace, result: CheckResult, progress: Any) -> list[Path]:
    from toolkit.reporting.outputs import everything
    from toolkit.reporting.writers import write_json, write_table

    written: list[Path] = []
    if args.json:
        progress.step("writing JSON")
        written.append(write_json(args.json, **everything(result)))
    if args.csv:
        progress.step("writing CSV")
        written.append(write_table(result.findings, args.csv))
    if args.html:
        from toolkit.reporting import html

        progress.step("writing the HTML report")
        options = {"charts": args.charts, "max_findings": getattr(args, "max_findings", 200)}
        written.append(html.write(result, args.html, fail_on=args.fail_on, **options))
    if args.junit:
        from toolkit.reporting import junit

        progress.step("writing JUnit XML")
        written.append(junit.write(result, args.junit, fail_on=args.fail_on))
    return written


def _cmd_match(args: argparse.Namespace, out: TextIO) -> int:
    from toolkit.linking import match
    from toolkit.reading import read_figures
    from toolkit.reporting import console
    from toolkit.reporting.writers import write_table

    read = read_figures(args.paths, args.suite)
    spare_outputs(args, read)
    matching = match(read.figures, read.suite, threshold=args.threshold)
    print(console.matching_line(matching), file=out)
    console.matching_list(matching, out)
    console.findings_list(matching.findings, out, hint=None if args.output else "-o FILE")
    if args.output:
        path = write_table(matching.to_review(), args.output)
        print(
            f"wrote {console.clean(path)} (review it, then name it in the suite: crosswalk: FILE)",
            file=out,
        )
    return _exit_code(matching.findings, args.fail_on)


def _cmd_suite(args: argparse.Namespace, out: TextIO) -> int:
    import json

    from toolkit.checking import suite_rules
    from toolkit.checking.rules import to_gx_suite
    from toolkit.reporting import console
    from toolkit.reporting.writers import write_text
    from toolkit.suite import load_suite

    suite = load_suite(args.dir)
    spare_outputs(args, None, suite)
    rules = suite_rules(suite)
    print(
        f"suite: {console.clean(suite.name)} ({console.clean(suite.path)}); {len(rules)} rules",
        file=out,
    )
    for r in rules:
        print(f"  {r.severity:<7} {console.clean(r.family):<28} {console.clean(r.name)}", file=out)
    if args.gx_json:
        document = to_gx_suite(rules, suite.name)
        path = write_text(args.gx_json, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        console.wrote([path], out)
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    fixtures = Path(args.fixtures) if args.fixtures else _repo_fixture("al-qaryatayn")
    ns = argparse.Namespace(
        paths=[str(fixtures)],
        suite=None,
        fail_on=args.fail_on,
        engine="native",
        scheduler=None,
        link=None,
        as_of=None,
        over_time=None,
        history=None,
        new_only=False,
        json=None,
        csv=None,
        html=args.html or str(Path("reports") / f"{fixtures.name}.html"),
        junit=None,
        annotations=None,
        charts=10,
    )
    return _cmd_check(ns, out)


def _repo_fixture(name: str) -> Path:
    for base in (Path.cwd(), Path(__file__).resolve().parent.parent):
        candidate = base / "fixtures" / name
        if candidate.is_dir():
            return candidate
    raise CrosscheckError(f"fixtures/{name} not found: run from the repository or pass --fixtures")


_COMMANDS: dict[str, Any] = {
    "read": _cmd_read,
    "check": _cmd_check,
    "compare": cli_compare.run,
    "match": _cmd_match,
    "suite": _cmd_suite,
    "demo": _cmd_demo,
    "profile": cli_profile.run,
    "history": cli_history.run,
}


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """A suite warning as one plain line on stderr (not a source line of crosscheck)."""
    from toolkit.reporting.console import clean

    print(f"crosscheck: warning: {clean(message)}", file=sys.stderr)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code (0, 1 or 2; 130 interrupted, 143 terminated).

    While a command runs, everything printed on stdout and stderr (``out`` too) passes
    through a :class:`~toolkit.reporting.terminal.ConsoleStream`: no data can start a
    line, drive the terminal or forge a CI command, whatever the caller forgot.
    """
    from toolkit.reporting.terminal import ConsoleStream

    args = build_parser().parse_args(argv)
    stdout, stderr = ConsoleStream(sys.stdout), ConsoleStream(sys.stderr)
    console = stdout if out is None or out is sys.stdout else ConsoleStream(out)
    try:
        with redirect_stdout(stdout), redirect_stderr(stderr), _terminated_unwinds():
            return _run(args, cast(TextIO, console))  # a text stream print() writes to
    finally:
        for stream in (console, stdout, stderr):
            stream.finish()


def _run(args: argparse.Namespace, out: TextIO) -> int:
    """Run the command; errors crosscheck raises on purpose become a message and exit 2."""
    from toolkit.reporting.console import clean

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", SuiteWarning)
            warnings.showwarning = _show_warning
            code: int = _COMMANDS[args.command](args, out)
    except CrosscheckError as exc:
        print(f"crosscheck: error: {clean(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:  # a resource, not a bug: say so instead of a traceback
        print(
            "crosscheck: error: out of memory: check fewer or smaller exports at a time",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("crosscheck: interrupted", file=sys.stderr)
        return 130
    except _Terminated:
        print("crosscheck: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    return code


class _Terminated(BaseException):
    """SIGTERM (a cancelled CI job) raised where the run is, so it unwinds as Ctrl-C does
    and a half-written output's temporary file is removed."""


@contextlib.contextmanager
def _terminated_unwinds() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread
        return

    def on_term(signum: int, frame: object) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

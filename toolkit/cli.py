"""The ``crosscheck`` command line: argparse, and each command as a few calls into the
pipeline and the console. Heavy imports happen inside commands, not at start-up."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from toolkit.errors import CrosscheckError, SuiteWarning
from toolkit.model.vocabulary import FAIL_ON

if TYPE_CHECKING:
    import pandas as pd

    from toolkit.pipeline import CheckResult

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _outputs(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--json", metavar="FILE", help="write everything (summary, findings, comparison) as JSON"
    )
    p.add_argument("--csv", metavar="FILE", help="write every finding as CSV (spreadsheet-safe)")
    p.add_argument("--html", metavar="FILE", help="write the self-contained HTML report")
    p.add_argument(
        "--junit", metavar="FILE", help="write JUnit XML: a test case per rule x incident"
    )
    p.add_argument(
        "--annotations",
        choices=("github", "none"),
        help="print GitHub Actions annotations (default: github when GITHUB_ACTIONS=true)",
    )
    p.add_argument(
        "--charts", type=int, default=10, metavar="N", help="incidents charted in the HTML report"
    )


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
            help="suite folder (default: the one the directory carries, else the default suite)",
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
    p_read.add_argument(
        "-o", "--output", metavar="FILE", help="write the figures table (.parquet, .csv or .json)"
    )
    p_read.add_argument("--findings", metavar="FILE", help="write input findings (.csv/.json)")
    linking(p_read)

    p_check = sub.add_parser("check", help="read exports and check schema and rules")
    common(p_check)
    p_check.add_argument(
        "--engine",
        choices=("native", "gx"),
        default="native",
        help="rule engine: native (vectorized pandas, default) or gx (Great Expectations)",
    )
    linking(p_check)
    _outputs(p_check)

    p_compare = sub.add_parser(
        "compare", help="compare the sources' figures; print where they conflict, worst first"
    )
    common(p_compare)
    p_compare.add_argument(
        "--as-of", metavar="DATE", help="each source's latest figure on or before DATE"
    )
    p_compare.add_argument(
        "--csv", metavar="FILE", help="write the comparison table (one row per incident x measure)"
    )
    p_compare.add_argument(
        "--json", metavar="FILE", help="write the table, each source's figures and the findings"
    )
    p_compare.add_argument(
        "--limit", type=int, default=20, metavar="N", help="incidents to print (default 20)"
    )
    linking(p_compare)

    p_match = sub.add_parser(
        "match", help="propose which incidents of different sources are the same incident"
    )
    common(p_match)
    p_match.add_argument(
        "-o", "--output", metavar="FILE", help="write the proposed crosswalk (.csv) to review"
    )
    p_match.add_argument(
        "--threshold", type=float, metavar="X", help="lowest score merged (default: the suite's)"
    )

    p_suite = sub.add_parser("suite", help="list a suite's rules; write them as GX JSON")
    p_suite.add_argument("dir", nargs="?", metavar="DIR", help="suite folder (default suite)")
    p_suite.add_argument(
        "--gx-json",
        metavar="FILE",
        help="write every rule as a Great Expectations ExpectationSuite",
    )

    p_demo = sub.add_parser("demo", help="check the bundled Al-Qaryatayn fixtures")
    p_demo.add_argument(
        "--fixtures",
        metavar="DIR",
        default=None,
        help="fixture folder (default: fixtures/al-qaryatayn)",
    )
    p_demo.add_argument("--fail-on", default="never", choices=FAIL_ON)
    p_demo.add_argument(
        "--html", metavar="FILE", help="the report to write (default: reports/NAME.html)"
    )
    return parser


def _exit_code(findings: pd.DataFrame, fail_on: str) -> int:
    from toolkit.model.findings import exit_code

    return EXIT_FINDINGS if exit_code(findings, fail_on) else EXIT_OK


def _cmd_read(args: argparse.Namespace, out: TextIO) -> int:
    from toolkit.reading import read_figures
    from toolkit.reporting import console
    from toolkit.reporting.writers import write_table

    result = read_figures(args.paths, args.suite)
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

    outputs = [o for o in ("json", "csv", "html", "junit") if getattr(args, o, None)]
    steps = 2 + len(outputs)  # reading, comparing, each output; then one per rule
    progress = Progress(steps)
    progress.step("reading exports")
    read = read_figures(args.paths, args.suite)
    result = check(
        read,
        engine=args.engine,
        link=args.link,
        on_rule=lambda name, rules: progress.step(name, total=steps + rules),
    )
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
    return _exit_code(result.findings, args.fail_on)


def _write_outputs(args: argparse.Namespace, result: CheckResult, progress: Any) -> list[Path]:
    from toolkit.reporting.writers import write_json, write_table

    written: list[Path] = []
    if args.json:
        progress.step("writing JSON")
        written.append(write_json(args.json, **_everything(result)))
    if args.csv:
        progress.step("writing CSV")
        written.append(write_table(result.findings, args.csv))
    if args.html:
        from toolkit.reporting import html

        progress.step("writing the HTML report")
        written.append(html.write(result, args.html, fail_on=args.fail_on, charts=args.charts))
    if args.junit:
        from toolkit.reporting import junit

        progress.step("writing JUnit XML")
        written.append(junit.write(result, args.junit, fail_on=args.fail_on))
    return written


def _everything(result: CheckResult) -> dict[str, pd.DataFrame]:
    """Every table of a run, for --json."""
    import pandas as pd

    from toolkit.model.findings import exit_code

    rows = result.rows
    findings = result.findings
    summary = pd.DataFrame(
        [
            {
                "suite": result.suite.name,
                "suite_path": result.suite.path,
                "rows_read": rows["read"],
                "rows_accepted": rows["accepted"],
                "rows_rejected": rows["rejected"],
                "figures": rows["figures"],
                "findings": len(findings),
                "errors": int((findings["severity"] == "error").sum()),
                "warnings": int((findings["severity"] == "warning").sum()),
                "exit_code_on_error": exit_code(findings, "error"),
            }
        ]
    )
    files = pd.DataFrame([vars(f) for f in (result.read.files if result.read else ())])
    rules = pd.DataFrame(
        [{"name": r.name, "family": r.family, "severity": r.severity} for r in result.rules]
    )
    out = {"summary": summary, "files": files, "rules": rules, "findings": findings}
    c = result.comparison
    return out | {
        "comparison": c.table,
        "figures_compared": c.latest,
        "revisions": c.revisions,
        "scorecard": result.scorecard,
    }


def _cmd_compare(args: argparse.Namespace, out: TextIO) -> int:
    from toolkit.comparing import compare_figures
    from toolkit.pipeline import read_and_link
    from toolkit.reporting import console
    from toolkit.reporting.writers import write_json, write_table

    _, linked, suite = read_and_link(args.paths, args.suite, args.link)
    if linked.matching is not None:
        print(console.matching_line(linked.matching), file=out)
    comparison = compare_figures(linked.figures, suite, as_of=args.as_of)
    when = f" as of {args.as_of}" if args.as_of else ""
    print(
        f"compared {len(comparison.table)} incident x measure pairs{when}: "
        f"{comparison.status_text()}; {comparison.counts()['far apart']} with figures far apart",
        file=out,
    )
    hint = console.unlinked_hint(comparison)
    if hint:
        print(hint, file=out)
    console.disagreements(comparison, out, args.limit)
    console.findings_list(comparison.findings, out, hint=None if args.json else "--json FILE")
    written = []
    if args.csv:
        written.append(write_table(comparison.table, args.csv))
    if args.json:
        written.append(
            write_json(
                args.json,
                table=comparison.table,
                figures=comparison.latest,
                revisions=comparison.revisions,
                findings=comparison.findings,
            )
        )
    console.wrote(written, out)
    return _exit_code(comparison.findings, args.fail_on)


def _cmd_match(args: argparse.Namespace, out: TextIO) -> int:
    from toolkit.linking import match
    from toolkit.reading import read_figures
    from toolkit.reporting import console
    from toolkit.reporting.writers import write_table

    read = read_figures(args.paths, args.suite)
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
        link=None,
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
    "compare": _cmd_compare,
    "match": _cmd_match,
    "suite": _cmd_suite,
    "demo": _cmd_demo,
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
    """Run the CLI; returns the exit code (0, 1 or 2)."""
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", SuiteWarning)
            warnings.showwarning = _show_warning
            code: int = _COMMANDS[args.command](args, out)
    except CrosscheckError as exc:
        from toolkit.reporting.console import clean

        print(f"crosscheck: error: {clean(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. piped into head: stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("crosscheck: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The ``crosscheck`` command line. Heavy imports happen inside commands, not at start-up."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from toolkit.errors import CrosscheckError

if TYPE_CHECKING:
    import pandas as pd

    from toolkit.readers import ReadResult

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _colour(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def _paint(text: str, code: str, on: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if on else text


_SEV_CODE = {"error": "31", "warning": "33", "info": "36"}


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
            choices=("error", "warning", "info", "never"),
            default="error",
            help="lowest severity that fails the run (default: error)",
        )

    p_read = sub.add_parser("read", help="read exports into the figures table and count rows")
    common(p_read)
    p_read.add_argument(
        "-o", "--output", metavar="FILE", help="write the figures table (.parquet, .csv or .json)"
    )
    p_read.add_argument("--findings", metavar="FILE", help="write input findings (.csv/.json)")

    p_check = sub.add_parser("check", help="read exports and check schema and rules")
    common(p_check)
    p_check.add_argument(
        "--engine",
        choices=("native", "gx"),
        default="native",
        help="rule engine: native (vectorized pandas, default) or gx (Great Expectations)",
    )
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
    p_compare.add_argument(
        "--match",
        action="store_true",
        help="match incidents across sources first (exports without a shared incident key)",
    )

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
    p_demo.add_argument("--fail-on", default="never", choices=("error", "warning", "info", "never"))
    p_demo.add_argument(
        "--html", metavar="FILE", help="the report to write (default: reports/NAME.html)"
    )
    return parser


def _summary_read(result: ReadResult, out: TextIO) -> None:
    figs = result.figures
    print(f"suite: {result.suite.name} ({result.suite.path})", file=out)
    print("files:", file=out)
    width = max([len(f.path) for f in result.files] + [4])
    for f in result.files:
        print(
            f"  {f.path:<{width}}  {f.format:<6} {f.profile!r}: {f.rows_read} rows read, "
            f"{f.rows_accepted} accepted, {f.rows_rejected} rejected, {f.figures} figures",
            file=out,
        )
    for u in result.unclaimed:
        print(f"  {u:<{width}}  not read: no source profile claims it", file=out)
    if len(figs):
        print("figures per source and measure:", file=out)
        counts = figs.groupby(["source", "measure"], sort=True).size().reset_index(name="n")
        for source, measure, n in counts.itertuples(index=False):
            print(f"  {source:<40} {measure:<32} {n:>8}", file=out)


def _print_findings(
    findings: pd.DataFrame, out: TextIO, limit: int | None = 20, hint: str = "--csv FILE"
) -> None:
    from toolkit.findings import location

    if not len(findings):
        return
    on = _colour(out)
    shown = findings if limit is None else findings.head(limit)
    print(f"findings ({len(findings)}):", file=out)
    locs = location(shown)
    for (_, row), loc in zip(shown.iterrows(), locs, strict=True):
        sev = _paint(f"{row['severity']:<7}", _SEV_CODE.get(row["severity"], "0"), on)
        print(f"  {sev} {loc}: [{row['kind']}/{row['rule']}] {row['message']}", file=out)
    if limit is not None and len(findings) > limit:
        print(f"  … and {len(findings) - limit} more (write them all with {hint})", file=out)


def _exit_code(findings: pd.DataFrame, fail_on: str) -> int:
    from toolkit.findings import exit_code

    return EXIT_FINDINGS if exit_code(findings, fail_on) else EXIT_OK


def _cmd_read(args: argparse.Namespace, out: TextIO) -> int:
    from toolkit.readers import read_figures
    from toolkit.writers import write_table

    result = read_figures(args.paths, args.suite)
    _summary_read(result, out)
    _print_findings(result.findings, out, hint="--findings FILE")
    print(
        f"rows read {result.rows_read} = accepted {result.rows_accepted} + rejected "
        f"{result.rows_rejected}; figures {len(result.figures)}",
        file=out,
    )
    if args.output:
        print(f"wrote {write_table(result.figures, args.output)}", file=out)
    if getattr(args, "findings", None):
        print(f"wrote {write_table(result.findings, args.findings)}", file=out)
    return _exit_code(result.findings, args.fail_on)


def _cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from toolkit.checking import check
    from toolkit.progress import Progress
    from toolkit.readers import read_figures

    outputs = [o for o in ("json", "csv", "html", "junit") if getattr(args, o, None)]
    steps = 2 + len(outputs)  # reading, comparing, each output; then one per rule
    progress = Progress(steps)
    progress.step("reading exports")
    read = read_figures(args.paths, args.suite)
    result = check(
        read.figures,
        read.suite,
        engine=args.engine,
        on_rule=lambda name, rules: progress.step(name, total=steps + rules),
    )
    progress.step("comparing sources")
    findings = result.findings
    written = _write_outputs(args, result, read, progress)
    progress.done()
    print(f"suite: {read.suite.name} ({read.suite.path}); {len(result.rules)} rules", file=out)
    for f in read.files:
        print(
            f"  {f.path}: {f.rows_read} rows read, {f.rows_accepted} accepted, "
            f"{f.rows_rejected} rejected, {f.figures} figures",
            file=out,
        )
    if result.comparison is not None:
        c = result.comparison
        print(f"compared {len(c.table)} incident x measure pairs: {c.status_text()}", file=out)
    if len(findings):
        print("findings by kind and severity:", file=out)
        for line in result.summary.to_string().splitlines():
            print(f"  {line}", file=out)
    _print_findings(findings, out)
    for path in written:
        print(f"wrote {path}", file=out)
    print(
        f"rows read {read.rows_read} = accepted {read.rows_accepted} + rejected "
        f"{read.rows_rejected}; figures {len(read.figures)}; findings {len(findings)}",
        file=out,
    )
    annotate = getattr(args, "annotations", None) or (
        "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "none"
    )
    if annotate == "github":
        from toolkit.reporting.github import workflow_commands

        for line in workflow_commands(findings):
            print(line, file=out)
    return _exit_code(findings, args.fail_on)


def _write_outputs(args: argparse.Namespace, result: Any, read: Any, progress: Any) -> list[Path]:
    from toolkit.writers import write_json, write_table

    written: list[Path] = []
    if getattr(args, "json", None):
        progress.step("writing JSON")
        written.append(write_json(args.json, **_everything(result, read)))
    if getattr(args, "csv", None):
        progress.step("writing CSV")
        written.append(write_table(result.findings, args.csv))
    if getattr(args, "html", None):
        from toolkit.reporting import html

        progress.step("writing the HTML report")
        written.append(
            html.write(result, args.html, read.figures, fail_on=args.fail_on, charts=args.charts)
        )
    if getattr(args, "junit", None):
        from toolkit.reporting import junit

        progress.step("writing JUnit XML")
        written.append(junit.write(result, args.junit, read.figures, fail_on=args.fail_on))
    return written


def _everything(result: Any, read: Any) -> dict[str, pd.DataFrame]:
    """Every table of a run, for --json."""
    import pandas as pd

    from toolkit.findings import exit_code

    summary = pd.DataFrame(
        [
            {
                "suite": read.suite.name,
                "suite_path": read.suite.path,
                "rows_read": read.rows_read,
                "rows_accepted": read.rows_accepted,
                "rows_rejected": read.rows_rejected,
                "figures": len(read.figures),
                "findings": len(result.findings),
                "errors": int((result.findings["severity"] == "error").sum()),
                "warnings": int((result.findings["severity"] == "warning").sum()),
                "exit_code_on_error": exit_code(result.findings, "error"),
            }
        ]
    )
    files = pd.DataFrame([vars(f) for f in read.files])
    rules = pd.DataFrame(
        [{"name": r.name, "family": r.family, "severity": r.severity} for r in result.rules]
    )
    out = {"summary": summary, "files": files, "rules": rules, "findings": result.findings}
    c = result.comparison
    if c is not None:
        out |= {
            "comparison": c.table,
            "figures_compared": c.latest,
            "revisions": c.revisions,
            "scorecard": c.scorecard,
        }
    return out


def _cmd_compare(args: argparse.Namespace, out: TextIO) -> int:
    from toolkit.comparison import compare
    from toolkit.readers import read_figures
    from toolkit.writers import write_json, write_table

    read = read_figures(args.paths, args.suite)
    figures = read.figures
    if args.match:
        from toolkit.matching import match

        matching = match(figures, read.suite)
        figures = matching.apply(figures)
        print(_matching_line(matching), file=out)
    comparison = compare(figures, read.suite, as_of=args.as_of)
    table = comparison.table
    when = f" as of {args.as_of}" if args.as_of else ""
    print(
        f"compared {len(table)} incident x measure pairs{when}: {comparison.status_text()}; "
        f"{comparison.counts()['far apart']} with figures far apart",
        file=out,
    )
    _print_comparison(comparison, out, args.limit)
    _print_findings(comparison.findings, out, hint="--json FILE")
    if args.csv:
        print(f"wrote {write_table(table, args.csv)}", file=out)
    if args.json:
        written = write_json(
            args.json,
            table=table,
            figures=comparison.latest,
            revisions=comparison.revisions,
            findings=comparison.findings,
        )
        print(f"wrote {written}", file=out)
    return _exit_code(comparison.findings, args.fail_on)


def _matching_line(matching: Any) -> str:
    counts = matching.scores()
    return "matched incidents: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))


def _cmd_match(args: argparse.Namespace, out: TextIO) -> int:
    from toolkit.matching import match
    from toolkit.readers import read_figures
    from toolkit.writers import write_table

    read = read_figures(args.paths, args.suite)
    matching = match(read.figures, read.suite, threshold=args.threshold)
    walk = matching.crosswalk
    print(_matching_line(matching), file=out)
    shown = walk[walk["status"] != "unmatched"].sort_values(["match", "source", "incident"])
    for row in shown.itertuples(index=False):
        target = row.match if isinstance(row.match, str) else f"? {row.candidate_incident}"
        print(
            f"  {row.status:<14} {row.score:5.2f}  {row.source} {row.incident} "
            f"({row.location}) -> {target}",
            file=out,
        )
    _print_findings(matching.findings, out, hint="-o FILE")
    if args.output:
        print(
            f"wrote {write_table(walk, args.output)} (review it, then name it in the suite: "
            "crosswalk: FILE)",
            file=out,
        )
    return _exit_code(matching.findings, args.fail_on)


def _print_comparison(comparison: Any, out: TextIO, limit: int) -> None:
    """Conflicts, then wide spreads, worst first: each source's figure on its own line."""
    disagreeing = comparison.disagreements
    shown = disagreeing.head(limit)
    if shown.empty:
        return
    on = _colour(out)
    latest = comparison.latest.set_index(["incident", "measure"]).sort_index()
    print("where sources disagree (worst first):", file=out)
    for row in shown.itertuples(index=False):
        label = "conflict" if row.status == "conflict" else "far apart"
        paint = "31" if row.status == "conflict" else "33"
        extra = f"; outliers: {row.outliers}" if isinstance(row.outliers, str) else ""
        print(
            f"  {_paint(label, paint, on)}  {row.incident} / {row.measure}: "
            f"{row.sources} sources, spread {row.spread:.2f}{extra}",
            file=out,
        )
        for fig in latest.loc[[(row.incident, row.measure)]].itertuples(index=False):
            mark = " <- outlier" if fig.outlier else ""
            print(
                f"      {fig.shown:>10}  {fig.source}  ({fig.origin_file}:{fig.origin_row}){mark}",
                file=out,
            )
    rest = len(disagreeing) - len(shown)
    if rest > 0:
        print(f"  … and {rest} more (write them all with --csv FILE)", file=out)


def _cmd_suite(args: argparse.Namespace, out: TextIO) -> int:
    import json

    from toolkit.checking import suite_rules
    from toolkit.rules import to_gx_suite
    from toolkit.suite import load_suite

    suite = load_suite(args.dir)
    rules = suite_rules(suite)
    print(f"suite: {suite.name} ({suite.path}); {len(rules)} rules", file=out)
    for r in rules:
        print(f"  {r.severity:<7} {r.family:<24} {r.name}", file=out)
    if args.gx_json:
        path = Path(args.gx_json)
        path.parent.mkdir(parents=True, exist_ok=True)
        document = to_gx_suite(rules, suite.name)
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {path}", file=out)
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    fixtures = Path(args.fixtures) if args.fixtures else _repo_fixture("al-qaryatayn")
    ns = argparse.Namespace(
        paths=[str(fixtures)],
        suite=None,
        fail_on=args.fail_on,
        engine="native",
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


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code (0, 1 or 2)."""
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    try:
        code: int = _COMMANDS[args.command](args, out)
    except CrosscheckError as exc:
        print(f"crosscheck: error: {exc}", file=sys.stderr)
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

"""The ``crosscheck compare`` command, and the options that say when figures are compared
(``--as-of``, ``--over-time``; ``check`` takes them too)."""

from __future__ import annotations

import argparse
from typing import TextIO

from toolkit.errors import CrosscheckError


def engine_options(p: argparse.ArgumentParser) -> None:
    """``compare``'s ``--engine native|dask`` and ``--scheduler``."""
    from toolkit import cli_dask

    p.add_argument(
        "--engine",
        choices=("native", "dask"),
        default="native",
        help="native (pandas, default) or dask (the run on a Dask cluster)",
    )
    cli_dask.options(p)


def time_options(p: argparse.ArgumentParser) -> None:
    """``--as-of DATE`` and ``--over-time`` / ``--no-over-time``."""
    p.add_argument("--as-of", metavar="DATE", help="each source's latest figure on or before DATE")
    p.add_argument(
        "--over-time",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also compare every report date on which two or more sources have a current "
        "figure: episodes of conflict and lags (default: the suite's compare.over_time)",
    )


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Read, link and compare; print the disagreements worst first; write the table."""
    from toolkit.cli import EXIT_FINDINGS, EXIT_OK, spare_outputs
    from toolkit.comparing import compare_figures
    from toolkit.model.findings import exit_code
    from toolkit.pipeline import read_and_link
    from toolkit.reporting import console
    from toolkit.reporting.outputs import explanations, over_time
    from toolkit.reporting.writers import write_json, write_table

    if args.engine == "dask":
        from toolkit import cli_dask

        return cli_dask.run(args, out, rules=False)
    if args.scheduler:
        raise CrosscheckError("--scheduler needs --engine dask")
    read, linked, suite = read_and_link(args.paths, args.suite, args.link)
    spare_outputs(args, read, suite)
    if linked.matching is not None:
        print(console.matching_line(linked.matching), file=out)
    comparison = compare_figures(linked.figures, suite, as_of=args.as_of, over_time=args.over_time)
    when = f" as of {args.as_of}" if args.as_of else ""
    print(
        f"compared {len(comparison.table)} incident x measure pairs{when}: "
        f"{comparison.status_text()}; {comparison.counts()['far apart']} with figures far apart",
        file=out,
    )
    if comparison.series is not None:
        print(console.series_line(comparison.series), file=out)
    hint = console.unlinked_hint(comparison, linked.matching)
    if hint:
        print(hint, file=out)
    hint = None if args.csv or args.json else "--csv FILE"  # either holds the whole table
    console.disagreements(comparison, out, args.limit, hint)
    console.findings_list(comparison.findings, out, hint=None if args.json else "--json FILE")
    written = []
    if args.csv:  # the table, a column per source (over time: a row per date)
        series = comparison.series
        table = comparison.by_source() if series is None else series.by_source()
        written.append(write_table(table, args.csv))
    if args.json:
        written.append(
            write_json(
                args.json,
                table=comparison.by_source(),
                figures=comparison.latest,
                revisions=comparison.revisions,
                findings=comparison.findings,
                **explanations(comparison),
                **over_time(comparison),
            )
        )
    console.wrote(written, out)
    return EXIT_FINDINGS if exit_code(comparison.findings, args.fail_on) else EXIT_OK

"""``crosscheck check|compare --engine dask [--scheduler ADDRESS]``: the run on a Dask
cluster (:mod:`toolkit.on_dask`), its summary from aggregates computed there, and its
tables written from there."""

from __future__ import annotations

import argparse
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    import pandas as pd

_NOT_YET: tuple[str, ...] = ()  # options refused with --engine dask


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --engine dask: local (a cluster of process workers, one per core; the "
        "default), local:N, or a running scheduler (tcp://host:8786)",
    )


def refuse_unsupported(args: argparse.Namespace) -> None:
    """Options the dask engine does not take yet: a usage error, before any work."""
    from toolkit.errors import CrosscheckError

    if getattr(args, "engine", "native") != "dask":
        if getattr(args, "scheduler", None):
            raise CrosscheckError("--scheduler needs --engine dask")
        return
    for name in _NOT_YET:
        if getattr(args, name, None):
            flag = "--" + name.replace("_", "-")
            raise CrosscheckError(
                f"{flag} is not available with --engine dask yet: write the findings with "
                "--csv FILE (.csv, .jsonl, or .parquet for a Parquet dataset) and the report "
                "with --html FILE, or run the native engine"
            )


def run(args: argparse.Namespace, out: TextIO, rules: bool = True) -> int:
    """Run ``check`` (``rules``) or ``compare`` on the cluster; print and write."""
    from toolkit import on_dask
    from toolkit.reporting import console
    from toolkit.reporting.progress import Progress

    refuse_unsupported(args)
    _refuse_before_start(args, rules)
    with on_dask.cluster(args.scheduler) as client:
        workers = len(client.scheduler_info().get("workers", {}))
        link = getattr(client, "dashboard_link", None)
        print(
            f"dask: {workers} workers" + (f"; dashboard {console.clean(link)}" if link else ""),
            file=out,
        )
        progress = Progress(1)
        result = on_dask.check(
            args.paths,
            args.suite,
            client=client,
            link=args.link,
            as_of=args.as_of,
            over_time=args.over_time,
            rules=rules,
            on_part=lambda label, total: progress.step(label, total=total),
            # what --json, the report and compare's table (a column per source) need more
            tables=bool(
                getattr(args, "json", None)
                or getattr(args, "html", None)
                or (not rules and args.csv)
            ),
        )
        progress.done()
        with result:  # the parts it wrote are removed at the end
            from toolkit.on_dask.history import after_report, before_report

            seen = before_report(result, args, out, rules)  # the history: new, silent edits
            result.history = seen
            return after_report(result, seen, _report(result, args, out, rules), args, out)


def _refuse_before_start(args: argparse.Namespace, rules: bool) -> None:
    """What cannot run, a usage error before a cluster starts: an output that would
    replace an input, and a history that cannot be had."""
    from toolkit.cli import spare_outputs
    from toolkit.on_dask import refuse_history
    from toolkit.reading import discover
    from toolkit.suite import find_suite

    suite = find_suite(args.paths, args.suite)
    found, _ = discover(args.paths, suite)  # no output may replace an export or suite file
    spare_outputs(args, None, suite, [path for path, _ in found])
    if rules:  # check: --new-only without a history, or a history that cannot be had
        refuse_history(suite, getattr(args, "history", None), getattr(args, "new_only", False))


def _report(result: Any, args: argparse.Namespace, out: TextIO, rules: bool) -> int:
    from toolkit.reporting import console

    _summary(result, out)
    worst = result.worst_findings(20)
    total = int(result.summary["n"].sum())
    h = result.history
    console.findings_list(
        worst,
        out,
        limit=None,
        total=total,
        hint=None if args.csv else "--csv FILE",
        new=sum(h.new.values()) if h is not None else None,
    )
    written = []
    if getattr(args, "json", None):
        from toolkit.on_dask.outputs import write_json

        written.append(write_json(result, args.json, rules))
    if args.csv:  # compare: the table, a column per source (over time: a row per date)
        tables = result.tables
        table = result.findings if rules else tables.get("over_time", tables["comparison"])
        written.append(write_frame(table, args.csv))
    if getattr(args, "html", None):
        from toolkit.on_dask.view import report_view
        from toolkit.reporting import html

        limit = getattr(args, "max_findings", 200)
        view, totals = report_view(result, limit)
        options = {"charts": args.charts, "max_findings": limit, "totals": totals}
        written.append(html.write(view, args.html, fail_on=args.fail_on, **options))
    if getattr(args, "junit", None):
        written.append(write_junit(result, args.junit, fail_on=args.fail_on))
    console.wrote(written, out)
    r = result.rows
    print(
        f"rows read {r['read']} = accepted {r['accepted']} + rejected {r['rejected']}; "
        f"figures {r['figures']}; findings {total}",
        file=out,
    )
    return _exit(result.summary, args.fail_on)


def _summary(result: Any, out: TextIO) -> None:
    from toolkit.reporting import console

    suite = result.suite
    print(f"suite: {console.clean(suite.name)} ({console.clean(suite.path)})", file=out)
    for f in result.files:
        print(
            f"  {console.clean(f.path)}: {f.rows_read} rows read, {f.rows_accepted} accepted, "
            f"{f.rows_rejected} rejected, {f.figures} figures",
            file=out,
        )
    moved = "split by incident (shuffled)" if result.shuffled else "already split by incident"
    print(f"{result.parts} parts, {moved}", file=out)
    if result.matching is not None:
        print(console.matching_line(result.matching), file=out)
    n = sum(result.counts.get(s, 0) for s in ("conflict", "agree", "single"))
    print(f"compared {n} incident x measure pairs: {result.status_text()}", file=out)
    if len(result.summary):
        table = result.summary.pivot_table(
            index="kind", columns="severity", values="n", aggfunc="sum", fill_value=0
        )
        print("findings by kind and severity:", file=out)
        for line in table.to_string().splitlines():
            print(f"  {line}", file=out)


def _exit(summary: Any, fail_on: str) -> int:
    from toolkit.model.vocabulary import failing

    hit = summary[summary["severity"].isin(failing(fail_on))]["n"].sum()
    return 1 if int(hit) else 0


def write_frame(frame: Any, path: str | Path) -> Path:
    """A Dask DataFrame written from the cluster: ``.csv`` one file (spreadsheet-safe,
    part after part), ``.jsonl`` one file of JSON Lines (part after part), ``.parquet`` a
    Parquet dataset (a folder, a file per part); into a temporary name first, renamed when
    whole. No part is held by the client longer than it takes to write it."""
    from toolkit.errors import OutputError
    from toolkit.reporting.writers import check_target, json_lines, neutralise, write_with

    target = check_target(path, (".csv", ".parquet", ".jsonl"))
    if target.suffix.lower() == ".jsonl":

        def lines(t: Path) -> None:
            t.write_text("", encoding="utf-8")
            for part in frame.to_delayed():
                json_lines(part.compute(), t, append=True)

        return write_with(target, lines)
    if target.suffix.lower() == ".csv":
        safe = frame.map_partitions(neutralise, meta=frame._meta)
        return write_with(
            target,
            lambda t: safe.to_csv(str(t), single_file=True, index=False, date_format="%Y-%m-%d"),
        )
    temporary = target.with_name(f".{target.name}.partial")
    shutil.rmtree(temporary, ignore_errors=True)
    try:
        frame.to_parquet(str(temporary), write_index=False)
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(temporary, target)
    except OSError as exc:
        shutil.rmtree(temporary, ignore_errors=True)
        raise OutputError(f"cannot write here: {exc.strerror or exc}", target) from None
    return target


def write_junit(result: Any, path: str | Path, fail_on: str = "error") -> Path:
    """The JUnit XML of a dask run, as the native engine writes it for the same run: the
    findings taken from the cluster a part at a time (:func:`findings_parts`) and put aside
    beside the file rule by rule (:func:`toolkit.reporting.junit.write_frames`); the file
    is written under a temporary name and renamed when whole."""
    from toolkit.checking import suite_rules
    from toolkit.reporting import junit
    from toolkit.reporting.writers import check_target

    target = check_target(path)
    ran = [r.name for r in suite_rules(result.suite)]
    incidents = figure_incidents(result)
    return junit.write_frames(target, ran, incidents, findings_parts(result.findings), fail_on)


def findings_parts(findings: Any) -> Iterator[pd.DataFrame]:
    """A Dask DataFrame's parts, computed one at a time."""
    for part in findings.to_delayed():
        yield part.compute()


def figure_incidents(result: Any) -> set[str]:
    """The incidents of a dask run's figures, which the native JUnit file has test cases
    for: each source's own keys and, linked, the shared ones (the run's ``keys``, one row
    per source and incident, kept from its parts)."""
    keys = result.keys
    if keys is None:
        return set()
    return {str(i) for c in ("incident", "own") for i in keys[c].dropna().unique()}

"""History on the command line: ``check --history [URL] --new-only``, and the ``history``
command (``crosscheck history`` lists runs; ``crosscheck history diff [A] [B]`` says what
changed between two)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    import pandas as pd

    from toolkit.pipeline import CheckResult

_URL_HELP = "the history database (default: sqlite:///reports/history.sqlite)"


def check_options(p: argparse.ArgumentParser) -> None:
    """``check``'s ``--history [URL]`` and ``--new-only``."""
    from toolkit.model.vocabulary import HISTORY_URL as DEFAULT_URL

    p.add_argument(
        "--history",
        nargs="?",
        const=DEFAULT_URL,
        metavar="URL",
        help="record the run in a database and compare with the suite's previous run "
        f"(no URL: {DEFAULT_URL}; default: the suite's history:)",
    )
    p.add_argument(
        "--new-only",
        action="store_true",
        help="the exit status counts only findings the suite's previous run did not have",
    )


def add_parser(sub: Any) -> None:
    """The ``history`` command and its ``diff``."""
    p = sub.add_parser("history", help="list the runs recorded in a history; diff two runs")
    p.add_argument("--history", metavar="URL", default=argparse.SUPPRESS, help=_URL_HELP)
    p.add_argument(
        "--limit", type=_count, default=20, metavar="N", help="runs to list, newest (default 20)"
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    d = actions.add_parser("diff", help="new and fixed findings, files and silent edits")
    d.add_argument(
        "a", nargs="?", type=int, metavar="A", help="the earlier run (default: B's previous)"
    )
    d.add_argument("b", nargs="?", type=int, metavar="B", help="the later run (default: the last)")
    d.add_argument("--history", metavar="URL", default=argparse.SUPPRESS, help=_URL_HELP)
    d.add_argument(
        "--limit", type=_count, default=20, metavar="N", help="rows to print per list (default 20)"
    )


def _count(text: str) -> int:
    if not text.strip().isdigit():  # argparse turns this into a usage error (exit 2)
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, not {text!r}")
    return int(text)


def exit_findings(result: CheckResult, new_only: bool) -> pd.DataFrame:
    """The findings that decide the exit status: all, or with ``--new-only`` the new ones
    (a run without a history cannot tell: a usage error)."""
    from toolkit.errors import CrosscheckError

    if not new_only:
        return result.findings
    if result.history is None:
        raise CrosscheckError(
            "--new-only needs a history: add --history [URL], or history: URL to the suite"
        )
    return result.findings[result.findings["new"].to_numpy(dtype=bool)]


def record(result: CheckResult, exit_status: int, out: TextIO) -> None:
    """Record the run after its report (a run given no history records nothing)."""
    from toolkit.pipeline import record_run

    if result.history is None:
        return
    command = " ".join(["crosscheck", *sys.argv[1:]])
    run_id = record_run(result, exit_status, command)
    h = result.history
    since = f" (previous: run {h.previous})" if h.previous is not None else " (the suite's first)"
    from toolkit.reporting.console import clean

    print(f"recorded run {run_id} in {clean(h.url)}{since}", file=out)


def run(args: argparse.Namespace, out: TextIO) -> int:
    from toolkit.history import Store
    from toolkit.model.vocabulary import HISTORY_URL as DEFAULT_URL

    store = Store(getattr(args, "history", None) or DEFAULT_URL, create=False)
    try:
        if args.action == "diff":
            return _diff(store, args, out)
        return _list(store, args, out)
    finally:
        store.close()


def _list(store: Any, args: argparse.Namespace, out: TextIO) -> int:
    from toolkit.reporting.console import clean

    runs = store.runs()
    if runs.empty:
        print(f"no runs recorded in {clean(store.url)}", file=out)
        return 0
    shown = runs.tail(max(args.limit, 0))
    print(f"{len(runs)} runs in {clean(_url(store))}; the last {len(shown)}:", file=out)
    print(
        "  id  recorded (UTC)       suite                files  errors warnings  info  new   exit",
        file=out,
    )
    for r in shown.itertuples():
        new = "-" if r.new_findings is None or r.new_findings != r.new_findings else r.new_findings
        when = f"{r.recorded_at:%Y-%m-%d %H:%M:%S}"
        print(
            f"  {r.id:>3} {when}  {clean(r.suite_name)[:20]:<20} {r.files:>5} {r.errors:>7} "
            f"{r.warnings:>8} {r.infos:>5} {new!s:>4} {r.exit_status:>5}",
            file=out,
        )
    return 0


def _url(store: Any) -> str:
    from toolkit.history import shown_url

    return shown_url(store.url)


def _diff(store: Any, args: argparse.Namespace, out: TextIO) -> int:
    from toolkit.history.diff import diff
    from toolkit.reporting.console import clean

    d = diff(store, args.a, args.b)
    a, b = d.a, d.b
    print(
        f"run {a['id']} ({a['recorded_at']:%Y-%m-%d %H:%M}) -> run {b['id']} "
        f"({b['recorded_at']:%Y-%m-%d %H:%M}), suite {clean(b['suite_name'])}: "
        f"{len(d.new)} new findings, {len(d.fixed)} fixed, {len(d.files)} files changed, "
        f"{len(d.edits)} silent edits",
        file=out,
    )
    limit = max(args.limit, 0)
    for title, rows, line in (
        ("files", d.files, lambda r: f"{r['change']:<8} {r['path']}"),
        ("new findings", d.new, _finding_line),
        ("fixed findings", d.fixed, _finding_line),
        (
            "silent edits",
            d.edits,
            lambda r: (
                f"{r['source']} {r['incident']} {r['measure']} {_day(r['reported_on'])}: "
                f"{r['before']} ({r['before_file']}:{r['before_row']}) -> {r['after']} "
                f"({r['after_file']}:{r['after_row']})"
            ),
        ),
    ):
        if rows.empty:
            continue
        print(f"{title} ({len(rows)}):", file=out)
        for r in rows.head(limit).to_dict("records"):
            print(f"  {clean(line({str(k): v for k, v in r.items()}))}", file=out)
        if len(rows) > limit:
            print(f"  … {len(rows) - limit} more (--limit N)", file=out)
    return 0


def _day(value: object) -> str:
    """A report date as listed; an undated figure's says so."""
    return "no date" if value is None or value != value or value == "nan" else str(value)


def _finding_line(r: dict[str, Any]) -> str:
    where = r["origin_file"] if r["origin_file"] == r["origin_file"] else ""
    if where and r.get("origin_row") is not None and r["origin_row"] == r["origin_row"]:
        where += f":{int(r['origin_row'])}"
    return f"{r['severity']:<7} {where}: [{r['code']}] {r['message']}"

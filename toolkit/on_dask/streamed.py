"""The dask engine's streamed path: exports split by incident go file by file, each read,
checked and compared in one task that writes its results as Parquet parts and keeps
nothing (memory per worker is one export's, not the data's)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.checking import suite_rules
from toolkit.checking.rules import missing_columns
from toolkit.comparing.patterns import pattern_findings
from toolkit.model import figures as ft
from toolkit.model import findings as fd
from toolkit.on_dask.parts import (
    OUTPUTS,
    Client,
    Future,
    added,
    apart,
    cite_records,
    cited,
    distributed_module,
    kind_severity,
    kinds_added,
    patterns_added,
    summed,
    whole,
)
from toolkit.reading import discover, gathered
from toolkit.suite import Suite

if TYPE_CHECKING:
    from toolkit.on_dask import DaskRun


def streamable(client: Client, suite: Suite, mode: str, rules: bool) -> bool:
    """Whether the run may go file by file, each file read, checked and compared in one
    task that writes its results and keeps nothing (memory bounded by a file, not by the
    data): when nothing is linked, no rule's ``mostly`` needs the whole table's counts, no
    rule reads an export's own column (typed across every export), and the workers write
    where the client reads (a cluster on this machine)."""
    from distributed import LocalCluster

    linked = mode != "none" and (mode == "auto" or bool(suite.crosswalk))
    every = suite_rules(suite) if rules else ()
    needs_counts = any(r.mostly < 1 for r in every)
    # a rule on an export's own column needs the column typed across every export
    own_columns = any(missing_columns(r, ft.COLUMNS) for r in every)
    return (
        not linked
        and not needs_counts
        and not own_columns
        and isinstance(client.cluster, LocalCluster)
    )


def streamed(
    client: Client,
    paths: list[str | Path],
    suite: Suite,
    as_of: object,
    over_time: bool | None,
    rules: bool,
    on_part: Callable[[str, int], None] | None = None,
    tables: bool = True,
) -> DaskRun | None:
    """The run file by file (see :func:`streamable`); None when the exports turn out not
    to be split by incident (one incident in two files: its figures must meet first)."""
    import dask.dataframe as dd
    import pandas as pd
    from dask.delayed import delayed

    from toolkit.on_dask import DaskRun
    from toolkit.on_dask.outputs import side_tables

    found, skipped = discover(paths, suite)
    stack = ExitStack()
    folder = Path(tempfile.mkdtemp(prefix="crosscheck-dask-"))
    stack.callback(shutil.rmtree, folder, ignore_errors=True)
    with stack:
        for what in OUTPUTS:
            (folder / what).mkdir()
        said = finished(
            client,
            client.map(
                whole,
                [p for p, _ in found],
                [r for _, r in found],
                range(len(found)),
                suite=suite,
                folder=str(folder),
                as_of=as_of,
                over_time=over_time,
                rules=rules,
                tables=tables,
                pure=False,
            ),
            on_part,
            "exports read, checked, compared",
        )
        reports, records, _, kept = gathered(
            paths, found, [(s["report"], s["problems"]) for s in said], skipped
        )
        if not apart([said[k]["incidents"] for k in kept]):
            return None
        patterns = patterns_added([said[k]["patterns"] for k in kept], suite)
        small = cite_records(fd.sort(fd.from_records(records)), records)
        small = fd.concat([small, cited(pattern_findings(patterns, suite), ft.empty())])
        small.to_parquet(folder / "findings" / "input.parquet", index=False)
        counts = added([said[k]["counts"] for k in kept])
        summary = kinds_added([said[k]["kinds"] for k in kept] + [kind_severity(small)])
        shares = summed([said[k]["given"] for k in kept])
        table = dd.read_parquet(str(folder / "table"))

        def pieces(name: str) -> list[Any]:
            return [delayed(pd.read_parquet)(folder / name / f"part-{k:06d}.parquet") for k in kept]

        run = DaskRun(
            client=client,
            suite=suite,
            files=tuple(reports),
            findings=dd.read_parquet(str(folder / "findings"), columns=list(fd.COLUMNS)),
            cited=dd.read_parquet(str(folder / "findings")),
            table=table,
            latest=dd.read_parquet(str(folder / "latest")),
            matching=None,
            counts=counts,
            summary=summary,
            figures=sum(r.figures for r in reports),
            parts=len(kept),
            shuffled=False,
            streamed=True,
            given=shares,
            patterns=patterns,
            keys=pd.concat([said[k]["keys"] for k in kept], ignore_index=True) if kept else None,
            tables=side_tables(pieces, table._meta, shares.index, (folder / "series").is_dir())
            if tables
            else {},
            folder=folder,
        )
        run._stack.enter_context(stack.pop_all())
        return run
    return None  # pragma: no cover (the with block returns)


def finished(
    client: Client, futures: list[Future], on_part: Callable[[str, int], None] | None, label: str
) -> list[Any]:
    """The futures' results, in order; ``on_part`` told of each as it finishes."""
    if on_part is not None:
        for _ in distributed_module().as_completed(futures):
            on_part(label, len(futures))
    results: list[Any] = client.gather(futures)
    return results

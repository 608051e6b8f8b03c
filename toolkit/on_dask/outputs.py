"""A dask run's outputs beyond its findings: the comparison's tables with a column per
source of the whole run (built part by part, each incident lying in one part), and
``--json``, written from the cluster a part at a time, as the native engine's document."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from toolkit.checking import suite_rules
from toolkit.model.vocabulary import Kind
from toolkit.on_dask.parts import widened

if TYPE_CHECKING:
    from toolkit.on_dask import DaskRun

# What the native --json has that a dask run's does not (README, "Dask"): nothing now.
LEFT_OUT: tuple[str, ...] = ()

_TEXTS = pd.DataFrame(
    {
        "row": pd.Series([], dtype="int64"),
        "source": pd.Series([], dtype="str"),
        "text": pd.Series([], dtype="str"),
    }
)


def _empty(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.head(0)


def side_tables(
    pieces: Callable[[str], list[Any]],
    table_meta: pd.DataFrame,
    sources: Iterable[object],
    over_time: bool,
) -> dict[str, Any]:
    """The comparison's tables a part at a time, as Dask DataFrames (lazy: nothing is
    computed until written): ``comparison``, the table with a column per source
    (``by_source`` natively; ``sources``: every source of the run, from its aggregates,
    since a part has only its own), ``revisions`` (each source's dated figures), and over
    time ``over_time`` (the series' table so), ``episodes``, ``lags`` and
    ``series_drawn`` (what the report's charts over time may draw of each part).
    ``pieces(name)``: each part's table of that name (delayed or futures, in the parts'
    order)."""
    import dask.dataframe as dd
    from dask.delayed import delayed

    names = sorted({str(s) for s in sources})
    texts = pieces("texts")
    if not texts:
        return {}

    def wide(table: str, said: str, meta: pd.DataFrame) -> Any:
        parts = [
            delayed(widened)(t, x, names) for t, x in zip(pieces(table), pieces(said), strict=True)
        ]
        return dd.from_delayed(parts, meta=widened(meta, _TEXTS, names), verify_meta=False)

    series = ("series", "episodes", "lags", "series_drawn")
    names_of = ("revisions", *series) if over_time else ("revisions",)
    first = {n: delayed(_empty)(pieces(n)[0]) for n in names_of}
    metas = delayed(dict)(**first).compute()
    out = {
        "comparison": wide("table", "texts", table_meta),
        "revisions": dd.from_delayed(
            pieces("revisions"), meta=metas["revisions"], verify_meta=False
        ),
    }
    if not over_time:
        return out
    out["over_time"] = wide("series", "series_texts", metas["series"])
    for name in ("episodes", "lags", "series_drawn"):  # series_drawn: for the report
        out[name] = dd.from_delayed(pieces(name), meta=metas[name], verify_meta=False)
    return out


def partitions(frame: Any) -> Iterator[pd.DataFrame]:
    """A Dask DataFrame's parts, computed one at a time."""
    for part in frame.to_delayed():
        yield part.compute()


def document(run: DaskRun, rules: bool = True) -> dict[str, Any]:
    """What ``check --json`` (``rules``) or ``compare --json`` writes of a dask run, by
    name and in the native order: small tables as pandas frames or counts, the big ones
    as part-by-part iterators (:func:`partitions`)."""
    from toolkit.on_dask.view import explanation_counts, scorecard

    tables = run.tables
    explained: dict[str, Any] = {"explanations": explanation_counts(run)}
    if run.patterns is not None:
        explained["patterns"] = run.patterns
    series: dict[str, Any] = {
        n: partitions(tables[n]) for n in ("over_time", "episodes", "lags") if n in tables
    }
    if not rules:
        discrepancies = run.findings[run.findings["kind"] == str(Kind.DISCREPANCY)]
        return {
            "table": partitions(tables["comparison"]),
            "figures": partitions(run.latest),
            "revisions": partitions(tables["revisions"]),
            "findings": partitions(discrepancies),
            **explained,
            **series,
        }
    return {
        "summary": _summary(run),
        "files": pd.DataFrame([vars(f) for f in run.files]),
        "rules": pd.DataFrame(
            [
                {"name": r.name, "family": r.family, "severity": r.severity}
                for r in suite_rules(run.suite)
            ]
        ),
        "findings": partitions(run.findings),
        "comparison": partitions(tables["comparison"]),
        **explained,
        "figures_compared": partitions(run.latest),
        "revisions": partitions(tables["revisions"]),
        "scorecard": scorecard(run, rules),
        **series,
    }


def _summary(run: DaskRun) -> pd.DataFrame:
    """The native JSON's ``summary``, from the run's counts."""
    rows = run.rows
    by = run.summary.groupby("severity")["n"].sum()
    errors = int(by.get("error", 0))
    return pd.DataFrame(
        [
            {
                "suite": run.suite.name,
                "suite_path": run.suite.path,
                "rows_read": rows["read"],
                "rows_accepted": rows["accepted"],
                "rows_rejected": rows["rejected"],
                "figures": rows["figures"],
                "findings": int(run.summary["n"].sum()),
                "errors": errors,
                "warnings": int(by.get("warning", 0)),
                "exit_code_on_error": int(errors > 0),
            }
        ]
    )


def write_json(run: DaskRun, path: str | Path, rules: bool = True) -> Path:
    """``--json`` of a dask run (:func:`document`): written a part at a time into a
    temporary file beside ``path``, renamed when whole (nothing left on a failure)."""
    from toolkit.reporting.writers import write_json_parts

    return write_json_parts(path, document(run, rules))

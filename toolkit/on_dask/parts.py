"""The dask engine's work on the workers: each function takes a part (or an export) and
gives what the client needs of it; :mod:`toolkit.on_dask` puts them together."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.checking import check_figures
from toolkit.columnar import take_names
from toolkit.comparing import Comparison, compare_figures
from toolkit.comparing.by_source import published_texts, source_columns
from toolkit.comparing.over_time import Series
from toolkit.comparing.patterns import pattern_counts, patterns
from toolkit.comparing.patterns import summed as pattern_sums
from toolkit.comparing.scorecard import published
from toolkit.errors import CrosscheckError
from toolkit.model import figures as ft
from toolkit.model import findings as fd
from toolkit.reading import read_file
from toolkit.reporting.htmlparts import citations
from toolkit.suite import Suite

# distributed is untyped: its client and futures are Any here
Client = Any
Future = Any

INSTALL = "the dask engine needs dask and distributed: pip install 'crosscheck[dask]'"


def distributed_module() -> Any:
    """The distributed package, or a usage error saying how to install it."""
    try:
        import dask.dataframe  # noqa: F401
        import distributed
    except ImportError:
        raise CrosscheckError(INSTALL) from None
    for name in ("distributed.shuffle", "distributed.shuffle._scheduler_plugin"):
        logging.getLogger(name).setLevel(logging.ERROR)  # P2P shuffles log each one at WARNING
    return distributed


def figures_of(read: tuple[Any, pd.DataFrame, Any]) -> pd.DataFrame:
    return read[1]


def said_of(read: tuple[Any, pd.DataFrame, Any]) -> tuple[Any, Any, pd.DataFrame]:
    """What a read tells the client: its report, its input findings, and its first row's
    extra columns (the exports' own, beyond the figures table's): enough for the client to
    type each column as one concatenated table would."""
    report, figures, problems = read
    extra = [c for c in figures.columns if c not in ft.COLUMNS]
    return report, with_citations(problems, figures), figures[extra].head(1)


def with_citations(problems: list[dict[str, Any]], figures: pd.DataFrame) -> list[dict[str, Any]]:
    """Each input finding (a record) with the citation of the row it points at, where that
    row gave a figure: the figures stay on the worker, the report shows it beside it."""
    if not problems:
        return problems
    cites = citations(fd.from_records(problems), figures)
    return [
        p | {"citation": c if isinstance(c, str) else None}
        for p, c in zip(problems, cites, strict=True)
    ]


def cite_records(findings: pd.DataFrame, records: list[dict[str, Any]]) -> pd.DataFrame:
    """``findings`` (made from ``records``) with the citations the records carry."""
    known = [r for r in records if r.get("citation")]
    cites = pd.DataFrame(
        {
            "origin_file": [r.get("origin_file") for r in known],
            "origin_row": pd.array([r.get("origin_row") for r in known], dtype="Int64"),
            "citation": pd.Series([r["citation"] for r in known], dtype="str"),
        }
    )
    return cited(findings, cites)


def conform(part: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """A part in the columns and types every part shares (an extra column another export
    has is missing here)."""
    out = part.reindex(columns=meta.columns)
    for column, dtype in meta.dtypes.items():
        if out[column].dtype != dtype:
            out[column] = out[column].astype(dtype)
    return out.reset_index(drop=True)


def incidents(part: pd.DataFrame) -> np.ndarray:
    """A hash per incident of the part (8 bytes each, not the keys' text: the client
    holds every part's). Two keys hashing alike only make the run shuffle, which is safe."""
    keys = pd.Series(part["incident"].dropna().astype("str").unique())
    hashed: np.ndarray = pd.util.hash_pandas_object(keys, index=False).to_numpy()
    return hashed


def apart(seen: list[np.ndarray]) -> bool:
    """Whether no incident lies in two parts (``seen``: each part's incident hashes)."""
    every = np.concatenate(seen) if seen else np.zeros(0, dtype=np.uint64)
    return len(np.unique(every)) == len(every)


def bucket(part: pd.DataFrame, buckets: int) -> pd.DataFrame:
    """The part with the bucket its incident falls in (``bucket``): a hash, so one
    incident's rows meet whatever part they come from."""
    key = part["incident"].astype("str").fillna("")
    hashed = pd.util.hash_pandas_object(key, index=False).to_numpy()
    return part.assign(bucket=(hashed % np.uint64(buckets)).astype(np.int64))


def unbucket(part: pd.DataFrame) -> pd.DataFrame:
    return part.drop(columns="bucket").reset_index(drop=True)


def rule_counts(part: pd.DataFrame, suite: Suite) -> dict[str, tuple[int, int]]:
    return dict(check_figures(part, suite).counts)


def cited(findings: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    """The findings with the citation of the figure each points at (``citation``), while
    the part's figures are at hand: what the report shows beside a finding."""
    out = findings.reset_index(drop=True)
    cites = citations(out.drop(columns="citation", errors="ignore"), figures)
    return out.assign(citation=pd.Series(cites.to_numpy(), dtype="str"))


CITED = cited(fd.empty(), ft.empty())  # the findings' columns, and the citation


def check_part(part: pd.DataFrame, suite: Suite, within: dict[str, bool] | None) -> pd.DataFrame:
    return cited(check_figures(part, suite, within=within).findings, part)


def compare_part(
    part: pd.DataFrame, suite: Suite, as_of: object, over_time: bool | None, tables: bool = True
) -> Any:
    """One part compared: its tables, findings and counts (``tables``: and what --json and
    the report need besides, :func:`sides`)."""
    c = compare_figures(part, suite, as_of, over_time=over_time)
    return {
        "table": c.table,
        "latest": c.latest,
        "findings": cited(c.incident_findings, part),
        "counts": c.counts(),
        "given": given(c.figures),
        "patterns": pattern_counts(c),
        "keys": keys_of(part),
        **(sides(c) if tables else {}),
    }


def keys_of(part: pd.DataFrame) -> pd.DataFrame:
    """One row per source x incident of a part's figures: the incident compared and the
    source's own key (``own``: its ``source_incident`` where linked), as text. Every
    incident a native JUnit file has test cases for, before linking and after."""
    own = part["source_incident"] if "source_incident" in part else part["incident"]
    keys = pd.DataFrame(
        {
            "source": part["source"].astype("str"),
            "incident": part["incident"].astype("str"),
            "own": own.astype("str"),
        }
    )
    return keys.drop_duplicates(ignore_index=True)


def texts_of(c: Comparison | Series) -> pd.DataFrame:
    """Each compared figure's text as its source published it (what
    :func:`~toolkit.comparing.by_source.by_source` puts in the source's column): its row of
    ``c.table`` (``row``), its ``source`` and ``text``. Long, so that parts with other
    sources give the same columns; :func:`widened` makes the columns."""
    k = c.core.latest
    texts, position = published_texts(c)
    n = len(c.table)
    row_of_group = np.empty(n, dtype=np.int64)
    row_of_group[c.core.rank] = np.arange(n)
    return pd.DataFrame(
        {
            "row": row_of_group[k.group],
            "source": take_names(k.src, c.core.coded.src_names).astype("str"),
            "text": texts.take(position).reset_index(drop=True),
        }
    )


def widened(table: pd.DataFrame, texts: pd.DataFrame, sources: list[str]) -> pd.DataFrame:
    """A part's ``table`` with a column per source of the whole run (``sources``, in name
    order, named as :func:`~toolkit.comparing.by_source.source_columns` names them) from
    its :func:`texts_of`: the native ``by_source`` table of the part, its columns the
    whole run's (a source without a figure in the part has an empty column)."""
    table = table.reset_index(drop=True)
    code = pd.Categorical(texts["source"].astype("str"), categories=sources).codes
    rows = texts["row"].to_numpy(dtype=np.int64)
    said = texts["text"].astype("str").reset_index(drop=True)
    columns = {}
    for i, column in enumerate(source_columns(sources, {str(c) for c in table.columns})):
        cells = pd.Series(pd.array([None] * len(table), dtype="str"), index=table.index)
        at = np.flatnonzero(code == i)
        if len(at):
            cells.iloc[rows[at]] = said.iloc[at].to_numpy()
        columns[column] = cells
    return pd.concat([table, pd.DataFrame(columns, index=table.index)], axis=1)


def sides(c: Comparison) -> dict[str, pd.DataFrame]:
    """What the JSON of a comparison has besides its tables (``texts``: the sources'
    published texts of :func:`texts_of`; ``revisions``: each source's dated figures) and,
    over time, the series' table and texts, episodes and lags."""
    out = {"texts": texts_of(c), "revisions": c.revisions}
    s = c.series
    if s is not None:
        out |= {
            "series": s.table,
            "series_texts": texts_of(s),
            "episodes": s.episodes,
            "lags": s.lags,
            "series_drawn": drawn(s),
        }
    return out


def drawn(s: Series) -> pd.DataFrame:
    """What the report's "Over time" charts may draw of a part's series: each source's
    figures on every date for the part's worst incidents (those of its
    :data:`~toolkit.reporting.htmlparts.MAX_PANELS` series in conflict on the most
    dates, at most as many as a report draws), and each source's first figure (a chart
    colours the sources of the whole run)."""
    from toolkit.reporting.htmlparts import MAX_PANELS
    from toolkit.reporting.series_charts import conflict_dates

    worst = conflict_dates(s).head(MAX_PANELS)
    latest = s.latest
    keep = latest["incident"].isin(worst["incident"]) | ~latest["source"].duplicated()
    return latest[keep].reset_index(drop=True)


def patterns_added(counts: list[tuple[pd.DataFrame, pd.DataFrame]], suite: Suite) -> pd.DataFrame:
    """The parts' pattern counts (:func:`~toolkit.comparing.patterns.pattern_counts`)
    added up: the patterns of the whole run."""
    conflicts = pd.concat([c for c, _ in counts], ignore_index=True)
    explained = pd.concat([e for _, e in counts], ignore_index=True)
    return patterns(*pattern_sums(conflicts, explained), suite)


def given(figures: pd.DataFrame) -> pd.DataFrame:
    """A part's share of the scorecard's figures and incidents per source (each incident
    lies in one part, so the parts' shares add up)."""
    return published(figures).reset_index()


def summed(shares: list[pd.DataFrame]) -> pd.DataFrame:
    """The parts' shares of :func:`given`, added up per source (the index)."""
    if not shares:
        return published(ft.empty())
    both = pd.concat(shares, ignore_index=True)
    out: pd.DataFrame = both.groupby("source").agg(
        figures=("figures", "sum"), incidents=("incidents", "sum")
    )
    return out


def added(parts: list[dict[str, int]]) -> dict[str, int]:
    """Counts by name (statuses, rules' failures) added up over the parts."""
    total: dict[str, int] = {}
    for part in parts:
        for name, n in part.items():
            total[name] = total.get(name, 0) + int(n)
    return total


def kinds_added(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The parts' findings by kind and severity (:func:`kind_severity`), added up."""
    summary = pd.concat(parts, ignore_index=True)
    out: pd.DataFrame = summary.groupby(["kind", "severity"], as_index=False).agg(n=("n", "sum"))
    return out


def get(result: dict[str, Any], name: str) -> Any:
    return result[name]


def worst(findings: pd.DataFrame, n: int) -> pd.DataFrame:
    return fd.sort(findings).head(n)


def kind_severity(findings: pd.DataFrame) -> pd.DataFrame:
    return findings.groupby(["kind", "severity"], observed=True).size().rename("n").reset_index()


OUTPUTS = ("findings", "table", "latest")


def whole(
    path: Path,
    root: Path | None,
    index: int,
    *,
    suite: Suite,
    folder: str,
    as_of: object,
    over_time: bool | None,
    rules: bool,
    tables: bool = True,
) -> dict[str, Any]:
    """One export read, checked and compared, its results written as parts of
    ``folder``/findings, /table and /latest (``tables``: and those of :func:`sides`);
    what comes back is small: the file's report, input findings, incidents and counts."""
    report, figures, problems = read_file(path, root, suite)
    said: dict[str, Any] = {"report": report, "problems": with_citations(problems, figures)}
    if report is None:
        return said
    checked = check_figures(figures, suite).findings if rules else fd.empty()
    c = compare_figures(figures, suite, as_of, over_time=over_time)
    findings = cited(fd.concat([checked, c.incident_findings]), figures)
    written = dict(zip(OUTPUTS, (findings, c.table, c.latest), strict=True))
    written |= sides(c) if tables else {}
    for what, frame in written.items():
        (Path(folder) / what).mkdir(exist_ok=True)
        frame.to_parquet(Path(folder) / what / f"part-{index:06d}.parquet", index=False)
    return said | {
        "keys": keys_of(figures),
        "incidents": incidents(figures),
        "counts": c.counts(),
        "given": given(c.figures),
        "kinds": kind_severity(findings),
        "patterns": pattern_counts(c),
    }


def shared_columns(samples: list[pd.DataFrame]) -> pd.DataFrame:
    """An empty frame of every part's columns: the figures table's, then the exports'
    extra columns typed as the native reader's concatenation types them (``samples``: each
    part's first row of them; a column missing from a part is missing there too, so whole
    numbers become floats, and types that disagree a common one)."""
    meta = ft.empty()
    if not samples:
        return meta
    extra = pd.concat(samples, ignore_index=True).iloc[:0]
    for c in extra.columns:
        meta[c] = extra[c]
    return meta

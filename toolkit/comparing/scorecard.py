"""The source scorecard: per source, over all incidents, how often it is compared, in
conflict or an outlier, how far its figures lie from the others', and how many rule
findings its rows drew."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from toolkit.comparing.result import Comparison


def published(figures: pd.DataFrame) -> pd.DataFrame:
    """Per source (the index): the figures it published (not derived) and its incidents."""
    given = figures if "derived" not in figures else figures[figures["derived"].isna()]
    out: pd.DataFrame = given.groupby("source").agg(
        figures=("measure", "size"), incidents=("incident", "nunique")
    )
    return out


def scorecard(c: Comparison, findings: pd.DataFrame | None) -> pd.DataFrame:
    """Per source, worst first: figures given, incidents, figures compared with another
    source's, outliers, in conflict, rule findings (schema and rule findings of its rows;
    missing where ``findings`` is None: the rules did not run) and the median relative
    distance of its figures from the median of all sources'."""
    per = compared_shares(c.latest)
    per["median_distance"] = compared_of(c.latest).groupby("source")["distance"].median()
    ruled = rule_findings(findings) if findings is not None else None
    return assemble(published(c.figures), per, ruled)


def compared_of(latest: pd.DataFrame) -> pd.DataFrame:
    """The figures compared with another source's (agreeing or in conflict)."""
    out: pd.DataFrame = latest[latest["status"].isin(["agree", "conflict"])]
    return out


def compared_shares(latest: pd.DataFrame) -> pd.DataFrame:
    """Per source (the index): figures compared, outliers, in conflict. Parts of a
    comparison (a dask run's) give shares that add up."""
    compared = compared_of(latest)
    marked = compared.assign(in_conflict=(compared["status"] == "conflict").to_numpy())
    out: pd.DataFrame = marked.groupby("source").agg(
        compared=("measure", "size"), outlier=("outlier", "sum"), in_conflict=("in_conflict", "sum")
    )
    return out


def rule_findings(findings: pd.DataFrame) -> pd.Series:
    """Per source (the index): its schema and rule findings."""
    ruled: pd.Series = findings[findings["kind"].isin(["schema", "rule"])].groupby("source").size()
    return ruled


def assemble(given: pd.DataFrame, per: pd.DataFrame, ruled: pd.Series | None) -> pd.DataFrame:
    """The scorecard from its parts, each indexed by source: ``given`` (figures,
    incidents), ``per`` (compared, outlier, in_conflict, median_distance) and ``ruled``
    (rule findings; None: the rules did not run). Parts computed apart (a dask run's,
    added up over its parts) make the same card."""
    card = given.join(per, how="left")
    if ruled is None:
        card["rule_findings"] = pd.array([pd.NA] * len(card), dtype="Int64")
    else:
        card["rule_findings"] = ruled.reindex(card.index).fillna(0).astype("Int64")
    for col in ("compared", "outlier", "in_conflict"):
        card[col] = card[col].fillna(0).astype("int64")
    card = card.rename(columns={"outlier": "outliers"})
    card = card.rename_axis("source").reset_index()
    card = card.sort_values(
        ["outliers", "rule_findings", "figures", "source"],
        ascending=[False, False, False, True],
        na_position="last",
    )
    card["source"] = card["source"].astype("str")
    return card.reset_index(drop=True)

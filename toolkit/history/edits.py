"""Silent edits: a figure a source published for an incident, measure and report date that
reads otherwise in a later snapshot of its export (another value, qualifier or text).

Figures are matched on the source and its *own* incident key (linking does not change
it), the measure and the report date. Where one key holds several figures (two figures
in one report: a rule finding of its own) their texts are compared as a sorted list.
A figure that appears or disappears is not an edit: exports grow and are cut.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from toolkit.model import findings as fd
from toolkit.model.intervals import interval_column
from toolkit.model.vocabulary import FAMILIES

if TYPE_CHECKING:
    from toolkit.suite import Suite

KEY = ["source", "incident", "measure", "reported_on"]
# what a stored snapshot keeps of each figure
FIGURE_COLUMNS = [
    "source",
    "incident",
    "measure",
    "reported_on",
    "value",
    "low",
    "high",
    "qualifier",
    "figure_text",
    "origin_file",
    "origin_row",
]


def snapshot_frame(figures: pd.DataFrame) -> pd.DataFrame:
    """The figures as a snapshot keeps them: key columns and report dates as text, the
    figure's numbers, qualifier, text and line."""
    out = pd.DataFrame(
        {
            "source": figures["source"].astype("str"),
            "incident": figures["incident"].astype("str"),
            "measure": figures["measure"].astype("str"),
            "reported_on": pd.to_datetime(figures["reported_on"])
            .dt.strftime("%Y-%m-%d")
            .astype("str"),
            "value": figures["value"].astype("float64"),
            "low": figures["low"].astype("float64"),
            "high": figures["high"].astype("float64"),
            "qualifier": figures["qualifier"].astype("str"),
            "figure_text": figures["figure_text"].astype("str"),
            "origin_file": figures["origin_file"].astype("str"),
            "origin_row": figures["origin_row"].astype("Int64"),
        }
    )
    return out.reset_index(drop=True)


def _signature(f: pd.DataFrame) -> pd.Series:
    """Each figure as one comparable text: its numbers, qualifier and text."""
    parts = [f[c].astype("str").fillna("") for c in ("value", "low", "high", "qualifier")]
    text = f["figure_text"].astype("str").fillna("").str.strip()
    signature: pd.Series = parts[0] + "|" + parts[1] + "|" + parts[2] + "|" + parts[3] + "|" + text
    return signature


def _shown(f: pd.DataFrame) -> pd.Series:
    """Each figure as a person reads it: its text as published, else its number."""
    numbers = interval_column(
        f["low"].fillna(f["value"]).to_numpy(dtype="float64", na_value=np.nan),
        f["high"].fillna(f["value"]).to_numpy(dtype="float64", na_value=np.nan),
        f["qualifier"],
    ).set_axis(f.index)
    text = f["figure_text"].astype("str")
    shown: pd.Series = text.where(text.notna() & (text.str.strip() != ""), numbers)
    return shown.fillna("unknown")


def _distinct(f: pd.DataFrame) -> pd.DataFrame:
    """Each key's distinct figures (by signature), with how each reads and where."""
    f = f.assign(_sig=_signature(f), _shown=_shown(f))
    f = f.sort_values([*KEY, "_sig", "origin_file", "origin_row"], kind="stable")
    return f.drop_duplicates([*KEY, "_sig"])[[*KEY, "_sig", "_shown", "origin_file", "origin_row"]]


def _joined(f: pd.DataFrame) -> pd.DataFrame:
    """Per key: its figures' texts joined, and the first one's file and line."""
    return (
        f.groupby(KEY, sort=True, dropna=False)
        .agg(
            shown=("_shown", ", ".join),
            file=("origin_file", "first"),
            row=("origin_row", "first"),
        )
        .reset_index()
    )


def silent_edits(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """The figures of ``after`` that read otherwise in ``before`` (both as
    :func:`snapshot_frame`): a key (source, its own incident key, measure, report date)
    some of whose figures are gone and others have appeared in their place. Per edit its
    key, the figures before and after, and where each was read. A key's figure repeated
    (an export kept beside yesterday's) is no edit, nor is a figure added or dropped."""
    columns = [*KEY, "before", "after", "before_file", "before_row", "after_file", "after_row"]
    empty = pd.DataFrame({c: pd.Series([], dtype="str") for c in columns})
    if before.empty or after.empty:
        return empty
    sources = set(before["source"].dropna()) & set(after["source"].dropna())
    b = _distinct(before[before["source"].isin(sources)])
    a = _distinct(after[after["source"].isin(sources)])
    both = b.merge(a, on=[*KEY, "_sig"], how="outer", indicator=True, suffixes=("_b", "_a"))
    gone = both[both["_merge"] == "left_only"]
    came = both[both["_merge"] == "right_only"]
    if gone.empty or came.empty:
        return empty
    was = _joined(
        gone.rename(
            columns={
                "_shown_b": "_shown",
                "origin_file_b": "origin_file",
                "origin_row_b": "origin_row",
            }
        )
    )
    now = _joined(
        came.rename(
            columns={
                "_shown_a": "_shown",
                "origin_file_a": "origin_file",
                "origin_row_a": "origin_row",
            }
        )
    )
    edited = was.merge(now, on=KEY, suffixes=("_b", "_a"))
    out = pd.DataFrame(
        {
            **{k: edited[k].astype("str") for k in KEY},
            "before": edited["shown_b"].astype("str"),
            "after": edited["shown_a"].astype("str"),
            "before_file": edited["file_b"].astype("str"),
            "before_row": edited["row_b"].astype("Int64"),
            "after_file": edited["file_a"].astype("str"),
            "after_row": edited["row_a"].astype("Int64"),
        }
    )
    return out.sort_values(KEY, kind="stable").reset_index(drop=True)


def edit_findings(edits: pd.DataFrame, suite: Suite, run_id: int) -> pd.DataFrame:
    """One ``silent-edit`` finding per edit, pointing at the figure as it reads now."""
    if edits.empty:
        return fd.empty()
    family = FAMILIES["silent-edit"]
    where_before = (
        edits["before_file"] + ":" + edits["before_row"].astype("str").fillna("?")
    ).astype("str")
    message = (
        edits["source"]
        + " changed its "
        + edits["measure"]
        + " of "
        + edits["incident"]
        + " reported on "
        + edits["reported_on"].fillna("no date")
        + " from "
        + edits["before"]
        + f" (run {run_id}, "
        + where_before
        + ") to "
        + edits["after"]
        + " without a new report date"
    )
    return fd.from_frame(
        pd.DataFrame(
            {
                "kind": family.kind.value,
                "code": family.code,
                "rule": family.title,
                "severity": suite.severity_of(family.code),
                "incident": edits["incident"],
                "source": edits["source"],
                "measure": edits["measure"],
                "reported_on": pd.to_datetime(edits["reported_on"], errors="coerce"),
                "origin_file": edits["after_file"],
                "origin_row": edits["after_row"],
                "column": "figure_text",
                "observed": edits["after"],
                "expected": ("as published before: " + edits["before"]).astype("str"),
                "message": message.astype("str"),
            }
        )
    )

"""Patterns across incidents: which explanation holds for most of one source's conflicts.

For each source and measure, its conflicts (the incidents where its figure is questioned)
are counted, and for each reading of an explanation (``includes killed.perpetrators``,
``equals killed``, a lag) how many it explains. Where one reading explains at least
``compare.pattern_share`` of at least ``compare.pattern_min`` conflicts, a source-level
finding (``systematic-definition``, ``systematic-lag``) says so and names the suite change
that would encode it. The counts add up: comparisons of parts of the incidents (a dask
run's) give the same findings once summed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from toolkit.columnar import DAY_US, take_names
from toolkit.comparing.explaining import DEFINITION, TIMING
from toolkit.comparing.findings import base_columns
from toolkit.comparing.result import compared_on
from toolkit.model import findings as fd
from toolkit.model.vocabulary import EXPLANATIONS

if TYPE_CHECKING:
    from toolkit.comparing.result import Comparison
    from toolkit.suite import Suite

EXPLAINED_COLUMNS = ("source", "measure", "explanation", "reading", "instead")
_NONE = ""  # a reading with no measure to read it as (missing values do not group)


def pattern_counts(c: Comparison) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two additive tables. Per source and measure: its conflicts (``conflicts``: groups
    where its figure is questioned) and its figures compared with another source's
    (``compared``). Per source, measure, explanation, reading and the measure it implies
    (``instead``, "" for none): how many conflicts it explains (``explained``) and the
    days of lag summed (``lag_days``: how far apart the stages compared are) and the days
    its figures were older than their conflict's newest, summed (``age_days``; timing
    only)."""
    k, coded, e = c.core.latest, c.core.coded, c.explained
    compared = c.core.groups.status[k.group] < 2  # conflict or agree
    compared &= ~k.stale
    per = pd.DataFrame({"src": k.src[compared], "mea": k.g_mea[k.group[compared]]}).value_counts()
    shares = per.rename("compared").to_frame()
    if e is not None and len(e.figure):
        asked = pd.DataFrame({"src": k.src[e.figure], "mea": k.g_mea[k.group[e.figure]]})
        shares = shares.join(asked.value_counts().rename("conflicts"), how="left")
    else:
        shares["conflicts"] = 0
    shares = shares.fillna(0).astype("int64").reset_index()
    conflicts = pd.DataFrame(
        {
            "source": take_names(shares["src"].to_numpy(), coded.src_names),
            "measure": take_names(shares["mea"].to_numpy(), coded.mea_names),
            "conflicts": shares["conflicts"].to_numpy(),
            "compared": shares["compared"].to_numpy(),
        }
    )
    if e is None or not len(e.figure):
        return conflicts, _no_explained()
    code = e.figure_code[e.at]
    kept = np.isin(code, [DEFINITION, TIMING])
    if not kept.any():
        return conflicts, _no_explained()
    at = e.figure[e.at[kept]]
    code = code[kept]
    reading = np.where(code == TIMING, "lag", e.reading[kept]).astype(object)
    instead = np.array([_NONE if x is None else x for x in e.instead[kept]], dtype=object)
    rows = pd.DataFrame(
        {
            "source": take_names(k.src[at], coded.src_names),
            "measure": take_names(k.g_mea[k.group[at]], coded.mea_names),
            "explanation": pd.Series(np.array(EXPLANATIONS, dtype=object)[code], dtype="str"),
            "reading": pd.Series(reading, dtype="str"),
            "instead": pd.Series(instead, dtype="str"),
            "lag_days": np.nan_to_num(e.lag_days[kept]),
            "age_days": np.where(
                code == TIMING,
                (compared_on(k).view(np.int64)[k.group[at]] - k.day[at]) / float(DAY_US),
                0.0,
            ),
        }
    )
    explained = (
        rows.groupby(list(EXPLAINED_COLUMNS), observed=True)
        .agg(
            explained=("lag_days", "size"),
            lag_days=("lag_days", "sum"),
            age_days=("age_days", "sum"),
        )
        .reset_index()
    )
    return conflicts, explained


def _no_explained() -> pd.DataFrame:
    return pd.DataFrame(
        {
            **{col: pd.Series([], dtype="str") for col in EXPLAINED_COLUMNS},
            "explained": pd.Series([], dtype="int64"),
            "lag_days": pd.Series([], dtype="float64"),
            "age_days": pd.Series([], dtype="float64"),
        }
    )


def summed(conflicts: pd.DataFrame, explained: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts of parts (:func:`pattern_counts` of each, concatenated) added up."""
    c = conflicts.groupby(["source", "measure"], as_index=False)[["conflicts", "compared"]].sum()
    if explained.empty:
        return c, _no_explained()
    e = explained.groupby(list(EXPLAINED_COLUMNS), as_index=False)[
        ["explained", "lag_days", "age_days"]
    ].sum()
    return c, e


def patterns(conflicts: pd.DataFrame, explained: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """Per source, measure and reading: conflicts, how many the reading explains and its
    share, whether that is a pattern (at least ``pattern_share`` of at least
    ``pattern_min`` conflicts), and the words of a finding. Most explained first."""
    settings = suite.compare
    table = explained.merge(conflicts, on=["source", "measure"], how="left")
    table["share"] = table["explained"] / table["conflicts"].where(table["conflicts"] > 0)
    table["pattern"] = (table["conflicts"] >= settings.pattern_min) & (
        table["share"] >= settings.pattern_share - 1e-12
    )
    table["lag_days"] = table["lag_days"] / table["explained"]
    table["age_days"] = table["age_days"] / table["explained"]
    table = table.sort_values(
        ["pattern", "explained", "source", "measure", "reading"],
        ascending=[False, False, True, True, True],
    ).reset_index(drop=True)
    table["message"] = pd.Series(
        [_message(r, settings.window_days) for r in table.itertuples(index=False)], dtype="str"
    )
    return table


def pattern_findings(table: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """A source-level finding per pattern of :func:`patterns`."""
    found = table[table["pattern"]].reset_index(drop=True)
    if found.empty:
        return fd.empty()
    code = np.where(found["explanation"] == "timing", "systematic-lag", "systematic-definition")
    parts = []
    for family in ("systematic-definition", "systematic-lag"):
        rows = found[code == family].reset_index(drop=True)
        if rows.empty:
            continue
        where = rows.assign(
            incident=pd.Series([None] * len(rows), dtype="str"),
            reported_on=pd.Series([pd.NaT] * len(rows), dtype="datetime64[us]"),
            origin_file=pd.Series([None] * len(rows), dtype="str"),
            origin_row=pd.array([None] * len(rows), dtype="Int64"),
        )
        parts.append(
            pd.DataFrame(
                {
                    **base_columns(where, family, suite),
                    "column": "measure",
                    "observed": (
                        rows["explained"].astype("str") + " of " + rows["conflicts"].astype("str")
                    ).array,
                    "expected": (
                        f"under {suite.compare.pattern_share:.0%} of a source's conflicts"
                    ),
                    "message": rows["message"].array,
                    "explanation": rows["explanation"].array,
                    "evidence": rows["reading"].array,
                }
            )
        )
    return fd.concat(fd.from_frame(p) for p in parts)


def _message(r: Any, window_days: float) -> str:
    """The words of a pattern: what holds, in how many conflicts, and the suite change."""
    source, measure = r.source, r.measure
    reading, instead = str(r.reading), str(r.instead)
    count = f"in {r.explained} of its {r.conflicts} conflicts ({r.compared} figures compared)"
    if r.explanation == "timing":
        days, age = float(r.lag_days), float(r.age_days)
        said = (
            f"{source}'s {measure} figures are the others' at another stage of a developing "
            f"toll {count}, {days:.1f} days apart on average: it lags. Compare over time "
            "(compare: {over_time: true}) to follow its lag"
        )
        if 1 <= age < window_days:  # its figures are older than the others': stale sooner
            said += (
                f"; with compare.window_days under {age:.0f} (now {window_days:g}) its older "
                "figures count as lower bounds"
            )
        return said
    how, _, other = reading.partition(" ")
    if how == "includes":
        what = f"equal the others' {measure} + {other}"
    elif how == "omits":
        what = f"equal the others' {measure} without {other}"
    else:
        what = f"equal the others' {other}"
    said = f"{source}'s {measure} figures {what} {count}"
    if instead:
        return said + (f": in {source}'s profile, map the figure read as {measure} to {instead}")
    return said + (
        f": no measure of the taxonomy is that sum; add one (a partition of {measure} and "
        f"{other}) and map {source}'s figure to it"
    )

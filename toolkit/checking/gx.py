"""The Great Expectations engine: the one module that imports GX (lazily, on first use).

Rules GX has (column pair A > B, values between) run as GX's own expectations. Rules it
lacks run as custom MulticolumnMapExpectations registered through GX's public API, each
with a pandas metric written here independently of the native engine (plain groupby and
merge), so that GX is the reference the native engine is tested against.
"""

from __future__ import annotations

import itertools
import json
import warnings
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from toolkit.checking.native import Outcome
from toolkit.checking.rules import Rule, to_gx_suite
from toolkit.checking.views import LINE, Views
from toolkit.errors import RuleError

_REPORT = ["incident", "source", "reported_on", "one_incident"]
_SERIES = ["incident", "source", "measure", "one_incident"]


def _keyed(df: pd.DataFrame) -> pd.DataFrame:
    """Missing key parts become one shared value, so they group together (as in native);
    a key that names several incidents is told apart by ``one_incident``."""
    out = df.copy()
    if "one_incident" not in out:
        out["one_incident"] = 0
    for c in ("incident", "source", "measure"):
        out[c] = out[c].astype("str").fillna("\x00")
    out["reported_on"] = out["reported_on"].fillna(np.datetime64("0001-01-01", "us"))
    return out


def _loosest(df: pd.DataFrame, measure: str, keys: list[str]) -> pd.DataFrame:
    rows = df[df["measure"] == measure]
    return rows.groupby(keys)[["lo", "hi"]].agg({"lo": "min", "hi": "max"})


def _m_within_bounds(df: pd.DataFrame) -> pd.Series:
    given = df["qualifier"].isin(["exact", "range"])
    v, lo, hi = (df[c].astype("float64") for c in ("value", "low", "high"))
    bad = (lo > v) | (v > hi) | (lo > hi)
    return ~(given & bad.fillna(False))


def _m_not_above_parent(df: pd.DataFrame, child: str, parent: str) -> pd.Series:
    k = _keyed(df)
    parents = _loosest(k, parent, _REPORT)["hi"].rename("parent_hi")
    joined = k.join(parents, on=_REPORT)
    bad = (joined["measure"] == child) & (joined["lo"] > joined["parent_hi"])
    return ~bad


def _parts(k: pd.DataFrame, parts: list[str], bound: str) -> pd.DataFrame:
    per = [_loosest(k, p, _REPORT)[bound].rename(p) for p in parts]
    table = pd.concat(per, axis=1)
    return pd.DataFrame(
        {"total": table.sum(axis=1, min_count=1), "count": table.notna().sum(axis=1)}
    )


def _m_parts_not_above_whole(df: pd.DataFrame, whole: str, parts: list[str]) -> pd.Series:
    k = _keyed(df)
    joined = k.join(_parts(k, parts, "lo"), on=_REPORT)
    bad = (joined["measure"] == whole) & (joined["total"] > joined["hi"])
    return ~bad


def _m_parts_equal_whole(df: pd.DataFrame, whole: str, parts: list[str]) -> pd.Series:
    k = _keyed(df)
    lo = _parts(k, parts, "lo")
    hi = _parts(k, parts, "hi")
    joined = k.join(lo.add_prefix("lo_"), on=_REPORT).join(hi.add_prefix("hi_"), on=_REPORT)
    complete = joined["lo_count"] == len(parts)
    apart = (joined["lo_total"] > joined["hi"]) | (joined["hi_total"] < joined["lo"])
    return ~((joined["measure"] == whole) & complete & apart)


def _m_cumulative_not_to_drop(df: pd.DataFrame, measure: str) -> pd.Series:
    rows = df[(df["measure"] == measure) & df["reported_on"].notna()]
    k = _keyed(rows)
    days = k.groupby([*_SERIES, "reported_on"])["lo"].max().reset_index()
    # each day held to the last earlier day of the series that gave a known low bound
    groups = [days[c] for c in _SERIES]
    days["earlier"] = days["lo"].groupby(groups).shift(1)
    days["earlier"] = days["earlier"].groupby(groups).ffill()
    joined = k.reset_index().merge(days.drop(columns="lo"), on=[*_SERIES, "reported_on"])
    limit = joined.set_index("index")["earlier"]
    bad = pd.Series(False, index=df.index)
    bad.loc[limit.index] = (k["hi"] < limit).to_numpy()
    return ~bad


def _m_one_incident_per_key(df: pd.DataFrame) -> pd.Series:
    bad = df["one_incident"] > 0  # computed once per run: Views.runs
    if bad.any():  # one figure a line: the line is the finding
        bad &= ~df.duplicated(LINE)
    return ~bad


def _m_one_figure_per_report(df: pd.DataFrame) -> pd.Series:
    k = _keyed(df).assign(lo=df["lo"].fillna(-1.0), hi=df["hi"].fillna(-1.0))
    distinct = k.groupby([*_REPORT, "measure"])[["lo", "hi"]].transform("nunique")
    return ~((distinct["lo"] > 1) | (distinct["hi"] > 1))


def _m_increment(df: pd.DataFrame, measure: str, of: str) -> pd.Series:
    k = _keyed(df)
    cum = k[(k["measure"] == of) & df["value"].notna() & df["reported_on"].notna()]
    cum = cum.assign(value=cum["value"].astype("float64"))
    per_day = cum.groupby(["incident", "source", "reported_on"])["value"].max().reset_index()
    per_day = per_day.sort_values(["incident", "source", "reported_on"])
    per_day["change"] = per_day.groupby(["incident", "source"])["value"].diff()
    new = k.reset_index().merge(
        per_day.drop(columns="value"), on=["incident", "source", "reported_on"], how="left"
    )
    new = new.set_index("index").reindex(k.index)
    value = df["value"].astype("float64")
    bad = (
        (k["measure"] == measure) & new["change"].notna() & value.notna() & (value != new["change"])
    )
    return ~bad


_METRICS: dict[str, tuple[Callable[..., pd.Series], tuple[str, ...]]] = {
    "expect_figure_within_bounds": (_m_within_bounds, ()),
    "expect_figure_not_above_parent": (_m_not_above_parent, ("child", "parent")),
    "expect_parts_not_above_whole": (_m_parts_not_above_whole, ("whole", "parts")),
    "expect_parts_to_equal_whole": (_m_parts_equal_whole, ("whole", "parts")),
    "expect_cumulative_figure_not_to_drop": (_m_cumulative_not_to_drop, ("measure",)),
    "expect_one_figure_per_report": (_m_one_figure_per_report, ()),
    "expect_one_incident_per_key": (_m_one_incident_per_key, ()),
    "expect_increment_to_match_cumulative": (_m_increment, ("measure", "of")),
}


@cache
def _gx() -> Any:
    """Import GX once, quietly, and register the custom expectations."""
    with warnings.catch_warnings():
        # GX imports the deprecated sre_constants and sre_parse modules on Python 3.11.
        warnings.filterwarnings(
            "ignore",
            message="module 'sre_(constants|parse)' is deprecated",
            category=DeprecationWarning,
        )
        import great_expectations as gx
        from great_expectations.execution_engine.pandas_execution_engine import (
            PandasExecutionEngine,
        )
        from great_expectations.expectations.expectation import MulticolumnMapExpectation
        from great_expectations.expectations.metrics.map_metric_provider.multicolumn_condition_partial import (  # noqa: E501
            multicolumn_condition_partial,
        )
        from great_expectations.expectations.metrics.map_metric_provider.multicolumn_map_metric_provider import (  # noqa: E501
            MulticolumnMapMetricProvider,
        )
    for expectation_type, (func, keys) in _METRICS.items():
        metric = "crosscheck." + expectation_type.removeprefix("expect_")

        def condition(
            cls: Any,
            column_list: pd.DataFrame,
            _f: Callable[..., pd.Series] = func,
            _k: tuple[str, ...] = keys,
            **kwargs: Any,
        ) -> pd.Series:
            return _f(column_list, **{k: kwargs[k] for k in _k})

        type(  # a MetricProvider registers its metric when the class is created
            "Metric_" + expectation_type,
            (MulticolumnMapMetricProvider,),
            {
                "condition_metric_name": metric,
                "condition_domain_keys": (
                    "batch_id",
                    "table",
                    "column_list",
                    "row_condition",
                    "condition_parser",
                    "ignore_row_if",
                ),
                "condition_value_keys": keys,
                "_pandas": multicolumn_condition_partial(engine=PandasExecutionEngine)(condition),
            },
        )
        annotations = {k: Any for k in keys}
        type(
            "".join(w.title() for w in expectation_type.split("_")),
            (MulticolumnMapExpectation,),
            {
                "__annotations__": annotations,
                "map_metric": metric,
                "success_keys": (*keys, "mostly"),
                "__module__": __name__,
            },
        )
    return gx


@cache
def _context() -> Any:
    """One ephemeral (in-memory, nothing written) context per process, progress bars off."""
    context = _gx().get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    return context


_runs = itertools.count()


def _batch(frame: pd.DataFrame) -> Any:
    """A batch of its own for each run: GX caches metrics by batch, so a reused batch
    definition would answer for an earlier frame."""
    name = f"crosscheck-{next(_runs)}"
    asset = _context().data_sources.add_pandas(name).add_dataframe_asset("figures")
    return asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": frame}
    )


def _raised(info: Any) -> str | None:
    """The message of an exception GX caught, at the top level or per metric."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        found = _raised(value)
        if found is not None:
            return found
    return None


def _dates_as_parameters(kwargs: dict[str, Any], prefix: str, values: dict[str, Any]) -> None:
    """Date bounds written as ISO text become suite parameters holding datetimes: GX would
    read the text as a date, which it cannot compare with a column of datetimes (the
    native engine compares them as datetimes too)."""
    for key in ("min_value", "max_value"):
        bound = kwargs.get(key)
        if isinstance(bound, str):
            values[f"{prefix}_{key}"] = datetime.fromisoformat(bound)
            kwargs[key] = {"$PARAMETER": f"{prefix}_{key}"}


def _suite(gx: Any, document: dict[str, Any], rules: list[Rule] | tuple[Rule, ...]) -> Any:
    """GX's ExpectationSuite of ``document``; an expectation GX refuses is a RuleError
    naming its rule (found by building each alone), never GX's traceback."""
    try:
        return gx.ExpectationSuite(**document)
    except Exception as exc:  # GX raises pydantic's and its own errors: name the rule
        for rule, expectation in zip(rules, document["expectations"], strict=True):
            try:
                gx.ExpectationSuite(name="one", expectations=[expectation])
            except Exception as alone:
                raise RuleError(rule.name, f"Great Expectations refused it: {alone}") from None
        raise RuleError(rules[0].name, f"Great Expectations refused the suite: {exc}") from None


def run(
    views: Views, rules: list[Rule] | tuple[Rule, ...], parameters: dict[str, Any]
) -> list[Outcome]:
    """Run ``rules`` in an ephemeral GX context; one outcome per rule, in order."""
    gx = _gx()
    # every column: hand-written rules may name any of them
    frame = views.figures.assign(lo=views.lo, hi=views.hi).reset_index(drop=True)
    # which incident of a key that names several each row is (0 elsewhere), computed once
    # and handed to the custom expectations as a column, like the intervals
    frame["one_incident"] = views.runs
    for column in frame.columns:  # GX's comparisons cannot take pd.NA: nullable numbers
        dtype = frame[column].dtype  # as floats, NaN where missing, as the native engine
        if isinstance(dtype, pd.api.extensions.ExtensionDtype) and is_numeric_dtype(dtype):
            frame[column] = frame[column].astype("float64")
    batch = _batch(frame)
    # GX loads the suite from its JSON form, exactly as a file in expectations/ would be;
    # GX may reorder results, so each expectation carries its rule's position.
    document = to_gx_suite(rules, "crosscheck")
    values = {k: v for k, v in parameters.items() if v is not None}
    for i, expectation in enumerate(document["expectations"]):
        expectation["meta"]["position"] = i
        _dates_as_parameters(expectation["kwargs"], f"crosscheck_{i}", values)
    suite = _suite(gx, json.loads(json.dumps(document)), rules)
    if len(suite.expectations) != len(rules):  # GX drops invalid ones with a log line
        kept = {str(e.meta.get("rule")) for e in suite.expectations}
        refused = [r.name for r in rules if r.name not in kept] or [rules[0].name]
        raise RuleError(refused[0], "Great Expectations refused this expectation")
    result = batch.validate(
        suite,
        result_format={"result_format": "COMPLETE"},
        expectation_parameters=values,
    )
    outcomes: list[Outcome | None] = [None] * len(rules)
    n = len(frame)
    for r in result.results:
        problem = _raised(r.exception_info)
        if problem is not None:  # never read a failed computation as "nothing failed"
            rule = rules[int(r.expectation_config.meta["position"])]
            raise RuleError(rule.name, f"Great Expectations failed on it: {problem}")
        fail = np.zeros(n, dtype=bool)
        fail[np.asarray(r.result.get("unexpected_index_list") or [], dtype=np.int64)] = True
        outcomes[int(r.expectation_config.meta["position"])] = Outcome(fail, np.ones(n, dtype=bool))
    for rule, o in zip(rules, outcomes, strict=True):
        if o is None:
            raise RuleError(rule.name, "Great Expectations returned no result for it")
    return [o for o in outcomes if o is not None]

"""Charts of a suite's history (matplotlib, Agg; imported only when a chart is drawn): the
findings by severity per run, and each source's silent edits per run.

Both take the tables a run's history hands over (``History.trends`` and
``History.edits_by_source``: a ``run`` column of run ids as text, ``"this run"`` last), so
this module never imports the history. At most :data:`MAX_RUNS` runs are drawn (the last
ones) and :data:`MAX_SOURCES` sources (those with the most edits; the others summed), so a
history of thousands of runs still draws a chart of a few dozen kilobytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from toolkit.reporting.charts import _figure, short

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# The last runs drawn, and the sources drawn one line each (the rest as "other sources").
MAX_RUNS = 60
MAX_SOURCES = 8
OTHERS = "other sources"
# Severity colours of the report's page (its CSS variables).
SEVERITY_COLOURS = {"errors": "#b3261e", "warnings": "#e69f00", "infos": "#1d5f8a"}
# Okabe-Ito, colour-blind safe, then grey for the other sources.
SOURCE_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]


def last_runs(runs: list[str]) -> list[str]:
    """The runs a chart draws: the last :data:`MAX_RUNS`.

    >>> last_runs([str(i) for i in range(100)])[:2], len(last_runs(["1", "this run"]))
    (['40', '41'], 2)
    """
    return runs[-MAX_RUNS:]


def _run_axis(ax: Axes, runs: list[str]) -> None:
    x = np.arange(len(runs))
    step = max(1, len(runs) // 20)  # at most about 20 labels
    labels = [r if k % step == 0 or k == len(runs) - 1 else "" for k, r in enumerate(runs)]
    ax.set_xticks(x, labels, fontsize=8, rotation=0 if len(runs) <= 12 else 90)
    ax.set_xlabel("run", fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="y", color="#dddddd", lw=0.5)
    ax.set_axisbelow(True)


def severity_trend_chart(trends: pd.DataFrame) -> Figure:
    """Findings per run as stacked bars: errors at the bottom, then warnings, then infos;
    one bar per run (the last :data:`MAX_RUNS`), this run last."""
    runs = last_runs([str(r) for r in trends["run"]])
    shown = trends.tail(len(runs))
    fig = _figure(7.5, 2.8)
    ax = fig.subplots()
    x = np.arange(len(runs))
    bottom = np.zeros(len(runs))
    for column, colour in SEVERITY_COLOURS.items():
        counts = shown[column].to_numpy(dtype=float)
        bars = ax.bar(x, counts, bottom=bottom, color=colour, width=0.7, label=column)
        for k, bar in enumerate(bars):
            bar.set_gid(f"{column}-{k}")  # the SVG's <g id="errors-0">: one a run
        bottom += counts
    _run_axis(ax, runs)
    ax.set_ylabel("findings", fontsize=8)
    ax.legend(fontsize=8, frameon=False, loc="upper left", ncols=3)
    ax.set_ylim(0, max(float(bottom.max()) if len(bottom) else 0.0, 1.0) * 1.25)
    ax.set_title("Findings by severity per run", fontsize=10, loc="left")
    return fig


def edits_table(by_source: pd.DataFrame, runs: list[str]) -> pd.DataFrame:
    """Silent edits as a run x source table over ``runs`` (0 where a run had none): the
    :data:`MAX_SOURCES` sources with the most edits (ties by name), the rest summed as
    :data:`OTHERS`; columns in that order."""
    table = (
        by_source.assign(run=by_source["run"].astype("str"), edits=by_source["edits"].astype(int))
        .pivot_table(index="run", columns="source", values="edits", aggfunc="sum", fill_value=0)
        .reindex(runs, fill_value=0)
    )
    if table.shape[1] == 0:
        return pd.DataFrame(index=pd.Index(runs, name="run"))
    totals = table.sum().reset_index(name="total")
    totals = totals.sort_values(["total", "source"], ascending=[False, True], kind="stable")
    order = [str(s) for s in totals["source"]]
    keep = order[: MAX_SOURCES - 1] if len(order) > MAX_SOURCES else order
    out = table[keep].copy()
    rest = [s for s in order if s not in keep]
    if rest:
        out[OTHERS] = table[rest].sum(axis=1)
    return out.astype(int)


def edits_trend_chart(by_source: pd.DataFrame, runs: list[str]) -> Figure:
    """Each source's silent edits per run (``runs``: the runs of the trend, this run
    last; the last :data:`MAX_RUNS` drawn) as a line with a marker a run, 0 where a run
    saw none of its edits."""
    runs = last_runs([str(r) for r in runs])
    table = edits_table(by_source, runs)
    fig = _figure(7.5, 2.8)
    ax = fig.subplots()
    x = np.arange(len(runs))
    for k, source in enumerate(table.columns):
        colour = "#7f7f7f" if source == OTHERS else SOURCE_COLOURS[k % len(SOURCE_COLOURS)]
        ax.plot(
            x,
            table[source].to_numpy(dtype=float),
            "-o",
            color=colour,
            lw=1.5,
            ms=4,
            label=short(source, 32),
            gid=f"edits-{k}",  # the SVG's <g id="edits-0">: one a source
        )
    _run_axis(ax, runs)
    ax.set_ylabel("silent edits", fontsize=8)
    top = float(table.to_numpy().max()) if table.size else 0.0
    ax.set_ylim(-0.05 * max(top, 1.0), max(top, 1.0) * 1.3)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if len(table.columns):
        ax.legend(fontsize=8, frameon=False, loc="upper left", ncols=2)
    ax.set_title("Silent edits per source and run", fontsize=10, loc="left")
    return fig

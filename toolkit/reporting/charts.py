"""Charts of a comparison (matplotlib, Agg backend; imported only when a chart is drawn).

Every chart is built from the comparison's tables, never from pixels: tests read back the
artists (their labels, positions and colours) to check what a chart shows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from toolkit.errors import NotFound, did_you_mean

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from toolkit.comparing import Comparison

# Colour by status (colour-blind safe: Okabe-Ito), and the consensus band.
COLOURS = {
    "outlier": "#D55E00",
    "conflict": "#E69F00",
    "agree": "#0072B2",
    "single": "#7f7f7f",
    "stale": "#bbbbbb",
}
BAND = "#009E73"


def short(name: object, most: int = 48) -> str:
    r"""A name as a chart label: cut to ``most`` characters with an ellipsis (a name of
    hundreds of characters would squeeze the plot to nothing; the page gives it whole).
    A ``$`` is escaped: matplotlib would read ``$…$`` as mathematics (and fail on a name
    that is not).

    >>> short("inc-" + "x" * 100, 10)
    'inc-xxxxx…'
    >>> short("costs $5")
    'costs \\$5'
    """
    text = str(name)
    text = text if len(text) <= most else text[: most - 1] + "…"
    return text.replace("$", r"\$")


def _figure(
    width: float, height: float, layout: Literal["constrained"] | None = "constrained"
) -> Figure:
    # The object-oriented API with no pyplot: no global state, no GUI backend, thread-safe.
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout=layout)


def contested_measures(latest: pd.DataFrame) -> list[str]:
    """Of one incident's compared figures, the measures more than one figure is shown for
    (a stale one beside a single current one makes a conflict too: a toll that went
    down); all its measures where there is none."""
    counts = latest.groupby("measure", sort=False).size()
    return [str(m) for m in counts[counts > 1].index] or [str(m) for m in counts.index]


def incident_chart(
    comparison: Comparison, incident: str, measures: list[str] | None = None
) -> Figure:
    """Each measure of one incident in its own panel: a row per source, a point for the
    figure, whiskers for its interval (an arrow where it is open, "at least"), the
    consensus interval shaded, colour by status (outliers stand out)."""
    latest = comparison.latest[comparison.latest["incident"] == incident]
    if latest.empty:
        known = comparison.table["incident"].unique()
        raise NotFound(
            f"no compared figures for incident {incident!r}." + did_you_mean(incident, known)
        )
    table = comparison.table[comparison.table["incident"] == incident].set_index("measure")
    order = [m for m in table.index if measures is None or m in measures]
    if not order:
        raise NotFound(
            f"incident {incident!r} has none of the measures {measures}; it has "
            + ", ".join(map(str, table.index))
        )
    heights = [0.3 * int((latest["measure"] == m).sum()) + 0.2 for m in order]  # inches
    gap, top, bottom = 0.62, 0.55, 0.35
    height = top + bottom + sum(heights) + gap * (len(order) - 1)
    # Margins computed from the labels, not by constrained layout: as good here, and
    # several times faster when a report draws dozens of charts.
    label = max((len(short(s)) for s in latest["source"]), default=10)
    fig = _figure(7.5, height, layout=None)
    fig.subplots_adjust(
        left=min(0.45, 0.04 + 0.0125 * label),
        right=0.88,
        top=1 - top / height,
        bottom=bottom / height,
        hspace=gap / (sum(heights) / len(order)),
    )
    axes = fig.subplots(len(order), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, measure in zip(axes, order, strict=True):
        _measure_panel(ax, latest[latest["measure"] == measure], table.loc[measure])
    fig.suptitle(short(incident, 90), fontsize=11, x=0.01, ha="left")
    return fig


def _status_of(row: Mapping[Any, Any]) -> str:
    if bool(row["outlier"]):
        return "outlier"
    return str(row["status"])


def _measure_panel(ax: Axes, figures: pd.DataFrame, summary: pd.Series) -> None:
    from matplotlib.ticker import MaxNLocator

    figures = figures.sort_values("source")
    lo = figures["low"].to_numpy(dtype=float)
    hi = figures["high"].to_numpy(dtype=float)
    point = figures["value"].to_numpy(dtype=float, na_value=np.nan)
    point = np.where(np.isnan(point), lo, point)
    finite = np.r_[lo, hi[np.isfinite(hi)], point]
    top = float(np.nanmax(finite)) if len(finite) else 1.0
    right = max(top * 1.25, 1.0)
    c_lo, c_hi = summary["consensus_low"], summary["consensus_high"]
    if int(summary["sources"]) > 1 and not math.isnan(c_lo):
        if c_lo == c_hi:  # a single point: a line, since a band would have no width
            ax.axvline(c_lo, color=BAND, alpha=0.5, lw=3, label="consensus")
        else:
            ax.axvspan(c_lo, min(c_hi, right), color=BAND, alpha=0.15, lw=0, label="consensus")
    rows = figures.to_dict("records")
    statuses = [_status_of(r) for r in rows]
    colours = [COLOURS.get(status, COLOURS["single"]) for status in statuses]
    y = np.arange(len(rows))
    # intervals: one collection; open ends ("at least"): an arrowhead marker at the edge
    ax.hlines(y, lo, np.minimum(hi, right), colors=colours, lw=2, gid="intervals")
    open_ = np.isinf(hi)
    if open_.any():
        ax.scatter(
            np.full(int(open_.sum()), right),
            y[open_],
            marker=">",
            s=36,
            c=[c for c, o in zip(colours, open_, strict=True) if o],
            gid="open",
            zorder=3,
            clip_on=False,
        )
    for k, (row, p, status) in enumerate(zip(rows, point, statuses, strict=True)):
        ax.plot(
            [p],
            [k],
            "o",
            color=colours[k],
            ms=7,
            label=f"{short(row['source'])}: {row['shown']}",
            gid=status,
        )
        ax.text(right, k, f"   {row['shown']}", va="center", fontsize=8, clip_on=False)
    ax.set_yticks(range(len(figures)), [short(s) for s in figures["source"]], fontsize=8)
    ax.set_ylim(-0.7, len(figures) - 0.3)
    ax.set_xlim(0, right)
    far = ", figures far apart" if bool(summary.get("wide_spread", False)) else ""
    ax.set_title(f"{short(summary.name)} — {summary['status']}{far}", fontsize=9, loc="left")
    ax.tick_params(axis="x", labelsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
    ax.grid(axis="x", color="#dddddd", lw=0.5)


MARKED = 60  # a source's dates marked in a revision chart, at most


def revision_chart(comparison: Comparison, incident: str, measure: str) -> Figure:
    """Each source's figure for one incident and measure over the dates it was reported:
    a line per source, each date marked (open, "at least" figures hollow) where the source
    gives at most ``MARKED`` dates."""
    rev = comparison.revisions
    rev = rev[(rev["incident"] == incident) & (rev["measure"] == measure)]
    if rev.empty:
        raise NotFound(f"no dated figures for {incident!r} / {measure!r}")
    fig = _figure(7.5, 3.2)
    ax = fig.subplots()
    palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
    for k, (source, series) in enumerate(rev.groupby("source", sort=True)):
        colour = palette[k % len(palette)]
        dates = series["reported_on"].to_numpy()
        values = series["value"].to_numpy(dtype=float)
        ax.plot(dates, values, "-", color=colour, lw=1.5, label=short(source))
        if len(dates) > MARKED:  # a marker a date would make a long series' chart heavy
            continue
        open_ = ~np.isfinite(series["high"].to_numpy(dtype=float))
        ax.plot(dates[~open_], values[~open_], "o", color=colour, ms=6)
        ax.plot(dates[open_], values[open_], "o", mfc="white", color=colour, ms=6)
    ax.set_title(f"{short(incident)} — {short(measure)} as reported", fontsize=10, loc="left")
    ax.legend(fontsize=8, frameon=False)
    ax.tick_params(labelsize=8)
    ax.grid(color="#dddddd", lw=0.5)
    _date_axis(ax, rev["reported_on"])
    return fig


def _date_axis(ax: Axes, dates: pd.Series) -> None:
    """Ticks at distinct dates, each labelled once: whole days when the series spans a
    few (a locator left to itself ticks every few hours there, and a date-only format
    repeats the day on each), else matplotlib's automatic ones; labels concise (the year
    and month said once, in the offset, where they do not change)."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, DayLocator, date2num

    days = pd.to_datetime(dates).dropna()
    locator: Any = AutoDateLocator(minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
    if len(days) and (days.max() - days.min()) <= pd.Timedelta(days=10):
        locator = DayLocator()  # type: ignore[no-untyped-call]
        lo, hi = date2num(days.min()), date2num(days.max())  # type: ignore[no-untyped-call]
        ax.set_xlim(lo - 0.5, hi + 0.5)  # a single date still gets its tick
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def scorecard_chart(scorecard: pd.DataFrame) -> Figure:
    """Per source: figures compared, times an outlier and rule findings, as bars."""
    card = scorecard.head(25).iloc[::-1]
    fig = _figure(7.5, 0.8 + 0.3 * len(card))
    ax = fig.subplots()
    y = np.arange(len(card))
    ax.barh(y - 0.2, card["compared"], height=0.4, color=COLOURS["agree"], label="compared")
    ax.barh(y + 0.2, card["outliers"], height=0.4, color=COLOURS["outlier"], label="outlier")
    ax.plot(card["rule_findings"], y, "D", color="#000000", ms=4, label="rule findings")
    ax.set_yticks(y, [short(s) for s in card["source"]], fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.set_title("Sources: figures compared, outliers, rule findings", fontsize=10, loc="left")
    return fig


def svg(fig: Figure) -> bytes:
    """The figure as SVG (text kept as text, no external fonts or images)."""
    import io

    import matplotlib

    buffer = io.BytesIO()
    # Text as <text> (a fraction of the size of glyph paths); ids from a fixed salt so the
    # same chart gives the same bytes.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "crosscheck"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()

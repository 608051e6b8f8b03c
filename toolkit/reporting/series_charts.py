"""Charts of a comparison over time (matplotlib, Agg; imported only when a chart is drawn).

Each source's figure on every date compared is a step line (a figure holds until the next
date), its interval a light band of the source's colour (an upward marker where it is
open, "at least"), the consensus a green band and each episode of conflict a shaded span
from its first date to the date the sources agree again (or a day past its last date
while it is ongoing). Built from :class:`toolkit.comparing.over_time.Series` tables, never
from pixels: tests read back the artists.

A long series stays small: past ``steps`` dates the dates are cut into that many equal
runs, each drawn with the figures of its last date (the overview: the most incidents of
the run), and the SVG paths are written to a tenth of a point with no spare spaces.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from toolkit.errors import NotFound, did_you_mean
from toolkit.reporting.charts import BAND, COLOURS, _date_axis, _figure, short, svg

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from toolkit.comparing.over_time import Series

# The revision chart's palette (charts.revision_chart), a colour per source by name.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
EPISODE = COLOURS["conflict"]
# Dates drawn at most per chart and per small panel (a run of dates past that is one step).
STEPS = 300
PANEL_STEPS = 80
DAY = np.timedelta64(1, "D")


def source_colours(series: Series) -> dict[str, str]:
    """Each source of the series its colour, by name order: the same in every chart."""
    names = sorted(pd.unique(series.latest["source"]).tolist())
    return {name: PALETTE[k % len(PALETTE)] for k, name in enumerate(names)}


def conflict_dates(series: Series) -> pd.DataFrame:
    """Per incident × measure: dates compared, dates in conflict and the largest gap,
    worst first (most dates in conflict, then the largest gap), ties in table order."""
    t = series.table
    grouped = t.assign(_conflict=(t["status"] == "conflict").to_numpy()).groupby(
        ["incident", "measure"], sort=False
    )
    out = pd.DataFrame(
        {
            "dates": grouped.size(),
            "in_conflict": grouped["_conflict"].sum().astype("int64"),
            "largest_gap": grouped["gap"].max(),
        }
    ).reset_index()
    order = np.lexsort((-out["largest_gap"].to_numpy(dtype=float), -out["in_conflict"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def default_measure(series: Series, incident: str) -> str:
    """The incident's measure with the most dates in conflict; its first when none is."""
    ranked = conflict_dates(series)
    mine = ranked[ranked["incident"] == incident]
    if mine.empty:
        known = pd.unique(series.table["incident"])
        raise NotFound(
            f"no dates compared for incident {incident!r}." + did_you_mean(incident, known)
        )
    if int(mine["in_conflict"].max()) > 0:
        return str(mine["measure"].iloc[0])
    first = series.table.loc[series.table["incident"] == incident, "measure"]
    return str(first.iloc[0])


def series_chart(
    series: Series,
    incident: str,
    measure: str | None = None,
    ax: Axes | None = None,
    steps: int = STEPS,
) -> Figure:
    """One incident and measure over the dates compared: each source a step line with its
    interval, the consensus band, the episodes of conflict shaded.

    ``measure`` defaults to the incident's measure with the most dates in conflict; ``ax``
    draws into an existing axes (its figure is returned).

    Examples
    --------
    >>> from toolkit.comparing import compare_figures
    >>> from toolkit.pipeline import read_and_link
    >>> _, linked, suite = read_and_link("fixtures/series")
    >>> s = compare_figures(linked.figures, suite, over_time=True).series
    >>> fig = series_chart(s, "covid-19 US-OH")
    >>> sorted(line.get_label() for line in fig.axes[0].get_lines())
    ['COVID Tracking Project', 'JHU CSSE']
    """
    if measure is None:
        measure = default_measure(series, incident)
    rows = _rows(series, incident, measure)
    if ax is None:
        fig = _figure(7.5, 3.4)
        ax = fig.subplots()
    _panel(ax, series, rows, incident, measure, source_colours(series), steps, small=False)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    ax.set_title(f"{short(incident)} — {short(measure)} over time", fontsize=10, loc="left")
    figure: Figure = ax.get_figure()  # type: ignore[assignment]
    return figure


def small_multiples(series: Series, n: int, columns: int = 3, steps: int = PANEL_STEPS) -> Figure:
    """The worst ``n`` incident × measure series (most dates in conflict, then largest gap)
    as small panels of one figure, one legend for all."""
    from matplotlib.lines import Line2D

    worst = conflict_dates(series).head(max(int(n), 0))
    if worst.empty:
        raise NotFound("no incident and measure was compared over time")
    cols = min(columns, len(worst))
    rows = math.ceil(len(worst) / cols)
    fig = _figure(7.5, 0.5 + 1.75 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    colours = source_colours(series)
    for ax, incident, measure in zip(axes, worst["incident"], worst["measure"], strict=False):
        drawn = _rows(series, str(incident), str(measure))
        _panel(ax, series, drawn, str(incident), str(measure), colours, steps, small=True)
        ax.set_title(f"{short(incident, 34)} · {short(measure, 16)}", fontsize=7, loc="left")
    for ax in axes[len(worst) :]:
        ax.set_visible(False)
    shown = pd.unique(
        series.latest.loc[series.latest["incident"].isin(worst["incident"]), "source"]
    )
    handles = [
        Line2D([], [], color=colours[str(s)], lw=1.5, label=short(s, 32)) for s in sorted(shown)
    ]
    handles.append(Line2D([], [], color=EPISODE, lw=6, alpha=0.3, label="conflict"))
    handles.append(Line2D([], [], color=BAND, lw=6, alpha=0.3, label="consensus"))
    fig.legend(handles=handles, loc="outside upper left", ncols=4, fontsize=7, frameon=False)
    return fig


def series_overview(series: Series, steps: int = STEPS) -> Figure:
    """Per date compared: incidents compared (grey) and incidents in conflict on some
    measure (filled)."""
    per = series.in_conflict_per_date()
    fig = _figure(7.5, 2.6)
    ax = fig.subplots()
    if per.empty:
        ax.set_title("No date compared", fontsize=10, loc="left")
        return fig
    dates = per["reported_on"].to_numpy()
    compared = per["compared"].to_numpy(dtype=float)[:, None]
    conflict = per["in_conflict"].to_numpy(dtype=float)[:, None]
    x, (compared_hi,) = _buckets(dates, steps, np.fmax, compared)
    _, (conflict_hi,) = _buckets(dates, steps, np.fmax, conflict)
    x = np.r_[x, x[-1] + DAY]
    ax.step(x, _last(compared_hi[:, 0]), where="post", color="#7f7f7f", lw=1, label="compared")
    ax.fill_between(
        x,
        0,
        _last(conflict_hi[:, 0]),
        step="post",
        color=EPISODE,
        alpha=0.6,
        lw=0,
        label="in conflict",
    )
    from matplotlib.ticker import MaxNLocator

    ax.set_ylim(0, max(float(compared.max()), 1.0) * 1.3)  # room for the legend
    ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
    ax.legend(fontsize=8, frameon=False, loc="upper left", ncols=2)
    ax.set_title("Incidents compared and in conflict, per date", fontsize=10, loc="left")
    ax.tick_params(labelsize=8)
    ax.grid(axis="y", color="#dddddd", lw=0.5)
    _date_axis(ax, per["reported_on"])
    return fig


def compact_svg(fig: Figure) -> bytes:
    """The figure as SVG (:func:`toolkit.reporting.charts.svg`), its path coordinates
    written to a tenth of a point with no spare spaces (a long series is mostly path
    data: this about halves it)."""
    return _PATH.sub(_compact_path, svg(fig).decode("utf-8")).encode("utf-8")


_PATH = re.compile(r' d="([^"]*)"')
_NUMBER = re.compile(r"-?\d+\.\d+")
_COMMAND = re.compile(r"\s*([MLCQZz])\s*")


def _compact_path(m: re.Match[str]) -> str:
    rounded = _NUMBER.sub(_tenth, m.group(1))
    return ' d="' + _COMMAND.sub(r"\1", " ".join(rounded.split())) + '"'


def _tenth(m: re.Match[str]) -> str:
    text = f"{float(m.group(0)):.1f}"
    return "0" if text in ("0.0", "-0.0") else text.removesuffix(".0")


def _rows(series: Series, incident: str, measure: str) -> pd.DataFrame:
    latest = series.latest
    rows = latest[(latest["incident"] == incident) & (latest["measure"] == measure)]
    if rows.empty:
        known = pd.unique(latest["incident"])
        if incident not in set(known):
            raise NotFound(
                f"no dates compared for incident {incident!r}." + did_you_mean(incident, known)
            )
        measures = pd.unique(latest.loc[latest["incident"] == incident, "measure"])
        raise NotFound(
            f"incident {incident!r} has no dates compared for {measure!r}; it has "
            + ", ".join(map(str, measures))
        )
    return rows


def _panel(
    ax: Axes,
    series: Series,
    rows: pd.DataFrame,
    incident: str,
    measure: str,
    colours: dict[str, str],
    steps: int,
    small: bool,
) -> None:
    t = series.table
    summary = t[(t["incident"] == incident) & (t["measure"] == measure)]
    dates = summary["reported_on"].to_numpy()
    # every source on every date of the group (NaN where it had no current figure), so a
    # gap breaks its line
    sources = sorted(pd.unique(rows["source"]).tolist())
    at = np.searchsorted(dates, rows["as_of"].to_numpy())
    col = np.searchsorted(np.asarray(sources, dtype=object), rows["source"].to_numpy(dtype=object))
    shape = (len(dates), len(sources))
    value, low, high = (np.full(shape, np.nan) for _ in range(3))
    lo = rows["low"].to_numpy(dtype=float)
    value[at, col] = np.where(
        rows["value"].isna().to_numpy(), lo, rows["value"].to_numpy(dtype=float, na_value=np.nan)
    )
    low[at, col], high[at, col] = lo, rows["high"].to_numpy(dtype=float)
    is_open = np.isinf(high)
    c_lo = summary["consensus_low"].to_numpy(dtype=float)[:, None]
    c_hi = summary["consensus_high"].to_numpy(dtype=float)[:, None]
    finite = np.r_[value[np.isfinite(value)], high[np.isfinite(high)], c_lo[np.isfinite(c_lo)]]
    top = float(finite.max()) * 1.08 if len(finite) else 1.0
    x, (b_value, b_low, b_high, b_open, b_clo, b_chi) = _sample(
        dates, steps, value, low, np.minimum(high, top), is_open, c_lo, np.minimum(c_hi, top)
    )
    end = x[-1] + DAY  # a figure holds for a day past the last date compared
    xs = np.r_[x, end]
    ax.fill_between(xs, _last(b_clo[:, 0]), _last(b_chi[:, 0]), step="post", color=BAND,
                    alpha=0.18, lw=0, label="consensus", gid="consensus")  # fmt: skip
    for k, source in enumerate(sources):
        colour = colours.get(source, PALETTE[k % len(PALETTE)])
        band = b_high[:, k] > b_low[:, k]
        if band.any():
            ax.fill_between(xs, _last(b_low[:, k]), _last(b_high[:, k]), step="post",
                            color=colour, alpha=0.12, lw=0, gid="interval")  # fmt: skip
        ax.step(xs, _last(b_value[:, k]), where="post", color=colour,
                lw=1.0 if small else 1.5, label=short(source), gid="source")  # fmt: skip
        up = b_open[:, k]
        if up.any():
            ax.plot(x[up], b_value[up, k], "^", color=colour, ms=3 if small else 5,
                    label="_open", gid="open")  # fmt: skip
    ep = series.episodes
    ep = ep[(ep["incident"] == incident) & (ep["measure"] == measure)]
    until = ep["agreed_on"].to_numpy().copy()
    ongoing = np.isnat(until)
    until[ongoing] = ep["end"].to_numpy()[ongoing] + DAY
    for start, stop in zip(ep["start"].to_numpy(), until, strict=True):
        ax.axvspan(start, stop, color=EPISODE, alpha=0.25, lw=0, gid="episode")
    ax.set_xlim(x[0], end)
    bottom = float(np.nanmin(np.r_[b_low.ravel(), b_clo.ravel(), top]))
    ax.set_ylim(max(0.0, bottom * 0.95) if np.isfinite(bottom) else 0.0, top)
    ax.tick_params(labelsize=6 if small else 8)
    ax.grid(color="#eeeeee", lw=0.5)
    if not small:
        _date_axis(ax, summary["reported_on"])
    else:
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        locator: Any = AutoDateLocator(minticks=2, maxticks=4)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
        ax.xaxis.get_offset_text().set_fontsize(6)


def _last(column: np.ndarray) -> np.ndarray:
    """A column with its last value repeated: the end point of a "post" step."""
    out: np.ndarray = np.r_[column, column[-1:]]
    return out


def _sample(
    dates: np.ndarray, steps: int, *arrays: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The dates and the arrays (dates × columns) cut into at most ``steps`` runs of
    dates, each drawn from its first date to the next with its last date's figures (an
    envelope would draw a growing toll as a band). Unchanged when there are no more
    dates than steps."""
    if len(dates) <= steps:
        return dates, list(arrays)
    starts = _starts(len(dates), steps)
    ends = np.r_[starts[1:] - 1, len(dates) - 1]
    return dates[starts], [a[ends] for a in arrays]


def _starts(n: int, steps: int) -> np.ndarray:
    return np.unique(np.linspace(0, n, min(n, steps) + 1).astype(np.int64))[:-1]


def _buckets(
    dates: np.ndarray, steps: int, ufunc: Any, *arrays: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray]]:
    """``ufunc`` (np.fmin, np.fmax: NaN-skipping) over runs of dates; each run's first
    date."""
    if len(dates) <= steps:
        return dates, list(arrays)
    starts = _starts(len(dates), steps)
    return dates[starts], [ufunc.reduceat(a, starts, axis=0) for a in arrays]

"""Plotly figure builders: titles, units and axis formats come from metrics.catalog.

Builders take frames from `dashboards.data` and return figures; they never compute a metric.
They live apart from the pages so a figure can be tested (its JSON) without running Streamlit and
so later pages draw the same metric the same way.

Every string that comes from data (labels, team and service names, reasons, query results) goes
through `plot_text` before it meets a figure: Plotly renders HTML tags in titles, ticks, legends
and hovers, and a name must read as text, never become a link.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboards.formatting import band_label, format_value, is_missing, plot_text, unit_suffix

LINE_COLOUR = "#3b6fd8"
FONT = "Source Sans Pro, sans-serif"


def _axis_format(unit: str | None) -> dict[str, Any]:
    """Ratios are stored as fractions: the axis shows them as percentages without rescaling."""
    if unit == "ratio":
        return {"tickformat": ".0%", "rangemode": "tozero"}
    if unit in {"count", "engineers"}:
        return {"tickformat": ",d", "rangemode": "tozero"}
    return {"tickformat": ",.1f", "rangemode": "tozero"}


def trend_figure(series: pd.DataFrame, meta: Mapping[str, Any], *, scope_label: str) -> go.Figure:
    """A weekly line of one metric for one scope.

    Undefined weeks (NULL) are gaps, not zeros, and their hover says so; hover text uses the same
    formatting as the tiles, so the chart and the tile never disagree on how a value reads.
    """
    unit = meta.get("unit")
    label = plot_text(meta.get("label") or meta.get("metric") or "")
    scope_label = plot_text(scope_label)
    frame = series.sort_values("period_start")
    x = pd.to_datetime(frame["period_start"])
    y = [None if is_missing(v) else float(v) for v in frame["value"]]
    hover = [
        f"Week of {pd.Timestamp(p):%d %b %Y}<br>{label}: {format_value(v, unit)}"
        + ("" if is_missing(n) else f"<br>sample size: {int(n):,}")
        for p, v, n in zip(frame["period_start"], frame["value"], frame["sample_size"], strict=True)
    ]
    figure = go.Figure(
        go.Scatter(
            x=x,
            y=y,
            mode="lines+markers",
            name=label,
            line={"color": LINE_COLOUR, "width": 2},
            marker={"size": 6},
            connectgaps=False,
            hovertext=hover,
            hoverinfo="text",
        )
    )
    figure.update_layout(
        title={"text": f"{label} — {scope_label}, weekly", "x": 0, "xanchor": "left"},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=360,
        font={"family": FONT},
        showlegend=False,
        hovermode="x unified",
    )
    figure.update_xaxes(title_text="Week starting", tickformat="%d %b", showgrid=False)
    figure.update_yaxes(title_text=f"{label} {unit_suffix(unit)}".strip(), **_axis_format(unit))
    return figure


def sparkline_points(series: pd.DataFrame) -> list[float]:
    """Values for a tile's sparkline (st.metric chart_data), oldest first.

    st.metric rejects None in chart data; NaN keeps an undefined week a gap instead of a zero.
    """
    frame = series.sort_values("period_start")
    return [float("nan") if is_missing(v) else float(v) for v in frame["value"]]


# --- Delivery: a metric over time with its DORA bands -------------------------------------------

BAND_ORDER = ("elite", "high", "medium", "low")
BAND_FILLS = {
    "elite": "#2e9e5b",
    "high": "#3b6fd8",
    "medium": "#e8a33d",
    "low": "#d64545",
    "none": "#9aa0a6",
}
P90_COLOUR = "#8a94a6"
MIN_LABELLED_BAND = 0.06
"""A band thinner than this share of the axis is shaded but not labelled (labels would overlap)."""


def _values(frame: pd.DataFrame) -> list[float | None]:
    return [None if is_missing(v) else float(v) for v in frame["value"]]


def _axis_top(values: list[float | None], thresholds: pd.DataFrame, unit: str | None) -> float:
    """The y-axis top: above every value and up to the first band boundary above them.

    Showing the band the values sit in and where the next one starts keeps the line readable;
    stretching the axis to every boundary (e.g. 720 h for lead time) would flatten it.
    """
    finite = [v for v in values if v is not None]
    highest = max(finite + [0.0])
    bounds = sorted(
        float(b) for b in pd.concat([thresholds["lower"], thresholds["upper"]]).dropna()
    )
    above = [b for b in bounds if b > highest]
    top = max(highest * 1.15, above[0] * 1.08 if above else 0.0)
    if top <= 0:
        top = max(bounds[-1] * 1.1, 1.0) if bounds else 1.0
    if unit == "ratio":
        top = min(max(top, 0.05), 1.05)
    return top


def banded_trend_figure(
    series: pd.DataFrame,
    meta: Mapping[str, Any],
    *,
    scope_label: str,
    grain: str,
    thresholds: pd.DataFrame | None = None,
    p90: pd.DataFrame | None = None,
    p90_label: str | None = None,
) -> go.Figure:
    """One metric per period for one scope, over shaded DORA bands when thresholds are given.

    Bands are drawn from metrics.bands rows (lower inclusive, upper exclusive, NULL unbounded) in
    the report year in force; an unbounded band runs to the top of the axis. The optional p90 line
    is the stored `<metric>_p90` series, drawn dashed so the median stays the figure to read.
    Undefined periods are gaps, never zeros.
    """
    unit = meta.get("unit")
    label = plot_text(meta.get("label") or meta.get("metric") or "")
    scope_label = plot_text(scope_label)
    per = "Week" if grain == "week" else "Month"
    date_format = "%d %b %Y" if grain == "week" else "%b %Y"
    frame = series.sort_values("period_start")
    y = _values(frame)
    hover = [
        f"{per} of {pd.Timestamp(p):{date_format}}<br>{label}: {format_value(v, unit)}"
        + ("" if is_missing(n) else f"<br>sample size: {int(n):,}")
        for p, v, n in zip(frame["period_start"], frame["value"], frame["sample_size"], strict=True)
    ]
    figure = go.Figure(
        go.Scatter(
            x=pd.to_datetime(frame["period_start"]),
            y=y,
            mode="lines+markers",
            name=label,
            line={"color": "#1f2a44", "width": 2},
            marker={"size": 6},
            connectgaps=False,
            hovertext=hover,
            hoverinfo="text",
        )
    )
    p90_values: list[float | None] = []
    if p90 is not None and not p90.empty:
        p90_frame = p90.sort_values("period_start")
        p90_values = _values(p90_frame)
        name = plot_text(p90_label or "p90")
        figure.add_trace(
            go.Scatter(
                x=pd.to_datetime(p90_frame["period_start"]),
                y=p90_values,
                mode="lines",
                name=name,
                line={"color": P90_COLOUR, "width": 1.5, "dash": "dash"},
                connectgaps=False,
                hovertext=[
                    f"{per} of {pd.Timestamp(p):{date_format}}<br>{name}: {format_value(v, unit)}"
                    for p, v in zip(p90_frame["period_start"], p90_frame["value"], strict=True)
                ],
                hoverinfo="text",
            )
        )
    bands = thresholds if thresholds is not None else pd.DataFrame(columns=["lower", "upper"])
    top = _axis_top(y + p90_values, bands, unit)
    for _, band in bands.iterrows():
        low = 0.0 if is_missing(band["lower"]) else float(band["lower"])
        high = top if is_missing(band["upper"]) else min(float(band["upper"]), top)
        if low >= top:
            continue
        key = str(band["band"]).lower()
        colour = BAND_FILLS.get(key, BAND_FILLS["none"])
        # No annotation at all for a thin band: plotly.js draws "new text" for an empty one.
        label_args: dict[str, Any] = (
            {
                "annotation_text": band_label(key),
                "annotation_position": "top right",
                "annotation_font": {"size": 11, "color": colour},
            }
            if (high - low) / top >= MIN_LABELLED_BAND
            else {}
        )
        figure.add_hrect(
            y0=low,
            y1=high,
            fillcolor=colour,
            opacity=0.10,
            line_width=0,
            layer="below",
            **label_args,
        )
    figure.update_layout(
        title={
            "text": f"{label}<br><sup>{scope_label}, {'weekly' if grain == 'week' else 'monthly'}"
            "</sup>",
            "x": 0,
            "xanchor": "left",
        },
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        height=360,
        font={"family": FONT},
        showlegend=bool(p90_values),
        legend={"orientation": "h", "yanchor": "top", "y": -0.22, "xanchor": "left", "x": 0},
        hovermode="x unified",
    )
    figure.update_xaxes(
        title_text="Week starting" if grain == "week" else "Month",
        tickformat="%d %b" if grain == "week" else "%b %Y",
        showgrid=False,
    )
    suffix = f"(per {grain})" if unit == "count" else unit_suffix(unit)
    figure.update_yaxes(
        title_text=f"{label} {suffix}".strip(),
        range=[0, top],
        **{k: v for k, v in _axis_format(unit).items() if k != "rangemode"},
    )
    return figure


def band_distribution_figure(counts: pd.DataFrame, labels: Mapping[str, str]) -> go.Figure:
    """How many teams sit in each band, one bar per metric (stacked elite to low, then no band).

    `counts` has columns metric, band ('none' for a team without a band) and teams; the counts
    are of metrics.performance rows, so the bars add up to the number of teams.
    """
    metrics = list(dict.fromkeys(counts["metric"]))
    figure = go.Figure()
    for band in (*BAND_ORDER, "none"):
        rows = counts[counts["band"] == band].set_index("metric")["teams"]
        values = [int(rows.get(m, 0)) for m in metrics]
        if not any(values):
            continue
        figure.add_trace(
            go.Bar(
                y=[plot_text(labels.get(m, m)) for m in metrics],
                x=values,
                name=band_label(None if band == "none" else band),
                orientation="h",
                marker={"color": BAND_FILLS[band]},
                hovertemplate="%{y}: %{x} team(s) "
                + band_label(None if band == "none" else band)
                + "<extra></extra>",
            )
        )
    figure.update_layout(
        barmode="stack",
        title={"text": "Teams per DORA band, latest trailing window", "x": 0, "xanchor": "left"},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=80 + 45 * max(len(metrics), 1),
        font={"family": FONT},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
    )
    figure.update_xaxes(title_text="Teams", tickformat=",d", rangemode="tozero")
    figure.update_yaxes(autorange="reversed")
    return figure


# --- Data quality ------------------------------------------------------------------------------


def quarantine_figure(summary: pd.DataFrame) -> go.Figure:
    """Quarantined records per entity, one colour per reason (what to fix first is the longest)."""
    frame = summary.groupby(["entity", "reason"], as_index=False)["records"].sum()
    figure = go.Figure()
    for reason, rows in frame.groupby("reason", sort=False):
        figure.add_trace(
            go.Bar(
                x=rows["records"],
                y=[plot_text(e) for e in rows["entity"]],
                name=plot_text(reason),
                orientation="h",
                hovertemplate="%{y}: %{x:,} record(s)<br>%{fullData.name}<extra></extra>",
            )
        )
    figure.update_layout(
        barmode="stack",
        title={"text": "Quarantined records by entity and reason", "x": 0, "xanchor": "left"},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=120 + 40 * frame["entity"].nunique(),
        font={"family": FONT},
        legend={"title": {"text": "Reason"}},
    )
    figure.update_xaxes(title_text="Records", tickformat=",d", rangemode="tozero")
    figure.update_yaxes(title_text="Entity")
    return figure


RUN_STATUS_COLOURS = {"success": "#2e9e5b", "failed": "#d64545", "running": "#9aa0a6"}


def runs_figure(runs: pd.DataFrame) -> go.Figure:
    """Each run's duration in minutes by start time, coloured by status: slow or failing runs show.

    The duration is finished_at minus started_at of a run, a property of the run log, not a metric.
    """
    frame = runs.dropna(subset=["started_at"]).sort_values("started_at")
    started = pd.to_datetime(frame["started_at"])
    finished = pd.to_datetime(frame["finished_at"])
    minutes = (finished - started).dt.total_seconds() / 60
    figure = go.Figure()
    for status, rows in frame.assign(minutes=minutes).groupby("status", sort=False):
        figure.add_trace(
            go.Scatter(
                x=pd.to_datetime(rows["started_at"]),
                y=[None if is_missing(m) else float(m) for m in rows["minutes"]],
                mode="markers",
                name=plot_text(status),
                marker={"size": 9, "color": RUN_STATUS_COLOURS.get(str(status).lower(), "#555")},
                hovertemplate="%{x|%Y-%m-%d %H:%M} UTC<br>%{y:.1f} min"
                "<extra>%{fullData.name}</extra>",
            )
        )
    figure.update_layout(
        title={"text": "Pipeline runs: duration by start time", "x": 0, "xanchor": "left"},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=300,
        font={"family": FONT},
        legend={"title": {"text": "Status"}},
    )
    figure.update_xaxes(title_text="Started (UTC)")
    figure.update_yaxes(title_text="Duration (minutes)", rangemode="tozero")
    return figure


# --- SQL: a quick chart of any result ----------------------------------------------------------

CHART_KINDS = {"bar": "Bar", "line": "Line", "scatter": "Scatter"}


def quick_figure(
    frame: pd.DataFrame, *, x: str, y: str, colour: str | None, kind: str
) -> go.Figure:
    """A chart of a query result: `y` against `x`, one trace per `colour` value when given.

    Axis titles are the column names (a query's own words); rows are drawn in the order the query
    returned them, so an ORDER BY decides the line's order.
    """
    groups = [(None, frame)] if colour is None else list(frame.groupby(colour, sort=False))
    figure = go.Figure()
    for name, rows in groups:
        common = {
            "x": _plot_values(rows[x]),
            "y": _plot_values(rows[y]),
            "name": plot_text(name if name is not None else y),
        }
        if kind == "bar":
            figure.add_trace(go.Bar(**common))
        elif kind == "line":
            figure.add_trace(go.Scatter(mode="lines+markers", **common))
        else:
            figure.add_trace(go.Scatter(mode="markers", **common))
    figure.update_layout(
        barmode="group",
        title={"text": f"{plot_text(y)} by {plot_text(x)}", "x": 0, "xanchor": "left"},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=380,
        font={"family": FONT},
        showlegend=colour is not None,
        legend={"title": {"text": plot_text(colour or "")}},
    )
    figure.update_xaxes(title_text=plot_text(x))
    figure.update_yaxes(title_text=plot_text(y))
    return figure


def _plot_values(column: pd.Series) -> pd.Series:
    """A result column for an axis: text cells as Plotly text (see plot_text), others as is."""
    if column.dtype == object or pd.api.types.is_string_dtype(column):
        return column.map(lambda v: v if not isinstance(v, str) else plot_text(v))
    return column

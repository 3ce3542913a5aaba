"""Plotly figure builders: titles, units and axis formats come from metrics.catalog.

Builders take frames from `dashboards.data` and return figures; they never compute a metric.
They live apart from the pages so a figure can be tested (its JSON) without running Streamlit and
so later pages draw the same metric the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboards.formatting import format_value, is_missing, unit_suffix

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
    label = str(meta.get("label") or meta.get("metric") or "")
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

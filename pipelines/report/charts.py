"""Trend charts: Plotly figures for the HTML page and PNG files for e-mail, Markdown and PDF.

Why it looks like this: the same figure feeds the interactive page and the static images, so a
reader of the e-mail sees what the page shows. Div ids are fixed and the figures carry no
timestamps, so the HTML is reproducible. PNGs go through kaleido 1.x, which drives a Chromium:
Debian's `/usr/bin/chromium` here (kaleido searches PATH; BROWSER_PATH overrides). All images
are written in one kaleido call because each call starts a browser (~2-5 s). Titles, labels and
categories go through `plot_text`: Plotly renders HTML tags in them, a metric label must not.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from dashboards.formatting import plot_text
from pipelines.report.content import ChartSpec

log = logging.getLogger(__name__)

CHART_WIDTH = 900
ROW_HEIGHT = 240
HIGHLIGHT = "#d62728"
LINE = "#1f77b4"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": False, "displayModeBar": False}


def div_id(spec: ChartSpec) -> str:
    """A fixed id: Plotly would otherwise draw a random one into every page."""
    return f"chart-{spec.name.replace('_', '-')}"


def figure(spec: ChartSpec) -> go.Figure:
    """Small multiples, two per row, one per metric; the report week in red."""
    cols = 2 if len(spec.series) > 1 else 1
    rows = math.ceil(len(spec.series) / cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[plot_text(s.label) for s in spec.series],
        vertical_spacing=min(0.3, 0.6 / rows),
        horizontal_spacing=0.08,
    )
    last = len(spec.weeks) - 1
    for i, series in enumerate(spec.series):
        row, col = i // cols + 1, i % cols + 1
        colors = [HIGHLIGHT if j == last else LINE for j in range(len(spec.weeks))]
        fig.add_trace(
            go.Scatter(
                x=[plot_text(w) for w in spec.weeks],
                y=list(series.values),
                mode="lines+markers",
                line={"color": LINE, "width": 2},
                marker={"color": colors, "size": 7},
                connectgaps=False,
                name=plot_text(series.label),
                hovertemplate="%{x}: %{y}<extra></extra>",
            ),
            row=row,
            col=col,
        )
        yaxis: dict = {"rangemode": "tozero"}
        if series.unit == "ratio":
            yaxis["tickformat"] = ".0%"
        elif series.unit in ("hours", "days"):
            yaxis["ticksuffix"] = " h" if series.unit == "hours" else " d"
        fig.update_yaxes(row=row, col=col, **yaxis)
        fig.update_xaxes(row=row, col=col, type="category", tickangle=-45, tickfont={"size": 9})
    fig.update_layout(
        template="plotly_white",
        title={"text": plot_text(spec.title), "x": 0.01},
        showlegend=False,
        width=CHART_WIDTH,
        height=ROW_HEIGHT * rows + 90,
        margin={"l": 50, "r": 20, "t": 80, "b": 40},
    )
    return fig


def html_div(spec: ChartSpec) -> str:
    """The chart as a <div> plus its script, without Plotly JS (the page includes it once)."""
    return pio.to_html(
        figure(spec),
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id(spec),
        config=PLOTLY_CONFIG,
    )


def find_browser() -> str | None:
    """The Chromium kaleido and the PDF step use: BROWSER_PATH, else chromium on PATH."""
    explicit = os.environ.get("BROWSER_PATH")
    if explicit and Path(explicit).is_file():
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def write_pngs(specs: list[ChartSpec], out_dir: Path) -> dict[str, Path]:
    """Write `<name>.png` for each chart; {} (logged) when no browser can draw them."""
    if not specs:
        return {}
    browser = find_browser()
    if browser is None:
        log.warning("report: no Chromium found (set BROWSER_PATH): PNG charts skipped")
        return {}
    os.environ.setdefault("BROWSER_PATH", browser)
    paths = [out_dir / f"{spec.name}.png" for spec in specs]
    figs = [figure(spec) for spec in specs]
    pio.write_images(figs, paths, format="png", scale=1)
    return {spec.name: path for spec, path in zip(specs, paths, strict=True)}

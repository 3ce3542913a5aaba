"""Plotly figures of the platform pages: titles, units and axis formats come from the catalog.

Like `charts.py`, builders take frames the readers returned and never compute a metric: an
undefined value (NULL) is a gap or an empty cell, a suppressed group (fewer engineers than the
privacy threshold) is drawn as suppressed, never as 0. Kept apart from `charts.py` so the DORA
figures and these can change independently; they share its fonts and axis formats.

`title` and `subtitle` are text (a scope label, an initiative name): `_layout` and every builder
pass data strings through `plot_text`, so a name never becomes Plotly HTML (a link, an image).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboards.charts import FONT, _axis_format
from dashboards.formatting import format_value, is_missing, plot_text, unit_suffix

PALETTE = ("#3b6fd8", "#2e9e5b", "#e08a1e", "#8e5ad6", "#d64545", "#1f9bb0")
MUTED = "#9aa0a6"
SUPPRESSED_FILL = "#c9ced6"
STATUS_COLOURS = {
    "done": "#2e9e5b",
    "on_track": "#3b6fd8",
    "at_risk": "#e08a1e",
    "off_track": "#d64545",
    "not_measurable_yet": MUTED,
}
PATH_LABELS = {
    "template": "Created from a template",
    "ci": "Golden-path CI",
    "deploy": "Deploys through the platform",
}


def _layout(figure: go.Figure, title: str, *, height: int, subtitle: str | None = None) -> None:
    text = plot_text(title)
    if subtitle is not None:
        text += f"<br><sup>{plot_text(subtitle)}</sup>"
    figure.update_layout(
        title={"text": text, "x": 0, "xanchor": "left"},
        margin={"l": 10, "r": 10, "t": 60 if subtitle else 50, "b": 10},
        height=height,
        font={"family": FONT},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0},
    )


def _period_axis(figure: go.Figure, grain: str) -> None:
    """Weeks by their Monday; months one tick each (Plotly's automatic ticks would fall mid-month
    and label two ticks with the same month)."""
    if grain == "week":
        figure.update_xaxes(title_text="Week starting", tickformat="%d %b", showgrid=False)
    else:
        figure.update_xaxes(title_text="Month", tickformat="%b %Y", dtick="M1", showgrid=False)


def _numbers(values: Sequence[Any]) -> list[float | None]:
    return [None if is_missing(v) else float(v) for v in values]


def multi_trend_figure(
    series: pd.DataFrame,
    metas: Mapping[str, Mapping[str, Any]],
    *,
    title: str,
    scope_label: str,
    grain: str,
) -> go.Figure:
    """Several metrics of the same unit as lines over the periods (e.g. the golden-path shares).

    Undefined periods are gaps. The y axis takes the unit of the first metric; callers pass
    metrics of one unit only.
    """
    figure = go.Figure()
    unit = None
    per = "Week" if grain == "week" else "Month"
    date_format = "%d %b %Y" if grain == "week" else "%b %Y"
    for index, (metric, meta) in enumerate(metas.items()):
        unit = unit or meta.get("unit")
        label = plot_text(meta.get("label") or metric)
        rows = series[series["metric"] == metric].sort_values("period_start")
        if rows.empty:
            continue
        figure.add_trace(
            go.Scatter(
                x=pd.to_datetime(rows["period_start"]),
                y=_numbers(rows["value"]),
                mode="lines+markers",
                name=label,
                line={"color": PALETTE[index % len(PALETTE)], "width": 2},
                marker={"size": 5},
                connectgaps=False,
                hovertext=[
                    f"{per} of {pd.Timestamp(p):{date_format}}<br>{label}: "
                    f"{format_value(v, meta.get('unit'))}"
                    + ("" if is_missing(n) else f" ({int(n):,} in the denominator)")
                    for p, v, n in zip(
                        rows["period_start"], rows["value"], rows["denominator"], strict=True
                    )
                ],
                hoverinfo="text",
            )
        )
    _layout(
        figure,
        title,
        height=380,
        subtitle=f"{scope_label}, {'weekly' if grain == 'week' else 'monthly'}",
    )
    _period_axis(figure, grain)
    figure.update_yaxes(title_text=f"Share {unit_suffix(unit)}".strip(), **_axis_format(unit))
    if unit == "ratio":
        figure.update_yaxes(range=[0, 1.05])
    return figure


def trend_with_p90_figure(
    series: pd.DataFrame,
    meta: Mapping[str, Any],
    *,
    scope_label: str,
    grain: str,
    p90: pd.DataFrame | None = None,
    p90_label: str | None = None,
) -> go.Figure:
    """One metric over the periods, with its stored p90 series dashed when given."""
    unit = meta.get("unit")
    label = str(meta.get("label") or meta.get("metric") or "")
    metas: dict[str, Mapping[str, Any]] = {str(meta.get("metric") or label): meta}
    frames = [series.assign(metric=str(meta.get("metric") or label))]
    if p90 is not None and not p90.empty:
        name = p90_label or f"{label} p90"
        metas["p90"] = {"label": name, "unit": unit}
        frames.append(p90.assign(metric="p90"))
    figure = multi_trend_figure(
        pd.concat(frames, ignore_index=True),
        metas,
        title=label,
        scope_label=scope_label,
        grain=grain,
    )
    if len(figure.data) > 1:
        figure.data[1].line.dash = "dash"
        figure.data[1].line.color = MUTED
    figure.update_yaxes(
        title_text=f"{plot_text(label)} {unit_suffix(unit)}".strip(), autorange=True
    )
    if unit == "ratio":
        figure.update_yaxes(range=[0, 1.05], autorange=False)
    figure.update_layout(showlegend=len(figure.data) > 1)
    return figure


def heatmap_figure(
    matrix: pd.DataFrame,
    meta: Mapping[str, Any],
    team_names: Mapping[str, str],
    *,
    grain: str,
    title: str | None = None,
    min_group: int | None = None,
) -> go.Figure:
    """Teams (rows) x periods (columns) of one stored metric; an undefined cell stays empty.

    With `min_group` (private metrics), a NULL cell whose sample_size is between 1 and
    min_group - 1 is a suppressed group: drawn grey with "fewer than N engineers" on hover,
    never coloured as a value.
    """
    unit = meta.get("unit")
    label = plot_text(meta.get("label") or meta.get("metric") or "")
    periods = sorted(matrix["period_start"].unique())
    teams = sorted(matrix["team_id"].unique(), key=lambda t: team_names.get(t, t).lower())
    cells = matrix.set_index(["team_id", "period_start"])
    date_format = "%d %b %Y" if grain == "week" else "%b %Y"
    z: list[list[float | None]] = []
    hover: list[list[str]] = []
    suppressed: list[list[float | None]] = []
    for team in teams:
        row_z, row_hover, row_s = [], [], []
        for period in periods:
            name = plot_text(team_names.get(team, team))
            when = f"{pd.Timestamp(period):{date_format}}"
            if (team, period) not in cells.index:
                row_z.append(None)
                row_s.append(None)
                row_hover.append(f"{name}<br>{when}: no row")
                continue
            cell = cells.loc[(team, period)]
            value, sample = cell["value"], cell["sample_size"]
            hidden = (
                min_group is not None
                and is_missing(value)
                and not is_missing(sample)
                and 0 < int(sample) < min_group
            )
            row_z.append(None if is_missing(value) else float(value))
            row_s.append(1.0 if hidden else None)
            text = (
                f"suppressed: fewer than {min_group} engineers"
                if hidden
                else format_value(value, unit)
            )
            row_hover.append(f"{name}<br>{when}: {text}")
        z.append(row_z)
        hover.append(row_hover)
        suppressed.append(row_s)
    x = pd.to_datetime(pd.Series(periods, dtype="object"))
    y = [plot_text(team_names.get(t, t)) for t in teams]
    figure = go.Figure()
    if any(v is not None for row in suppressed for v in row):
        figure.add_trace(
            go.Heatmap(
                x=x,
                y=y,
                z=suppressed,
                colorscale=[[0, SUPPRESSED_FILL], [1, SUPPRESSED_FILL]],
                showscale=False,
                hoverinfo="skip",
                name="suppressed",
                xgap=1,
                ygap=1,
            )
        )
    colorbar: dict[str, Any] = {"title": {"text": unit_suffix(unit) or label}}
    if unit == "ratio":
        colorbar["tickformat"] = ".0%"
    reverse = meta.get("direction") == "lower_is_better"
    figure.add_trace(
        go.Heatmap(
            x=x,
            y=y,
            z=z,
            colorscale="Blues" if not reverse else "Blues_r",
            zmin=0 if unit == "ratio" else None,
            zmax=1 if unit == "ratio" else None,
            hovertext=hover,
            hoverinfo="text",
            colorbar=colorbar,
            name=label,
            xgap=1,
            ygap=1,
        )
    )
    per = "weekly" if grain == "week" else "monthly"
    _layout(
        figure,
        title or f"{meta.get('label') or meta.get('metric') or ''} by team",
        height=max(260, 110 + 18 * len(teams)),
        subtitle=f"{per}; an empty cell is undefined (nothing to measure)"
        + (f"; grey: fewer than {min_group} engineers, hidden" if min_group else ""),
    )
    _period_axis(figure, grain)
    figure.update_yaxes(autorange="reversed", title_text="Team")
    return figure


def funnel_figure(funnel: pd.DataFrame, *, unit: str, scope_label: str, grain: str) -> go.Figure:
    """Cumulative services (or teams) on each golden path by period, under those that exist."""
    noun = "services" if unit == "service" else "teams"
    figure = go.Figure()
    existing = funnel[funnel["golden_path"] == "template"].sort_values("period_start")
    figure.add_trace(
        go.Scatter(
            x=pd.to_datetime(existing["period_start"]),
            y=existing["in_scope"].astype(float),
            mode="lines",
            name=f"All {noun}",
            line={"color": MUTED, "width": 2, "dash": "dot"},
            hovertemplate=f"%{{y:,}} {noun} exist<extra></extra>",
        )
    )
    for index, path in enumerate(("template", "ci", "deploy")):
        rows = funnel[funnel["golden_path"] == path].sort_values("period_start")
        figure.add_trace(
            go.Scatter(
                x=pd.to_datetime(rows["period_start"]),
                y=rows["adopted"].astype(float),
                mode="lines",
                name=PATH_LABELS[path],
                line={"color": PALETTE[index], "width": 2},
                hovertemplate=f"%{{y:,}} {noun}: {PATH_LABELS[path].lower()}<extra></extra>",
            )
        )
    _layout(
        figure,
        f"Adoption funnel: {noun} on each golden path",
        height=380,
        subtitle=f"{scope_label}; cumulative, by the end of each "
        f"{'week' if grain == 'week' else 'month'} (marts.adoption)",
    )
    figure.update_layout(hovermode="x unified")
    _period_axis(figure, grain)
    figure.update_yaxes(title_text=noun.capitalize(), tickformat=",d", rangemode="tozero")
    return figure


def capability_figure(totals: pd.DataFrame, *, subtitle: str) -> go.Figure:
    """Platform requests per capability, self-service against tickets (stacked bars)."""
    frame = totals.sort_values("events")
    figure = go.Figure()
    for column, name, colour in (
        ("self_service", "Self-service", PALETTE[1]),
        ("ticket", "Ticket", PALETTE[2]),
    ):
        figure.add_trace(
            go.Bar(
                y=[plot_text(c) for c in frame["capability"]],
                x=frame[column].astype(float),
                name=name,
                orientation="h",
                marker={"color": colour},
                hovertemplate="%{y}: %{x:,} " + name.lower() + " request(s)<extra></extra>",
            )
        )
    _layout(
        figure,
        "Self-service against tickets, per capability",
        height=max(260, 120 + 36 * len(frame)),
        subtitle=subtitle,
    )
    figure.update_layout(barmode="stack")
    figure.update_xaxes(title_text="Platform events", tickformat=",d", rangemode="tozero")
    figure.update_yaxes(title_text="Capability")
    return figure


COMPARISON_MEASURES: dict[str, tuple[str, str]] = {
    "success_rate": ("Success rate", "ratio"),
    "duration_median_minutes": ("Duration, median", "minutes"),
    "queue_median_minutes": ("Queue time, median", "minutes"),
    "rerun_rate": ("Re-run rate", "ratio"),
}
KIND_LABELS = {"golden_path": "Golden path", "hand_rolled": "Hand-rolled"}


def ci_comparison_figure(comparison: pd.DataFrame, *, scope_label: str) -> go.Figure:
    """Golden-path against hand-rolled pipelines, one panel per measure, weekly."""
    names = list(COMPARISON_MEASURES)
    figure = make_subplots(
        rows=2,
        cols=2,
        subplot_titles=[
            f"{COMPARISON_MEASURES[m][0]} {unit_suffix(COMPARISON_MEASURES[m][1])}" for m in names
        ],
        shared_xaxes=True,
        vertical_spacing=0.14,
        horizontal_spacing=0.08,
    )
    for kind_index, (kind, kind_label) in enumerate(KIND_LABELS.items()):
        rows = comparison[comparison["pipeline_kind"] == kind].sort_values("week")
        for index, measure in enumerate(names):
            label, unit = COMPARISON_MEASURES[measure]
            figure.add_trace(
                go.Scatter(
                    x=pd.to_datetime(rows["week"]),
                    y=_numbers(rows[measure]),
                    mode="lines+markers",
                    name=kind_label,
                    legendgroup=kind,
                    showlegend=index == 0,
                    line={"color": PALETTE[kind_index * 2], "width": 2},
                    marker={"size": 4},
                    connectgaps=False,
                    hovertext=[
                        f"{kind_label}, week of {pd.Timestamp(w):%d %b %Y}<br>{label}: "
                        f"{format_value(v, unit)} ({int(n):,} runs)"
                        for w, v, n in zip(rows["week"], rows[measure], rows["runs"], strict=True)
                    ],
                    hoverinfo="text",
                ),
                row=index // 2 + 1,
                col=index % 2 + 1,
            )
            axis = _axis_format(unit)
            figure.update_yaxes(row=index // 2 + 1, col=index % 2 + 1, **axis)
    _layout(
        figure,
        "Golden-path against hand-rolled pipelines",
        height=560,
        subtitle=f"{scope_label}, weekly (marts.ci_golden_path_comparison)",
    )
    figure.update_layout(legend={"y": -0.08}, margin={"t": 100})
    figure.update_xaxes(tickformat="%d %b", showgrid=False)
    return figure


def cohort_figure(
    series: pd.DataFrame, meta: Mapping[str, Any], *, scope_label: str, min_group: int
) -> go.Figure:
    """Median days to a milestone per start-month cohort, as bars.

    A cohort whose group is below the privacy threshold has no bar: a grey band across its month
    says "fewer than N engineers", so it can never be read as 0 days. A cohort nobody reached
    the milestone in (sample size 0) is simply empty.
    """
    unit = meta.get("unit")
    raw_label = str(meta.get("label") or meta.get("metric") or "")
    label = plot_text(raw_label)
    frame = series.sort_values("period_start")
    months = pd.to_datetime(frame["period_start"])
    hidden = [
        is_missing(v) and not is_missing(n) and 0 < int(n) < min_group
        for v, n in zip(frame["value"], frame["sample_size"], strict=True)
    ]
    figure = go.Figure(
        go.Bar(
            x=months,
            y=_numbers(frame["value"]),
            name=label,
            marker={"color": PALETTE[0]},
            hovertext=[
                f"Started {pd.Timestamp(p):%b %Y}<br>"
                + (
                    f"suppressed: fewer than {min_group} engineers"
                    if h
                    else f"{label}: {format_value(v, unit)}"
                    + ("" if is_missing(n) else f" ({int(n):,} engineers)")
                )
                for p, v, n, h in zip(
                    frame["period_start"], frame["value"], frame["sample_size"], hidden, strict=True
                )
            ],
            hoverinfo="text",
        )
    )
    for month, is_hidden in zip(months, hidden, strict=True):
        if not is_hidden:
            continue
        figure.add_vrect(
            x0=month - pd.Timedelta(days=13),
            x1=month + pd.Timedelta(days=13),
            fillcolor=SUPPRESSED_FILL,
            opacity=0.5,
            line_width=0,
            layer="below",
            annotation_text=f"< {min_group}",
            annotation_position="top",
            annotation_font={"size": 11, "color": "#5f6670"},
        )
    _layout(
        figure,
        f"{raw_label} by start month",
        height=360,
        subtitle=f"{scope_label}; median per cohort; grey: fewer than {min_group} engineers, "
        "hidden for privacy",
    )
    figure.update_layout(showlegend=False)
    figure.update_xaxes(
        title_text="Start month (cohort)", tickformat="%b %Y", dtick="M1", showgrid=False
    )
    figure.update_yaxes(title_text=f"{label} {unit_suffix(unit)}".strip(), rangemode="tozero")
    return figure


def impact_figure(impact: pd.DataFrame, labels: Mapping[str, str]) -> go.Figure:
    """Each impact estimate with its bootstrap interval, one panel per metric (units differ).

    A row without an estimate (not enough data) has no point: its panel says "not enough data"
    with the mart's reason, so an absent effect is never drawn as a zero effect.
    """
    metrics = list(dict.fromkeys(impact["metric"]))
    comparisons = {"adopters_vs_non_adopters": "Adopters vs non-adopters",
                   "diff_in_diff": "Difference-in-differences"}  # fmt: skip
    titles = []
    for metric in metrics:
        unit = impact.loc[impact["metric"] == metric, "unit"].iloc[0]
        titles.append(plot_text(f"{labels.get(metric, metric)} ({unit})"))
    figure = make_subplots(
        rows=len(metrics),
        cols=1,
        subplot_titles=titles,
        vertical_spacing=0.5 / max(len(metrics), 1),
    )
    for index, metric in enumerate(metrics, start=1):
        rows = impact[impact["metric"] == metric]
        ys = [plot_text(comparisons.get(c, c)) for c in rows["comparison"]]
        ok = rows["estimate"].notna().tolist()
        estimate = _numbers(rows["estimate"])
        figure.add_trace(
            go.Scatter(
                x=[e if k else None for e, k in zip(estimate, ok, strict=True)],
                y=ys,
                mode="markers",
                marker={"size": 10, "color": PALETTE[0]},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [
                        None if is_missing(h) or is_missing(e) else float(h) - float(e)
                        for h, e in zip(rows["ci_high"], rows["estimate"], strict=True)
                    ],
                    "arrayminus": [
                        None if is_missing(low) or is_missing(e) else float(e) - float(low)
                        for low, e in zip(rows["ci_low"], rows["estimate"], strict=True)
                    ],
                    "color": PALETTE[0],
                    "thickness": 2,
                },
                hovertext=[
                    f"{y}: {format_value(e, None)} {plot_text(u)} "
                    f"[{format_value(lo, None)}, {format_value(hi, None)}]"
                    if k
                    else f"{y}: not enough data: {plot_text(r)}"
                    for y, e, lo, hi, u, k, r in zip(
                        ys,
                        rows["estimate"],
                        rows["ci_low"],
                        rows["ci_high"],
                        rows["unit"],
                        ok,
                        rows["reason"],
                        strict=True,
                    )
                ],
                hoverinfo="text",
                showlegend=False,
            ),
            row=index,
            col=1,
        )
        figure.add_vline(x=0, line={"color": MUTED, "width": 1, "dash": "dot"}, row=index, col=1)
        for y, k in zip(ys, ok, strict=True):
            if not k:
                figure.add_annotation(
                    x=0,
                    y=y,
                    text="not enough data",
                    showarrow=False,
                    xanchor="left",
                    xshift=8,
                    font={"size": 11, "color": "#5f6670"},
                    row=index,
                    col=1,
                )
    figure.update_layout(
        title={
            "text": "Platform impact: adopters minus non-adopters<br><sup>estimate with its "
            "bootstrap interval; left of the dotted zero line is lower</sup>",
            "x": 0,
            "xanchor": "left",
        },
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
        height=110 + 150 * len(metrics),
        font={"family": FONT},
    )
    figure.update_xaxes(zeroline=False)
    return figure


def roadmap_figure(roadmap: pd.DataFrame) -> go.Figure:
    """Each initiative's progress (share of the way from baseline to target) against the share
    of its time elapsed, coloured by status; both are stored columns of marts.roadmap_progress."""
    frame = roadmap.iloc[::-1]
    titles = [plot_text(t) for t in frame["title"]]
    progress = _numbers(frame["progress"])
    figure = go.Figure(
        go.Bar(
            y=titles,
            x=progress,
            orientation="h",
            name="Progress to target",
            marker={"color": [STATUS_COLOURS.get(str(s), MUTED) for s in frame["status"]]},
            hovertext=[
                f"{t}<br>{plot_text(str(s).replace('_', ' '))}: {plot_text(w)}"
                for t, s, w in zip(titles, frame["status"], frame["why"], strict=True)
            ],
            hoverinfo="text",
        )
    )
    figure.add_trace(
        go.Scatter(
            y=titles,
            x=_numbers(frame["time_elapsed"]),
            mode="markers",
            name="Time elapsed to the due date",
            marker={"symbol": "line-ns", "size": 26, "line": {"width": 3, "color": "#1f2a44"}},
            hovertemplate="%{x:.0%} of the time to the due date elapsed<extra></extra>",
        )
    )
    _layout(
        figure,
        "Roadmap: progress from baseline to target",
        height=max(240, 130 + 60 * len(frame)),
        subtitle="bar: share of the way done (colour: status); black mark: share of the time "
        "elapsed to the due date",
    )
    figure.update_layout(showlegend=False)
    finite = [p for p in progress if p is not None]
    figure.update_xaxes(
        title_text="Share of the way from baseline to target (%)",
        tickformat=".0%",
        range=[min([0.0, *finite]) - 0.05, max([1.0, *finite]) + 0.1],
    )
    figure.add_vline(x=1, line={"color": MUTED, "width": 1, "dash": "dot"})
    return figure


def opportunity_figure(
    opportunities: pd.DataFrame, team_names: Mapping[str, str], *, top: int = 15
) -> go.Figure:
    """The top opportunities by score: the volume that would move to the platform."""
    frame = opportunities.sort_values("rank").head(top).iloc[::-1]
    ys = [
        plot_text(f"{int(r)}. {team_names.get(t, t)} · {c}")
        for r, t, c in zip(frame["rank"], frame["team_id"], frame["capability"], strict=True)
    ]
    figure = go.Figure(
        go.Bar(
            y=ys,
            x=_numbers(frame["score"]),
            orientation="h",
            marker={"color": PALETTE[3]},
            hovertext=[
                f"{y}<br>gap {format_value(g, 'ratio')} x {int(s):,} {plot_text(u)}"
                for y, g, s, u in zip(
                    ys, frame["gap"], frame["size"], frame["size_unit"], strict=True
                )
            ],
            hoverinfo="text",
        )
    )
    _layout(
        figure,
        f"Opportunities: top {len(frame)} by expected gain",
        height=max(240, 110 + 26 * len(frame)),
        subtitle="score = gap to the adopters' share x the team's volume (marts.opportunities)",
    )
    figure.update_xaxes(title_text="Volume that would move to the platform", rangemode="tozero")
    return figure


def missing_facts_figure(missing: pd.DataFrame) -> go.Figure:
    """Services lacking each catalogue fact (owner team, tier, lifecycle, repository, template)."""
    figure = go.Figure(
        go.Bar(
            x=[plot_text(f) for f in missing["fact"]],
            y=missing["services_missing"].astype(float),
            marker={"color": PALETTE[4]},
            hovertemplate="%{y:,} service(s) without a %{x}<extra></extra>",
        )
    )
    total = int(missing["services"].max()) if len(missing) else 0
    _layout(
        figure,
        "Services missing each catalogue fact",
        height=320,
        subtitle=f"of {total:,} catalogued service(s) in view",
    )
    figure.update_xaxes(title_text="Fact")
    figure.update_yaxes(title_text="Services missing it", tickformat=",d", rangemode="tozero")
    return figure

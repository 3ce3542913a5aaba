"""CI health: do pipelines succeed, how long do they take and wait, how often are they re-run,
and does the golden-path pipeline do better than hand-rolled ones?

The trends are the stored ci_* metrics (metrics.metric_values, with the p90 series dashed); the
team heatmap reads every team's stored value; per repository and pipeline, marts.ci_health; golden
path against hand-rolled, marts.ci_golden_path_comparison. The page computes nothing. Period,
grain and team are URL parameters shared with the other pages.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import data, platform
from dashboards import platform_charts as charts
from dashboards.app_pages._ui import (
    empty_state,
    explain_empty,
    formatted,
    page_start,
    table,
    team_period_header,
    text,
    unavailable,
    url_selectbox,
)
from dashboards.filters import ORG, Window
from dashboards.formatting import md

# (Comments, not docstrings: a bare string in a page script is drawn on the page.)
TRENDS = ("ci_success_rate", "ci_duration", "ci_queue_time", "ci_rerun_rate")
P90 = {"ci_duration": "ci_duration_p90", "ci_queue_time": "ci_queue_time_p90"}
RATE_COLUMNS = ("success_rate", "rerun_rate")
MINUTE_COLUMNS = (
    "duration_median_minutes", "duration_p90_minutes", "queue_median_minutes",
    "queue_p90_minutes",
)  # fmt: skip


def _trends(catalog: pd.DataFrame, series: pd.DataFrame, win: Window, label: str) -> None:
    metrics = [m for m in TRENDS if m in catalog.index]
    for start in range(0, len(metrics), 2):
        for column, metric in zip(st.columns(2), metrics[start : start + 2], strict=False):
            own = series[series["metric"] == metric]
            p90_metric = P90.get(metric)
            p90 = (
                series[series["metric"] == p90_metric]
                if p90_metric and p90_metric in catalog.index
                else None
            )
            with column, st.container(border=True, key=f"ci_{metric}"):
                if own.empty:
                    st.info(
                        f"No values of {md(text(catalog.at[metric, 'label'], metric))} "
                        f"for {md(label)}.",
                        icon=":material/info:",
                    )
                    continue
                st.plotly_chart(
                    charts.trend_with_p90_figure(
                        own,
                        {"metric": metric, **catalog.loc[metric].to_dict()},
                        scope_label=label,
                        grain=win.grain,
                        p90=p90,
                        p90_label=text(catalog.at[p90_metric, "label"], "p90")
                        if p90 is not None and p90_metric
                        else None,
                    ),
                    key=f"chart_{metric}",
                    config={"displaylogo": False},
                )


def _heatmap(catalog: pd.DataFrame, win: Window, teams: dict[str, str]) -> None:
    choices = [m for m in (*TRENDS, *P90.values()) if m in catalog.index]
    metric = url_selectbox(
        "CI metric by team",
        choices,
        param="ci_metric",
        default=choices[0],
        format_func=lambda m: text(catalog.at[m, "label"], m),
    )
    matrix = platform.team_matrix(metric, win.grain, until=win.last, since=win.first)
    if matrix.empty:
        st.info("No team values of this metric in the period.", icon=":material/info:")
        return
    st.plotly_chart(
        charts.heatmap_figure(
            matrix, {"metric": metric, **catalog.loc[metric].to_dict()}, teams, grain=win.grain
        ),
        key="chart_ci_heatmap",
        config={"displaylogo": False},
    )


def _pipelines(win: Window, team: str, label: str) -> None:
    """Per repository and pipeline, week by week (marts.ci_health), with one pipeline's trend."""
    rows = platform.ci_health(win.start, win.end, team)
    if explain_empty(rows, platform.CI_HEALTH, f"No CI runs for {md(label)} in {win.describe()}."):
        return
    st.caption(
        "marts.ci_health is weekly: each row is one pipeline of one repository in one week, "
        "whatever the grain chosen above."
    )
    # (repo, pipeline) pairs, not "repo · pipeline" strings: a name may hold " · " itself.
    pairs = sorted(set(zip(rows["repo"], rows["pipeline"], strict=True)))
    repo, pipeline = st.selectbox(
        "Pipeline", pairs, key="ci_pipeline", format_func=lambda pair: " · ".join(pair)
    )
    own = rows[(rows["repo"] == repo) & (rows["pipeline"] == pipeline)]
    series = pd.concat(
        [
            pd.DataFrame(
                {
                    "metric": column,
                    "period_start": own["week"],
                    "value": own[column],
                    "denominator": own["conclusive_runs" if column == "success_rate" else "runs"],
                }
            )
            for column in ("success_rate", "rerun_rate")
        ],
        ignore_index=True,
    )
    st.plotly_chart(
        charts.multi_trend_figure(
            series,
            {
                "success_rate": {"label": "Success rate", "unit": "ratio"},
                "rerun_rate": {"label": "Re-run rate", "unit": "ratio"},
            },
            title=f"{pipeline} in {repo}",
            scope_label="weekly, marts.ci_health",
            grain="week",
        ),
        key="chart_pipeline",
        config={"displaylogo": False},
    )
    units = {c: "ratio" for c in RATE_COLUMNS} | {c: "minutes" for c in MINUTE_COLUMNS}
    table(
        formatted(rows, units),
        key="ci_health",
        file_name=f"ci_health_{team}.csv",
        csv=rows,
        column_config={
            "week": st.column_config.DateColumn("Week", format="YYYY-MM-DD"),
            "repo": "Repository",
            "pipeline": "Pipeline",
            "team_id": "Team",
            "golden_path": "Golden path",
            "runs": "Runs",
            "conclusive_runs": "Conclusive",
            "successful_runs": "Successful",
            "success_rate": "Success rate",
            "duration_median_minutes": "Duration, median",
            "duration_p90_minutes": "Duration, p90",
            "queue_median_minutes": "Queue, median",
            "queue_p90_minutes": "Queue, p90",
            "reruns": "Re-runs",
            "rerun_rate": "Re-run rate",
        },
    )


def _comparison(win: Window, team: str, label: str) -> None:
    scope, scope_id = ("org", ORG) if team == ORG else ("team", team)
    rows = platform.ci_comparison(scope, scope_id, win.start, win.end)
    if rows.empty:
        st.info(
            f"No CI runs to compare for {md(label)} in {win.describe()}."
            if data.status().has(platform.CI_COMPARISON)
            else "marts.ci_golden_path_comparison is not published yet.",
            icon=":material/info:",
        )
        return
    st.plotly_chart(
        charts.ci_comparison_figure(rows, scope_label=label),
        key="chart_ci_comparison",
        config={"displaylogo": False},
    )
    units = {c: "ratio" for c in RATE_COLUMNS} | {c: "minutes" for c in MINUTE_COLUMNS}
    with st.expander("Golden path against hand-rolled, week by week", key="comparison_exp"):
        table(
            formatted(rows, units),
            key="ci_comparison",
            file_name=f"ci_golden_path_comparison_{team}.csv",
            csv=rows,
            column_config={"week": st.column_config.DateColumn("Week", format="YYYY-MM-DD")},
        )


def main() -> None:
    """Render the page; every missing-data path ends in an explanation, never an exception."""
    started = page_start(
        "CI health",
        "Do CI pipelines succeed, how long do they run and wait, how often are they re-run, and "
        "does the golden-path pipeline do better than hand-rolled ones?",
        data.METRIC_VALUES,
        data.CATALOG,
    )
    if started is None:
        return
    status, freshness = started
    catalog = data.catalog()
    if not any(m in catalog.index for m in TRENDS):
        empty_state(status, "The catalog defines none of the CI metrics yet.")
        return
    view = team_period_header(status, freshness)
    if view is None:
        return
    teams, team, grain, win, label = view.teams, view.team, view.grain, view.win, view.label
    scope, scope_id = view.scope, view.scope_id
    metrics = [m for m in (*TRENDS, *P90.values()) if m in catalog.index]
    series = data.series(metrics, scope, scope_id, grain=grain, until=win.last, since=win.first)

    st.subheader(f"CI over time · {md(label)}")
    st.caption(f"Complete {'weeks' if grain == 'week' else 'months'} only: {win.describe()}.")
    _trends(catalog, series, win, label)
    st.subheader("Teams over time")
    _heatmap(catalog, win, teams)
    st.subheader("Golden path against hand-rolled")
    _comparison(win, team, label)
    st.subheader("Per repository and pipeline")
    _pipelines(win, team, label)


try:
    main()
except data.WarehouseUnavailable as error:
    unavailable(error)

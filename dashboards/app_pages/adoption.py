"""Adoption: are the platform's golden paths taken up, by whom, and is self-service replacing
tickets?

Shares and active users come from metrics.metric_values (golden_path_service_share,
golden_path_ci_share, platform_deploy_share, platform_active_users, platform_active_user_share);
the funnel from marts.adoption (services or teams on each path by the end of each period); self-
service against tickets from marts.capability_usage. The page lays them out and never computes a
share. Period, grain and team are URL parameters shared with the other pages.
"""

from __future__ import annotations

from datetime import date
from typing import Any

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
from dashboards.filters import Window
from dashboards.formatting import format_delta, format_value, is_missing, md

# (Comments, not docstrings: a bare string in a page script is drawn on the page.)
SHARES = ("golden_path_service_share", "golden_path_ci_share", "platform_deploy_share")
USERS = ("platform_active_users", "platform_active_user_share")
HEATMAP_CHOICES = (*SHARES, "self_service_share", "platform_active_user_share")
TIME = st.column_config.DatetimeColumn
TILES_PER_ROW = 3


def _tiles(catalog: pd.DataFrame, series: pd.DataFrame, win: Window) -> None:
    """The latest complete period's value of each share and of active users, with its change."""
    shown = [m for m in (*SHARES, *USERS) if m in catalog.index]
    per = "week" if win.grain == "week" else "month"
    columns = [c for _ in range(0, len(shown), TILES_PER_ROW) for c in st.columns(TILES_PER_ROW)]
    for column, metric in zip(columns, shown, strict=False):
        meta = catalog.loc[metric]
        unit = meta.get("unit")
        rows = series[(series["metric"] == metric) & (series["period_start"] == win.last)]
        row: dict[str, Any] = rows.iloc[-1].to_dict() if len(rows) else {}
        with column, st.container(border=True, key=f"tile_{metric}"):
            st.metric(
                md(text(meta.get("label"), metric)),
                format_value(row.get("value"), unit),
                delta=format_delta(row.get("delta"), unit),
                delta_color="normal",
                help=text(meta.get("description")) or None,
            )
            if is_missing(row.get("value")):
                st.caption(f"Undefined this {per} (nothing to measure), not zero.")
            elif not is_missing(row.get("denominator")):
                st.caption(
                    f"{format_value(row.get('numerator'), None)} of "
                    f"{format_value(row.get('denominator'), None)}"
                )


def _shares(catalog: pd.DataFrame, series: pd.DataFrame, win: Window, label: str) -> None:
    metas = {m: {"metric": m, **catalog.loc[m].to_dict()} for m in SHARES if m in catalog.index}
    if series[series["metric"].isin(list(metas))].empty:
        st.info(
            f"No golden-path shares for {md(label)} in {win.describe()}.", icon=":material/info:"
        )
        return
    st.plotly_chart(
        charts.multi_trend_figure(
            series,
            metas,
            title="Golden-path shares",
            scope_label=label,
            grain=win.grain,
        ),
        key="chart_shares",
        config={"displaylogo": False},
    )


def _heatmap(catalog: pd.DataFrame, win: Window, teams: dict[str, str]) -> None:
    """Every team's value of one share per period: who lags and since when."""
    choices = [m for m in HEATMAP_CHOICES if m in catalog.index]
    metric = url_selectbox(
        "Share by team",
        choices,
        param="share",
        default=choices[0],
        format_func=lambda m: text(catalog.at[m, "label"], m),
        help="The metric the team heatmap shows.",
    )
    matrix = platform.team_matrix(metric, win.grain, until=win.last, since=win.first)
    if matrix.empty:
        st.info("No team values of this metric in the period.", icon=":material/info:")
        return
    meta = {"metric": metric, **catalog.loc[metric].to_dict()}
    st.plotly_chart(
        charts.heatmap_figure(matrix, meta, teams, grain=win.grain),
        key="chart_heatmap",
        config={"displaylogo": False},
    )
    wide = matrix.pivot(index="team_id", columns="period_start", values="value")
    wide.columns = [f"{c:%Y-%m-%d}" for c in wide.columns]
    wide = wide.reset_index()
    wide.insert(1, "team", [teams.get(t, t) for t in wide["team_id"]])
    unit = meta.get("unit")
    with st.expander("The heatmap as a table", key="heatmap_expander"):
        table(
            formatted(wide, {c: unit for c in wide.columns[2:]}),
            key="heatmap",
            file_name=f"{metric}_by_team_{win.grain}.csv",
            csv=wide,
        )


def _funnel(win: Window, first: date, team: str, label: str) -> None:
    """Services (or teams) on each golden path by the end of each period, from marts.adoption."""
    unit = st.segmented_control(
        "Count",
        ["service", "team"],
        default="service",
        format_func=lambda u: "Services" if u == "service" else "Teams",
        key="funnel_unit",
    )
    unit = unit or "service"
    funnel = platform.adoption_funnel(unit, team, grain=win.grain, first=first, last=win.last)
    if funnel.empty or funnel["in_scope"].sum() == 0:
        st.info(f"No {unit}s in marts.adoption for {md(label)}.", icon=":material/info:")
        return
    st.plotly_chart(
        charts.funnel_figure(funnel, unit=unit, scope_label=label, grain=win.grain),
        key="chart_funnel",
        config={"displaylogo": False},
    )
    with st.expander(f"Which {unit}s adopted which path, and the evidence", key="adopt_exp"):
        table(
            platform.adoption_rows(unit, team),
            key=f"adoption_{unit}",
            file_name=f"adoption_{unit}s_{team}.csv",
            column_config={
                "scope": None,
                "scope_id": "Service" if unit == "service" else "Team",
                "team_id": "Team",
                "golden_path": "Golden path",
                "is_adopted": "Adopted",
                "adopted_at": TIME("Adopted (UTC)", format="YYYY-MM-DD"),
                "evidence": st.column_config.TextColumn("Evidence", width="large"),
                "exists_since": TIME("Exists since (UTC)", format="YYYY-MM-DD"),
            },
        )


def _capabilities(win: Window, team: str, label: str) -> None:
    """Self-service against tickets per capability over the window (marts.capability_usage)."""
    totals = platform.capability_totals(win.start, win.end, team)
    if explain_empty(
        totals,
        platform.CAPABILITY_USAGE,
        f"No platform events for {md(label)} in {win.describe()}.",
    ):
        return
    st.plotly_chart(
        charts.capability_figure(totals, subtitle=f"{label}, {win.describe()}"),
        key="chart_capabilities",
        config={"displaylogo": False},
    )
    rows = platform.capability_rows(win.start, win.end, team)
    with st.expander("Weekly use per capability and team", key="capability_expander"):
        table(
            formatted(rows, {"self_service_share": "ratio"}),
            key="capability_usage",
            file_name=f"capability_usage_{team}.csv",
            csv=rows,
            column_config={
                "week": st.column_config.DateColumn("Week", format="YYYY-MM-DD"),
                "capability": "Capability",
                "team_id": "Team",
                "events": "Events",
                "self_service": "Self-service",
                "ticket": "Tickets",
                "self_service_share": "Self-service share",
                "actors": "People",
                "self_service_median_s": st.column_config.NumberColumn(
                    "Self-service median (s)", format="%.0f"
                ),
                "ticket_median_s": st.column_config.NumberColumn(
                    "Ticket median wait (s)", format="%.0f"
                ),
            },
        )


def _users(catalog: pd.DataFrame, series: pd.DataFrame, win: Window, label: str) -> None:
    for column, metric in zip(st.columns(2), USERS, strict=True):
        if metric not in catalog.index:
            continue
        own = series[series["metric"] == metric]
        with column:
            if own.empty:
                st.info(f"No values of {md(metric)} for {md(label)}.", icon=":material/info:")
                continue
            st.plotly_chart(
                charts.trend_with_p90_figure(
                    own,
                    {"metric": metric, **catalog.loc[metric].to_dict()},
                    scope_label=label,
                    grain=win.grain,
                ),
                key=f"chart_{metric}",
                config={"displaylogo": False},
            )


def main() -> None:
    """Render the page; every missing-data path ends in an explanation, never an exception."""
    started = page_start(
        "Adoption",
        "Are the golden paths taken up, by which teams, and is self-service replacing tickets?",
        data.METRIC_VALUES,
        data.CATALOG,
    )
    if started is None:
        return
    status, freshness = started
    catalog = data.catalog()
    if not any(m in catalog.index for m in (*SHARES, *USERS)):
        empty_state(status, "The catalog defines none of the adoption metrics yet.")
        return
    view = team_period_header(status, freshness)
    if view is None:
        return
    teams, team, grain, win, label = view.teams, view.team, view.grain, view.win, view.label
    scope, scope_id = view.scope, view.scope_id
    series = data.series(
        [m for m in (*SHARES, *USERS) if m in catalog.index],
        scope,
        scope_id,
        grain=grain,
        until=win.last,
        since=win.first,
    )
    per = "week" if grain == "week" else "month"
    st.subheader(f"{md(label)} · {per} of {win.last:%d %b %Y}")
    st.caption(f"The latest complete {per}; changes compare with the {per} before.")
    _tiles(catalog, series, win)

    st.subheader("Golden-path shares over time")
    _shares(catalog, series, win, label)
    st.subheader("Adoption funnel")
    st.caption(
        "How many services (or teams) had taken up each golden path by the end of each period: "
        "created from a template, then golden-path CI, then deploying through the platform."
    )
    # "All weeks" has no first period: the funnel starts where the stored series does.
    first = win.first or (min(series["period_start"]) if len(series) else win.last)
    _funnel(win, first, team, label)
    st.subheader("Teams over time")
    _heatmap(catalog, win, teams)
    st.subheader("Self-service against tickets")
    _capabilities(win, team, label)
    st.subheader("Active platform users")
    _users(catalog, series, win, label)


try:
    main()
except data.WarehouseUnavailable as error:
    unavailable(error)

"""Catalogue: does the service catalogue record what the platform needs to know about each
service (owner team, tier, lifecycle, repository, golden-path template), and is it improving?

Per service: marts.catalogue_completeness (which facts are missing). Over time: the stored
catalogue_completeness metric for the organisation and every team. The page computes nothing;
the only count (services missing each fact) counts the mart's rows. Period, grain, team and
service are URL parameters shared with the other pages; the service narrows the per-service table.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import data, platform
from dashboards import platform_charts as charts
from dashboards.app_pages._ui import (
    formatted,
    page_start,
    service_filter,
    table,
    team_period_header,
    text,
    unavailable,
)
from dashboards.filters import ALL_SERVICES, ORG, Window
from dashboards.formatting import md

# (Comments, not docstrings: a bare string in a page script is drawn on the page.)
METRIC = "catalogue_completeness"


def _trend(
    catalog: pd.DataFrame, series: pd.DataFrame, win: Window, label: str, teams: dict[str, str]
) -> None:
    if METRIC not in catalog.index:
        st.info("The catalog does not define catalogue_completeness yet.", icon=":material/info:")
        return
    meta = {"metric": METRIC, **catalog.loc[METRIC].to_dict()}
    if series.empty:
        st.info(f"No values of catalogue completeness for {md(label)}.", icon=":material/info:")
    else:
        st.plotly_chart(
            charts.trend_with_p90_figure(series, meta, scope_label=label, grain=win.grain),
            key="chart_completeness",
            config={"displaylogo": False},
        )
    matrix = platform.team_matrix(METRIC, win.grain, until=win.last, since=win.first)
    if not matrix.empty:
        st.plotly_chart(
            charts.heatmap_figure(matrix, meta, teams, grain=win.grain),
            key="chart_completeness_teams",
            config={"displaylogo": False},
        )


def _services(team: str, service: str, label: str, teams: dict[str, str]) -> None:
    chosen = None if service == ALL_SERVICES else service
    rows = platform.catalogue(team, chosen)
    if rows.empty:
        st.info(
            f"No catalogued service for {md(label)}."
            if data.status().has(platform.CATALOGUE)
            else "marts.catalogue_completeness is not published yet: the pipeline has not built "
            "it.",
            icon=":material/info:",
        )
        return
    missing = platform.missing_counts(team, chosen)
    st.plotly_chart(
        charts.missing_facts_figure(missing),
        key="chart_missing",
        config={"displaylogo": False},
    )
    complete = int(rows["missing"].isna().sum())
    st.caption(
        f"{complete:,} of {len(rows):,} service(s) record all five facts. Least complete first; "
        "fill in what the last column names, at the source of the catalogue."
    )
    shown = rows.assign(team=[teams.get(t, t) for t in rows["team_id"]])[
        [
            "service_id", "team", "completeness", "missing", "has_owner_team", "has_tier",
            "has_lifecycle", "has_repository", "has_template",
        ]
    ]  # fmt: skip
    shown["missing"] = shown["missing"].fillna("nothing")
    table(
        formatted(shown, {"completeness": "ratio"}),
        key="catalogue",
        file_name=f"catalogue_completeness_{team}.csv",
        csv=rows,
        column_config={
            "service_id": "Service",
            "team": "Team",
            "completeness": "Completeness",
            "missing": st.column_config.TextColumn("Missing", width="medium"),
            "has_owner_team": "Owner team",
            "has_tier": "Tier",
            "has_lifecycle": "Lifecycle",
            "has_repository": "Repository",
            "has_template": "Template",
        },
    )


def main() -> None:
    """Render the page; every missing-data path ends in an explanation, never an exception."""
    started = page_start(
        "Catalogue",
        "Does the service catalogue record each service's owner team, tier, lifecycle, "
        "repository and golden-path template, and is it getting more complete?",
        data.METRIC_VALUES,
        data.CATALOG,
    )
    if started is None:
        return
    status, freshness = started
    catalog = data.catalog()
    services = data.services()

    def service_choice(team: str) -> tuple[str, dict[str, str]]:
        in_view = services if team == ORG else services[services["team_id"] == team]
        service_names = dict(zip(in_view["service_id"], in_view["name"], strict=True))
        return service_filter(service_names), service_names

    view = team_period_header(status, freshness, extra=service_choice)
    if view is None:
        return
    teams, team, grain, win, label = view.teams, view.team, view.grain, view.win, view.label
    scope, scope_id = view.scope, view.scope_id
    service, service_names = view.extra
    series = data.series([METRIC], scope, scope_id, grain=grain, until=win.last, since=win.first)

    st.subheader(f"Completeness over time · {md(label)}")
    st.caption(
        f"{text(catalog['description'].get(METRIC) if METRIC in catalog.index else None)} "
        f"Over {win.describe()}. The metric is per team and organisation; the service "
        "filter narrows the table below."
    )
    _trend(catalog, series, win, label, teams)
    service_label = label if service == ALL_SERVICES else service_names.get(service, service)
    st.subheader(f"Per service · {md(service_label)}")
    _services(team, service, service_label, teams)


try:
    main()
except data.WarehouseUnavailable as error:
    unavailable(error)

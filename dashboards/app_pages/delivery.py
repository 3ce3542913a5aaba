"""Delivery: each DORA metric over time against its bands, teams across bands, and the rows behind.

Figures come from metrics.metric_values (the series), metrics.bands (the thresholds of the report
year in meta.rules), metrics.performance (bands over the trailing window) and the marts (the
drill-down rows, each with the reason the pipeline recorded). The page lays them out; it never
computes a metric. Period, grain, team and service are URL parameters shared with other pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import pandas as pd
import streamlit as st

from dashboards import charts, data, facts
from dashboards.app_pages._ui import (
    dora_start,
    empty_state,
    grain_filter,
    period_filter,
    service_filter,
    table,
    team_filter,
    unavailable,
)
from dashboards.filters import ALL_SERVICES, ORG, Window, scope_of, window
from dashboards.formatting import BAND_COLOURS, band_label, format_value, is_missing, md

# Page scripts run with Streamlit "magic": a bare string here would be drawn on the page, so
# constants are explained in comments.
CHARTS_PER_ROW = 2
# Units whose bands are per week (deploys per week): drawn on the weekly view only.
COUNT_UNITS = frozenset({"count"})


def _text(value: object, fallback: str = "") -> str:
    return fallback if is_missing(value) or not str(value) else str(value)


def _filters() -> tuple[str, str, str, str, dict[str, str], dict[str, str]]:
    """Period, grain, team and service (URL-bound); the team and service names for labels."""
    teams = data.teams()
    team_names = dict(zip(teams["team_id"], teams["name"], strict=True))
    services = data.services()
    period_col, grain_col, team_col, service_col = st.columns(4)
    with grain_col:
        grain = grain_filter()
    with period_col:
        period = period_filter(monthly=True)
    with team_col:
        team = team_filter(team_names)
    in_view = services if team == ORG else services[services["team_id"] == team]
    service_names = dict(zip(in_view["service_id"], in_view["name"], strict=True))
    with service_col:
        service = service_filter(service_names)
    return period, grain, team, service, team_names, service_names


def _scope_label(team: str, service: str, teams: dict[str, str], services: dict[str, str]) -> str:
    if service != ALL_SERVICES:
        return f"service {services.get(service, service)}"
    if team != ORG:
        return teams.get(team, team)
    return "Whole organisation"


def _band_caption(
    metric: str,
    unit: str | None,
    grain: str,
    thresholds: pd.DataFrame,
    year: int | None,
    band: pd.Series | None,
) -> str:
    """Which bands are drawn and where this scope stands over the latest trailing window."""
    parts: list[str] = []
    if thresholds.empty:
        parts.append("No DORA bands for this metric.")
    elif grain != "week" and unit in COUNT_UNITS:
        parts.append("Bands are per week: the weekly view draws them.")
    else:
        parts.append(f"Shaded: DORA {year} bands.")
    if band is not None:
        key = str(band.get("band") or "").lower()
        colour = BAND_COLOURS.get(key, "gray")
        start, end = band.get("window_start"), band.get("window_end")
        over = (
            ""
            if is_missing(start) or is_missing(end)
            else f" over {pd.Timestamp(start):%d %b} – {pd.Timestamp(end):%d %b %Y}"
        )
        parts.append(
            f"Band: :{colour}-badge[{md(band_label(band.get('band')))}] · "
            f"{format_value(band.get('value'), unit)}{over}."
        )
    return " ".join(parts)


def _metric_chart(
    metric: str,
    catalog: pd.DataFrame,
    series: pd.DataFrame,
    thresholds: pd.DataFrame,
    year: int | None,
    bands: pd.DataFrame,
    grain: str,
    scope_label: str,
) -> None:
    """One metric's chart in its own keyed container, with the band caption under it."""
    meta: dict[str, Any] = {"metric": metric, **catalog.loc[metric].to_dict()}
    unit = meta.get("unit")
    label = _text(meta.get("label"), metric)
    own = series[series["metric"] == metric]
    metric_thresholds = thresholds[thresholds["metric"] == metric]
    drawn = metric_thresholds if grain == "week" or unit not in COUNT_UNITS else None
    p90_metric = f"{metric}_p90"
    p90 = series[series["metric"] == p90_metric] if p90_metric in catalog.index else None
    with st.container(border=True, key=f"delivery_{metric}"):
        if own.empty:
            st.info(
                f"No {'weekly' if grain == 'week' else 'monthly'} values of {md(label)} for "
                f"{md(scope_label)} in this period."
            )
        else:
            st.plotly_chart(
                charts.banded_trend_figure(
                    own,
                    meta,
                    scope_label=scope_label,
                    grain=grain,
                    thresholds=drawn,
                    p90=p90,
                    p90_label=_text(catalog.at[p90_metric, "label"], "p90")
                    if p90 is not None
                    else None,
                ),
                key=f"chart_{metric}",
                config={"displaylogo": False},
            )
        band = bands.loc[metric] if metric in bands.index else None
        st.caption(_band_caption(metric, unit, grain, metric_thresholds, year, band))


def _distribution(catalog: pd.DataFrame, metrics: list[str], teams: dict[str, str]) -> None:
    """Teams across bands per banded metric, as a chart and a downloadable table."""
    st.subheader("Teams across DORA bands")
    counts = data.band_counts(metrics)
    if counts.empty:
        st.info(
            "No performance bands yet: metrics.performance has no team rows. Bands need a "
            "trailing window of deployments (see meta.rules.band_window_weeks).",
            icon=":material/info:",
        )
        return
    labels = {m: _text(catalog.at[m, "label"], m) for m in metrics}
    st.plotly_chart(
        charts.band_distribution_figure(counts, labels),
        key="chart_band_distribution",
        config={"displaylogo": False},
    )
    rows = data.team_bands(metrics)
    if rows.empty:
        return
    first = rows.iloc[0]
    st.caption(
        f"Each team's band over the trailing window {pd.Timestamp(first['window_start']):%d %b}"
        f" – {pd.Timestamp(first['window_end']):%d %b %Y} (DORA {int(first['report_year'])}); "
        "“No band” means too little data in the window."
    )
    units = catalog["unit"].to_dict()
    shown = pd.DataFrame(
        {
            "team": [teams.get(t, t) for t in rows["team_id"]],
            "team_id": rows["team_id"],
            "metric": [labels.get(m, m) for m in rows["metric"]],
            "band": [band_label(b) for b in rows["band"]],
            "value": [
                format_value(v, units.get(m))
                for v, m in zip(rows["value"], rows["metric"], strict=True)
            ],
            "sample_size": rows["sample_size"],
        }
    )
    with st.expander("Every team's band", key="team_bands_expander"):
        table(
            shown,
            key="team_bands",
            file_name="team_bands.csv",
            column_config={
                "team": "Team",
                "team_id": "Team id",
                "metric": "Metric",
                "band": "Band",
                "value": "Value over the window",
                "sample_size": st.column_config.NumberColumn("Sample size", format="%d"),
            },
        )


TIME = st.column_config.DatetimeColumn
DEPLOYMENT_COLUMNS: dict[str, Any] = {
    "deployment_id": "Deployment",
    "service_id": "Service",
    "team_id": "Team",
    "environment": "Environment",
    "status": "Status",
    "kind": "Kind",
    "finished_at": TIME("Finished (UTC)", format="YYYY-MM-DD HH:mm"),
    "classification": "Classification",
    "why": st.column_config.TextColumn("Why", width="large"),
    "is_counted": "Counted",
    "not_counted_reason": "Not counted because",
    "is_failure": "Failure",
    "failure_reason": "Failure because",
    "rolled_back_by_deployment_id": "Rolled back by",
    "is_rework": "Rework",
    "sha": "Commit",
}
CHANGE_COLUMNS: dict[str, Any] = {
    "change_id": "Change",
    "change_type": "Type",
    "service_id": "Service",
    "team_id": "Team",
    "deployment_id": "Deployment",
    "first_authored_at": TIME("First authored (UTC)", format="YYYY-MM-DD HH:mm"),
    "merged_at": TIME("Merged (UTC)", format="YYYY-MM-DD HH:mm"),
    "deployed_at": TIME("Deployed (UTC)", format="YYYY-MM-DD HH:mm"),
    "lead_time_hours": st.column_config.NumberColumn("Lead time (hours)", format="%.1f"),
    "why": st.column_config.TextColumn("Why it is a change", width="large"),
    "lead_time_note": "Lead time",
}
INCIDENT_COLUMNS: dict[str, Any] = {
    "incident_id": "Incident",
    "service_id": "Service",
    "team_id": "Team",
    "severity": "Severity",
    "opened_at": TIME("Opened (UTC)", format="YYYY-MM-DD HH:mm"),
    "resolved_at": TIME("Resolved (UTC)", format="YYYY-MM-DD HH:mm"),
    "deployment_id": "Counts against",
    "link_method": "Link method",
    "link_reason": st.column_config.TextColumn("Why", width="large"),
    "caused_by_deployment_id": "Named cause",
    "is_counted": "Severity counted",
    "hours_after_deployment": st.column_config.NumberColumn(
        "Hours after deployment", format="%.2f"
    ),
}


class _Listing(NamedTuple):
    """One drill-down tab: its reader, its count, and how an empty tab explains itself."""

    key: str
    title: str
    rows: Callable[..., pd.DataFrame]
    count: Callable[..., int]
    columns: dict[str, Any]
    mart: str
    nothing: str


LISTINGS = (
    _Listing("deployments", "Deployments", facts.deployments, facts.count_deployments,
             DEPLOYMENT_COLUMNS, facts.DEPLOYMENTS, "No deployments in this period yet."),
    _Listing("changes", "Changes", facts.changes, facts.count_changes, CHANGE_COLUMNS,
             facts.CHANGES, "No change reached production in this period."),
    _Listing("incidents", "Incidents", facts.incidents, facts.count_incidents, INCIDENT_COLUMNS,
             facts.INCIDENT_LINKS, "No incident was opened in this period."),
)  # fmt: skip


def _drill_down(win: Window, team: str, service: str, scope_label: str) -> None:
    """The rows behind the figures, for the same days, team and service, with their reasons.

    Each tab shows the newest facts.DRILL_DOWN_ROWS rows and counts all of them; its CSV fetches
    every row on the click (a window can hold a hundred thousand deployments).
    """
    st.subheader("Drill down")
    st.caption(
        f"The deployments, changes and incidents of {md(scope_label)} in {win.describe()}, "
        "newest "
        "first: the rows the figures above are made of, each with the rule that classified it."
    )
    bounds = (win.start, win.end, team, service)
    totals = [listing.count(*bounds) for listing in LISTINGS]
    suffix = f"{service if service != ALL_SERVICES else team}_{win.grain}"
    tabs = st.tabs(
        [f"{listing.title} ({total:,})" for listing, total in zip(LISTINGS, totals, strict=True)],
        key="drill_down_tabs",
    )
    published = data.status()
    for tab, total, listing in zip(tabs, totals, LISTINGS, strict=True):
        with tab:
            table(
                listing.rows(*bounds, limit=facts.DRILL_DOWN_ROWS),
                key=listing.key,
                file_name=f"{listing.key}_{suffix}.csv",
                column_config=listing.columns,
                empty=listing.nothing
                if published.has(listing.mart)
                else f"{listing.mart} is not published yet: the pipeline has not built the marts.",
                csv=lambda rows=listing.rows: rows(*bounds, cache=False),
                total=total,
            )


def main() -> None:
    """Render the page; every missing-data path ends in an explanation, never an exception."""
    started = dora_start("Delivery")
    if started is None:
        return
    status, freshness, catalog, metrics = started

    period, grain, team, service, team_names, service_names = _filters()
    scope, scope_id = scope_of(team, service)
    scope_label = _scope_label(team, service, team_names, service_names)

    now = data.utc_now()
    last = data.latest_complete_period(grain, min(freshness.last_refreshed or now, now))
    if last is None:
        empty_state(
            status,
            f"No complete {'week' if grain == 'week' else 'month'} of metrics yet: "
            "the first one is still running.",
        )
        return
    win = window(grain, last, period)

    p90s = [f"{m}_p90" for m in metrics if f"{m}_p90" in catalog.index]
    series = data.series(
        metrics + p90s, scope, scope_id, grain=grain, until=win.last, since=win.first
    )
    year = data.band_year()
    thresholds = data.band_thresholds(metrics, year)
    bands = data.bands(metrics, scope, scope_id)

    st.subheader(f"DORA metrics · {md(scope_label)}")
    st.caption(f"Complete {'weeks' if grain == 'week' else 'months'} only: {win.describe()}.")
    for start in range(0, len(metrics), CHARTS_PER_ROW):
        row = metrics[start : start + CHARTS_PER_ROW]
        for column, metric in zip(st.columns(CHARTS_PER_ROW), row, strict=False):
            with column:
                _metric_chart(metric, catalog, series, thresholds, year, bands, grain, scope_label)

    banded = [m for m in metrics if m in set(thresholds["metric"])] or metrics
    _distribution(catalog, banded, team_names)
    _drill_down(win, team, service, scope_label)


try:
    main()
except data.WarehouseUnavailable as error:
    unavailable(error)

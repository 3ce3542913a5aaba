"""Overview: the DORA figures of the latest complete week, their bands and a weekly trend.

Everything shown is read from metrics.metric_values, metrics.performance, metrics.catalog and
meta.runs; the page formats and lays out, it never computes a metric. The team, service, period
and trend metric are URL parameters (`?team=…&service=…&period=…&metric=…`) so a view can be
shared as a link; team, service and period follow the user to the other pages.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from dashboards import charts, data, platform
from dashboards.app_pages._ui import (
    ROADMAP_BADGES,
    dora_start,
    empty_state,
    period_filter,
    service_filter,
    team_filter,
    unavailable,
    url_selectbox,
)
from dashboards.filters import ALL_SERVICES, ORG, PERIODS, scope_of
from dashboards.formatting import (
    BAND_COLOURS,
    band_label,
    format_delta,
    format_value,
    is_missing,
    md,
)

TILES_PER_ROW = 3
HEADLINE_ADOPTION = (
    "golden_path_service_share",
    "golden_path_ci_share",
    "platform_deploy_share",
    "platform_active_user_share",
)
ONBOARDING_HEADLINE = "onboarding_days_to_first_production_deploy"


def _text(value: object, fallback: str = "") -> str:
    """Catalog text for display; a NULL label or description must not read as "nan"."""
    return fallback if is_missing(value) or not str(value) else str(value)


def _filters(catalog: pd.DataFrame, metrics: list[str]) -> tuple[str, str, str, str, str]:
    """Team, service, period and trend-metric filters, bound to the URL (team, service and period
    shared with the other pages); returns them and the label of the scope they select."""
    teams = data.teams()
    names = {ORG: "Whole organisation", **dict(zip(teams["team_id"], teams["name"], strict=True))}
    services = data.services()
    team_col, service_col, period_col, metric_col = st.columns(4)
    with team_col:
        team = team_filter({t: n for t, n in names.items() if t != ORG})
    in_view = services if team == ORG else services[services["team_id"] == team]
    service_names = dict(zip(in_view["service_id"], in_view["name"], strict=True))
    with service_col:
        service = service_filter(service_names)
    with period_col:
        period = period_filter()
    label = (
        names.get(team, team)
        if service == ALL_SERVICES
        else f"service {service_names.get(service, service)}"
    )
    with metric_col:
        metric = url_selectbox(
            "Trend metric",
            metrics,
            param="metric",
            default=metrics[0],
            format_func=lambda m: _text(catalog.at[m, "label"], m),
        )
    return team, service, period, metric, label


def _window(band: pd.Series) -> str:
    """The trailing window a band was computed over, e.g. "31 Aug – 22 Nov 2026"."""
    start, end = band.get("window_start"), band.get("window_end")
    if is_missing(start) or is_missing(end):
        return "the trailing window"
    return f"{pd.Timestamp(start):%d %b} – {pd.Timestamp(end):%d %b %Y}"


def _tile(
    metric: str, meta: pd.Series, series: pd.DataFrame, week: date, band: pd.Series | None
) -> None:
    """One DORA tile: the latest complete week's value, its change, a sparkline and its band."""
    unit = meta.get("unit")
    # The week's own row only: an older row must never be shown as this week's figure.
    this_week = series[series["period_start"] == week]
    latest: dict[str, Any] = this_week.iloc[-1].to_dict() if len(this_week) else {}
    value = latest.get("value")
    delta = latest.get("delta")
    flat = not is_missing(delta) and float(delta) == 0.0
    direction = meta.get("direction")
    with st.container(border=True, key=f"tile_{metric}"):
        st.metric(
            label=md(_text(meta.get("label"), metric)),
            value=format_value(value, unit),
            delta=format_delta(delta, unit),
            delta_color="off"
            if flat
            else ("inverse" if direction == "lower_is_better" else "normal"),
            delta_arrow="off" if flat else "auto",
            delta_description="vs previous week" if not is_missing(delta) else None,
            help=_text(meta.get("description")) or None,
            chart_data=charts.sparkline_points(series) if len(series) > 1 else None,
            chart_type="line",
        )
        if band is None:
            st.caption("Band: no performance data for this scope.")
        else:
            key = str(band.get("band") or "").lower()
            colour = BAND_COLOURS.get(key, "gray")
            year = band.get("report_year")
            source = "" if is_missing(year) else f" (DORA {int(year)})"
            st.caption(
                f"Band: :{colour}-badge[{md(band_label(band.get('band')))}] · "
                f"{format_value(band.get('value'), unit)} over {_window(band)}{source}"
            )
        if not latest:
            st.caption("No value for this week.")
        elif is_missing(value):
            st.caption("Undefined this week (nothing to measure), not zero.")


def _headline(
    metric: str, meta: pd.Series, row: dict[str, Any], note: str, description: str | None
) -> None:
    """One platform headline tile: the stored value, its change and what it is a share of."""
    unit = meta.get("unit")
    value = row.get("value")
    with st.container(border=True, key=f"headline_{metric}"):
        st.metric(
            md(_text(meta.get("label"), metric)),
            format_value(value, unit),
            delta=format_delta(row.get("delta"), unit),
            delta_color="inverse" if meta.get("direction") == "lower_is_better" else "normal",
            help=_text(meta.get("description")) or None,
            delta_description=description,
        )
        if note:
            st.caption(note)


def _platform_headlines(
    catalog: pd.DataFrame, team: str, service: str, label: str, week: date, as_of: datetime
) -> None:
    """Adoption and onboarding headlines and roadmap status counts, when the pipeline has them.

    Platform metrics exist per team and organisation only: with a service chosen, they are its
    team's (or the organisation's) figures and the caption says so.
    """
    adoption = [m for m in HEADLINE_ADOPTION if m in catalog.index]
    onboarding = ONBOARDING_HEADLINE if ONBOARDING_HEADLINE in catalog.index else None
    counts = platform.roadmap_status_counts()
    if not adoption and onboarding is None and counts is None:
        return
    scope, scope_id = scope_of(team, ALL_SERVICES)
    st.subheader("Platform")
    st.caption(
        f"Adoption in the week of {week:%d %b %Y} and onboarding of the latest complete start "
        f"month, for {md(label) if service == ALL_SERVICES else 'the team of the service'} "
        "(platform metrics are per team and organisation). See the Adoption, Onboarding and "
        "Impact & roadmap pages."
    )
    weekly = data.weekly_series(adoption, scope, scope_id, until=week, since=week)
    tiles: list[tuple[str, dict[str, Any], str, str]] = []
    for metric in adoption:
        rows = weekly[weekly["metric"] == metric]
        row: dict[str, Any] = rows.iloc[-1].to_dict() if len(rows) else {}
        note = "Undefined this week, not zero." if is_missing(row.get("value")) else ""
        tiles.append((metric, row, note, "vs previous week"))
    month = data.latest_complete_period("month", as_of) if onboarding else None
    if onboarding and month is not None:
        monthly = data.series(
            [onboarding], scope, scope_id, grain="month", until=month, since=month
        )
        row = monthly.iloc[-1].to_dict() if len(monthly) else {}
        sample = row.get("sample_size")
        small = platform.min_group_size()
        if is_missing(row.get("value")) and not is_missing(sample) and 0 < int(sample) < small:
            note = f"{month:%b %Y} cohort: suppressed, fewer than {small} engineers."
            row = {**row, "delta": None}
        elif is_missing(row.get("value")):
            note = f"{month:%b %Y} cohort: nobody reached it yet."
        else:
            note = f"{month:%b %Y} cohort, {int(sample):,} engineers."
        tiles.append((onboarding, row, note, "vs previous cohort"))
    for start in range(0, len(tiles), TILES_PER_ROW):
        chunk = tiles[start : start + TILES_PER_ROW]
        for column, (metric, row, note, per) in zip(st.columns(TILES_PER_ROW), chunk, strict=False):
            with column:
                described = None if is_missing(row.get("delta")) else per
                _headline(metric, catalog.loc[metric], row, note, described)
    if counts is not None:
        total = sum(counts.values())
        if total == 0:
            st.caption("Roadmap: no initiative configured (`[[roadmap.initiatives]]`).")
        else:
            st.markdown(
                f"**Roadmap** ({total} initiative{'s' if total != 1 else ''}): "
                + " · ".join(f"{ROADMAP_BADGES.get(s, s)} {n}" for s, n in counts.items() if n)
            )


def _since(week: date, period: str) -> date | None:
    weeks = PERIODS[period].weeks
    return None if weeks is None else week - timedelta(weeks=weeks - 1)


def main() -> None:
    """Render the page; every missing-data path ends in an explanation, never an exception."""
    started = dora_start("Overview")
    if started is None:
        return
    status, freshness, catalog, metrics = started

    team, service, period, trend_metric, team_label = _filters(catalog, metrics)
    scope, scope_id = scope_of(team, service)

    now = data.utc_now()
    as_of = min(freshness.last_refreshed or now, now)
    week = data.latest_complete_week(as_of)
    if week is None:
        empty_state(status, "No complete week of metrics yet: the first week is still running.")
        return

    series = data.weekly_series(metrics, scope, scope_id, until=week, since=_since(week, period))
    bands = data.bands(metrics, scope, scope_id)

    st.subheader(f"Week of {week:%d %b %Y} · {md(team_label)}")
    st.caption("The latest complete week; changes compare with the week before.")
    for start in range(0, len(metrics), TILES_PER_ROW):
        row = metrics[start : start + TILES_PER_ROW]
        for column, metric in zip(st.columns(TILES_PER_ROW), row, strict=False):
            with column:
                _tile(
                    metric,
                    catalog.loc[metric],
                    series[series["metric"] == metric],
                    week,
                    bands.loc[metric] if metric in bands.index else None,
                )

    _platform_headlines(catalog, team, service, team_label, week, as_of)

    trend = series[series["metric"] == trend_metric]
    st.subheader("Weekly trend")
    if trend.empty:
        label = _text(catalog.at[trend_metric, "label"], trend_metric)
        st.info(f"No weekly values of {md(label)} for {md(team_label)}.")
    else:
        meta = {"metric": trend_metric, **catalog.loc[trend_metric].to_dict()}
        st.plotly_chart(
            charts.trend_figure(trend, meta, scope_label=team_label),
            key="trend_chart",
            config={"displaylogo": False},
        )


try:
    main()
except data.WarehouseUnavailable as error:
    unavailable(error)

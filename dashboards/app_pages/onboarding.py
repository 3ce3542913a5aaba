"""Onboarding: how long new engineers take to reach each milestone, per start-month cohort and
team, and whether teams on the platform onboard faster.

Figures are the stored `onboarding_days_to_<milestone>` metrics (grain month: period_start is
the cohort's start month) and marts.platform_impact's onboarding rows. Privacy (contract §4):
a group of fewer than meta.rules.min_group_size engineers has no value; this page shows it as
"suppressed: fewer than N engineers", never as 0, and shows no per-person row anywhere.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import data, platform
from dashboards import platform_charts as charts
from dashboards.app_pages._ui import (
    empty_state,
    explain_empty,
    page_start,
    table,
    team_period_header,
    text,
    unavailable,
    url_selectbox,
)
from dashboards.filters import Window
from dashboards.formatting import DASH, format_value, is_missing, md

# (Comments, not docstrings: a bare string in a page script is drawn on the page.)
MILESTONES = (
    "onboarding_days_to_first_commit",
    "onboarding_days_to_first_pr_merged",
    "onboarding_days_to_first_production_deploy",
    "onboarding_days_to_tenth_pr_merged",
)
COMPARISONS = {
    "adopters_vs_non_adopters": "Adopter teams against non-adopters",
    "diff_in_diff": "Difference-in-differences (change after adoption)",
}


def suppressed_text(min_group: int) -> str:
    """How a group below the privacy threshold reads on this page."""
    return f"suppressed: fewer than {min_group} engineers"


def _cell(value: object, sample: object, unit: str | None, min_group: int) -> str:
    """A cohort's figure: its value, "suppressed" for a small group, "—" when nobody reached it."""
    if not is_missing(value):
        return format_value(value, unit)
    if not is_missing(sample) and 0 < int(sample) < min_group:
        return suppressed_text(min_group)
    return DASH


def _cohort_table(
    catalog: pd.DataFrame, series: pd.DataFrame, milestones: list[str], min_group: int
) -> None:
    """One row per cohort month, one column per milestone, suppressed groups said as such."""
    if series.empty:
        return
    rows = []
    for month, group in series.groupby("period_start", sort=True):
        row: dict[str, object] = {"cohort": f"{pd.Timestamp(month):%Y-%m}"}
        for metric in milestones:
            own = group[group["metric"] == metric]
            label = text(catalog.at[metric, "label"], metric)
            if own.empty:
                row[label] = DASH
                continue
            item = own.iloc[0]
            row[label] = _cell(item["value"], item["sample_size"], "days", min_group)
        rows.append(row)
    shown = pd.DataFrame(rows).iloc[::-1]
    table(shown, key="cohorts", file_name="onboarding_cohorts.csv")


def _by_team(
    catalog: pd.DataFrame, metric: str, win: Window, teams: dict[str, str], min_group: int
) -> None:
    """Every team's cohorts for one milestone; small groups grey, never a value."""
    matrix = platform.team_matrix(metric, "month", until=win.last, since=win.first)
    if matrix.empty:
        st.info("No team values of this milestone in the period.", icon=":material/info:")
        return
    meta = {"metric": metric, **catalog.loc[metric].to_dict()}
    hidden = sum(
        1
        for v, n in zip(matrix["value"], matrix["sample_size"], strict=True)
        if is_missing(v) and not is_missing(n) and 0 < int(n) < min_group
    )
    st.plotly_chart(
        charts.heatmap_figure(
            matrix,
            meta,
            teams,
            grain="month",
            title=f"{text(meta.get('label'), metric)} by team and start month",
            min_group=min_group,
        ),
        key="chart_team_cohorts",
        config={"displaylogo": False},
    )
    if hidden:
        st.caption(
            f"{hidden} team cohort(s) had fewer than {min_group} engineers reaching the "
            "milestone: their figure is hidden for privacy (grey), not zero."
        )
    shown = matrix.assign(
        team=[teams.get(t, t) for t in matrix["team_id"]],
        cohort=[f"{pd.Timestamp(m):%Y-%m}" for m in matrix["period_start"]],
        median_days=[
            _cell(v, n, "days", min_group)
            for v, n in zip(matrix["value"], matrix["sample_size"], strict=True)
        ],
        engineers=[
            DASH if is_missing(n) or (is_missing(v) and int(n) > 0) else f"{int(n):,}"
            for v, n in zip(matrix["value"], matrix["sample_size"], strict=True)
        ],
    )[["team", "team_id", "cohort", "median_days", "engineers"]]
    with st.expander("Team cohorts as a table", key="team_cohorts_expander"):
        table(shown, key="team_cohorts", file_name=f"{metric}_by_team.csv")


def _adopters(catalog: pd.DataFrame) -> None:
    """Adopter teams' new hires against non-adopters' (marts.platform_impact)."""
    rows = platform.impact()
    rows = rows[rows["metric"].astype(str).str.startswith("onboarding_")]
    if explain_empty(
        rows, platform.IMPACT, "marts.platform_impact has no onboarding comparison yet."
    ):
        return
    metric = str(rows["metric"].iloc[0])
    label = text(catalog.at[metric, "label"], metric) if metric in catalog.index else metric
    st.caption(
        f"{md(label)}: new hires of teams deploying through the platform against those of teams "
        "that never did. Groups, never people: each side's size is a count of engineers."
    )
    for column, (_, row) in zip(st.columns(len(rows)), rows.iterrows(), strict=True):
        unit = str(row["unit"]) if not is_missing(row["unit"]) else "days"
        name = COMPARISONS.get(str(row["comparison"]), str(row["comparison"]))
        key = f"impact_{row['comparison']}"
        with column, st.container(border=True, key=key):
            if row["status"] != "ok" or is_missing(row["estimate"]):
                st.metric(md(name), "not enough data")
                st.caption(f"Not enough data: {md(text(row['reason'], 'no reason recorded'))}.")
                continue
            st.metric(
                md(name),
                f"{format_value(row['estimate'], unit)}",
                help=md(text(row["method_notes"])) or None,
            )
            st.caption(
                f"{int(float(row['confidence']) * 100)}% interval "
                f"{format_value(row['ci_low'], unit)} to {format_value(row['ci_high'], unit)}. "
                f"Adopters {format_value(row['treated_value'], unit)} "
                f"({int(row['n_treated']):,} engineers, {int(row['teams_treated']):,} teams), "
                f"non-adopters {format_value(row['control_value'], unit)} "
                f"({int(row['n_control']):,} engineers, {int(row['teams_control']):,} teams). "
                f"{md(text(row['reason']))}"
            )


def main() -> None:
    """Render the page; every missing-data path ends in an explanation, never an exception."""
    started = page_start(
        "Onboarding",
        "How long do new engineers take to their first commit, pull request and production "
        "deploy, per start month and team, and do platform teams onboard faster?",
        data.METRIC_VALUES,
        data.CATALOG,
    )
    if started is None:
        return
    status, freshness = started
    catalog = data.catalog()
    milestones = [m for m in MILESTONES if m in catalog.index]
    if not milestones:
        empty_state(status, "The catalog defines none of the onboarding metrics yet.")
        return
    min_group = platform.min_group_size()
    default = (
        "onboarding_days_to_first_production_deploy"
        if "onboarding_days_to_first_production_deploy" in milestones
        else milestones[0]
    )

    def milestone_choice(_team: str) -> str:
        return url_selectbox(
            "Milestone",
            milestones,
            param="milestone",
            default=default,
            format_func=lambda m: text(catalog.at[m, "label"], m),
        )

    view = team_period_header(status, freshness, grain="month", extra=milestone_choice)
    if view is None:
        return
    teams, win, label = view.teams, view.win, view.label
    scope, scope_id, metric = view.scope, view.scope_id, view.extra
    in_window = data.series(
        milestones, scope, scope_id, grain="month", until=win.last, since=win.first
    )
    st.caption(
        f"Cohorts are start months ({win.describe()}). A group of fewer than {min_group} "
        "engineers (meta.rules.min_group_size) has its figure hidden: it reads "
        f"“{suppressed_text(min_group)}”, never 0."
    )

    st.subheader(f"Cohorts by start month · {md(label)}")
    own = in_window[in_window["metric"] == metric]
    if own.empty:
        st.info(f"No cohort of {md(label)} in {win.describe()}.", icon=":material/info:")
    else:
        meta = {"metric": metric, **catalog.loc[metric].to_dict()}
        st.plotly_chart(
            charts.cohort_figure(own, meta, scope_label=label, min_group=min_group),
            key="chart_cohorts",
            config={"displaylogo": False},
        )
    _cohort_table(catalog, in_window, milestones, min_group)

    st.subheader("By team")
    _by_team(catalog, metric, win, teams, min_group)

    st.subheader("Adopters against non-adopters")
    _adopters(catalog)


try:
    main()
except data.WarehouseUnavailable as error:
    unavailable(error)

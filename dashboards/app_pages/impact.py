"""Impact & roadmap: does the platform help, where do initiatives stand, and where to act next.

Reads marts.platform_impact (each estimate with its bootstrap interval, or "not enough data" with
the reason), marts.roadmap_progress (baseline, current value, target, status and why per
initiative), marts.opportunities (teams ranked by what would move to the platform) and
marts.friction_signals (triggered first). Everything is team- or organisation-level, and every
figure is a stored column: the page computes nothing. The team filter narrows opportunities and
friction to one team (and the organisation's signals).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import data, platform
from dashboards import platform_charts as charts
from dashboards.app_pages._ui import (
    ROADMAP_BADGES,
    explain_empty,
    formatted,
    page_start,
    table,
    team_filter,
    team_names,
    text,
    unavailable,
)
from dashboards.filters import ORG
from dashboards.formatting import DASH, format_value, is_missing, md

# (Comments, not docstrings: a bare string in a page script is drawn on the page.)
COMPARISONS = {
    "adopters_vs_non_adopters": "adopters vs non-adopters",
    "diff_in_diff": "difference-in-differences",
}
DATE = st.column_config.DateColumn


def not_enough_data_text(reason: object) -> str:
    """How an impact row without an estimate reads: the words and the mart's reason."""
    return f"not enough data: {text(reason, 'no reason recorded')}"


def _over(row: pd.Series) -> str:
    """A mart row's window, e.g. "31 Aug – 22 Nov 2026"."""
    return f"{pd.Timestamp(row['window_start']):%d %b} – {pd.Timestamp(row['window_end']):%d %b %Y}"


def _impact(catalog: pd.DataFrame) -> None:
    rows = platform.impact()
    if explain_empty(rows, platform.IMPACT, "No impact estimates yet."):
        return
    labels = platform.labels(list(dict.fromkeys(rows["metric"])), catalog)
    st.plotly_chart(
        charts.impact_figure(rows, labels),
        key="chart_impact",
        config={"displaylogo": False},
    )
    lacking = rows[rows["status"] != "ok"]
    if len(lacking):
        st.caption(
            "Not enough data for: "
            + "; ".join(
                f"{md(labels.get(m, m))} ({md(COMPARISONS.get(c, c))}): "
                f"{md(text(r, 'no reason recorded'))}"
                for m, c, r in zip(
                    lacking["metric"], lacking["comparison"], lacking["reason"], strict=True
                )
            )
            + "."
        )
    shown = rows.assign(
        metric_label=[labels.get(m, m) for m in rows["metric"]],
        comparison=[COMPARISONS.get(c, c) for c in rows["comparison"]],
        result=[
            f"{format_value(e, None)} {u} [{format_value(lo, None)}, {format_value(hi, None)}]"
            if s == "ok" and not is_missing(e)
            else not_enough_data_text(r)
            for e, lo, hi, u, s, r in zip(
                rows["estimate"],
                rows["ci_low"],
                rows["ci_high"],
                rows["unit"],
                rows["status"],
                rows["reason"],
                strict=True,
            )
        ],
    )[
        [
            "metric_label", "comparison", "result", "status", "statistic", "treated_value",
            "control_value", "baseline_value", "relative_estimate", "n_treated", "n_control",
            "teams_treated", "teams_control", "reason", "method_notes",
        ]
    ]  # fmt: skip
    with st.expander("Every estimate, its groups and its method", key="impact_expander"):
        table(
            formatted(
                shown,
                {
                    "treated_value": None,
                    "control_value": None,
                    "baseline_value": None,
                    "relative_estimate": "ratio",
                },
            ),
            key="impact",
            file_name="platform_impact.csv",
            csv=rows,
            column_config={
                "metric_label": "Metric",
                "comparison": "Comparison",
                "result": "Estimate [interval]",
                "status": "Status",
                "statistic": "Statistic",
                "treated_value": "Adopters",
                "control_value": "Non-adopters",
                "baseline_value": "Baseline",
                "relative_estimate": "Relative to baseline",
                "n_treated": "Adopter observations",
                "n_control": "Non-adopter observations",
                "teams_treated": "Adopter teams",
                "teams_control": "Non-adopter teams",
                "reason": st.column_config.TextColumn("Rests on / why none", width="medium"),
                "method_notes": st.column_config.TextColumn("Method", width="large"),
            },
        )


def _roadmap() -> None:
    rows = platform.roadmap()
    if explain_empty(
        rows,
        platform.ROADMAP,
        "No roadmap initiatives are configured: add `[[roadmap.initiatives]]` to paved.toml "
        "(see docs/platform.md).",
    ):
        return
    counts = rows["status"].value_counts()
    st.caption(
        " · ".join(
            f"{ROADMAP_BADGES.get(s, s)} {int(counts.get(s, 0))}"
            for s in platform.ROADMAP_STATUSES
            if counts.get(s, 0)
        )
    )
    st.plotly_chart(charts.roadmap_figure(rows), key="chart_roadmap", config={"displaylogo": False})
    for _, row in rows.iterrows():
        unit = None if is_missing(row["unit"]) else str(row["unit"])
        with st.container(border=True, key=f"initiative_{row['initiative_id']}"):
            st.markdown(
                f"**{md(row['title'])}** "
                + ROADMAP_BADGES.get(str(row["status"]), md(row["status"]))
            )
            due = (
                DASH if is_missing(row["due_date"]) else f"{pd.Timestamp(row['due_date']):%d %b %Y}"
            )
            st.markdown(
                f"{md(text(row['metric_label'], row['target_metric']))} ({md(row['scope'])}): "
                f"baseline {format_value(row['baseline_value'], unit)} → "
                f"current {format_value(row['current_value'], unit)} → "
                f"target {format_value(row['target_value'], unit)} · due {due} · "
                f"trend {md(text(row['trend'], 'unknown'))}"
            )
            st.caption(f"Why: {md(text(row['why'], 'no reason recorded'))}")
    units = dict(zip(rows["initiative_id"], rows["unit"], strict=True))
    shown = rows.copy()
    for column in ("baseline_value", "current_value", "previous_value", "target_value"):
        shown[column] = [
            format_value(v, units.get(i))
            for v, i in zip(rows[column], rows["initiative_id"], strict=True)
        ]
    with st.expander("Every initiative as a table", key="roadmap_expander"):
        table(
            formatted(shown, {"progress": "ratio", "time_elapsed": "ratio"}),
            key="roadmap",
            file_name="roadmap_progress.csv",
            csv=rows,
            column_config={
                "baseline_start": DATE("Baseline from"),
                "baseline_end": DATE("Baseline to"),
                "current_start": DATE("Current from"),
                "current_end": DATE("Current to"),
                "due_date": DATE("Due"),
                "why": st.column_config.TextColumn("Why", width="large"),
            },
        )


def _opportunities(team: str, teams: dict[str, str]) -> None:
    rows = platform.opportunities(team)
    if explain_empty(
        rows,
        platform.OPPORTUNITIES,
        "No opportunity: no team has a gap to the adopters' share in the window.",
    ):
        return
    first = rows.iloc[0]
    st.caption(
        f"Over {_over(first)}. Teams, never people: the score is the "
        "volume (services, CI runs, deployments, requests) that would move to the platform if "
        "the team matched the adopter teams' share."
    )
    st.plotly_chart(
        charts.opportunity_figure(rows, teams),
        key="chart_opportunities",
        config={"displaylogo": False},
    )
    shown = rows.assign(team=[teams.get(t, t) for t in rows["team_id"]])[
        [
            "rank", "team", "team_id", "capability", "team_share", "adopters_share",
            "adopter_teams", "gap", "size", "size_unit", "score", "expected_effect",
        ]
    ]  # fmt: skip
    table(
        formatted(shown, {"team_share": "ratio", "adopters_share": "ratio", "gap": "ratio"}),
        key="opportunities",
        file_name=f"opportunities_{team}.csv",
        csv=rows,
        column_config={
            "rank": "Rank",
            "team": "Team",
            "team_id": "Team id",
            "capability": "Capability",
            "team_share": "Team's share",
            "adopters_share": "Adopters' share",
            "adopter_teams": "Adopter teams",
            "gap": "Gap",
            "size": "Volume",
            "size_unit": "of",
            "score": st.column_config.NumberColumn("Score", format="%.1f"),
            "expected_effect": st.column_config.TextColumn("Adopters gained", width="large"),
        },
    )


def _friction(team: str, teams: dict[str, str]) -> None:
    rows = platform.friction(team)
    if explain_empty(rows, platform.FRICTION, "No friction signal in the window."):
        return
    fired = int(rows["triggered"].fillna(False).astype(bool).sum())
    first = rows.iloc[0]
    st.caption(
        f"{fired} of {len(rows)} signal(s) fired over {_over(first)}"
        " (thresholds: [friction] in paved.toml)."
        " A hidden value is a group below the privacy size, not a zero."
    )
    shown = rows.assign(
        state=[
            "⚪ hidden (small group)" if is_missing(t) else ("🔴 fired" if bool(t) else "🟢 quiet")
            for t in rows["triggered"]
        ],
        where=[
            "organisation"
            if s == "org"
            else (f"cohort {i}" if s == "cohort" else teams.get(str(i), str(i)))
            for s, i in zip(rows["scope"], rows["scope_id"], strict=True)
        ],
    )[["state", "signal", "where", "capability", "value", "threshold", "detail"]]
    table(
        formatted(shown, {"value": None, "threshold": None}),
        key="friction",
        file_name=f"friction_signals_{team}.csv",
        csv=rows,
        column_config={
            "state": "State",
            "signal": "Signal",
            "where": "Where",
            "capability": "Capability",
            "value": "Value",
            "threshold": "Threshold",
            "detail": st.column_config.TextColumn("What was counted", width="large"),
        },
    )


def main() -> None:
    """Render the page; each section explains its own absence rather than failing."""
    started = page_start(
        "Impact & roadmap",
        "Does the platform help the teams that adopt it, where does each initiative stand, and "
        "which teams would gain most next?",
    )
    if started is None:
        return
    catalog = data.catalog()
    teams = team_names()
    team_col, _ = st.columns([1, 2])
    with team_col:
        team = team_filter(teams)

    st.subheader("Platform impact")
    _impact(catalog)
    st.subheader("Roadmap")
    _roadmap()
    label = "every team" if team == ORG else teams.get(team, team)
    st.subheader(f"Opportunities · {md(label)}")
    _opportunities(team, teams)
    st.subheader(f"Friction signals · {md(label)}")
    _friction(team, teams)


try:
    main()
except data.WarehouseUnavailable as error:
    unavailable(error)

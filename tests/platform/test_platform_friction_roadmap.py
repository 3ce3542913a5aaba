"""Friction signals with their configured thresholds, and the roadmap from paved.toml."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from core_fixture import CoreFixture, rules
from platform_helpers import AS_OF, build

from pipelines.impact import build_platform_impact
from pipelines.roadmap import (
    FrictionThresholds,
    PlatformConfigError,
    PlatformSettings,
    build_roadmap,
    load_platform_settings,
    write_settings,
)
from pipelines.sqlfiles import run_sql_file


def friction_org(wh: CoreFixture) -> CoreFixture:
    wh.set_rules(rules(min_group_size=2))
    wh.add("teams", [{"team_id": t, "name": t} for t in ("t1", "t2")])
    wh.add("services", [{"service_id": "s1", "team_id": "t1", "repo": "o/a"},
                        {"service_id": "s2", "team_id": "t2", "repo": "o/b"}])  # fmt: skip
    wh.add("engineers", [
        {"engineer_id": "old", "team_id": "t1", "start_date": "2020-01-01"},
        {"engineer_id": "n1", "team_id": "t1", "start_date": "2024-01-08"},
        {"engineer_id": "n2", "team_id": "t1", "start_date": "2024-01-15"},
        {"engineer_id": "n3", "team_id": "t2", "start_date": "2024-01-15"},
    ])  # fmt: skip
    wh.add("commits", [{"repo": "o/a", "sha": "root", "authored_at": "2024-01-01",
                        "author_id": "old"}])  # fmt: skip
    wh.add("deployments", [
        {"deployment_id": "d1", "service_id": "s1", "environment": "prod", "sha": "root",
         "finished_at": "2024-02-20", "status": "success"},
    ])  # fmt: skip
    wh.add("ci_runs", [
        {"run_id": f"r{i}", "repo": repo, "pipeline": p, "started_at": "2024-02-01",
         "status": "success"} for i, (repo, p) in enumerate([("o/a", "jenkins"), ("o/b", "ci")])
    ])  # fmt: skip
    wh.add("incidents", [
        {"incident_id": "i1", "service_id": "s1", "opened_at": "2024-02-10",
         "cause": "Configuration drift between staging and production"},
        {"incident_id": "i2", "service_id": "s1", "opened_at": "2024-02-11", "cause": "DNS"},
    ])  # fmt: skip
    wh.add("platform_events", [
        {"event_id": "p1", "occurred_at": "2024-02-01", "capability": "secrets",
         "action": "create", "actor_id": "n1", "team_id": "t1"},
        {"event_id": "p2", "occurred_at": "2024-02-02", "capability": "secrets",
         "action": "create", "actor_id": "n3", "team_id": "t2", "channel": "ticket"},
    ])  # fmt: skip
    return wh


def signals(wh: CoreFixture, **thresholds: Any) -> dict[tuple, dict[str, Any]]:
    wh.build_marts()
    write_settings(wh.con, PlatformSettings(friction=FrictionThresholds(**thresholds)))
    run_sql_file(wh.con, "marts/friction_signals.sql")
    return {
        (r["signal"], r["scope_id"], r["capability"]): r
        for r in wh.rows("FROM marts.friction_signals")
    }


def test_slow_onboarding_counts_engineers_and_hides_small_groups(wh: CoreFixture) -> None:
    found = signals(friction_org(wh))
    team = found[("slow_onboarding", "t1", None)]
    assert (team["value"], team["threshold"], team["triggered"]) == (2, 14, True)
    assert "2 still waiting" in team["detail"]
    small = found[("slow_onboarding", "t2", None)]  # one engineer: below min_group_size 2
    assert (small["value"], small["triggered"]) == (None, None)
    assert "figures hidden" in small["detail"]
    assert "n1" not in team["detail"] and "n3" not in small["detail"]


def test_thresholds_come_from_the_configuration(wh: CoreFixture) -> None:
    found = signals(friction_org(wh), onboarding_days=60, hand_rolled_pipeline_teams=2)
    assert found[("slow_onboarding", "t1", None)]["triggered"] is False
    hand_rolled = found[("hand_rolled_pipelines", "org", "pipeline")]
    assert (hand_rolled["value"], hand_rolled["triggered"]) == (2, True)


def test_configuration_drift_matches_the_cause_pattern(wh: CoreFixture) -> None:
    found = signals(friction_org(wh))
    assert found[("configuration_drift", "t1", "environment")]["value"] == 1
    assert signals(wh, drift_cause_pattern="^never$")[
        ("configuration_drift", "org", "environment")]["value"] == 0  # fmt: skip


def test_tickets_for_a_capability_other_teams_self_serve(wh: CoreFixture) -> None:
    found = signals(friction_org(wh), ticket_requests=1, self_served_by_teams=1)
    row = found[("ticket_for_self_served", "t2", "secrets")]
    assert (row["value"], row["triggered"]) == (1, True)
    assert "1 other teams self-serve it" in row["detail"]
    assert found[("repeated_ticket_requests", "org", "secrets")]["value"] == 1


def initiative(**change: Any) -> dict[str, Any]:
    raw = {
        "id": "deploys", "title": "Deploy through the platform", "capability": "deploy",
        "target_metric": "platform_deploy_share", "scope": "org",
        "baseline_start": dt.date(2024, 1, 1), "baseline_end": dt.date(2024, 1, 28),
        "target_value": 1.0, "due_date": dt.date(2024, 5, 28),
    }  # fmt: skip
    return raw | change


def run_roadmap(wh: CoreFixture, settings: PlatformSettings, as_of: dt.datetime) -> None:
    write_settings(wh.con, settings)
    build_platform_impact(wh.con, settings.impact)
    build_roadmap(wh.con, as_of=as_of)


def roadmap_org(wh: CoreFixture) -> CoreFixture:
    """13 weeks, two counted deployments a week; from week 6 one of them via the platform."""
    wh.add("teams", [{"team_id": "t1", "name": "One"}])
    wh.add("services", [{"service_id": "s1", "team_id": "t1", "repo": "o/a"}])
    start = dt.datetime(2024, 1, 1, 10)
    wh.add("deployments", [
        {"deployment_id": f"d{w}-{k}", "service_id": "s1", "environment": "prod",
         "sha": f"x{w}{k}", "finished_at": start + dt.timedelta(weeks=w, days=k),
         "status": "success", "via_platform": k == 1 and w >= 6}
        for w in range(13) for k in range(2)
    ])  # fmt: skip
    return build(wh)


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"target_value": 0.4}, "done"),
        ({}, "on_track"),
        ({"due_date": dt.date(2024, 4, 10)}, "at_risk"),
        ({"due_date": dt.date(2024, 3, 15)}, "off_track"),
        (
            {"baseline_start": dt.date(2023, 1, 1), "baseline_end": dt.date(2023, 1, 31)},
            "not_measurable_yet",
        ),
    ],
)
def test_roadmap_status(wh: CoreFixture, change: dict[str, Any], status: str) -> None:
    roadmap_org(wh)
    settings = load_platform_settings({"roadmap": {"initiatives": [initiative(**change)]}})
    run_roadmap(wh, settings, AS_OF.replace(month=4, day=1))
    row = wh.rows("FROM marts.roadmap_progress")[0]
    assert row["status"] == status, row["why"]
    if status != "not_measurable_yet":
        assert (row["baseline_value"], row["current_value"]) == (0.0, 0.5)
        assert row["trend"] == "improving"  # previous 4 weeks: 3 of 8


def test_opportunities_rank_teams_by_gap_times_size(wh: CoreFixture) -> None:
    roadmap_org(wh)
    wh.add("teams", [{"team_id": "t2", "name": "Two"}])
    wh.add("services", [{"service_id": "s2", "team_id": "t2", "repo": "o/b"}])
    wh.add("deployments", [
        {"deployment_id": f"e{w}", "service_id": "s2", "environment": "prod", "sha": f"y{w}",
         "finished_at": dt.datetime(2024, 3, 1 + w), "status": "success"} for w in range(4)
    ])  # fmt: skip
    build(wh)
    run_roadmap(wh, PlatformSettings(), dt.datetime(2024, 4, 1))
    rows = wh.rows("FROM marts.opportunities WHERE capability = 'platform_deploy'")
    assert [(r["rank"], r["team_id"], r["size"]) for r in rows] == [(1, "t2", 4)]
    assert rows[0]["gap"] == pytest.approx(rows[0]["adopters_share"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"target_metric": "happiness"}, "not a metric"),
        ({"scope": "tribe:x"}, "scope must be"),
        ({"due_date": dt.date(2024, 1, 2)}, "due_date must be after"),
        ({"baseline_start": "yesterday"}, "not a date"),
        ({"target_metric": "deployment_frequency", "scope": "team:t1", "colour": 1}, "unknown"),
    ],
)
def test_invalid_initiatives_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(PlatformConfigError, match=message):
        load_platform_settings({"roadmap": {"initiatives": [initiative(**change)]}})


def test_relative_dates_resolve_against_the_end_of_the_data(wh: CoreFixture) -> None:
    roadmap_org(wh)
    settings = load_platform_settings({"roadmap": {"initiatives": [
        initiative(baseline_start="end-13w", baseline_end="end-10w", due_date="end+4w")
    ]}})  # fmt: skip
    write_settings(wh.con, settings)
    row = wh.rows("SELECT baseline_start, due_date FROM meta.initiatives")[0]
    assert (row["baseline_start"], row["due_date"]) == (dt.date(2024, 1, 1), dt.date(2024, 4, 29))


def test_unknown_friction_key_is_refused() -> None:
    with pytest.raises(PlatformConfigError, match="unknown key"):
        load_platform_settings({"friction": {"onboarding_dayz": 3}})

"""Adoption (contract §5): the shares, active users, marts.adoption and capability usage."""

from __future__ import annotations

import pytest
from core_fixture import CoreFixture
from platform_helpers import build, metric, org


def test_golden_path_service_share_counts_services_existing_at_the_end_of_each_week(
    wh: CoreFixture,
) -> None:
    build(org(wh))
    weeks = metric(wh, "golden_path_service_share")
    first, second = weeks["2024-01-01"], weeks["2024-01-08"]  # s2 created 2024-01-10
    assert (first["numerator"], first["denominator"]) == (1, 2)
    assert (second["numerator"], second["denominator"]) == (1, 3)
    assert second["value"] == pytest.approx(1 / 3)
    month = metric(wh, "golden_path_service_share", grain="month")["2024-01-01"]
    assert (month["numerator"], month["denominator"]) == (1, 3)  # once per month, not per week


def test_platform_deploy_share_over_counted_deployments(wh: CoreFixture) -> None:
    build(org(wh))
    week = metric(wh, "platform_deploy_share")["2024-01-01"]
    assert (week["value"], week["numerator"], week["denominator"]) == (0.5, 1, 2)
    assert metric(wh, "platform_deploy_share", "t2")["2024-01-15"]["value"] == 0.0


def test_golden_path_ci_share_and_the_team_of_a_run(wh: CoreFixture) -> None:
    org(wh).add(
        "ci_runs",
        [
            {"run_id": "r1", "repo": "o/a", "pipeline": "golden", "started_at": "2024-01-02",
             "status": "success", "golden_path": True},
            {"run_id": "r2", "repo": "o/c", "pipeline": "build", "started_at": "2024-01-02",
             "status": "failure"},
            {"run_id": "r3", "repo": "o/c", "pipeline": "build", "started_at": "2024-01-03",
             "status": "success"},
        ],
    )  # fmt: skip
    build(wh)
    org_week = metric(wh, "golden_path_ci_share")["2024-01-01"]
    assert (org_week["numerator"], org_week["denominator"]) == (1, 3)
    assert metric(wh, "golden_path_ci_share", "t2")["2024-01-01"]["value"] == 0.0


def platform_events(wh: CoreFixture) -> None:
    wh.add(
        "engineers",
        [
            {"engineer_id": "e1", "team_id": "t1", "start_date": "2023-01-01",
             "aliases": ["Ann@Example.com"]},
            {"engineer_id": "e2", "team_id": "t1", "start_date": "2023-01-01",
             "end_date": "2023-12-31"},
            {"engineer_id": "e3", "team_id": "t2", "start_date": "2024-01-05"},
        ],
    )  # fmt: skip
    wh.add(
        "platform_events",
        [
            {"event_id": "p1", "occurred_at": "2024-01-02", "capability": "secrets",
             "action": "create", "actor_id": "e1", "team_id": "t1"},
            {"event_id": "p2", "occurred_at": "2024-01-03", "capability": "secrets",
             "action": "read", "actor_id": "ann@example.com", "team_id": "t1",
             "channel": "ticket"},
            {"event_id": "p3", "occurred_at": "2024-01-09", "capability": "database",
             "action": "provision", "actor_id": "e1", "team_id": "t1"},
            {"event_id": "p4", "occurred_at": "2024-01-09", "capability": "database",
             "action": "provision", "actor_id": "ci-bot", "team_id": "t2",
             "channel": "ticket"},
        ],
    )  # fmt: skip


def test_self_service_share_over_platform_events(wh: CoreFixture) -> None:
    platform_events(org(wh))
    build(wh)
    assert metric(wh, "self_service_share")["2024-01-01"]["value"] == 0.5
    month = metric(wh, "self_service_share", grain="month")["2024-01-01"]
    assert (month["numerator"], month["denominator"]) == (2, 4)


def test_active_users_count_a_person_once_whatever_login_they_used(wh: CoreFixture) -> None:
    platform_events(org(wh))
    build(wh)
    weeks = metric(wh, "platform_active_users")
    assert (weeks["2024-01-01"]["value"], weeks["2024-01-08"]["value"]) == (1, 2)
    assert metric(wh, "platform_active_users", grain="month")["2024-01-01"]["value"] == 2
    assert metric(wh, "platform_active_users", "t2")["2024-01-08"]["value"] == 1  # the bot


def test_active_user_share_is_over_engineers_employed_in_the_week(wh: CoreFixture) -> None:
    platform_events(org(wh))
    build(wh)
    weeks = metric(wh, "platform_active_user_share")
    # week of 1 Jan: e1 active; e3 starts on the 5th (employed), e2 left in December
    assert (weeks["2024-01-01"]["numerator"], weeks["2024-01-01"]["denominator"]) == (1, 2)
    assert weeks["2024-01-08"]["value"] == 0.5  # the bot is a user but not an engineer


def test_capability_usage_splits_channels_per_week_capability_and_team(wh: CoreFixture) -> None:
    platform_events(org(wh))
    build(wh)
    rows = wh.rows(
        "SELECT week::VARCHAR AS week, capability, team_id, events, self_service, ticket, "
        "actors FROM marts.capability_usage ORDER BY ALL"
    )
    assert rows == [
        {"week": "2024-01-01", "capability": "secrets", "team_id": "t1", "events": 2,
         "self_service": 1, "ticket": 1, "actors": 1},
        {"week": "2024-01-08", "capability": "database", "team_id": "t1", "events": 1,
         "self_service": 1, "ticket": 0, "actors": 1},
        {"week": "2024-01-08", "capability": "database", "team_id": "t2", "events": 1,
         "self_service": 0, "ticket": 1, "actors": 1},
    ]  # fmt: skip


def test_adoption_dates_per_service_and_team_with_evidence(wh: CoreFixture) -> None:
    org(wh).add(
        "ci_runs",
        [{"run_id": "r9", "repo": "o/b", "pipeline": "golden", "started_at": "2024-01-20",
          "status": "success", "golden_path": True}],
    )  # fmt: skip
    wh.build_marts()
    rows = {
        (r["scope_id"], r["golden_path"]): r
        for r in wh.rows("SELECT * FROM marts.adoption WHERE is_adopted")
    }
    assert set(rows) == {
        ("s1", "template"), ("s1", "deploy"), ("s2", "ci"),
        ("t1", "template"), ("t1", "deploy"), ("t1", "ci"),
    }  # fmt: skip
    assert str(rows[("t1", "deploy")]["adopted_at"]) == "2024-01-02 10:00:00"
    assert str(rows[("t1", "deploy")]["adoption_week"]) == "2024-01-01"
    assert "d1" in rows[("t1", "deploy")]["evidence"]
    assert "r9" in rows[("t1", "ci")]["evidence"]
    t2 = wh.rows("SELECT * FROM marts.adoption WHERE scope_id = 't2' AND golden_path = 'deploy'")
    assert (t2[0]["is_adopted"], t2[0]["adopted_at"], t2[0]["services"]) == (False, None, 1)

"""marts.deployments and marts.incident_links: which deployments count, which failed and why."""

from __future__ import annotations

from typing import Any

import pytest
from core_fixture import CoreFixture, rules


def org(wh: CoreFixture) -> None:
    wh.add("teams", [{"team_id": "t1", "name": "Team one"}])
    wh.add("services", [{"service_id": "s1", "team_id": "t1", "repo": "o/r"}])


def dep(deployment_id: str, finished_at: str, **extra: Any) -> dict[str, Any]:
    row = {
        "deployment_id": deployment_id,
        "service_id": "s1",
        "environment": "prod",
        "sha": "c1",
        "finished_at": finished_at,
        "status": "success",
    }
    row.update(extra)
    return row


def deployments(wh: CoreFixture) -> dict[str, dict[str, Any]]:
    wh.build_marts()
    return {r["deployment_id"]: r for r in wh.rows("FROM marts.deployments")}


def links(wh: CoreFixture) -> dict[str, dict[str, Any]]:
    return {r["incident_id"]: r for r in wh.rows("FROM marts.incident_links")}


@pytest.mark.parametrize(
    ("environment", "status", "counted"),
    [
        ("prod", "success", True),
        ("production", "success", True),
        ("PRODUCTION", "success", True),
        ("Prod", "success", True),
        ("staging", "success", False),
        ("prod-eu", "success", False),
        ("preprod", "success", False),
        ("prod", "failure", False),
        ("prod", "cancelled", False),
        ("prod", "in_progress", False),
    ],
)
def test_counted_means_production_environment_and_success(
    wh: CoreFixture, environment: str, status: str, counted: bool
) -> None:
    org(wh)
    wh.add("deployments", [dep("d1", "2024-01-02 10:00", environment=environment, status=status)])
    row = deployments(wh)["d1"]
    assert row["is_counted"] is counted
    assert (row["not_counted_reason"] is None) is counted


def test_production_regex_comes_from_the_rules(wh: CoreFixture) -> None:
    wh.set_rules(rules(production_env_regex="^prod"))
    org(wh)
    wh.add("deployments", [dep("d1", "2024-01-02 10:00", environment="prod-eu")])
    assert deployments(wh)["d1"]["is_counted"] is True


def test_counted_deployments_of_all_production_environments_form_one_line(
    wh: CoreFixture,
) -> None:
    org(wh)
    wh.add(
        "deployments",
        [
            dep("d1", "2024-01-02 10:00", environment="prod"),
            dep("d2", "2024-01-03 10:00", environment="production"),
            dep("dx", "2024-01-04 10:00", environment="staging"),
            dep("d3", "2024-01-05 10:00", environment="prod"),
        ],
    )
    rows = deployments(wh)
    assert [rows[d]["counted_seq"] for d in ("d1", "d2", "d3")] == [1, 2, 3]
    assert rows["d3"]["previous_counted_deployment_id"] == "d2"
    assert rows["dx"]["counted_seq"] is None


def test_incident_naming_a_counted_deployment_fails_it(wh: CoreFixture) -> None:
    org(wh)
    wh.add("deployments", [dep("d1", "2024-01-02 10:00"), dep("d2", "2024-01-03 10:00")])
    wh.add(
        "incidents",
        [{"incident_id": "i1", "service_id": "s1", "opened_at": "2024-01-05 00:00",
          "caused_by_deployment_id": "d1"}],
    )  # fmt: skip
    rows = deployments(wh)
    assert rows["d1"]["is_failure"] is True
    assert rows["d2"]["is_failure"] is False  # explicit link wins over the time window
    assert "incident i1 names it" in rows["d1"]["failure_reason"]
    assert rows["d1"]["failure_incident_ids"] == ["i1"]
    assert links(wh)["i1"]["link_method"] == "explicit"


def test_incident_naming_a_staging_deployment_fails_nothing(wh: CoreFixture) -> None:
    org(wh)
    wh.add(
        "deployments",
        [dep("d1", "2024-01-02 10:00"), dep("dx", "2024-01-03 10:00", environment="staging")],
    )
    wh.add(
        "incidents",
        [{"incident_id": "i1", "service_id": "s1", "opened_at": "2024-01-05 00:00",
          "caused_by_deployment_id": "dx"}],
    )  # fmt: skip
    rows = deployments(wh)
    assert not any(r["is_failure"] for r in rows.values())
    link = links(wh)["i1"]
    assert link["deployment_id"] is None
    assert "not a counted deployment" in link["link_reason"]


def test_incident_without_cause_is_attributed_to_latest_earlier_counted_deployment(
    wh: CoreFixture,
) -> None:
    org(wh)
    wh.add(
        "deployments",
        [
            dep("d1", "2024-01-02 10:00"),
            dep("d2", "2024-01-03 10:00"),
            dep("d3", "2024-01-03 12:00", status="failure"),
            dep("d4", "2024-01-04 10:00"),  # at opened_at: not strictly before
        ],
    )
    wh.add(
        "incidents", [{"incident_id": "i1", "service_id": "s1", "opened_at": "2024-01-04 10:00"}]
    )
    rows = deployments(wh)
    assert [d for d, r in rows.items() if r["is_failure"]] == ["d2"]
    link = links(wh)["i1"]
    assert (link["deployment_id"], link["link_method"]) == ("d2", "time_window")
    assert link["hours_after_deployment"] == pytest.approx(24.0)
    assert "time window" in rows["d2"]["failure_reason"]


def test_incident_before_any_deployment_is_not_linked(wh: CoreFixture) -> None:
    org(wh)
    wh.add("deployments", [dep("d1", "2024-01-02 10:00")])
    wh.add(
        "incidents", [{"incident_id": "i1", "service_id": "s1", "opened_at": "2024-01-01 00:00"}]
    )
    rows = deployments(wh)
    assert rows["d1"]["is_failure"] is False
    link = links(wh)["i1"]
    assert link["deployment_id"] is None and link["link_method"] is None
    assert link["link_reason"] == "no earlier counted deployment of the service"


def test_incident_of_another_service_does_not_fail_this_one(wh: CoreFixture) -> None:
    org(wh)
    wh.add("services", [{"service_id": "s2", "team_id": "t1", "repo": "o/r2"}])
    wh.add("deployments", [dep("d1", "2024-01-02 10:00")])
    wh.add(
        "incidents", [{"incident_id": "i1", "service_id": "s2", "opened_at": "2024-01-03 00:00"}]
    )
    assert deployments(wh)["d1"]["is_failure"] is False


@pytest.mark.parametrize(
    ("severities", "severity", "linked"),
    [
        (None, "sev3", True),
        (None, None, True),
        (("sev1", "sev2"), "SEV1", True),
        (("sev1", "sev2"), "sev3", False),
        (("sev1", "sev2"), None, False),
    ],
)
def test_incident_severity_rule(
    wh: CoreFixture, severities: tuple[str, ...] | None, severity: str | None, linked: bool
) -> None:
    wh.set_rules(rules(incident_severities=severities))
    org(wh)
    wh.add("deployments", [dep("d1", "2024-01-02 10:00")])
    wh.add(
        "incidents",
        [{"incident_id": "i1", "service_id": "s1", "opened_at": "2024-01-03 00:00",
          "severity": severity}],
    )  # fmt: skip
    assert deployments(wh)["d1"]["is_failure"] is linked
    link = links(wh)["i1"]
    assert link["is_counted"] is linked
    if not linked:
        assert link["link_reason"].startswith("severity not counted")


@pytest.mark.parametrize(("window", "linked"), [(None, True), (48.0, True), (24.0, False)])
def test_attribution_window_limits_time_window_links(
    wh: CoreFixture, window: float | None, linked: bool
) -> None:
    wh.set_rules(rules(attribution_window_hours=window))
    org(wh)
    wh.add("deployments", [dep("d1", "2024-01-02 00:00")])
    wh.add(
        "incidents", [{"incident_id": "i1", "service_id": "s1", "opened_at": "2024-01-04 00:00"}]
    )
    assert deployments(wh)["d1"]["is_failure"] is linked
    if not linked:
        assert "outside the attribution window" in links(wh)["i1"]["link_reason"]


@pytest.mark.parametrize(
    ("kinds", "failed"),
    [
        # kinds of d1..d4 in order -> deployments failed by the rollback rule
        (("regular", "rollback", "regular", "regular"), {"d1"}),
        (("regular", "hotfix", "rollback", "regular"), {"d1", "d2"}),
        (("regular", "regular", "rollback", "regular"), {"d2"}),
        (("regular", "hotfix", "regular", "rollback"), {"d3"}),
        (("regular", "hotfix", "regular", "regular"), set()),
        (("regular", "rollback", "rollback", "regular"), {"d1", "d2"}),
    ],
)
def test_rollback_before_next_regular_deployment_fails_the_deployments_it_follows(
    wh: CoreFixture, kinds: tuple[str, ...], failed: set[str]
) -> None:
    org(wh)
    wh.add(
        "deployments",
        [dep(f"d{i}", f"2024-01-0{i + 1} 10:00", kind=k) for i, k in enumerate(kinds, start=1)],
    )
    rows = deployments(wh)
    assert {d for d, r in rows.items() if r["is_failure"]} == failed
    for d in failed:
        assert "rolled back by" in rows[d]["failure_reason"]


def test_rollback_rule_can_be_switched_off(wh: CoreFixture) -> None:
    wh.set_rules(rules(rollback_is_failure=False))
    org(wh)
    wh.add(
        "deployments",
        [dep("d1", "2024-01-02 10:00"), dep("d2", "2024-01-03 10:00", kind="rollback")],
    )
    assert not any(r["is_failure"] for r in deployments(wh).values())


def test_failed_production_deployment_followed_by_rollback_is_not_a_failure(
    wh: CoreFixture,
) -> None:
    org(wh)
    wh.add(
        "deployments",
        [
            dep("d1", "2024-01-02 10:00"),
            dep("d2", "2024-01-03 10:00", status="failure"),
            dep("d3", "2024-01-03 11:00", kind="rollback"),
        ],
    )
    rows = deployments(wh)
    assert rows["d2"]["is_failure"] is False  # not counted
    assert rows["d1"]["rolled_back_by_deployment_id"] == "d3"


@pytest.mark.parametrize(
    ("kind", "status", "rework"),
    [("regular", "success", False), ("hotfix", "success", True), ("rollback", "success", True),
     ("hotfix", "failure", False)],
)  # fmt: skip
def test_rework_is_a_counted_rollback_or_hotfix(
    wh: CoreFixture, kind: str, status: str, rework: bool
) -> None:
    org(wh)
    wh.add("deployments", [dep("d1", "2024-01-02 10:00", kind=kind, status=status)])
    assert deployments(wh)["d1"]["is_rework"] is rework


def test_team_comes_from_the_service(wh: CoreFixture) -> None:
    org(wh)
    wh.add("deployments", [dep("d1", "2024-01-02 10:00")])
    assert deployments(wh)["d1"]["team_id"] == "t1"


def test_recoveries_through_incident_and_rollback(wh: CoreFixture) -> None:
    org(wh)
    wh.add(
        "deployments",
        [
            dep("d1", "2024-01-02 10:00"),
            dep("d2", "2024-01-03 10:00"),
            dep("d3", "2024-01-03 16:00", kind="rollback"),
        ],
    )
    wh.add(
        "incidents",
        [
            {"incident_id": "i1", "service_id": "s1", "opened_at": "2024-01-02 12:00",
             "resolved_at": "2024-01-02 15:30"},
            {"incident_id": "i2", "service_id": "s1", "opened_at": "2024-01-02 13:00"},
        ],
    )  # fmt: skip
    wh.build_marts()
    got = {
        (r["deployment_id"], r["failure_rule"], r["cause_id"]): r["recovery_hours"]
        for r in wh.rows("FROM marts.failure_recoveries")
    }
    assert got == {
        ("d1", "incident_time_window", "i1"): pytest.approx(3.5),
        ("d1", "incident_time_window", "i2"): None,  # unresolved: no recovery yet
        ("d2", "rollback", "d3"): pytest.approx(6.0),
    }

"""Builders shared by the platform golden tests: a small organisation written by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core_fixture import CoreFixture

from metrics.compute import build_metrics

AS_OF = datetime(2024, 3, 4)


def org(wh: CoreFixture) -> CoreFixture:
    """Two teams, three services (one templated), a week of deployments in January 2024."""
    wh.add("teams", [{"team_id": "t1", "name": "One"}, {"team_id": "t2", "name": "Two"}])
    wh.add(
        "services",
        [
            {"service_id": "s1", "team_id": "t1", "repo": "o/a", "tier": "tier-1",
             "lifecycle": "production", "created_at": "2023-01-01", "template": "py"},
            {"service_id": "s2", "team_id": "t1", "repo": "o/b", "created_at": "2024-01-10"},
            {"service_id": "s3", "team_id": "t2", "repo": "o/c", "tier": "tier-2",
             "created_at": "2023-06-01"},
        ],
    )  # fmt: skip
    wh.add(
        "deployments",
        [
            {"deployment_id": "d1", "service_id": "s1", "environment": "prod", "sha": "x",
             "finished_at": "2024-01-02 10:00", "status": "success", "via_platform": True},
            {"deployment_id": "d2", "service_id": "s3", "environment": "prod", "sha": "y",
             "finished_at": "2024-01-03 10:00", "status": "success", "via_platform": False},
            {"deployment_id": "d3", "service_id": "s3", "environment": "prod", "sha": "z",
             "finished_at": "2024-01-16 10:00", "status": "success", "via_platform": False},
        ],
    )  # fmt: skip
    return wh


def build(wh: CoreFixture) -> CoreFixture:
    wh.build_marts()
    build_metrics(wh.con, as_of=AS_OF)
    return wh


def metric(
    wh: CoreFixture, name: str, scope_id: str = "org", grain: str = "week"
) -> dict[str, dict[str, Any]]:
    """period_start (ISO text) -> the metric_values row, for one metric and scope."""
    rows = wh.rows(
        "SELECT * FROM metrics.metric_values WHERE metric = ? AND scope_id = ? AND grain = ? "
        "ORDER BY period_start",
        [name, scope_id, grain],
    )
    return {str(r["period_start"]): r for r in rows}

"""Our marts against Apache DevLake's DORA e2e fixtures (read in place, never copied).

The fixtures live in the shared workspace (`shared/peer-fixtures/devlake`, see its README): we
map DevLake's domain rows onto our canonical records and check that our rules give DevLake's
expected rows. A DevLake project becomes one service (all its CI scopes form one line).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from core_fixture import CoreFixture

DEVLAKE = Path(__file__).resolve().parents[3] / "shared" / "peer-fixtures" / "devlake"
pytestmark = pytest.mark.skipif(
    not DEVLAKE.is_dir(), reason=f"DevLake fixtures not present at {DEVLAKE}"
)


def read(relative: str) -> list[dict[str, str]]:
    with (DEVLAKE / relative).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def ts(value: str) -> str:
    """DevLake writes '2023-04-10T06:51:47.000+00:00' (UTC): keep 'YYYY-MM-DD HH:MM:SS'."""
    return value[:19].replace("T", " ")


def test_refdiff_commits_of_each_deployment_match_devlake(wh: CoreFixture) -> None:
    base = "refdiff/e2e/deployment_commit_diff/"
    mapping = read(base + "project_mapping.csv")
    scopes = {r["row_id"] for r in mapping if r["project_name"] == "project1"}
    parents: dict[str, list[str]] = {}
    for r in read(base + "commit_parents.csv"):
        parents.setdefault(r["commit_sha"], []).append(r["parent_commit_sha"])
    wh.add("teams", [{"team_id": "t", "name": "t"}])
    wh.add("services", [{"service_id": "project1", "team_id": "t", "repo": "REPO111"}])
    wh.add(
        "commits",
        [
            {"repo": "REPO111", "sha": r["commit_sha"], "authored_at": "2023-04-01 00:00",
             "parents": parents.get(r["commit_sha"], [])}
            for r in read(base + "repo_commits.csv") if r["repo_id"] in scopes
        ],
    )  # fmt: skip
    rows = [r for r in read(base + "cicd_deployment_commits.csv") if r["cicd_scope_id"] in scopes]
    wh.add(
        "deployments",
        [
            {"deployment_id": r["cicd_deployment_id"], "service_id": "project1",
             "environment": r["environment"], "sha": r["commit_sha"],
             "finished_at": ts(r["started_date"]), "status": r["result"].lower()}
            for r in rows
        ],
    )  # fmt: skip
    wh.build_marts()
    deployment_of = {r["commit_sha"]: r["cicd_deployment_id"] for r in rows}
    expected: dict[str, set[str]] = {}
    for r in read(base + "commits_diffs.csv"):
        expected.setdefault(deployment_of[r["new_commit_sha"]], set()).add(r["commit_sha"])
    got: dict[str, set[str]] = {}
    for r in wh.rows("SELECT deployment_id, sha FROM marts.deployment_commits"):
        got.setdefault(r["deployment_id"], set()).add(r["sha"])
    assert got == expected


def test_incident_links_match_devlake_connect_incident_to_deployment(wh: CoreFixture) -> None:
    base = "dora/e2e/connect_incident_to_deployment/"
    mapping = read(base + "raw_tables/project_mapping.csv")
    project_of = {(r["table"], r["row_id"]): r["project_name"] for r in mapping}
    wh.add("teams", [{"team_id": "t", "name": "t"}])
    wh.add(
        "services",
        [{"service_id": p, "team_id": "t", "repo": p} for p in ("project1", "project2", "none")],
    )
    rows = read(base + "prev_success_deployment_commit/cicd_deployment_commits_after.csv")
    deployments: list[dict[str, Any]] = [
        {"deployment_id": r["id"], "service_id": project_of[("cicd_scopes", r["cicd_scope_id"])],
         "environment": r["environment"] or "unknown", "sha": r["commit_sha"],
         "finished_at": ts(r["finished_date"]), "status": r["result"].lower()}
        for r in rows
    ]  # fmt: skip
    wh.add("deployments", deployments)
    incidents = read(base + "raw_tables/incidents.csv")
    wh.add(
        "incidents",
        [
            {"incident_id": r["id"], "opened_at": ts(r["created_date"]),
             "service_id": project_of.get((r["table"], r["scope_id"]), "none")}
            for r in incidents
        ],
    )  # fmt: skip
    wh.build_marts()
    pipeline_of = {r["id"]: r["cicd_deployment_id"] for r in rows}
    got = {
        r["incident_id"]: pipeline_of[r["deployment_id"]]
        for r in wh.rows("SELECT * FROM marts.incident_links WHERE service_id = 'project1'")
        if r["deployment_id"] is not None
    }
    expected = {
        r["id"]: r["deployment_id"]
        for r in read(base + "snapshot_tables/project_incident_deployment_relationships.csv")
    }
    assert got == expected
    # the incident outside the project (repo3) is not linked, with the reason
    outside = wh.rows("SELECT link_reason FROM marts.incident_links WHERE service_id = 'none'")
    assert [r["link_reason"] for r in outside] == ["no earlier counted deployment of the service"]

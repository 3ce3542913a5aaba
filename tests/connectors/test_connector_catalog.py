"""Backstage catalog and HR CSV export connectors."""

from __future__ import annotations

import pytest

from pipelines.connectors import SourceSyncError, sync_source
from pipelines.connectors.backstage import repo_from_location
from tests.connectors.conftest import latest_by_key, raw_payloads
from tests.connectors.worlds import BackstageWorld


@pytest.fixture
def catalog(server):
    w = BackstageWorld(server)
    w.add_components(5)
    w.add_groups()
    return w


def bs_settings(server, **extra):
    return {"type": "backstage", "base_url": server.base_url, "per_page": 2, **extra}


def test_components_become_services_with_owner_repo_and_template(con, server, client, catalog):
    report = sync_source(con, "bs", bs_settings(server), client=client, env={})
    assert report.records["services"] == 5
    services = latest_by_key(con, "bs", "services")
    assert services["svc-0"] == {
        "service_id": "svc-0", "team_id": "team-a", "repo": "acme/svc-0",
        "name": "svc-0", "path": None, "tier": None, "lifecycle": "experimental",
        "template": "golden-service",
    }
    assert services["svc-1"]["team_id"] == "team-b"  # `group:default/team-b`
    assert services["svc-1"]["template"] is None
    assert services["svc-1"]["repo"] == "acme/svc-1"  # from the managed-by location
    assert len(server.hits(r"/by-query$")) == 3 + 1 + 3  # cursor pages per kind


def test_groups_become_teams_with_parent_and_topology(con, server, client, catalog):
    sync_source(con, "bs", bs_settings(server, streams=["teams"]), client=client, env={})
    teams = latest_by_key(con, "bs", "teams")
    assert teams["team-a"] == {"team_id": "team-a", "name": "team-a", "topology": None,
                               "parent_team_id": "backstage"}
    assert teams["team-b"]["topology"] == "platform"


def test_users_become_identities(con, server, client, catalog):
    sync_source(con, "bs", bs_settings(server, streams=["identities"]), client=client,
                env={})
    users = {u["identity_id"]: u for u in raw_payloads(con, "bs", "identities")}
    assert users["janelle.dawe"] == {"identity_id": "janelle.dawe",
                                     "email": "janelle-dawe@example.com", "team_id": "team-a",
                                     "aliases": ["janelle-dawe@example.com", "janelle.dawe"]}
    assert users["development/guest"]["team_id"] == "team-a"


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("url:https://github.com/acme/shop/tree/main/services/cart/catalog-info.yaml",
         ("acme/shop", "services/cart")),
        ("url:https://github.com/acme/shop/blob/main/catalog-info.yaml", ("acme/shop", None)),
        ("url:https://gitlab.example.com/group/sub/api/-/blob/main/catalog-info.yaml",
         ("group/sub/api", None)),
        ("file:/tmp/catalog-info.yaml", (None, None)),
    ],
)
def test_repository_and_folder_from_a_catalog_location(location, expected):
    assert repo_from_location(location) == expected


HR = """Employee ID,Team,Start Date,End Date,Work Email,Salary
E1,Payments,01/02/2024,,ana@acme.test,100
E2,Search,15/03/2024,30/06/2025,bo@acme.test,200
"""


def hr_settings(path, **extra):
    return {"type": "hr_csv", "path": str(path), "date_format": "%d/%m/%Y",
            "columns": {"engineer_id": "Employee ID", "team_id": "Team",
                        "start_date": "Start Date", "end_date": "End Date",
                        "email": "Work Email"},
            "teams": {"Payments": "payments"}, **extra}


def test_hr_export_maps_engineers_and_drops_other_columns(con, tmp_path):
    path = tmp_path / "hr.csv"
    path.write_text(HR)
    report = sync_source(con, "hr", hr_settings(path), env={})
    assert report.records == {"engineers": 2} and report.requests == 0
    engineers = latest_by_key(con, "hr", "engineers")
    assert engineers["E1"] == {"engineer_id": "E1", "team_id": "payments",
                               "start_date": "2024-02-01", "end_date": None,
                               "aliases": ["ana@acme.test"]}
    assert engineers["E2"]["end_date"] == "2025-06-30" and engineers["E2"]["team_id"] == "Search"


def test_unchanged_hr_export_is_skipped(con, tmp_path):
    path = tmp_path / "hr.csv"
    path.write_text(HR)
    sync_source(con, "hr", hr_settings(path), env={})
    again = sync_source(con, "hr", hr_settings(path), env={})
    assert again.records == {}


def test_hr_export_without_a_required_column_says_which(con, tmp_path):
    path = tmp_path / "hr.csv"
    path.write_text("id,team\n1,a\n")
    with pytest.raises(SourceSyncError, match="no column for engineer_id, team_id, start_date"):
        sync_source(con, "hr", {"type": "hr_csv", "path": str(path)}, env={})

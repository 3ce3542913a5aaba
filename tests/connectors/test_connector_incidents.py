"""PagerDuty and Opsgenie connectors against local servers speaking their wire formats."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipelines.connectors import sync_source
from tests.connectors.conftest import ENV, TOKEN, latest_by_key
from tests.connectors.worlds import OpsgenieWorld, PagerDutyWorld, parse


def pd_settings(server, **extra):
    return {"type": "pagerduty", "base_url": server.base_url, "token_env": "PAVED_TEST_TOKEN",
            "services": {"PSVC1": "checkout", "PSVC2": "search"}, **extra}


@pytest.fixture
def pd(server, now):
    w = PagerDutyWorld(server, now)
    w.add(30, now - timedelta(days=20))
    return w


def test_pagerduty_incident_times_come_from_log_entries(con, server, client, pd):
    report = sync_source(con, "pd", pd_settings(server), client=client, env=ENV)
    assert report.records == {"incidents": 30}
    inc = latest_by_key(con, "pd", "incidents")["pagerduty:PINC0000"]
    opened = parse(pd.incidents[0]["created_at"])
    assert inc["service_id"] == "checkout" and inc["severity"] == "P1"
    assert parse(inc["acknowledged_at"]) - opened == timedelta(minutes=4)
    assert parse(inc["resolved_at"]) - opened == timedelta(minutes=47)
    acked_only = latest_by_key(con, "pd", "incidents")["pagerduty:PINC0002"]
    assert acked_only["acknowledged_at"] and acked_only["resolved_at"] is None
    assert server.log[0].headers["authorization"] == f"Token token={TOKEN}"


def test_pagerduty_windows_split_to_stay_under_the_offset_cap(con, server, client, now):
    world = PagerDutyWorld(server, now, cap=10)
    world.add(40, now - timedelta(days=20), step=timedelta(hours=2))
    settings = pd_settings(server, offset_cap=10, per_page=5, log_entries=False)
    report = sync_source(con, "pd", settings, client=client, env=ENV)
    assert report.records == {"incidents": 40}
    lists = server.hits(r"/incidents$")
    assert all(int(r.arg("offset")) + int(r.arg("limit")) <= 10 for r in lists)


def test_pagerduty_unmapped_service_is_kept_and_reported(con, server, client, pd):
    settings = pd_settings(server, services={"PSVC1": "checkout"})
    report = sync_source(con, "pd", settings, client=client, env=ENV)
    assert any("PSVC2" in w for w in report.warnings)
    assert latest_by_key(con, "pd", "incidents")["pagerduty:PINC0001"]["service_id"] == "PSVC2"


def test_pagerduty_open_incident_is_reread_until_resolved(con, server, client, pd, now):
    pd.add(1, now - timedelta(days=1), status_cycle=("triggered",))
    sync_source(con, "pd", pd_settings(server), client=client, env=ENV)
    pd.incidents[-1]["status"] = "resolved"
    server.reset_log()
    report = sync_source(con, "pd", pd_settings(server), client=client, env=ENV)
    assert report.records == {"incidents": 1}  # only the still-open one is read again
    latest = latest_by_key(con, "pd", "incidents")[f"pagerduty:{pd.incidents[-1]['id']}"]
    assert latest["resolved_at"] is not None


def test_pagerduty_rate_limit_is_waited_out(con, server, client, pd, sleeps):
    server.fault(r"/incidents$", "pd-429")
    report = sync_source(con, "pd", pd_settings(server), client=client, env=ENV)
    assert report.records == {"incidents": 30} and sleeps == [3.0]


def og_settings(server, **extra):
    return {"type": "opsgenie", "base_url": server.base_url, "token_env": "PAVED_TEST_TOKEN",
            "services": {"695bce3d-4621-4630-8ae1-24eb89c22d6e": "checkout"}, "per_page": 4,
            **extra}


@pytest.fixture
def og(server, now):
    w = OpsgenieWorld(server, now)
    w.add(10, now - timedelta(days=10))
    return w


def test_opsgenie_incidents_are_paged_through_paging_next(con, server, client, og):
    report = sync_source(con, "og", og_settings(server), client=client, env=ENV)
    assert report.records == {"incidents": 10}
    assert len(server.hits(r"/v1/incidents$")) == 3
    assert server.log[0].headers["authorization"] == f"GenieKey {TOKEN}"


def test_opsgenie_resolution_and_acknowledgement_times(con, server, client, og):
    sync_source(con, "og", og_settings(server), client=client, env=ENV)
    incidents = latest_by_key(con, "og", "incidents")
    resolved = incidents["opsgenie:og-0000"]
    assert resolved["service_id"] == "checkout"
    assert resolved["resolved_at"] == og.incidents[0]["updatedAt"]
    assert incidents["opsgenie:og-0002"]["resolved_at"] is None  # still open
    # og-0003 is cloned from a real payload that embeds `timelines` (acks, IncidentResolved)
    with_timeline = incidents["opsgenie:og-0003"]
    seven = parse(og.incidents[3]["createdAt"]) + timedelta(minutes=7)
    assert parse(with_timeline["acknowledged_at"]) == seven
    assert parse(with_timeline["resolved_at"]) == seven  # the timeline wins over updatedAt


def test_opsgenie_second_run_stops_at_the_window(con, server, client, og, now):
    sync_source(con, "og", og_settings(server), client=client, env=ENV)
    og.add(1, now - timedelta(hours=1))
    server.reset_log()
    report = sync_source(con, "og", og_settings(server), client=client, env=ENV)
    assert report.inserted == {"incidents": 1}
    assert len(server.hits(r"/v1/incidents$")) < 3

"""metrics.metric_values: the DORA metrics per grain, period and scope, golden values."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from core_fixture import CoreFixture

from metrics.compute import build_metrics
from metrics.registry import load_registry

AS_OF = datetime(2024, 3, 1)


def org(wh: CoreFixture) -> None:
    wh.add("teams", [{"team_id": "t1", "name": "One"}, {"team_id": "t2", "name": "Two"}])
    wh.add(
        "services",
        [
            {"service_id": "s1", "team_id": "t1", "repo": "o/r1"},
            {"service_id": "s2", "team_id": "t1", "repo": "o/r2"},
            {"service_id": "s3", "team_id": "t2", "repo": "o/r3"},
        ],
    )


def dep(deployment_id: str, finished_at: str, service: str = "s1", **extra: Any) -> dict:
    row = {"deployment_id": deployment_id, "service_id": service, "environment": "prod",
           "sha": deployment_id, "finished_at": finished_at, "status": "success"}  # fmt: skip
    row.update(extra)
    return row


def build(wh: CoreFixture) -> None:
    wh.build_marts()
    build_metrics(wh.con, as_of=AS_OF)


def value(
    wh: CoreFixture, metric: str, period: str, scope_id: str = "org", grain: str = "week"
) -> dict[str, Any]:
    rows = wh.rows(
        "SELECT value, numerator, denominator, sample_size FROM metrics.metric_values "
        "WHERE metric = ? AND grain = ? AND period_start = ?::DATE AND scope_id = ?",
        [metric, grain, period, scope_id],
    )
    assert len(rows) == 1, rows
    return rows[0]


# Three weeks: 2024-01-01 (3 counted, 1 failed via incident), 2024-01-08 (nothing),
# 2024-01-15 (1 counted hotfix, failure rolled back... see fixtures below).
def three_weeks(wh: CoreFixture) -> None:
    org(wh)
    wh.add(
        "deployments",
        [
            dep("d1", "2024-01-01 10:00"),
            dep("d2", "2024-01-01 15:00"),
            dep("d3", "2024-01-03 10:00", service="s3"),
            dep("stg", "2024-01-02 10:00", environment="staging"),
            dep("bad", "2024-01-09 10:00", status="failure"),
            dep("d4", "2024-01-16 10:00", kind="hotfix"),
        ],
    )
    wh.add(
        "incidents",
        [{"incident_id": "i1", "service_id": "s1", "opened_at": "2024-01-01 16:00",
          "resolved_at": "2024-01-01 20:00"}],
    )  # fmt: skip
    build(wh)


def test_deployment_frequency_counts_counted_deployments_per_week(wh: CoreFixture) -> None:
    three_weeks(wh)
    assert value(wh, "deployment_frequency", "2024-01-01")["value"] == 3
    assert value(wh, "deployment_frequency", "2024-01-01", "s1")["value"] == 2
    assert value(wh, "deployment_frequency", "2024-01-01", "t1")["value"] == 2
    assert value(wh, "deployment_frequency", "2024-01-01", "t2")["value"] == 1
    assert value(wh, "deployment_frequency", "2024-01-15")["value"] == 1


def test_week_without_deployments_counts_zero(wh: CoreFixture) -> None:
    three_weeks(wh)
    assert value(wh, "deployment_frequency", "2024-01-08") == {
        "value": 0, "numerator": None, "denominator": None, "sample_size": 0,
    }  # fmt: skip
    assert value(wh, "deployment_days", "2024-01-08")["value"] == 0
    assert value(wh, "deployment_frequency", "2024-01-08", "s2")["value"] == 0


def test_change_fail_rate_is_failed_over_counted_with_both_stored(wh: CoreFixture) -> None:
    three_weeks(wh)
    row = value(wh, "change_fail_rate", "2024-01-01")
    assert row["numerator"] == 1 and row["denominator"] == 3
    assert row["value"] == pytest.approx(1 / 3)
    assert value(wh, "change_fail_rate", "2024-01-01", "s1")["value"] == pytest.approx(0.5)
    assert value(wh, "change_fail_rate", "2024-01-01", "t2")["value"] == 0


def test_change_fail_rate_is_null_not_zero_without_deployments(wh: CoreFixture) -> None:
    three_weeks(wh)
    assert value(wh, "change_fail_rate", "2024-01-08") == {
        "value": None, "numerator": 0, "denominator": 0, "sample_size": 0,
    }  # fmt: skip


def test_monthly_grain_rolls_up_the_month(wh: CoreFixture) -> None:
    three_weeks(wh)
    assert value(wh, "deployment_frequency", "2024-01-01", grain="month")["value"] == 4
    row = value(wh, "change_fail_rate", "2024-01-01", grain="month")
    assert (row["numerator"], row["denominator"]) == (1, 4)


def test_deployment_days_counts_distinct_days(wh: CoreFixture) -> None:
    three_weeks(wh)
    assert value(wh, "deployment_days", "2024-01-01")["value"] == 2  # 01-01 twice, 01-03
    assert value(wh, "deployment_days", "2024-01-01", "s1")["value"] == 1


def test_deployment_rework_rate_counts_rollbacks_and_hotfixes(wh: CoreFixture) -> None:
    three_weeks(wh)
    row = value(wh, "deployment_rework_rate", "2024-01-15")
    assert (row["value"], row["numerator"], row["denominator"]) == (1, 1, 1)
    assert value(wh, "deployment_rework_rate", "2024-01-01")["value"] == 0


def test_every_metric_grain_period_and_scope_is_present(wh: CoreFixture) -> None:
    three_weeks(wh)
    rows = wh.rows(
        """
        SELECT metric, grain, count(*) AS n, count(DISTINCT (period_start, scope, scope_id)) AS u
        FROM metrics.metric_values GROUP BY ALL
        """
    )
    got = {(r["metric"], r["grain"]): (r["n"], r["u"]) for r in rows}
    scopes = {"service": 3, "team": 2, "org": 1}
    periods = {"week": 3, "month": 1}
    for m in load_registry().values():
        if m.name.startswith("onboarding_"):
            continue  # no onboarding data: their spine is empty months x scopes
        for grain in m.grains:
            expected = periods[grain] * sum(scopes[s] for s in m.scopes)
            assert got[(m.name, grain)] == (expected, expected), m.name


def test_calendar_has_every_monday_and_month_start(wh: CoreFixture) -> None:
    three_weeks(wh)
    rows = wh.rows("SELECT grain, period_start FROM metrics.calendar ORDER BY 1, 2")
    assert [(r["grain"], r["period_start"]) for r in rows] == [
        ("month", date(2024, 1, 1)),
        ("week", date(2024, 1, 1)),
        ("week", date(2024, 1, 8)),
        ("week", date(2024, 1, 15)),
    ]


def lead_time_fixture(wh: CoreFixture) -> None:
    org(wh)
    wh.add(
        "commits",
        [
            {"repo": "o/r1", "sha": "a", "authored_at": "2024-01-01 00:00", "parents": []},
            {"repo": "o/r1", "sha": "b", "authored_at": "2024-01-01 06:00", "parents": ["a"]},
            {"repo": "o/r1", "sha": "c", "authored_at": "2024-01-01 09:00", "parents": ["b"]},
            {"repo": "o/r1", "sha": "d", "authored_at": "2024-01-01 11:00", "parents": ["c"]},
        ],
    )
    wh.add("deployments", [dep("d1", "2024-01-01 12:00", sha="d")])
    build(wh)


def test_change_lead_time_is_the_interpolated_median(wh: CoreFixture) -> None:
    lead_time_fixture(wh)  # lead times 12, 6, 3, 1 hours
    row = value(wh, "change_lead_time", "2024-01-01")
    assert row["value"] == pytest.approx(4.5)
    assert row["sample_size"] == 4


def test_change_lead_time_p90_is_interpolated(wh: CoreFixture) -> None:
    lead_time_fixture(wh)
    assert value(wh, "change_lead_time_p90", "2024-01-01")["value"] == pytest.approx(10.2)


def test_median_is_null_without_sample(wh: CoreFixture) -> None:
    three_weeks(wh)  # no commits: no changes
    assert value(wh, "change_lead_time", "2024-01-01") == {
        "value": None, "numerator": None, "denominator": None, "sample_size": 0,
    }  # fmt: skip


def recovery_fixture(wh: CoreFixture) -> None:
    org(wh)
    wh.add(
        "deployments",
        [
            dep("d1", "2024-01-01 10:00"),
            dep("d2", "2024-01-05 10:00"),
            dep("rb", "2024-01-05 12:00", kind="rollback"),
        ],
    )
    wh.add(
        "incidents",
        [
            # linked to d1, resolved the next week
            {"incident_id": "i1", "service_id": "s1", "opened_at": "2024-01-02 00:00",
             "resolved_at": "2024-01-08 02:00"},
            # unresolved: neither a recovery nor a restore
            {"incident_id": "i2", "service_id": "s1", "opened_at": "2024-01-03 00:00"},
            # before any deployment of s3: not a deployment failure, but a restore
            {"incident_id": "i3", "service_id": "s3", "opened_at": "2024-01-01 00:00",
             "resolved_at": "2024-01-01 01:00"},
        ],
    )  # fmt: skip
    build(wh)


def test_failed_deployment_recovery_time_by_week_of_recovery(wh: CoreFixture) -> None:
    recovery_fixture(wh)
    first = value(wh, "failed_deployment_recovery_time", "2024-01-01")
    assert (first["value"], first["sample_size"]) == (pytest.approx(2.0), 1)  # d2 rolled back
    second = value(wh, "failed_deployment_recovery_time", "2024-01-08")
    assert (second["value"], second["sample_size"]) == (pytest.approx(146.0), 1)  # i1


def test_time_to_restore_service_counts_resolved_incidents_by_resolution_week(
    wh: CoreFixture,
) -> None:
    recovery_fixture(wh)
    first = value(wh, "time_to_restore_service", "2024-01-01")
    assert (first["value"], first["sample_size"]) == (pytest.approx(1.0), 1)  # i3 only
    assert value(wh, "time_to_restore_service", "2024-01-01", "s3")["value"] == 1.0
    second = value(wh, "time_to_restore_service", "2024-01-08")
    assert (second["value"], second["sample_size"]) == (pytest.approx(146.0), 1)


def test_metric_values_has_exactly_the_contract_columns(wh: CoreFixture) -> None:
    three_weeks(wh)
    cols = wh.rows(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'metrics' AND table_name = 'metric_values' ORDER BY ordinal_position"
    )
    assert [(c["column_name"], c["data_type"]) for c in cols] == [
        ("metric", "VARCHAR"), ("grain", "VARCHAR"), ("period_start", "DATE"),
        ("scope", "VARCHAR"), ("scope_id", "VARCHAR"), ("value", "DOUBLE"),
        ("numerator", "DOUBLE"), ("denominator", "DOUBLE"), ("sample_size", "BIGINT"),
    ]  # fmt: skip


def test_empty_warehouse_builds_empty_tables(wh: CoreFixture) -> None:
    build(wh)
    counts = {r["n"] for r in wh.rows("SELECT count(*) AS n FROM metrics.metric_values")}
    assert counts == {0}

"""metrics.performance and metrics.bands: trailing-window values and their State of DevOps band."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from core_fixture import CoreFixture, rules

from metrics.compute import build_metrics
from metrics.registry import BANDS, load_bands


def ten_deployments(wh: CoreFixture, failures: int) -> None:
    """Ten counted deployments on Jan 2..11 2024; the first `failures` named by an incident."""
    wh.add("teams", [{"team_id": "t1", "name": "One"}])
    wh.add("services", [{"service_id": "s1", "team_id": "t1", "repo": "o/r"}])
    wh.add(
        "deployments",
        [{"deployment_id": f"d{i}", "service_id": "s1", "environment": "prod", "sha": "x",
          "finished_at": f"2024-01-{i + 2:02d} 10:00", "status": "success"} for i in range(10)],
    )  # fmt: skip
    wh.add(
        "incidents",
        [{"incident_id": f"i{i}", "service_id": "s1", "opened_at": "2024-01-12 00:00",
          "caused_by_deployment_id": f"d{i}"} for i in range(failures)],
    )  # fmt: skip


def performance(wh: CoreFixture, metric: str, scope_id: str = "org") -> dict[str, Any]:
    wh.build_marts()
    build_metrics(wh.con, as_of=datetime(2024, 6, 1))
    rows = wh.rows("FROM metrics.performance WHERE metric = ? AND scope_id = ?", [metric, scope_id])
    assert len(rows) == 1
    return rows[0]


@pytest.mark.parametrize(
    ("failures", "year", "band"),
    [
        (0, 2024, "elite"),
        (1, 2024, "medium"),  # 10%: the 2024 medium cluster reported 10%
        (2, 2024, "high"),  # 20%: the 2024 high cluster reported 20% (not monotonic)
        (4, 2024, "low"),
        (1, 2023, "high"),  # 2023: high 10%, medium 15%
        (2, 2023, "medium"),
        (4, 2023, "low"),
    ],
)
def test_change_fail_rate_band_is_the_nearest_reported_cluster(
    wh: CoreFixture, failures: int, year: int, band: str
) -> None:
    wh.set_rules(rules(band_year=year))
    ten_deployments(wh, failures)
    row = performance(wh, "change_fail_rate")
    assert row["value"] == pytest.approx(failures / 10)
    assert (row["band"], row["report_year"]) == (band, year)


def test_window_ends_with_the_last_week_of_data_and_spans_the_rule_weeks(
    wh: CoreFixture,
) -> None:
    ten_deployments(wh, 0)
    row = performance(wh, "deployment_frequency")
    assert (row["window_start"], row["window_end"]) == (date(2023, 10, 23), date(2024, 1, 14))
    assert row["value"] == pytest.approx(10 / 12)  # deployments per week over 12 weeks
    assert row["band"] == "medium"


def test_window_excludes_the_incomplete_current_week(wh: CoreFixture) -> None:
    ten_deployments(wh, 0)
    wh.build_marts()
    build_metrics(wh.con, as_of=datetime(2024, 1, 10, 12))  # a Wednesday inside the data
    row = wh.rows("FROM metrics.performance WHERE metric = 'deployment_frequency' "
                  "AND scope = 'org'")[0]  # fmt: skip
    assert row["window_end"] == date(2024, 1, 7)
    assert row["value"] == pytest.approx(6 / 12)  # Jan 2..7


def test_scope_without_sample_has_no_band(wh: CoreFixture) -> None:
    ten_deployments(wh, 0)
    wh.add("services", [{"service_id": "idle", "team_id": "t1", "repo": "o/idle"}])
    row = performance(wh, "change_fail_rate", "idle")
    assert (row["value"], row["band"], row["sample_size"]) == (None, None, 0)


@pytest.mark.parametrize("year", [2023, 2024])
@pytest.mark.parametrize(
    "metric",
    ["deployment_frequency", "change_lead_time", "change_fail_rate",
     "failed_deployment_recovery_time"],
)  # fmt: skip
def test_bands_tile_the_axis_for_each_metric_and_year(metric: str, year: int) -> None:
    bands = sorted(
        (b for b in load_bands() if b.metric == metric and b.report_year == year),
        key=lambda b: b.lower or 0.0,
    )
    assert sorted(b.band for b in bands) == sorted(BANDS)
    assert bands[0].lower == 0 and bands[-1].upper is None
    assert all(a.upper == b.lower for a, b in zip(bands, bands[1:], strict=False))


def test_bands_table_is_stored_as_data(wh: CoreFixture) -> None:
    wh.build_marts()
    build_metrics(wh.con, as_of=datetime(2024, 6, 1))
    rows = wh.rows("SELECT DISTINCT report_year FROM metrics.bands ORDER BY 1")
    assert [r["report_year"] for r in rows] == [2023, 2024]
    assert len(wh.rows("FROM metrics.bands")) == len(load_bands())

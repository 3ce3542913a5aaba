"""Dagster wiring: Monday weekly partitions, the Monday-morning schedule, the asset chain."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from pipelines.paths import Home
from pipelines.report.assets import (
    REPORT_ASSETS,
    REPORT_JOB,
    REPORT_SCHEDULE,
    WEEKLY_PARTITIONS,
    build_report_schedule,
)


def _tick(schedule: dg.ScheduleDefinition, when: datetime) -> dg.ScheduleExecutionData:
    repo = dg.Definitions(
        assets=REPORT_ASSETS, jobs=[REPORT_JOB], schedules=[schedule]
    ).get_repository_def()
    context = dg.build_schedule_context(scheduled_execution_time=when, repository_def=repo)
    return schedule.evaluate_tick(context)


def test_partitions_are_iso_weeks_starting_on_monday() -> None:
    keys = WEEKLY_PARTITIONS.get_partition_keys(current_time=datetime(2024, 2, 7, tzinfo=UTC))
    assert all(date.fromisoformat(k).weekday() == 0 for k in keys)
    assert keys[-1] == "2024-01-29"  # the last complete week on Wednesday 2024-02-07
    window = WEEKLY_PARTITIONS.time_window_for_partition_key("2024-01-29")
    assert (window.start.date(), window.end.date()) == (date(2024, 1, 29), date(2024, 2, 5))


def test_schedule_runs_monday_morning_in_utc_by_default() -> None:
    assert REPORT_SCHEDULE.cron_schedule == "0 7 * * 1"
    assert REPORT_SCHEDULE.execution_timezone == "UTC"
    assert REPORT_SCHEDULE.job_name == REPORT_JOB.name


def test_schedule_requests_the_previous_weeks_partition() -> None:
    data = _tick(REPORT_SCHEDULE, datetime(2024, 2, 5, 7, 0, tzinfo=UTC))
    (request,) = data.run_requests
    assert request.partition_key == "2024-01-29"
    assert request.run_key == "2024-01-29"


def test_time_zone_is_configurable() -> None:
    schedule = build_report_schedule("America/New_York")
    assert schedule.execution_timezone == "America/New_York"
    when = datetime(2024, 2, 5, 7, 0, tzinfo=ZoneInfo("America/New_York"))
    assert _tick(schedule, when).run_requests[0].partition_key == "2024-01-29"


def test_monday_before_the_utc_week_ends_skips_with_a_reason() -> None:
    schedule = build_report_schedule("Pacific/Auckland")
    data = _tick(schedule, datetime(2024, 2, 5, 7, 0, tzinfo=ZoneInfo("Pacific/Auckland")))
    assert data.run_requests == []
    assert "has not ended in UTC" in (data.skip_message or "")


def test_bad_time_zone_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="PAVED_REPORT_TZ"):
        build_report_schedule("Mars/Olympus")


def test_one_partition_renders_then_delivers(report_home: Home, no_browser: None) -> None:
    result = dg.materialize(REPORT_ASSETS, partition_key="2024-01-29")
    assert result.success
    assert (report_home.reports_dir / "2024-W05" / "report.md").is_file()
    materializations = result.asset_materializations_for_node("reports__weekly_delivery")
    assert "not_configured" in str(materializations[0].metadata["outcomes"].value)

"""The benchmark's small pure parts: percentiles, stage names, scales, the next day's batch."""

from __future__ import annotations

import datetime as dt

import pytest

from benchmarks.nextday import source_day
from benchmarks.readers import percentile
from benchmarks.run import stage_of, stages
from benchmarks.scales import SCALES, parse_scales


@pytest.mark.parametrize(("q", "expected"), [(0, 1.0), (50, 2.5), (95, 3.85), (100, 4.0)])
def test_percentiles_interpolate_like_numpy(q: float, expected: float) -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], q) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("step", "stage"),
    [
        ("raw__inbox", "load"),
        ("meta__rules", "load"),
        ("core_tables", "core"),
        ("core_checks", "checks"),
        ("marts__deployment_commits", "marts"),
        ("marts__changes_checks", "checks"),
        ("metric_tables", "metrics"),
        ("roadmap", "platform"),
        ("publish__warehouse", "publish"),
    ],
)
def test_dagster_steps_map_to_stages(step: str, stage: str) -> None:
    assert stage_of(step) == stage


def test_orchestration_is_the_time_no_step_accounts_for() -> None:
    out = stages({"core_tables": 2.0, "metric_tables": 1.0}, process_s=5.0)
    assert out["core"] == 2.0 and out["metrics"] == 1.0
    assert out["orchestration"] == pytest.approx(2.0)


def test_scales_parse_by_name_and_custom_size() -> None:
    s, custom = parse_scales("s, custom:40x6")
    assert s == SCALES["S"]
    assert (custom.engineers, custom.weeks) == (40, 6)
    with pytest.raises(ValueError, match="unknown scale"):
        parse_scales("XL")


def test_the_cloned_day_is_the_last_friday_on_or_before_the_end() -> None:
    assert source_day(dt.date(2025, 6, 1)) == dt.date(2025, 5, 30)  # Sunday -> Friday
    assert source_day(dt.date(2025, 5, 30)) == dt.date(2025, 5, 30)

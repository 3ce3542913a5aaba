"""Week parsing: `YYYY-Www` and Monday dates, and the default last complete week."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.report.weeks import IsoWeek, WeekError, last_complete_week, parse_week


def test_iso_week_string_parses_to_its_monday() -> None:
    week = parse_week("2024-W05")
    assert (week.year, week.week) == (2024, 5)
    assert week.monday == date(2024, 1, 29)
    assert week.sunday == date(2024, 2, 4)
    assert week.key == "2024-W05"
    assert week.partition_key == "2024-01-29"


def test_partition_key_parses_to_the_same_week() -> None:
    assert parse_week("2024-01-29") == parse_week("2024-W05")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2020-W53", date(2020, 12, 28)), ("2025-W01", date(2024, 12, 30)), ("2024-w05", None)],
)
def test_iso_year_boundaries_follow_iso_8601(text: str, expected: date | None) -> None:
    assert parse_week(text).monday == (expected or date(2024, 1, 29))


@pytest.mark.parametrize("text", ["2024-W54", "2023-W53", "2024-5", "W05", "2024-01-30", ""])
def test_malformed_week_is_a_clear_error(text: str) -> None:
    with pytest.raises(WeekError, match="week|Monday|ISO"):
        parse_week(text)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2024, 2, 5), "2024-W05"),  # Monday: the week that just ended
        (date(2024, 2, 11), "2024-W05"),  # Sunday: the current week is not complete yet
        (date(2024, 1, 3), "2023-W52"),  # across a year boundary
    ],
)
def test_default_week_is_the_last_complete_iso_week(today: date, expected: str) -> None:
    assert last_complete_week(today).key == expected


def test_shift_moves_by_whole_weeks_across_years() -> None:
    assert IsoWeek(2024, 1).shift(-1).key == "2023-W52"
    assert IsoWeek(2020, 53).shift(1).key == "2021-W01"

"""The default window ends on the last complete week."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.demo import DemoSpec, last_sunday_before
from pipelines.demo.spec import Window


@pytest.mark.parametrize(
    ("today", "sunday"),
    [
        (dt.date(2025, 6, 2), dt.date(2025, 6, 1)),  # Monday
        (dt.date(2025, 6, 1), dt.date(2025, 5, 25)),  # Sunday: the week is not over
        (dt.date(2025, 6, 7), dt.date(2025, 6, 1)),  # Saturday
    ],
)
def test_last_sunday_before_today(today: dt.date, sunday: dt.date) -> None:
    assert last_sunday_before(today) == sunday


def test_window_is_whole_weeks_starting_on_a_monday() -> None:
    window = Window.of(DemoSpec(weeks=4, end=dt.date(2025, 6, 1)))
    start = dt.datetime.fromtimestamp(window.start, dt.UTC)
    assert start.date() == dt.date(2025, 5, 5) and start.weekday() == 0
    assert window.end - window.start == 4 * 7 * 86400


def test_too_small_a_spec_is_refused() -> None:
    with pytest.raises(ValueError, match="engineers"):
        DemoSpec(engineers=5)

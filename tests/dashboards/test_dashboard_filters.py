"""The shared filters as plain values: which periods a choice covers, which scope it selects."""

from __future__ import annotations

from datetime import date

import pytest

from dashboards.filters import ALL_SERVICES, ORG, scope_of, window


@pytest.mark.parametrize(
    ("grain", "last", "period", "first", "end"),
    [
        ("week", date(2026, 11, 16), "12w", date(2026, 8, 31), date(2026, 11, 23)),
        ("week", date(2026, 11, 16), "all", None, date(2026, 11, 23)),
        ("month", date(2026, 2, 1), "12w", date(2025, 12, 1), date(2026, 3, 1)),
        ("month", date(2026, 12, 1), "52w", date(2026, 1, 1), date(2027, 1, 1)),
    ],
    ids=["12-weeks", "all-weeks", "3-months-across-new-year", "12-months-to-december"],
)
def test_a_period_covers_whole_periods_ending_with_the_last_complete_one(
    grain: str, last: date, period: str, first: date | None, end: date
) -> None:
    chosen = window(grain, last, period)
    assert (chosen.start, chosen.end) == (first, end)


@pytest.mark.parametrize(
    ("team", "service", "scope"),
    [
        (ORG, ALL_SERVICES, ("org", "org")),
        ("payments", ALL_SERVICES, ("team", "payments")),
        ("payments", "payments-api", ("service", "payments-api")),
        (ORG, "search-api", ("service", "search-api")),
    ],
)
def test_the_narrowest_choice_is_the_scope(team: str, service: str, scope: tuple) -> None:
    assert scope_of(team, service) == scope

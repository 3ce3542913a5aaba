"""The filters every page shares (period, team, service, grain) as plain values, without Streamlit.

Pages bind these to widgets and the URL (`app_pages/_ui.py`); the arithmetic on *dates* that
turns a period choice into the periods and the date range a page shows lives here, once, so the
charts and the drill-down tables of a page always cover the same days. Nothing here touches a
metric value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

ORG = "org"
"""The team filter's value for the whole organisation (metric_values' org scope id)."""

ALL_SERVICES = "all"
"""The service filter's value for every service of the chosen team (or organisation)."""


@dataclass(frozen=True)
class Period:
    """One period choice: how many complete weeks, or months on a monthly view."""

    label: str
    weeks: int | None
    months: int | None


PERIODS: dict[str, Period] = {
    "12w": Period("Last 12 weeks", 12, 3),
    "26w": Period("Last 26 weeks", 26, 6),
    "52w": Period("Last 52 weeks", 52, 12),
    "all": Period("All weeks", None, None),
}
DEFAULT_PERIOD = "12w"

GRAINS: dict[str, str] = {"week": "Weekly", "month": "Monthly"}
DEFAULT_GRAIN = "week"


def period_end(grain: str, start: date) -> date:
    """The first day after the period that starts on `start` (weeks: Monday; months: the 1st)."""
    if grain == "week":
        return start + timedelta(days=7)
    if start.month == 12:
        return date(start.year + 1, 1, 1)
    return date(start.year, start.month + 1, 1)


def _months_before(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Window:
    """The periods a page shows: `first` to `last` period starts (first None: from the start).

    `start` and `end` bound the same days for tables of events: start inclusive (None: no lower
    bound), end exclusive (the day after the last complete period).
    """

    grain: str
    first: date | None
    last: date

    @property
    def start(self) -> date | None:
        return self.first

    @property
    def end(self) -> date:
        return period_end(self.grain, self.last)

    def describe(self) -> str:
        """The window in words, for captions and file names' readers."""
        unit = "week" if self.grain == "week" else "month"
        last = f"{self.last:%d %b %Y}" if self.grain == "week" else f"{self.last:%b %Y}"
        if self.first is None:
            return f"every {unit} up to the {unit} of {last}"
        first = f"{self.first:%d %b %Y}" if self.grain == "week" else f"{self.first:%b %Y}"
        return f"the {unit}s of {first} to {last}"


def window(grain: str, last: date, period: str) -> Window:
    """The window of `period` ending with the complete period starting on `last`."""
    choice = PERIODS.get(period, PERIODS[DEFAULT_PERIOD])
    if grain == "week":
        first = None if choice.weeks is None else last - timedelta(weeks=choice.weeks - 1)
    else:
        first = None if choice.months is None else _months_before(last, choice.months - 1)
    return Window(grain=grain, first=first, last=last)


def scope_of(team: str, service: str) -> tuple[str, str]:
    """The metric_values scope the filters select: a service, else a team, else the org."""
    if service != ALL_SERVICES:
        return "service", service
    if team != ORG:
        return "team", team
    return "org", ORG

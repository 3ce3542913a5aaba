"""ISO weeks as the report names them (`2024-W05`), and the Monday dates the warehouse stores.

The contract's weeks are ISO weeks starting Monday 00:00 UTC, so `metrics.metric_values` keys a
week by its Monday. People and the CLI say `2024-W05`; Dagster's weekly partitions say
`2024-01-29`. This module converts between the three so no other module does date arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class WeekError(ValueError):
    """A week that cannot be parsed; the message shows the expected form."""


@dataclass(frozen=True, order=True)
class IsoWeek:
    """One ISO week; ordering follows time."""

    year: int
    week: int

    @property
    def monday(self) -> date:
        """The week's first day: `period_start` in metrics.metric_values."""
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        """The week's last day (inclusive), as people read a date range."""
        return self.monday + timedelta(days=6)

    @property
    def end(self) -> date:
        """The Monday after: the exclusive end used in SQL range filters."""
        return self.monday + timedelta(days=7)

    @property
    def key(self) -> str:
        """`2024-W05`: the report's folder name and the `--week` argument."""
        return f"{self.year}-W{self.week:02d}"

    @property
    def partition_key(self) -> str:
        """`2024-01-29`: the key of this week in Dagster's weekly partitions."""
        return self.monday.isoformat()

    def shift(self, weeks: int) -> IsoWeek:
        """The week `weeks` later (negative: earlier)."""
        return IsoWeek.containing(self.monday + timedelta(weeks=weeks))

    @classmethod
    def containing(cls, day: date) -> IsoWeek:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    def __str__(self) -> str:
        return self.key


def parse_week(text: str) -> IsoWeek:
    """`2024-W05` (or a Monday date, as a Dagster partition key) to an IsoWeek."""
    raw = text.strip()
    match = _WEEK.match(raw.upper())
    if match:
        year, week = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError as exc:
            raise WeekError(f"{raw!r}: {year} has no ISO week {week}") from exc
        return IsoWeek(year, week)
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise WeekError(f"{raw!r} is not a week: use YYYY-Www, e.g. 2024-W05") from None
    if day.weekday() != 0:
        raise WeekError(f"{raw!r} is not a Monday: a week is named by its Monday or YYYY-Www")
    return IsoWeek.containing(day)


def last_complete_week(today: date | None = None) -> IsoWeek:
    """The latest ISO week that has fully ended (in UTC) by `today`: the default report week."""
    day = today or datetime.now(UTC).date()
    return IsoWeek.containing(day).shift(-1)

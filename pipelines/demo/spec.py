"""What to generate (`DemoSpec`) and the time window it covers.

The window is whole weeks ending on `end` (a Sunday by default), so ISO weeks in the dashboard are
complete. All internal times are float seconds since the Unix epoch, UTC: cheap to vectorise and
exact for whole seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
WEEK = 7 * DAY


def last_sunday_before(today: dt.date) -> dt.date:
    """The most recent Sunday strictly before `today`: the last complete ISO week's end."""
    back = (today.weekday() + 1) % 7 or 7
    return today - dt.timedelta(days=back)


@dataclass(frozen=True)
class DemoSpec:
    """Size and seed of the demo organisation; equal specs give byte-identical output."""

    engineers: int = 200
    weeks: int = 52
    seed: int = 7
    end: dt.date | None = None  # last day covered; None = the last Sunday before today

    def __post_init__(self) -> None:
        if self.engineers < 20:
            raise ValueError("engineers must be at least 20 (a platform team and two teams)")
        if self.weeks < 4:
            raise ValueError("weeks must be at least 4")


@dataclass(frozen=True)
class Window:
    """The covered period [start, end) in epoch seconds, with the Monday of every week."""

    start: float
    end: float
    weeks: int

    @classmethod
    def of(cls, spec: DemoSpec) -> Window:
        last = spec.end if spec.end is not None else last_sunday_before(dt.date.today())
        end = _epoch(last + dt.timedelta(days=1))
        return cls(start=end - spec.weeks * WEEK, end=end, weeks=spec.weeks)

    @property
    def week_starts(self) -> np.ndarray:
        return self.start + WEEK * np.arange(self.weeks, dtype=float)

    @property
    def span(self) -> float:
        return self.end - self.start


def _epoch(day: dt.date) -> float:
    return float((day - dt.date(1970, 1, 1)).days) * DAY

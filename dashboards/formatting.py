"""How a figure from the warehouse is written on screen, by the unit the catalog gives it.

Kept apart from the pages so every page, the tests and (later) the report write a value the same
way: a ratio as a percentage, hours as hours or days, and an undefined value (NULL) as a dash,
never as 0, because "no deployments, so no fail rate" is not "a 0% fail rate".
"""

from __future__ import annotations

import math
from numbers import Real

DASH = "—"
"""What an undefined value (NULL in metrics.metric_values) is shown as."""

HOURS_AS_DAYS_FROM = 48.0
"""Durations of two days or more read better in days than in hours."""


def is_missing(value: object) -> bool:
    """True for NULL, NaN and pandas' missing markers: all mean "undefined" here."""
    if value is None:
        return True
    if isinstance(value, Real):
        return math.isnan(float(value))
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _number(value: float, decimals: int = 1) -> str:
    """A count reads as an integer when it is one (12, not 12.0), else with one decimal."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{decimals}f}"


def format_value(value: object, unit: str | None) -> str:
    """Write one metric value in its unit; undefined values become a dash."""
    if is_missing(value):
        return DASH
    number = float(value)  # type: ignore[arg-type]
    match unit:
        case "ratio":
            return f"{number * 100:.1f}%"
        case "hours":
            if abs(number) >= HOURS_AS_DAYS_FROM:
                return f"{number / 24:.1f} d"
            return f"{number:.1f} h"
        case "days":
            return f"{number:.1f} d"
        case "minutes":
            return f"{number:.1f} min"
        case _:
            return _number(number)


def format_delta(delta: object, unit: str | None) -> str | None:
    """Write a week-on-week change with its sign, or None when either week is undefined.

    A ratio's change is in percentage points: "+2.0 pp" cannot be misread as a relative change.
    """
    if is_missing(delta):
        return None
    number = float(delta)  # type: ignore[arg-type]
    match unit:
        case "ratio":
            return f"{number * 100:+.1f} pp"
        case "hours":
            if abs(number) >= HOURS_AS_DAYS_FROM:
                return f"{number / 24:+.1f} d"
            return f"{number:+.1f} h"
        case "days":
            return f"{number:+.1f} d"
        case "minutes":
            return f"{number:+.1f} min"
        case _:
            sign = "+" if number > 0 else ("-" if number < 0 else "±")
            return f"{sign}{_number(abs(number))}"


def unit_suffix(unit: str | None) -> str:
    """The axis-title suffix for a unit, e.g. "(hours)"; counts need none."""
    return {
        "ratio": "(%)",
        "hours": "(hours)",
        "days": "(days)",
        "minutes": "(minutes)",
        "engineers": "(engineers)",
    }.get(unit or "", "")


BAND_LABELS = {
    "elite": "Elite",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
}

BAND_COLOURS = {
    "elite": "green",
    "high": "blue",
    "medium": "orange",
    "low": "red",
}


def band_label(band: object) -> str:
    """A performance band for display; a scope without enough data has no band."""
    if is_missing(band) or not str(band):
        return "No band"
    return BAND_LABELS.get(str(band).lower(), str(band).title())

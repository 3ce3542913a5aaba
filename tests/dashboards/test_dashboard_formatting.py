"""How a stored value is written on a tile: by the unit the catalog gives the metric."""

from __future__ import annotations

import math

import pytest

from dashboards.formatting import DASH, band_label, format_delta, format_value


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (None, "ratio", DASH),
        (math.nan, "hours", DASH),
        (0.0, "ratio", "0.0%"),
        (0.2, "ratio", "20.0%"),
        (1 / 7, "ratio", "14.3%"),
        (20.5, "hours", "20.5 h"),
        (47.9, "hours", "47.9 h"),
        (72.0, "hours", "3.0 d"),
        (3.25, "days", "3.2 d"),
        (15.0, "count", "15"),
        (0.0, "count", "0"),
        (1234.0, "count", "1,234"),
        (2.5, "count", "2.5"),
        (12.0, "engineers", "12"),
        (7.0, None, "7"),
    ],
)
def test_value(value: float | None, unit: str | None, shown: str) -> None:
    assert format_value(value, unit) == shown


@pytest.mark.parametrize(
    ("delta", "unit", "shown"),
    [
        (None, "count", None),
        (math.nan, "ratio", None),
        (4.0, "count", "+4"),
        (-3.0, "count", "-3"),
        (0.0, "count", "±0"),
        (0.2, "ratio", "+20.0 pp"),
        (-0.05, "ratio", "-5.0 pp"),
        (-1.5, "hours", "-1.5 h"),
        (50.0, "hours", "+2.1 d"),
        (1.0, "days", "+1.0 d"),
    ],
)
def test_delta(delta: float | None, unit: str, shown: str | None) -> None:
    assert format_delta(delta, unit) == shown


@pytest.mark.parametrize(
    ("band", "shown"),
    [("elite", "Elite"), ("LOW", "Low"), (None, "No band"), ("", "No band")],
)
def test_band(band: str | None, shown: str) -> None:
    assert band_label(band) == shown

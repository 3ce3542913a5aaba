"""One small demo organisation shared by the demo tests (generation is deterministic)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipelines.demo import DemoSpec, generate

SMALL = DemoSpec(engineers=60, weeks=20, seed=7, end=dt.date(2025, 6, 1))


@pytest.fixture(scope="session")
def small_spec() -> DemoSpec:
    """The spec behind `frames`, for tests that generate again."""
    return SMALL


@pytest.fixture(scope="session")
def frames() -> dict[str, pd.DataFrame]:
    """60 engineers over 20 weeks: every entity present, fast to build."""
    return generate(SMALL)

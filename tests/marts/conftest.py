"""Fixtures for the mart golden tests: a fresh tmp_path warehouse per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from core_fixture import CoreFixture


@pytest.fixture
def wh(tmp_path: Path) -> Iterator[CoreFixture]:
    fixture = CoreFixture(tmp_path / "warehouse.duckdb")
    yield fixture
    fixture.con.close()

"""Fixtures for the platform golden tests: the tmp_path warehouse helper of tests/marts.

tests/ is not a package, so the helper module of tests/marts is put on the import path here
(as tests/metrics does) rather than copied.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "marts"))

from core_fixture import CoreFixture  # noqa: E402


@pytest.fixture
def wh(tmp_path: Path) -> Iterator[CoreFixture]:
    fixture = CoreFixture(tmp_path / "warehouse.duckdb")
    yield fixture
    fixture.con.close()

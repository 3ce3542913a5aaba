"""Fixtures for the metric golden tests: the same tmp_path warehouse helper as tests/marts.

tests/ is not a package (module names would clash with the `metrics` package), so the helper
module of tests/marts is put on the import path here rather than copied.
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

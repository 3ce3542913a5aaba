"""Fixtures for the dashboard tests: homes with a hand-written published copy, or none.

The warehouse itself is built in `dashboard_fixtures.py` (a uniquely named module, so test files
can import its constants without clashing with other folders' conftest modules).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dashboard_fixtures import Warehouse, write_warehouse

from pipelines.paths import Home


@pytest.fixture
def make_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Home]]:
    """Build a PAVED_HOME with a published copy (or none), and point PAVED_HOME at it."""

    def build(spec: Warehouse | None = None, *, published: bool = True) -> Home:
        home = Home((tmp_path / "home").resolve()).ensure()
        if published:
            write_warehouse(home.published, spec or Warehouse())
        monkeypatch.setenv("PAVED_HOME", str(home.root))
        return home

    yield build


@pytest.fixture
def published_home(make_home: Callable[..., Home]) -> Home:
    """The standard fixture warehouse: five DORA metrics, three scopes, seven weeks."""
    return make_home()


@pytest.fixture
def empty_home(make_home: Callable[..., Home]) -> Home:
    """A home where nothing has been published yet."""
    return make_home(published=False)

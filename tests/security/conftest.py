"""Fixtures for the security tests: one small published warehouse for the whole session.

The warehouse is the dashboard tests' hand-written one (`write_warehouse`: core, marts, metrics
and meta tables with a few rows), written once into a home of its own; tests that need the
current home (the dashboard's side reads PAVED_HOME) point PAVED_HOME at it. Nothing here is
autouse: the other files of this folder are unaffected.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.paths import Home
from tests.dashboards.dashboard_fixtures import Warehouse, write_warehouse


@pytest.fixture(scope="session")
def published_home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """A home with a published copy, shared by the session: tests must only read it."""
    home = Home(tmp_path_factory.mktemp("security") / "home").ensure()
    write_warehouse(home.published, Warehouse())
    return home


@pytest.fixture
def in_published_home(published_home: Home, monkeypatch: pytest.MonkeyPatch) -> Home:
    """The shared home, also exported as PAVED_HOME (what the dashboard reads)."""
    monkeypatch.setenv("PAVED_HOME", str(published_home.root))
    monkeypatch.delenv("PAVED_CONFIG", raising=False)
    return published_home


@pytest.fixture(scope="session")
def attack_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the attacks try to write or read files: it must stay empty."""
    return tmp_path_factory.mktemp("attack-target")

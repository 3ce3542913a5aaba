"""Fixtures for the report tests: a PAVED_HOME holding the hand-written published copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.paths import Home
from tests.report.fixtures import Spec, write_published


@pytest.fixture(scope="session")
def fixture_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture warehouse, written once per session (row-by-row inserts take ~1 s)."""
    return write_published(tmp_path_factory.mktemp("fixture") / "paved.duckdb", Spec(roadmap=True))


@pytest.fixture
def report_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixture_warehouse: Path) -> Home:
    """A PAVED_HOME whose published copy is the fixture warehouse (2024-W05 has data)."""
    home = Home(tmp_path / "home").ensure()
    monkeypatch.setenv("PAVED_HOME", str(home.root))
    shutil.copyfile(fixture_warehouse, home.published)
    return home


@pytest.fixture
def no_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend no Chromium is installed, so rendering skips PNG and PDF (fast, no browser)."""
    monkeypatch.setattr("pipelines.report.charts.find_browser", lambda: None)

"""Fixtures for the dashboard tests: homes with a hand-written published copy, or none.

The warehouse itself is built in `dashboard_fixtures.py` (a uniquely named module, so test files
can import its constants without clashing with other folders' conftest modules).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_fixtures import Warehouse, write_last_run, write_warehouse

from pipelines.paths import Home


@pytest.fixture(scope="session")
def warehouse_files(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Warehouse], Path]:
    """Each distinct fixture warehouse written once per session, then copied (~2 ms vs ~1.5 s).

    Keyed on the spec's repr, which spells out every option; a copy has its own path and inode,
    so the dashboard's cache never mixes two tests' copies.
    """
    written: dict[str, Path] = {}
    folder = tmp_path_factory.mktemp("warehouses")

    def file_for(spec: Warehouse) -> Path:
        key = repr(spec)
        if key not in written:
            written[key] = write_warehouse(folder / f"w{len(written)}.duckdb", spec)
        return written[key]

    return file_for


@pytest.fixture
def make_home(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    warehouse_files: Callable[[Warehouse], Path],
) -> Iterator[Callable[..., Home]]:
    """Build a PAVED_HOME with a published copy (or none) and optionally state/last_run.json,
    and point PAVED_HOME at it."""

    def build(
        spec: Warehouse | None = None,
        *,
        published: bool = True,
        last_run: dict[str, Any] | None = None,
    ) -> Home:
        home = Home((tmp_path / "home").resolve()).ensure()
        if published:
            shutil.copyfile(warehouse_files(spec or Warehouse()), home.published)
        if last_run is not None:
            write_last_run(home.root, last_run)
        monkeypatch.setenv("PAVED_HOME", str(home.root))
        return home

    yield build


@pytest.fixture(scope="session")
def shared_published(
    tmp_path_factory: pytest.TempPathFactory, warehouse_files: Callable[[Warehouse], Path]
) -> Home:
    """One home holding the standard fixture warehouse for the whole session."""
    home = Home((tmp_path_factory.mktemp("shared") / "home").resolve()).ensure()
    shutil.copyfile(warehouse_files(Warehouse()), home.published)
    return home


@pytest.fixture
def published_home(shared_published: Home, monkeypatch: pytest.MonkeyPatch) -> Home:
    """The standard fixture warehouse (DORA and platform metrics, three scopes), read-only.

    Shared by every test that only reads it: the file keeps one identity, so the dashboard's
    query cache serves every test after the first and the suite stays fast on a loaded machine.
    A test that writes into its home overrides this fixture with `make_home()` (a private copy).
    """
    monkeypatch.setenv("PAVED_HOME", str(shared_published.root))
    return shared_published


@pytest.fixture
def empty_home(make_home: Callable[..., Home]) -> Home:
    """A home where nothing has been published yet."""
    return make_home(published=False)

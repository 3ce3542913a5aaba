"""Shared fixtures: a fresh PAVED_HOME per test and helpers to write canonical batch folders."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from pipelines.paths import Home

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def paved_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """An empty PAVED_HOME, also exported so subprocesses and resources agree on it."""
    home = Home(tmp_path / "home").ensure()
    monkeypatch.setenv("PAVED_HOME", str(home.root))
    return home


BatchWriter = Callable[[dict[str, list[dict] | str]], Path]


@pytest.fixture
def write_batch(tmp_path: Path) -> BatchWriter:
    """Write a batch folder: entity -> list of records (JSON Lines) or raw text (file name)."""
    counter = iter(range(1000))

    def _write(files: dict[str, list[dict] | str]) -> Path:
        folder = tmp_path / f"batch{next(counter)}"
        folder.mkdir()
        for name, content in files.items():
            target = folder / (name if "." in name else f"{name}.jsonl")
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                target.write_text(content, encoding="utf-8")
            else:
                target.write_text("".join(json.dumps(r) + "\n" for r in content), encoding="utf-8")
        return folder

    return _write

"""The one place that computes file locations, so every command agrees on where data lives.

PAVED_HOME (or `--home`) holds the working warehouse (written by Dagster alone), the published
read-only copy (the only file readers open), Parquet exports of the marts, reports and state.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = REPO_ROOT / "data"


@dataclass(frozen=True)
class Home:
    """Locations inside one PAVED_HOME."""

    root: Path

    @property
    def warehouse(self) -> Path:
        """Working warehouse: read-write, opened only by the pipeline."""
        return self.root / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        """Published copy: swapped in atomically at the end of each run; readers open only this."""
        return self.root / "published" / "paved.duckdb"

    @property
    def parquet_dir(self) -> Path:
        """Parquet exports of the stable tables, for tools that read files."""
        return self.root / "published" / "parquet"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def demo_inbox(self) -> Path:
        """Where `paved demo` writes the generated organisation as canonical batch files."""
        return self.root / "demo" / "inbox"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    def ensure(self) -> Home:
        self.root.mkdir(parents=True, exist_ok=True)
        self.published.parent.mkdir(parents=True, exist_ok=True)
        return self


def home(override: str | os.PathLike[str] | None = None) -> Home:
    """Resolve PAVED_HOME: an override, else the environment, else `data/` of the checkout."""
    raw = override or os.environ.get("PAVED_HOME") or DEFAULT_HOME
    return Home(Path(raw).expanduser().resolve())

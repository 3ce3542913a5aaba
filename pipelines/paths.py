"""The one place that computes file locations, so every command agrees on where data lives.

PAVED_HOME (or `--home`) holds the working warehouse (written by Dagster alone), the published
read-only copy (the only file readers open), Parquet exports of the marts, reports and state.

The demo lives in a home of its own (`data/demo/` of the checkout unless `--home`), never in
PAVED_HOME: a home holds one organisation. A home remembers that it is the demo's in
`state/home.json` ({"kind": "demo", ...}), written by `paved demo`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = REPO_ROOT / "data"
DEMO_HOME_NAME = "demo"  # the demo's home: <DEFAULT_HOME>/demo
DEMO, DATA, EMPTY = "demo", "data", "empty"  # what a home holds (Home.kind)


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
        return self.root / "demo-batch"

    @property
    def legacy_demo_inbox(self) -> Path:
        """Where `paved demo` wrote its batch before the demo had a home of its own."""
        return self.root / "demo" / "inbox"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def marker(self) -> Path:
        """`state/home.json`: what this home holds, written by `paved demo`."""
        return self.state_dir / "home.json"

    def kind(self) -> str:
        """`demo` (marked by `paved demo`, or the demo's old layout), `data` (a warehouse or a
        published copy of other data) or `empty`."""
        try:
            recorded = json.loads(self.marker.read_text(encoding="utf-8")).get("kind")
        except (OSError, ValueError, AttributeError):
            recorded = None
        if recorded in (DEMO, DATA):
            return recorded
        has_data = self.warehouse.exists() or self.published.exists()
        if has_data and self.legacy_demo_inbox.is_dir():
            return DEMO
        return DATA if has_data else EMPTY

    def mark(self, kind: str, **detail: Any) -> None:
        """Record what this home holds (`paved demo` marks its home `demo`)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        record = {"kind": kind, "marked_at": datetime.now(UTC).isoformat(), **detail}
        partial = self.marker.with_name("home.json.partial")
        partial.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        partial.replace(self.marker)

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


def demo_home(override: str | os.PathLike[str] | None = None) -> Home:
    """The demo's home: an override, else `data/demo/` of the checkout (never PAVED_HOME)."""
    return Home(Path(override or DEFAULT_HOME / DEMO_HOME_NAME).expanduser().resolve())


def reader_home(override: str | os.PathLike[str] | None = None) -> tuple[Home, bool]:
    """The home a reader (`paved sql`, `dashboard`, `report`) opens, and whether it fell back to
    the demo's: with no override and no PAVED_HOME, when `data/` has no published copy of its own
    (none, or only the demo's from before it had a home of its own) but `data/demo/` has one."""
    chosen = home(override)
    if override or os.environ.get("PAVED_HOME"):
        return chosen, False
    demo = demo_home()
    own = chosen.published.is_file() and chosen.kind() != DEMO
    if not own and demo.published.is_file():
        return demo, True
    return chosen, False

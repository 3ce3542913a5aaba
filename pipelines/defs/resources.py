"""The one resource every asset uses: where the warehouse lives and what to load this run.

Fields are plain strings resolved when a run starts (never at import), so loading the
definitions reads no environment, opens no file and needs no secret.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.config import Config, load_config
from pipelines.paths import Home, home
from pipelines.warehouse import run_connection


class WarehouseResource(dg.ConfigurableResource):
    """The working warehouse of one PAVED_HOME, plus the run's configuration and inboxes."""

    home_dir: str = ""  # empty: PAVED_HOME, else data/ of the checkout
    config_path: str = ""  # empty: PAVED_CONFIG, else <home>/paved.toml when present
    inboxes: list[str] = []
    full_resync: bool = False  # sources re-read their whole history instead of what changed

    def home(self) -> Home:
        return home(self.home_dir or None).ensure()

    def config(self) -> Config:
        import os

        explicit = self.config_path or os.environ.get("PAVED_CONFIG", "")
        if explicit:
            return load_config(explicit)
        default = self.home().root / "paved.toml"
        return load_config(default if default.is_file() else None)

    def inbox_folders(self) -> list[Path]:
        configured = list(self.config().inboxes)
        return [Path(p) for p in self.inboxes] + [
            p for p in configured if str(p) not in self.inboxes
        ]

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The run's shared read-write connection (see pipelines.warehouse)."""
        yield run_connection(self.home().warehouse)

"""Connections to the working warehouse, with the session settings every writer relies on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


def configure(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """UTC everywhere: timestamps without an offset are UTC, and weeks start Monday 00:00 UTC."""
    con.execute("SET TimeZone = 'UTC'")
    return con


@contextmanager
def open_warehouse(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the working warehouse read-write; only the pipeline (one process) ever does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = configure(duckdb.connect(str(path)))
    try:
        yield con
    finally:
        con.close()

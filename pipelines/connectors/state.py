"""Incremental-sync state: the `raw.sync_state` table, one row per (source, stream).

Why a table and not a file: it lives in the same warehouse as the records it describes, so a
restored or copied warehouse resumes from the right place, and the cursor is only ever saved after
the records it covers were written (see `Sink.checkpoint`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

_DDL = Path(__file__).with_name("sync_state.sql")

_GET = "SELECT cursor, etag FROM raw.sync_state WHERE source = ? AND stream = ?"
_PUT = (
    "INSERT OR REPLACE INTO raw.sync_state (source, stream, cursor, etag, updated_at) "
    "VALUES (?, ?, ?, ?, now()::TIMESTAMP)"
)
_LIST = "SELECT stream, cursor, etag FROM raw.sync_state WHERE source = ? ORDER BY stream"
_CLEAR = "DELETE FROM raw.sync_state WHERE source = ?"


def ensure_state(con: duckdb.DuckDBPyConnection) -> None:
    """Create `raw.sync_state` if it is missing (idempotent)."""
    for statement in con.extract_statements(_DDL.read_text(encoding="utf-8")):
        con.execute(statement.query)


@dataclass(frozen=True)
class StreamState:
    cursor: str | None = None
    etag: str | None = None


class SyncState:
    """The saved positions of one source. With `full_resync`, reads see nothing (a fresh start)
    but writes still land, so the next daily run is incremental again."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, source: str, *, full_resync: bool = False
    ) -> None:
        ensure_state(con)
        self.con = con
        self.source = source
        self.full_resync = full_resync

    def get(self, stream: str) -> StreamState:
        if self.full_resync:
            return StreamState()
        row = self.con.execute(_GET, [self.source, stream]).fetchone()
        return StreamState(row[0], row[1]) if row else StreamState()

    def put(self, stream: str, cursor: str | None, etag: str | None) -> None:
        self.con.execute(_PUT, [self.source, stream, cursor, etag])

    def all(self) -> dict[str, StreamState]:
        rows = self.con.execute(_LIST, [self.source]).fetchall()
        return {s: StreamState(c, e) for s, c, e in rows}

    def clear(self) -> None:
        self.con.execute(_CLEAR, [self.source])

"""What every connector shares: its settings, the sink that writes to raw, and the run loop.

A connector is a plain class: it gets an `httpx.Client`, its `[sources.<name>]` table, the token
(already read from the environment) and a `Sink`. It splits its work into units (one repository
and stream, one service, one file) so that one failing unit is reported while the others still
load, and it saves a unit's cursor only through `Sink.checkpoint`, after the unit's records are
written: a crash between the two re-reads a little, it never skips anything.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

import duckdb
import httpx

from pipelines.connectors.errors import ConnectorError, SourceConfigError
from pipelines.connectors.mapping import parse_ts
from pipelines.connectors.state import StreamState, SyncState
from pipelines.raw import write_records
from pipelines.redact import redact

log = logging.getLogger("pipelines.connectors")

# Keys every source accepts; each connector adds its own in `KEYS`.
COMMON_KEYS = frozenset(
    {
        "type",
        "base_url",
        "token_env",
        "lookback_hours",
        "history_days",
        "per_page",
        "timeout_s",
        "max_attempts",
        "rate_limit_budget_s",
        "streams",
    }
)


@dataclass
class WriteTotals:
    """Per entity: records mapped, and of those how many raw stored as new envelopes."""

    mapped: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    inserted: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Sink:
    """Buffers mapped records and writes them to raw in a few large batches.

    One `write_records` call per (entity, origin) per checkpoint: writing per page would spend
    most of a sync in DuckDB round trips. `origin` is the list request a unit started from
    (secrets removed); a record fetched through a sub-request (a pull request's commits) keeps
    its unit's origin.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, source: str, batch_id: str) -> None:
        self.con = con
        self.source = source
        self.batch_id = batch_id
        self.totals = WriteTotals()
        self._buffer: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)

    def add(self, entity: str, records: Iterable[Mapping[str, Any]], origin: str) -> None:
        self._buffer[(entity, origin)].extend(dict(r) for r in records)

    def flush(self) -> None:
        for (entity, origin), records in list(self._buffer.items()):
            if not records:
                continue
            result = write_records(
                self.con,
                source=self.source,
                entity=entity,
                records=records,
                origin=origin,
                batch_id=self.batch_id,
            )
            self.totals.mapped[entity] += len(records)
            self.totals.inserted[entity] += result.inserted
        self._buffer.clear()

    def discard(self) -> None:
        """Drop what a failed unit buffered, so a half-read unit never advances anything."""
        self._buffer.clear()

    def checkpoint(
        self, state: SyncState, stream: str, cursor: str | None, etag: str | None
    ) -> None:
        self.flush()
        state.put(stream, cursor, etag)


@dataclass
class RunContext:
    """Everything a connector needs besides its settings."""

    name: str
    client: httpx.Client
    token: str | None
    sink: Sink
    state: SyncState
    now: datetime
    warnings: list[str] = field(default_factory=list)


class Connector:
    """Base class: settings access, the unit loop, and the incremental window."""

    TYPE: ClassVar[str] = ""
    KEYS: ClassVar[frozenset[str]] = frozenset()
    NEEDS_TOKEN: ClassVar[bool] = True
    DEFAULT_BASE_URL: ClassVar[str | None] = None
    STREAMS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, settings: Mapping[str, Any], ctx: RunContext) -> None:
        self.settings = settings
        self.ctx = ctx
        self.validate()

    # -- settings -------------------------------------------------------------------------
    @classmethod
    def check_keys(cls, name: str, settings: Mapping[str, Any]) -> None:
        unknown = sorted(set(settings) - COMMON_KEYS - cls.KEYS)
        if unknown:
            raise SourceConfigError(
                f"[sources.{name}]: unknown key(s) {', '.join(unknown)} for type {cls.TYPE!r}; "
                "see docs/sources.md for the keys it accepts"
            )

    def validate(self) -> None:
        """Check settings early, before any request; subclasses add their own checks."""
        self.check_keys(self.ctx.name, self.settings)
        unknown = sorted(set(self.streams) - set(self.STREAMS))
        if unknown:
            raise SourceConfigError(
                f"[sources.{self.ctx.name}].streams: unknown stream(s) {', '.join(unknown)}; "
                f"{self.TYPE} offers {', '.join(self.STREAMS)}"
            )

    def setting(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)

    def required(self, key: str) -> Any:
        value = self.settings.get(key)
        if value in (None, "", [], {}):
            raise SourceConfigError(f"[sources.{self.ctx.name}]: `{key}` is required")
        return value

    @property
    def base_url(self) -> str:
        url = self.settings.get("base_url") or self.DEFAULT_BASE_URL
        if not url:
            raise SourceConfigError(f"[sources.{self.ctx.name}]: `base_url` is required")
        return str(url).rstrip("/")

    @property
    def streams(self) -> list[str]:
        return list(self.settings.get("streams") or self.STREAMS)

    @property
    def per_page(self) -> int:
        return int(self.settings.get("per_page", 100))

    # -- incremental window ---------------------------------------------------------------
    def since(self, saved: StreamState) -> datetime:
        """Where a unit resumes: its saved cursor minus the look-back overlap.

        The overlap (`lookback_hours`, default 1) exists because providers' "updated since"
        filters are not exact: list endpoints are served from replicas and search indexes that
        lag by seconds to minutes, timestamps are second-granular, and an object written while
        the last run was paging can carry a timestamp older than the cursor. An hour covers
        that lag many times over while re-reading little (every item re-read in the overlap
        costs its sub-requests again: a pull request's commits and reviews). Whatever is
        re-read is deduplicated by raw's payload hash, so the overlap never duplicates. Things
        that change long after their timestamp (a run still in progress, an open incident) are
        not the overlap's job: `CursorTracker` holds the cursor back at them. Without a cursor
        (first run or full resync) the unit reads `history_days` (default 365) back.
        """
        cursor = parse_ts(saved.cursor)
        if cursor is None:
            return self.ctx.now - timedelta(days=float(self.settings.get("history_days", 365)))
        return cursor - timedelta(hours=float(self.settings.get("lookback_hours", 1)))

    # -- run ------------------------------------------------------------------------------
    def units(self) -> Iterator[tuple[str, Callable[[], None]]]:
        """(label, work) pairs; each work function reads, maps, adds to the sink, checkpoints."""
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        """Authentication and media-type headers, added per request (never to the client)."""
        return {}

    def run(self) -> list[str]:
        """Run every unit; a failing unit is logged and reported, the others still load."""
        errors: list[str] = []
        for label, work in self.units():
            try:
                work()
                self.ctx.sink.flush()
            except ConnectorError as exc:
                self.ctx.sink.discard()
                error = f"{label}: {redact(exc)}"  # the one place a unit's failure becomes text
                log.error("[%s] %s", self.ctx.name, error)
                errors.append(error)
        return errors

    def warn(self, message: str) -> None:
        message = redact(message)
        if message not in self.ctx.warnings:
            log.warning("[%s] %s", self.ctx.name, message)
            self.ctx.warnings.append(message)

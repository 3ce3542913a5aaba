"""Read-only, cached access to the published warehouse: the only data the dashboard sees.

Why it looks like this:

- The dashboard opens only the published copy (`pipelines.paths.home().published`), never the
  working warehouse, because DuckDB refuses a read-only open while the pipeline writes.
- One read-only connection per page render, not per query. `render()` (entered by `app.py`
  around the page) lets the first query that misses the cache open the published copy, every
  later one of the same run reuse it, and closes it when the run ends, whatever way it ends (a
  rerun or `st.stop()` is an exception through the `with`). Opening costs 20-130 ms on a loaded
  2-core machine and a page sends up to 25 queries, so this was most of a cold page. Outside a
  render (a download's deferred callable, a test, a script) each query opens and closes its own
  connection as before.
- The connection is a fresh in-memory DuckDB that ATTACHes the published file read-only, never
  `duckdb.connect(published)`: DuckDB shares one instance per path inside a process, so while any
  session held a connection, another session's `connect()` would get the *old* file after a
  publish swapped it (`os.replace`). An attached file belongs to its own instance only, so two
  concurrent sessions can never see each other's copy, and no lock around opens is needed.
- Results are cached keyed on the identity (inode, mtime, size) of the file *actually opened*:
  stat before and after the ATTACH, equal means that is the file; a newly published copy has a
  new identity, so the cache misses and the page shows the new figures without a TTL. Within a
  render, once the file is open, every query reads that copy and is keyed on it, so a page never
  mixes two publishes even if a swap lands halfway through.
- A swap can land while we open the file: one retry after a short pause, then a clear error.
- No metric arithmetic: every figure is a column of a table the pipeline wrote. The only
  subtraction is the week-on-week delta shown under a tile, done in SQL from two stored values.

Tables may be missing (an empty home, a pipeline that has not reached the metrics yet): every
reader then returns an empty frame with the expected columns, and `status()` tells the page which
empty state to show. `import dagster` never happens here (it costs ~1.4 s): only `pipelines.paths`.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from metrics.groups import DORA_METRICS as DORA_METRICS  # the one definition, re-exported
from pipelines.paths import home

METRIC_VALUES = "metrics.metric_values"
CATALOG = "metrics.catalog"
PERFORMANCE = "metrics.performance"
RUNS = "meta.runs"
TEAMS = "core.teams"

STALE_AFTER = timedelta(days=2)
"""Data older than this is flagged: a daily pipeline has then missed at least one run."""

OPEN_RETRY_DELAY_S = 0.25
"""Long enough for an `os.replace` and the removal of a stale `.wal` to finish."""

SUCCESS_STATUSES = frozenset({"success", "succeeded", "ok", "completed"})
RUNNING_STATUSES = frozenset({"running", "started", "in_progress", "queued"})

OPEN_ATTEMPTS = 3
"""Opens tried when a publish keeps swapping the file between our stat and our open."""

ATTACHED = "published"
"""The catalog name the published file is attached as (and made the default with USE)."""

FileIdentity = tuple[int, int, int]


class WarehouseUnavailable(RuntimeError):
    """The published copy exists but could not be opened, even after one retry."""


@dataclass(frozen=True)
class Status:
    """What the published copy holds: drives which empty state a page shows."""

    path: Path
    published: bool
    tables: frozenset[str]

    def has(self, *tables: str) -> bool:
        """True when every named `schema.table` exists in the published copy."""
        return all(t in self.tables for t in tables)


@dataclass(frozen=True)
class LastRun:
    """`<home>/state/last_run.json`: what the latest `paved run` did, even when it failed.

    A failed run never publishes, so the published copy cannot record its own failure; this file,
    written by the runner next to the warehouse, is the only place the dashboard can learn of it.
    """

    path: Path
    status: str
    run_id: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    seconds: float | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        text = self.status.lower()
        return text not in SUCCESS_STATUSES and text not in RUNNING_STATUSES


@dataclass(frozen=True)
class Freshness:
    """When the data was last refreshed and whether the reader should be warned about it."""

    last_refreshed: datetime | None
    last_status: str | None
    last_started: datetime | None
    stale: bool
    last_run_failed: bool
    failed_run: LastRun | None = None
    """A failed run newer than the published copy (from state/last_run.json), if any."""

    @property
    def warn(self) -> bool:
        return self.stale or self.last_run_failed


# --- the published file ----------------------------------------------------------------------


def published_path() -> Path:
    """The published copy of the current PAVED_HOME, resolved at call time so tests can switch."""
    return home().published


def file_identity(path: Path) -> FileIdentity | None:
    """(inode, mtime, size) of the file, or None when it is not there (nothing published yet)."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _attach(path: Path) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB with the file at `path` attached read-only and in use.

    Never `duckdb.connect(path)`: that would share an instance with any connection to the same
    path this process still holds, and so read the file that was there when it was opened.
    """
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {_sql_string(str(path))} AS {ATTACHED} (READ_ONLY)")
        con.execute(f"USE {ATTACHED}")
    except BaseException:
        con.close()
        raise
    return con


def _sql_string(text: str) -> str:
    """A single-quoted SQL literal (ATTACH takes no bound parameter for its path)."""
    return "'" + text.replace("'", "''") + "'"


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    """Open read-only, retrying once: a publish may be swapping the file at this very moment."""
    try:
        return _attach(path)
    except (duckdb.IOException, duckdb.InvalidInputException, duckdb.SerializationException):
        time.sleep(OPEN_RETRY_DELAY_S)
        try:
            return _attach(path)
        except duckdb.Error as exc:
            raise WarehouseUnavailable(
                f"Could not open the published warehouse {path}: {exc}. "
                "If a pipeline run is publishing, reload in a few seconds."
            ) from exc


def _open(path: Path) -> tuple[duckdb.DuckDBPyConnection, FileIdentity]:
    """A connection to the published copy and the identity of the very file it opened.

    The file is stat'ed before and after the open: when both agree, no swap landed in between,
    so that identity is the file the connection reads (the open file stays that copy even if a
    publish replaces the path later). When they differ, the open is done again.
    """
    for _ in range(OPEN_ATTEMPTS):
        before = file_identity(path)
        if before is None:
            raise WarehouseUnavailable(f"Nothing published yet at {path}.")
        con = _connect(path)
        if file_identity(path) == before:
            return con, before
        con.close()
        time.sleep(OPEN_RETRY_DELAY_S)
    raise WarehouseUnavailable(
        f"The published warehouse {path} kept being replaced while it was opened: reload the page."
    )


class _Render:
    """The connection of one script run: opened by its first uncached query, closed at its end."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.con: duckdb.DuckDBPyConnection | None = None
        self.identity: FileIdentity | None = None

    def identity_of(self, path: Path) -> FileIdentity | None:
        """The identity of the copy this render reads, once it has opened `path`."""
        return self.identity if self.con is not None and self.path == path else None

    def connection(self, path: Path) -> tuple[duckdb.DuckDBPyConnection, FileIdentity]:
        if self.con is None or self.path != path:
            self.close()
            self.con, self.identity = _open(path)
            self.path = path
        assert self.identity is not None
        return self.con, self.identity

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
        self.con = self.path = self.identity = None


_LOCAL = threading.local()


def _current_render() -> _Render | None:
    return getattr(_LOCAL, "render", None)


@contextmanager
def render() -> Iterator[_Render]:
    """Share one connection among the queries of a script run; close it when the run ends.

    Nested use joins the outer render. The connection is per thread (Streamlit runs each
    session's script in its own thread), so concurrent sessions never share one.
    """
    outer = _current_render()
    if outer is not None:
        yield outer
        return
    scope = _Render()
    _LOCAL.render = scope
    try:
        yield scope
    finally:
        _LOCAL.render = None
        scope.close()


class _OtherCopy(Exception):
    """The connection reads another copy than the one the cache was asked about."""

    def __init__(self, identity: FileIdentity) -> None:
        super().__init__(identity)
        self.identity = identity


def _execute(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any]) -> pd.DataFrame:
    """Run one query on an open connection: the only place the dashboard's SQL is executed."""
    return con.execute(sql, [_param(p) for p in params]).df()


def _read(path: str, identity: FileIdentity, sql: str, params: tuple[Any, ...]) -> pd.DataFrame:
    """One query on the render's connection, or on its own one outside a render.

    A result is only ever returned for the copy named by `identity`: when the connection turns
    out to read another one, `_OtherCopy` says which.
    """
    scope = _current_render()
    if scope is not None:
        con, opened = scope.connection(Path(path))
        if opened != identity:
            raise _OtherCopy(opened)
        return _execute(con, sql, params)
    con, opened = _open(Path(path))
    try:
        if opened != identity:
            raise _OtherCopy(opened)
        return _execute(con, sql, params)
    finally:
        con.close()


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_query(
    path: str, identity: FileIdentity, sql: str, params: tuple[Any, ...]
) -> pd.DataFrame:
    """Cache layer: `identity` is part of the key so a newly published copy misses the cache
    (and an `_OtherCopy`, being an exception, is never cached)."""
    return _read(path, identity, sql, params)


def query(sql: str, params: Sequence[Any] = (), *, cache: bool = True) -> pd.DataFrame:
    """Run a read-only query on the published copy, cached until the copy is replaced.

    st.cache_data hands back a fresh copy on every call, so callers may mutate the frame.
    `cache=False` reads without keeping the result (a whole listing fetched for one download).
    """
    fetch = _cached_query if cache else _read
    path = published_path()
    scope = _current_render()
    identity = (scope and scope.identity_of(path)) or file_identity(path)
    if identity is None:
        raise WarehouseUnavailable(f"Nothing published yet at {path}.")
    key = tuple(_hashable(p) for p in params)
    try:
        try:
            return fetch(str(path), identity, sql, key)
        except _OtherCopy as other:
            # A publish landed between our stat and the open: the copy opened is the answer.
            return fetch(str(path), other.identity, sql, key)
    except _OtherCopy as exc:
        raise WarehouseUnavailable(
            "The published warehouse was replaced while it was being read: reload the page."
        ) from exc
    except duckdb.Error as exc:
        # A swap between our stat and our open can hand us a copy with other tables: that is a
        # publish in progress, not a bug, and a reload resolves it.
        if file_identity(path) != identity:
            raise WarehouseUnavailable(
                "The published warehouse was replaced while it was being read: reload the page."
            ) from exc
        raise


def _hashable(value: Any) -> Any:
    """Lists (DuckDB list parameters) become tuples so st.cache_data can hash them."""
    if isinstance(value, list):
        return tuple(value)
    return value


def _param(value: Any) -> Any:
    """Tuples go back to lists: DuckDB binds a Python list as a LIST value."""
    if isinstance(value, tuple):
        return list(value)
    return value


# --- status ----------------------------------------------------------------------------------

_TABLES_SQL = """
SELECT schema_name || '.' || table_name AS name FROM duckdb_tables()
UNION ALL
SELECT schema_name || '.' || view_name FROM duckdb_views() WHERE NOT internal
"""


def status() -> Status:
    """Whether anything is published and which tables it holds (cached with the file)."""
    path = published_path()
    if file_identity(path) is None:
        return Status(path=path, published=False, tables=frozenset())
    names = query(_TABLES_SQL)["name"].tolist()
    return Status(path=path, published=True, tables=frozenset(names))


# --- metrics.catalog -------------------------------------------------------------------------

CATALOG_COLUMNS = ("metric", "label", "unit", "description", "direction", "grains", "scopes")

_CATALOG_SQL = """
SELECT metric, label, unit, description, direction, grains, scopes
FROM metrics.catalog
ORDER BY metric
"""


def catalog() -> pd.DataFrame:
    """One row per metric the pipeline defines, indexed by metric name."""
    if not status().has(CATALOG):
        return pd.DataFrame(columns=list(CATALOG_COLUMNS)).set_index("metric")
    frame = query(_CATALOG_SQL).set_index("metric")
    # One row per metric is the contract; keep the first if a pipeline bug duplicates one, so a
    # lookup by metric always yields a row, never a frame.
    return frame[~frame.index.duplicated()]


# --- scopes ----------------------------------------------------------------------------------

_TEAMS_SQL = """
SELECT DISTINCT scope_id AS team_id
FROM metrics.metric_values
WHERE scope = 'team'
ORDER BY team_id
"""

_TEAM_NAMES_SQL = "SELECT team_id, name FROM core.teams"


def teams() -> pd.DataFrame:
    """Teams that have metric values, with their names when core.teams is published."""
    st_ = status()
    if not st_.has(METRIC_VALUES):
        return pd.DataFrame(columns=["team_id", "name"])
    frame = query(_TEAMS_SQL)
    frame["name"] = frame["team_id"]
    if st_.has(TEAMS):
        names = query(_TEAM_NAMES_SQL).dropna().set_index("team_id")["name"]
        frame["name"] = frame["team_id"].map(names).fillna(frame["team_id"])
    return frame


# --- metrics.metric_values -------------------------------------------------------------------

SERIES_COLUMNS = (
    "metric",
    "period_start",
    "value",
    "numerator",
    "denominator",
    "sample_size",
    "previous_value",
    "delta",
)

# The delta is the difference of two stored values, never a recomputation of the metric; NULL
# when either period is undefined, so an undefined period never shows a change.
_SERIES_SQL = """
WITH s AS (
    SELECT
        metric, period_start, value, numerator, denominator, sample_size,
        lag(value) OVER (PARTITION BY metric ORDER BY period_start) AS previous_value
    FROM metrics.metric_values
    WHERE grain = ?
      AND scope = ?
      AND scope_id = ?
      AND list_contains(?::VARCHAR[], metric)
      AND period_start <= ?
)
SELECT *, value - previous_value AS delta
FROM s
WHERE ? IS NULL OR period_start >= ?
ORDER BY metric, period_start
"""


def series(
    metrics: Sequence[str],
    scope: str,
    scope_id: str,
    *,
    grain: str = "week",
    until: date,
    since: date | None = None,
) -> pd.DataFrame:
    """Values of `metrics` at `grain` for one scope, from `since` to `until` (period starts).

    The previous period's value is looked up before `since` is applied, so the first period shown
    still has its delta.
    """
    if not status().has(METRIC_VALUES):
        return pd.DataFrame(columns=list(SERIES_COLUMNS))
    frame = query(
        _SERIES_SQL,
        [grain, scope, scope_id, list(metrics), until, since, since],
    )
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    return frame


def weekly_series(
    metrics: Sequence[str],
    scope: str,
    scope_id: str,
    *,
    until: date,
    since: date | None = None,
) -> pd.DataFrame:
    """Weekly values of `metrics` for one scope (see `series`)."""
    return series(metrics, scope, scope_id, grain="week", until=until, since=since)


_LATEST_WEEK_SQL = """
SELECT max(period_start) AS period_start
FROM metrics.metric_values
WHERE grain = 'week' AND period_start + 7 <= ?
"""


def latest_complete_week(as_of: datetime) -> date | None:
    """The latest week whose seven days had all passed when the data was last refreshed.

    The pipeline writes the current, partial week too (a time spine); a tile must not compare a
    half week with a whole one.
    """
    if not status().has(METRIC_VALUES):
        return None
    # By date, not timestamp: a week ending Sunday is complete from Monday 00:00, and a date
    # keeps the cache key stable through the day.
    value = query(_LATEST_WEEK_SQL, [as_of.date()])["period_start"].iloc[0]
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


_LATEST_MONTH_SQL = """
SELECT max(period_start) AS period_start
FROM metrics.metric_values
WHERE grain = 'month' AND period_start + INTERVAL 1 MONTH <= ?
"""


def latest_complete_period(grain: str, as_of: datetime) -> date | None:
    """The latest week or month whose days had all passed at `as_of` (see latest_complete_week)."""
    if grain == "week":
        return latest_complete_week(as_of)
    if not status().has(METRIC_VALUES):
        return None
    value = query(_LATEST_MONTH_SQL, [as_of.date()])["period_start"].iloc[0]
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


# --- services ---------------------------------------------------------------------------------

SERVICE_COLUMNS = ("service_id", "name", "team_id")
SCOPES = "marts.scopes"
SERVICES = "core.services"

_SCOPES_SERVICES_SQL = """
SELECT scope_id AS service_id, coalesce(name, scope_id) AS name, team_id
FROM marts.scopes WHERE scope = 'service' ORDER BY service_id
"""
_CORE_SERVICES_SQL = """
SELECT service_id, coalesce(name, service_id) AS name, team_id
FROM core.services ORDER BY service_id
"""
_METRIC_SERVICES_SQL = """
SELECT DISTINCT scope_id AS service_id, scope_id AS name, NULL::VARCHAR AS team_id
FROM metrics.metric_values WHERE scope = 'service' ORDER BY service_id
"""


def services() -> pd.DataFrame:
    """Every service with its name and owning team: marts.scopes, else core.services.

    A warehouse with neither still lists the services metric_values reports on (no team known),
    so the service filter works on any published copy.
    """
    st_ = status()
    for table, sql in ((SCOPES, _SCOPES_SERVICES_SQL), (SERVICES, _CORE_SERVICES_SQL)):
        if st_.has(table):
            return query(sql)
    if st_.has(METRIC_VALUES):
        return query(_METRIC_SERVICES_SQL)
    return pd.DataFrame(columns=list(SERVICE_COLUMNS))


# --- meta.rules and metrics.bands --------------------------------------------------------------

RULES = "meta.rules"
BAND_TABLE = "metrics.bands"
THRESHOLD_COLUMNS = ("metric", "report_year", "band", "lower", "upper", "reported")

_BAND_YEAR_SQL = "SELECT band_year FROM meta.rules LIMIT 1"
_PERFORMANCE_YEAR_SQL = "SELECT max(report_year) AS band_year FROM metrics.performance"


def band_year() -> int | None:
    """The State of DevOps report year whose bands are in force (meta.rules.band_year).

    Without meta.rules, the year metrics.performance was banded with; None when neither says.
    """
    st_ = status()
    for table, sql in ((RULES, _BAND_YEAR_SQL), (PERFORMANCE, _PERFORMANCE_YEAR_SQL)):
        if st_.has(table):
            frame = query(sql)
            if len(frame) and not pd.isna(frame["band_year"].iloc[0]):
                return int(frame["band_year"].iloc[0])
    return None


_THRESHOLDS_SQL = """
SELECT metric, report_year, band, lower, upper, reported
FROM metrics.bands
WHERE report_year = ? AND list_contains(?::VARCHAR[], metric)
ORDER BY metric, lower NULLS FIRST
"""


def band_thresholds(metrics: Sequence[str], year: int | None) -> pd.DataFrame:
    """The band boundaries of `metrics` in report `year` (one row per metric and band)."""
    if year is None or not status().has(BAND_TABLE):
        return pd.DataFrame(columns=list(THRESHOLD_COLUMNS))
    return query(_THRESHOLDS_SQL, [year, list(metrics)])


# --- metrics.performance ---------------------------------------------------------------------

BAND_COLUMNS = ("metric", "band", "value", "window_start", "window_end", "report_year")

_BANDS_SQL = """
SELECT metric, band, value, window_start, window_end, report_year
FROM metrics.performance
WHERE scope = ? AND scope_id = ? AND list_contains(?::VARCHAR[], metric)
QUALIFY row_number() OVER (PARTITION BY metric ORDER BY window_end DESC, report_year DESC) = 1
"""


def bands(metrics: Sequence[str], scope: str, scope_id: str) -> pd.DataFrame:
    """Each metric's latest performance band for a scope, indexed by metric."""
    if not status().has(PERFORMANCE):
        return pd.DataFrame(columns=list(BAND_COLUMNS)).set_index("metric")
    return query(_BANDS_SQL, [scope, scope_id, list(metrics)]).set_index("metric")


TEAM_BAND_COLUMNS = (
    "metric", "team_id", "band", "value", "sample_size", "window_start", "window_end",
    "report_year",
)  # fmt: skip

# Each metric's latest window only; a team without enough data has band NULL and is kept (it is
# part of the distribution as "no band", not left out).
_TEAM_BANDS_SQL = """
SELECT metric, scope_id AS team_id, band, value, sample_size, window_start, window_end,
       report_year
FROM metrics.performance
WHERE scope = 'team' AND list_contains(?::VARCHAR[], metric)
QUALIFY window_end = max(window_end) OVER (PARTITION BY metric)
    AND report_year = max(report_year) OVER (PARTITION BY metric, window_end)
ORDER BY metric, team_id
"""


def team_bands(metrics: Sequence[str]) -> pd.DataFrame:
    """Every team's band per metric over the latest trailing window (metrics.performance)."""
    if not status().has(PERFORMANCE):
        return pd.DataFrame(columns=list(TEAM_BAND_COLUMNS))
    return query(_TEAM_BANDS_SQL, [list(metrics)])


_BAND_COUNTS_SQL = """
WITH latest AS (
    SELECT metric, band
    FROM metrics.performance
    WHERE scope = 'team' AND list_contains(?::VARCHAR[], metric)
    QUALIFY window_end = max(window_end) OVER (PARTITION BY metric)
        AND report_year = max(report_year) OVER (PARTITION BY metric, window_end)
)
SELECT metric, coalesce(band, 'none') AS band, count(*) AS teams
FROM latest
GROUP BY ALL
ORDER BY metric, band
"""


def band_counts(metrics: Sequence[str]) -> pd.DataFrame:
    """How many teams sit in each band per metric ('none': not enough data for a band)."""
    if not status().has(PERFORMANCE):
        return pd.DataFrame(columns=["metric", "band", "teams"])
    return query(_BAND_COUNTS_SQL, [list(metrics)])


# --- meta.runs -------------------------------------------------------------------------------

_RUNS_SQL = """
SELECT
    (SELECT finished_at FROM meta.runs
     WHERE lower(status) IN ('success', 'succeeded', 'ok', 'completed')
       AND finished_at IS NOT NULL
     ORDER BY finished_at DESC LIMIT 1) AS last_refreshed,
    (SELECT status FROM meta.runs ORDER BY started_at DESC NULLS LAST LIMIT 1) AS last_status,
    (SELECT started_at FROM meta.runs ORDER BY started_at DESC NULLS LAST LIMIT 1) AS last_started
"""


def _naive_utc(value: Any) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()


def _published_at() -> datetime | None:
    """The published copy's modification time, naive UTC: when the last publish swapped it in."""
    identity = file_identity(published_path())
    if identity is None:
        return None
    return datetime.fromtimestamp(identity[1] / 1e9, UTC).replace(tzinfo=None)


def utc_now() -> datetime:
    """Naive UTC now: the warehouse stores every timestamp as naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def last_run_path() -> Path:
    """Where the runner records the latest run, failed or not."""
    return home().root / "state" / "last_run.json"


def last_run() -> LastRun | None:
    """The latest run recorded in state/last_run.json; None when no run was recorded yet.

    An unreadable file is reported as a run with status "unreadable" and the reason, so a page
    can say so instead of failing.
    """
    path = last_run_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return LastRun(path=path, status="unreadable", error=f"{path} could not be read: {exc}")
    if not isinstance(raw, dict):
        return LastRun(path=path, status="unreadable", error=f"{path} does not hold a JSON object")
    seconds = raw.get("seconds")
    return LastRun(
        path=path,
        status=str(raw.get("status") or "unknown"),
        run_id=None if raw.get("run_id") is None else str(raw["run_id"]),
        started_at=_parse_time(raw.get("started_at")),
        finished_at=_parse_time(raw.get("finished_at")),
        seconds=float(seconds) if isinstance(seconds, int | float) else None,
        error=None if raw.get("error") is None else str(raw["error"]),
    )


def _parse_time(value: Any) -> datetime | None:
    """An ISO timestamp from the state file as naive UTC; None when absent or unparsable."""
    if not value:
        return None
    try:
        return _naive_utc(pd.Timestamp(str(value)))
    except (ValueError, TypeError):
        return None


def _failed_since(run: LastRun | None, refreshed: datetime | None) -> LastRun | None:
    """The recorded run when it failed after the published copy's refresh (so the copy is older)."""
    if run is None or not run.failed:
        return None
    if refreshed is not None and run.started_at is not None and run.started_at <= refreshed:
        return None
    return run


def freshness(now: datetime | None = None) -> Freshness:
    """When the data was last refreshed, stale after two days, and whether the last run failed.

    The run log inside the published copy only knows runs that published; a later failed run is
    read from state/last_run.json.
    """
    now = now or utc_now()
    if not status().has(RUNS):
        # No run log: the moment the copy was published is the best "refreshed at" we have.
        published = _published_at()
        failed_run = _failed_since(last_run(), published)
        return Freshness(
            published,
            None,
            None,
            stale=published is None or now - published > STALE_AFTER,
            last_run_failed=failed_run is not None,
            failed_run=failed_run,
        )
    row = query(_RUNS_SQL).iloc[0]
    refreshed = _naive_utc(row["last_refreshed"])
    last_status = None if pd.isna(row["last_status"]) else str(row["last_status"])
    failed = (
        last_status is not None
        and last_status.lower() not in SUCCESS_STATUSES
        and last_status.lower() not in RUNNING_STATUSES
    )
    failed_run = _failed_since(last_run(), refreshed)
    return Freshness(
        last_refreshed=refreshed,
        last_status=last_status,
        last_started=_naive_utc(row["last_started"]),
        stale=refreshed is None or now - refreshed > STALE_AFTER,
        last_run_failed=failed or failed_run is not None,
        failed_run=failed_run,
    )

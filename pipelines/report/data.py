"""Everything the report reads, fetched from the published copy in one short read-only visit.

Why it looks like this: the report must show the same numbers as the dashboard, so it opens only
`home.published` (never the working warehouse, which DuckDB locks while the pipeline writes), and
closes the connection before any rendering so a publish can swap the file freely. Every table is
optional: a missing table (or one without the expected columns) leaves its part of the snapshot
empty and is noted, so that section says "no data" instead of failing the whole report.
Rows come back in a fixed order so the rendered report is byte-for-byte reproducible.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from pipelines.report.weeks import IsoWeek

log = logging.getLogger(__name__)

HISTORY_WEEKS = 12
"""Weeks of history read before the report week: the trend charts show this many."""

_TABLES_SQL = """
SELECT schema_name || '.' || table_name FROM duckdb_tables()
UNION ALL
SELECT schema_name || '.' || view_name FROM duckdb_views() WHERE NOT internal
"""

_CATALOG_SQL = """
SELECT metric, label, unit, coalesce(description, '') AS description, direction,
       coalesce(grains, ['week']::VARCHAR[]) AS grains
FROM metrics.catalog
ORDER BY metric
"""

_VALUES_SQL = """
SELECT metric, grain, period_start, scope, scope_id, value, sample_size
FROM metrics.metric_values
WHERE scope IN ('org', 'team', 'service')
  AND ((grain = 'week' AND period_start BETWEEN ? AND ?)
       OR (grain = 'month' AND period_start BETWEEN ? AND ?))
ORDER BY metric, grain, scope, scope_id, period_start
"""

_WEEK_RANGE_SQL = """
SELECT min(period_start), max(period_start)
FROM metrics.metric_values WHERE grain = 'week'
"""

# The band of the latest window that ended by the report week's Sunday: a later window would
# judge the week on data from after it.
_BANDS_SQL = """
SELECT metric, band, window_start, window_end, report_year
FROM metrics.performance
WHERE scope = 'org' AND scope_id = 'org' AND window_end <= ?
QUALIFY row_number() OVER (
    PARTITION BY metric ORDER BY window_end DESC, report_year DESC, window_start DESC) = 1
ORDER BY metric
"""

_TEAMS_SQL = "SELECT team_id, name FROM core.teams ORDER BY team_id"
_SERVICES_SQL = "SELECT service_id, team_id, name FROM core.services ORDER BY service_id"

_INCIDENTS_SQL = """
SELECT incident_id, service_id, opened_at, severity, resolved_at
FROM core.incidents
WHERE opened_at >= ? AND opened_at < ?
ORDER BY opened_at, incident_id
"""

_LINKS_SQL = """
SELECT incident_id, deployment_id, link_method
FROM marts.incident_links
WHERE list_contains(?::VARCHAR[], incident_id) AND deployment_id IS NOT NULL
ORDER BY incident_id, deployment_id, link_method
"""

_QUARANTINE_TOTAL_SQL = "SELECT count(*) FROM core.quarantine WHERE status = 'open'"

_QUARANTINE_WEEK_SQL = """
SELECT entity, reason, count(*) AS records
FROM core.quarantine
WHERE loaded_at >= ? AND loaded_at < ? AND status = 'open'
GROUP BY entity, reason
ORDER BY records DESC, entity, reason
"""

_LAST_RUN_SQL = """
SELECT run_id, status, started_at, finished_at, quarantined
FROM meta.runs
ORDER BY started_at DESC NULLS LAST, run_id DESC
LIMIT 1
"""

ROADMAP_TABLE = "marts.roadmap_progress"
ROADMAP_ROW_LIMIT = 50


@dataclass(frozen=True)
class CatalogEntry:
    """One metric of metrics.catalog, as the report needs it."""

    metric: str
    label: str
    unit: str
    description: str
    direction: str
    grains: tuple[str, ...]


@dataclass(frozen=True)
class Band:
    metric: str
    band: str | None
    window_start: date
    window_end: date
    report_year: int


@dataclass(frozen=True)
class Incident:
    incident_id: str
    service_id: str
    opened_at: datetime
    severity: str | None
    resolved_at: datetime | None
    links: tuple[tuple[str, str], ...]  # (deployment_id, link_method)


@dataclass(frozen=True)
class LastRun:
    run_id: str
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    quarantined: int | None


ValueKey = tuple[str, str, date, str, str]  # metric, grain, period_start, scope, scope_id


@dataclass
class Snapshot:
    """What the report knows about one week, read from the published copy."""

    week: IsoWeek
    published: bool = False
    tables: frozenset[str] = frozenset()
    catalog: list[CatalogEntry] = field(default_factory=list)
    values: dict[ValueKey, float | None] = field(default_factory=dict)
    samples: dict[ValueKey, int | None] = field(default_factory=dict)
    week_range: tuple[date, date] | None = None
    bands: dict[str, Band] = field(default_factory=dict)
    team_names: dict[str, str] = field(default_factory=dict)
    service_names: dict[str, str] = field(default_factory=dict)
    service_teams: dict[str, str] = field(default_factory=dict)
    incidents: list[Incident] | None = None  # None: core.incidents is not published
    quarantine_total: int | None = None
    quarantine_week: list[tuple[str, str, int]] = field(default_factory=list)
    last_run: LastRun | None = None
    runs_published: bool = False
    roadmap: tuple[list[str], list[tuple[Any, ...]]] | None = None
    notes: list[str] = field(default_factory=list)

    def has(self, table: str) -> bool:
        return table in self.tables

    def value(
        self,
        metric: str,
        period: date,
        scope: str = "org",
        scope_id: str = "org",
        grain: str = "week",
    ) -> float | None:
        """A stored value; None both when undefined (NULL) and when there is no row."""
        return self.values.get((metric, grain, period, scope, scope_id))

    def has_row(
        self,
        metric: str,
        period: date,
        scope: str = "org",
        scope_id: str = "org",
        grain: str = "week",
    ) -> bool:
        return (metric, grain, period, scope, scope_id) in self.values

    def week_has_data(self) -> bool:
        """Whether metric_values holds any row for the report week (a 0 count is data)."""
        monday = self.week.monday
        return any(k[1] == "week" and k[2] == monday for k in self.values)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def read_snapshot(published: Path, week: IsoWeek) -> Snapshot:
    """Read everything for `week` on one read-only connection, closed before returning."""
    snap = Snapshot(week=week)
    if not published.is_file():
        snap.notes.append("Nothing has been published yet: run `paved run` or `paved demo`.")
        return snap
    con = duckdb.connect(str(published), read_only=True)
    try:
        snap.published = True
        snap.tables = frozenset(r[0] for r in con.execute(_TABLES_SQL).fetchall())
        _read_metrics(con, snap)
        _read_names(con, snap)
        _read_incidents(con, snap)
        _read_quality(con, snap)
        _read_roadmap(con, snap)
    finally:
        con.close()
    return snap


def _fetch(
    con: duckdb.DuckDBPyConnection,
    snap: Snapshot,
    table: str,
    sql: str,
    params: Sequence[Any] = (),
) -> list[tuple[Any, ...]] | None:
    """Rows of one query, or None (noted) when its table is missing or has other columns."""
    if not snap.has(table):
        return None
    try:
        return con.execute(sql, list(params)).fetchall()
    except duckdb.Error as exc:
        log.warning("report: %s could not be read (%s); its section shows no data", table, exc)
        snap.notes.append(f"{table} could not be read ({type(exc).__name__}).")
        return None


def _read_metrics(con: duckdb.DuckDBPyConnection, snap: Snapshot) -> None:
    week = snap.week
    rows = _fetch(con, snap, "metrics.catalog", _CATALOG_SQL) or []
    snap.catalog = [
        CatalogEntry(
            m,
            label or m,
            unit or "count",
            desc,
            direction or "higher_is_better",
            tuple(grains or ("week",)),
        )
        for m, label, unit, desc, direction, grains in rows
    ]
    first_week = week.shift(-HISTORY_WEEKS).monday
    month = _month_start(week.monday)
    params = [first_week, week.monday, _previous_month(month), month]
    for metric, grain, period, scope, scope_id, value, sample in (
        _fetch(con, snap, "metrics.metric_values", _VALUES_SQL, params) or []
    ):
        key = (metric, grain, period, scope, scope_id)
        snap.values[key] = None if value is None else float(value)
        snap.samples[key] = sample
    bounds = _fetch(con, snap, "metrics.metric_values", _WEEK_RANGE_SQL)
    if bounds and bounds[0][0] is not None:
        snap.week_range = (bounds[0][0], bounds[0][1])
    for metric, band, start, end, year in (
        _fetch(con, snap, "metrics.performance", _BANDS_SQL, [week.sunday]) or []
    ):
        snap.bands[metric] = Band(metric, band, start, end, int(year))


def _read_names(con: duckdb.DuckDBPyConnection, snap: Snapshot) -> None:
    snap.team_names = {t: n or t for t, n in _fetch(con, snap, "core.teams", _TEAMS_SQL) or []}
    for service_id, team_id, name in _fetch(con, snap, "core.services", _SERVICES_SQL) or []:
        snap.service_names[service_id] = name or service_id
        if team_id:
            snap.service_teams[service_id] = team_id


def _read_incidents(con: duckdb.DuckDBPyConnection, snap: Snapshot) -> None:
    start = datetime.combine(snap.week.monday, datetime.min.time())
    end = datetime.combine(snap.week.end, datetime.min.time())
    rows = _fetch(con, snap, "core.incidents", _INCIDENTS_SQL, [start, end])
    if rows is None:
        return
    ids = [str(r[0]) for r in rows]
    links: dict[str, list[tuple[str, str]]] = {}
    for incident_id, deployment_id, method in (
        _fetch(con, snap, "marts.incident_links", _LINKS_SQL, [ids]) or []
    ):
        links.setdefault(str(incident_id), []).append((str(deployment_id), str(method)))
    snap.incidents = [
        Incident(str(i), str(s), o, sev, r, tuple(links.get(str(i), [])))
        for i, s, o, sev, r in rows
    ]


def _read_quality(con: duckdb.DuckDBPyConnection, snap: Snapshot) -> None:
    total = _fetch(con, snap, "core.quarantine", _QUARANTINE_TOTAL_SQL)
    if total is not None:
        snap.quarantine_total = int(total[0][0])
        start = datetime.combine(snap.week.monday, datetime.min.time())
        end = datetime.combine(snap.week.end, datetime.min.time())
        rows = _fetch(con, snap, "core.quarantine", _QUARANTINE_WEEK_SQL, [start, end]) or []
        snap.quarantine_week = [(str(e), str(r), int(n)) for e, r, n in rows]
    run = _fetch(con, snap, "meta.runs", _LAST_RUN_SQL)
    if run is not None:
        snap.runs_published = True
        if run:
            run_id, status, started, finished, quarantined = run[0]
            snap.last_run = LastRun(str(run_id), str(status), started, finished, quarantined)


def _read_roadmap(con: duckdb.DuckDBPyConnection, snap: Snapshot) -> None:
    """marts.roadmap_progress arrives later with its own columns: shown as stored, if present."""
    if not snap.has(ROADMAP_TABLE):
        return
    try:
        cur = con.execute(
            f"SELECT * FROM {ROADMAP_TABLE} ORDER BY ALL LIMIT {ROADMAP_ROW_LIMIT}"  # constants
        )
        columns = [d[0] for d in cur.description]
        snap.roadmap = (columns, cur.fetchall())
    except duckdb.Error as exc:
        log.warning("report: %s could not be read (%s)", ROADMAP_TABLE, exc)
        snap.notes.append(f"{ROADMAP_TABLE} could not be read ({type(exc).__name__}).")

"""A small published warehouse written by hand, for the dashboard tests.

The rows are hand-written (not produced by the pipeline) so each test states exactly what the
page must show. Dates are relative to the current week so "latest complete week" and "refreshed
recently" hold whenever the tests run. The file is written to a staging path and swapped in with
`os.replace`, like the pipeline's publish step.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from metrics.registry import load_bands

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"

TODAY = datetime.now(UTC).date()
CURRENT_WEEK = TODAY - timedelta(days=TODAY.weekday())
WEEKS = [CURRENT_WEEK - timedelta(weeks=n) for n in range(13, -1, -1)]
"""Thirteen complete weeks and the current, partial one (the pipeline writes it too)."""
LATEST = WEEKS[-2]
"""The latest complete week: what the tiles show."""

CATALOG_ROWS = {
    "deployment_frequency": ("Deployment frequency", "count", "higher_is_better"),
    "change_lead_time": ("Change lead time", "hours", "lower_is_better"),
    "change_fail_rate": ("Change fail rate", "ratio", "lower_is_better"),
    "failed_deployment_recovery_time": (
        "Failed deployment recovery time",
        "hours",
        "lower_is_better",
    ),
    "deployment_rework_rate": ("Deployment rework rate", "ratio", "lower_is_better"),
}

# metric -> scope_id -> weekly values aligned to the most recent weeks (oldest first; the last is
# the partial week). Most series cover seven weeks; org deployment frequency covers all fourteen
# so the period filter has something to cut.
# A tuple is (value, numerator, denominator); None is an undefined value.
VALUES: dict[str, dict[str, list]] = {
    "deployment_frequency": {
        "org": [5, 6, 7, 8, 6, 7, 8, 10, 12, 9, 14, 11, 15, 3],
        "payments": [4, 5, 3, 6, 4, 7, 1],
        "search": [6, 7, 6, 8, 7, 0, 2],
    },
    "change_lead_time": {
        "org": [30.0, 28.0, 40.0, 26.0, 22.0, 20.5, 12.0],
        "payments": [50.0, 44.0, 60.0, 41.0, 36.0, 72.0, 10.0],
        "search": [20.0, 18.0, 25.0, 15.0, 12.0, None, 14.0],
    },
    "change_fail_rate": {
        "org": [
            (0.1, 1, 10),
            (0.25, 3, 12),
            (0.0, 0, 9),
            (1 / 7, 2, 14),
            (0.0, 0, 11),
            (0.2, 3, 15),
            (0.0, 0, 3),
        ],
        "payments": [
            (0.25, 1, 4),
            (0.2, 1, 5),
            (0.0, 0, 3),
            (1 / 6, 1, 6),
            (0.0, 0, 4),
            (3 / 7, 3, 7),
            (0.0, 0, 1),
        ],
        "search": [
            (0.0, 0, 6),
            (2 / 7, 2, 7),
            (0.0, 0, 6),
            (0.125, 1, 8),
            (0.0, 0, 7),
            (None, 0, 0),
            (0.0, 0, 2),
        ],
    },
    "failed_deployment_recovery_time": {
        "org": [3.0, 5.5, None, 2.0, None, 4.0, None],
        "payments": [3.0, 5.5, None, 2.0, None, 4.0, None],
        "search": [None, 1.0, None, 2.0, None, None, None],
    },
    "deployment_rework_rate": {
        "org": [
            (0.1, 1, 10),
            (1 / 12, 1, 12),
            (0.0, 0, 9),
            (0.0, 0, 14),
            (1 / 11, 1, 11),
            (2 / 15, 2, 15),
            (0.0, 0, 3),
        ],
        "payments": [(0.0, 0, 4)] * 5 + [(1 / 7, 1, 7), (0.0, 0, 1)],
        "search": [(0.0, 0, 6)] * 5 + [(None, 0, 0), (0.0, 0, 2)],
    },
    "time_to_restore_service": {
        "org": [2.0, 6.0, 1.5, 3.0, 8.0, 5.0, None],
    },
}

TEAM_PERFORMANCE: list[tuple[str, str, float | None, str | None]] = [
    ("deployment_frequency", "search", 6.5, "high"),
    ("change_lead_time", "payments", 41.0, "high"),
    ("change_lead_time", "search", 15.0, "elite"),
    ("change_fail_rate", "payments", 0.31, "low"),
    ("change_fail_rate", "search", None, None),
]
"""Team bands over the latest window (plus payments' deployment_frequency, medium, below)."""

NO_ROW = "no row"
"""A week with no row at all in metric_values (unlike None: a row whose value is NULL)."""

TEAMS = {"payments": "Payments", "search": "Search & Discovery"}

SERVICES = {
    "payments-api": ("Payments API", "payments"),
    "payments-web": ("Payments web", "payments"),
    "search-api": ("Search API", "search"),
}
"""service_id -> (name, team_id)."""

SERVICE_VALUES: dict[str, dict[str, list]] = {
    "deployment_frequency": {
        "payments-api": [3, 4, 2, 5, 3, 5, 1],
        "payments-web": [1, 1, 1, 1, 1, 2, 0],
        "search-api": [6, 7, 6, 8, 7, 0, 2],
    },
    "change_lead_time": {"payments-api": [55.0, 40.0, 61.0, 39.0, 30.0, 80.0, 9.0]},
}
"""Weekly values per service scope, aligned like VALUES."""


def _months_back(n: int) -> date:
    index = TODAY.year * 12 + TODAY.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


MONTHS = [_months_back(n) for n in range(4, -1, -1)]
"""Four complete months and the current, partial one."""
LATEST_MONTH = MONTHS[-2]

MONTHLY_VALUES: dict[str, dict[str, list]] = {
    "deployment_frequency": {"org": [31, 28, 40, 52, 9], "payments": [20, 18, 22, 25, 4]},
    "change_lead_time": {"org": [27.0, 25.5, 22.0, 19.5, 11.0]},
    "change_fail_rate": {
        "org": [(0.1, 3, 30), (0.125, 4, 32), (0.05, 2, 40), (0.1, 5, 50), (0.0, 0, 9)]
    },
}
"""Monthly values, aligned to the most recent months (the last is the partial month)."""

BAND_YEAR = 2024


def _at(day: date, hours: float) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hours)


# The marts' rows (deployments, changes, incident links): a few per classification, in the
# latest complete week unless said otherwise. Columns follow pipelines/sql/marts/*.sql.
DEPLOYMENT_ROWS: list[dict[str, Any]] = [
    {
        "deployment_id": "d-ok",
        "service_id": "payments-api",
        "environment": "production",
        "finished_at": _at(LATEST, 10),
        "status": "success",
        "kind": "regular",
    },
    {
        "deployment_id": "d-failed",
        "service_id": "payments-api",
        "environment": "production",
        "finished_at": _at(LATEST, 30),
        "status": "success",
        "kind": "regular",
        "is_failure": True,
        "failure_reason": "incident INC-1 opened 2.0 h after it (time window)",
    },
    {
        "deployment_id": "d-staging",
        "service_id": "payments-web",
        "environment": "staging",
        "finished_at": _at(LATEST, 40),
        "status": "success",
        "kind": "regular",
        "not_counted_reason": "environment staging is not production",
    },
    {
        "deployment_id": "d-broken",
        "service_id": "search-api",
        "environment": "production",
        "finished_at": _at(LATEST, 50),
        "status": "failure",
        "kind": "regular",
        "not_counted_reason": "status is failure",
    },
    {
        "deployment_id": "d-search",
        "service_id": "search-api",
        "environment": "prod",
        "finished_at": _at(LATEST - timedelta(weeks=3), 12),
        "status": "success",
        "kind": "regular",
    },
    {
        "deployment_id": "d-ancient",
        "service_id": "search-api",
        "environment": "prod",
        "finished_at": _at(WEEKS[0] - timedelta(weeks=2), 12),
        "status": "success",
        "kind": "regular",
    },
]
"""d-ancient finished before every window but "All weeks"."""

CHANGE_ROWS: list[dict[str, Any]] = [
    {
        "change_id": "acme/payments#12",
        "change_type": "pull_request",
        "service_id": "payments-api",
        "deployment_id": "d-ok",
        "pr_number": 12,
        "sha": "aaaabbbbcccc",
        "first_authored_at": _at(LATEST, 0),
        "deployed_at": _at(LATEST, 10),
        "lead_time_hours": 10.0,
    },
    {
        "change_id": "acme/payments@ddddeeeeffff",
        "change_type": "commit",
        "service_id": "payments-api",
        "deployment_id": "d-failed",
        "sha": "ddddeeeeffff",
        "first_authored_at": _at(LATEST, 0),
        "deployed_at": _at(LATEST, 30),
        "lead_time_hours": 30.0,
    },
    {
        "change_id": "acme/search@123456789abc",
        "change_type": "commit",
        "service_id": "search-api",
        "deployment_id": "d-search",
        "sha": "123456789abc",
        "first_authored_at": _at(LATEST - timedelta(weeks=3), 20),
        "deployed_at": _at(LATEST - timedelta(weeks=3), 12),
        "lead_time_hours": None,
    },
]

INCIDENT_ROWS: list[dict[str, Any]] = [
    {
        "incident_id": "INC-1",
        "service_id": "payments-api",
        "severity": "sev1",
        "opened_at": _at(LATEST, 32),
        "resolved_at": _at(LATEST, 34),
        "is_counted": True,
        "deployment_id": "d-failed",
        "link_method": "time_window",
        "hours_after_deployment": 2.0,
        "link_reason": "latest counted deployment of the service before opened_at: d-failed "
        "(2.0 h before)",
    },
    {
        "incident_id": "INC-2",
        "service_id": "search-api",
        "severity": "sev2",
        "opened_at": _at(LATEST, 52),
        "resolved_at": None,
        "is_counted": True,
        "caused_by_deployment_id": "d-broken",
        "link_reason": "caused_by_deployment_id names d-broken, which is not a counted deployment "
        "(not production or not successful)",
    },
]

QUARANTINE_ROWS: list[tuple[str, str, str, str, str]] = [
    ("deployments", "inbox", "dep-9", "finished_at is missing", "inbox/deployments.jsonl:4"),
    ("deployments", "inbox", "dep-10", "finished_at is missing", "inbox/deployments.jsonl:7"),
    (
        "commits",
        "github",
        "acme/x@1",
        "authored_at is not a timestamp: 'yesterday'",
        "https://api.github.com/repos/acme/x/commits?page=2",
    ),
]
"""(entity, source, record_key, reason, origin)."""


def default_source_runs() -> list[tuple]:
    now = datetime.now(UTC).replace(tzinfo=None)
    return [
        ("run-2", "github", "github", now - timedelta(hours=1), "success", 120, 12, 9, 4, None),
        ("run-1", "github", "github", now - timedelta(days=1), "success", 100, 100, 8, 0, None),
        (
            "run-2",
            "pagerduty",
            "pagerduty",
            now - timedelta(hours=1),
            "failed",
            0,
            0,
            3,
            0,
            "GET /incidents answered 401: the token in PAGERDUTY_TOKEN was refused; renew it",
        ),
    ]


@dataclass
class Warehouse:
    """Options for one hand-written published copy."""

    catalog: dict[str, tuple[str, str, str]] = field(default_factory=lambda: dict(CATALOG_ROWS))
    values: dict[str, dict[str, list]] = field(default_factory=lambda: dict(VALUES))
    runs: list[tuple[str, datetime, datetime | None, str]] | None = None
    tables: bool = True
    with_teams: bool = True
    service_values: dict[str, dict[str, list]] = field(default_factory=lambda: dict(SERVICE_VALUES))
    monthly_values: dict[str, dict[str, list]] = field(default_factory=lambda: dict(MONTHLY_VALUES))
    band_year: int | None = BAND_YEAR
    """None: no meta.rules table (the year then comes from metrics.performance)."""
    marts: bool = True
    quarantine: list[tuple[str, str, str, str, str]] = field(
        default_factory=lambda: list(QUARANTINE_ROWS)
    )
    source_runs: list[tuple] | None = None
    """None: the default syncs; [] an empty meta.source_runs (no source configured)."""
    findings: list[tuple[str, str, str, str, int]] | None = None
    """(kind, entity, file, detail, records) the last run's inbox reported; None: no table."""
    with_source_runs: bool = True
    platform: bool = True
    """The platform metrics and marts (False: a DORA-only warehouse, as before the platform)."""


def _value_rows(
    values: dict[str, dict[str, list]],
    *,
    scope: str | None = None,
    grain: str = "week",
) -> list[tuple]:
    periods = WEEKS if grain == "week" else MONTHS
    rows = []
    for metric, scopes in values.items():
        for scope_id, weekly in scopes.items():
            kind = scope or ("org" if scope_id == "org" else "team")
            for week, item in zip(periods[-len(weekly) :], weekly, strict=True):
                if item == NO_ROW:
                    continue
                if isinstance(item, tuple) and len(item) == 4:
                    value, numerator, denominator, sample = item
                else:
                    value, numerator, denominator = (
                        item if isinstance(item, tuple) else (item, None, None)
                    )
                    sample = denominator if denominator is not None else (0 if value is None else 5)
                rows.append(
                    (metric, grain, week, kind, scope_id, value, numerator, denominator, sample)
                )
    return rows


def default_runs() -> list[tuple[str, datetime, datetime | None, str]]:
    now = datetime.now(UTC).replace(tzinfo=None)
    return [
        ("run-1", now - timedelta(days=1, hours=1), now - timedelta(days=1), "success"),
        ("run-2", now - timedelta(hours=1, minutes=5), now - timedelta(hours=1), "success"),
    ]


def write_last_run(home_root: Path, record: dict[str, Any]) -> Path:
    """Write `<home>/state/last_run.json` as the runner does."""
    state = home_root / "state"
    state.mkdir(parents=True, exist_ok=True)
    path = state / "last_run.json"
    path.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    return path


def failed_last_run() -> dict[str, Any]:
    """A run that failed after the fixture's last successful run (one hour ago)."""
    now = datetime.now(UTC)
    return {
        "run_id": "run-3",
        "started_at": (now - timedelta(minutes=20)).isoformat(),
        "finished_at": (now - timedelta(minutes=19)).isoformat(),
        "seconds": 61.5,
        "status": "failed",
        "error": "step core_tables failed: Table with name identities does not exist",
    }


def write_warehouse(path: Path, spec: Warehouse) -> Path:
    """Write a published copy at `path` via a staging file and an atomic swap."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + ".staging")
    staging.unlink(missing_ok=True)
    con = duckdb.connect(str(staging))
    try:
        if spec.tables:
            _create_tables(con, spec)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(staging, path)
    return path


def _create_tables(con: duckdb.DuckDBPyConnection, spec: Warehouse) -> None:
    con.execute("CREATE SCHEMA metrics; CREATE SCHEMA meta; CREATE SCHEMA core;")
    con.execute(
        """CREATE TABLE metrics.metric_values (metric VARCHAR, grain VARCHAR, period_start DATE,
        scope VARCHAR, scope_id VARCHAR, value DOUBLE, numerator DOUBLE, denominator DOUBLE,
        sample_size BIGINT)"""
    )
    rows = (
        _value_rows(spec.values)
        + _value_rows(spec.service_values, scope="service")
        + _value_rows(spec.monthly_values, grain="month")
    )
    catalog = dict(spec.catalog)
    if spec.platform:
        catalog |= PLATFORM_CATALOG_ROWS
        rows += _value_rows(PLATFORM_VALUES) + _value_rows(PLATFORM_MONTHLY_VALUES, grain="month")
    if rows:
        con.executemany(
            "INSERT INTO metrics.metric_values VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
    con.execute(
        """CREATE TABLE metrics.catalog (metric VARCHAR, label VARCHAR, unit VARCHAR,
        description VARCHAR, direction VARCHAR, kind VARCHAR, grains VARCHAR[], scopes VARCHAR[],
        definition VARCHAR)"""
    )
    con.executemany(
        "INSERT INTO metrics.catalog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                m,
                label,
                unit,
                f"{label}, per week.",
                direction,
                "simple",
                ["week", "month"],
                ["service", "team", "org"],
                f"see docs/metrics.md#{m}",
            )
            for m, (label, unit, direction) in catalog.items()
        ],
    )
    con.execute(
        """CREATE TABLE metrics.performance (metric VARCHAR, scope VARCHAR, scope_id VARCHAR,
        window_start DATE, window_end DATE, value DOUBLE, band VARCHAR, report_year INTEGER,
        sample_size BIGINT DEFAULT 12)"""
    )
    window_end = LATEST + timedelta(days=6)
    window_start = window_end - timedelta(weeks=12) + timedelta(days=1)
    older_end = window_end - timedelta(weeks=1)
    con.executemany(
        """INSERT INTO metrics.performance (metric, scope, scope_id, window_start, window_end,
        value, band, report_year) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            ("deployment_frequency", "org", "org", window_start, window_end, 11.8, "high", 2024),
            # An older window must not win over the latest one.
            ("deployment_frequency", "org", "org", window_start, older_end, 1.0, "low", 2024),
            ("change_lead_time", "org", "org", window_start, window_end, 26.0, "elite", 2024),
            ("change_fail_rate", "org", "org", window_start, window_end, 0.13, "medium", 2024),
            (
                "failed_deployment_recovery_time",
                "org",
                "org",
                window_start,
                window_end,
                3.5,
                "elite",
                2024,
            ),
            ("deployment_rework_rate", "org", "org", window_start, window_end, 0.07, None, 2024),
            (
                "deployment_frequency",
                "team",
                "payments",
                window_start,
                window_end,
                4.8,
                "medium",
                2024,
            ),
            *[
                (metric, "team", team, window_start, window_end, value, band, 2024)
                for metric, team, value, band in TEAM_PERFORMANCE
            ],
            # An older window of a team must not count in the distribution.
            ("change_lead_time", "team", "search", window_start, older_end, 900.0, "low", 2024),
        ],
    )
    con.execute(
        """CREATE TABLE meta.runs (run_id VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP,
        status VARCHAR, quarantined BIGINT, rules JSON)"""
    )
    con.executemany(
        "INSERT INTO meta.runs VALUES (?, ?, ?, ?, 0, '{}')",
        spec.runs if spec.runs is not None else default_runs(),
    )
    if spec.with_teams:
        con.execute("CREATE TABLE core.teams (team_id VARCHAR, name VARCHAR, topology VARCHAR)")
        con.executemany(
            "INSERT INTO core.teams VALUES (?, ?, 'stream_aligned')", list(TEAMS.items())
        )
    _create_bands(con, spec)
    if spec.marts:
        _create_marts(con)
        if spec.platform:
            _create_platform(con)
    _create_quality(con, spec)
    if spec.findings is not None:
        _create_findings(con, spec)


def _create_bands(con: duckdb.DuckDBPyConnection, spec: Warehouse) -> None:
    """metrics.bands from the real bands.csv (both report years) and meta.rules' band_year."""
    con.execute(
        """CREATE TABLE metrics.bands (metric VARCHAR, report_year INTEGER, band VARCHAR,
        lower DOUBLE, upper DOUBLE, source VARCHAR, reported VARCHAR)"""
    )
    con.executemany(
        "INSERT INTO metrics.bands VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (b.metric, b.report_year, b.band, b.lower, b.upper, b.source, b.reported)
            for b in load_bands()
        ],
    )
    if spec.band_year is not None:
        con.execute(
            """CREATE TABLE meta.rules AS SELECT '^(prod|production)$' AS production_env_regex,
            NULL::VARCHAR[] AS incident_severities, NULL::DOUBLE AS attribution_window_hours,
            true AS rollback_is_failure, 12 AS band_window_weeks, ?::INTEGER AS band_year,
            5 AS min_group_size""",
            [spec.band_year],
        )


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: str, rows: list[dict]) -> None:
    names = [c.split()[0] for c in columns.split(",")]
    con.execute(f"CREATE TABLE {table} ({columns})")
    if rows:
        marks = ", ".join("?" for _ in names)
        con.executemany(
            f"INSERT INTO {table} VALUES ({marks})",
            [[row.get(name) for name in names] for row in rows],
        )


DEPLOYMENT_DDL = """deployment_id VARCHAR, service_id VARCHAR, team_id VARCHAR, repo VARCHAR,
    environment VARCHAR, sha VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP,
    status VARCHAR, kind VARCHAR, via_platform BOOLEAN, is_production BOOLEAN,
    is_counted BOOLEAN, not_counted_reason VARCHAR, counted_seq BIGINT,
    previous_counted_deployment_id VARCHAR, is_failure BOOLEAN, failure_reason VARCHAR,
    failure_incident_ids VARCHAR[], rolled_back_by_deployment_id VARCHAR, is_rework BOOLEAN"""
CHANGE_DDL = """change_id VARCHAR, change_type VARCHAR, repo VARCHAR, service_id VARCHAR,
    team_id VARCHAR, deployment_id VARCHAR, author_id VARCHAR, author_engineer_id VARCHAR,
    first_authored_at TIMESTAMP, merged_at TIMESTAMP, deployed_at TIMESTAMP, pr_number BIGINT,
    sha VARCHAR, known_commits BIGINT, lead_time_hours DOUBLE"""
INCIDENT_DDL = """incident_id VARCHAR, service_id VARCHAR, team_id VARCHAR, severity VARCHAR,
    opened_at TIMESTAMP, acknowledged_at TIMESTAMP, resolved_at TIMESTAMP,
    caused_by_deployment_id VARCHAR, is_counted BOOLEAN, deployment_id VARCHAR,
    link_method VARCHAR, hours_after_deployment DOUBLE, link_reason VARCHAR"""


def _with_team(row: dict[str, Any]) -> dict[str, Any]:
    return {"team_id": SERVICES[row["service_id"]][1], **row}


def _create_marts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA marts")
    deployments = []
    for row in DEPLOYMENT_ROWS:
        counted = row.get("not_counted_reason") is None
        deployments.append(
            _with_team(
                {
                    "is_production": row["environment"] in ("production", "prod"),
                    "is_counted": counted,
                    "is_failure": False,
                    "is_rework": False,
                    "sha": "0123456789ab",
                    **row,
                }
            )
        )
    _insert(con, "marts.deployments", DEPLOYMENT_DDL, deployments)
    _insert(con, "marts.changes", CHANGE_DDL, [_with_team(r) for r in CHANGE_ROWS])
    _insert(con, "marts.incident_links", INCIDENT_DDL, [_with_team(r) for r in INCIDENT_ROWS])
    con.execute(
        """CREATE TABLE core.services (service_id VARCHAR, team_id VARCHAR, repo VARCHAR,
        name VARCHAR)"""
    )
    con.executemany(
        "INSERT INTO core.services VALUES (?, ?, ?, ?)",
        [(sid, team, f"acme/{sid}", name) for sid, (name, team) in SERVICES.items()],
    )
    con.execute(
        """CREATE TABLE marts.scopes AS
        SELECT 'service' AS scope, service_id AS scope_id, name, team_id FROM core.services"""
    )


def _create_findings(con: duckdb.DuckDBPyConnection, spec: Warehouse) -> None:
    """meta.inbox_findings as the pipeline creates it, the rows in the last successful run."""
    from pipelines.sqlfiles import run_sql_file

    run_sql_file(con, "meta/inbox_findings.sql")
    [(run_id,)] = con.execute(
        "SELECT run_id FROM meta.runs WHERE status = 'success' ORDER BY started_at DESC LIMIT 1"
    ).fetchall()
    con.executemany(
        "INSERT INTO meta.inbox_findings VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
        [(f"{run_id}-0", *finding) for finding in spec.findings or []]
        + [("an-older-run-0", "unknown_entity", "x", "old.jsonl", "from an older run", 1)],
    )


def _create_quality(con: duckdb.DuckDBPyConnection, spec: Warehouse) -> None:
    con.execute(
        """CREATE TABLE core.quarantine (entity VARCHAR, source VARCHAR, record_key VARCHAR,
        raw_record JSON, reason VARCHAR, origin VARCHAR, batch_id VARCHAR, loaded_at TIMESTAMP,
        raw_seq BIGINT, status VARCHAR, resolved_at TIMESTAMP)"""
    )
    loaded = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    if spec.quarantine:
        con.executemany(
            "INSERT INTO core.quarantine VALUES (?, ?, ?, ?, ?, ?, 'batch-1', ?, ?, 'open', NULL)",
            [
                (entity, source, key, json.dumps({"id": key}), reason, origin, loaded, seq)
                for seq, (entity, source, key, reason, origin) in enumerate(spec.quarantine)
            ],
        )
    if not spec.with_source_runs:
        return
    con.execute(
        """CREATE TABLE meta.source_runs (run_id VARCHAR, source VARCHAR, type VARCHAR,
        started_at TIMESTAMP, status VARCHAR, records BIGINT, new_records BIGINT,
        requests BIGINT, not_modified BIGINT, error VARCHAR, report JSON)"""
    )
    rows = default_source_runs() if spec.source_runs is None else spec.source_runs
    if rows:
        con.executemany(
            "INSERT INTO meta.source_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}')", rows
        )


# --- the platform pages: metrics and marts ----------------------------------------------------

PLATFORM_CATALOG_ROWS = {
    "golden_path_service_share": ("Golden-path services", "ratio", "higher_is_better"),
    "golden_path_ci_share": ("Golden-path CI runs", "ratio", "higher_is_better"),
    "platform_deploy_share": ("Deployments through the platform", "ratio", "higher_is_better"),
    "self_service_share": ("Self-service share", "ratio", "higher_is_better"),
    "platform_active_users": ("Platform active users", "engineers", "higher_is_better"),
    "platform_active_user_share": ("Platform active user share", "ratio", "higher_is_better"),
    "ci_success_rate": ("CI success rate", "ratio", "higher_is_better"),
    "ci_duration": ("CI duration (median)", "minutes", "lower_is_better"),
    "ci_duration_p90": ("CI duration (p90)", "minutes", "lower_is_better"),
    "ci_queue_time": ("CI queue time (median)", "minutes", "lower_is_better"),
    "ci_queue_time_p90": ("CI queue time (p90)", "minutes", "lower_is_better"),
    "ci_rerun_rate": ("CI re-run rate", "ratio", "lower_is_better"),
    "catalogue_completeness": ("Catalogue completeness", "ratio", "higher_is_better"),
    "onboarding_days_to_first_commit": ("Days to first commit", "days", "lower_is_better"),
    "onboarding_days_to_first_production_deploy": (
        "Days to first production deploy",
        "days",
        "lower_is_better",
    ),
}

# Weekly, aligned like VALUES (the last item is the partial week); the latest complete week is
# the second to last.
PLATFORM_VALUES: dict[str, dict[str, list]] = {
    "golden_path_service_share": {
        "org": [(1 / 3, 1, 3), (1 / 3, 1, 3), (2 / 3, 2, 3), (2 / 3, 2, 3)],
        "payments": [(0.0, 0, 2), (0.0, 0, 2), (0.5, 1, 2), (0.5, 1, 2)],
        "search": [(1.0, 1, 1), (1.0, 1, 1), (1.0, 1, 1), (1.0, 1, 1)],
    },
    "golden_path_ci_share": {
        "org": [(0.5, 5, 10), (0.6, 6, 10), (0.75, 9, 12), (0.8, 4, 5)],
        "payments": [(0.2, 1, 5), (0.4, 2, 5), (0.5, 3, 6), (0.5, 1, 2)],
        "search": [(0.8, 4, 5), (0.8, 4, 5), (1.0, 6, 6), (1.0, 3, 3)],
    },
    "platform_deploy_share": {
        "org": [(0.5, 4, 8), (None, 0, 0), (0.9, 9, 10), (1.0, 2, 2)],
        "payments": [(0.25, 1, 4), (None, 0, 0), (0.8, 4, 5), (1.0, 1, 1)],
    },
    "self_service_share": {"org": [(0.7, 7, 10), (0.75, 6, 8), (0.8, 8, 10), (1.0, 2, 2)]},
    "platform_active_users": {"org": [4, 5, 7, 2], "payments": [2, 2, 3, 1]},
    "platform_active_user_share": {
        "org": [(0.4, 4, 10), (0.5, 5, 10), (0.7, 7, 10), (0.2, 2, 10)],
        "payments": [(0.4, 2, 5), (0.4, 2, 5), (0.6, 3, 5), (0.2, 1, 5)],
    },
    "ci_success_rate": {
        "org": [(0.9, 9, 10), (0.85, 17, 20), (0.95, 19, 20), (1.0, 3, 3)],
        "payments": [(0.8, 4, 5), (0.7, 7, 10), (0.9, 9, 10), (1.0, 1, 1)],
        "search": [(1.0, 5, 5), (1.0, 10, 10), (1.0, 10, 10), (1.0, 2, 2)],
    },
    "ci_duration": {"org": [12.0, 11.5, 9.25, 8.0], "payments": [15.0, 14.0, 13.5, 9.0]},
    "ci_duration_p90": {"org": [30.0, 28.0, 25.0, 20.0], "payments": [35.0, 33.0, 31.0, 22.0]},
    "ci_queue_time": {"org": [2.0, 1.5, 1.0, 0.5], "payments": [3.0, 2.5, 2.0, 1.0]},
    "ci_queue_time_p90": {"org": [6.0, 5.0, 4.0, 2.0]},
    "ci_rerun_rate": {"org": [(0.1, 1, 10), (0.05, 1, 20), (0.15, 3, 20), (0.0, 0, 3)]},
    "catalogue_completeness": {
        "org": [(0.6, 1.8, 3), (0.6, 1.8, 3), (0.8, 2.4, 3), (0.8, 2.4, 3)],
        "payments": [(0.5, 1.0, 2), (0.5, 1.0, 2), (0.7, 1.4, 2), (0.7, 1.4, 2)],
        "search": [(1.0, 1, 1), (1.0, 1, 1), (1.0, 1, 1), (1.0, 1, 1)],
    },
}

MIN_GROUP = 5
"""meta.rules.min_group_size in the fixture."""

# Monthly (cohort months), aligned to MONTHS; a 4-tuple is (value, numerator, denominator,
# sample_size). None with a sample of 1 to 4 is a suppressed group; with 0, nobody reached it.
PLATFORM_MONTHLY_VALUES: dict[str, dict[str, list]] = {
    "onboarding_days_to_first_production_deploy": {
        "org": [
            (12.5, None, None, 6),
            (None, None, None, 3),
            (9.0, None, None, 7),
            (8.25, None, None, 5),
            (None, None, None, 2),
        ],
        "payments": [
            (None, None, None, 2),
            (None, None, None, 0),
            (None, None, None, 1),
            (6.0, None, None, 5),
            (None, None, None, 0),
        ],
    },
    "onboarding_days_to_first_commit": {
        "org": [
            (2.0, None, None, 6),
            (None, None, None, 4),
            (1.5, None, None, 7),
            (1.0, None, None, 5),
            (None, None, None, 2),
        ],
    },
}
SUPPRESSED_COHORT = MONTHS[1]
"""The org cohort of days to first production deploy that is below the privacy size (3)."""

ADOPTION_ROWS: list[dict[str, Any]] = [
    *[
        {
            "scope": "service",
            "scope_id": sid,
            "team_id": team,
            "golden_path": path,
            "is_adopted": at is not None,
            "adopted_at": at,
            "adoption_week": None if at is None else at.date() - timedelta(days=at.weekday()),
            "evidence": None if at is None else f"{path} evidence for {sid}",
            "exists_since": _at(WEEKS[0], 1),
            "services": 1,
            "services_adopted": int(at is not None),
        }
        for sid, team, path, at in [
            ("payments-api", "payments", "template", None),
            ("payments-api", "payments", "ci", _at(WEEKS[-4], 5)),
            ("payments-api", "payments", "deploy", _at(WEEKS[-3], 5)),
            ("payments-web", "payments", "template", _at(WEEKS[-3], 1)),
            ("payments-web", "payments", "ci", None),
            ("payments-web", "payments", "deploy", None),
            ("search-api", "search", "template", _at(WEEKS[0], 1)),
            ("search-api", "search", "ci", _at(WEEKS[1], 1)),
            ("search-api", "search", "deploy", _at(WEEKS[-5], 1)),
        ]
    ],
]
"""By the latest complete week: 2 services from a template, 2 on golden-path CI, 2 deploying
through the platform, of 3 (a funnel the test reads)."""

CAPABILITY_ROWS: list[dict[str, Any]] = [
    {"week": LATEST, "capability": "secrets", "team_id": "payments", "events": 5,
     "self_service": 2, "ticket": 3, "self_service_share": 0.4, "actors": 3},
    {"week": LATEST, "capability": "secrets", "team_id": "search", "events": 4,
     "self_service": 4, "ticket": 0, "self_service_share": 1.0, "actors": 2},
    {"week": LATEST, "capability": "database", "team_id": "payments", "events": 2,
     "self_service": 0, "ticket": 2, "self_service_share": 0.0, "actors": 1},
]  # fmt: skip

CI_HEALTH_ROWS: list[dict[str, Any]] = [
    {"week": week, "repo": repo, "pipeline": pipeline, "team_id": team, "golden_path": golden,
     "runs": 10, "conclusive_runs": 10, "successful_runs": ok, "success_rate": ok / 10,
     "duration_median_minutes": 10.0, "duration_p90_minutes": 20.0,
     "queue_median_minutes": 1.0, "queue_p90_minutes": 3.0, "reruns": 1, "rerun_rate": 0.1}
    for week in WEEKS[-3:-1]
    for repo, pipeline, team, golden, ok in [
        ("acme/payments-api", "golden", "payments", True, 9),
        ("acme/payments-web", "jenkins/build", "payments", False, 6),
        ("acme/search-api", "golden", "search", True, 10),
    ]
]  # fmt: skip

CI_COMPARISON_ROWS: list[dict[str, Any]] = [
    {"week": week, "scope": scope, "scope_id": sid, "pipeline_kind": kind, "pipelines": 1,
     "runs": 10, "conclusive_runs": 10, "success_rate": rate, "duration_median_minutes": 10.0,
     "duration_p90_minutes": 20.0, "queue_median_minutes": 1.0, "queue_p90_minutes": 3.0,
     "rerun_rate": 0.1}
    for week in WEEKS[-3:-1]
    for scope, sid, kind, rate in [
        ("org", "org", "golden_path", 0.95),
        ("org", "org", "hand_rolled", 0.6),
        ("team", "payments", "golden_path", 0.9),
        ("team", "payments", "hand_rolled", 0.6),
    ]
]  # fmt: skip

CATALOGUE_ROWS: list[dict[str, Any]] = [
    {"service_id": "payments-api", "team_id": "payments", "has_owner_team": True,
     "has_tier": False, "has_lifecycle": True, "has_repository": True, "has_template": False,
     "completeness": 0.6, "missing": "tier, template"},
    {"service_id": "payments-web", "team_id": "payments", "has_owner_team": True,
     "has_tier": True, "has_lifecycle": True, "has_repository": True, "has_template": True,
     "completeness": 1.0, "missing": None},
    {"service_id": "search-api", "team_id": "search", "has_owner_team": True, "has_tier": True,
     "has_lifecycle": False, "has_repository": True, "has_template": True,
     "completeness": 0.8, "missing": "lifecycle"},
]  # fmt: skip

NOT_ENOUGH_REASON = "fewer than 10 observations on a side (adopters after 4)"

IMPACT_ROWS: list[dict[str, Any]] = [
    {"metric": "change_lead_time", "comparison": "adopters_vs_non_adopters",
     "estimate": -12.5, "ci_low": -20.0, "ci_high": -5.0, "unit": "hours",
     "statistic": "median", "relative_estimate": -0.25, "treated_value": 37.5,
     "control_value": 50.0, "baseline_value": 50.0, "n_treated": 40, "n_control": 30,
     "teams_treated": 2, "teams_control": 2, "status": "ok",
     "reason": "8 calendar periods with observations in both groups",
     "method_notes": "median of each group", "confidence": 0.95},
    {"metric": "change_lead_time", "comparison": "diff_in_diff", "unit": "hours",
     "statistic": "median", "n_treated": 4, "n_control": 30, "teams_treated": 1,
     "teams_control": 2, "status": "not_enough_data", "reason": NOT_ENOUGH_REASON,
     "method_notes": "difference-in-differences", "confidence": 0.95},
    {"metric": "onboarding_days_to_first_production_deploy",
     "comparison": "adopters_vs_non_adopters", "estimate": -3.0, "ci_low": -5.0,
     "ci_high": -1.0, "unit": "days", "statistic": "median", "relative_estimate": -0.3,
     "treated_value": 7.0, "control_value": 10.0, "baseline_value": 10.0, "n_treated": 12,
     "n_control": 11, "teams_treated": 2, "teams_control": 2, "status": "ok",
     "reason": "3 calendar periods with observations in both groups",
     "method_notes": "median of each group", "confidence": 0.95},
    {"metric": "onboarding_days_to_first_production_deploy", "comparison": "diff_in_diff",
     "unit": "days", "statistic": "median", "n_treated": 4, "n_control": 11,
     "teams_treated": 1, "teams_control": 2, "status": "not_enough_data",
     "reason": NOT_ENOUGH_REASON, "method_notes": "difference-in-differences",
     "confidence": 0.95},
]  # fmt: skip

ROADMAP_ROWS: list[dict[str, Any]] = [
    {"initiative_id": "deploy-via-platform", "title": "Deploy through the platform",
     "capability": "deploy", "target_metric": "platform_deploy_share",
     "metric_label": "Deployments through the platform", "unit": "ratio",
     "direction": "higher_is_better", "scope": "org", "baseline_start": WEEKS[0],
     "baseline_end": WEEKS[2], "baseline_value": 0.2, "current_start": WEEKS[-5],
     "current_end": LATEST + timedelta(days=6), "current_value": 0.9, "previous_value": 0.5,
     "target_value": 0.95, "due_date": TODAY + timedelta(days=60), "progress": 0.93,
     "time_elapsed": 0.6, "trend": "improving", "status": "on_track",
     "why": "93% of the way from 0.2 to 0.95 (now 0.9) with 60% of the time elapsed"},
    {"initiative_id": "templates", "title": "Payments on templates", "capability": "template",
     "target_metric": "golden_path_service_share", "metric_label": "Golden-path services",
     "unit": "ratio", "direction": "higher_is_better", "scope": "team:payments",
     "baseline_start": WEEKS[0], "baseline_end": WEEKS[2], "baseline_value": None,
     "current_value": 0.5, "target_value": 1.0, "due_date": TODAY + timedelta(days=90),
     "trend": "unknown", "status": "not_measurable_yet",
     "why": "no value in the baseline window (no data, or a group below the privacy size)"},
]  # fmt: skip

OPPORTUNITY_ROWS: list[dict[str, Any]] = [
    {"rank": 1, "team_id": "payments", "capability": "golden_path_ci", "team_share": 0.4,
     "adopters_share": 0.9, "adopter_teams": 1, "gap": 0.5, "size": 20, "size_unit": "CI runs",
     "score": 10.0, "expected_effect": "change_lead_time -12.5 hours",
     "window_start": WEEKS[2], "window_end": LATEST + timedelta(days=6)},
    {"rank": 2, "team_id": "search", "capability": "self_service:secrets", "team_share": 0.5,
     "adopters_share": 0.8, "adopter_teams": 1, "gap": 0.3, "size": 10, "size_unit": "requests",
     "score": 3.0, "window_start": WEEKS[2], "window_end": LATEST + timedelta(days=6)},
]  # fmt: skip

FRICTION_ROWS: list[dict[str, Any]] = [
    {"signal": "configuration_drift", "scope": "team", "scope_id": "search",
     "capability": "environment", "value": 0.0, "threshold": 1.0, "triggered": False,
     "detail": "0 of 2 incidents with a known cause were configuration drift"},
    {"signal": "slow_onboarding", "scope": "team", "scope_id": "payments", "value": None,
     "threshold": 14.0, "triggered": None,
     "detail": "3 engineers started since 2026-01: fewer than 5 (rules.min_group_size), "
     "figures hidden"},
    {"signal": "repeated_ticket_requests", "scope": "org", "scope_id": "org",
     "capability": "secrets", "value": 4.0, "threshold": 3.0, "triggered": True,
     "detail": "4 teams filed 9 tickets for secrets"},
]  # fmt: skip


def _create_platform(con: duckdb.DuckDBPyConnection) -> None:
    """The platform marts the Adoption, Onboarding, Impact, CI health and Catalogue pages read."""
    window = {"window_start": WEEKS[2], "window_end": LATEST + timedelta(days=6)}
    _insert(
        con,
        "marts.adoption",
        """scope VARCHAR, scope_id VARCHAR, team_id VARCHAR, golden_path VARCHAR,
        is_adopted BOOLEAN, adopted_at TIMESTAMP, adoption_week DATE, evidence VARCHAR,
        exists_since TIMESTAMP, services BIGINT, services_adopted BIGINT""",
        ADOPTION_ROWS,
    )
    _insert(
        con,
        "marts.capability_usage",
        """week DATE, capability VARCHAR, team_id VARCHAR, events BIGINT, self_service BIGINT,
        ticket BIGINT, self_service_share DOUBLE, actors BIGINT, self_service_median_s DOUBLE,
        ticket_median_s DOUBLE""",
        CAPABILITY_ROWS,
    )
    _insert(
        con,
        "marts.ci_health",
        """week DATE, repo VARCHAR, pipeline VARCHAR, team_id VARCHAR, golden_path BOOLEAN,
        runs BIGINT, conclusive_runs BIGINT, successful_runs BIGINT, success_rate DOUBLE,
        duration_median_minutes DOUBLE, duration_p90_minutes DOUBLE,
        queue_median_minutes DOUBLE, queue_p90_minutes DOUBLE, reruns BIGINT,
        rerun_rate DOUBLE""",
        CI_HEALTH_ROWS,
    )
    _insert(
        con,
        "marts.ci_golden_path_comparison",
        """week DATE, scope VARCHAR, scope_id VARCHAR, pipeline_kind VARCHAR, pipelines BIGINT,
        runs BIGINT, conclusive_runs BIGINT, success_rate DOUBLE,
        duration_median_minutes DOUBLE, duration_p90_minutes DOUBLE,
        queue_median_minutes DOUBLE, queue_p90_minutes DOUBLE, rerun_rate DOUBLE""",
        CI_COMPARISON_ROWS,
    )
    _insert(
        con,
        "marts.catalogue_completeness",
        """service_id VARCHAR, team_id VARCHAR, created_at TIMESTAMP, has_owner_team BOOLEAN,
        has_tier BOOLEAN, has_lifecycle BOOLEAN, has_repository BOOLEAN, has_template BOOLEAN,
        completeness DOUBLE, missing VARCHAR""",
        CATALOGUE_ROWS,
    )
    _insert(
        con,
        "marts.platform_impact",
        """metric VARCHAR, comparison VARCHAR, estimate DOUBLE, ci_low DOUBLE, ci_high DOUBLE,
        unit VARCHAR, statistic VARCHAR, relative_estimate DOUBLE, treated_value DOUBLE,
        control_value DOUBLE, baseline_value DOUBLE, n_treated BIGINT, n_control BIGINT,
        teams_treated BIGINT, teams_control BIGINT, status VARCHAR, reason VARCHAR,
        method_notes VARCHAR, bootstrap_samples INTEGER, confidence DOUBLE""",
        IMPACT_ROWS,
    )
    _insert(
        con,
        "marts.roadmap_progress",
        """initiative_id VARCHAR, title VARCHAR, capability VARCHAR, target_metric VARCHAR,
        metric_label VARCHAR, unit VARCHAR, direction VARCHAR, scope VARCHAR,
        baseline_start DATE, baseline_end DATE, baseline_value DOUBLE,
        baseline_sample_size BIGINT, current_start DATE, current_end DATE,
        current_value DOUBLE, current_sample_size BIGINT, previous_value DOUBLE,
        target_value DOUBLE, due_date DATE, progress DOUBLE, time_elapsed DOUBLE,
        trend VARCHAR, status VARCHAR, why VARCHAR""",
        ROADMAP_ROWS,
    )
    _insert(
        con,
        "marts.opportunities",
        """rank BIGINT, team_id VARCHAR, capability VARCHAR, team_share DOUBLE,
        adopters_share DOUBLE, adopter_teams BIGINT, gap DOUBLE, size BIGINT,
        size_unit VARCHAR, score DOUBLE, expected_effect VARCHAR, window_start DATE,
        window_end DATE""",
        OPPORTUNITY_ROWS,
    )
    _insert(
        con,
        "marts.friction_signals",
        """signal VARCHAR, scope VARCHAR, scope_id VARCHAR, capability VARCHAR, value DOUBLE,
        threshold DOUBLE, triggered BOOLEAN, detail VARCHAR, window_start DATE,
        window_end DATE""",
        [{**window, **row} for row in FRICTION_ROWS],
    )

"""A small published warehouse written by hand, for the dashboard tests.

The rows are hand-written (not produced by the pipeline) so each test states exactly what the
page must show. Dates are relative to the current week so "latest complete week" and "refreshed
recently" hold whenever the tests run. The file is written to a staging path and swapped in with
`os.replace`, like the pipeline's publish step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

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

NO_ROW = "no row"
"""A week with no row at all in metric_values (unlike None: a row whose value is NULL)."""

TEAMS = {"payments": "Payments", "search": "Search & Discovery"}


@dataclass
class Warehouse:
    """Options for one hand-written published copy."""

    catalog: dict[str, tuple[str, str, str]] = field(default_factory=lambda: dict(CATALOG_ROWS))
    values: dict[str, dict[str, list]] = field(default_factory=lambda: dict(VALUES))
    runs: list[tuple[str, datetime, datetime | None, str]] | None = None
    tables: bool = True
    with_teams: bool = True


def _value_rows(values: dict[str, dict[str, list]]) -> list[tuple]:
    rows = []
    for metric, scopes in values.items():
        for scope_id, weekly in scopes.items():
            scope = "org" if scope_id == "org" else "team"
            for week, item in zip(WEEKS[-len(weekly) :], weekly, strict=True):
                if item == NO_ROW:
                    continue
                value, numerator, denominator = (
                    item if isinstance(item, tuple) else (item, None, None)
                )
                sample = denominator if denominator is not None else (0 if value is None else 5)
                rows.append(
                    (metric, "week", week, scope, scope_id, value, numerator, denominator, sample)
                )
    return rows


def default_runs() -> list[tuple[str, datetime, datetime | None, str]]:
    now = datetime.now(UTC).replace(tzinfo=None)
    return [
        ("run-1", now - timedelta(days=1, hours=1), now - timedelta(days=1), "success"),
        ("run-2", now - timedelta(hours=1, minutes=5), now - timedelta(hours=1), "success"),
    ]


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
    con.executemany(
        "INSERT INTO metrics.metric_values VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        _value_rows(spec.values),
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
            for m, (label, unit, direction) in spec.catalog.items()
        ],
    )
    con.execute(
        """CREATE TABLE metrics.performance (metric VARCHAR, scope VARCHAR, scope_id VARCHAR,
        window_start DATE, window_end DATE, value DOUBLE, band VARCHAR, report_year INTEGER)"""
    )
    window_end = LATEST + timedelta(days=6)
    window_start = window_end - timedelta(weeks=12) + timedelta(days=1)
    older_end = window_end - timedelta(weeks=1)
    con.executemany(
        "INSERT INTO metrics.performance VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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

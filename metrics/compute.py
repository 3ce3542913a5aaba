"""Builds the metric tables from the marts: calendar, metric_values, catalog, bands, performance.

Plain Python + DuckDB (no Dagster, no Streamlit), so the pipeline, tests and benchmarks share it.
Every metric goes through the same aggregation SQL for its kind (`framework/aggregate.sql`), with
the metric's own SELECT of events as a temp view: the loops here are over metric definitions,
never over data rows, and values are always bound parameters.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from metrics.registry import MetricDefinition, load_bands, load_registry
from pipelines.faults import crash_point

FRAMEWORK_DIR = Path(__file__).resolve().parent / "framework"

CATALOG_DDL = """
CREATE OR REPLACE TABLE metrics.catalog (
    metric VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    unit VARCHAR NOT NULL,
    description VARCHAR NOT NULL,
    direction VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    grains VARCHAR[] NOT NULL,
    scopes VARCHAR[] NOT NULL,
    definition VARCHAR NOT NULL,
    bands VARCHAR
)
"""

BANDS_DDL = """
CREATE OR REPLACE TABLE metrics.bands (
    metric VARCHAR NOT NULL,
    report_year INTEGER NOT NULL,
    band VARCHAR NOT NULL,
    lower DOUBLE,
    upper DOUBLE,
    source VARCHAR NOT NULL,
    reported VARCHAR
)
"""

PERFORMANCE_DDL = """
CREATE OR REPLACE TABLE metrics.performance (
    metric VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    scope_id VARCHAR NOT NULL,
    window_start DATE NOT NULL,
    window_end DATE NOT NULL,
    value DOUBLE,
    band VARCHAR,
    report_year INTEGER NOT NULL,
    sample_size BIGINT NOT NULL
)
"""

TABLES = ("calendar", "metric_values", "catalog", "bands", "performance")


def _framework_sql(name: str) -> str:
    return (FRAMEWORK_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> None:
    """Run every statement of `sql`, binding only the parameters each statement uses."""
    for statement in con.extract_statements(sql):
        text = statement.query
        used = {k: v for k, v in params.items() if f"${k}" in text}
        con.execute(text, used) if used else con.execute(text)


def _events_view(con: duckdb.DuckDBPyConnection, metric: MetricDefinition) -> None:
    """Expose the metric's SELECT as temp view `metric_events` (SQL from the registry's file)."""
    statements = con.extract_statements(metric.sql_text())
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise ValueError(f"metrics/sql/{metric.sql} must hold exactly one SELECT")
    query = statements[0].query
    if not metric.per_grain:  # every grain aggregates the same events: no grain of their own
        query = f"SELECT *, NULL::VARCHAR AS grain FROM ({query}) AS events"
    con.execute("CREATE OR REPLACE TEMP VIEW metric_events AS " + query)


def band_summary(metric: str, year: int) -> str | None:
    """One line per band for the catalog and docs, e.g. 'elite: < 24; high: 24 to 168'."""
    bands = [b for b in load_bands() if b.metric == metric and b.report_year == year]
    if not bands:
        return None
    parts = []
    for b in bands:
        if b.upper is None:
            span = f">= {b.lower:g}"
        elif not b.lower:
            span = f"< {b.upper:g}"
        else:
            span = f"{b.lower:g} to < {b.upper:g}"
        parts.append(f"{b.band}: {span} ({b.reported})")
    return f"{year}: " + "; ".join(parts)


def build_metrics(con: duckdb.DuckDBPyConnection, as_of: datetime | None = None) -> dict[str, int]:
    """(Re)create the `metrics.*` tables from the marts; returns the row count of each table.

    `as_of` (naive UTC or aware) fixes "now" for the calendar's is_complete and the performance
    window; it defaults to the current time, so tests pass it to be deterministic.
    """
    now = (as_of or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    registry = load_registry()
    con.execute("CREATE SCHEMA IF NOT EXISTS metrics")
    _run(con, _framework_sql("calendar"), {"as_of": now})

    _run(con, _framework_sql("metric_values"), {})
    aggregate = _framework_sql("aggregate")
    for metric in registry.values():
        crash_point(f"metric:{metric.name}")
        _events_view(con, metric)
        _run(
            con,
            aggregate,
            {
                "metric": metric.name,
                "kind": metric.kind,
                "quantile": metric.quantile if metric.quantile is not None else 0.5,
                "grains": list(metric.grains),
                "scopes": list(metric.scopes),
                "private": metric.private,
            },
        )

    band_year_row = con.execute("SELECT band_year FROM meta.rules LIMIT 1").fetchone()
    band_year = int(band_year_row[0]) if band_year_row else 2024
    con.execute(CATALOG_DDL)
    con.executemany(
        "INSERT INTO metrics.catalog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                m.name,
                m.label,
                m.unit,
                m.description,
                m.direction,
                m.kind,
                list(m.grains),
                list(m.scopes),
                m.definition,
                band_summary(m.name, band_year),
            ]  # fmt: skip
            for m in registry.values()
        ],
    )
    con.execute(BANDS_DDL)
    con.executemany(
        "INSERT INTO metrics.bands VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            [b.metric, b.report_year, b.band, b.lower, b.upper, b.source, b.reported]
            for b in load_bands()
        ],
    )

    con.execute(PERFORMANCE_DDL)
    _run(con, _framework_sql("performance_window"), {"as_of": now})
    performance = _framework_sql("performance")
    for metric in registry.values():
        if not metric.banded:
            continue
        _events_view(con, metric)
        _run(
            con,
            performance,
            {
                "metric": metric.name,
                "kind": metric.kind,
                "quantile": metric.quantile if metric.quantile is not None else 0.5,
                "scopes": list(metric.scopes),
            },
        )
    con.execute("DROP VIEW IF EXISTS metric_events")
    _run(con, _framework_sql("comments"), {})

    counts: dict[str, int] = {}
    for table in TABLES:
        row = con.execute(f"SELECT count(*) FROM metrics.{table}").fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts

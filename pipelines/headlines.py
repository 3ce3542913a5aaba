"""The headline figures printed after a run: org-level DORA for the last complete week.

Reads the published copy only (the same numbers the dashboard and the report show) and does no
arithmetic: it selects rows of metrics.metric_values and formats them by the catalog's unit.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from metrics.groups import DORA_METRICS

HEADLINE_METRICS = DORA_METRICS[:5]  # time to restore is in the report, not the headline


def format_value(value: float | None, unit: str) -> str:
    """A figure as a person reads it; undefined is an em dash, never 0."""
    if value is None:
        return "—"
    if unit == "ratio":
        return f"{value:.1%}"
    if unit == "hours":
        return f"{value / 24:.1f} d" if value >= 48 else f"{value:.1f} h"
    if unit == "days":
        return f"{value:.1f} d"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def headline_rows(published: Path) -> list[tuple[str, str, float | None, str]]:
    """(label, week, value, unit) for each headline metric present in the catalog."""
    if not published.is_file():
        return []
    con = duckdb.connect(str(published), read_only=True)
    try:
        tables = {
            r[0]
            for r in con.execute(
                "SELECT schema_name || '.' || table_name FROM duckdb_tables()"
            ).fetchall()
        }
        if not {"metrics.metric_values", "metrics.catalog"} <= tables:
            return []
        return con.execute(
            """
            WITH last_week AS (
                SELECT coalesce(
                    max(period_start) FILTER (
                        WHERE period_start < date_trunc('week', current_date)),
                    max(period_start)) AS week
                FROM metrics.metric_values WHERE grain = 'week' AND scope = 'org'
            )
            SELECT c.label, CAST(v.period_start AS VARCHAR), v.value, c.unit
            FROM metrics.metric_values v
            JOIN metrics.catalog c USING (metric)
            JOIN last_week w ON v.period_start = w.week
            WHERE v.grain = 'week' AND v.scope = 'org' AND v.metric IN $metrics
            ORDER BY list_position($metrics, v.metric)
            """,
            {"metrics": list(HEADLINE_METRICS)},
        ).fetchall()
    finally:
        con.close()


def headline_lines(published: Path) -> list[str]:
    rows = headline_rows(published)
    if not rows:
        return ["paved: no metrics yet (the inbox had no deployments?)"]
    width = max(len(r[0]) for r in rows)
    lines = [f"DORA, whole organisation, week of {rows[0][1]}:"]
    lines += [f"  {label:<{width}} {format_value(v, unit):>10}" for label, _, v, unit in rows]
    return lines

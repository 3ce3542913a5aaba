"""A small published warehouse written by hand for the report tests.

Rows are hand-written (not produced by the pipeline) so each test states exactly what the report
must show. Dates are fixed (the report week is 2024-W05, Monday 2024-01-29), so the report is
reproducible whenever the tests run. Ratios carry numerator and denominator like the pipeline's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

REPORT_WEEK = "2024-W05"
MONDAY = date(2024, 1, 29)
WEEKS = [MONDAY - timedelta(weeks=n) for n in range(12, -2, -1)]
"""Thirteen weeks up to the report week, then the next (partial) week 2024-W06."""

CATALOG = {
    # metric: (label, unit, direction, grains)
    "deployment_frequency": ("Deployment frequency", "count", "higher_is_better", ["week"]),
    "change_lead_time": ("Change lead time (median)", "hours", "lower_is_better", ["week"]),
    "change_fail_rate": ("Change fail rate", "ratio", "lower_is_better", ["week"]),
    "failed_deployment_recovery_time": (
        "Failed deployment recovery time", "hours", "lower_is_better", ["week"]),
    "deployment_rework_rate": ("Deployment rework rate", "ratio", "lower_is_better", ["week"]),
    "time_to_restore_service": ("Time to restore service", "hours", "lower_is_better", ["week"]),
    "golden_path_service_share": (
        "Golden-path service share", "ratio", "higher_is_better", ["week"]),
    "onboarding_days_to_first_commit": (
        "Days to first commit", "days", "lower_is_better", ["month"]),
}  # fmt: skip

R = tuple[float, float]  # (numerator, denominator) of a ratio

# (metric, scope, scope_id) -> 14 weekly values aligned with WEEKS; a tuple is a ratio
# (numerator, denominator); None is an undefined value.
WEEKLY: dict[tuple[str, str, str], list] = {
    ("deployment_frequency", "org", "org"):
        [20, 22, 21, 19, 23, 22, 20, 21, 22, 24, 22, 25, 50, 4],
    ("deployment_frequency", "team", "payments"):
        [10, 11, 10, 9, 12, 11, 10, 11, 12, 14, 12, 20, 20, 2],
    ("deployment_frequency", "team", "search"):
        [10, 11, 11, 10, 11, 11, 10, 10, 10, 10, 10, 5, 30, 2],
    ("deployment_frequency", "service", "svc-pay-api"):
        [10, 11, 10, 9, 12, 11, 10, 11, 12, 14, 12, 20, 20, 2],
    ("deployment_frequency", "service", "svc-search"):
        [10, 11, 11, 10, 11, 11, 10, 10, 10, 10, 10, 5, 30, 2],
    ("change_lead_time", "org", "org"):
        [30.0, 28.0, 40.0, 26.0, 22.0, 20.5, 24.0, 27.0, 31.0, 29.0, 25.0, 26.5, 60.0, 3.0],
    ("change_lead_time", "team", "payments"):
        [40.0, 38.0, 50.0, 36.0, 30.0, 28.0, 33.0, 35.0, 41.0, 39.0, 33.0, 35.0, 90.0, None],
    ("change_lead_time", "team", "search"):
        [20.0, 18.0, 30.0, 16.0, 14.0, 13.0, 15.0, 19.0, 21.0, 19.0, 17.0, 18.0, 12.0, 3.0],
    ("change_fail_rate", "org", "org"):
        [(2, 20), (2, 22), (1, 21), (2, 19), (2, 23), (1, 22), (2, 20), (2, 21), (1, 22),
         (2, 24), (2, 22), (2, 25), (7, 50), (0, 4)],
    ("change_fail_rate", "team", "payments"):
        [(1, 10), (1, 11), (1, 10), (1, 9), (1, 12), (1, 11), (1, 10), (1, 11), (1, 12),
         (1, 14), (1, 12), (1, 20), (6, 20), (0, 2)],
    ("change_fail_rate", "team", "search"):
        [(1, 10), (1, 11), (0, 11), (1, 10), (1, 11), (0, 11), (1, 10), (1, 10), (0, 10),
         (1, 10), (1, 10), (1, 5), (1, 30), (0, 2)],
    ("failed_deployment_recovery_time", "org", "org"):
        [3.0, 5.5, None, 2.0, 4.0, 4.0, 3.5, 2.5, None, 3.0, 4.5, 4.0, 3.0, None],
    ("deployment_rework_rate", "org", "org"):
        [(1, 20), (1, 22), (0, 21), (1, 19), (1, 23), (1, 22), (0, 20), (1, 21), (1, 22),
         (1, 24), (1, 22), (1, 25), (2, 50), (0, 4)],
    ("time_to_restore_service", "org", "org"):
        [2.0, 6.0, 1.5, 3.0, 8.0, 5.0, 2.5, 3.5, 4.0, 6.5, 2.0, 5.0, None, None],
    ("golden_path_service_share", "org", "org"):
        [(4, 10), (4, 10), (5, 10), (5, 10), (5, 11), (6, 11), (6, 11), (6, 12), (7, 12),
         (7, 12), (8, 12), (8, 12), (9, 12), (9, 12)],
    ("golden_path_service_share", "team", "payments"):
        [(2, 5)] * 11 + [(3, 6), (4, 6), (4, 6)],
    ("golden_path_service_share", "team", "search"):
        [(2, 5)] * 11 + [(5, 6), (5, 6), (5, 6)],
}  # fmt: skip

MONTHLY: dict[tuple[str, str, str], list[tuple[date, float | None]]] = {
    ("onboarding_days_to_first_commit", "org", "org"):
        [(date(2023, 12, 1), 6.5), (date(2024, 1, 1), 4.25)],
    ("onboarding_days_to_first_commit", "team", "payments"):
        [(date(2023, 12, 1), None), (date(2024, 1, 1), None)],
}  # fmt: skip

TEAMS = {"payments": "Payments", "search": "Search & Discovery"}
SERVICES = {"svc-pay-api": ("payments", "Payments API"), "svc-search": ("search", "Search")}

INCIDENTS = [
    # incident_id, service_id, opened_at, severity, resolved_at
    ("INC-0", "svc-search", datetime(2024, 1, 28, 23, 59), "sev3", datetime(2024, 1, 29, 2, 0)),
    ("INC-1", "svc-pay-api", datetime(2024, 1, 30, 10, 0), "sev1", datetime(2024, 1, 30, 14, 30)),
    ("INC-2", "svc-search", datetime(2024, 2, 3, 8, 15), None, None),
]
LINKS = [("INC-0", "dep-1", "time_window"), ("INC-1", "dep-7", "explicit")]

QUARANTINE = [
    ("deployments", "inbox", "d-9", '{"id": "d-9"}', "finished_at is not a timestamp",
     "deployments.jsonl:3", "b1", datetime(2024, 1, 30, 5, 0)),
    ("deployments", "inbox", "d-10", '{"id": "d-10"}', "finished_at is not a timestamp",
     "deployments.jsonl:4", "b1", datetime(2024, 1, 30, 5, 0)),
    ("commits", "github", None, '{}', "sha is required", "GET /commits", "b2",
     datetime(2024, 2, 1, 5, 0)),
    ("commits", "github", None, '{}', "sha is required", "GET /commits", "b0",
     datetime(2024, 1, 2, 5, 0)),
]  # fmt: skip
RESOLVED = ("deployments", "inbox", "d-11", '{"id": "d-11"}', "status is not allowed",
            "deployments.jsonl:5", "b1", datetime(2024, 1, 31, 5, 0), 99, "resolved",
            datetime(2024, 2, 1, 5, 0))  # fmt: skip

RUNS = [
    ("run-1", datetime(2024, 2, 4, 5, 0), datetime(2024, 2, 4, 5, 3), "success", 3),
    ("run-2", datetime(2024, 2, 5, 5, 0), datetime(2024, 2, 5, 5, 4), "success", 4),
]

PERFORMANCE = [
    # metric, scope, scope_id, window_start, window_end, value, band, report_year
    ("deployment_frequency", "org", "org", date(2023, 11, 13), date(2024, 2, 4), 24.5, "elite",
     2024),
    ("change_fail_rate", "org", "org", date(2023, 11, 13), date(2024, 2, 4), 0.09, "high", 2024),
    ("change_lead_time", "org", "org", date(2023, 11, 13), date(2024, 2, 4), 27.0, "high", 2024),
    ("change_fail_rate", "org", "org", date(2023, 11, 20), date(2024, 2, 11), 0.2, "low", 2024),
]  # fmt: skip


@dataclass
class Spec:
    """Which parts of the fixture to write (each table may be left out)."""

    skip_tables: set[str] = field(default_factory=set)
    weekly: dict = field(default_factory=lambda: dict(WEEKLY))
    roadmap: bool = False


def value_rows(spec: Spec) -> list[tuple]:
    rows = []
    for (metric, scope, scope_id), series in spec.weekly.items():
        for week, item in zip(WEEKS, series, strict=True):
            if isinstance(item, tuple):
                num, den = item
                value = num / den if den else None
                rows.append((metric, "week", week, scope, scope_id, value, num, den, den))
            else:
                rows.append(
                    (
                        metric,
                        "week",
                        week,
                        scope,
                        scope_id,
                        item,
                        None,
                        None,
                        0 if item is None else 5,
                    )
                )
    for (metric, scope, scope_id), series in MONTHLY.items():
        for month, item in series:
            rows.append((metric, "month", month, scope, scope_id, item, None, None, 3))
    return rows


def write_published(path: Path, spec: Spec | None = None) -> Path:
    """Write the fixture at `path` (the published copy location)."""
    spec = spec or Spec()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        for schema in ("metrics", "core", "marts", "meta"):
            con.execute(f"CREATE SCHEMA {schema}")
        skip = spec.skip_tables
        if "metrics.metric_values" not in skip:
            con.execute(
                "CREATE TABLE metrics.metric_values (metric VARCHAR, grain VARCHAR, "
                "period_start DATE, scope VARCHAR, scope_id VARCHAR, value DOUBLE, "
                "numerator DOUBLE, denominator DOUBLE, sample_size BIGINT)"
            )
            con.executemany(
                "INSERT INTO metrics.metric_values VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                value_rows(spec),
            )
        if "metrics.catalog" not in skip:
            con.execute(
                "CREATE TABLE metrics.catalog (metric VARCHAR, label VARCHAR, unit VARCHAR, "
                "description VARCHAR, direction VARCHAR, kind VARCHAR, grains VARCHAR[], "
                "scopes VARCHAR[], definition VARCHAR)"
            )
            con.executemany(
                "INSERT INTO metrics.catalog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        m,
                        label,
                        unit,
                        f"{label}.",
                        direction,
                        "count",
                        grains,
                        ["service", "team", "org"],
                        "see docs",
                    )
                    for m, (label, unit, direction, grains) in CATALOG.items()
                ],
            )
        if "metrics.performance" not in skip:
            con.execute(
                "CREATE TABLE metrics.performance (metric VARCHAR, scope VARCHAR, "
                "scope_id VARCHAR, window_start DATE, window_end DATE, value DOUBLE, "
                "band VARCHAR, report_year INTEGER)"
            )
            con.executemany(
                "INSERT INTO metrics.performance VALUES (?, ?, ?, ?, ?, ?, ?, ?)", PERFORMANCE
            )
        if "core.teams" not in skip:
            con.execute("CREATE TABLE core.teams (team_id VARCHAR, name VARCHAR)")
            con.executemany("INSERT INTO core.teams VALUES (?, ?)", list(TEAMS.items()))
        if "core.services" not in skip:
            con.execute(
                "CREATE TABLE core.services (service_id VARCHAR, team_id VARCHAR, name VARCHAR)"
            )
            con.executemany(
                "INSERT INTO core.services VALUES (?, ?, ?)",
                [(s, t, n) for s, (t, n) in SERVICES.items()],
            )
        if "core.incidents" not in skip:
            con.execute(
                "CREATE TABLE core.incidents (incident_id VARCHAR, service_id VARCHAR, "
                "opened_at TIMESTAMP, severity VARCHAR, resolved_at TIMESTAMP, cause VARCHAR)"
            )
            con.executemany(
                "INSERT INTO core.incidents VALUES (?, ?, ?, ?, ?, 'a person wrote this')",
                INCIDENTS,
            )
        if "marts.incident_links" not in skip:
            con.execute(
                "CREATE TABLE marts.incident_links (incident_id VARCHAR, deployment_id VARCHAR, "
                "link_method VARCHAR)"
            )
            con.executemany("INSERT INTO marts.incident_links VALUES (?, ?, ?)", LINKS)
        if "core.quarantine" not in skip:
            con.execute(
                "CREATE TABLE core.quarantine (entity VARCHAR, source VARCHAR, "
                "record_key VARCHAR, raw_record JSON, reason VARCHAR, origin VARCHAR, "
                "batch_id VARCHAR, loaded_at TIMESTAMP, raw_seq BIGINT, status VARCHAR, "
                "resolved_at TIMESTAMP)"
            )
            con.executemany(
                "INSERT INTO core.quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*row, seq, "open", None) for seq, row in enumerate(QUARANTINE)]
                + [RESOLVED],  # fixed and re-sent: counts nowhere
            )
        if "meta.runs" not in skip:
            con.execute(
                "CREATE TABLE meta.runs (run_id VARCHAR, started_at TIMESTAMP, "
                "finished_at TIMESTAMP, status VARCHAR, quarantined BIGINT, rules JSON)"
            )
            con.executemany("INSERT INTO meta.runs VALUES (?, ?, ?, ?, ?, '{}')", RUNS)
        if spec.roadmap:
            con.execute(
                "CREATE TABLE marts.roadmap_progress AS SELECT * FROM (VALUES "
                "('golden path v2', 0.6), ('self-service databases', 0.25)) t(item, progress)"
            )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path

"""Asset checks on keys, required values and references of the core and mart tables.

Each check is one SQL that counts violations (pipelines/sql/checks/*.sql would be overkill for
one-liners; the identifiers come from the contract and constants only). Key and null violations
are errors; dangling references warn, because a partial source (say, incidents before the
catalogue is connected) is normal while a team is setting up.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from pipelines.contract import ENTITIES
from pipelines.defs.resources import WarehouseResource


@dataclass(frozen=True)
class Check:
    table: str  # schema.table
    name: str
    description: str
    violations_sql: str
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR


def _core_checks() -> list[Check]:
    checks: list[Check] = []
    for e in ENTITIES:
        keys = ", ".join(e.key)
        checks.append(
            Check(
                f"core.{e.name}",
                "unique_key",
                f"({keys}) identifies one row",
                f"SELECT count(*) FROM (SELECT {keys} FROM core.{e.name} "
                f"GROUP BY ALL HAVING count(*) > 1)",
            )
        )
        required = [f.name for f in e.fields if f.required]
        cond = " OR ".join(f"{c} IS NULL" for c in required)
        checks.append(
            Check(
                f"core.{e.name}",
                "required_not_null",
                f"required fields {', '.join(required)} are never NULL",
                f"SELECT count(*) FROM core.{e.name} WHERE {cond}",
            )
        )
    return checks


_REFERENCES = [
    ("core.engineers", "team_id", "core.teams", "team_id"),
    ("core.services", "team_id", "core.teams", "team_id"),
    ("core.deployments", "service_id", "core.services", "service_id"),
    ("core.incidents", "service_id", "core.services", "service_id"),
    ("core.incidents", "caused_by_deployment_id", "core.deployments", "deployment_id"),
    ("core.deployment_commits", "deployment_id", "core.deployments", "deployment_id"),
]


def _reference_checks() -> list[Check]:
    return [
        Check(
            table,
            f"{column}_references_{ref_table.split('.')[1]}",
            f"every {column} exists in {ref_table}",
            f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {ref_table} r WHERE r.{ref_column} = t.{column})",
            dg.AssetCheckSeverity.WARN,
        )
        for table, column, ref_table, ref_column in _REFERENCES
    ]


MART_CHECKS = [
    Check(
        "marts.deployments",
        "unique_deployment_id",
        "one row per deployment",
        "SELECT count(*) - count(DISTINCT deployment_id) FROM marts.deployments",
    ),
    Check(
        "marts.changes",
        "unique_change_id",
        "one row per change",
        "SELECT count(*) - count(DISTINCT change_id) FROM marts.changes",
    ),
    Check(
        "marts.changes",
        "deployment_exists",
        "every change's deployment is in marts.deployments",
        "SELECT count(*) FROM marts.changes c WHERE NOT EXISTS "
        "(SELECT 1 FROM marts.deployments d WHERE d.deployment_id = c.deployment_id)",
    ),
    Check(
        "metrics.metric_values",
        "unique_grain",
        "one row per metric, grain, period and scope",
        "SELECT count(*) FROM (SELECT metric, grain, period_start, scope, scope_id "
        "FROM metrics.metric_values GROUP BY ALL HAVING count(*) > 1)",
    ),
]

ALL_CHECKS = _core_checks() + _reference_checks() + MART_CHECKS


def _build(check: Check) -> dg.AssetChecksDefinition:
    schema, table = check.table.split(".")

    @dg.asset_check(
        asset=dg.AssetKey([schema, table]),
        name=check.name,
        description=check.description,
        blocking=check.severity == dg.AssetCheckSeverity.ERROR,
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect() as con:
            exists = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                [schema, table],
            ).fetchone()[0]
            bad = con.execute(check.violations_sql).fetchone()[0] if exists else 0
        return dg.AssetCheckResult(
            passed=bad == 0,
            severity=check.severity,
            metadata={"violations": int(bad)},
            description=None if bad == 0 else f"{bad} violation(s): {check.description}",
        )

    return _check


def build_checks(tables: set[str]) -> list[dg.AssetChecksDefinition]:
    """Checks for the tables that exist as assets in this code location."""
    return [_build(c) for c in ALL_CHECKS if c.table in tables]

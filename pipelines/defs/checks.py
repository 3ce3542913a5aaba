"""Asset checks on keys, required values and references of the core and mart tables.

Each check is one SQL that counts violations (pipelines/sql/checks/*.sql would be overkill for
one-liners; the identifiers come from the contract and constants only). Key and null violations
are errors; dangling references warn, because a partial source (say, incidents before the
catalogue is connected) is normal while a team is setting up.
"""

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
        "one row per (service, change): a monorepo change is a change of each of its services",
        "SELECT count(*) - count(DISTINCT (service_id, change_id)) FROM marts.changes",
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

PLATFORM_CHECKS = [
    Check(
        "marts.adoption",
        "unique_scope_path",
        "one row per (scope, scope_id, golden_path)",
        "SELECT count(*) FROM (SELECT scope, scope_id, golden_path FROM marts.adoption "
        "GROUP BY ALL HAVING count(*) > 1)",
    ),
    Check(
        "marts.platform_impact",
        "unique_metric_comparison",
        "one row per (metric, comparison)",
        "SELECT count(*) FROM (SELECT metric, comparison FROM marts.platform_impact "
        "GROUP BY ALL HAVING count(*) > 1)",
    ),
    Check(
        "marts.platform_impact",
        "estimate_only_when_ok",
        "an estimate exists exactly when the status is ok (never a number from too few points)",
        "SELECT count(*) FROM marts.platform_impact "
        "WHERE (status = 'ok') <> (estimate IS NOT NULL)",
    ),
    Check(
        "marts.roadmap_progress",
        "unique_initiative",
        "one row per initiative",
        "SELECT count(*) - count(DISTINCT initiative_id) FROM marts.roadmap_progress",
    ),
]

ALL_CHECKS = _core_checks() + _reference_checks() + MART_CHECKS + PLATFORM_CHECKS


def _result(con, check: Check) -> dg.AssetCheckResult:
    schema, table = check.table.split(".")
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
        [schema, table],
    ).fetchone()[0]
    bad = con.execute(check.violations_sql).fetchone()[0] if exists else 0
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey([schema, table]),
        check_name=check.name,
        passed=bad == 0,
        severity=check.severity,
        metadata={"violations": int(bad)},
        description=None if bad == 0 else f"{bad} violation(s): {check.description}",
    )


def _build(group: str, checks: list[Check]) -> dg.AssetChecksDefinition:
    """Several checks in one step: each is one quick query, and a step each would cost more."""

    @dg.multi_asset_check(
        name=f"{group.replace('.', '__')}_checks",
        specs=[
            dg.AssetCheckSpec(
                c.name,
                asset=dg.AssetKey(c.table.split(".")),
                description=c.description,
                blocking=c.severity == dg.AssetCheckSeverity.ERROR,
            )
            for c in checks
        ],
    )
    def _checks(warehouse: WarehouseResource):
        with warehouse.connect() as con:
            for check in checks:
                yield _result(con, check)

    return _checks


def build_checks(tables: set[str]) -> list[dg.AssetChecksDefinition]:
    """Checks for the tables that are assets here: one step for all of core (built in one step
    itself), one per table elsewhere, so a blocking check never waits on a downstream table."""
    groups: dict[str, list[Check]] = {}
    for check in ALL_CHECKS:
        if check.table in tables:
            group = "core" if check.table.startswith("core.") else check.table
            groups.setdefault(group, []).append(check)
    return [_build(group, checks) for group, checks in groups.items()]

"""Ingest: canonical batch folders (the inbox) into the raw layer, and the rules in force."""

import json

import dagster as dg

from pipelines.defs.resources import WarehouseResource
from pipelines.faults import crash_point
from pipelines.inbox import load_inbox
from pipelines.sqlfiles import run_sql_file

INGEST_KEYS = [dg.AssetKey(["raw", "inbox"])]


@dg.asset(key=["raw", "inbox"], group_name="ingest", kinds={"duckdb"})
def raw_inbox(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """One envelope per received record from every inbox folder of this run (append-only).

    Each folder loads in one transaction; re-delivered records are recognised and skipped.
    """
    folders = warehouse.inbox_folders()
    inserted = unchanged = unreadable = 0
    per_entity: dict[str, int] = {}
    findings: list[dict[str, object]] = []
    with warehouse.connect() as con:
        for index, folder in enumerate(folders):
            report = load_inbox(con, folder, f"{context.run.run_id}-{index}")
            inserted += report.inserted
            unchanged += report.unchanged
            unreadable += report.unreadable
            for entity, result in report.results.items():
                per_entity[entity] = per_entity.get(entity, 0) + result.inserted
            for finding in report.findings:
                context.log.warning(finding.sentence())
                findings.append(
                    {"kind": finding.kind, "file": finding.file, "detail": finding.detail,
                     "records": finding.records}  # fmt: skip
                )
    return dg.MaterializeResult(
        metadata={
            "folders": len(folders),
            "new_records": inserted,
            "already_loaded": unchanged,
            "unreadable_records": unreadable,
            "new_by_entity": dg.MetadataValue.json(per_entity),
            "findings": dg.MetadataValue.json(findings),
        }
    )


@dg.asset(key=["meta", "rules"], group_name="ingest", kinds={"duckdb"})
def meta_rules(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """The rules in force for this run (one row), and the run's entry in meta.runs.

    Every mart reads its rules from here, so a figure can always be explained by the rules that
    made it; meta.runs keeps the rules of every run. Starting a run marks any other run still
    `running` as `abandoned`: this run holds the warehouse, so that one is no longer running.
    """
    rules = warehouse.config().rules
    record = rules.as_record()
    with warehouse.connect() as con:
        run_sql_file(con, "meta/rules.sql", {**record, "rules_json": json.dumps(record)})
        run_sql_file(
            con,
            "meta/run_started.sql",
            {"run_id": context.run.run_id, "rules_json": json.dumps(record)},
        )
    crash_point("meta_rules:run_started")  # a run killed here stays 'running' until the next
    return dg.MaterializeResult(metadata={k: str(v) for k, v in record.items()})

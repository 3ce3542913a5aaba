"""The raw layer: every record exactly as received, one envelope per record.

Append-only and idempotent by (source, entity, record_key, payload_hash): receiving the same record
twice stores it once, receiving a changed record stores the new version beside the old. Nothing
downstream ever needs a re-fetch, because `core.*` is rebuilt from here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.contract import ENTITY_BY_NAME
from pipelines.sqlfiles import run_sql_file

STAGE = "raw_stage"  # temp table every writer fills before `publish_stage` merges it


@dataclass(frozen=True)
class WriteResult:
    """What one write did: new envelopes stored, and those already present (re-deliveries)."""

    inserted: int
    unchanged: int


def ensure_raw(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and tables if they are missing (idempotent)."""
    run_sql_file(con, "raw/schema.sql")


def key_expression(entity: str) -> str:
    """SQL computing an entity's natural key from `payload`; NULL for unknown entities or when a
    key field is missing. The key fields are read with one JSON extraction per record.

    Identifiers come only from the contract's constants (validated there), never from input.
    """
    spec = ENTITY_BY_NAME.get(entity)
    if spec is None:
        return "CAST(NULL AS VARCHAR)"
    if len(spec.key) == 1:
        return f"nullif(trim(json_extract_string(payload, '$.{spec.key[0]}')), '')"
    paths = ", ".join(f"'$.{k}'" for k in spec.key)
    parts = f"list_transform(json_extract_string(payload, [{paths}]), x -> nullif(trim(x), ''))"
    return (
        f"CASE WHEN list_contains(list_transform({parts}, x -> x IS NULL), true) THEN NULL "
        f"ELSE array_to_string({parts}, '|') END"
    )


def start_stage(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the session's staging table: payloads waiting to be merged into raw."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {STAGE} ("
        "source VARCHAR, entity VARCHAR, payload JSON, origin VARCHAR, ord BIGINT)"
    )


def merge_stage(
    con: duckdb.DuckDBPyConnection, batch_id: str
) -> dict[tuple[str, str], WriteResult]:
    """Merge the staging table into `raw.records`, set-based; returns counts per (source, entity).

    Keys are computed per entity in one pass; duplicates of an envelope already stored, and
    duplicates inside the stage itself, are skipped.
    """
    entities = [r[0] for r in con.execute(f"SELECT DISTINCT entity FROM {STAGE}").fetchall()]
    cases = " ".join(
        f"WHEN '{e}' THEN {key_expression(e)}" for e in entities if e in ENTITY_BY_NAME
    )
    key_sql = f"CASE entity {cases} END" if cases else "CAST(NULL AS VARCHAR)"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE raw_keyed AS
        SELECT source, entity, payload, origin, ord,
               {key_sql} AS record_key,
               md5(CAST(payload AS VARCHAR)) AS payload_hash
        FROM {STAGE}
        """
    )
    run_sql_file(con, "raw/merge_stage.sql", {"batch_id": batch_id})
    rows = con.execute(
        "SELECT source, entity, count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new) "
        "FROM raw_merge_result GROUP BY ALL"
    ).fetchall()
    return {(s, e): WriteResult(int(i), int(u)) for s, e, i, u in rows}


def stage_records(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    entity: str,
    records: Iterable[Any],
    origin: str | list[str],
) -> int:
    """Add Python records (e.g. a connector's mapped API objects) to the staging table.

    `origin` is one string for all records or one per record (file:line, request URL).
    """
    payloads = [json.dumps(r, default=str, sort_keys=True) for r in records]
    if not payloads:
        return 0
    origins = origin if isinstance(origin, list) else [origin] * len(payloads)
    table = pa.table(
        {
            "source": pa.array([source] * len(payloads)),
            "entity": pa.array([entity] * len(payloads)),
            "payload": pa.array(payloads),
            "origin": pa.array(origins),
            "ord": pa.array(range(len(payloads)), type=pa.int64()),
        }
    )
    con.register("incoming_records", table)
    try:
        con.execute(
            f"INSERT INTO {STAGE} SELECT source, entity, CAST(payload AS JSON), origin, "
            f"ord + (SELECT count(*) FROM {STAGE}) FROM incoming_records"
        )
    finally:
        con.unregister("incoming_records")
    return len(payloads)


def write_records(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    entity: str,
    records: Iterable[Mapping[str, Any]],
    origin: str,
    batch_id: str,
) -> WriteResult:
    """Store records from one source and entity in raw, as received; idempotent."""
    ensure_raw(con)
    start_stage(con)
    stage_records(con, source=source, entity=entity, records=records, origin=origin)
    result = merge_stage(con, batch_id)
    return result.get((source, entity), WriteResult(0, 0))

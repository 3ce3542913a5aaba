"""Builds the typed, de-duplicated `core.*` tables and `core.quarantine` from the raw layer.

The SQL is generated from the contract's entity specs (pipelines/contract.py) rather than kept in
ten hand-written files, so a field added to the contract is typed, validated, documented and
quarantined in the same way everywhere. Identifiers come only from those validated constants;
no input value is ever formatted into SQL.

Rules (contract §1): a record whose required field is missing, or whose field of any kind is
present but unparsable or outside its allowed values, goes to `core.quarantine` with the reason.
The latest valid version of each key wins; an invalid newer version never hides an older valid one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import duckdb

from pipelines.contract import DUCKDB_TYPES, ENTITIES, ENTITY_BY_NAME, Entity, Field
from pipelines.sqlfiles import run_sql_file


def _text(f: Field) -> str:
    """The received value as trimmed text (NULL when absent or empty), extracted once per row."""
    return f"_t_{f.name}"


def _typed(f: Field) -> str:
    """SQL turning the received value into the contract type; NULL when absent or unparsable."""
    v = _text(f)
    match f.type:
        case "string":
            typed = v
        case "timestamp":
            typed = f"CAST(try_cast({v} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP)"
        case "date":
            typed = (
                f"coalesce(try_cast({v} AS DATE), "
                f"CAST(try_cast({v} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS DATE))"
            )
        case "integer":
            typed = f"try_cast({v} AS BIGINT)"
        case "number":
            typed = f"try_cast({v} AS DOUBLE)"
        case "boolean":
            typed = f"CASE lower({v}) WHEN 'true' THEN true WHEN 'false' THEN false END"
        case "list":
            j = f"_j_{f.name}"
            typed = (
                f"CASE json_type({j}) "
                f"WHEN 'ARRAY' THEN list_filter(CAST(from_json({j}, '[\"VARCHAR\"]') AS VARCHAR[]),"
                " x -> nullif(trim(x), '') IS NOT NULL) "
                f"WHEN 'VARCHAR' THEN list_filter(string_split(trim({v}), ' '), x -> x <> '') END"
            )
    sql_type = DUCKDB_TYPES[f.type]
    if f.default is not None:
        default = f"CAST('{f.default}' AS {sql_type})"
        typed = f"coalesce({typed}, CASE WHEN {v} IS NULL THEN {default} END)"
    return f"CAST({typed} AS {sql_type})"


def _problems(f: Field) -> list[str]:
    """SQL expressions each yielding a reason string or NULL for one field (typed as `f.name`)."""
    v = _text(f)
    out: list[str] = []
    if f.required:
        out.append(f"CASE WHEN {v} IS NULL THEN 'missing required field {f.name}' END")
    if f.type == "list":
        out.append(
            f"CASE WHEN json_type(_j_{f.name}) NOT IN ('ARRAY', 'VARCHAR', 'NULL') "
            f"THEN 'field {f.name}: expected a list' END"
        )
    elif f.type != "string":
        out.append(
            f"CASE WHEN {v} IS NOT NULL AND {f.name} IS NULL "
            f"THEN 'field {f.name}: cannot parse ''' || {v} || ''' as {f.type}' END"
        )
    if f.allowed:
        allowed = ", ".join(f"'{a}'" for a in f.allowed)
        out.append(
            f"CASE WHEN {v} IS NOT NULL AND {v} NOT IN ({allowed}) "
            f"THEN 'field {f.name}: ''' || {v} || ''' is not one of {'/'.join(f.allowed)}' END"
        )
    return out


def typed_select(entity: Entity) -> str:
    """SELECT over raw.records yielding typed columns plus `reason` (NULL when valid).

    Each record's JSON is read once: one multi-path extraction gives every field's text, and
    list fields keep their JSON value; typing and validation work on those columns.
    """
    paths = ", ".join(f"'$.{f.name}'" for f in entity.fields)
    texts = ", ".join(
        f"nullif(trim(_v[{i}]), '') AS {_text(f)}" for i, f in enumerate(entity.fields, start=1)
    )
    lists = "".join(
        f", json_extract(payload, '$.{f.name}') AS _j_{f.name}"
        for f in entity.fields
        if f.type == "list"
    )
    columns = ", ".join(f"{_typed(f)} AS {f.name}" for f in entity.fields)
    problems = [p for f in entity.fields for p in _problems(f)]
    reason = (
        "CASE WHEN _payload_type <> 'OBJECT' "
        "THEN 'not a JSON object: the line is not valid JSON, or not a record' "
        "ELSE nullif(concat_ws('; ', " + ", ".join(problems) + "), '') END"
    )
    names = ", ".join(f.name for f in entity.fields)
    return (
        "WITH src AS (\n"
        "    SELECT seq, batch_id, source, record_key, payload, origin,\n"
        "           json_type(payload) AS _payload_type,\n"
        f"           json_extract_string(payload, [{paths}]) AS _v{lists}\n"
        f"    FROM raw.records WHERE entity = '{entity.name}'\n"
        f"), txt AS (SELECT * EXCLUDE (_v), {texts} FROM src\n"
        f"), typed AS (SELECT *, {columns} FROM txt)\n"
        f"SELECT seq, batch_id, source, record_key, origin, {names},\n"
        f"       {reason} AS reason\nFROM typed"
    )


def column_comment(f: Field) -> str:
    """The column's documentation: what it holds, its rules; shown by DESCRIBE and the docs."""
    parts = [f.doc] if f.doc else []
    if f.type == "timestamp":
        parts.append("UTC")
    if f.required:
        parts.append("required")
    if f.allowed:
        parts.append("one of " + ", ".join(f.allowed))
    if f.default is not None:
        parts.append(f"default {f.default}")
    return "; ".join(parts) or f.name.replace("_", " ")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _comment(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    """COMMENT takes no bound parameters; the text comes from the contract constants only."""
    key = ", ".join(entity.key)
    con.execute(f"COMMENT ON TABLE core.{entity.name} IS {_quote(f'{entity.doc} Key: {key}.')}")
    for f in entity.fields:
        con.execute(f"COMMENT ON COLUMN core.{entity.name}.{f.name} IS {_quote(column_comment(f))}")


@dataclass(frozen=True)
class CoreReport:
    rows: dict[str, int]
    quarantined_total: int
    quarantined_by_entity: dict[str, int]


def _signature(select_sql: str) -> str:
    """Identifies the typing rules a core table was built with: a new contract rebuilds it."""
    return hashlib.md5(select_sql.encode()).hexdigest()


def _quarantine(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Add the typed batch's invalid records; the payload is fetched back from raw for them only."""
    con.execute(
        "INSERT INTO core.quarantine "
        f"SELECT '{name}', t.source, t.record_key, r.payload, t.reason, t.origin, t.batch_id, "
        f"now()::TIMESTAMP FROM typed_{name} AS t JOIN raw.records AS r USING (seq) "
        "WHERE t.reason IS NOT NULL ORDER BY t.seq"
    )


def build_entity(con: duckdb.DuckDBPyConnection, entity: Entity) -> int:
    """Bring one `core.<entity>` table and its share of the quarantine up to date; its rows.

    Why incremental: raw is append-only and `seq` only grows, so the records newer than the last
    build (`meta.core_state.max_seq`) are all that can change the table. A newer valid version of
    a key replaces the stored one; a newer invalid one only joins the quarantine, so it never
    hides the older valid version, exactly as a full rebuild decides. A table built with other
    typing rules (a changed contract), or never built, is rebuilt from all of raw.
    """
    name = entity.name
    select_sql = typed_select(entity)
    signature = _signature(select_sql)
    state = con.execute(
        "SELECT max_seq, signature FROM meta.core_state WHERE entity = ?", [name]
    ).fetchone()
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'core' AND table_name = ? AND NOT temporary",
        [name],
    ).fetchone()[0]
    top = con.execute(
        "SELECT coalesce(max(seq), 0) FROM raw.records WHERE entity = ?", [name]
    ).fetchone()[0]
    cols = ", ".join(f.name for f in entity.fields)
    latest = "QUALIFY row_number() OVER (PARTITION BY record_key ORDER BY seq DESC) = 1"
    if state is None or not exists or state[1] != signature:
        con.execute(f"CREATE OR REPLACE TEMP TABLE typed_{name} AS {select_sql}")
        con.execute(
            f"CREATE OR REPLACE TABLE core.{name} AS SELECT {cols} FROM typed_{name} "
            f"WHERE reason IS NULL {latest} ORDER BY {', '.join(entity.key)}"
        )
        con.execute("DELETE FROM core.quarantine WHERE entity = ?", [name])
        _quarantine(con, name)
        con.execute(f"DROP TABLE typed_{name}")
    elif top > state[0]:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE typed_{name} AS "
            f"SELECT * FROM ({select_sql}) WHERE seq > {int(state[0])}"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE fresh_{name} AS SELECT {cols} FROM typed_{name} "
            f"WHERE reason IS NULL {latest}"
        )
        match = " AND ".join(f"c.{k} IS NOT DISTINCT FROM f.{k}" for k in entity.key)
        con.execute(f"DELETE FROM core.{name} AS c USING fresh_{name} AS f WHERE {match}")
        con.execute(f"INSERT INTO core.{name} ({cols}) SELECT {cols} FROM fresh_{name}")
        _quarantine(con, name)
        con.execute(f"DROP TABLE typed_{name}")
        con.execute(f"DROP TABLE fresh_{name}")
    con.execute(
        "INSERT OR REPLACE INTO meta.core_state VALUES (?, ?, ?, now()::TIMESTAMP)",
        [name, top, signature],
    )
    return con.execute(f"SELECT count(*) FROM core.{name}").fetchone()[0]


def build_core(con: duckdb.DuckDBPyConnection) -> CoreReport:
    """Bring every core table up to date with raw, then resolve authors to engineers."""
    run_sql_file(con, "core/schema.sql")
    rows = {e.name: build_entity(con, e) for e in ENTITIES}
    run_sql_file(con, "core/identity.sql")
    for entity in ENTITIES:  # after identity.sql, which rebuilds commits and pull_requests
        _comment(con, entity)
    run_sql_file(con, "core/comments.sql")
    rows["engineer_aliases"] = con.execute("SELECT count(*) FROM core.engineer_aliases").fetchone()[
        0
    ]
    by_entity = dict(
        con.execute(
            "SELECT entity, count(*) FROM core.quarantine GROUP BY ALL ORDER BY 1"
        ).fetchall()
    )
    return CoreReport(rows, sum(by_entity.values()), by_entity)


def unknown_inputs(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """(entity, field, records) for entities or fields the contract does not know; kept in raw."""
    known = [(e.name, f.name) for e in ENTITIES for f in e.fields]
    con.execute("CREATE OR REPLACE TEMP TABLE known_fields (entity VARCHAR, field VARCHAR)")
    con.executemany("INSERT INTO known_fields VALUES (?, ?)", known)
    rows = con.execute(
        """
        WITH fields AS (
            SELECT entity, unnest(json_keys(payload)) AS field
            FROM raw.records WHERE json_type(payload) = 'OBJECT'
        )
        SELECT f.entity, CASE WHEN f.entity IN (SELECT entity FROM known_fields)
                              THEN f.field ELSE '*' END AS field, count(*) AS records
        FROM fields f
        ANTI JOIN known_fields k ON k.entity = f.entity AND k.field = f.field
        GROUP BY ALL ORDER BY 1, 2
        """
    ).fetchall()
    return [(e, f, int(n)) for e, f, n in rows]


__all__ = ["ENTITY_BY_NAME", "CoreReport", "build_core", "build_entity", "unknown_inputs"]

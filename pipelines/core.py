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
from datetime import date

import duckdb

from pipelines.config import Rules
from pipelines.contract import DUCKDB_TYPES, ENTITIES, ENTITY_BY_NAME, Entity, Field
from pipelines.faults import crash_point
from pipelines.raw import ensure_raw
from pipelines.sqlfiles import run_sql_file

# JSON types a field may arrive as (contract §1, strict types): an id is a string or an integer
# (rendered as its decimal string), never an object, a list, a boolean or a fraction.
_SCALAR_JSON = {
    "string": ("VARCHAR", "BIGINT", "UBIGINT"),
    "timestamp": ("VARCHAR",),
    "date": ("VARCHAR",),
    "integer": ("VARCHAR", "BIGINT", "UBIGINT"),
    "number": ("VARCHAR", "BIGINT", "UBIGINT", "DOUBLE"),
    "boolean": ("VARCHAR", "BOOLEAN"),
}
_JSON_KIND = {
    "OBJECT": "an object",
    "ARRAY": "a list",
    "BOOLEAN": "a boolean",
    "DOUBLE": "a fraction",
    "BIGINT": "a number",
    "UBIGINT": "a number",
}


def _text(f: Field) -> str:
    """The received value as trimmed text (NULL when absent or empty), extracted once per row."""
    return f"_t_{f.name}"


def _typed(f: Field) -> str:
    """SQL turning the received value into the contract type; NULL when absent or unparsable."""
    v = _text(f)
    match f.type:
        case "string":
            typed = v
        case "timestamp":  # RFC 3339 allows a lower-case 't' and 'z'
            typed = f"CAST(try_cast(upper({v}) AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP)"
        case "date":
            typed = (
                f"coalesce(try_cast({v} AS DATE), "
                f"CAST(try_cast(upper({v}) AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS DATE))"
            )
        case "integer":  # DuckDB rounds '1.5' to 2: only whole decimal numbers are integers
            typed = (
                f"CASE WHEN regexp_full_match({v}, '[+-]?[0-9]{{1,18}}') "
                f"THEN CAST({v} AS BIGINT) END"
            )
        case "number":  # NaN and infinities are not numbers of any metric
            typed = f"CASE WHEN isfinite(try_cast({v} AS DOUBLE)) THEN try_cast({v} AS DOUBLE) END"
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


def _shown(v: str) -> str:
    """A received value inside a reason: at most 80 characters of it."""
    return f"CASE WHEN length({v}) > 80 THEN left({v}, 80) || '...' ELSE {v} END"


def _kind(json_type: str) -> str:
    cases = " ".join(f"WHEN '{k}' THEN '{label}'" for k, label in _JSON_KIND.items())
    return f"CASE {json_type} {cases} ELSE lower({json_type}) END"


def _date(text: str) -> str:
    """A rule's YYYY-MM-DD value as a SQL date literal (validated here; never data)."""
    return f"DATE '{date.fromisoformat(str(text)).isoformat()}'"


def _bounds(f: Field, rules: Rules) -> str | None:
    """The plausibility rule of a timestamp or date field (contract §1), from `rules`."""
    v = _text(f)
    if f.type == "timestamp":
        low, name = _date(rules.earliest_event_at), "earliest_event_at"
        hours = float(rules.event_future_tolerance_hours)
        high = f"now()::TIMESTAMP + to_microseconds(CAST({hours} * 3600e6 AS BIGINT))"
        late = f"more than {hours:g} hours after the run (rule event_future_tolerance_hours)"
        earliest = rules.earliest_event_at
    elif f.type == "date":
        low, name = _date(rules.earliest_employment_date), "earliest_employment_date"
        days = int(rules.employment_future_tolerance_days)
        high = f"current_date + {days}"
        late = f"more than {days} days after the run (rule employment_future_tolerance_days)"
        earliest = rules.earliest_employment_date
    else:
        return None
    return (
        f"CASE WHEN {f.name} < {low} THEN 'field {f.name}: ' || {_shown(v)} || ' is before "
        f"{earliest} (rule {name})' WHEN {f.name} > {high} "
        f"THEN 'field {f.name}: ' || {_shown(v)} || ' is {late}' END"
    )


def _problems(f: Field, position: int, rules: Rules) -> list[str]:
    """SQL expressions each yielding a reason string or NULL for one field (typed as `f.name`).

    `_k[position]` is the JSON type the field arrived as. The bounds come from `rules`, and so
    are part of the typing SQL and its signature: a table built under other rules is rebuilt,
    and a stored record the new rules reject is quarantined on the next run.
    """
    v = _text(f)
    k = f"_k[{position}]"
    out: list[str] = []
    if f.required:
        out.append(f"CASE WHEN {v} IS NULL THEN 'missing required field {f.name}' END")
    if f.type == "list":
        j = f"_j_{f.name}"
        out.append(
            f"CASE WHEN json_type({j}) NOT IN ('ARRAY', 'VARCHAR', 'NULL') "
            f"THEN 'field {f.name}: expected a list' END"
        )
        out.append(
            f"CASE WHEN json_type({j}) = 'ARRAY' AND len(list_filter(json_type({j}, '$[*]'), "
            f"t -> t NOT IN ('VARCHAR', 'NULL'))) > 0 "
            f"THEN 'field {f.name}: list items must be strings' END"
        )
        size = f"strlen(CAST({j} AS VARCHAR))"
    else:
        accepted = ", ".join(f"'{t}'" for t in _SCALAR_JSON[f.type])
        expected = "an integer" if f.type == "integer" else f"a {f.type}"
        out.append(
            f"CASE WHEN {k} NOT IN ({accepted}, 'NULL') "
            f"THEN 'field {f.name}: expected {expected}, got ' || {_kind(k)} END"
        )
        if f.type != "string":
            out.append(
                f"CASE WHEN {v} IS NOT NULL AND {k} IN ({accepted}) AND {f.name} IS NULL "
                f"THEN 'field {f.name}: cannot parse ''' || {_shown(v)} || ''' as {f.type}' END"
            )
        size = f"strlen({v})"
    limit = int(rules.max_field_bytes)
    out.append(
        f"CASE WHEN {size} > {limit} "
        f"THEN 'field {f.name}: longer than {limit:,} bytes (rule max_field_bytes)' END"
    )
    bounds = _bounds(f, rules)
    if bounds:
        out.append(bounds)
    if f.allowed:
        values = ", ".join(f"'{a}'" for a in f.allowed)
        out.append(
            f"CASE WHEN {v} IS NOT NULL AND {v} NOT IN ({values}) "
            f"THEN 'field {f.name}: ''' || {_shown(v)} || ''' is not one of "
            f"{'/'.join(f.allowed)}' END"
        )
    return out


def typed_select(entity: Entity, rules: Rules | None = None) -> str:
    """SELECT over raw.records yielding typed columns plus `reason` (NULL when valid).

    Each record's JSON is read once for every field's text and once for every field's JSON
    type (one multi-path extraction each), and list fields keep their JSON value; typing and
    validation work on those columns. A record the loader could not read carries its `problem`,
    which is its reason.
    """
    rules = rules or Rules()
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
    problems = [p for i, f in enumerate(entity.fields, start=1) for p in _problems(f, i, rules)]
    reason = (
        "CASE WHEN problem IS NOT NULL THEN problem "
        "WHEN _payload_type <> 'OBJECT' "
        "THEN 'not a JSON object: the line is not valid JSON, or not a record' "
        "ELSE nullif(concat_ws('; ', " + ", ".join(problems) + "), '') END"
    )
    names = ", ".join(f.name for f in entity.fields)
    return (
        "WITH src AS (\n"
        "    SELECT seq, batch_id, source, record_key, payload, origin, problem,\n"
        "           json_type(payload) AS _payload_type,\n"
        f"           json_extract_string(payload, [{paths}]) AS _v,\n"
        f"           json_type(payload, [{paths}]) AS _k{lists}\n"
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
    quarantined_total: int  # open entries (contract §1: counts mean open entries)
    quarantined_by_entity: dict[str, int]
    new_open: int = 0  # entries this build added that are still open


def _signature(select_sql: str) -> str:
    """Identifies the typing rules a core table was built with: a new contract rebuilds it."""
    return hashlib.md5(select_sql.encode()).hexdigest()


def _quarantine(con: duckdb.DuckDBPyConnection, name: str, full: bool) -> None:
    """Bring the entity's quarantine up to date with the typed records in `typed_<name>`.

    Entries are keyed by the raw record (`raw_seq`), so writing them again (a rerun after a
    crash, a rebuild) never duplicates one. A rebuild also drops the entries the current rules
    accept and rewrites reasons that changed. An open entry is resolved once a later valid version
    of its key is loaded; only the payloads of new entries are fetched back from raw.
    """
    typed = f"typed_{name}"
    if full:
        con.execute(
            f"DELETE FROM core.quarantine q WHERE q.entity = $name AND (q.raw_seq IS NULL OR "
            f"q.raw_seq NOT IN (SELECT seq FROM {typed} WHERE reason IS NOT NULL))",
            {"name": name},
        )
        con.execute(
            f"UPDATE core.quarantine q SET reason = t.reason FROM {typed} t "
            "WHERE q.entity = $name AND q.raw_seq = t.seq AND q.reason <> t.reason",
            {"name": name},
        )
    con.execute(
        "INSERT INTO core.quarantine "
        f"SELECT '{name}', t.source, t.record_key, r.payload, t.reason, t.origin, t.batch_id, "
        f"now()::TIMESTAMP, t.seq, 'open', NULL FROM {typed} AS t "
        "JOIN raw.records AS r USING (seq) "
        "ANTI JOIN (SELECT raw_seq FROM core.quarantine WHERE entity = $name) q "
        "ON q.raw_seq = t.seq WHERE t.reason IS NOT NULL ORDER BY t.seq",
        {"name": name},
    )
    con.execute(
        "UPDATE core.quarantine q SET status = 'resolved', resolved_at = now()::TIMESTAMP "
        f"FROM (SELECT record_key, max(seq) AS seq FROM {typed} WHERE reason IS NULL "
        "AND record_key IS NOT NULL GROUP BY ALL) v "
        "WHERE q.entity = $name AND q.status = 'open' AND q.record_key = v.record_key "
        "AND v.seq > q.raw_seq",
        {"name": name},
    )


def build_entity(con: duckdb.DuckDBPyConnection, entity: Entity, rules: Rules | None = None) -> int:
    """Bring one `core.<entity>` table and its share of the quarantine up to date; its rows.

    Why incremental: raw is append-only and `seq` only grows, so the records newer than the last
    build (`meta.core_state.max_seq`) are all that can change the table. A newer valid version of
    a key replaces the stored one; a newer invalid one only joins the quarantine, so it never
    hides the older valid version, exactly as a full rebuild decides. A table built with other
    typing rules (a changed contract or other plausibility rules), or never built, is rebuilt
    from all of raw. One transaction: a crash anywhere leaves the table, its quarantine and its
    state as they were.
    """
    name = entity.name
    select_sql = typed_select(entity, rules)
    signature = _signature(select_sql)
    con.execute("BEGIN TRANSACTION")
    try:
        _build_entity(con, entity, select_sql, signature)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return con.execute(f"SELECT count(*) FROM core.{name}").fetchone()[0]


def _build_entity(
    con: duckdb.DuckDBPyConnection, entity: Entity, select_sql: str, signature: str
) -> None:
    name = entity.name
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
        _quarantine(con, name, full=True)
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
        _quarantine(con, name, full=False)
        con.execute(f"DROP TABLE typed_{name}")
        con.execute(f"DROP TABLE fresh_{name}")
    crash_point("core:quarantined")
    con.execute(
        "INSERT OR REPLACE INTO meta.core_state VALUES (?, ?, ?, now()::TIMESTAMP)",
        [name, top, signature],
    )


def build_core(con: duckdb.DuckDBPyConnection, rules: Rules | None = None) -> CoreReport:
    """Bring every core table up to date with raw, then resolve authors to engineers."""
    ensure_raw(con)  # a fresh home with nothing loaded yet builds empty tables
    run_sql_file(con, "core/schema.sql")
    started = con.execute("SELECT now()::TIMESTAMP").fetchone()[0]
    rows = {e.name: build_entity(con, e, rules) for e in ENTITIES}
    run_sql_file(con, "core/identity.sql")
    for entity in ENTITIES:  # after identity.sql, which rebuilds commits and pull_requests
        _comment(con, entity)
    run_sql_file(con, "core/comments.sql")
    rows["engineer_aliases"] = con.execute("SELECT count(*) FROM core.engineer_aliases").fetchone()[
        0
    ]
    by_entity = dict(
        con.execute(
            "SELECT entity, count(*) FROM core.quarantine WHERE status = 'open' "
            "GROUP BY ALL ORDER BY 1"
        ).fetchall()
    )
    new_open = con.execute(
        "SELECT count(*) FROM core.quarantine WHERE status = 'open' AND loaded_at >= ?",
        [started],
    ).fetchone()[0]
    return CoreReport(rows, sum(by_entity.values()), by_entity, int(new_open))


__all__ = ["ENTITY_BY_NAME", "CoreReport", "build_core", "build_entity"]

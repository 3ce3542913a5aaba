"""The raw layer: every record exactly as received, one envelope per record.

Append-only and idempotent by (source, entity, record_key, payload_hash): receiving the same record
twice stores it once, receiving a changed record stores the new version beside the old. Nothing
downstream ever needs a re-fetch, because `core.*` is rebuilt from here.

Writers stage first (`start_stage`, then `stage_parts` / `stage_query` / `stage_records`), then
`merge_stage` publishes the stage in one insert. The stage already holds each key and hash, computed
while the input is read, so the merge never re-parses a payload (measured at 2,000 engineers:
re-keying the staged JSON and copying the stage twice cost more than reading the files).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.contract import ENTITY_BY_NAME
from pipelines.sqlfiles import run_sql_file

STAGE = "raw_stage"  # temp table every writer fills before `merge_stage` publishes it
PART_BITS = 32  # a stage `ord` is (input number << PART_BITS) + row; merge_stage.sql relies on it

_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"} | {
    f"U{t}" for t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")
}


@dataclass(frozen=True)
class WriteResult:
    """What one write did: new envelopes stored, and those already present (re-deliveries)."""

    inserted: int
    unchanged: int


def ensure_raw(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and tables, and the loads' own records (meta.batches,
    meta.inbox_findings), if they are missing (idempotent)."""
    run_sql_file(con, "raw/schema.sql")
    run_sql_file(con, "meta/inbox_findings.sql")


def _join_key(parts: list[str]) -> str:
    """The key from its parts' SQL: each trimmed, empty means missing, any missing part makes the
    whole key NULL, parts joined with '|'. The one definition every key path shares."""
    cleaned = [f"nullif(trim({p}), '')" for p in parts]
    return _join_cleaned(cleaned)


def _join_cleaned(cleaned: list[str]) -> str:
    """Join parts that are already trimmed and NULL when empty (see `_join_key`)."""
    if len(cleaned) == 1:
        return cleaned[0]
    missing = " OR ".join(f"{c} IS NULL" for c in cleaned)
    joined = " || '|' || ".join(cleaned)
    return f"CASE WHEN {missing} THEN NULL ELSE {joined} END"


def clean_key_part(value: str) -> str:
    """`nullif(trim(value), '')`, fast: DuckDB's trim decodes the whole string to strip Unicode
    spaces at its end (measured 0.14 s per 634k keys, 8x the rest of the key). An ASCII string
    (as many bytes as characters) that neither starts nor ends with a space is its own trim, and
    only ASCII ' ' is a space to trim among ASCII characters, so only other strings call trim."""
    return (
        f"nullif(CASE WHEN strlen({value}) = length({value}) AND NOT starts_with({value}, ' ') "
        f"AND NOT ends_with({value}, ' ') THEN {value} ELSE trim({value}) END, '')"
    )


def key_expression(entity: str, payload: str = "payload") -> str:
    """SQL computing an entity's natural key from the JSON column `payload`; NULL for unknown
    entities or when a key field is missing. The key fields are read with one JSON extraction
    per record.

    Identifiers come only from the contract's constants (validated there), never from input.
    """
    spec = ENTITY_BY_NAME.get(entity)
    if spec is None:
        return "CAST(NULL AS VARCHAR)"
    if len(spec.key) == 1:
        return _join_key([f"json_extract_string({payload}, '$.{spec.key[0]}')"])
    paths = ", ".join(f"'$.{k}'" for k in spec.key)
    parts = f"list_transform(json_extract_string({payload}, [{paths}]), x -> nullif(trim(x), ''))"
    return (
        f"CASE WHEN list_contains(list_transform({parts}, x -> x IS NULL), true) THEN NULL "
        f"ELSE array_to_string({parts}, '|') END"
    )


def key_from_columns(entity: str, columns: Mapping[str, str]) -> tuple[str, list[str]]:
    """The same key as `key_expression`, from a file's own columns (name -> DuckDB type), for
    files whose payload is `to_json` of their row: reading a column is far cheaper than parsing
    the JSON just built from it. Returns the key SQL, over the `payload` column and the columns
    `key_0`, `key_1`, ..., and the select items of the file's row `t` that compute those (each
    key part trimmed, NULL when empty).

    A key column that is VARCHAR or an integer reads as its JSON text would; a missing column is
    a missing field; anything else (another type, a name that differs only in case from another)
    falls back to extracting that field from `payload`, so both paths always give identical keys.
    """
    spec = ENTITY_BY_NAME.get(entity)
    if spec is None:
        return "CAST(NULL AS VARCHAR)", []
    lowered = [column.lower() for column in columns]
    parts: list[str] = []
    selects: list[str] = []
    for name in spec.key:
        kind = columns.get(name)
        if name.lower() not in lowered:
            parts.append("CAST(NULL AS VARCHAR)")
        elif lowered.count(name.lower()) == 1 and kind in _INTEGER_TYPES | {"VARCHAR"}:
            alias = f"key_{len(selects)}"
            value = f"t.{quote(name)}" if kind == "VARCHAR" else f"CAST(t.{quote(name)} AS VARCHAR)"
            selects.append(f"{clean_key_part(value)} AS {alias}")
            parts.append(alias)
        else:
            parts.append(f"nullif(trim(json_extract_string(payload, '$.{name}')), '')")
    return _join_cleaned(parts), selects


def quote(identifier: str) -> str:
    """A SQL identifier, quoted (column names come from input files)."""
    return '"' + identifier.replace('"', '""') + '"'


def start_stage(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the session's staging table: envelopes waiting to be merged into raw.

    `ord` is `(part << PART_BITS) + row`: `part` numbers the inputs (a file, a list of records)
    in the order they were staged, `row` is the 1-based position inside one. Every input can so be
    numbered before it is read, which lets several files stage in one parallel statement, and
    `merge_stage` turns the pair into a `seq` in arrival order.
    """
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {STAGE} ("
        "source VARCHAR, entity VARCHAR, payload JSON, origin VARCHAR, ord BIGINT, "
        "record_key VARCHAR, payload_hash VARCHAR, problem VARCHAR)"
    )


@dataclass(frozen=True)
class StagePart:
    """One input to stage: `query` yields `payload` (JSON), `origin`, `n` (1-based position in
    the input, in input order) and `problem` (why the record could not be read, else NULL), plus
    any columns `key_sql` reads. `key_sql` defaults to extracting the key from the payload. Its
    parameter names must differ from every other part's."""

    source: str
    entity: str
    query: str
    params: Mapping[str, Any] = field(default_factory=dict)
    key_sql: str | None = None


def stage_parts(con: duckdb.DuckDBPyConnection, parts: Sequence[StagePart]) -> list[int]:
    """Append inputs to the stage in one statement, each with its key and md5.

    One statement because DuckDB reads the inputs of a UNION ALL in parallel: a Parquet file
    written as one row group is read by one thread, so file by file a load used one core. The key
    and hash are computed here, while the input is read, so the merge only compares and copies.
    A failing statement stages nothing. Returns each part's number (`ord >> PART_BITS`).
    """
    if not parts:
        return []
    first = con.execute(f"SELECT coalesce(max(ord >> {PART_BITS}) + 1, 0) FROM {STAGE}").fetchone()
    params: dict[str, Any] = {}
    selects = []
    for number, part in enumerate(parts, start=first[0]):
        prefix = f"stage_{number}_"
        key = part.key_sql or key_expression(part.entity)
        selects.append(
            f"SELECT ${prefix}source, ${prefix}entity, payload, origin, ${prefix}base + n, {key}, "
            f"md5(CAST(payload AS VARCHAR)), problem FROM ({part.query}) AS q"
        )
        params |= {
            **part.params,
            f"{prefix}source": part.source,
            f"{prefix}entity": part.entity,
            f"{prefix}base": number << PART_BITS,
        }
    con.execute(f"INSERT INTO {STAGE} " + " UNION ALL ".join(selects), params)
    return list(range(first[0], first[0] + len(parts)))


def stage_query(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    entity: str,
    query: str,
    params: Mapping[str, Any] | None = None,
    key_sql: str | None = None,
) -> None:
    """Append the rows of one input to the stage (see `StagePart` for what `query` yields)."""
    stage_parts(con, [StagePart(source, entity, query, params or {}, key_sql)])


def merge_stage(
    con: duckdb.DuckDBPyConnection, batch_id: str
) -> dict[tuple[str, str], WriteResult]:
    """Merge the staging table into `raw.records`, set-based; returns counts per (source, entity).

    Duplicates of an envelope already stored, and all but the last copy of a duplicate inside the
    stage itself, are skipped. `seq` is the highest stored seq plus the position in the stage:
    strictly increasing across loads and in stage order within one, computed without sorting the
    payloads (`nextval` over an ordered insert did not even follow the order in parallel). Older
    warehouses may still hold the sequence `raw.record_seq` that numbered them; it is unused.
    """
    base = con.execute("SELECT coalesce(max(seq), 0) FROM raw.records").fetchone()[0]
    staged = con.execute(f"SELECT source, entity, count(*) FROM {STAGE} GROUP BY ALL").fetchall()
    if not staged:
        return {}
    params = {
        "batch_id": batch_id,
        "base": base,
        "sources": sorted({s for s, _, _ in staged}),
        "entities": sorted({e for _, e, _ in staged}),
    }
    with _without_dictionary_compression(con):
        run_sql_file(con, "raw/merge_stage.sql", params)
    inserted = dict(
        ((s, e), n)
        for s, e, n in con.execute(
            "SELECT source, entity, count(*) FROM raw.records WHERE seq > $base GROUP BY ALL",
            {"base": base},
        ).fetchall()
    )
    return {
        (s, e): WriteResult(inserted.get((s, e), 0), n - inserted.get((s, e), 0))
        for s, e, n in staged
    }


@contextmanager
def _without_dictionary_compression(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Write raw without trying dictionary compression, then restore the setting.

    Nearly every raw value is unique (payload, hash, origin, key), so the dictionary analysis
    never pays: without it a large insert took 4.0 s of CPU instead of 5.4-6.8 s at 2,000
    engineers, for a file 3% larger (the constant source, entity and batch columns compress as
    constants anyway).
    """
    previous = con.execute("SELECT current_setting('disabled_compression_methods')").fetchone()[0]
    methods = {m.strip().lower() for m in (previous or "").split(",") if m.strip()} | {"dictionary"}
    con.execute(f"SET disabled_compression_methods = '{','.join(sorted(methods))}'")
    try:
        yield
    finally:
        if previous:
            con.execute("SET disabled_compression_methods = $previous", {"previous": previous})
        else:
            con.execute("RESET disabled_compression_methods")


def stage_records(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    entity: str,
    records: Iterable[Any],
    origin: str | list[str],
    problems: list[str | None] | None = None,
) -> int:
    """Add Python records (e.g. a connector's mapped API objects) to the staging table.

    `origin` is one string for all records or one per record (file:line, request URL);
    `problems` says, per record, why it could not be read (None: it was).
    """
    payloads = [json.dumps(r, default=str, sort_keys=True) for r in records]
    if not payloads:
        return 0
    origins = origin if isinstance(origin, list) else [origin] * len(payloads)
    table = pa.table(
        {
            "payload": pa.array(payloads),
            "origin": pa.array(origins),
            "n": pa.array(range(1, len(payloads) + 1), type=pa.int64()),
            "problem": pa.array(problems or [None] * len(payloads), type=pa.string()),
        }
    )
    con.register("incoming_records", table)
    try:
        stage_query(
            con,
            source=source,
            entity=entity,
            query=(
                "SELECT CAST(payload AS JSON) AS payload, origin, n, problem FROM incoming_records"
            ),
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

"""Publishes the warehouse: the only thing readers (dashboard, report, SQL users) ever open.

A fresh file is written next to the published path, checkpointed (no `.wal` left), fsynced and
swapped in with `os.replace`, so a reader sees the old copy or the new one, never a partial one.
A reader holding the old file keeps reading it (the inode lives until it closes). Marts and
metrics are also written as Parquet for tools that read files.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.paths import Home

PUBLISHED_SCHEMAS = ("core", "marts", "metrics", "meta")
PARQUET_SCHEMAS = ("marts", "metrics")


@dataclass(frozen=True)
class PublishReport:
    path: Path
    tables: int
    bytes: int
    parquet_files: int


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[tuple[str, str | None]]:
    return con.execute(
        "SELECT table_name, comment FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = ? AND NOT temporary "
        "ORDER BY table_name",
        [schema],
    ).fetchall()


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _copy_comments(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, comment: str | None
) -> None:
    """CTAS drops comments: carry the table's and its columns' over (COMMENT binds no values)."""
    if comment:
        con.execute(f"COMMENT ON TABLE pub.{schema}.{table} IS {_quote(comment)}")
    for column, col_comment in con.execute(
        "SELECT column_name, comment FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = ? AND table_name = ? "
        "AND comment IS NOT NULL",
        [schema, table],
    ).fetchall():
        con.execute(f'COMMENT ON COLUMN pub.{schema}.{table}."{column}" IS {_quote(col_comment)}')


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(con: duckdb.DuckDBPyConnection, home: Home) -> PublishReport:
    """Write the stable schemas to a new file and atomically swap it over the published copy."""
    home.ensure()
    target = home.published
    # Never '<file>.tmp': DuckDB spills to that name.
    staging = target.parent / f".staging-{uuid.uuid4().hex}.duckdb"
    count = 0
    con.execute("CHECKPOINT")
    con.execute(f"ATTACH {_quote(str(staging))} AS pub")
    try:
        for schema in PUBLISHED_SCHEMAS:
            tables = _tables(con, schema)
            if not tables:
                continue
            con.execute(f"CREATE SCHEMA pub.{schema}")
            for table, comment in tables:
                con.execute(f"CREATE TABLE pub.{schema}.{table} AS SELECT * FROM {schema}.{table}")
                _copy_comments(con, schema, table, comment)
                count += 1
        con.execute("CHECKPOINT pub")
    finally:
        con.execute("DETACH pub")
    wal = staging.with_name(staging.name + ".wal")
    if wal.exists():  # checkpointed above; a leftover WAL would make the swapped file unopenable
        wal.unlink()
    _fsync(staging)
    os.replace(staging, target)
    stale_wal = target.with_name(target.name + ".wal")
    if stale_wal.exists():
        stale_wal.unlink()
    _fsync(target.parent)
    parquet = _export_parquet(con, home)
    return PublishReport(target, count, target.stat().st_size, parquet)


def _export_parquet(con: duckdb.DuckDBPyConnection, home: Home) -> int:
    """Write marts and metrics as Parquet into a new folder, then swap it in."""
    final = home.parquet_dir
    fresh = final.with_name(f".parquet-{uuid.uuid4().hex}")
    fresh.mkdir(parents=True)
    files = 0
    for schema in PARQUET_SCHEMAS:
        for table, _ in _tables(con, schema):
            out = fresh / f"{schema}.{table}.parquet"
            con.execute(f"COPY {schema}.{table} TO {_quote(str(out))} (FORMAT parquet)")
            files += 1
    old = final.with_name(f".parquet-old-{uuid.uuid4().hex}")
    if final.exists():
        os.replace(final, old)
    os.replace(fresh, final)
    shutil.rmtree(old, ignore_errors=True)
    return files

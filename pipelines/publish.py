"""Publishes the warehouse: the only thing readers (dashboard, report, SQL users) ever open.

Layout of `<PAVED_HOME>/published/` (the paths readers open never change):

    current -> .v-<id>                        the published version (a relative symlink)
    previous -> .v-<id0>                      the version it replaced, kept until the next publish
    paved.duckdb -> current/paved.duckdb      `Home.published`
    parquet -> current/parquet                `Home.parquet_dir`
    .v-<id>/paved.duckdb, .v-<id>/parquet/    one complete version: DuckDB file and its Parquet

Why: the DuckDB file and its Parquet must change as one (a reader never sees one newer than the
other), and two files cannot be renamed atomically together. So each publish writes a fresh
version folder (the DuckDB file checkpointed with no `.wal` left, the marts and metrics as
Parquet, everything fsynced), then swaps `current` with one `os.replace` of a new symlink: the
only step a reader can observe, and atomic. `os.stat`, `is_file()` and DuckDB all follow the
symlinks, so a new publish is a new inode for caches keyed on the file's identity. A tool that
reads several Parquet files and wants them from one version resolves `published/current` once.

Why the previous version is kept until the next publish: DuckDB resolves the path to the real
file before it opens it, so a reader that resolved it just before a swap opens the old version a
moment later; removing that at once made such readers fail (measured: a reader looping against
back-to-back publishes failed within seconds). A reader that holds an old file keeps its inode
whatever happens. The cost is one more published copy on disk between two publishes.

Crash safety: a kill at any point before the swap leaves the previous version published, whole;
after it, the new one. What a killed publish leaves behind (a half-written `.v-*` folder, a
temporary `.link-*` symlink, and the names the single-file layout used, `.staging-*` with its
`.wal` and `.parquet-*`) is removed at the start of the next publish, under an exclusive `flock` of
the `published/` folder that every publish holds: a leftover can never belong to a publish in
progress, and a dead publisher's lock dies with it. Only those names are touched; anything else in
the folder (a reader's spill directory, a user's file) is left alone.

A home published by the single-file layout (a regular `paved.duckdb`, a real `parquet/` folder) is
migrated by its next publish: the file is replaced by the symlink atomically; the folder is moved
aside, then the symlink takes its place (that one publish has a brief moment with no `parquet/`).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.faults import crash_point
from pipelines.paths import Home
from pipelines.sqlfiles import run_sql_file

PUBLISHED_SCHEMAS = ("core", "marts", "metrics", "meta")
PARQUET_SCHEMAS = ("marts", "metrics")

CURRENT = "current"
PREVIOUS = "previous"
DB_NAME = "paved.duckdb"
PARQUET_NAME = "parquet"
VERSION_PREFIX = ".v-"
LINK_PREFIX = ".link-"
LEFTOVER_PREFIXES = (VERSION_PREFIX, LINK_PREFIX, ".staging-", ".parquet-")
"""Names only publish creates: whatever of these is not the current version is a leftover."""
FINISH_RUN_SQL = "meta/run_finished.sql"


@dataclass(frozen=True)
class PublishReport:
    path: Path
    tables: int
    bytes: int
    parquet_files: int


def current_version(home: Home) -> Path | None:
    """The version folder `published/current` points to, or None before the first publish."""
    return _version(home.published.parent / CURRENT)


def _version(link: Path) -> Path | None:
    try:
        target = os.readlink(link)
    except OSError:
        return None
    version = link.parent / target
    return version if version.is_dir() else None


def leftovers(home: Home) -> list[Path]:
    """Entries of `published/` that a killed publish left behind (removed by the next publish):
    names only publish creates, other than the current and the previous version."""
    folder = home.published.parent
    if not folder.is_dir():
        return []
    keep = {_version(folder / CURRENT), _version(folder / PREVIOUS)}
    return sorted(
        entry
        for entry in folder.iterdir()
        if entry.name.startswith(LEFTOVER_PREFIXES) and entry not in keep
    )


def publish(con: duckdb.DuckDBPyConnection, home: Home, run_id: str | None = None) -> PublishReport:
    """Write a new version (DuckDB file and Parquet) and swap it in as one.

    With `run_id`, the run is recorded successful (`meta/run_finished.sql`) in the new copy before
    it is written and in the working warehouse once the swap is done, so a run killed during
    publishing is never recorded as a success.
    """
    home.ensure()
    folder = home.published.parent
    with _exclusive(folder):
        _remove_leftovers(home)
        version = folder / f"{VERSION_PREFIX}{uuid.uuid4().hex}"
        version.mkdir()
        database = version / DB_NAME
        tables = _write_database(con, database, run_id)
        crash_point("publish:duckdb_written")
        parquet = _export_parquet(con, version / PARQUET_NAME)
        _fsync(version)
        crash_point("publish:before_swap")
        _swap(folder, version)
        crash_point("publish:swapped")
        if run_id is not None:
            run_sql_file(con, FINISH_RUN_SQL, {"run_id": run_id})
        _remove_leftovers(home)
    return PublishReport(home.published, tables, database.stat().st_size, parquet)


@contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    """One publish at a time per home: an exclusive flock of the folder, freed on any exit."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _remove_leftovers(home: Home) -> None:
    for entry in leftovers(home):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


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


def _write_database(con: duckdb.DuckDBPyConnection, path: Path, run_id: str | None) -> int:
    """Copy the stable schemas into a new DuckDB file at `path`: checkpointed, no `.wal`, fsynced.

    Never name it `<file>.tmp`: DuckDB spills to that name.
    """
    count = 0
    con.execute("CHECKPOINT")
    working = con.execute("SELECT current_database()").fetchone()[0]
    con.execute(f"ATTACH {_quote(str(path))} AS pub")
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
        if run_id is not None:
            # The same SQL as for the working warehouse, run on the copy (unqualified names
            # resolve in the default catalog).
            con.execute("USE pub")
            try:
                run_sql_file(con, FINISH_RUN_SQL, {"run_id": run_id})
            finally:
                con.execute(f'USE "{working}"')
        con.execute("CHECKPOINT pub")
    finally:
        con.execute("DETACH pub")
    wal = path.with_name(path.name + ".wal")
    if wal.exists():  # checkpointed above; a leftover WAL would make the file unopenable
        wal.unlink()
    _fsync(path)
    return count


def _export_parquet(con: duckdb.DuckDBPyConnection, folder: Path) -> int:
    """Write marts and metrics as Parquet files into `folder` (a new one), each fsynced."""
    folder.mkdir()
    files = 0
    for schema in PARQUET_SCHEMAS:
        for table, _ in _tables(con, schema):
            if files:
                crash_point("publish:between_parquet")
            out = folder / f"{schema}.{table}.parquet"
            con.execute(f"COPY {schema}.{table} TO {_quote(str(out))} (FORMAT parquet)")
            _fsync(out)
            files += 1
    _fsync(folder)
    return files


def _swap(folder: Path, version: Path) -> None:
    """Point `current` at `version` (the atomic step), then make sure the fixed links exist.

    `previous` takes the version `current` pointed to first, so that one is kept (not a leftover)
    while the one before it becomes a leftover.
    """
    replaced = _version(folder / CURRENT)
    if replaced is not None:
        _link(folder / PREVIOUS, replaced.name)
    _link(folder / CURRENT, version.name)
    _link(folder / DB_NAME, f"{CURRENT}/{DB_NAME}")
    _link(folder / PARQUET_NAME, f"{CURRENT}/{PARQUET_NAME}")
    stale_wal = folder / f"{DB_NAME}.wal"  # from someone who opened the copy read-write
    stale_wal.unlink(missing_ok=True)
    _fsync(folder)


def _link(path: Path, target: str) -> None:
    """Make `path` a symlink to `target`, atomically replacing a file or another symlink.

    A real folder (the single-file layout's `parquet/`) cannot be replaced by a rename: it is
    moved aside as a leftover first.
    """
    if path.is_symlink():
        if os.readlink(path) == target:
            return
    elif path.is_dir():
        os.replace(path, path.with_name(f".parquet-old-{uuid.uuid4().hex}"))
    temporary = path.with_name(f"{LINK_PREFIX}{uuid.uuid4().hex}")
    os.symlink(target, temporary)
    os.replace(temporary, path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

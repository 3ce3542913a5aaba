"""Loads a canonical batch folder (contract §1) into the raw layer, exactly as received.

A batch is a folder; each entity is `<entity>.jsonl|.csv|.parquet` or a sub-folder `<entity>/` of
such files. DuckDB reads the files (set-based, no Python loop per record), all of them in one
statement so they are read in parallel; a JSON Lines file with a line that is not JSON is re-read
line by line so the good lines load and the bad ones reach the quarantine with their line number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.contract import ENTITY_BY_NAME
from pipelines.raw import (
    StagePart,
    WriteResult,
    ensure_raw,
    key_from_columns,
    merge_stage,
    quote,
    stage_parts,
    stage_records,
    start_stage,
)

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
SOURCE = "inbox"


class InboxError(ValueError):
    """A batch that cannot be read at all; the message names the file and what to do."""


@dataclass
class InboxReport:
    """What one inbox load did, per entity, for the run summary."""

    folder: Path
    batch_id: str
    files: list[Path] = field(default_factory=list)
    results: dict[str, WriteResult] = field(default_factory=dict)
    unknown_entities: list[str] = field(default_factory=list)
    skipped_files: list[Path] = field(default_factory=list)

    @property
    def inserted(self) -> int:
        return sum(r.inserted for r in self.results.values())

    @property
    def unchanged(self) -> int:
        return sum(r.unchanged for r in self.results.values())


def discover(folder: Path) -> tuple[list[tuple[str, Path]], list[Path]]:
    """(entity, file) pairs in a batch folder, and files that are not in a known format."""
    if not folder.is_dir():
        raise InboxError(
            f"inbox {folder} is not a folder: pass a folder of <entity>.jsonl/.csv/.parquet files"
        )
    found: list[tuple[str, Path]] = []
    skipped: list[Path] = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            for file in sorted(entry.rglob("*")):
                if file.is_file() and not file.name.startswith("."):
                    if file.suffix in FORMATS:
                        found.append((entry.name, file))
                    else:
                        skipped.append(file)
        elif entry.suffix in FORMATS:
            found.append((entry.stem, entry))
        else:
            skipped.append(entry)
    return found, skipped


def _stage_files(con: duckdb.DuckDBPyConnection, files: list[tuple[str, Path]]) -> None:
    """Stage every file of a batch in one statement, so DuckDB reads them in parallel; when that
    fails, stage them one by one, which names the unreadable file or reads a JSON Lines file
    with a broken line line by line."""
    parts = [
        _file_part(con, entity, file, f"f{number}_") for number, (entity, file) in enumerate(files)
    ]
    try:
        stage_parts(con, parts)
    except duckdb.Error:
        for entity, file in files:
            _stage_file(con, entity, file)


def _stage_file(con: duckdb.DuckDBPyConnection, entity: str, file: Path) -> None:
    """Stage one file; a broken JSON Lines file is read line by line, any other failure is an
    `InboxError` naming the file."""
    fmt = FORMATS[file.suffix]
    try:
        stage_parts(con, [_file_part(con, entity, file, "")])
    except duckdb.Error as exc:
        if fmt == "jsonl":
            _stage_jsonl_line_by_line(con, entity, file)
            return
        first = str(exc).splitlines()[0]
        raise InboxError(
            f"{file}: cannot read this {fmt} file ({first}); fix or remove it"
        ) from exc


def _file_part(con: duckdb.DuckDBPyConnection, entity: str, file: Path, prefix: str) -> StagePart:
    """How to stage one file: each row as its JSON envelope, its file:line, its position, and
    (CSV, Parquet) its key read from its own columns. Parameters are named `<prefix>path`.

    Parquet numbers rows with the reader's `file_row_number` and packs the row without it, which
    is `to_json(t)` byte for byte with no window over the rows. CSV and JSON Lines (and a Parquet
    file with its own `file_row_number` column) number rows with `row_number() OVER ()`, in file
    order; CSV data rows start on line 2, after the header.
    """
    fmt = FORMATS[file.suffix]
    path = f"${prefix}path"
    params = {f"{prefix}path": str(file)}
    if fmt == "jsonl":
        query = (
            f"SELECT json AS payload, {path} || ':' || row_number() OVER () AS origin, "
            f"row_number() OVER () AS n FROM read_ndjson_objects({path})"
        )
        return StagePart(SOURCE, entity, query, params)
    if fmt == "csv":
        reader = f"read_csv({path}, all_varchar = true, header = true)"
    else:
        reader = f"read_parquet({path})"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {reader}", params).fetchall()
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise InboxError(
            f"{file}: cannot read this {fmt} file ({first}); fix or remove it"
        ) from exc
    columns = {name: kind for name, kind, *_ in described}
    key_sql, key_columns = key_from_columns(entity, columns)
    keys = "".join(f", {c}" for c in key_columns)
    if fmt == "parquet" and "file_row_number" not in {c.lower() for c in columns}:
        packed = ", ".join(f"{quote(c)} := t.{quote(c)}" for c in columns)
        query = (
            f"SELECT to_json(struct_pack({packed})) AS payload, "
            f"{path} || ':' || (file_row_number + 1) AS origin, file_row_number + 1 AS n{keys} "
            f"FROM read_parquet({path}, file_row_number = true) t"
        )
    else:
        line = "row_number() OVER () + 1" if fmt == "csv" else "row_number() OVER ()"
        query = (
            f"SELECT to_json(t) AS payload, {path} || ':' || ({line}) AS origin, "
            f"row_number() OVER () AS n{keys} FROM {reader} t"
        )
    return StagePart(SOURCE, entity, query, params, key_sql)


def _stage_jsonl_line_by_line(con: duckdb.DuckDBPyConnection, entity: str, file: Path) -> None:
    """Slow path, only for a file with broken lines: each bad line is kept as a JSON string,
    which the core build quarantines as 'not a JSON object' with its file and line."""
    records: list[object] = []
    origins: list[str] = []
    with file.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                records.append(line.rstrip("\n"))
            origins.append(f"{file}:{number}")
    stage_records(con, source=SOURCE, entity=entity, records=records, origin=origins)


def load_inbox(con: duckdb.DuckDBPyConnection, folder: Path, batch_id: str) -> InboxReport:
    """Load every file of a batch folder into raw in one transaction: all of it or nothing."""
    folder = Path(folder)
    files, skipped = discover(folder)
    report = InboxReport(folder=folder, batch_id=batch_id, skipped_files=skipped)
    ensure_raw(con)
    start_stage(con)  # staging is session-local: a file that fails here leaves raw untouched
    _stage_files(con, files)
    report.files.extend(file for _, file in files)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "INSERT INTO meta.batches VALUES ($id, now()::TIMESTAMP, 'inbox', $detail)",
            {"id": batch_id, "detail": json.dumps({"folder": str(folder)})},
        )
        merged = merge_stage(con, batch_id)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    report.results = {e: r for (_, e), r in merged.items()}
    report.unknown_entities = sorted(e for e in report.results if e not in ENTITY_BY_NAME)
    return report

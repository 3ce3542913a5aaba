"""Loads a canonical batch folder (contract §1) into the raw layer, exactly as received.

A batch is a folder; each entity is `<entity>.jsonl|.csv|.parquet` or a sub-folder `<entity>/` of
such files. DuckDB reads the files (set-based, no Python loop per record); a JSON Lines file with
a line that is not JSON is re-read line by line so the good lines load and the bad ones reach the
quarantine with their line number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.contract import ENTITY_BY_NAME
from pipelines.raw import STAGE, WriteResult, ensure_raw, merge_stage, stage_records, start_stage

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


def _stage_file(con: duckdb.DuckDBPyConnection, entity: str, file: Path) -> None:
    fmt = FORMATS[file.suffix]
    params = {"entity": entity, "path": str(file), "origin": str(file)}
    if fmt == "jsonl":
        try:
            con.execute(
                f"INSERT INTO {STAGE} SELECT '{SOURCE}', $entity, json, "
                "$origin || ':' || row_number() OVER (), "
                f"(SELECT count(*) FROM {STAGE}) + row_number() OVER () "
                "FROM read_ndjson_objects($path)",
                params,
            )
        except duckdb.Error:
            _stage_jsonl_line_by_line(con, entity, file)
        return
    reader = (
        "read_csv($path, all_varchar = true, header = true)"
        if fmt == "csv"
        else ("read_parquet($path)")
    )
    # CSV: data rows start on line 2 (after the header); Parquet: the row number.
    offset = 1 if fmt == "csv" else 0
    try:
        con.execute(
            f"INSERT INTO {STAGE} SELECT '{SOURCE}', $entity, to_json(t), "
            f"$origin || ':' || (row_number() OVER () + {offset}), "
            f"(SELECT count(*) FROM {STAGE}) + row_number() OVER () FROM {reader} t",
            params,
        )
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise InboxError(
            f"{file}: cannot read this {fmt} file ({first}); fix or remove it"
        ) from exc


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
    for entity, file in files:
        _stage_file(con, entity, file)
        report.files.append(file)
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

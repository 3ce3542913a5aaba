"""Loads a canonical batch folder (contract §1) into the raw layer, exactly as received.

A batch is a folder; each entity is `<entity>.jsonl|.csv|.parquet` or a sub-folder `<entity>/` of
such files. DuckDB reads the files (set-based, no Python loop per record), all of them in one
statement so they are read in parallel.

A bad record costs that record only (contract §1, input hygiene). JSON Lines and CSV are read by
DuckDB's CSV reader with its rejects table, so a line with invalid UTF-8, broken quoting, the
wrong number of columns or an absurd length is set aside with its line and byte offset while the
rest of the file loads; a JSON Lines file is read one line per row and each line is checked for
valid JSON. A file that cannot be read at all (a 0-byte or truncated Parquet file, an undecodable
CSV header) becomes one envelope naming the file and the cause. Such envelopes carry `problem`,
and the core build quarantines them, so every count of bad input comes from one place.
Only a CSV file with an unterminated quote is read line by line in Python: RFC 4180 lets a quoted
field span lines, so DuckDB (rightly) reads the rest of the file as one broken field.

What the loader does not load, or loads but does not know (an unknown entity, extension or
field, a link leaving the inbox, two versions of one key in the batch), is a `Finding`: kept in
`meta.inbox_findings` and reported by the run.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.contract import ENTITY_BY_NAME
from pipelines.faults import crash_point
from pipelines.raw import (
    PART_BITS,
    STAGE,
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
MAX_LINE_BYTES = 4 << 20  # a longer line is not read: quarantined with its line number
KEPT_BYTES = 64 << 10  # how much of an unreadable line raw keeps (as escaped text)
REJECTS, REJECT_SCANS = "inbox_rejects", "inbox_reject_scans"
UNIT_SEPARATOR = "\x1f"  # the JSON Lines reader's column delimiter: never valid inside JSON text
_ROW = (1 << PART_BITS) - 1
CONFLICT_EXAMPLES = 20  # key conflicts listed one by one per entity; the rest are counted


class InboxError(ValueError):
    """A batch that cannot be read at all; the message names the folder and what to do."""


class UnreadableFile(Exception):
    """A file none of whose records can be read; the message is the cause."""


@dataclass(frozen=True)
class Finding:
    """Something about a batch that a person should hear about; never an error.

    kind: unknown_entity, unknown_field, unknown_extension, outside_link, not_a_file,
    key_conflict.
    """

    kind: str
    file: str
    entity: str | None = None
    detail: str = ""
    records: int = 1

    def sentence(self) -> str:
        return f"{self.file}: {self.detail}"


@dataclass
class InboxReport:
    """What one inbox load did, per entity, for the run summary."""

    folder: Path
    batch_id: str
    files: list[Path] = field(default_factory=list)
    results: dict[str, WriteResult] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    unreadable: int = 0  # envelopes the loader could not read (lines, rows or whole files)

    @property
    def inserted(self) -> int:
        return sum(r.inserted for r in self.results.values())

    @property
    def unchanged(self) -> int:
        return sum(r.unchanged for r in self.results.values())

    @property
    def unknown_entities(self) -> list[str]:
        return sorted({f.entity for f in self.findings if f.kind == "unknown_entity" and f.entity})


@dataclass(frozen=True)
class BatchFile:
    entity: str
    path: Path
    fmt: str


def _entity_name(stem: str) -> str:
    """File and folder names name entities case-insensitively (`Deployments.JSONL` is one)."""
    lower = stem.lower()
    return lower if lower in ENTITY_BY_NAME else stem


def discover(folder: Path) -> tuple[list[BatchFile], list[Finding]]:
    """The files of a batch folder to read, and findings about those it will not read.

    Links are followed only while they stay inside the folder; anything that is not a regular
    file (a FIFO would block the run) or not in a known format is reported, not read.
    """
    if not folder.is_dir():
        raise InboxError(
            f"inbox {folder} is not a folder: pass a folder of <entity>.jsonl/.csv/.parquet files"
        )
    root = os.path.realpath(folder)
    files: list[BatchFile] = []
    findings: list[Finding] = []

    def leaves_inbox(path: Path) -> bool:
        real = os.path.realpath(path)
        return real != root and not real.startswith(root + os.sep)

    def consider(path: Path, entity: str) -> None:
        if path.is_symlink() and leaves_inbox(path):
            target = os.readlink(path)
            findings.append(
                Finding(
                    "outside_link",
                    str(path),
                    entity,
                    f"links to {target}, outside the "
                    "inbox folder; not read (copy the file into the inbox instead)",
                )
            )
            return
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            findings.append(Finding("not_a_file", str(path), entity, f"cannot be opened ({exc})"))
            return
        if stat.S_ISDIR(mode):
            if path.is_symlink():
                findings.append(
                    Finding("not_a_file", str(path), entity, "a linked folder; not followed")
                )
                return
            for child in sorted(path.iterdir()):
                if not child.name.startswith("."):
                    consider(child, entity)
            return
        if not stat.S_ISREG(mode):
            findings.append(
                Finding("not_a_file", str(path), entity, "not a regular file; not read")
            )
            return
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            findings.append(
                Finding(
                    "unknown_extension",
                    str(path),
                    entity,
                    "not .jsonl, .ndjson, .csv or .parquet; not read",
                )
            )
            return
        files.append(BatchFile(entity, path, fmt))

    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        is_dir = entry.is_dir() and not entry.is_symlink()
        consider(entry, _entity_name(entry.name if is_dir else entry.stem))
    return files, findings


def _first_line(error: duckdb.Error | Exception) -> str:
    return next((line for line in str(error).splitlines() if line.strip()), type(error).__name__)


def _csv_header(file: Path) -> list[str]:
    """The CSV's column names, read by Python's csv module from the first line."""
    with file.open("rb") as handle:
        raw = handle.readline(MAX_LINE_BYTES)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"the header line is not UTF-8 (byte offset {exc.start}); re-export the file as UTF-8"
        ) from exc
    try:
        header = next(csv.reader([text.rstrip("\r\n")], strict=True))
    except (csv.Error, StopIteration) as exc:
        raise UnreadableFile(f"the header line cannot be parsed as CSV ({exc})") from exc
    names = [h.strip() for h in header]
    if not any(names):
        raise UnreadableFile("the header line names no columns")
    if "" in names:
        raise UnreadableFile(f"column {names.index('') + 1} of the header has no name")
    lowered = [n.lower() for n in names]
    duplicates = sorted({n for n in names if lowered.count(n.lower()) > 1})
    if duplicates:
        raise UnreadableFile(f"the header names {', '.join(duplicates)} more than once")
    return names


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _file_part(
    con: duckdb.DuckDBPyConnection, item: BatchFile, prefix: str
) -> tuple[StagePart | None, list[str]]:
    """How to stage one file (None: nothing to read) and, for CSV and Parquet, its columns;
    `UnreadableFile` when it cannot be read.

    Each row becomes its JSON envelope, its file:line, its position `n` among the rows the reader
    returned and, for CSV and Parquet, its key read from its own columns. Rows set aside by the
    CSV reader are in its rejects table; `_fix_origins` shifts the lines after them.
    """
    file, entity, fmt = item.path, item.entity, item.fmt
    path = f"${prefix}path"
    params = {f"{prefix}path": str(file)}
    rejects = (
        f"store_rejects = true, rejects_table = '{REJECTS}', rejects_scan = '{REJECT_SCANS}', "
        f"max_line_size = {MAX_LINE_BYTES}"
    )
    if fmt == "jsonl":
        reader = (
            f"read_csv({path}, columns = {{'line': 'VARCHAR'}}, header = false, "
            f"auto_detect = false, delim = '{UNIT_SEPARATOR}', quote = '', escape = '', "
            f"strict_mode = false, {rejects})"
        )
        query = (  # each line is parsed once: try_cast gives NULL for a line that is not JSON
            f"SELECT coalesce(j, to_json(line)) AS payload, {path} || ':' || n AS origin, n, "
            "CASE WHEN j IS NULL THEN 'not valid JSON (a syntax error, a raw control "
            "character or an escaped lone surrogate); fix the line' END AS problem "
            "FROM (SELECT line, try_cast(line AS JSON) AS j, n FROM "
            f"(SELECT line, row_number() OVER () AS n FROM {reader}) WHERE trim(line) <> '')"
        )
        return StagePart(SOURCE, entity, query, params), []
    if fmt == "csv":
        if file.stat().st_size == 0:
            return None, []
        names = _csv_header(file)
        columns = ", ".join(f"{_sql_text(n)}: 'VARCHAR'" for n in names)
        reader = (
            f"read_csv({path}, columns = {{{columns}}}, header = true, auto_detect = false, "
            "delim = ',', quote = '\"', escape = '\"', strict_mode = true, "
            f"{rejects})"
        )
        line = "row_number() OVER () + 1"
    else:
        reader = f"read_parquet({path})"
        line = "row_number() OVER ()"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {reader}", params).fetchall()
    except duckdb.Error as exc:
        raise UnreadableFile(_first_line(exc)) from exc
    columns_of = {name: kind for name, kind, *_ in described}
    key_sql, key_columns = key_from_columns(entity, columns_of)
    keys = "".join(f", {c}" for c in key_columns)
    if fmt == "parquet" and "file_row_number" not in {c.lower() for c in columns_of}:
        packed = ", ".join(f"{quote(c)} := t.{quote(c)}" for c in columns_of)
        query = (
            f"SELECT to_json(struct_pack({packed})) AS payload, "
            f"{path} || ':' || (file_row_number + 1) AS origin, file_row_number + 1 AS n, "
            f"NULL AS problem{keys} FROM read_parquet({path}, file_row_number = true) t"
        )
    else:
        query = (
            f"SELECT to_json(t) AS payload, {path} || ':' || ({line}) AS origin, "
            f"row_number() OVER () AS n, NULL AS problem{keys} FROM {reader} t"
        )
    return StagePart(SOURCE, entity, query, params, key_sql), list(columns_of)


@dataclass(frozen=True)
class Reject:
    """One line or row the CSV reader set aside."""

    file: str
    line: int  # the reader's line: physical for JSON Lines, the record (header = 1) for CSV
    line_start: int  # byte offset of the line
    error_type: str
    message: str


def _drop_rejects(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP TABLE IF EXISTS {REJECTS}")
    con.execute(f"DROP TABLE IF EXISTS {REJECT_SCANS}")


def _rejects(con: duckdb.DuckDBPyConnection) -> list[Reject]:
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND temporary", [REJECTS]
    ).fetchone()[0]
    if not exists:
        return []
    rows = con.execute(
        f"SELECT s.file_path, e.line, min(e.line_byte_position), "
        f"string_agg(DISTINCT e.error_type, ', '), min(e.error_message) "
        f"FROM {REJECTS} e JOIN {REJECT_SCANS} s USING (scan_id, file_id) "
        "GROUP BY ALL ORDER BY 1, 2"
    ).fetchall()
    return [Reject(f, int(line), int(start or 0), kind, msg) for f, line, start, kind, msg in rows]


def _read_lines(file: Path, offsets: list[int]) -> list[tuple[int, bytes]]:
    """The lines holding each byte offset (the reader's line offset, which for CSV can point one
    past the line's start): where each starts, and its bytes without the end of line (at most
    KEPT_BYTES + 1, enough to tell that it was cut)."""
    lines: list[tuple[int, bytes]] = []
    with file.open("rb") as handle:
        for near in offsets:
            back = max(0, near - 4096)
            handle.seek(back)
            before = handle.read(near - back)
            start = back + before.rfind(b"\n") + 1 if b"\n" in before else back
            handle.seek(start)
            lines.append((start, handle.readline(KEPT_BYTES + 1).rstrip(b"\r\n")))
    return lines


def _as_text(raw: bytes) -> str:
    """Bytes as text, never silently changed: an undecodable byte shows as `\\xNN`."""
    text = raw[:KEPT_BYTES].decode("utf-8", errors="backslashreplace")
    return text + (" [... cut: the line is longer]" if len(raw) > KEPT_BYTES else "")


def _reject_problem(item: BatchFile, reject: Reject, start: int, raw: bytes) -> str:
    where = f"line {reject.line}" if item.fmt == "jsonl" else f"row {reject.line}"
    if "INVALID ENCODING" in reject.error_type:
        try:
            raw.decode("utf-8")
            offset = start
        except UnicodeDecodeError as exc:
            offset = start + exc.start
        return (
            f"{where}: invalid UTF-8 at byte offset {offset}; bytes are never replaced: "
            "re-export the file as UTF-8"
        )
    if "LINE SIZE OVER MAXIMUM" in reject.error_type:
        return f"{where}: longer than {MAX_LINE_BYTES:,} bytes; not read"
    if item.fmt == "jsonl":
        return f"{where}: contains a byte the reader refuses (e.g. a NUL); fix the line"
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", reject.message)
    if counts:
        return f"{where} (byte offset {start}): expected {counts[1]} columns, found {counts[2]}"
    return f"{where} (byte offset {start}): {reject.message}; fix the row's quoting"


def _fix_origins(
    con: duckdb.DuckDBPyConnection, shifted: list[tuple[BatchFile, int, list[int]]]
) -> None:
    """The reader numbers only the rows it returned; shift each past the lines set aside.

    For each (file, part, set-aside lines): with the set-aside lines r_1 < r_2 < ... (as data
    rows), a returned row n lies after r_i when r_i - i < n, so its data row is
    n + #{i : r_i - i < n}. One statement for every file; rows before a file's first set-aside
    line match no gap in the ASOF join and keep their origin.
    """
    if not shifted:
        return
    gaps: list[tuple[int, int, int]] = []
    parts: list[tuple[int, str, int]] = []
    for item, part, rejected in shifted:
        header = 1 if item.fmt == "csv" else 0
        parts.append((part, str(item.path), header))
        for rank, line in enumerate(sorted(rejected), start=1):
            gaps.append((part, line - header - rank, rank))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE inbox_gaps AS SELECT part, gap, max(shift) AS shift FROM ("
        "SELECT unnest($parts) AS part, unnest($gaps) AS gap, unnest($shifts) AS shift) "
        "GROUP BY ALL",
        {
            "parts": [g[0] for g in gaps],
            "gaps": [g[1] for g in gaps],
            "shifts": [g[2] for g in gaps],
        },
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE inbox_shifted AS SELECT unnest($parts) AS part, "
        "unnest($paths) AS path, unnest($headers) AS header",
        {
            "parts": [p[0] for p in parts],
            "paths": [p[1] for p in parts],
            "headers": [p[2] for p in parts],
        },
    )
    # The positions are taken out of the stage first: an ASOF join straight over the stage was
    # 45x slower (4.4 s against 0.1 s for 1 M staged rows, 7 files with set-aside lines).
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE inbox_rows AS SELECT ord, ord >> {PART_BITS} AS part, "
        f"ord & {_ROW} AS row FROM {STAGE} WHERE ord >> {PART_BITS} IN "
        "(SELECT part FROM inbox_shifted)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE inbox_fixed AS "
        "SELECT r.ord, p.path || ':' || (r.row + g.shift + p.header) AS origin "
        "FROM inbox_rows r JOIN inbox_shifted p USING (part) "
        "ASOF JOIN inbox_gaps g ON g.part = r.part AND r.row > g.gap"
    )
    con.execute(f"UPDATE {STAGE} AS s SET origin = f.origin FROM inbox_fixed f WHERE s.ord = f.ord")
    con.execute("DROP TABLE inbox_rows")
    con.execute("DROP TABLE inbox_fixed")
    con.execute("DROP TABLE inbox_gaps")
    con.execute("DROP TABLE inbox_shifted")


def _unreadable_file(item: BatchFile, cause: str) -> tuple[dict, str]:
    """The envelope of a file none of whose records can be read: what it was, and why."""
    digest = hashlib.sha256()
    size = 0
    with item.path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    record = {"file": str(item.path), "bytes": size, "sha256": digest.hexdigest()}
    problem = (
        f"cannot read this {item.fmt} file ({cause}); every other file of the batch loaded: "
        "fix or re-export this one and run again"
    )
    return record, problem


def _csv_line_by_line(item: BatchFile) -> tuple[list, list[str], list[str | None]]:
    """Read a CSV file with an unterminated quote one physical line per row: each line that
    parses alone with the header's number of columns is a record; every other line is set aside
    with its line and byte offset. (A quoted field spanning lines cannot be told from a missing
    quote, so in such a file it is set aside too.)"""
    names = _csv_header(item.path)
    records: list[object] = []
    origins: list[str] = []
    problems: list[str | None] = []
    offset = 0
    with item.path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            start, offset = offset, offset + len(raw)
            line = raw.rstrip(b"\r\n")
            if number == 1 or not line.strip():
                continue
            origins.append(f"{item.path}:{number}")
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                records.append(_as_text(line))
                problems.append(
                    f"line {number}: invalid UTF-8 at byte offset {start + exc.start}; bytes "
                    "are never replaced: re-export the file as UTF-8"
                )
                continue
            try:
                values = next(csv.reader([text], strict=True))
            except csv.Error as exc:
                records.append(text)
                problems.append(
                    f"line {number} (byte offset {start}): quoting cannot be parsed ({exc}); "
                    "fix the row's quotes"
                )
                continue
            if len(values) != len(names):
                records.append(text)
                problems.append(
                    f"line {number} (byte offset {start}): expected {len(names)} columns, "
                    f"found {len(values)}"
                )
                continue
            records.append(
                {n: (v if v != "" else None) for n, v in zip(names, values, strict=True)}
            )
            problems.append(None)
    return records, origins, problems


@dataclass
class Staged:
    """What staging a batch did: envelopes carrying a `problem`, and the staged parts whose
    fields are their file's columns (CSV and Parquet: part number -> file, columns)."""

    problems: int = 0
    columnar: dict[int, tuple[BatchFile, list[str]]] = field(default_factory=dict)


def _stage_files(con: duckdb.DuckDBPyConnection, files: list[BatchFile]) -> Staged:
    """Stage every file of a batch.

    All files go in one statement, so DuckDB reads them in parallel; if that statement fails
    (a file that fails only while its rows are read), each file is staged alone and a file that
    still fails becomes one envelope naming it.
    """
    _drop_rejects(con)
    unreadable: list[tuple[BatchFile, str]] = []
    parts: list[tuple[BatchFile, StagePart]] = []
    columns: dict[Path, list[str]] = {}
    for number, item in enumerate(files):
        try:
            part, columns[item.path] = _file_part(con, item, f"f{number}_")
        except (UnreadableFile, OSError) as exc:
            unreadable.append((item, str(exc)))
            continue
        if part is not None:
            parts.append((item, part))
    numbers: dict[Path, int] = {}
    line_by_line: list[BatchFile] = []
    try:
        for (item, _), number in zip(parts, stage_parts(con, [p for _, p in parts]), strict=True):
            numbers[item.path] = number
    except duckdb.Error:
        _drop_rejects(con)
        for item, part in parts:
            try:
                numbers[item.path] = stage_parts(con, [part])[0]
            except duckdb.Error as exc:
                if item.fmt == "csv":  # e.g. mixed line endings: Python reads it line by line
                    line_by_line.append(item)
                else:
                    unreadable.append((item, _first_line(exc)))
    by_path = {str(item.path): item for item, _ in parts}
    set_aside: dict[str, list[Reject]] = {}
    for reject in _rejects(con):
        set_aside.setdefault(reject.file, []).append(reject)
    problems = 0
    shifted: list[tuple[BatchFile, int, list[int]]] = []
    for path, rejects in set_aside.items():
        item = by_path[path]
        part = numbers[item.path]
        if item.fmt == "csv" and any("UNQUOTED VALUE" in r.error_type for r in rejects):
            con.execute(f"DELETE FROM {STAGE} WHERE ord >> {PART_BITS} = ?", [part])
            line_by_line.append(item)
            continue
        shifted.append((item, part, [r.line for r in rejects]))
        lines = _read_lines(item.path, [r.line_start for r in rejects])
        stage_records(
            con,
            source=SOURCE,
            entity=item.entity,
            records=[_as_text(raw) for _, raw in lines],
            origin=[f"{item.path}:{r.line}" for r in rejects],
            problems=[
                _reject_problem(item, r, start, raw)
                for r, (start, raw) in zip(rejects, lines, strict=True)
            ],
        )
        problems += len(rejects)
    _fix_origins(con, shifted)
    for item in line_by_line:
        records, origins, line_problems = _csv_line_by_line(item)
        stage_records(
            con,
            source=SOURCE,
            entity=item.entity,
            records=records,
            origin=origins,
            problems=line_problems,
        )
        problems += sum(p is not None for p in line_problems)
    for item, cause in unreadable:
        record, problem = _unreadable_file(item, cause)
        stage_records(
            con,
            source=SOURCE,
            entity=item.entity,
            records=[record],
            origin=str(item.path),
            problems=[problem],
        )
        problems += 1
    _drop_rejects(con)
    staged = Staged(problems)
    for item, _ in parts:
        if item.fmt != "jsonl" and item.path in numbers and item not in line_by_line:
            staged.columnar[numbers[item.path]] = (item, columns[item.path])
    return staged


def _unknown_fields(con: duckdb.DuckDBPyConnection, staged: Staged) -> list[Finding]:
    """Fields the contract does not know for their entity: read from the columns of CSV and
    Parquet files, and from every JSON record of the other parts."""
    known_fields = {e.name: {f.name for f in e.fields} for e in ENTITY_BY_NAME.values()}
    found: dict[tuple[str, str], list] = {}  # (entity, field) -> [records, example file]
    rows = dict(
        con.execute(
            f"SELECT ord >> {PART_BITS}, count(*) FROM {STAGE} "
            f"WHERE ord >> {PART_BITS} = ANY($parts) AND problem IS NULL GROUP BY ALL",
            {"parts": sorted(staged.columnar)},
        ).fetchall()
    )
    for part, (item, names) in staged.columnar.items():
        for name in names:
            if item.entity in known_fields and name not in known_fields[item.entity]:
                entry = found.setdefault((item.entity, name), [0, str(item.path)])
                entry[0] += rows.get(part, 0)
    con.execute("CREATE OR REPLACE TEMP TABLE inbox_known_fields (entity VARCHAR, field VARCHAR)")
    con.executemany(
        "INSERT INTO inbox_known_fields VALUES (?, ?)",
        [(entity, name) for entity, names in known_fields.items() for name in names],
    )
    for entity, name, records, example in con.execute(
        f"""
        WITH fields AS (
            SELECT entity, unnest(json_keys(payload)) AS field, origin
            FROM {STAGE}
            WHERE entity = ANY($known) AND problem IS NULL AND json_type(payload) = 'OBJECT'
              AND ord >> {PART_BITS} <> ALL($columnar)
        )
        SELECT f.entity, f.field, count(*), min(regexp_replace(f.origin, ':[0-9]+$', ''))
        FROM fields f ANTI JOIN inbox_known_fields k ON k.entity = f.entity AND k.field = f.field
        GROUP BY ALL
        """,
        {"known": sorted(known_fields), "columnar": sorted(staged.columnar) or [-1]},
    ).fetchall():
        entry = found.setdefault((entity, name), [0, example])
        entry[0] += records
    con.execute("DROP TABLE inbox_known_fields")
    return [
        Finding(
            "unknown_field",
            example,
            entity,
            f"field '{name}' is not in the contract for {entity}: kept in raw.records "
            f"({records} record(s)), not used",
            records,
        )
        for (entity, name), (records, example) in sorted(found.items())
    ]


def _stage_findings(con: duckdb.DuckDBPyConnection, staged: Staged) -> list[Finding]:
    """What the staged batch holds that the contract does not know, and in-batch key conflicts
    (the later version, by file name then line, wins: it has the higher `ord`)."""
    findings: list[Finding] = []
    known = sorted(ENTITY_BY_NAME)
    for entity, files, records in con.execute(
        f"SELECT entity, list(DISTINCT regexp_replace(origin, ':[0-9]+$', '')), count(*) "
        f"FROM {STAGE} WHERE entity <> ALL($known) GROUP BY ALL ORDER BY 1",
        {"known": known},
    ).fetchall():
        findings.append(
            Finding(
                "unknown_entity",
                ", ".join(sorted(files)),
                entity,
                f"'{entity}' is not an entity of the contract: {records} record(s) kept in "
                "raw.records, not used (rename the file if it is one)",
                records,
            )
        )
    findings += _unknown_fields(con, staged)
    conflicts = con.execute(
        f"""
        SELECT entity, record_key, count(DISTINCT payload_hash), min_by(origin, ord),
               max_by(origin, ord), count(*) OVER (PARTITION BY entity)
        FROM {STAGE} WHERE record_key IS NOT NULL AND problem IS NULL
        GROUP BY entity, record_key HAVING count(DISTINCT payload_hash) > 1
        QUALIFY row_number() OVER (PARTITION BY entity ORDER BY record_key) <= $examples
        ORDER BY 1, 2
        """,
        {"examples": CONFLICT_EXAMPLES},
    ).fetchall()
    for entity, key, versions, first, last, _ in conflicts:
        findings.append(
            Finding(
                "key_conflict",
                last,
                entity,
                f"{entity} '{key}' comes {versions} times with different values in this "
                f"batch: {last} wins over {first} (the later file, then line)",
                versions,
            )
        )
    for entity, keys in sorted({(e, n) for e, *_, n in conflicts if n > CONFLICT_EXAMPLES}):
        findings.append(
            Finding(
                "key_conflict",
                "(batch)",
                entity,
                f"{keys - CONFLICT_EXAMPLES:,} more {entity} keys come more than once with "
                "different values in this batch; the later version of each wins",
                keys - CONFLICT_EXAMPLES,
            )
        )
    return findings


def load_inbox(con: duckdb.DuckDBPyConnection, folder: Path, batch_id: str) -> InboxReport:
    """Load every readable record of a batch folder into raw in one transaction."""
    folder = Path(folder)
    files, findings = discover(folder)
    report = InboxReport(folder=folder, batch_id=batch_id)
    ensure_raw(con)
    start_stage(con)  # staging is session-local: a failure here leaves raw untouched
    staged = _stage_files(con, files)
    report.unreadable = staged.problems
    report.files.extend(item.path for item in files)
    report.findings = findings + _stage_findings(con, staged)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "INSERT INTO meta.batches VALUES ($id, now()::TIMESTAMP, 'inbox', $detail)",
            {"id": batch_id, "detail": json.dumps({"folder": str(folder)})},
        )
        merged = merge_stage(con, batch_id)
        if report.findings:
            con.executemany(
                "INSERT INTO meta.inbox_findings VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
                [
                    [batch_id, f.kind, f.entity, f.file, f.detail, f.records]
                    for f in report.findings
                ],
            )
        crash_point("raw:merged")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    report.results = {e: r for (_, e), r in merged.items()}
    return report

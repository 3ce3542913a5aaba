"""Read-only queries on the published copy, safe to hand to a person typing SQL.

Every query runs in a child process of its own (`pipelines.query_child`, started with a minimal
environment: no token, no password), limited by the operating system before DuckDB opens:
`RLIMIT_AS` (the child's own address space at start plus the memory limit), `RLIMIT_CPU`, no
file writes (`RLIMIT_FSIZE` 0) and no core dumps. The parent kills the child at the wall-clock
deadline. Inside, the connection refuses what SQL could do beyond reading the warehouse: no file
or network access, no extensions, no spilling to disk, settings locked, one thread, DuckDB's own
memory limit. On top of that only read statements are accepted, functions that show the server's
settings or paths are refused, rows are capped, and a timer interrupts a long query.

Every refusal is one sentence that says why, with the server's paths replaced by `<home>`. The
CLI (`paved sql`) and the dashboard's SQL page both call `run_query`: one code path.
"""

from __future__ import annotations

import base64
import difflib
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb

ALLOWED = {
    duckdb.StatementType.SELECT,
    duckdb.StatementType.EXPLAIN,
    duckdb.StatementType.PRAGMA,
}
READ_STARTS = {"select", "with", "from", "values", "table", "describe", "summarize", "show"}
"""First words of statements that only read (a parenthesis starts a read too)."""
PIVOTS = {"pivot", "pivot_wider", "unpivot", "pivot_longer"}
"""PIVOT parses as CREATE (DuckDB may make an enum type for it) but only reads."""
_PRAGMA_READ = re.compile(
    r"^\s*pragma\s+(table_info|show|show_tables|show_tables_expanded|database_size|version)\b",
    re.IGNORECASE,
)
REVEALING = frozenset(
    {
        "duckdb_settings",
        "duckdb_databases",
        "duckdb_extensions",
        "duckdb_temporary_files",
        "duckdb_secrets",
        "duckdb_secret_types",
        "which_secret",
        "duckdb_external_file_cache",
        "duckdb_logs",
        "duckdb_logs_parsed",
        "duckdb_log_contexts",
        "duckdb_memory",
        "duckdb_variables",
        "duckdb_prepared_statements",
        "current_setting",
        "getenv",
        "database_list",
        "pragma_database_list",
        "pragma_user_agent",
        "user_agent",
        "pragma_platform",
        "extension_versions",
        "all_profiling_output",
        "enable_logging",
        "disable_logging",
        "write_log",
        "truncate_duckdb_logs",
        "checkpoint",
        "force_checkpoint",
        "import_database",
        "copy_database",
        "query",
        "query_table",
        "json_execute_serialized_sql",
        "json_deserialize_sql",
        # built-in views and macros over the functions above
        "pg_settings",
        "pg_database",
        "pg_prepared_statements",
        "duckdb_profiling_settings",
    }
)
"""Functions (and the built-in views and macros over them) refused by name: they show the
server's settings, paths or environment, change state, or run SQL given as a string (which would
slip past these checks). `SELECT view_name FROM duckdb_views() WHERE internal` and the macros of
`duckdb_functions()` were searched for any that read these."""
PRAGMA_REFUSED = (
    "only PRAGMA table_info, show, show_tables, database_size and version are allowed: "
    "settings cannot be changed and the server's paths stay hidden"
)
CALLED_ONLY = frozenset({"query", "query_table", "checkpoint", "user_agent", "write_log"})
"""Refused names that are also likely column names: refused only when called."""

DEFAULT_MEMORY_LIMIT_GB = 1.0
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_ROWS = 100_000
START_ALLOWANCE_S = 20.0
"""Time for the child to start (imports) before it is killed; not counted in the query's limit."""
KILL_GRACE_S = 1.0
"""The child's own timer interrupts at the limit; the parent kills it this much later."""
MAX_RESULT_BYTES = 256 * 2**20
"""A result larger than this (encoded) is refused rather than read into the caller."""
CHILD_MODULE = "pipelines.query_child"


@dataclass(frozen=True)
class _Statement:
    query: str
    type: Any


class QueryRefused(ValueError):
    """A statement that is not allowed, or a query that failed; the message says why."""

    def __init__(self, message: str, usage: Usage | None = None) -> None:
        super().__init__(message)
        self.usage = usage


@dataclass(frozen=True)
class Usage:
    """What the child process used: peak resident memory, its start-up and the query's time."""

    peak_rss_bytes: int = 0
    startup_s: float = 0.0
    elapsed_s: float = 0.0
    address_space_limit: int = 0
    killed_at_deadline: bool = False
    """The child did not answer by its deadline (its own timer could not interrupt the query)
    and was killed by the parent."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    truncated: bool
    seconds: float
    arrow: bytes = b""
    """The rows as one Arrow IPC stream (types kept: timestamps, lists, decimals)."""
    usage: Usage | None = None


@dataclass(frozen=True)
class SqlLimits:
    """`[sql]` in paved.toml: the limits of every ad-hoc query."""

    memory_limit_gb: float = DEFAULT_MEMORY_LIMIT_GB
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_rows: int = DEFAULT_MAX_ROWS

    def override(self, **given: float | int | None) -> SqlLimits:
        """These limits with the given (not None) values instead, e.g. from CLI flags."""
        return replace(self, **{k: v for k, v in given.items() if v is not None})


def sql_limits(root: Path | None = None, config: Path | None = None) -> SqlLimits:
    """The `[sql]` limits of a home: `config`, else $PAVED_CONFIG, else `<root>/paved.toml`;
    the defaults when there is no file or no `[sql]` table (the file is validated)."""
    from pipelines.config import load_config

    default = root / "paved.toml" if root is not None else None
    chosen = config or os.environ.get("PAVED_CONFIG") or None
    if chosen is None and default is not None and default.is_file():
        chosen = default
    if chosen is None:
        return SqlLimits()
    section = load_config(chosen).raw.get("sql") or {}
    return SqlLimits().override(
        memory_limit_gb=section.get("memory_limit_gb"),
        timeout_s=section.get("timeout_s"),
        max_rows=section.get("max_rows"),
    )


# --- the sandbox (used inside the child) ------------------------------------------------------


def open_sandbox(path: Path, memory_limit: str = "1GB") -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published copy that cannot reach anything else."""
    if not path.is_file():
        raise QueryRefused(
            f"no published warehouse at {path}: run `paved demo` or `paved run --inbox DIR` first"
        )
    con = duckdb.connect(
        str(path),
        read_only=True,
        config={
            "enable_external_access": False,
            "autoload_known_extensions": False,
            "autoinstall_known_extensions": False,
            "allow_community_extensions": False,
            "memory_limit": memory_limit,
            "threads": 1,
            "temp_directory": "",  # never spill to disk: a query writes no file
        },
    )
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET lock_configuration = true")
    return con


def _words(sql: str) -> list[tuple[int, str, duckdb.token_type]]:
    """The statement's tokens (comments skipped) as (position, lower-case text, type)."""
    tokens = duckdb.tokenize(sql)
    out = []
    for i, (start, kind) in enumerate(tokens):
        end = tokens[i + 1][0] if i + 1 < len(tokens) else len(sql)
        text = sql[start:end].strip()
        # A comment between two tokens is part of the slice: keep the token itself only.
        text = re.split(r"\s|--|/\*", text, maxsplit=1)[0] if kind != _STRING else text
        out.append((start, text.lower(), kind))
    return out


_STRING = duckdb.token_type.string_const
_NAMES = (duckdb.token_type.identifier, duckdb.token_type.keyword)


def _revealing(words: list[tuple[int, str, duckdb.token_type]]) -> str | None:
    """The first refused function named in the statement, if any: called, or named without
    parentheses (DuckDB reads `FROM pragma_database_list` as a call)."""
    for i, (_, text, kind) in enumerate(words):
        name = text.strip('"')
        following = words[i + 1][1] if i + 1 < len(words) else ""
        called = following.startswith("(")
        if kind in _NAMES and name in REVEALING and (called or name not in CALLED_ONLY):
            return name
    return None


def check_statement(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """Return the one statement in `sql` if it only reads; raise QueryRefused otherwise."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.PermissionException as exc:  # IMPORT DATABASE reads its files while parsing
        raise QueryRefused(
            f"not allowed: {_first_line(exc)} (queries may read only the warehouse)"
        ) from exc
    except duckdb.Error as exc:
        raise QueryRefused(f"syntax error: {_first_line(exc)}") from exc
    if not statements:
        raise QueryRefused("the query is empty: type one SELECT statement")
    words = _words(sql)
    if words and words[0][1] == "pragma" and not _PRAGMA_READ.match(sql):
        raise QueryRefused(PRAGMA_REFUSED)
    if _desugared_pivot(statements):
        return _check_text(con, sql.strip().rstrip(";"), duckdb.StatementType.SELECT)
    if len(statements) > 1:
        raise QueryRefused("one statement at a time: remove everything after the first ';'")
    return _check_text(con, statements[0].query, statements[0].type)


def _desugared_pivot(statements: list[Any]) -> bool:
    """A PIVOT without an IN list parses as CREATE TYPE statements and a SELECT, all without
    text of their own: one read. A second statement would bring its own text."""
    return (
        len(statements) > 1
        and all(s.query == "" for s in statements)
        and statements[-1].type == duckdb.StatementType.SELECT
        and all(s.type == duckdb.StatementType.CREATE for s in statements[:-1])
    )


def _check_text(con: duckdb.DuckDBPyConnection, text: str, kind: Any) -> str:
    """Return one statement's text if it only reads; raise QueryRefused otherwise."""
    statement = _Statement(text, kind)
    words = _words(text)
    name = _revealing(words)
    if name is not None:
        raise QueryRefused(
            f"{name}() is not allowed: it shows the server's settings, paths or state, or "
            "runs SQL given as text (queries may read only the warehouse)"
        )
    first = words[0][1] if words else ""
    if statement.type == duckdb.StatementType.EXPLAIN:
        _check_explained(con, text, words)
    elif statement.type == duckdb.StatementType.PRAGMA and not _PRAGMA_READ.match(text):
        raise QueryRefused(PRAGMA_REFUSED)
    elif statement.type == duckdb.StatementType.CREATE and first in PIVOTS:
        pass
    elif statement.type not in ALLOWED:
        kind = statement.type.name.replace("_STATEMENT", "").replace("_", " ")
        if not kind.replace(" ", "").isalpha():  # e.g. UPDATE EXTENSIONS has no name of its own
            kind = first.upper()
        raise QueryRefused(
            f"{kind} statements are not allowed: the warehouse is read-only here "
            "(SELECT, WITH, FROM, PIVOT, DESCRIBE, SUMMARIZE, EXPLAIN, SHOW and PRAGMA "
            "table_info are)"
        )
    return text


def _check_explained(
    con: duckdb.DuckDBPyConnection, text: str, words: list[tuple[int, str, duckdb.token_type]]
) -> None:
    """EXPLAIN [ANALYZE] [(options)] runs or plans its statement: that one must be a read."""
    i = 1
    if i < len(words) and words[i][1] == "analyze":
        i += 1
    if i < len(words) and words[i][1].startswith("("):
        depth = 0
        while i < len(words):
            depth += words[i][1].count("(") - words[i][1].count(")")
            i += 1
            if depth <= 0:
                break
    inner = text[words[i][0] :] if i < len(words) else ""
    try:
        check_statement(con, inner)
    except QueryRefused as exc:
        raise QueryRefused(f"EXPLAIN of this statement is not allowed: {exc}") from exc


def execute(
    con: duckdb.DuckDBPyConnection, sql: str, *, max_rows: int, timeout_s: float, memory_gb: float
) -> tuple[list[str], list[tuple], bool, float]:
    """Check and run one statement on a sandbox connection: (columns, rows, truncated, seconds).
    A timer interrupts it after `timeout_s`; failures become QueryRefused sentences."""
    text = check_statement(con, sql)
    timer = threading.Timer(timeout_s, con.interrupt)
    started = time.perf_counter()
    timer.start()
    try:
        cursor = con.execute(text)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchmany(max_rows + 1)
    except duckdb.InterruptException as exc:
        raise QueryRefused(time_sentence(timeout_s)) from exc
    except (duckdb.OutOfMemoryException, MemoryError) as exc:
        raise QueryRefused(memory_sentence(memory_gb)) from exc
    except duckdb.CatalogException as exc:
        raise QueryRefused(_catalog_message(con, exc)) from exc
    except duckdb.PermissionException as exc:
        raise QueryRefused(
            f"not allowed: {_first_line(exc)} (queries may read only the warehouse)"
        ) from exc
    except duckdb.Error as exc:
        if is_memory_failure(str(exc)):
            raise QueryRefused(memory_sentence(memory_gb)) from exc
        raise QueryRefused(_first_line(exc)) from exc
    finally:
        timer.cancel()
    return columns, rows[:max_rows], len(rows) > max_rows, time.perf_counter() - started


def memory_sentence(gb: float) -> str:
    return f"the query needed more than {gb:g} GB of memory and was stopped: aggregate or filter"


def time_sentence(seconds: float) -> str:
    return f"the query ran longer than {seconds:g} s and was stopped: narrow it down"


_MEMORY = re.compile(
    r"MemoryError|bad_alloc|out of memory|could not allocate|failed to allocate|"
    r"cannot allocate|memory allocation",
    re.IGNORECASE,
)


def is_memory_failure(text: str) -> bool:
    return bool(_MEMORY.search(text))


def table_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        f"{s}.{t}"
        for s, t in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT internal ORDER BY 1, 2"
        ).fetchall()
    ]


def _catalog_message(con: duckdb.DuckDBPyConnection, exc: duckdb.Error) -> str:
    text = _first_line(exc)
    match = re.search(r'Table with name "?([^\s"!]+)"? does not exist', text)
    if not match:
        return text
    wanted = match.group(1)
    if "/" in wanted or "\\" in wanted:
        return f"reading files ({wanted}) is not allowed: queries may read only the warehouse"
    names = table_names(con)
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.4) or difflib.get_close_matches(
        wanted, [n.split(".")[1] for n in names], n=3, cutoff=0.4
    )
    hint = (
        f"; did you mean {', '.join(close)}?"
        if close
        else "; `paved sql 'SHOW ALL TABLES'` lists them"
    )
    return f"no table named {wanted}{hint}"


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


# --- the parent: one limited child per call ---------------------------------------------------


def child_env() -> dict[str, str]:
    """The child's whole environment: nothing inherited (no token, no password, no proxy)."""
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "MALLOC_ARENA_MAX": "1",  # one malloc arena: the address space stays near the baseline
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def scrub(text: str, path: Path) -> str:
    """`text` without the server's paths: the home (the published copy's) becomes `<home>`,
    the checkout `<checkout>` and the user's home folder `~`."""
    published = Path(os.path.abspath(path))
    root = published.parent.parent if published.parent.name == "published" else published.parent
    replacements = {
        str(published.resolve()): "<home>/published/" + published.name,
        str(root.resolve()): "<home>",
        str(root): "<home>",
        str(Path(__file__).resolve().parents[1]): "<checkout>",
        sys.prefix: "<python>",
    }
    user_home = os.path.expanduser("~")
    if user_home not in ("", "/"):
        replacements[user_home] = "~"
    for found in sorted(replacements, key=len, reverse=True):
        if len(found) > 1:
            text = text.replace(found, replacements[found])
    return text


def run_query(
    path: Path,
    sql: str,
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_limit_gb: float = DEFAULT_MEMORY_LIMIT_GB,
) -> QueryResult:
    """Run one read statement on the published copy in a limited child process."""
    limits = SqlLimits(memory_limit_gb, timeout_s, max_rows)
    (answer,) = run_queries(path, [sql], limits)
    if isinstance(answer, QueryRefused):
        raise answer
    return answer


def run_queries(
    path: Path, statements: list[str], limits: SqlLimits | None = None
) -> list[QueryResult | QueryRefused]:
    """Run statements one after the other in one limited child (each has `timeout_s`; the
    memory limit holds for the child): a result or a refusal for each, in order."""
    limits = limits or SqlLimits()
    if not path.is_file():
        refused = QueryRefused(
            scrub(
                f"no published warehouse at {path}: "
                "run `paved demo` or `paved run --inbox DIR` first",
                path,
            )
        )
        return [refused for _ in statements]
    request = {
        "path": str(path),
        "statements": statements,
        "max_rows": int(limits.max_rows),
        "timeout_s": float(limits.timeout_s),
        "memory_limit_gb": float(limits.memory_limit_gb),
    }
    run = _Child(request)
    run.go()
    answers: list[QueryResult | QueryRefused] = []
    for i in range(len(statements)):
        message = run.messages[i] if i < len(run.messages) else None
        answers.append(_answer(message, run, limits, path))
    return answers


def _answer(
    message: dict[str, Any] | None, run: _Child, limits: SqlLimits, path: Path
) -> QueryResult | QueryRefused:
    usage = run.usage()
    if message is None:
        return QueryRefused(scrub(run.failure(limits), path), usage)
    if not message.get("ok"):
        kind = message.get("kind")
        if kind == "memory":
            text = memory_sentence(limits.memory_limit_gb)
        elif kind == "time":
            text = time_sentence(limits.timeout_s)
        else:
            text = str(message.get("refused"))
        return QueryRefused(scrub(text, path), usage)
    arrow = base64.b64decode(message.get("arrow") or "")
    columns = [str(c) for c in message.get("columns") or []]
    return QueryResult(
        columns=columns,
        rows=_rows(arrow, len(columns)),
        truncated=bool(message.get("truncated")),
        seconds=float(message.get("seconds") or 0.0),
        arrow=arrow,
        usage=usage,
    )


def _rows(arrow: bytes, width: int) -> list[tuple]:
    if not arrow or width == 0:
        return []
    import pyarrow as pa

    table = pa.ipc.open_stream(arrow).read_all()
    return list(zip(*(column.to_pylist() for column in table.columns), strict=True))


class _Child:
    """One `python -m pipelines.query_child`: started, fed the request, read, killed at the
    deadline, reaped with its resource usage."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.request = request
        self.count = len(request["statements"])
        self.messages: list[dict[str, Any]] = []
        self.ready: dict[str, Any] | None = None
        self.ready_at = 0.0
        self.started = 0.0
        self.ended = 0.0
        self.killed_at_deadline = False
        self.start_timed_out = False
        self.too_large = False
        self.status = 0
        self.peak_rss = 0
        self.stderr = b""
        self._ready = threading.Event()
        self._done = threading.Event()

    def go(self) -> None:
        self.started = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", CHILD_MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(),
            cwd="/",
            start_new_session=True,
        )
        readers = [
            threading.Thread(target=self._read_stdout, args=(proc,), daemon=True),
            threading.Thread(target=self._read_stderr, args=(proc,), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(self.request).encode("utf-8"))
            proc.stdin.close()
        except OSError:
            pass  # the child died at once: its status says why
        if self._ready.wait(START_ALLOWANCE_S):
            budget = self.request["timeout_s"] * self.count + KILL_GRACE_S
            if not self._done.wait(max(0.0, self.ready_at + budget - time.perf_counter())):
                self.killed_at_deadline = not self.too_large
        else:
            self.start_timed_out = True
        if not self._done.is_set() or self.too_large:
            _kill(proc)
        _, self.status, rusage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(self.status)
        self.ended = time.perf_counter()
        self.peak_rss = int(rusage.ru_maxrss) * 1024
        for reader in readers:
            reader.join(5)

    def _read_stdout(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        size = 0
        for line in proc.stdout:
            size += len(line)
            if size > MAX_RESULT_BYTES:
                self.too_large = True
                self._done.set()
                return
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("ready"):
                self.ready, self.ready_at = message, time.perf_counter()
                self._ready.set()
            else:
                self.messages.append(message)
                if len(self.messages) >= self.count:
                    self._done.set()
        self._ready.set()
        self._done.set()

    def _read_stderr(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stderr is not None
        for chunk in iter(lambda: proc.stderr.read(65536), b""):  # type: ignore[union-attr]
            self.stderr = (self.stderr + chunk)[-65536:]

    def usage(self) -> Usage:
        startup = (self.ready_at or self.ended) - self.started
        return Usage(
            peak_rss_bytes=self.peak_rss,
            startup_s=startup,
            elapsed_s=self.ended - (self.ready_at or self.started),
            address_space_limit=int((self.ready or {}).get("address_space_limit") or 0),
            killed_at_deadline=self.killed_at_deadline,
        )

    def failure(self, limits: SqlLimits) -> str:
        """Why the child gave no answer, as one sentence."""
        if self.too_large:
            return (
                f"the result is larger than {MAX_RESULT_BYTES / 2**20:g} MB: "
                "select fewer rows or columns"
            )
        if self.start_timed_out:
            return f"the query process did not start within {START_ALLOWANCE_S:g} s: try again"
        return why_stopped(
            self.status, self.stderr.decode("utf-8", "replace"), self.killed_at_deadline, limits
        )


def why_stopped(status: int, stderr: str, killed_at_deadline: bool, limits: SqlLimits) -> str:
    """One sentence for a child that ended without answering, from its wait status and stderr:
    killed at the deadline or over its CPU limit is the time sentence; an allocation failure
    (MemoryError, std::bad_alloc, DuckDB's out of memory) or a crash under RLIMIT_AS (abort,
    segmentation fault, bus error, killed by the kernel) is the memory sentence."""
    number = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    if killed_at_deadline or number == signal.SIGXCPU:
        return time_sentence(limits.timeout_s)
    crashes = (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGKILL)
    if is_memory_failure(stderr) or number in crashes:
        return memory_sentence(limits.memory_limit_gb)
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    detail = lines[-1] if lines else f"exit status {os.waitstatus_to_exitcode(status)}"
    return f"the query process stopped unexpectedly ({detail}): try again"


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            proc.kill()
        except ProcessLookupError:
            pass


def cpu_seconds(timeout_s: float, count: int, used: float) -> int:
    """The child's CPU limit: what it used starting, plus its queries' time, plus a second."""
    return math.ceil(used + timeout_s * count) + 1

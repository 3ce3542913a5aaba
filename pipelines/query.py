"""Read-only queries on the published copy, safe to hand to a person typing SQL.

The connection itself refuses what SQL could do beyond reading the warehouse: no file or network
access, no extensions, no settings changes (locked), a memory limit and one thread. On top of
that only read statements are accepted, rows are capped, and a timer interrupts a long query.
Every refusal is one sentence that says why.
"""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

ALLOWED = {
    duckdb.StatementType.SELECT,
    duckdb.StatementType.EXPLAIN,
    duckdb.StatementType.PRAGMA,
}
_DESCRIBE = re.compile(r"^\s*(describe|summarize|show)\b", re.IGNORECASE)
_PRAGMA_READ = re.compile(
    r"^\s*pragma\s+(table_info|show|show_tables|show_tables_expanded|database_size|version)\b",
    re.IGNORECASE,
)


class QueryRefused(ValueError):
    """A statement that is not allowed, or a query that failed; the message says why."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    truncated: bool
    seconds: float


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
        },
    )
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET lock_configuration = true")
    return con


def check_statement(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """Return the one statement in `sql` if it only reads; raise QueryRefused otherwise."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(f"syntax error: {_first_line(exc)}") from exc
    if not statements:
        raise QueryRefused("the query is empty: type one SELECT statement")
    if len(statements) > 1:
        raise QueryRefused("one statement at a time: remove everything after the first ';'")
    statement = statements[0]
    text = statement.query
    if statement.type == duckdb.StatementType.PRAGMA and not _PRAGMA_READ.match(text):
        raise QueryRefused("only PRAGMA table_info/show are allowed: settings cannot be changed")
    if statement.type not in ALLOWED and not _DESCRIBE.match(text):
        kind = statement.type.name.replace("_STATEMENT", "").replace("_", " ")
        raise QueryRefused(
            f"{kind} statements are not allowed: the warehouse is read-only here "
            "(SELECT, WITH, DESCRIBE, SUMMARIZE, EXPLAIN, SHOW and PRAGMA table_info are)"
        )
    return text


def run_query(
    path: Path, sql: str, *, max_rows: int = 100_000, timeout_s: float = 30.0
) -> QueryResult:
    """Run one read statement on the published copy, capped and interrupted after `timeout_s`."""
    import time

    con = open_sandbox(path)
    timer = threading.Timer(timeout_s, con.interrupt)
    try:
        text = check_statement(con, sql)
        started = time.perf_counter()
        timer.start()
        try:
            cursor = con.execute(text)
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchmany(max_rows + 1)
        except duckdb.InterruptException as exc:
            raise QueryRefused(
                f"the query ran longer than {timeout_s:g} s and was stopped: narrow it down"
            ) from exc
        except duckdb.OutOfMemoryException as exc:
            raise QueryRefused(
                "the query needed more memory than allowed and was stopped: aggregate or filter"
            ) from exc
        except duckdb.CatalogException as exc:
            raise QueryRefused(_catalog_message(con, exc)) from exc
        except duckdb.PermissionException as exc:
            raise QueryRefused(
                f"not allowed: {_first_line(exc)} (queries may read only the warehouse)"
            ) from exc
        except duckdb.Error as exc:
            raise QueryRefused(_first_line(exc)) from exc
        return QueryResult(
            columns, rows[:max_rows], len(rows) > max_rows, time.perf_counter() - started
        )
    finally:
        timer.cancel()
        con.close()


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
    return str(exc).strip().splitlines()[0]

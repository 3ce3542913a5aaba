"""Runs the project's SQL files: the one place SQL text is read from disk.

Statements are split by DuckDB itself (`extract_statements`), so files may hold several; named
parameters (`$name`) are bound, never formatted into the text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from pipelines.faults import crash_point

SQL_DIR = Path(__file__).resolve().parent / "sql"


def read_sql(relative: str) -> str:
    return (SQL_DIR / relative).read_text(encoding="utf-8")


def run_sql_file(
    con: duckdb.DuckDBPyConnection, relative: str, params: dict[str, Any] | None = None
) -> None:
    """Execute every statement of `pipelines/sql/<relative>`, binding the parameters it uses."""
    crash_point(f"sql:{relative}")
    for statement in con.extract_statements(read_sql(relative)):
        text = statement.query
        used = {k: v for k, v in (params or {}).items() if f"${k}" in text}
        con.execute(text, used or None)

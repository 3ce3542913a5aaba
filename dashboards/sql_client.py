"""The dashboard's side of the SQL page: run a query in a limited child process, keep saved queries.

A query never runs in the dashboard's process: `pipelines.query.run_query` (the same function as
`paved sql`) runs it in a child started with a minimal environment (the Streamlit server's
environment can hold secrets: source tokens are read from environment variables, see
docs/sources.md), limited in memory, CPU and time by the operating system and killed at the
deadline. The limits are `[sql]` of the home's paved.toml; a request can only lower them.

Saved queries live in `<PAVED_HOME>/state/saved_queries.json`, next to the runner's state, so they
survive dashboard restarts and new published copies; the file is replaced atomically so a crash
or two sessions saving at once never leave half a file.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa

from pipelines.paths import home
from pipelines.query import (
    DEFAULT_MAX_ROWS,
    QueryRefused,
    QueryResult,
    SqlLimits,
    Usage,
    run_queries,
    sql_limits,
)


@dataclass(frozen=True)
class Answer:
    """What the sandbox answered: a result (frame) or a refusal (the sandbox's sentence)."""

    refused: str | None = None
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)
    row_count: int = 0
    truncated: bool = False
    max_rows: int = DEFAULT_MAX_ROWS
    query_seconds: float = 0.0
    total_seconds: float = 0.0
    usage: Usage | None = None

    @property
    def ok(self) -> bool:
        return self.refused is None


def limits() -> SqlLimits:
    """The `[sql]` limits of the current home (ConfigError if its paved.toml is broken)."""
    return sql_limits(home().root)


def _unique(columns: list[str]) -> list[str]:
    """Column names made unique for display ("id", "id (2)"); a query may repeat a name."""
    seen: dict[str, int] = {}
    out = []
    for name in columns:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _frame(result: QueryResult) -> pd.DataFrame:
    if not result.arrow:
        return pd.DataFrame(columns=_unique(result.columns))
    table = pa.ipc.open_stream(result.arrow).read_all()
    # Dates become datetime64 so the chart treats a date column as time, not as categories.
    return table.rename_columns(_unique(table.column_names)).to_pandas(date_as_object=False)


def _lower(requested: float | None, ceiling: float) -> float:
    """A requested limit, clamped to the configured one: a caller can only tighten it."""
    if isinstance(requested, int | float) and not isinstance(requested, bool) and requested > 0:
        return min(float(requested), ceiling)
    return ceiling


def run(sql: str, *, max_rows: int | None = None, timeout_s: float | None = None) -> Answer:
    """Run `sql` on the published copy of the current home, in a limited child process."""
    return run_many([sql], max_rows=max_rows, timeout_s=timeout_s)[0]


def run_many(
    statements: list[str], *, max_rows: int | None = None, timeout_s: float | None = None
) -> list[Answer]:
    """Run statements one after the other in one child (each with the time limit)."""
    configured = limits()
    chosen = configured.override(
        max_rows=int(_lower(max_rows, configured.max_rows)),
        timeout_s=_lower(timeout_s, configured.timeout_s),
    )
    started = time.perf_counter()
    answers = run_queries(home().published, list(statements), chosen)
    total = time.perf_counter() - started
    return [_answer(answer, chosen, total) for answer in answers]


def _answer(answer: QueryResult | QueryRefused, chosen: SqlLimits, total: float) -> Answer:
    if isinstance(answer, QueryRefused):
        return Answer(refused=str(answer), total_seconds=total, usage=answer.usage)
    return Answer(
        frame=_frame(answer),
        row_count=len(answer.rows),
        truncated=answer.truncated,
        max_rows=chosen.max_rows,
        query_seconds=answer.seconds,
        total_seconds=total,
        usage=answer.usage,
    )


# --- saved queries -----------------------------------------------------------------------------

_SAVE_LOCK = threading.Lock()


@dataclass(frozen=True)
class SavedQuery:
    name: str
    sql: str
    saved_at: str


def saved_queries_path() -> Path:
    return home().root / "state" / "saved_queries.json"


class SavedQueriesUnreadable(ValueError):
    """The saved-queries file exists but is not what this module writes; the message says why."""


def load_saved() -> list[SavedQuery]:
    """Saved queries, oldest first; none when the file does not exist yet."""
    path = saved_queries_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise SavedQueriesUnreadable(f"{path} could not be read: {exc}") from exc
    items = raw.get("queries") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise SavedQueriesUnreadable(f"{path} has no 'queries' list")
    return [
        SavedQuery(str(item["name"]), str(item["sql"]), str(item.get("saved_at", "")))
        for item in items
        if isinstance(item, dict) and "name" in item and "sql" in item
    ]


def _write(queries: list[SavedQuery]) -> None:
    path = saved_queries_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "version": 1,
        "queries": [{"name": q.name, "sql": q.sql, "saved_at": q.saved_at} for q in queries],
    }
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)


def save_query(name: str, sql: str) -> SavedQuery:
    """Save (or replace, by name) a query; names are trimmed and must not be empty."""
    name = name.strip()
    if not name:
        raise ValueError("give the query a name to save it")
    if not sql.strip():
        raise ValueError("there is no query to save: type one first")
    saved = SavedQuery(name, sql.strip(), datetime.now(UTC).isoformat(timespec="seconds"))
    with _SAVE_LOCK:
        queries = [q for q in load_saved() if q.name != name]
        _write([*queries, saved])
    return saved


def delete_query(name: str) -> None:
    """Remove a saved query by name (nothing happens if it is not there)."""
    with _SAVE_LOCK:
        _write([q for q in load_saved() if q.name != name])

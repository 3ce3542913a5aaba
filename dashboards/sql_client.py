"""The dashboard's side of the SQL page: run a query in the worker process, keep saved queries.

Why the worker runs with a scrubbed environment: the Streamlit server's environment can hold
secrets (source tokens are read from environment variables, see docs/sources.md). The worker
gets only PATH, HOME, PAVED_HOME and LANG, runs from the checkout (so `dashboards` and
`pipelines` import without an installed package), and is killed if it outlives the sandbox's own
time limit by more than its start-up allowance.

Saved queries live in `<PAVED_HOME>/state/saved_queries.json`, next to the runner's state, so they
survive dashboard restarts and new published copies; the file is replaced atomically so a crash
or two sessions saving at once never leave half a file.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa

from dashboards.sql_worker import SANDBOX_MAX_ROWS, SANDBOX_TIMEOUT_S
from pipelines.paths import REPO_ROOT, home

WORKER_MODULE = "dashboards.sql_worker"
ENV_KEEP = ("PATH", "HOME", "PAVED_HOME", "LANG")
"""The only environment variables the worker inherits: no token, no password, no proxy."""
START_ALLOWANCE_S = 20.0
"""Time for the worker to start (imports) on top of the sandbox's limit before it is killed."""


@dataclass(frozen=True)
class Answer:
    """What the worker answered: a result (frame) or a refusal (the sandbox's sentence)."""

    refused: str | None = None
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)
    row_count: int = 0
    truncated: bool = False
    max_rows: int = SANDBOX_MAX_ROWS
    query_seconds: float = 0.0
    total_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.refused is None


def worker_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The worker's environment: ENV_KEEP only, with PAVED_HOME always set to the current home."""
    source = os.environ if base is None else base
    env = {key: source[key] for key in ENV_KEEP if key in source}
    env["PAVED_HOME"] = str(home().root)
    return env


def _unique(columns: list[str]) -> list[str]:
    """Column names made unique for display ("id", "id (2)"); a query may repeat a name."""
    seen: dict[str, int] = {}
    out = []
    for name in columns:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _frame(payload: dict[str, object]) -> pd.DataFrame:
    raw = base64.b64decode(str(payload.get("arrow") or ""))
    columns = [str(c) for c in payload.get("columns") or []]  # type: ignore[union-attr]
    if not raw:
        return pd.DataFrame(columns=_unique(columns))
    table = pa.ipc.open_stream(raw).read_all()
    # Dates become datetime64 so the chart treats a date column as time, not as categories.
    frame = table.rename_columns(_unique(table.column_names)).to_pandas(date_as_object=False)
    return frame


def run(sql: str, *, max_rows: int | None = None, timeout_s: float | None = None) -> Answer:
    """Run `sql` in a fresh worker process on the published copy of the current home."""
    request = {"sql": sql, "max_rows": max_rows, "timeout_s": timeout_s}
    limit = min(timeout_s or SANDBOX_TIMEOUT_S, SANDBOX_TIMEOUT_S)
    started = time.perf_counter()
    try:
        completed = subprocess.run(
            [sys.executable, "-m", WORKER_MODULE],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            env=worker_env(),
            cwd=REPO_ROOT,
            timeout=limit + START_ALLOWANCE_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Answer(
            refused=f"the query ran longer than {limit:g} s and was stopped: narrow it down",
            total_seconds=time.perf_counter() - started,
        )
    total = time.perf_counter() - started
    try:
        payload = json.loads(completed.stdout)
    except ValueError:
        detail = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        return Answer(
            refused=f"the query worker stopped unexpectedly ({detail}): try again",
            total_seconds=total,
        )
    if not payload.get("ok"):
        return Answer(refused=str(payload.get("refused")), total_seconds=total)
    return Answer(
        frame=_frame(payload),
        row_count=int(payload.get("row_count") or 0),
        truncated=bool(payload.get("truncated")),
        max_rows=int(payload.get("max_rows") or SANDBOX_MAX_ROWS),
        query_seconds=float(payload.get("seconds") or 0.0),
        total_seconds=total,
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

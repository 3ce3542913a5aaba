"""Runs one query typed in the dashboard in a process of its own: `python -m dashboards.sql_worker`.

Why a separate process: the dashboard server may hold secrets in its environment (source tokens,
SMTP passwords) and serves every user; a query typed by a person runs here instead, started with
a scrubbed environment (see `dashboards.sql_client`), so even a sandbox escape finds nothing to
steal, and a runaway query can be killed without touching the server.

Protocol: a JSON object on stdin, `{"sql": "...", "max_rows": N, "timeout_s": S}` (the limits
are optional and can only lower the sandbox's own), and one JSON object on stdout:

- `{"ok": true, "columns": [...], "row_count": N, "truncated": bool, "seconds": S,
  "arrow": "<base64 Arrow IPC stream>"}`: the result keeps its types (timestamps, lists,
  decimals) through Arrow rather than being flattened to text;
- `{"ok": false, "refused": "<sentence>"}`: the sandbox's `QueryRefused` message, unchanged.

The query itself goes through `pipelines.query.run_query`, the same sandbox as `paved sql`.
"""

from __future__ import annotations

import base64
import inspect
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipelines.paths import home
from pipelines.query import QueryRefused, run_query

_DEFAULTS = inspect.signature(run_query).parameters
SANDBOX_MAX_ROWS: int = _DEFAULTS["max_rows"].default
"""The sandbox's row cap; a request may ask for fewer rows, never more."""
SANDBOX_TIMEOUT_S: float = _DEFAULTS["timeout_s"].default
"""The sandbox's time limit; a request may ask for less time, never more."""


def _column(values: Sequence[Any]) -> pa.Array:
    """One result column as Arrow; values Arrow cannot type (e.g. UUIDs, mixed) become text."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def to_arrow(columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> bytes:
    """The rows as one Arrow IPC stream (duplicate column names are kept, as the query had them)."""
    arrays = [_column([row[i] for row in rows]) for i in range(len(columns))]
    table = pa.Table.from_arrays(arrays, names=list(columns))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _limit(requested: Any, ceiling: float) -> float:
    """A requested limit, clamped to the sandbox's: a caller can only tighten it."""
    if isinstance(requested, int | float) and not isinstance(requested, bool) and requested > 0:
        return min(float(requested), ceiling)
    return ceiling


def handle(request: dict[str, Any], published: Path) -> dict[str, Any]:
    """Run one request against `published`; a refusal is an answer, not an error."""
    sql = request.get("sql")
    if not isinstance(sql, str):
        return {"ok": False, "refused": "the query is empty: type one SELECT statement"}
    max_rows = int(_limit(request.get("max_rows"), SANDBOX_MAX_ROWS))
    timeout_s = _limit(request.get("timeout_s"), SANDBOX_TIMEOUT_S)
    try:
        result = run_query(published, sql, max_rows=max_rows, timeout_s=timeout_s)
    except QueryRefused as refused:
        return {"ok": False, "refused": str(refused)}
    return {
        "ok": True,
        "columns": result.columns,
        "row_count": len(result.rows),
        "truncated": result.truncated,
        "seconds": result.seconds,
        "max_rows": max_rows,
        "arrow": base64.b64encode(to_arrow(result.columns, result.rows)).decode("ascii"),
    }


def main() -> int:
    """Read one request from stdin, answer on stdout; exit 0 for results and refusals alike."""
    try:
        request = json.loads(sys.stdin.read() or "{}")
    except ValueError as exc:
        answer: dict[str, Any] = {"ok": False, "refused": f"the request is not JSON: {exc}"}
    else:
        if not isinstance(request, dict):
            request = {}
        answer = handle(request, home().published)
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

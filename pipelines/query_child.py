"""The child process of `pipelines.query.run_queries`: `python -m pipelines.query_child`.

It limits itself before DuckDB opens anything, then runs the statements of one request:

- `RLIMIT_AS` = its own address space once the libraries are loaded (measured, the baseline)
  plus the memory limit, so a list or string DuckDB does not count against its `memory_limit`
  still cannot grow past it (it fails with an allocation error, or the process dies);
- `RLIMIT_CPU` = the CPU it used to start plus the queries' time limit plus one second;
- `RLIMIT_FSIZE` 0 (SIGXFSZ ignored: a write fails instead) and `RLIMIT_CORE` 0: no file written.

Protocol: one JSON request on stdin, `{"path", "statements": [...], "max_rows", "timeout_s",
"memory_limit_gb"}`; JSON lines on stdout: first `{"ready": true, "baseline_vsz",
"address_space_limit"}`, then one per statement, `{"ok": true, "columns", "truncated", "seconds",
"arrow": "<base64 Arrow IPC stream>"}` or `{"ok": false, "kind": "refused"|"memory"|"time",
"refused": "<sentence>"}`. Only data crosses the pipe (JSON and Arrow), never pickles.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.query import (
    QueryRefused,
    cpu_seconds,
    execute,
    is_memory_failure,
    memory_sentence,
    open_sandbox,
    time_sentence,
)


def address_space() -> int:
    """This process's virtual memory size (VSZ) in bytes."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def limit_self(memory_limit_gb: float, timeout_s: float, count: int) -> tuple[int, int]:
    """Set this process's limits; returns (baseline VSZ, address-space limit) in bytes."""
    baseline = address_space()
    limit = baseline + int(memory_limit_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = cpu_seconds(timeout_s, count, used.ru_utime + used.ru_stime)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return baseline, limit


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


def _send(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def answer(con: duckdb.DuckDBPyConnection, sql: str, request: dict[str, Any]) -> dict[str, Any]:
    """One statement's answer; a refusal is an answer, not an error."""
    gb, timeout_s = float(request["memory_limit_gb"]), float(request["timeout_s"])
    try:
        columns, rows, truncated, seconds = execute(
            con, sql, max_rows=int(request["max_rows"]), timeout_s=timeout_s, memory_gb=gb
        )
        arrow = to_arrow(columns, rows)
        del rows
        return {
            "ok": True,
            "columns": columns,
            "truncated": truncated,
            "seconds": seconds,
            "arrow": base64.b64encode(arrow).decode("ascii"),
        }
    except QueryRefused as refused:
        text = str(refused)
        kind = (
            "memory"
            if text == memory_sentence(gb)
            else "time"
            if text == time_sentence(timeout_s)
            else "refused"
        )
        return {"ok": False, "kind": kind, "refused": text}
    except MemoryError:
        return {"ok": False, "kind": "memory", "refused": memory_sentence(gb)}
    except Exception as exc:  # noqa: BLE001 - one sentence back, never a traceback
        if is_memory_failure(f"{type(exc).__name__} {exc}"):
            return {"ok": False, "kind": "memory", "refused": memory_sentence(gb)}
        return {"ok": False, "kind": "refused", "refused": str(exc).strip().splitlines()[0]}


def main() -> int:
    request = json.loads(sys.stdin.buffer.read() or b"{}")
    statements = list(request.get("statements") or [])
    baseline, limit = limit_self(
        float(request["memory_limit_gb"]), float(request["timeout_s"]), max(1, len(statements))
    )
    _send({"ready": True, "baseline_vsz": baseline, "address_space_limit": limit})
    gb = float(request["memory_limit_gb"])
    try:
        con = open_sandbox(Path(request["path"]), memory_limit=f"{int(gb * 1024)}MB")
    except QueryRefused as refused:
        for _ in statements:
            _send({"ok": False, "kind": "refused", "refused": str(refused)})
        return 0
    except (MemoryError, duckdb.Error) as exc:
        kind = "memory" if is_memory_failure(f"{type(exc).__name__} {exc}") else "refused"
        text = memory_sentence(gb) if kind == "memory" else str(exc).strip().splitlines()[0]
        for _ in statements:
            _send({"ok": False, "kind": kind, "refused": text})
        return 0
    for sql in statements:
        if not isinstance(sql, str):
            sql = ""
        try:
            message = answer(con, sql, request)
        except MemoryError:
            message = {"ok": False, "kind": "memory", "refused": memory_sentence(gb)}
        _send(message)
    con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Runs the whole Dagster graph once, in-process, for the CLI (`paved run`, `paved demo`).

The schedule and `paved dev` run the same job through Dagster's own machinery; this is the same
job executed in this process, with a one-line progress report per step and a summary a person
can read. A failed run leaves the published copy as it was and records the failure where the
dashboard looks (`state/last_run.json`).

One run per home at a time: `run_pipeline` holds an advisory lock on `<home>/state/run.lock` (with
its pid inside) for the whole run, and opens the working warehouse before anything is written, so
a second run is refused with one sentence and leaves `state/last_run.json` as it was. The lock
dies with its process: a killed run never blocks the next one.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from pipelines.paths import Home
from pipelines.redact import install_logging, redact, redact_obj, register_config
from pipelines.sqlfiles import run_sql_file
from pipelines.warehouse import close_warehouses, run_connection

Progress = Callable[[str], None]

DAGSTER_YAML = """\
telemetry:
  enabled: false
"""


class PipelineError(RuntimeError):
    """A run that failed; the message names the step and the cause."""


class HomeBusy(RuntimeError):
    """Another process is running the pipeline on this home; nothing was written."""

    def __init__(self, home: Path, pid: int | None) -> None:
        self.home, self.pid = home, pid
        who = "another paved run" if pid is None else f"another paved run (pid {pid})"
        super().__init__(f"{who} is using this home ({home}); wait for it to finish")


# DuckDB's refusal when another process holds the working warehouse read-write (`paved dev`'s
# run, or a tool): "... Conflicting lock is held in /usr/bin/python3 (PID 1234) ...".
_DUCKDB_CONFLICT = re.compile(r"Conflicting lock is held in .*?\(PID (\d+)\)")
_HELD: dict[Path, int] = {}  # homes whose run.lock this process holds -> nesting depth


def lock_path(home: Home) -> Path:
    return home.root / "state" / "run.lock"


def busy_from_duckdb(home: Home, error: BaseException | str) -> HomeBusy | None:
    """The HomeBusy that DuckDB's conflicting-lock error means, or None for any other error."""
    match = _DUCKDB_CONFLICT.search(str(error))
    return HomeBusy(home.root, int(match.group(1))) if match else None


def _holder(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return None


@contextmanager
def home_lock(home: Home) -> Iterator[None]:
    """Hold `<home>/state/run.lock` (flock, our pid inside) for the block; HomeBusy if taken.

    Re-entrant within a process (`paved demo` holds it across its cleanup and its run). The kernel
    drops the lock when the process dies, so a killed run leaves nothing to clean up.
    """
    key = home.root.resolve()
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    path = lock_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise HomeBusy(home.root, _holder(path)) from None
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        _HELD[key] = 1
        yield
    finally:
        _HELD.pop(key, None)
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@dataclass
class RunSummary:
    run_id: str
    seconds: float
    steps: dict[str, float] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)
    metadata: dict[str, dict[str, object]] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)

    @property
    def failed_sources(self) -> list[str]:
        return [c for c in self.failed_checks if ":sources_healthy " in c]

    @property
    def quarantined(self) -> int:
        return self.row_counts.get("core/quarantine", 0)

    @property
    def new_quarantined(self) -> int:
        """Records that entered the quarantine in this run (the core step's `new_open`)."""
        return int(self.metadata.get("core/quarantine", {}).get("new_open", 0) or 0)

    @property
    def findings(self) -> list[dict[str, object]]:
        """What the inbox loads reported without failing (`raw/inbox`'s `findings`)."""
        return list(self.metadata.get("raw/inbox", {}).get("findings", None) or [])

    @property
    def records(self) -> int:
        """Rows of the core tables and the quarantine after the run: 0 for a home with no data."""
        return sum(n for key, n in self.row_counts.items() if key.startswith("core/"))


class _ProgressHandler(logging.Handler):
    """Turns Dagster's step events into one line per finished step."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress
        self.started: dict[str, float] = {}
        self.durations: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None)
        event = getattr(meta, "get", lambda _k: None)("dagster_event") if meta else None
        if event is None:
            return
        step = event.step_key
        kind = event.event_type_value
        if kind == "STEP_START" and step:
            self.started[step] = time.perf_counter()
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and step:
            took = time.perf_counter() - self.started.get(step, time.perf_counter())
            self.durations[step] = took
            mark = "ok " if kind == "STEP_SUCCESS" else "FAILED"
            self.progress(f"  {mark} {step:<28} {took:6.2f}s")


def _instance(home: Home):
    import dagster as dg

    home.dagster_home.mkdir(parents=True, exist_ok=True)
    config = home.dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return dg.DagsterInstance.local_temp(tempdir=str(home.dagster_home))


def _write_last_run(home: Home, payload: dict[str, object]) -> None:
    state = home.root / "state"
    state.mkdir(parents=True, exist_ok=True)
    tmp = state / "last_run.json.partial"
    clean = redact_obj(json.loads(json.dumps(payload, default=str)))
    tmp.write_text(json.dumps(clean, indent=2), encoding="utf-8")
    tmp.replace(state / "last_run.json")


def run_pipeline(
    home: Home,
    inboxes: list[Path],
    config_path: Path | None = None,
    progress: Progress | None = None,
    full_resync: bool = False,
) -> RunSummary:
    """Materialize every asset and check once; raise PipelineError naming the failed step.

    HomeBusy, before anything is written, when another run holds the home.
    """
    home.ensure()
    install_logging()
    _register_secrets(home, config_path)
    if progress is not None:
        progress = _redacted(progress)
    with home_lock(home):
        try:
            _open_warehouse(home)
            return _run_locked(home, inboxes, config_path, progress, full_resync)
        finally:
            close_warehouses()


def _register_secrets(home: Home, config_path: Path | None) -> None:
    """Register the values of every `*_env` variable the run's configuration names (resolved as
    the warehouse resource resolves it) before any source runs. A file that does not load is
    left to the run to report."""
    from pipelines.config import ConfigError, load_config

    explicit = config_path or os.environ.get("PAVED_CONFIG") or None
    default = home.root / "paved.toml"
    try:
        config = load_config(explicit or (default if default.is_file() else None))
    except (ConfigError, OSError):
        return
    register_config(config)


def _redacted(progress: Progress) -> Progress:
    return lambda line: progress(redact(line))


def _open_warehouse(home: Home) -> None:
    """Open the run's shared connection now, before anything is written: a warehouse held by
    another process (DuckDB's own lock) becomes HomeBusy, and a fresh warehouse gets its raw
    schema, so a run with nothing to load still builds (empty) core, marts and metrics."""
    import duckdb

    from pipelines.raw import ensure_raw

    try:
        con = run_connection(home.warehouse)
    except duckdb.IOException as exc:
        busy = busy_from_duckdb(home, exc)
        if busy is not None:
            raise busy from None
        _refused_to_open(home, exc)
    except duckdb.Error as exc:
        _refused_to_open(home, exc)
    ensure_raw(con)


def _refused_to_open(home: Home, exc: Exception) -> NoReturn:
    """A warehouse that cannot be opened (damaged, unreadable) fails the run like a step would."""
    now = datetime.now(UTC).isoformat()
    text = redact(exc)
    first = next((line.strip() for line in text.splitlines() if line.strip()), redact(repr(exc)))
    message = f"could not open the working warehouse {home.warehouse}: {first}"
    _write_last_run(
        home,
        {"run_id": None, "started_at": now, "finished_at": now, "seconds": 0.0,
         "status": "failed", "error": message},
    )  # fmt: skip
    raise PipelineError(message) from exc


def _run_locked(
    home: Home,
    inboxes: list[Path],
    config_path: Path | None,
    progress: Progress | None,
    full_resync: bool,
) -> RunSummary:
    import dagster as dg

    from pipelines.definitions import defs

    run_id = str(uuid.uuid4())
    handler = _ProgressHandler(progress or (lambda _line: None))
    dagster_logger = logging.getLogger("paved.dagster")
    dagster_logger.handlers = [handler]
    dagster_logger.propagate = False
    dagster_logger.setLevel(logging.DEBUG)

    @dg.logger
    def progress_logger(_init_context) -> logging.Logger:
        return dagster_logger

    definitions = defs()
    job = definitions.resolve_job_def("daily_refresh").with_logger_defs(
        {"progress": progress_logger}
    )
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    run_config = {
        "loggers": {"progress": {}},
        "resources": {
            "warehouse": {
                "config": {
                    "home_dir": str(home.root),
                    "config_path": str(config_path or ""),
                    "inboxes": [str(p) for p in inboxes],
                    "full_resync": full_resync,
                }
            }
        },
    }
    with _instance(home) as instance:
        result = job.execute_in_process(
            run_config=run_config, instance=instance, run_id=run_id, raise_on_error=False
        )
    seconds = time.perf_counter() - started
    summary = RunSummary(run_id=run_id, seconds=seconds, steps=dict(handler.durations))
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        name = "/".join(mat.asset_key.path)
        meta = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
        summary.metadata[name] = meta
        if "dagster/row_count" in meta:
            summary.row_counts[name] = int(meta["dagster/row_count"])
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                summary.failed_checks.append(
                    f"{'/'.join(evaluation.asset_key.path)}:{evaluation.check_name}"
                    f" ({evaluation.description or 'failed'})"
                )
    record: dict[str, object] = {
        "run_id": run_id,
        "started_at": started_at.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "seconds": round(seconds, 3),
    }
    if not result.success:
        message = _failure_message(result)
        _record_failed(home, run_id)
        _write_last_run(home, {**record, "status": "failed", "error": message})
        raise PipelineError(message)
    _write_last_run(home, {**record, "status": "success", "quarantined": summary.quarantined})
    return summary


def _record_failed(home: Home, run_id: str) -> None:
    """Mark this run `failed` in meta.runs (it stays in the working warehouse and reaches the
    published copy with the next successful run). Best effort: the run has failed already."""
    try:
        run_sql_file(run_connection(home.warehouse), "meta/run_failed.sql", {"run_id": run_id})
    except Exception:  # noqa: BLE001, S110 - e.g. the failure was the warehouse itself
        pass


def _failure_message(result) -> str:
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            cause = error
            while cause.cause is not None:  # the user error, not Dagster's wrapper
                cause = cause.cause
            lines = [line.strip() for line in redact(cause.message or "").splitlines()]
            text = next((line for line in lines if line), "unknown error")
            return redact(f"step {event.step_key} failed: {text}")
    return "the run failed before any step started (see the Dagster logs with `paved dev`)"

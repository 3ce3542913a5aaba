"""Runs the whole Dagster graph once, in-process, for the CLI (`paved run`, `paved demo`).

The schedule and `paved dev` run the same job through Dagster's own machinery; this is the same
job executed in this process, with a one-line progress report per step and a summary a person
can read. A failed run leaves the published copy as it was and records the failure where the
dashboard looks (`state/last_run.json`).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipelines.paths import Home
from pipelines.warehouse import close_warehouses

Progress = Callable[[str], None]

DAGSTER_YAML = """\
telemetry:
  enabled: false
"""


class PipelineError(RuntimeError):
    """A run that failed; the message names the step and the cause."""


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
    tmp.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    tmp.replace(state / "last_run.json")


def run_pipeline(
    home: Home,
    inboxes: list[Path],
    config_path: Path | None = None,
    progress: Progress | None = None,
    full_resync: bool = False,
) -> RunSummary:
    """Materialize every asset and check once; raise PipelineError naming the failed step."""
    import dagster as dg

    from pipelines.definitions import defs

    home.ensure()
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
    try:
        with _instance(home) as instance:
            result = job.execute_in_process(
                run_config=run_config, instance=instance, run_id=run_id, raise_on_error=False
            )
    finally:
        close_warehouses()
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
        _write_last_run(home, {**record, "status": "failed", "error": message})
        raise PipelineError(message)
    _write_last_run(home, {**record, "status": "success", "quarantined": summary.quarantined})
    return summary


def _failure_message(result) -> str:
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            cause = error
            while cause.cause is not None:  # the user error, not Dagster's wrapper
                cause = cause.cause
            lines = [line.strip() for line in (cause.message or "").splitlines()]
            text = next((line for line in lines if line), "unknown error")
            return f"step {event.step_key} failed: {text}"
    return "the run failed before any step started (see the Dagster logs with `paved dev`)"

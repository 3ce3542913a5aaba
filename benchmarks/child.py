"""One measured task per process: `python -m benchmarks.child TASK --out result.json ...`.

Why a child process per task: wall time, CPU time (user + system) and peak resident memory are
read by the parent from `os.wait4()` for exactly this process, so the pipeline's figures include
importing Dagster and nothing of the benchmark driver, and one task's memory never inflates the
next one's. The parent also enforces time budgets by killing the child.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

def task_pipeline(args: argparse.Namespace) -> dict[str, Any]:
    """The whole Dagster pipeline, as `paved run --inbox ...` runs it."""
    started = time.perf_counter()
    from pipelines.paths import Home
    from pipelines.runner import run_pipeline

    summary = run_pipeline(Home(Path(args.home)), [Path(p) for p in args.inbox])
    return {
        "process_s": time.perf_counter() - started,
        "run_s": summary.seconds,
        "steps": summary.steps,
        "row_counts": summary.row_counts,
        "failed_checks": summary.failed_checks,
    }


def task_direct(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.direct import run_direct

    progress = Path(args.out).with_suffix(".progress.json")
    return run_direct(Path(args.home), [Path(p) for p in args.inbox], progress)


def task_pandas(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.pandas_dora import compute

    started = time.perf_counter()
    values, timings = compute(Path(args.batch))
    return {"seconds": time.perf_counter() - started, "phases": timings, "values": values}


def task_readlimit(args: argparse.Namespace) -> dict[str, Any]:
    """DuckDB reading every column of every file of the batch once: the least any pipeline does.

    `hash(COLUMNS(*))` decodes every value of every column (lists included); best of three, so
    the figure is the decode cost with the files in the page cache, as in the pipeline's runs.
    """
    import duckdb

    files = sorted(Path(args.batch).glob("*.parquet"))
    con = duckdb.connect()
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        for file in files:
            con.execute(
                "SELECT count(*), bit_xor(hash(COLUMNS(*))) FROM read_parquet(?)", [str(file)]
            ).fetchall()
        runs.append(time.perf_counter() - started)
    return {"seconds": min(runs), "runs": runs, "files": len(files)}


def task_readers(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.readers import dashboard_pages, report_render, sql_queries
    from pipelines.paths import Home

    home = Home(Path(args.home))
    out: dict[str, Any] = {}
    for name, fn in (
        ("sql", lambda: sql_queries(home.published, args.repeats)),
        (
            "report",
            lambda: report_render(home.root, args.week, Path(args.scratch), not args.no_static),
        ),
        ("dashboard", lambda: dashboard_pages(home.root, args.repeats)),
    ):
        try:
            out[name] = fn()
        except Exception as exc:  # noqa: BLE001 - one reader failing must not hide the others
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return out


TASKS = {
    "pipeline": task_pipeline,
    "direct": task_direct,
    "pandas": task_pandas,
    "readlimit": task_readlimit,
    "readers": task_readers,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.child")
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument("--out", required=True)
    parser.add_argument("--home")
    parser.add_argument("--inbox", action="append", default=[])
    parser.add_argument("--batch")
    parser.add_argument("--week")
    parser.add_argument("--scratch")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--no-static", action="store_true", help="report without PNG and PDF")
    args = parser.parse_args(argv)
    result = TASKS[args.task](args)
    Path(args.out).write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


@dataclass
class ChildResult:
    """What one child cost, as the kernel accounted it, and what it reported."""

    task: str
    wall_s: float
    cpu_s: float
    user_s: float
    sys_s: float
    peak_rss_mb: float
    exit_code: int | None
    timed_out: bool
    result: dict[str, Any] | None
    stderr_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and self.result is not None

    @property
    def partial(self) -> dict[str, Any] | None:
        """What a child killed at its budget recorded before it died (direct runs only)."""
        return (self.result or {}).get("partial")

    def as_dict(self, with_result: bool = False) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        if not with_result:
            out.pop("result")
        return out


def run_child(task: str, out_dir: Path, *args: str, timeout_s: float | None = None) -> ChildResult:
    """Run one task in a fresh interpreter; wall, CPU and peak RSS from `os.wait4`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{task}-{time.monotonic_ns()}.json"
    log = out.with_suffix(".log")
    command = [sys.executable, "-m", "benchmarks.child", task, "--out", str(out), *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "DAGSTER_HOME": str(out_dir / "dagster")}
    with log.open("wb") as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=stderr, stderr=stderr, start_new_session=True
        )
        expired = threading.Event()

        def _kill() -> None:
            expired.set()
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: only this child's group

        timer = threading.Timer(timeout_s, _kill) if timeout_s else None
        if timer:
            timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, not all children
        finally:
            if timer:
                timer.cancel()
        wall = time.perf_counter() - started
        timed_out = expired.is_set()
    proc.returncode = os.waitstatus_to_exitcode(status)
    result = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else None
    progress = out.with_suffix(".progress.json")
    if result is None and progress.is_file():  # killed at its budget: how far it got
        result = {"partial": json.loads(progress.read_text(encoding="utf-8"))}
    tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if proc.returncode else ""
    return ChildResult(
        task=task,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,  # Linux reports KiB
        exit_code=proc.returncode,
        timed_out=timed_out,
        result=result,
        stderr_tail=tail,
    )


if __name__ == "__main__":
    raise SystemExit(main())

"""paved's SQL run directly, without Dagster: the orchestration-cost baseline.

Why: the whole-pipeline time includes importing Dagster, building the definitions, an in-process
run with event logging, a DuckDB connection opened per asset and the asset checks. Running the
same plain functions in the same order on one connection isolates what the SQL itself costs, so
the difference is what orchestration costs. It mirrors `pipelines/defs` (ingest, core, marts,
metrics, platform, publish; checks are not run); `benchmarks.run` compares the published tables
of both runs and says so when the graph has grown an asset this file does not mirror.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from pipelines.config import Rules


def run_direct(
    home_dir: Path, inboxes: list[Path], progress: Path | None = None
) -> dict[str, object]:
    """Load, core, marts, metrics and publish on a fresh home; seconds per stage and per mart.

    After every stage the figures so far are written to `progress`, so a run stopped at its time
    budget still tells how far it got.
    """
    from metrics.compute import build_metrics
    from pipelines.core import build_core
    from pipelines.inbox import load_inbox
    from pipelines.marts import MARTS, build_mart
    from pipelines.paths import Home
    from pipelines.publish import publish
    from pipelines.sqlfiles import run_sql_file
    from pipelines.warehouse import open_warehouse

    home = Home(home_dir).ensure()
    run_id = f"direct-{uuid.uuid4()}"
    stages: dict[str, float] = {}
    steps: dict[str, float] = {}
    started_all = time.perf_counter()

    def note(running: str) -> None:
        if progress is not None:
            partial = {"stages": stages, "steps": steps, "running": running}
            progress.write_text(json.dumps(partial), encoding="utf-8")

    with open_warehouse(home.warehouse) as con:
        started = time.perf_counter()
        for index, folder in enumerate(inboxes):
            load_inbox(con, folder, f"{run_id}-{index}")
        run_sql_file(con, "meta/source_runs.sql")
        record = Rules().as_record()
        run_sql_file(con, "meta/rules.sql", {**record, "rules_json": json.dumps(record)})
        run_sql_file(
            con, "meta/run_started.sql", {"run_id": run_id, "rules_json": json.dumps(record)}
        )
        stages["load"] = time.perf_counter() - started
        note("core")

        started = time.perf_counter()
        build_core(con)
        stages["core"] = time.perf_counter() - started
        note("marts")

        started = time.perf_counter()
        for mart in MARTS:
            note(f"marts/{mart.name}")
            t = time.perf_counter()
            build_mart(con, mart.name)
            steps[f"marts/{mart.name}"] = time.perf_counter() - t
        stages["marts"] = time.perf_counter() - started
        note("metrics")

        started = time.perf_counter()
        build_metrics(con)
        stages["metrics"] = time.perf_counter() - started
        note("platform")

        started = time.perf_counter()
        _platform(con)
        stages["platform"] = time.perf_counter() - started
        note("publish")

        started = time.perf_counter()
        run_sql_file(con, "meta/run_finished.sql", {"run_id": run_id})
        publish(con, home)
        stages["publish"] = time.perf_counter() - started
    return {
        "seconds": time.perf_counter() - started_all,
        "stages": stages,
        "steps": steps,
        "tables": published_tables(home.published),
    }


def _platform(con) -> None:
    """The platform assets (pipelines/defs/platform.py) with default settings, when present."""
    try:
        from pipelines.impact import build_platform_impact
        from pipelines.roadmap import build_roadmap, load_platform_settings, write_settings
    except ImportError:  # an older checkout without the platform layer
        return
    from pipelines.sqlfiles import run_sql_file

    settings = load_platform_settings({})
    write_settings(con, settings)
    run_sql_file(con, "marts/friction_signals.sql")
    build_platform_impact(con, settings.impact)
    build_roadmap(con)


def published_tables(path: Path) -> dict[str, int]:
    """`schema.table` -> rows of a published copy (to compare two runs' outputs)."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        names = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT internal ORDER BY 1, 2"
        ).fetchall()
        return {
            f"{s}.{t}": int(con.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0])
            for s, t in names
        }
    finally:
        con.close()

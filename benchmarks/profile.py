"""Where the SQL time goes: `uv run python -m benchmarks.profile --scale S [--explain N]`.

Why: the stage totals of `benchmarks.run` say which stage dominates, not why. This rebuilds a
scale's warehouse without Dagster on one connection, timing every statement of the load, of each
core entity and of each mart file, prints the slowest, and runs `EXPLAIN ANALYZE` on the slowest
SELECT-shaped statements so the operator that dominates is visible. It also times the experiments
behind the proposals in docs/performance.md, on the same warehouse:

- `core: one JSON parse per record`: the core typing of the largest entities with every field
  read from one `json_transform` of the payload instead of one `->>` extraction per field and
  per check (the SQL paved runs today parses the payload once per use of each field);
- `raw merge against an index of raw`: the re-delivery anti-join of the inbox against a
  `(record_key, payload_hash)` projection instead of `SELECT DISTINCT ... FROM raw.records`.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import duckdb

from benchmarks.scales import cache_root, ensure_batch, parse_scales


def _timed(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> float:
    started = time.perf_counter()
    con.execute(sql, params or None)
    return time.perf_counter() - started


def profile(batch: Path, work: Path, explain: int) -> None:
    from metrics.compute import build_metrics
    from pipelines.config import Rules
    from pipelines.contract import ENTITIES
    from pipelines.core import build_entity, typed_select
    from pipelines.marts import MARTS, mart_sql
    from pipelines.sqlfiles import run_sql_file
    from pipelines.warehouse import configure

    work.mkdir(parents=True, exist_ok=True)
    path = work / "profile.duckdb"
    path.unlink(missing_ok=True)
    con = configure(duckdb.connect(str(path)))
    timings: list[tuple[float, str, str]] = []

    from pipelines.inbox import _stage_file, discover
    from pipelines.raw import ensure_raw, merge_stage, start_stage

    ensure_raw(con)
    start_stage(con)
    started = time.perf_counter()
    for entity, file in discover(batch)[0]:
        _stage_file(con, entity, file)
    timings.append((time.perf_counter() - started, "load", "stage files (to_json per row)"))
    started = time.perf_counter()
    con.execute("INSERT INTO meta.batches VALUES ('profile', now()::TIMESTAMP, 'inbox', NULL)")
    merge_stage(con, "profile")
    timings.append((time.perf_counter() - started, "load", "merge stage into raw"))
    record = Rules().as_record()
    import json

    run_sql_file(con, "meta/rules.sql", {**record, "rules_json": json.dumps(record)})
    run_sql_file(con, "core/schema.sql")
    for entity in ENTITIES:
        started = time.perf_counter()
        build_entity(con, entity)
        timings.append((time.perf_counter() - started, "core", entity.name))
    started = time.perf_counter()
    run_sql_file(con, "core/identity.sql")
    timings.append((time.perf_counter() - started, "core", "identity.sql"))

    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    statements: list[tuple[float, str, str]] = []
    for mart in MARTS:
        prepare = getattr(mart, "prepare", None)  # a Python step before the SQL (commit graph)
        if prepare is not None:
            started = time.perf_counter()
            prepare(con)
            timings.append((time.perf_counter() - started, "marts", f"{mart.name}#prepare"))
        for i, statement in enumerate(con.extract_statements(mart_sql(mart.name))):
            seconds = _timed(con, statement.query)
            timings.append((seconds, "marts", f"{mart.name}#{i}"))
            statements.append((seconds, f"{mart.name}#{i}", statement.query))
    started = time.perf_counter()
    build_metrics(con)
    timings.append((time.perf_counter() - started, "metrics", "build_metrics"))

    print("slowest statements (one connection, no Dagster):")
    for seconds, stage, name in sorted(timings, reverse=True)[:12]:
        print(f"  {seconds:7.2f} s  {stage:<8} {name}")

    for seconds, name, sql in sorted(statements, reverse=True)[:explain]:
        body = re.sub(r"^\s*CREATE\s+OR\s+REPLACE\s+(TEMP\s+)?TABLE\s+\S+\s+AS\s+", "", sql,
                      flags=re.IGNORECASE | re.DOTALL)  # fmt: skip
        print(f"\nEXPLAIN ANALYZE {name} ({seconds:.2f} s):")
        try:
            plan = con.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + body).fetchall()
            print(_operators(plan[0][1]))
        except duckdb.Error as exc:
            print(f"  (not explainable: {str(exc).splitlines()[0]})")

    experiments(con, ENTITIES, typed_select)
    con.close()


def _operators(plan_json: str, top: int = 8) -> str:
    """Operators of an `EXPLAIN (ANALYZE, FORMAT JSON)` profile, slowest first, with rows out."""
    import json

    found: list[tuple[float, str, int]] = []

    def walk(node: dict) -> None:
        if node.get("operator_type"):
            found.append(
                (
                    float(node.get("operator_timing", 0.0)),
                    f"{node['operator_type']} {_extra(node.get('extra_info', {}))}".strip(),
                    int(node.get("operator_cardinality", 0)),
                )
            )
        for child in node.get("children", []):
            walk(child)

    root = json.loads(plan_json)
    walk(root)
    lines = [f"  {s:7.3f} s  {rows:>11,} rows  {n}" for s, n, rows in sorted(found, reverse=True)]
    return f"  latency {root.get('latency', 0):.2f} s\n" + "\n".join(lines[:top])


def _extra(info: dict) -> str:
    for key in ("Join Type", "Conditions", "Table", "Function", "Aggregates", "Groups"):
        if key in info:
            return " ".join(str(info[key]).split())[:70]
    return ""


def experiments(con: duckdb.DuckDBPyConnection, entities, typed_select) -> None:
    """Time the alternatives the proposals describe, against what paved runs today."""
    print("\nexperiment: core typing, current SQL vs one JSON parse per record")
    for entity in sorted(entities, key=lambda e: -_rows(con, e.name))[:3]:
        current = _timed(con, f"CREATE OR REPLACE TEMP TABLE x AS {typed_select(entity)}")
        structure = "{" + ", ".join(f'"{f.name}": "VARCHAR"' for f in entity.fields) + "}"
        fields = ", ".join(f"nullif(trim(j.{f.name}), '') AS {f.name}" for f in entity.fields)
        once = _timed(
            con,
            f"CREATE OR REPLACE TEMP TABLE y AS SELECT seq, record_key, {fields} FROM ("
            f"SELECT seq, record_key, json_transform(payload, '{structure}') AS j "
            f"FROM raw.records WHERE entity = '{entity.name}')",
        )
        print(
            f"  {entity.name:<16} rows {_rows(con, entity.name):>9,}  current {current:6.2f} s"
            f"  one parse (text only, no checks) {once:6.2f} s"
        )
    print("\nexperiment: raw merge re-delivery lookup")
    full = _timed(
        con,
        "CREATE OR REPLACE TEMP TABLE z AS SELECT DISTINCT source, entity, record_key, "
        "payload_hash FROM raw.records",
    )
    hashes = _timed(
        con, "CREATE OR REPLACE TEMP TABLE z2 AS SELECT DISTINCT payload_hash FROM raw.records"
    )
    print(
        f"  DISTINCT (source, entity, key, hash) over raw {full:6.2f} s; hash only {hashes:6.2f} s"
    )
    con.execute("DROP TABLE IF EXISTS x; DROP TABLE IF EXISTS y; DROP TABLE IF EXISTS z")


def walk_experiment(path: Path, budget_s: float) -> None:
    """marts.deployment_commits as paved builds it today against the pandas baseline's walk.

    (a) `build_mart(con, "deployment_commits")`, whatever the checkout implements (a recursive
    CTE until 2026-11-27, `pipelines/commit_graph.py` since), interrupted after `budget_s`;
    (c) the Python BFS of `benchmarks.pandas_dora` on the same core tables, reading included.
    """
    import threading

    from benchmarks.pandas_dora import deployment_commit_sets
    from pipelines.marts import build_mart

    con = duckdb.connect(str(path))
    services = con.execute(
        "SELECT count(DISTINCT service_id) FROM marts.deployments WHERE is_counted"
    ).fetchone()[0]
    print(f"\nexperiment: marts.deployment_commits ({services} services deploying)")
    started = time.perf_counter()
    counted = con.execute(
        "SELECT deployment_id, service_id, sha, counted_seq AS seq FROM marts.deployments "
        "WHERE is_counted ORDER BY service_id, counted_seq"
    ).df()
    commits = con.execute("SELECT repo, sha, parents FROM core.commits").df()
    explicit = con.execute("SELECT deployment_id, sha FROM core.deployment_commits").df()
    owners = con.execute("SELECT service_id, repo FROM core.services").df()
    shipped = deployment_commit_sets(counted, commits, explicit, owners)
    print(f"  (c) Python BFS (read + walk): {time.perf_counter() - started:7.1f} s, "
          f"{len(shipped):,} rows")  # fmt: skip
    timer = threading.Timer(budget_s, con.interrupt)
    timer.start()
    started = time.perf_counter()
    try:
        rows = build_mart(con, "deployment_commits")
        print(f"  (a) paved's build_mart: {time.perf_counter() - started:7.1f} s, {rows:,} rows")
    except duckdb.InterruptException:
        print(f"  (a) paved's build_mart: > {budget_s:.0f} s (interrupted)")
    finally:
        timer.cancel()
    con.close()


def _rows(con: duckdb.DuckDBPyConnection, entity: str) -> int:
    return int(
        con.execute("SELECT count(*) FROM raw.records WHERE entity = ?", [entity]).fetchone()[0]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.profile")
    parser.add_argument("--scale", default="S")
    parser.add_argument("--explain", type=int, default=2, help="EXPLAIN ANALYZE the N slowest")
    parser.add_argument("--work", default=str(cache_root() / "profile"))
    parser.add_argument(
        "--walk", type=float, metavar="BUDGET_S", help="only the deployment_commits experiment"
    )
    args = parser.parse_args(argv)
    (scale,) = parse_scales(args.scale)
    batch = ensure_batch(scale)
    work = Path(args.work) / scale.name
    if args.walk:
        walk_experiment(build_until_walk(batch.folder, work), args.walk)
        return 0
    profile(batch.folder, work, args.explain)
    return 0


def build_until_walk(batch: Path, work: Path) -> Path:
    """A warehouse with raw, core and the marts before deployment_commits (kept for reruns)."""
    from benchmarks.direct import run_direct  # noqa: F401  (same order as the direct baseline)
    from pipelines.config import Rules
    from pipelines.core import build_core
    from pipelines.inbox import load_inbox
    from pipelines.marts import build_mart
    from pipelines.sqlfiles import run_sql_file
    from pipelines.warehouse import configure

    work.mkdir(parents=True, exist_ok=True)
    path = work / "until_walk.duckdb"
    if path.is_file():
        return path
    partial = work / "until_walk.partial.duckdb"
    partial.unlink(missing_ok=True)
    con = configure(duckdb.connect(str(partial)))
    import json

    load_inbox(con, batch, "walk")
    record = Rules().as_record()
    run_sql_file(con, "meta/rules.sql", {**record, "rules_json": json.dumps(record)})
    build_core(con)
    for name in ("scopes", "incident_links", "deployments"):
        build_mart(con, name)
    con.execute("CHECKPOINT")
    con.close()
    partial.rename(path)
    return path


if __name__ == "__main__":
    raise SystemExit(main())

"""The one benchmark entry point: `uv run python -m benchmarks.run --scales S,M [--json out.json]`.

For each scale it generates (or reuses) the demo batch, then measures in child processes: the
whole Dagster pipeline (inbox -> published copy), the readers on the published copy (dashboard
pages, `paved sql`, the weekly report), an incremental run after one more day of data, and three
baselines on the same batch: the read limit (DuckDB decoding every input column once), paved's
SQL without Dagster, and a hand-written pandas version of the five DORA metrics whose values are
checked against paved's. It prints one table and writes everything to JSON
(default `benchmarks/results/<timestamp>.json`, gitignored). docs/performance.md explains the
figures; nothing here asserts a target, it reports them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.child import REPO, ChildResult, run_child
from benchmarks.scales import Scale, cache_root, ensure_batch, parse_scales

RESULTS = REPO / "benchmarks" / "results"
REPORT_WEEK = "2025-W22"  # the last week of the fixed END (2025-06-01); see benchmarks.scales


# --- machine --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the figures were measured on; the load average says whether the box was shared."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions = {}
    for package in ("duckdb", "dagster", "pandas", "pyarrow", "numpy", "streamlit"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--", "pipelines", "metrics", "dashboards"],
                cwd=REPO,
                capture_output=True,
                text=True,
            ).stdout.strip()
        )
    except OSError:
        commit, dirty = "unknown", False
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "memory_gb": mem_gb,
        "cpu_model": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": versions,
        "git_commit": commit,
        "git_dirty": dirty,
        "loadavg_start": os.getloadavg(),
    }


# --- stages -----------------------------------------------------------------------------------


PLATFORM_STEPS = {
    "platform_settings", "roadmap", "marts__friction_signals", "marts__platform_impact",
}  # fmt: skip


def stage_of(step: str) -> str:
    """Dagster step key -> benchmark stage (load = raw/inbox, sources and meta/rules)."""
    if step in PLATFORM_STEPS:
        return "platform"
    if step.endswith("_checks"):
        return "checks"
    if step.startswith(("raw__", "meta__")):
        return "load"
    if step == "core_tables":
        return "core"
    if step.startswith("marts__"):
        return "marts"
    if step == "metric_tables":
        return "metrics"
    if step.startswith("publish__"):
        return "publish"
    return "other"


def stages(steps: dict[str, float], process_s: float) -> dict[str, float]:
    """Seconds per stage; `orchestration` is the process time no step accounts for."""
    out = dict.fromkeys(("load", "core", "marts", "metrics", "platform", "publish", "checks"), 0.0)
    for step, seconds in steps.items():
        key = stage_of(step)
        out[key] = out.get(key, 0.0) + seconds
    out["orchestration"] = max(process_s - sum(steps.values()), 0.0)
    return out


def dagster_steps(home: Path) -> tuple[dict[str, float], str | None]:
    """Finished steps' seconds and the step still running, from the run's own event log.

    Why: a pipeline child killed at its time budget reports nothing itself, but the runner keeps
    Dagster's event log under `<home>/dagster`; it says how far the run got and where it stuck.
    """
    import sqlite3

    done: dict[str, float] = {}
    started: dict[str, datetime] = {}
    for db in sorted((home / "dagster" / "history" / "runs").glob("*.db")):
        if db.name == "index.db":
            continue
        con = sqlite3.connect(db)
        try:
            rows = con.execute(
                "SELECT timestamp, step_key, dagster_event_type FROM event_logs "
                "WHERE dagster_event_type IN ('STEP_START', 'STEP_SUCCESS') ORDER BY id"
            ).fetchall()
        except sqlite3.Error:
            rows = []
        finally:
            con.close()
        for stamp, step, kind in rows:
            at = datetime.fromisoformat(stamp)
            if kind == "STEP_START":
                started[step] = at
            elif step in started:
                done[step] = (at - started.pop(step)).total_seconds()
    running = next(iter(started), None)
    return done, running


# --- one scale --------------------------------------------------------------------------------


def _child_summary(child: ChildResult) -> dict[str, Any]:
    summary = child.as_dict()
    if not child.ok:
        summary["error"] = "timed out" if child.timed_out else child.stderr_tail[-600:]
    return summary


def bench_scale(scale: Scale, args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement of one scale; heavy work in child processes, homes removed afterwards."""
    from benchmarks.direct import published_tables
    from benchmarks.nextday import build_next_day
    from benchmarks.pandas_dora import paved_values

    out: dict[str, Any] = {"scale": scale.name, "engineers": scale.engineers, "weeks": scale.weeks}
    _say(f"[{scale.name}] batch ({scale.engineers} engineers x {scale.weeks} weeks)")
    batch = ensure_batch(scale)
    out["batch"] = batch.as_dict()
    out["records"] = sum(batch.records.values())
    next_day = batch.folder.parent / "next_day"
    if not (next_day / ".complete").is_file():
        shutil.rmtree(next_day, ignore_errors=True)
        counts = build_next_day(batch.folder, next_day, scale.end)
        (next_day / ".complete").write_text(json.dumps(counts), encoding="utf-8")
    out["next_day_records"] = json.loads((next_day / ".complete").read_text(encoding="utf-8"))

    work = Path(args.work) / scale.name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    logs = work / "children"
    home = work / "home"

    _say(f"[{scale.name}] pipeline, full run")
    budget = args.pipeline_budget
    full = run_child(
        "pipeline", logs, "--home", str(home), "--inbox", str(batch.folder), timeout_s=budget
    )
    out["pipeline"] = _child_summary(full)
    if not full.ok:
        steps, running = dagster_steps(home)
        out["pipeline"]["budget_s"] = budget
        out["pipeline"]["running_step"] = running
        out["steps"] = steps
        out["stages"] = stages(steps, sum(steps.values()))
        out["slowest_steps"] = sorted(steps.items(), key=lambda kv: -kv[1])[:5]
        _say(f"[{scale.name}] pipeline did not finish (running: {running})")
        baselines(out, scale, batch.folder, work, logs, args, paved=None)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        return out
    result = full.result or {}
    out["pipeline"]["run_s"] = result["run_s"]
    out["pipeline"]["process_s"] = result["process_s"]
    out["pipeline"]["failed_checks"] = result["failed_checks"]
    out["stages"] = stages(result["steps"], result["process_s"])
    out["slowest_steps"] = sorted(result["steps"].items(), key=lambda kv: -kv[1])[:5]
    out["steps"] = result["steps"]
    out["warehouse_bytes"] = (home / "warehouse.duckdb").stat().st_size
    out["published_bytes"] = (home / "published" / "paved.duckdb").stat().st_size
    tables = published_tables(home / "published" / "paved.duckdb")
    paved = paved_values(home / "published" / "paved.duckdb")

    _say(f"[{scale.name}] readers: dashboard pages, paved sql, weekly report")
    readers = run_child(
        "readers", logs, "--home", str(home), "--week", REPORT_WEEK,
        "--scratch", str(work / "report"), "--repeats", str(args.repeats),
        *(["--no-static"] if args.no_static_report else []),
    )  # fmt: skip
    out["readers"] = readers.result if readers.ok else {"error": _child_summary(readers)}

    _say(f"[{scale.name}] incremental run (one more day)")
    inc = run_child(
        "pipeline", logs, "--home", str(home), "--inbox", str(next_day), timeout_s=budget
    )
    out["incremental"] = _child_summary(inc)
    if inc.ok and inc.result:
        out["incremental"]["stages"] = stages(inc.result["steps"], inc.result["process_s"])
        out["incremental"]["run_s"] = inc.result["run_s"]
    if not args.keep:
        shutil.rmtree(home, ignore_errors=True)

    baselines(out, scale, batch.folder, work, logs, args, paved=paved, tables=tables)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return out


def baselines(
    out: dict[str, Any],
    scale: Scale,
    batch: Path,
    work: Path,
    logs: Path,
    args: argparse.Namespace,
    paved: dict[str, dict[str, float | None]] | None,
    tables: dict[str, int] | None = None,
) -> None:
    """The three baselines on the scale's batch; pandas is checked against paved when it ran."""
    from benchmarks.pandas_dora import compare

    _say(f"[{scale.name}] baseline: paved's SQL without Dagster")
    direct = run_child(
        "direct", logs, "--home", str(work / "direct"), "--inbox", str(batch),
        timeout_s=args.direct_budget or args.pipeline_budget,
    )  # fmt: skip
    out["direct"] = _child_summary(direct)
    if direct.partial:
        out["direct"]["partial"] = direct.partial
    if direct.ok and direct.result and tables is not None:
        out["direct"].update({k: direct.result[k] for k in ("seconds", "stages", "steps")})
        missing = sorted(set(tables) - set(direct.result["tables"]))
        differ = sorted(
            t
            for t in tables
            if t in direct.result["tables"]
            and direct.result["tables"][t] != tables[t]
            and not t.startswith("meta.")
        )
        out["direct"]["tables_missing"] = missing
        out["direct"]["tables_differ"] = differ
    shutil.rmtree(work / "direct", ignore_errors=True)

    _say(f"[{scale.name}] baseline: read limit")
    limit = run_child("readlimit", logs, "--batch", str(batch))
    out["read_limit"] = _child_summary(limit)
    if limit.ok and limit.result:
        out["read_limit"]["seconds"] = limit.result["seconds"]

    _say(f"[{scale.name}] baseline: pandas (budget {args.pandas_budget:.0f} s)")
    pandas_run = run_child("pandas", logs, "--batch", str(batch), timeout_s=args.pandas_budget)
    out["pandas"] = _child_summary(pandas_run)
    out["pandas"]["budget_s"] = args.pandas_budget
    if pandas_run.ok and pandas_run.result and paved is not None:
        out["pandas"]["seconds"] = pandas_run.result["seconds"]
        out["pandas"]["phases"] = pandas_run.result["phases"]
        out["pandas"]["agreement"] = compare(paved, pandas_run.result["values"])
    if pandas_run.ok and pandas_run.result:
        out["pandas"].setdefault("seconds", pandas_run.result["seconds"])
        out["pandas"].setdefault("phases", pandas_run.result["phases"])


# --- printing ---------------------------------------------------------------------------------


def _s(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def _ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "-"
    return f"{a / b:.1f}x"


def _agreement(agreement: dict[str, dict[str, Any]] | None) -> str:
    """'5/5 metrics', or which metrics disagree on how many weeks."""
    if agreement is None:
        return "not checked: paved did not publish"
    agreed = sum(1 for a in agreement.values() if a["ok"])
    detail = ", ".join(
        f"{m} {a['agree']}/{a['weeks']} weeks" for m, a in agreement.items() if not a["ok"]
    )
    return f"{agreed}/{len(agreement)} metrics" + (f" ({detail})" if detail else "")


def args_budget(child: dict[str, Any]) -> float | None:
    """A killed child's wall time is its budget (plus the moment it took to die)."""
    return child.get("wall_s")


def rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) lines of one scale, in the order of docs/performance.md."""
    r: list[tuple[str, str]] = []
    b = result.get("batch", {})
    r.append(("records in batch", f"{result.get('records', 0):,}"))
    r.append(("batch size (Parquet)", f"{b.get('bytes', 0) / 1e6:.0f} MB"))
    gen = b.get("generate_s", 0) + b.get("write_s", 0)
    r.append(("generate + write batch", _s(gen) + (" (cached)" if b.get("cached") else "")))
    p = result.get("pipeline", {})
    wall = p.get("wall_s")
    bound = ""  # ">" when the pipeline hit its budget: ratios are then lower bounds
    if p.get("timed_out") or "error" in p:
        bound = ">"
        why = (
            f"> {_s(p.get('budget_s'))} (budget; still in {p.get('running_step')})"
            if p.get("timed_out")
            else f"failed after {_s(wall)} in {p.get('running_step')}: "
            + str(p.get("error", "")).strip().splitlines()[-1][-60:]
        )
        r.append(("pipeline wall (process)", why))
        r.append(("pipeline peak RSS", f"{p.get('peak_rss_mb', 0):,.0f} MB (until stopped)"))
        for stage, seconds in result.get("stages", {}).items():
            if stage != "orchestration":
                r.append((f"  stage {stage}", f"{_s(seconds)} (finished steps)"))
    else:
        r.append(("pipeline wall (process)", _s(wall)))
        r.append(("  of which Dagster run", _s(p.get("run_s"))))
        r.append(("pipeline CPU (user+sys)", _s(p.get("cpu_s"))))
        r.append(("pipeline peak RSS", f"{p.get('peak_rss_mb', 0):,.0f} MB"))
        for stage, seconds in result.get("stages", {}).items():
            r.append((f"  stage {stage}", _s(seconds)))
    for i, (step, seconds) in enumerate(result.get("slowest_steps", []), 1):
        r.append((f"  slowest #{i}", f"{step} {_s(seconds)}"))
    inc = result.get("incremental")
    if inc is None:
        r.append(("incremental (+1 day) wall", "not run"))
    elif "error" in inc:
        r.append(("incremental (+1 day)", "FAILED"))
    else:
        r.append(("incremental (+1 day) wall", _s(inc.get("wall_s"))))
        pct = 100 * inc["wall_s"] / wall if inc.get("wall_s") and wall else None
        r.append(("  % of full run", f"{pct:.0f} %" if pct is not None else "-"))
        r.append(("  incremental peak RSS", f"{inc.get('peak_rss_mb', 0):,.0f} MB"))
    lim = result.get("read_limit", {}).get("seconds")
    r.append(("read limit (DuckDB, all columns)", _s(lim)))
    r.append(("  pipeline / read limit", bound + _ratio(wall, lim)))
    direct = result.get("direct", {})
    if direct.get("timed_out"):
        running = (direct.get("partial") or {}).get("running", "?")
        r.append(("paved SQL without Dagster (wall)",
                  f"> {_s(args_budget(direct))} (budget; still in {running})"))  # fmt: skip
    else:
        r.append(("paved SQL without Dagster (wall)", _s(direct.get("wall_s"))))
        r.append(("  pipeline / no-Dagster", bound + _ratio(wall, direct.get("wall_s"))))
    r.append(("  no-Dagster peak RSS", f"{direct.get('peak_rss_mb', 0):,.0f} MB"))
    pd_ = result.get("pandas", {})
    if pd_.get("timed_out"):
        r.append(("pandas baseline (wall)", f"> {pd_['budget_s']:.0f} s (budget)"))
        r.append(("  pipeline / pandas", f"< {wall / pd_['budget_s']:.1f}x" if wall else "-"))
    elif "error" in pd_:
        r.append(("pandas baseline", "FAILED: " + str(pd_["error"]).splitlines()[-1][:80]))
    else:
        r.append(("pandas baseline (wall)", _s(pd_.get("wall_s"))))
        r.append(("  pipeline / pandas", bound + _ratio(wall, pd_.get("wall_s"))))
        r.append(("  pandas peak RSS", f"{pd_.get('peak_rss_mb', 0):,.0f} MB"))
        r.append(("  agrees with paved", _agreement(pd_.get("agreement"))))
    readers = result.get("readers", {})
    for title, page in (readers.get("dashboard") or {}).items():
        if not isinstance(page, dict) or "page_total" not in page:
            r.append(("dashboard", str(page)[:80]))
            continue
        t = page["page_total"]
        r.append((
            f"dashboard: {title}",
            f"{page['queries']} queries: page p50 {t['p50_ms']:.0f} ms, p95 {t['p95_ms']:.0f} ms;"
            f" worst query p95 {page['worst_query_p95_ms']:.0f} ms",
        ))  # fmt: skip
    for name, stats in (readers.get("sql") or {}).items():
        if isinstance(stats, dict) and "p50_ms" in stats:
            r.append((f"paved sql: {name}", f"p50 {stats['p50_ms']:.0f} ms, "
                      f"p95 {stats['p95_ms']:.0f} ms"))  # fmt: skip
    report = readers.get("report") or {}
    if "html_md" in report:
        r.append(("weekly report (HTML+MD)", _s(report["html_md"]["seconds"])))
    if "full" in report:
        r.append(("weekly report (full, PNG+PDF)", _s(report["full"]["seconds"])))
    return r


def print_table(results: list[dict[str, Any]]) -> str:
    """One column per scale; returns the text (also printed) for docs/performance.md."""
    columns = [dict(rows(r)) for r in results]
    labels: list[str] = []
    for r in results:
        for label, _ in rows(r):
            if label not in labels:
                labels.append(label)
    heads = [f"{r['scale']} ({r['engineers']:,} eng.)" for r in results]
    lines = ["| measure | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
    for label in labels:
        cells = [c.get(label, "") for c in columns]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    print(text)
    return text


def _say(text: str) -> None:
    print(f"{datetime.now().strftime('%H:%M:%S')} {text}", flush=True)


def build_parser() -> argparse.ArgumentParser:
    """The command line; also how tests build the options of `bench_scale`."""
    parser = argparse.ArgumentParser(prog="benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="S", help="comma-separated: T, S, M, L, custom:NxW")
    parser.add_argument("--json", help="write results here (default benchmarks/results/<ts>.json)")
    parser.add_argument("--repeats", type=int, default=20, help="runs per reader query")
    parser.add_argument("--pandas-budget", type=float, default=600.0, help="seconds")
    parser.add_argument(
        "--pipeline-budget", type=float, default=1800.0, help="seconds per pipeline run"
    )
    parser.add_argument(
        "--direct-budget", type=float, help="seconds for the no-Dagster run (default: pipeline's)"
    )
    parser.add_argument("--work", default=str(cache_root() / "runs"), help="scratch homes")
    parser.add_argument("--keep", action="store_true", help="keep the homes for inspection")
    parser.add_argument(
        "--no-static-report", action="store_true", help="skip the report's PNG and PDF (CI)"
    )
    parser.add_argument(
        "--messy",
        action="store_true",
        help="also the messy-input benchmark (benchmarks.messy: ~1 M records, 1%% corrupted, "
        "3 runs each; `--scales ''` for it alone)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    started = time.perf_counter()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path(args.json) if args.json else RESULTS / f"{stamp}.json"
    info = machine()
    results = []
    for scale in parse_scales(args.scales):
        results.append(bench_scale(scale, args))
        _write({"machine": info, "scales": results}, path)  # an L run that dies keeps S and M
    messy = None
    if args.messy:
        from benchmarks.messy import bench_messy

        messy = bench_messy(work=Path(args.work), budget=args.pipeline_budget, keep=args.keep)
    info["loadavg_end"] = os.getloadavg()
    info["total_s"] = time.perf_counter() - started
    table = print_table(results) if results else ""
    payload: dict[str, Any] = {"machine": info, "scales": results, "table": table}
    if messy is not None:
        payload["messy"] = messy
        print(f"\nmessy input:\n{messy['table']}")
    _write(payload, path)
    print(f"\nresults: {path}")
    ok = all("error" not in r.get("pipeline", {}) for r in results)
    if messy is not None:
        ok = ok and all(messy["summary"][b]["checks_ok"] for b in ("clean", "corrupted"))
    return 0 if ok else 1


def _write(payload: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())

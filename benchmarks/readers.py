"""What readers wait for on the published copy: dashboard pages, `paved sql`, the weekly report.

Why the dashboard is measured this way: the pages call `dashboards.data` (and modules built on it)
whose results are cached per published file, so a warm page costs nothing; the figure that matters
is the cold one, right after a publish. Each page is run once headless (Streamlit's AppTest) with
`dashboards.data._execute` wrapped to record every (SQL, parameters) the page sends. Then, as the
dashboard does (one read-only connection per page render, see `dashboards/data.py`):

- each recorded query is timed `repeats` times, each time as the first query on a freshly opened
  connection (the open itself not counted): the query's own cost on a cold DuckDB instance, the
  worst place it can run in a render;
- the page total is timed `repeats` times as one render's data access: open the connection, run
  every recorded query in order, close it;
- `connection` is the open + close alone, the fixed cost every cold render pays once.

Recording the page rather than listing its calls by hand keeps the benchmark right as pages are
added or changed.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def percentile(samples: Sequence[float], q: float) -> float:
    """Interpolated percentile (q in 0..100) of a non-empty sample."""
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def sampled(measure: Callable[[], float], repeats: int) -> dict[str, float]:
    """p50/p95/max in milliseconds of `repeats` measurements (after one warm-up call), each
    taken by `measure` itself (so it can leave set-up out of the time)."""
    measure()
    samples = [measure() for _ in range(repeats)]
    return {
        "p50_ms": percentile(samples, 50),
        "p95_ms": percentile(samples, 95),
        "max_ms": max(samples),
        "mean_ms": statistics.fmean(samples),
        "n": len(samples),
    }


def timed(fn: Callable[[], object], repeats: int) -> dict[str, float]:
    """p50/p95/max in milliseconds over `repeats` calls (after one warm-up call)."""

    def measure() -> float:
        started = time.perf_counter()
        fn()
        return (time.perf_counter() - started) * 1000

    return sampled(measure, repeats)


def dashboard_pages(home_dir: Path, repeats: int) -> dict[str, dict[str, Any]]:
    """Per available page: its recorded queries and their uncached p50/p95, and the page total."""
    os.environ["PAVED_HOME"] = str(home_dir)
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dashboards import data
    from dashboards.navigation import APP, available_pages

    recorded: list[tuple[str, tuple[Any, ...]]] = []
    original = data._execute

    def recording(con: Any, sql: str, params: Sequence[Any]):
        recorded.append((sql, tuple(params)))
        return original(con, sql, params)

    path = data.published_path()
    results: dict[str, dict[str, Any]] = {}
    data._execute = recording
    try:
        for page in available_pages():
            recorded.clear()
            st.cache_data.clear()
            started = time.perf_counter()
            at = AppTest.from_file(str(APP), default_timeout=120)
            if not page.default:  # opened by its link: the default page does not run first
                at.switch_page(str(page.path.relative_to(APP.parent)))
            at.run()
            cold_s = time.perf_counter() - started
            errors = [str(e.value)[:200] for e in at.exception]
            queries = list(dict.fromkeys(recorded))  # a page may ask the same thing twice
            results[page.title] = {"queries": queries, "cold_render_s": cold_s, "errors": errors}
    finally:
        data._execute = original

    def first_on_fresh_connection(sql: str, params: tuple[Any, ...]) -> float:
        con, _ = data._open(path)
        try:
            started = time.perf_counter()
            original(con, sql, list(params))
            return (time.perf_counter() - started) * 1000
        finally:
            con.close()

    def render(queries: list[tuple[str, tuple[Any, ...]]]) -> None:
        con, _ = data._open(path)
        try:
            for sql, params in queries:
                original(con, sql, list(params))
        finally:
            con.close()

    connection = timed(lambda: data._open(path)[0].close(), repeats)
    for title, page in results.items():
        per_query = []
        for sql, params in page["queries"]:
            stats = sampled(lambda s=sql, p=params: first_on_fresh_connection(s, p), repeats)
            per_query.append({"sql": " ".join(sql.split())[:160], **stats})
        total = (
            timed(lambda qs=page["queries"]: render(qs), repeats)
            if page["queries"]
            else {"p50_ms": 0.0, "p95_ms": 0.0, "max_ms": 0.0, "mean_ms": 0.0, "n": 0}
        )
        results[title] = {
            "queries": len(page["queries"]),
            "page_total": total,
            "worst_query_p95_ms": max((q["p95_ms"] for q in per_query), default=0.0),
            "per_query": per_query,
            "connection": connection,
            "cold_render_s": page["cold_render_s"],
            "errors": page["errors"],
        }
    return results


SQL_QUERIES: dict[str, str] = {
    "weekly org DORA": (
        "SELECT period_start, metric, value FROM metrics.metric_values "
        "WHERE grain = 'week' AND scope = 'org' AND metric IN ('deployment_frequency', "
        "'change_lead_time', 'change_fail_rate', 'failed_deployment_recovery_time', "
        "'deployment_rework_rate') ORDER BY period_start, metric"
    ),
    "lead time by team, last 12 weeks": (
        "SELECT team_id, count(*) AS changes, median(lead_time_hours) AS median_h, "
        "quantile_cont(lead_time_hours, 0.9) AS p90_h FROM marts.changes "
        "WHERE deployed_at >= (SELECT max(deployed_at) FROM marts.changes) - INTERVAL 84 DAY "
        "GROUP BY team_id ORDER BY median_h DESC"
    ),
    "failing services with reasons": (
        "SELECT d.service_id, count(*) FILTER (WHERE d.is_failure) AS failed, count(*) AS counted,"
        " any_value(d.failure_reason) FILTER (WHERE d.is_failure) AS example "
        "FROM marts.deployments d WHERE d.is_counted GROUP BY d.service_id "
        "ORDER BY failed DESC LIMIT 20"
    ),
}


def sql_queries(published: Path, repeats: int) -> dict[str, dict[str, float]]:
    """Three typical `paved sql` queries through `run_query` (sandbox open included)."""
    from pipelines.query import run_query

    return {
        name: timed(lambda q=sql: run_query(published, q), repeats)
        for name, sql in SQL_QUERIES.items()
    }


def report_render(home_dir: Path, week: str, out_dir: Path, static: bool = True) -> dict[str, Any]:
    """The weekly report for `week`: quick (HTML + Markdown) and, when `static`, full (PNG + PDF
    through Chromium, ~10 s of which the data is a fraction)."""
    from pipelines.paths import Home
    from pipelines.report import render_report

    home = Home(home_dir)
    out: dict[str, Any] = {}
    for label, full in (("html_md", False), ("full", True)):
        if full and not static:
            continue
        started = time.perf_counter()
        result = render_report(home, week, out_dir / label, static=full)
        out[label] = {
            "seconds": time.perf_counter() - started,
            "steps": {k: round(v, 3) for k, v in result.timings.items()},
            "warnings": result.warnings,
            "empty": result.empty,
        }
    return out

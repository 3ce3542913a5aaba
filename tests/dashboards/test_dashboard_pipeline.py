"""The pages and the SQL examples on a warehouse the real pipeline built from a small demo batch.

The hand-written fixture states what a page must show; this one guards the other direction: a
column renamed in a mart or a metric table breaks a test here, not a user's page. The batch goes
through the same steps as a run (raw, core, marts, metrics, publish) in-process, without Dagster,
to keep it to a few seconds.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from dashboard_pages import charts, run_page, values

from dashboards.navigation import available_pages
from pipelines.paths import Home
from pipelines.query import run_query
from pipelines.sql_examples import EXAMPLES, Example

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "pipelines" / "demo" / "paved.demo.toml"


def build_home(root: Path) -> Home:
    """Generate a small demo organisation and run every pipeline step on it into `root`,
    the platform stage (friction, impact, roadmap, opportunities) included."""
    from metrics.compute import build_metrics
    from pipelines.config import Rules
    from pipelines.core import build_core
    from pipelines.demo import DemoSpec, generate, write_batch
    from pipelines.inbox import load_inbox
    from pipelines.marts import build_marts
    from pipelines.publish import publish
    from pipelines.raw import ensure_raw
    from pipelines.roadmap import build_platform, load_platform_settings
    from pipelines.sqlfiles import run_sql_file

    home = Home(root).ensure()
    inbox = root / "inbox"
    write_batch(generate(DemoSpec(engineers=20, weeks=6)), inbox)
    rules = Rules().as_record()
    con = duckdb.connect(str(home.warehouse))
    try:
        run_sql_file(con, "meta/rules.sql", {**rules, "rules_json": json.dumps(rules)})
        run_sql_file(con, "meta/run_started.sql", {"run_id": "r1", "rules_json": "{}"})
        run_sql_file(con, "meta/source_runs.sql")
        ensure_raw(con)
        load_inbox(con, inbox, "batch-1")
        build_core(con)
        build_marts(con)
        build_metrics(con)
        # The platform stage with the demo's settings (three roadmap initiatives).
        build_platform(con, load_platform_settings(tomllib.loads(DEMO_CONFIG.read_text())))
        run_sql_file(con, "meta/run_finished.sql", {"run_id": "r1"})
        publish(con, home)
    finally:
        con.close()
    return home


@pytest.fixture(scope="module")
def pipeline_built(tmp_path_factory: pytest.TempPathFactory) -> Home:
    return build_home(tmp_path_factory.mktemp("pipeline") / "home")


@pytest.fixture
def pipeline_home(pipeline_built: Home, monkeypatch: pytest.MonkeyPatch) -> Iterator[Home]:
    monkeypatch.setenv("PAVED_HOME", str(pipeline_built.root))
    yield pipeline_built


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.key for e in EXAMPLES])
def test_every_sql_example_runs_on_a_pipeline_built_warehouse(
    pipeline_home: Home, example: Example
) -> None:
    result = run_query(pipeline_home.published, example.sql)
    assert result.columns


@pytest.mark.parametrize("page", [Path(p.file).stem for p in available_pages()])
def test_every_page_renders_on_a_pipeline_built_warehouse(pipeline_home: Home, page: str) -> None:
    at = run_page(page)
    assert not at.exception
    assert not at.error


def test_adoption_chart_equals_metric_values_of_the_pipeline(pipeline_home: Home) -> None:
    at = run_page("adoption", {"period": "all"})
    drawn = next(
        t for t in charts(at)["chart_shares"]["data"] if t["name"] == "Golden-path CI runs"
    )
    con = duckdb.connect(str(pipeline_home.published), read_only=True)
    try:
        stored = dict(
            con.execute(
                """SELECT strftime(period_start, '%Y-%m-%d'), value FROM metrics.metric_values
                WHERE metric = 'golden_path_ci_share' AND grain = 'week' AND scope = 'org'"""
            ).fetchall()
        )
    finally:
        con.close()
    assert drawn["y"]
    for x, y in zip(values(drawn["x"]), values(drawn["y"]), strict=True):
        expected = stored[str(x)[:10]]
        assert (y is None or y != y) if expected is None else y == pytest.approx(expected)


def test_delivery_chart_equals_metric_values_of_the_pipeline(pipeline_home: Home) -> None:
    at = run_page("delivery", {"period": "all"})
    drawn = charts(at)["chart_change_lead_time"]["data"][0]
    con = duckdb.connect(str(pipeline_home.published), read_only=True)
    try:
        stored = dict(
            con.execute(
                """SELECT strftime(period_start, '%Y-%m-%d'), value FROM metrics.metric_values
                WHERE metric = 'change_lead_time' AND grain = 'week' AND scope = 'org'"""
            ).fetchall()
        )
    finally:
        con.close()
    assert drawn["y"]
    for x, y in zip(drawn["x"], drawn["y"], strict=True):
        assert y == pytest.approx(stored[x[:10]])

"""The whole Dagster graph, materialized in-process into a tmp PAVED_HOME, end to end."""

from __future__ import annotations

import json
from datetime import date

import pytest

from pipelines import runner
from pipelines.paths import Home
from pipelines.query import run_query
from pipelines.sql_examples import EXAMPLES
from tests.pipelines.batches import published_rows, small_org


def _write(folder, files: dict[str, list[dict]]) -> None:
    folder.mkdir(parents=True)
    for entity, records in files.items():
        (folder / f"{entity}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """One run shared by the tests that only read its result (a run costs seconds)."""
    root = tmp_path_factory.mktemp("run")
    home = Home(root / "home").ensure()
    _write(root / "batch", small_org())
    summary = runner.run_pipeline(home, [root / "batch"])
    return home, root / "batch", summary


def test_a_batch_flows_to_published_metric_values(ran):
    home, _, summary = ran
    weekly = dict(
        published_rows(
            home,
            """
        SELECT period_start, value FROM metrics.metric_values
        WHERE metric = 'deployment_frequency' AND grain = 'week' AND scope = 'org'
        ORDER BY period_start""",
        )
    )
    assert weekly[date(2024, 3, 4)] == 2
    assert weekly[date(2024, 3, 11)] == 0  # staging only: an empty week is present with 0
    assert weekly[date(2024, 3, 18)] == 1


def test_change_fail_rate_counts_the_deployment_an_incident_follows(ran):
    home, _, _ = ran
    assert published_rows(
        home,
        """
        SELECT numerator, denominator, value FROM metrics.metric_values
        WHERE metric = 'change_fail_rate' AND grain = 'week' AND scope = 'org'
          AND period_start = DATE '2024-03-04'""",
    ) == [(1.0, 2.0, 0.5)]


def test_an_undefined_ratio_is_null_not_zero(ran):
    home, _, _ = ran
    assert published_rows(
        home,
        """
        SELECT value, denominator FROM metrics.metric_values
        WHERE metric = 'change_fail_rate' AND grain = 'week' AND scope = 'org'
          AND period_start = DATE '2024-03-11'""",
    ) == [(None, 0.0)]


def test_every_step_reports_row_counts_and_no_check_fails(ran):
    _, _, summary = ran
    assert summary.row_counts["core/deployments"] == 4
    assert summary.row_counts["marts/deployments"] == 4
    assert summary.failed_checks == []


def test_the_run_and_its_rules_are_recorded_in_the_published_copy(ran):
    home, _, summary = ran
    [(status, rules)] = published_rows(
        home, f"SELECT status, rules FROM meta.runs WHERE run_id = '{summary.run_id}'"
    )
    assert status == "success"
    assert json.loads(rules)["production_env_regex"] == "^(prod|production)$"


def test_running_again_on_the_same_batch_duplicates_nothing(ran):
    home, folder, _ = ran
    before = published_rows(home, "SELECT count(*) FROM metrics.metric_values")
    runner.run_pipeline(home, [folder])
    assert published_rows(home, "SELECT count(*) FROM core.deployments") == [(4,)]
    assert published_rows(home, "SELECT count(*) FROM metrics.metric_values") == before


def test_a_failure_mid_run_leaves_the_published_copy_as_it_was(ran, monkeypatch):
    home, folder, _ = ran
    before = home.published.stat()

    def broken(_con):
        raise RuntimeError("metrics exploded")

    monkeypatch.setattr("pipelines.defs.transform.build_metrics", broken)
    with pytest.raises(runner.PipelineError, match="metric_tables failed: .*metrics exploded"):
        runner.run_pipeline(home, [folder])
    after = home.published.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    last = json.loads((home.root / "state" / "last_run.json").read_text())
    assert last["status"] == "failed" and "metrics exploded" in last["error"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.title[:40])
def test_every_documented_example_query_runs_on_a_real_warehouse(ran, example):
    home, _, _ = ran
    result = run_query(home.published, example.sql)
    assert result.columns


def test_every_published_table_and_column_has_a_description(ran):
    home, _, _ = ran
    undocumented = published_rows(
        home,
        """
        SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE comment IS NULL
        UNION ALL
        SELECT schema_name || '.' || table_name || '.' || column_name FROM duckdb_columns()
        WHERE comment IS NULL AND schema_name IN ('core', 'marts', 'metrics', 'meta')
          AND table_name NOT IN ('quarantine', 'engineer_aliases', 'alias_conflicts')""",
    )
    assert undocumented == []

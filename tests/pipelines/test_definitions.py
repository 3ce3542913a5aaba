"""The Dagster code location loads with an empty environment and keeps its shape."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO


def test_definitions_validate_with_an_empty_environment(tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "pipelines.definitions"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_asset_graph_has_every_layer_in_order():
    from pipelines.definitions import defs

    graph = defs().resolve_asset_graph()
    keys = {"/".join(k.path) for k in graph.get_all_asset_keys()}
    assert {"raw/inbox", "meta/rules", "core/deployments", "core/quarantine",
            "marts/deployments", "metrics/metric_values", "metrics/catalog",
            "publish/warehouse"} <= keys
    publish_upstream = {
        "/".join(k.path) for k in graph.get(
            next(k for k in graph.get_all_asset_keys() if k.path == ["publish", "warehouse"])
        ).parent_keys
    }
    assert "metrics/metric_values" in publish_upstream


def test_every_asset_states_its_grain():
    from pipelines.definitions import defs

    graph = defs().resolve_asset_graph()
    missing = [
        "/".join(k.path) for k in graph.get_all_asset_keys()
        if not (graph.get(k).description or "").strip()
    ]
    assert missing == []


def test_a_daily_schedule_refreshes_the_whole_graph():
    from pipelines.definitions import defs

    schedule = defs().get_schedule_def("daily_refresh_schedule")
    assert schedule.cron_schedule == "0 5 * * *"
    assert schedule.job_name == "daily_refresh"

"""The SQL page: queries run in a limited child process without secrets (the same function as
`paved sql`), refusals are the sandbox's own sentence, results have a row count, a chart and a CSV,
queries can be saved."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd
import pytest
from dashboard_fixtures import DEPLOYMENT_ROWS
from dashboard_pages import EMPTY_TEXT, charts, downloads, plain, run_page, tables, values
from streamlit.testing.v1 import AppTest

from dashboards import sql_client
from dashboards.app_pages._ui import csv_bytes
from pipelines import query
from pipelines.paths import Home
from pipelines.query import QueryRefused, run_query
from pipelines.sql_examples import EXAMPLE_BY_KEY


@pytest.fixture
def published_home(make_home: Callable[..., Home]) -> Home:
    """A private copy of the standard warehouse: these tests rewrite or write into the home."""
    return make_home()


def run_sql(at: AppTest, sql: str) -> AppTest:
    at.text_area(key="sql_text").input(sql).run()
    return at.button(key="sql_run").click().run()


def test_renders_the_editor_without_exception(published_home: Home) -> None:
    at = run_page("sql")
    assert not at.exception
    assert at.text_area(key="sql_text").value == ""


def test_empty_home_explains_how_to_get_data(empty_home: Home) -> None:
    at = run_page("sql")
    assert not at.exception
    assert [info.value for info in at.info] == [EMPTY_TEXT]


def test_runs_a_query_in_the_sandbox_and_shows_the_row_count(published_home: Home) -> None:
    at = run_sql(run_page("sql"), "SELECT deployment_id, finished_at FROM marts.deployments")
    assert not at.exception and not at.error
    assert at.markdown[-1].value.startswith(f"**{len(DEPLOYMENT_ROWS)} rows** in ")
    result = tables(at)["sql_result"]
    assert sorted(result["deployment_id"]) == sorted(r["deployment_id"] for r in DEPLOYMENT_ROWS)
    assert pd.api.types.is_datetime64_any_dtype(result["finished_at"])  # types survive the pipe


def test_refuses_drop_table_with_the_sandboxs_reason(published_home: Home) -> None:
    statement = "drop table marts.deployments"
    with pytest.raises(QueryRefused) as refused:
        run_query(published_home.published, statement)
    at = run_sql(run_page("sql"), statement)
    assert [plain(error.value) for error in at.error] == [str(refused.value)]
    assert "sql_result" not in downloads(at)


def test_reading_a_file_is_refused_too(published_home: Home) -> None:
    at = run_sql(run_page("sql"), "SELECT * FROM read_csv('/etc/passwd')")
    assert len(at.error) == 1 and "not allowed" in at.error[0].value


def test_the_query_runs_in_a_separate_process_without_secrets(
    published_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    monkeypatch.setenv("PAVED_SMTP_PASSWORD", "hunter2")
    calls: list[dict[str, Any]] = []
    real_popen = subprocess.Popen

    def spy(command: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        calls.append({"command": command, **kwargs})
        return real_popen(command, **kwargs)

    monkeypatch.setattr(query.subprocess, "Popen", spy)
    answer = sql_client.run("SELECT 42 AS answer")
    assert answer.ok and answer.frame["answer"].tolist() == [42]
    (call,) = calls
    assert call["command"] == [sys.executable, "-m", "pipelines.query_child"]
    assert not {"GITHUB_TOKEN", "PAVED_SMTP_PASSWORD", "PAVED_HOME", "HOME"} & set(call["env"])
    assert answer.usage is not None and answer.usage.peak_rss_bytes > 0


def test_the_dashboard_and_paved_sql_share_one_function(published_home: Home) -> None:
    result = run_query(published_home.published, "SELECT * FROM range(10)", max_rows=3)
    answer = sql_client.run("SELECT * FROM range(10)", max_rows=3)
    assert (answer.row_count, answer.truncated) == (len(result.rows), result.truncated) == (3, True)


def test_a_request_can_only_lower_the_configured_limits(published_home: Home) -> None:
    answer = sql_client.run("SELECT * FROM range(10)", max_rows=10**12, timeout_s=10**6)
    assert answer.max_rows == query.DEFAULT_MAX_ROWS


def test_the_limits_come_from_the_sql_table_of_paved_toml(published_home: Home) -> None:
    (published_home.root / "paved.toml").write_text(
        "[sql]\nmax_rows = 4\ntimeout_s = 5\nmemory_limit_gb = 0.5\n", encoding="utf-8"
    )
    answer = sql_client.run("SELECT * FROM range(10)")
    assert (answer.row_count, answer.truncated, answer.max_rows) == (4, True, 4)
    at = run_page("sql")
    assert "at most 5 s, 0.5 GB of memory and 4 rows" in at.caption[0].value


def test_a_memory_bomb_is_answered_with_the_memory_sentence(published_home: Home) -> None:
    (published_home.root / "paved.toml").write_text(
        "[sql]\nmemory_limit_gb = 0.5\n", encoding="utf-8"
    )
    at = run_sql(run_page("sql"), "select len(range(100000000))")
    assert [plain(error.value) for error in at.error] == [
        "the query needed more than 0.5 GB of memory and was stopped: aggregate or filter"
    ]


def test_an_example_loads_into_the_editor(published_home: Home) -> None:
    at = run_page("sql")
    at.selectbox(key="sql_example").set_value("weekly_deployments").run()
    assert at.text_area(key="sql_text").value == EXAMPLE_BY_KEY["weekly_deployments"].sql


def test_quick_chart_plots_the_result(published_home: Home) -> None:
    at = run_page("sql")
    at.selectbox(key="sql_example").set_value("weekly_deployments").run()
    at.button(key="sql_run").click().run()
    trace = charts(at)["chart_sql"]["data"][0]
    assert trace["type"] == "scatter" and trace["mode"] == "lines+markers"  # dates: a line
    assert values(trace["y"]) == tables(at)["sql_result"]["deployments"].tolist()
    at.selectbox(key="chart_x_1").set_value("deployments").run()
    assert charts(at)["chart_sql"]["layout"]["xaxis"]["title"]["text"] == "deployments"


def test_saves_a_query_to_the_state_file_and_loads_it_back(published_home: Home) -> None:
    at = run_page("sql")
    at.text_area(key="sql_text").input("SELECT count(*) FROM marts.deployments").run()
    at.text_input(key="sql_save_name").input("deployments count").run()
    at.button(key="sql_save").click().run()
    assert not at.error and len(at.success) == 1
    saved = json.loads((published_home.root / "state" / "saved_queries.json").read_text())
    assert [(q["name"], q["sql"]) for q in saved["queries"]] == [
        ("deployments count", "SELECT count(*) FROM marts.deployments")
    ]
    fresh = run_page("sql")
    fresh.selectbox(key="sql_saved").set_value("deployments count").run()
    assert fresh.text_area(key="sql_text").value == "SELECT count(*) FROM marts.deployments"


def test_saving_without_a_name_says_what_to_do(published_home: Home) -> None:
    at = run_page("sql")
    at.text_area(key="sql_text").input("SELECT 1").run()
    at.button(key="sql_save").click().run()
    assert [plain(error.value) for error in at.error] == ["give the query a name to save it"]
    assert not sql_client.saved_queries_path().exists()


def test_saving_under_an_existing_name_replaces_it(published_home: Home) -> None:
    sql_client.save_query("q", "SELECT 1")
    sql_client.save_query("q", "SELECT 2")
    assert [(q.name, q.sql) for q in sql_client.load_saved()] == [("q", "SELECT 2")]


def test_csv_keeps_every_row_with_iso_times_and_empty_undefined() -> None:
    frame = pd.DataFrame({"at": [datetime(2026, 1, 5, 9, 30)], "value": [None]})
    assert csv_bytes(frame).decode() == "at,value\n2026-01-05T09:30:00,\n"

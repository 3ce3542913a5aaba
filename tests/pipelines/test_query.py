"""`paved sql`'s sandbox: reads the warehouse, refuses everything else with a reason, and runs
every query in a child process limited in memory and time by the operating system."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines import cli, query
from pipelines.query import (
    QueryRefused,
    SqlLimits,
    run_queries,
    run_query,
    scrub,
    sql_limits,
    why_stopped,
)

GB = 2**30
MARGIN = 512 * 2**20  # the child before the query: Python, DuckDB and pyarrow loaded


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("query") / "home" / "published" / "paved.duckdb"
    path.parent.mkdir(parents=True)
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts")
    con.execute(
        "CREATE TABLE marts.deployments AS SELECT range AS id, range % 3 AS k FROM range(10)"
    )
    con.close()
    return path


def test_a_select_returns_columns_and_rows(published):
    result = run_query(published, "select count(*) as n from marts.deployments")
    assert (result.columns, result.rows) == (["n"], [(10,)])


def test_rows_are_capped(published):
    result = run_query(published, "select * from marts.deployments", max_rows=3)
    assert len(result.rows) == 3 and result.truncated


REFUSED = [
    ("select * from read_csv('/etc/passwd')", "not allowed"),
    ("select * from read_text('/etc/passwd')", "not allowed"),
    ("select * from glob('/etc/*')", "not allowed"),
    ("select * from '/etc/passwd'", "not allowed"),
    ("copy marts.deployments to '/tmp/x.csv'", "COPY statements are not allowed"),
    ("export database '/tmp/paved-export'", "statements are not allowed"),
    ("attach '/tmp/other.duckdb'", "ATTACH statements are not allowed"),
    ("install httpfs", "statements are not allowed"),
    ("load httpfs", "statements are not allowed"),
    ("set memory_limit='10GB'", "SET statements are not allowed"),
    ("pragma enable_profiling", "settings cannot be changed"),
    ("pragma database_list", "settings cannot be changed"),
    ("drop table marts.deployments", "DROP statements are not allowed"),
    ("create table x as select 1", "CREATE statements are not allowed"),
    ("select 1; select 2", "one statement at a time"),
    ("selec 1", "syntax error"),
    ("select * from duckdb_settings()", r"duckdb_settings\(\) is not allowed"),
    ("select path from duckdb_databases()", r"duckdb_databases\(\) is not allowed"),
    ("select * from duckdb_extensions()", r"duckdb_extensions\(\) is not allowed"),
    ("select * from duckdb_temporary_files()", r"duckdb_temporary_files\(\) is not allowed"),
    ("select current_setting('temp_directory')", r"current_setting\(\) is not allowed"),
    ("select * from pragma_database_list", "pragma_database_list"),
    ("select getenv('HOME')", r"getenv\(\) is not allowed"),
    ("from query('select 1')", r"query\(\) is not allowed"),
    ("explain analyze create temp table t as select 1", "EXPLAIN of this statement is not allowed"),
    ("explain analyze copy (select 1) to '/tmp/x.csv'", "EXPLAIN of this statement is not allowed"),
]


@pytest.fixture(scope="module")
def refusals(published) -> list[Any]:
    """The table below, run once in one child (a batch): each statement gets its own answer."""
    return run_queries(published, [sql for sql, _ in REFUSED])


@pytest.mark.parametrize(("index", "sql", "says"), [(i, *case) for i, case in enumerate(REFUSED)])
def test_anything_but_reading_the_warehouse_is_refused_with_a_reason(refusals, index, sql, says):
    answer = refusals[index]
    assert isinstance(answer, QueryRefused), sql
    assert re.search(says, str(answer)), str(answer)


READS = [
    "PIVOT marts.deployments ON k USING count(*)",
    "PIVOT marts.deployments ON k IN (0, 1) USING count(*)",
    "UNPIVOT marts.deployments ON id, k INTO NAME field VALUE val",
    "FROM marts.deployments SELECT id",
    "FROM marts.deployments",
    "WITH d AS (SELECT * FROM marts.deployments) SELECT count(*) FROM d",
    "DESCRIBE marts.deployments",
    "SUMMARIZE marts.deployments",
    "SHOW TABLES",
    "SHOW ALL TABLES",
    "EXPLAIN SELECT 1",
    "EXPLAIN ANALYZE SELECT count(*) FROM marts.deployments",
    "PRAGMA table_info('marts.deployments')",
    "select 'duckdb_settings()' as text",
]


def test_reads_of_every_form_are_allowed(published):
    answers = run_queries(published, READS)
    refused = {
        sql: str(a) for sql, a in zip(READS, answers, strict=True) if isinstance(a, QueryRefused)
    }
    assert refused == {}


def test_a_pivot_answers_one_row_per_group(published):
    result = run_query(
        published, "PIVOT marts.deployments ON k USING count(*) GROUP BY k ORDER BY k"
    )
    assert result.rows == [(0, 4, 0, 0), (1, 0, 3, 0), (2, 0, 0, 3)]


def test_an_unknown_table_suggests_the_closest_names(published):
    with pytest.raises(QueryRefused, match=r"did you mean marts\.deployments"):
        run_query(published, "select * from marts.deployment")


def test_a_long_query_is_stopped_at_the_time_limit_with_one_sentence(published):
    with pytest.raises(QueryRefused) as refused:
        run_query(published, "select count(*) from range(1000000000000) a", timeout_s=1)
    assert str(refused.value) == "the query ran longer than 1 s and was stopped: narrow it down"
    assert refused.value.usage.elapsed_s < 1 + 2


def test_a_query_its_timer_cannot_interrupt_is_stopped_by_the_deadline_or_the_cpu_limit(
    published,
):
    """One list function call on 20 million values runs on without checking the interrupt. The
    parent's wall-clock kill and the child's RLIMIT_CPU race (both at about timeout + 1 s): on a
    quiet machine the CPU limit wins, on a busy one the kill; either way it stops in time."""
    with pytest.raises(QueryRefused) as refused:
        run_query(published, "select len(list_distinct(range(20000000)))", timeout_s=1)
    assert str(refused.value) == "the query ran longer than 1 s and was stopped: narrow it down"
    assert refused.value.usage.elapsed_s < 1 + 2


def _signalled(number: int) -> int:
    return number  # a wait status for "killed by signal `number`" is the number itself


@pytest.mark.parametrize(
    ("status", "stderr", "killed", "says"),
    [
        (_signalled(signal.SIGKILL), "", True, "ran longer than 3 s"),
        (_signalled(signal.SIGXCPU), "", False, "ran longer than 3 s"),
        (
            _signalled(signal.SIGABRT),
            "terminate called after throwing an instance of 'std::bad_alloc'",
            False,
            "needed more than 0.5 GB",
        ),
        (
            1 << 8,
            "Traceback (most recent call last):\nMemoryError",
            False,
            "needed more than 0.5 GB",
        ),
        (1 << 8, "Out of Memory Error: could not allocate block", False, "needed more than 0.5 GB"),
        (_signalled(signal.SIGSEGV), "", False, "needed more than 0.5 GB"),
        (_signalled(signal.SIGKILL), "", False, "needed more than 0.5 GB"),  # the OOM killer
        (1 << 8, "ImportError: no module\n", False, "stopped unexpectedly (ImportError"),
    ],
)
def test_a_child_that_ends_without_answering_gets_one_sentence(status, stderr, killed, says):
    sentence = why_stopped(status, stderr, killed, SqlLimits(0.5, 3, 10))
    assert says in sentence and "\n" not in sentence


def test_a_result_too_large_to_hand_back_is_refused(published, monkeypatch):
    monkeypatch.setattr(query, "MAX_RESULT_BYTES", 2**20)
    with pytest.raises(QueryRefused, match="the result is larger than 1 MB"):
        run_query(published, "select repeat('x', 1000) from range(10000)")


def test_a_missing_published_copy_says_how_to_make_one(tmp_path):
    with pytest.raises(QueryRefused, match="paved demo") as refused:
        run_query(tmp_path / "home" / "published" / "none.duckdb", "select 1")
    assert str(tmp_path) not in str(refused.value) and "<home>" in str(refused.value)


@pytest.mark.parametrize(
    "bomb",
    [
        "select len(range(100000000))",
        "select length(repeat('x', 1000000000))",
        "select string_agg(repeat('x', 1000), ',') from range(5000000)",
    ],
)
def test_a_memory_bomb_is_stopped_at_the_memory_limit_with_one_sentence(published, bomb):
    with pytest.raises(QueryRefused) as refused:
        run_query(published, bomb, memory_limit_gb=0.5, timeout_s=10)
    assert str(refused.value) == (
        "the query needed more than 0.5 GB of memory and was stopped: aggregate or filter"
    )
    usage = refused.value.usage
    assert usage.peak_rss_bytes < 0.5 * GB + MARGIN
    assert usage.address_space_limit < 0.5 * GB + MARGIN


def test_a_list_bomb_stays_under_the_limit_even_when_it_completes(published):
    """`len(range(3e7))` once took 2.2 GB with a 1 GB limit: DuckDB does not count lists."""
    answer = run_queries(published, ["select len(range(30000000))"], SqlLimits(0.5, 10, 10))[0]
    assert answer.usage.peak_rss_bytes < 0.5 * GB + MARGIN


def test_the_child_gets_a_minimal_environment(published, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    seen: list[dict[str, Any]] = []
    real = subprocess.Popen

    def spy(command, **kwargs):
        seen.append(kwargs)
        return real(command, **kwargs)

    monkeypatch.setattr(query.subprocess, "Popen", spy)
    run_query(published, "select 1")
    assert set(seen[0]["env"]) == set(query.child_env())
    assert not any("secret" in value for value in seen[0]["env"].values())
    assert seen[0]["cwd"] == "/"


def test_server_paths_are_replaced_in_messages(tmp_path):
    published = tmp_path / "home" / "published" / "paved.duckdb"
    text = f"Cannot open {published} or {tmp_path / 'home'}/state in {os.path.expanduser('~')}/x"
    assert scrub(text, published) == (
        "Cannot open <home>/published/paved.duckdb or <home>/state in ~/x"
    )


def test_limits_come_from_the_sql_table_and_flags_override_them(tmp_path, monkeypatch):
    monkeypatch.delenv("PAVED_CONFIG", raising=False)
    assert sql_limits(tmp_path) == SqlLimits(1.0, 30.0, 100_000)
    (tmp_path / "paved.toml").write_text(
        "[sql]\nmemory_limit_gb = 2\ntimeout_s = 5\nmax_rows = 7\n", encoding="utf-8"
    )
    assert sql_limits(tmp_path) == SqlLimits(2, 5, 7)
    assert sql_limits(tmp_path).override(timeout_s=1, max_rows=None) == SqlLimits(2, 1, 7)


def test_paved_sql_reads_its_limits_from_paved_toml(published, capsys):
    home = published.parent.parent
    (home / "paved.toml").write_text("[sql]\nmax_rows = 2\n", encoding="utf-8")
    try:
        code = cli.main(["sql", "--home", str(home), "--format", "csv", "select * from range(5)"])
        assert code == cli.EXIT_OK
        captured = capsys.readouterr()
        assert captured.out == "range\n0\n1\n"
        assert "showing the first 2 rows" in captured.err
        code = cli.main(["sql", "--home", str(home), "--max-rows", "4", "select * from range(5)"])
        assert code == cli.EXIT_OK and "(4 rows)" in capsys.readouterr().out
    finally:
        (home / "paved.toml").unlink()


def test_paved_sql_stops_a_slow_query_with_exit_2_and_one_sentence(published, capsys):
    home = published.parent.parent
    argv = [
        "sql",
        "--home",
        str(home),
        "--timeout",
        "1",
        "select count(*) from range(1000000000000)",
    ]
    assert cli.main(argv) == cli.EXIT_BAD_INPUT
    assert capsys.readouterr().err == (
        "paved sql: the query ran longer than 1 s and was stopped: narrow it down\n"
    )


def test_a_query_during_publishes_sees_one_consistent_version(tmp_path):
    """Queries through the sandbox while the pipeline swaps in new copies never fail."""
    import threading

    from pipelines.paths import Home
    from pipelines.publish import publish
    from pipelines.warehouse import open_warehouse

    home = Home(tmp_path / "home").ensure()
    stop = threading.Event()

    def publisher() -> None:
        with open_warehouse(home.warehouse) as con:
            con.execute("CREATE SCHEMA IF NOT EXISTS marts")
            version = 0
            while not stop.is_set():
                version += 1
                con.execute(
                    "CREATE OR REPLACE TABLE marts.facts AS "
                    "SELECT range AS id, ? AS version FROM range(5000)",
                    [version],
                )
                publish(con, home)

    with open_warehouse(home.warehouse) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.facts AS SELECT range AS id, 0 AS version FROM range(5000)")
        publish(con, home)
    thread = threading.Thread(target=publisher)
    thread.start()
    try:
        results = [
            run_query(
                home.published, "select count(*), min(version) = max(version) from marts.facts"
            ).rows[0]
            for _ in range(8)
        ]
    finally:
        stop.set()
        thread.join()
    assert all(r == (5000, True) for r in results)


def test_an_unknown_function_is_not_mistaken_for_a_table(published):
    with pytest.raises(QueryRefused) as refused:
        run_query(published, "select getenv('HOME')")
    assert "no table named" not in str(refused.value)

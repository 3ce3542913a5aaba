"""`paved sql`'s sandbox: reads the warehouse, refuses everything else with a reason."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.query import QueryRefused, run_query


@pytest.fixture
def published(tmp_path: Path) -> Path:
    path = tmp_path / "paved.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.deployments AS SELECT range AS id FROM range(10)")
    con.close()
    return path


def test_a_select_returns_columns_and_rows(published):
    result = run_query(published, "select count(*) as n from marts.deployments")
    assert (result.columns, result.rows) == (["n"], [(10,)])


def test_rows_are_capped(published):
    result = run_query(published, "select * from marts.deployments", max_rows=3)
    assert len(result.rows) == 3 and result.truncated


@pytest.mark.parametrize(
    ("sql", "says"),
    [
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
        ("drop table marts.deployments", "DROP statements are not allowed"),
        ("create table x as select 1", "CREATE statements are not allowed"),
        ("select 1; select 2", "one statement at a time"),
        ("selec 1", "syntax error"),
    ],
)
def test_anything_but_reading_the_warehouse_is_refused_with_a_reason(published, sql, says):
    with pytest.raises(QueryRefused, match=says):
        run_query(published, sql)
    assert run_query(published, "select count(*) from marts.deployments").rows == [(10,)]


def test_an_unknown_table_suggests_the_closest_names(published):
    with pytest.raises(QueryRefused, match=r"did you mean marts\.deployments"):
        run_query(published, "select * from marts.deployment")


def test_a_long_query_is_stopped_by_the_time_limit(published):
    with pytest.raises(QueryRefused, match="was stopped"):
        run_query(published, "select count(*) from range(1000000000000) a", timeout_s=0.5)


def test_a_missing_published_copy_says_how_to_make_one(tmp_path):
    with pytest.raises(QueryRefused, match="paved demo"):
        run_query(tmp_path / "none.duckdb", "select 1")


def test_a_memory_bomb_is_stopped_by_the_memory_limit(published):
    bomb = "select string_agg(repeat('x', 1000), ',') from range(5000000)"
    with pytest.raises(QueryRefused, match="more memory than allowed|was stopped"):
        run_query(published, bomb, timeout_s=60)


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
                con.execute("CREATE OR REPLACE TABLE marts.facts AS "
                            "SELECT range AS id, ? AS version FROM range(5000)", [version])
                publish(con, home)

    with open_warehouse(home.warehouse) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.facts AS SELECT range AS id, 0 AS version FROM range(5000)")
        publish(con, home)
    thread = threading.Thread(target=publisher)
    thread.start()
    try:
        results = [
            run_query(home.published,
                      "select count(*), min(version) = max(version) from marts.facts").rows[0]
            for _ in range(40)
        ]
    finally:
        stop.set()
        thread.join()
    assert all(r == (5000, True) for r in results)


def test_an_unknown_function_is_not_mistaken_for_a_table(published):
    with pytest.raises(QueryRefused) as refused:
        run_query(published, "select getenv('HOME')")
    assert "no table named" not in str(refused.value)

"""The dashboard's data access: read-only, short-lived, cached until a new copy is published."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import duckdb
import pandas as pd
import pytest
from dashboard_fixtures import LATEST, VALUES, Warehouse, write_warehouse

from dashboards import data
from pipelines.paths import Home


@pytest.fixture
def published_home(make_home: Callable[..., Home]) -> Home:
    """A private copy of the standard warehouse: these tests rewrite or write into the home."""
    return make_home()


def latest_org_frequency() -> float:
    frame = data.weekly_series(["deployment_frequency"], "org", "org", until=LATEST, since=LATEST)
    return float(frame["value"].iloc[0])


def test_reads_the_published_copy_of_paved_home(published_home: Home) -> None:
    assert data.published_path() == published_home.published
    assert latest_org_frequency() == 15


def test_a_newly_published_copy_invalidates_the_cache(published_home: Home) -> None:
    assert latest_org_frequency() == 15
    values = dict(VALUES)
    values["deployment_frequency"] = {"org": [5] * 12 + [42, 1]}
    write_warehouse(published_home.published, Warehouse(values=values))
    assert latest_org_frequency() == 42


def test_no_connection_is_left_open_after_a_query(published_home: Home) -> None:
    latest_org_frequency()
    # DuckDB refuses a read-write open of a file this process still holds read-only.
    con = duckdb.connect(str(published_home.published))
    con.close()


def test_open_is_retried_once_while_a_publish_swaps_the_file(
    published_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_connect = duckdb.connect
    calls: list[str] = []

    def flaky_connect(path: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        calls.append(path)
        if len(calls) == 1:
            raise duckdb.IOException("IO Error: Could not set lock on file")
        return real_connect(path, read_only=read_only)

    monkeypatch.setattr(data, "OPEN_RETRY_DELAY_S", 0.0)
    monkeypatch.setattr(data.duckdb, "connect", flaky_connect)
    data._cached_query.clear()
    assert latest_org_frequency() == 15
    assert len(calls) >= 2


def test_a_file_that_stays_unopenable_raises_a_clear_error(
    published_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_connect(path: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        raise duckdb.IOException("IO Error: Could not set lock on file")

    monkeypatch.setattr(data, "OPEN_RETRY_DELAY_S", 0.0)
    monkeypatch.setattr(data.duckdb, "connect", broken_connect)
    data._cached_query.clear()
    with pytest.raises(data.WarehouseUnavailable, match="reload in a few seconds"):
        data.status()


def test_reads_never_fail_while_a_pipeline_keeps_publishing(published_home: Home) -> None:
    values = dict(VALUES)
    values["deployment_frequency"] = {"org": [5] * 12 + [42, 1]}
    versions = [Warehouse(values=values), Warehouse()]
    stop = threading.Event()

    def publish() -> None:
        n = 0
        while not stop.is_set() and n < 20:
            write_warehouse(published_home.published, versions[n % 2])
            n += 1

    publisher = threading.Thread(target=publish)
    publisher.start()
    try:
        seen = {latest_org_frequency() for _ in range(40)}
    finally:
        stop.set()
        publisher.join()
    assert seen <= {15.0, 42.0}


def test_nothing_published_reads_as_empty(empty_home: Home) -> None:
    status = data.status()
    assert not status.published and not status.has(data.METRIC_VALUES)
    assert data.catalog().empty
    assert data.teams().empty
    assert data.latest_complete_week(data.utc_now()) is None
    assert data.bands(["deployment_frequency"], "org", "org").empty
    assert data.freshness().last_refreshed is None


def test_missing_tables_read_as_empty(make_home: Callable[..., Home]) -> None:
    make_home(Warehouse(tables=False))
    assert data.status().published
    assert data.catalog().empty
    assert data.weekly_series(["deployment_frequency"], "org", "org", until=LATEST).empty


def test_latest_complete_week_ignores_the_partial_current_week(published_home: Home) -> None:
    assert data.latest_complete_week(data.utc_now()) == LATEST
    a_week_earlier = pd.Timestamp(LATEST + timedelta(days=6)).to_pydatetime()
    assert data.latest_complete_week(a_week_earlier) == LATEST - timedelta(weeks=1)


def test_team_names_come_from_core_teams_when_published(make_home: Callable[..., Home]) -> None:
    make_home()
    assert dict(zip(data.teams()["team_id"], data.teams()["name"], strict=True)) == {
        "payments": "Payments",
        "search": "Search & Discovery",
    }


def test_team_ids_stand_in_for_names_without_core_teams(make_home: Callable[..., Home]) -> None:
    make_home(Warehouse(with_teams=False))
    assert data.teams()["name"].tolist() == ["payments", "search"]


def test_a_copy_swapped_in_mid_read_asks_for_a_reload(
    published_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    def swapped_mid_read(*args: object) -> pd.DataFrame:
        write_warehouse(published_home.published, Warehouse(tables=False))
        raise duckdb.CatalogException("Table with name catalog does not exist!")

    monkeypatch.setattr(data, "_cached_query", swapped_mid_read)
    with pytest.raises(data.WarehouseUnavailable, match="reload the page"):
        data.query("SELECT * FROM metrics.catalog")


def test_a_query_error_on_a_stable_copy_is_not_hidden(published_home: Home) -> None:
    with pytest.raises(duckdb.CatalogException):
        data.query("SELECT * FROM metrics.no_such_table")

"""The dashboard's data access: read-only, one connection per render, cached until a new copy is
published."""

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
    real_attach = data._attach
    calls: list[str] = []

    def flaky_attach(path):
        calls.append(str(path))
        if len(calls) == 1:
            raise duckdb.IOException("IO Error: Could not set lock on file")
        return real_attach(path)

    monkeypatch.setattr(data, "OPEN_RETRY_DELAY_S", 0.0)
    monkeypatch.setattr(data, "_attach", flaky_attach)
    data._cached_query.clear()
    assert latest_org_frequency() == 15
    assert len(calls) >= 2


def test_a_file_that_stays_unopenable_raises_a_clear_error(
    published_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_attach(path):
        raise duckdb.IOException("IO Error: Could not set lock on file")

    monkeypatch.setattr(data, "OPEN_RETRY_DELAY_S", 0.0)
    monkeypatch.setattr(data, "_attach", broken_attach)
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


# --- one connection per page render -------------------------------------------------------------


def count_opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every open of the published file (each is one ATTACH on a fresh instance)."""
    opens: list[str] = []
    real_attach = data._attach

    def attach(path):
        opens.append(str(path))
        return real_attach(path)

    monkeypatch.setattr(data, "_attach", attach)
    return opens


def test_a_render_opens_the_published_copy_once_for_all_its_queries(
    published_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening costs 30-130 ms and a page sends 14-25 queries: one open per render, not per
    query, is most of what a cold page waits for."""
    opens = count_opens(monkeypatch)
    with data.render():
        latest_org_frequency()
        data.catalog()
        data.teams()
        data.freshness()
    assert len(opens) == 1


def test_a_render_served_from_the_cache_opens_nothing(
    published_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection is opened lazily by the first query that misses the cache: a warm page
    costs no open at all."""
    with data.render():
        latest_org_frequency()
    opens = count_opens(monkeypatch)
    with data.render():
        assert latest_org_frequency() == 15
    assert opens == []


def test_the_connection_is_closed_when_the_render_ends(published_home: Home) -> None:
    """A connection that outlived its render would pin the old copy after the next publish."""
    with data.render() as scope:
        latest_org_frequency()
        assert scope.con is not None
    assert scope.con is None
    # DuckDB refuses a read-write open of a file this process still holds read-only.
    duckdb.connect(str(published_home.published)).close()


def test_the_connection_is_closed_when_the_script_stops_mid_render(published_home: Home) -> None:
    """st.stop() and a rerun end a script run with an exception through the `with`."""

    class Stop(Exception):
        pass

    with pytest.raises(Stop), data.render() as scope:
        latest_org_frequency()
        raise Stop
    assert scope.con is None
    duckdb.connect(str(published_home.published)).close()


def test_a_newly_published_copy_is_seen_on_the_next_render(published_home: Home) -> None:
    """The cache is keyed on the file identity, and each render opens the file afresh."""
    with data.render():
        assert latest_org_frequency() == 15
    values = dict(VALUES)
    values["deployment_frequency"] = {"org": [5] * 12 + [42, 1]}
    write_warehouse(published_home.published, Warehouse(values=values))
    with data.render():
        assert latest_org_frequency() == 42


def test_a_render_keeps_reading_the_copy_it_opened_when_a_publish_lands_mid_page(
    published_home: Home,
) -> None:
    """One page never mixes two publishes: its later queries read (and are cached for) the copy
    its first query opened; the next render reads the new one."""
    values = dict(VALUES)
    values["deployment_frequency"] = {"org": [5] * 12 + [42, 1]}
    with data.render():
        assert latest_org_frequency() == 15
        write_warehouse(published_home.published, Warehouse(values=values))
        frame = data.weekly_series(["deployment_frequency"], "org", "org", until=LATEST)
        assert frame["value"].iloc[-1] == 15
    with data.render():
        assert latest_org_frequency() == 42


def test_a_connection_held_elsewhere_in_the_process_does_not_hide_a_new_publish(
    published_home: Home,
) -> None:
    """The verified trap: while this process holds a connection to a path, duckdb.connect() of
    that path returns the old database. The dashboard attaches the file to a fresh instance, so
    another session's (or anyone's) open connection cannot make it read a replaced copy."""
    held = duckdb.connect(str(published_home.published), read_only=True)
    try:
        values = dict(VALUES)
        values["deployment_frequency"] = {"org": [5] * 12 + [42, 1]}
        write_warehouse(published_home.published, Warehouse(values=values))
        with data.render():
            assert latest_org_frequency() == 42
    finally:
        held.close()


def test_concurrent_renders_each_use_their_own_connection(published_home: Home) -> None:
    """Streamlit runs each session's script in its own thread: a render's connection is per
    thread, so one session ending its render never closes another's connection."""
    inside = threading.Barrier(2)
    seen: dict[str, object] = {}

    def session(name: str) -> None:
        with data.render() as scope:
            data.query(f"SELECT '{name}' AS session")  # a cache miss of its own: opens the file
            inside.wait(timeout=10)
            seen[f"{name}_con"] = scope.con
            inside.wait(timeout=10)
            seen[f"{name}_value"] = latest_org_frequency()

    threads = [threading.Thread(target=session, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert seen["a_con"] is not None and seen["b_con"] is not None
    assert seen["a_con"] is not seen["b_con"]
    assert seen["a_value"] == seen["b_value"] == 15


LATEST_ORG_FREQUENCY_SQL = """
SELECT value FROM metrics.metric_values
WHERE metric = 'deployment_frequency' AND grain = 'week' AND scope = 'org' AND period_start = ?
"""


def test_the_cache_key_is_the_identity_of_the_file_actually_opened(
    published_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A publish between our stat and our open hands us the new copy: its result is cached under
    the new copy's identity, never under the old one the stat saw (which would then serve the
    new figures to a session still reading the old copy, or the reverse)."""
    values = dict(VALUES)
    values["deployment_frequency"] = {"org": [5] * 12 + [42, 1]}
    path = published_home.published
    old = data.file_identity(path)
    real_file_identity = data.file_identity

    def stat_then_publish(at):
        identity = real_file_identity(at)
        monkeypatch.setattr(data, "file_identity", real_file_identity)
        write_warehouse(path, Warehouse(values=values))
        return identity

    monkeypatch.setattr(data, "file_identity", stat_then_publish)
    with data.render():
        assert data.query(LATEST_ORG_FREQUENCY_SQL, [LATEST])["value"].iloc[0] == 42
    assert old is not None
    # Under the old identity nothing was cached: asking it reads the file, which is another copy.
    with pytest.raises(data._OtherCopy):
        data._cached_query(str(path), old, LATEST_ORG_FREQUENCY_SQL, (LATEST,))

"""Fixtures for the connector tests: a local fake API server, a fast client, a warehouse."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import duckdb
import httpx
import pytest

from pipelines.connectors.http import HttpStats, RetryPolicy, make_client
from tests.connectors.fakeserver import FakeServer
from tests.connectors.worlds import require_fixtures

TOKEN = "tok_SECRET_5f3c9a1e7b"  # a recognisable fake secret, searched for in logs and data
ENV = {"PAVED_TEST_TOKEN": TOKEN}


@pytest.fixture
def fixtures_dir() -> Any:
    return require_fixtures()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    srv = FakeServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def sleeps() -> list[float]:
    """Every wait the client asked for: recorded, never slept."""
    return []


@pytest.fixture
def client(sleeps: list[float]) -> Iterator[httpx.Client]:
    policy = RetryPolicy(max_attempts=4, backoff_base_s=0.5, sleep=sleeps.append)
    c = make_client(timeout_s=0.3, policy=policy, stats=HttpStats())
    yield c
    c.close()


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect(":memory:")
    yield c
    c.close()


def raw_payloads(con: duckdb.DuckDBPyConnection, source: str, entity: str) -> list[dict]:
    rows = con.execute(
        "SELECT payload FROM raw.records WHERE source = ? AND entity = ? ORDER BY seq",
        [source, entity],
    ).fetchall()
    return [json.loads(r[0]) for r in rows]


def latest_by_key(con: duckdb.DuckDBPyConnection, source: str, entity: str) -> dict[str, dict]:
    """What core will see: the latest version of each key."""
    rows = con.execute(
        "SELECT record_key, payload FROM raw.records WHERE source = ? AND entity = ? "
        "ORDER BY seq",
        [source, entity],
    ).fetchall()
    return {k: json.loads(p) for k, p in rows}

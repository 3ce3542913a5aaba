"""Configuration: the documented example is accepted, bad tables are refused early."""

from __future__ import annotations

import tomllib

import pytest

from pipelines.connectors import SOURCE_TYPES, SourceConfigError, sync_source
from pipelines.connectors.state import SyncState
from tests.connectors.worlds import REPO_ROOT


def documented_sources() -> dict:
    text = (REPO_ROOT / "docs" / "sources.md").read_text()
    return tomllib.loads(text.split("```toml", 1)[1].split("```", 1)[0])["sources"]


def test_the_documented_example_covers_every_type_with_accepted_keys():
    sources = documented_sources()
    assert {s["type"] for s in sources.values()} == set(SOURCE_TYPES)
    for name, settings in sources.items():
        SOURCE_TYPES[settings["type"]].check_keys(name, settings)


def test_unknown_type_is_refused(con):
    with pytest.raises(SourceConfigError, match="type 'jira' is not one of github"):
        sync_source(con, "x", {"type": "jira"}, env={})


def test_sync_state_table_has_the_documented_columns(con):
    SyncState(con, "s").put("pull_requests:acme/x", "2026-01-01T00:00:00Z", 'W/"1"')
    columns = [r[0] for r in con.execute("DESCRIBE raw.sync_state").fetchall()]
    assert columns == ["source", "stream", "cursor", "etag", "updated_at"]
    SyncState(con, "s").put("pull_requests:acme/x", "2026-01-02T00:00:00Z", None)
    assert con.execute("SELECT count(*), max(cursor) FROM raw.sync_state").fetchone() == (
        1, "2026-01-02T00:00:00Z")


def test_full_resync_reads_no_saved_state(con):
    SyncState(con, "s").put("commits:a/b", "2026-01-01T00:00:00Z", 'W/"1"')
    assert SyncState(con, "s", full_resync=True).get("commits:a/b").cursor is None

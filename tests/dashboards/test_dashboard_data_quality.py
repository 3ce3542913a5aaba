"""The Data quality page: quarantine, source freshness, runs, and a failed last run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from dashboard_fixtures import QUARANTINE_ROWS, Warehouse, failed_last_run
from dashboard_pages import EMPTY_TEXT, charts, downloads, run_page, tables, texts

from pipelines.paths import Home

SOURCES_HELP_START = "No sources are configured"


def test_renders_quarantine_sources_and_runs(published_home: Home) -> None:
    at = run_page("data_quality")
    assert not at.exception
    assert set(charts(at)) == {"chart_quarantine", "chart_runs"}
    assert {"quarantine_summary", "quarantine_records", "sources_latest", "runs"} <= set(tables(at))


def test_empty_home_explains_how_to_get_data(empty_home: Home) -> None:
    at = run_page("data_quality")
    assert not at.exception
    assert EMPTY_TEXT in [info.value for info in at.info]


def test_quarantine_is_counted_by_entity_and_reason_with_origin(published_home: Home) -> None:
    summary = tables(run_page("data_quality"))["quarantine_summary"]
    counts = {(r.entity, r.reason): r.records for r in summary.itertuples()}
    assert counts == {
        ("deployments", "finished_at is missing"): 2,
        ("commits", "authored_at is not a timestamp: 'yesterday'"): 1,
    }
    records = tables(run_page("data_quality"))["quarantine_records"]
    assert set(records["origin"]) == {row[4] for row in QUARANTINE_ROWS}


def test_quarantine_records_filter_by_entity(published_home: Home) -> None:
    at = run_page("data_quality")
    at.selectbox(key="quarantine_entity").set_value("commits").run()
    assert list(tables(at)["quarantine_records"]["entity"]) == ["commits"]


def test_no_quarantine_is_good_news(make_home: Callable[..., Home]) -> None:
    make_home(Warehouse(quarantine=[]))
    at = run_page("data_quality")
    assert any("No record is in quarantine" in s.value for s in at.success)
    assert "chart_quarantine" not in charts(at)


def test_failing_source_is_named_with_its_error(published_home: Home) -> None:
    at = run_page("data_quality")
    latest = tables(at)["sources_latest"]
    assert list(latest["source"]) == ["github", "pagerduty"]
    assert "401" in latest.set_index("source").at["pagerduty", "error"]
    assert any("`pagerduty`" in w.value for w in at.warning)


def test_sources_not_configured_are_explained(make_home: Callable[..., Home]) -> None:
    make_home(Warehouse(source_runs=[]))
    at = run_page("data_quality")
    assert any(info.value.startswith(SOURCES_HELP_START) for info in at.info)


def test_a_warehouse_without_source_runs_is_explained_the_same_way(
    make_home: Callable[..., Home],
) -> None:
    make_home(Warehouse(with_source_runs=False))
    at = run_page("data_quality")
    assert not at.exception
    assert any(info.value.startswith(SOURCES_HELP_START) for info in at.info)


def test_a_failed_last_run_says_the_published_copy_is_older(
    make_home: Callable[..., Home],
) -> None:
    make_home(last_run=failed_last_run())
    at = run_page("data_quality")
    assert len(at.error) == 1
    message = at.error[0].value
    assert "failed" in message and "identities does not exist" in message
    assert "The published copy is older than this run" in message


def test_a_failed_last_run_warns_on_every_page(make_home: Callable[..., Home]) -> None:
    make_home(last_run=failed_last_run())
    at = run_page("overview")
    assert len(at.warning) == 1
    assert "The published copy shown here is older" in at.warning[0].value


def test_a_successful_last_run_is_reported(make_home: Callable[..., Home]) -> None:
    make_home(last_run={"run_id": "run-9", "status": "success", "seconds": 12.0})
    at = run_page("data_quality")
    assert not at.error
    assert any("`run-9`" in s.value and "`success`" in s.value for s in at.success)


def test_runs_are_listed_newest_first_and_downloadable(published_home: Home) -> None:
    at = run_page("data_quality")
    assert list(tables(at)["runs"]["run_id"]) == ["run-2", "run-1"]
    assert "runs" in downloads(at)
    assert any("A run that did not succeed never publishes" in t for t in texts(at))


def test_a_failed_run_older_than_the_published_copy_is_no_warning(
    make_home: Callable[..., Home],
) -> None:
    old_failure = {**failed_last_run(), "started_at": "2020-01-01T00:00:00+00:00"}
    make_home(last_run=old_failure)
    assert not run_page("overview").warning


def test_a_source_that_stopped_syncing_is_flagged(make_home: Callable[..., Home]) -> None:
    long_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=5)
    make_home(
        Warehouse(source_runs=[("r", "gitlab", "gitlab", long_ago, "success", 1, 0, 1, 0, None)])
    )
    at = run_page("data_quality")
    assert [w.value for w in at.warning if "`gitlab`" in w.value]


FINDINGS = [
    ("unknown_entity", "deploys", "/in/deploys.jsonl", "'deploys' is not an entity", 3),
    ("outside_link", "commits", "/in/commits.jsonl", "links to /etc/passwd; not read", 1),
]


def test_what_the_last_inbox_did_not_use_is_listed_as_text(make_home: Callable[..., Home]) -> None:
    make_home(Warehouse(findings=FINDINGS))
    found = tables(run_page("data_quality"))["inbox_findings"]
    assert list(found["file"]) == ["/in/commits.jsonl", "/in/deploys.jsonl"]
    assert "from an older run" not in set(found["detail"])
    assert set(found["kind"]) == {
        "Link leaving the inbox (not read)",
        "Unknown entity (kept in raw, not used)",
    }


def test_an_inbox_with_nothing_unused_says_so(make_home: Callable[..., Home]) -> None:
    make_home(Warehouse(findings=[]))
    at = run_page("data_quality")
    assert any("Every file of the last run's inbox was read" in s.value for s in at.success)

"""GitLab connector against a local server serving GitLab's wire format."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipelines.connectors import sync_source
from pipelines.contract import CI_STATUSES, DEPLOY_STATUSES
from tests.connectors.conftest import ENV, TOKEN, latest_by_key, raw_payloads
from tests.connectors.worlds import GitLabWorld


def settings(server, **extra):
    return {
        "type": "gitlab",
        "base_url": server.base_url,
        "token_env": "PAVED_TEST_TOKEN",
        "projects": ["acme/api"],
        "services": {"acme/api": "api"},
        "per_page": 5,
        **extra,
    }


@pytest.fixture
def world(server, now):
    w = GitLabWorld(server, now)
    w.add_pipelines(12, w.base)
    w.add_deployments(6, w.base)
    w.add_mrs(6, w.base)
    w.add_commits(8, w.base)
    return w


def sync(con, server, client, **extra):
    return sync_source(con, "gl", settings(server, **extra), client=client, env=ENV)


def test_sync_maps_every_stream_to_canonical_records(con, server, client, world):
    report = sync(con, server, client)
    assert report.records == {"ci_runs": 12, "deployments": 6, "pull_requests": 6,
                              "commits": 14}  # 8 branch commits + 1 per merge request
    assert {r["status"] for r in raw_payloads(con, "gl", "ci_runs")} <= set(CI_STATUSES)
    assert {r["status"] for r in raw_payloads(con, "gl", "deployments")} <= set(DEPLOY_STATUSES)
    assert server.log[0].headers["private-token"] == TOKEN


def test_pipeline_times_come_from_the_pipeline_detail(con, server, client, world):
    sync(con, server, client, streams=["ci_runs"])
    run = latest_by_key(con, "gl", "ci_runs")["gitlab:7001"]
    detail = world.details[7001]
    assert run["started_at"] == detail["started_at"]
    assert run["finished_at"] == detail["finished_at"]
    assert run["status"] == "failure" and run["repo"] == "acme/api"


def test_keyset_next_links_are_followed_to_the_end(con, server, client, world):
    sync(con, server, client, streams=["ci_runs"])
    lists = server.hits(r"/pipelines$")
    assert len(lists) == 3  # 12 pipelines, 5 per page
    assert [bool(r.arg("cursor")) for r in lists] == [False, True, True]


def test_deployment_times_come_from_the_deploying_job(con, server, client, world):
    sync(con, server, client, streams=["deployments"])
    dep = latest_by_key(con, "gl", "deployments")["gitlab:8001"]
    assert dep["started_at"] == world.deployments[1]["deployable"]["started_at"]
    assert dep["finished_at"] == world.deployments[1]["deployable"]["finished_at"]
    assert dep["status"] == "failure" and dep["environment"] == "staging"
    assert dep["service_id"] == "api"


def test_merge_request_first_review_is_the_first_human_note_by_someone_else(
        con, server, client, world):
    sync(con, server, client, streams=["pull_requests"])
    mr = latest_by_key(con, "gl", "pull_requests")["acme/api|1"]
    created = world.mrs[0]["created_at"]
    assert mr["first_review_at"] > created
    notes = server.hits(r"/merge_requests/1/notes$")
    assert len(notes) == 1
    assert mr["merge_sha"] == world.mrs[0]["merge_commit_sha"]
    assert mr["commit_shas"] == [f"{0xaa0000 + 1:040x}"]


def test_merge_request_commits_do_not_store_empty_parents(con, server, client, world):
    sync(con, server, client, streams=["pull_requests", "commits"])
    commits = latest_by_key(con, "gl", "commits")
    assert "parents" not in commits[f"acme/api|{0xaa0000 + 1:040x}"]
    assert commits[f"acme/api|{0xc1:040x}"]["parents"] == [f"{0xc0:040x}"]


def test_job_rule_detects_deployments_from_pipeline_jobs(con, server, client, world):
    rules = [{"job": "^deploy-production$", "environment": "production"}]
    sync(con, server, client, streams=["ci_runs"], deploy_rules=rules)
    deps = raw_payloads(con, "gl", "deployments")
    assert len(deps) == 12 and {d["environment"] for d in deps} == {"production"}


def test_second_run_asks_only_for_what_was_updated(con, server, client, world, now):
    first = sync(con, server, client)
    world.add_pipelines(2, now - timedelta(hours=2))
    server.reset_log()
    second = sync(con, server, client)
    assert second.inserted["ci_runs"] == 2
    assert second.requests < first.requests / 3
    after = server.hits(r"/pipelines$")[0].arg("updated_after")
    assert after is not None and after > world.pipelines[0]["updated_at"]

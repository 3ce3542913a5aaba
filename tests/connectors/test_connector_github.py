"""GitHub connector against a local server serving GitHub's wire format."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from pipelines.connectors import SourceConfigError, SourceSyncError, sync_source
from pipelines.connectors.github import run_status
from pipelines.contract import CI_STATUSES, DEPLOY_STATUSES
from tests.connectors.conftest import ENV, TOKEN, latest_by_key, raw_payloads
from tests.connectors.worlds import GitHubWorld, require_fixtures


def settings(server, **extra):
    return {
        "type": "github",
        "base_url": server.base_url,
        "token_env": "PAVED_TEST_TOKEN",
        "repos": ["acme/shop"],
        "services": {"acme/shop": "shop"},
        "golden_path_pattern": r"acme/platform/\.github/workflows/golden\.yml",
        "deploy_rules": [{"workflow": "^Deploy", "environment": "production"}],
        "per_page": 10,
        **extra,
    }


@pytest.fixture
def world(server, now):
    w = GitHubWorld(server, now)
    w.add_runs(25, w.base)
    w.add_deployments(10, w.base)
    w.add_pulls(12, w.base)
    w.add_commits(30, w.base)
    return w


def sync(con, server, client, full_resync=False, **extra):
    return sync_source(con, "gh", settings(server, **extra), client=client, env=ENV,
                       full_resync=full_resync)


def test_sync_maps_every_stream_to_canonical_records(con, server, client, world):
    report = sync(con, server, client)
    assert report.records == {"ci_runs": 25, "deployments": 15, "pull_requests": 12,
                              "commits": 54}  # 30 branch commits + 2 per PR
    assert report.errors == []
    run = latest_by_key(con, "gh", "ci_runs")["github:5000:1"]
    assert run == {
        "run_id": "github:5000:1", "repo": "acme/shop", "pipeline": "Deploy production",
        "started_at": world.runs[0]["run_started_at"], "status": "success",
        "finished_at": world.runs[0]["updated_at"], "queued_at": world.runs[0]["created_at"],
        "sha": "0" * 40, "branch": "main", "trigger": "push", "attempt": 1, "golden_path": True,
    }


def test_every_mapped_record_uses_contract_statuses(con, server, client, world):
    sync(con, server, client)
    assert {r["status"] for r in raw_payloads(con, "gh", "ci_runs")} <= set(CI_STATUSES)
    assert {r["status"] for r in raw_payloads(con, "gh", "deployments")} <= set(DEPLOY_STATUSES)


def test_every_real_run_status_and_conclusion_maps_to_a_contract_status():
    matrix = json.loads((require_fixtures() / "github/devlake-raw/"
                         "actions_runs_status_conclusion_matrix.json").read_text())["rows"]
    assert {run_status(r) for r in matrix} <= set(CI_STATUSES)
    assert run_status({"status": "completed", "conclusion": "startup_failure"}) == "failure"
    assert run_status({"status": "queued", "conclusion": None}) == "in_progress"


def test_workflow_rule_turns_matching_runs_into_deployments(con, server, client, world):
    sync(con, server, client)
    deps = latest_by_key(con, "gh", "deployments")
    from_runs = [d for k, d in deps.items() if k.startswith("github:run:")]
    assert len(from_runs) == 5  # every fifth run is "Deploy production"
    assert {d["environment"] for d in from_runs} == {"production"}
    assert {d["service_id"] for d in from_runs} == {"shop"}


def test_job_rule_turns_matching_jobs_into_deployments(con, server, client, world):
    rules = [{"workflow": "^Deploy", "job": "^deploy-prod$", "environment": "production"}]
    sync(con, server, client, deploy_rules=rules, streams=["ci_runs"])
    deps = raw_payloads(con, "gh", "deployments")
    assert len(deps) == 5 and all(d["deployment_id"].startswith("github:job:") for d in deps)
    assert len(server.hits(r"/jobs$")) == 5  # jobs fetched only for runs the rule can match


def test_deployment_status_comes_from_the_last_final_status(con, server, client, world):
    sync(con, server, client, streams=["deployments"])
    deps = latest_by_key(con, "gh", "deployments")
    assert deps["github:9000"]["status"] == "success"
    assert deps["github:9001"]["status"] == "failure"
    assert deps["github:9003"]["status"] == "failure"  # `error`
    assert deps["github:9003"]["kind"] == "rollback"
    # success then inactive: finished when it succeeded, not when it was superseded
    superseded = deps["github:9002"]
    created = world.deployments[2]["created_at"]
    assert superseded["status"] == "success"
    assert superseded["finished_at"] > created
    success_status = next(s for s in world.statuses[9002] if s["state"] == "success")
    assert superseded["finished_at"] == success_status["created_at"]


def test_pull_request_first_review_ignores_the_authors_own_review(con, server, client, world):
    sync(con, server, client, streams=["pull_requests"])
    pr = latest_by_key(con, "gh", "pull_requests")["acme/shop|100"]
    reviews = world.reviews(100)
    assert pr["first_review_at"] == reviews[1]["submitted_at"]
    assert pr["commit_shas"] == [c["sha"] for c in world.pr_commits(100)]
    assert pr["merge_sha"] == world.pulls[0]["merge_commit_sha"]
    open_pr = latest_by_key(con, "gh", "pull_requests")["acme/shop|102"]
    assert open_pr["merged_at"] is None and open_pr["merge_sha"] is None


def test_commits_carry_parents_and_the_author_login(con, server, client, world):
    sync(con, server, client, streams=["commits"])
    commit = latest_by_key(con, "gh", "commits")[f"acme/shop|{1:040x}"]
    assert commit["parents"] == [f"{0:040x}"]
    assert commit["author_id"] == "dev1"


def test_second_run_fetches_only_new_data(con, server, client, world, now):
    first = sync(con, server, client)
    world.add_runs(2, now - timedelta(hours=3), step=timedelta(minutes=30))
    world.add_commits(3, now - timedelta(hours=2), step=timedelta(minutes=10))
    world.touch_pull(0, now - timedelta(hours=1))
    server.reset_log()
    second = sync(con, server, client)
    assert second.requests < first.requests / 4
    # only the new runs (one is a deploy run) and commits are new in raw; the one-hour overlap
    # re-read at most the newest known item of each stream, which raw saw as unchanged
    assert second.inserted == {"ci_runs": 2, "deployments": 1, "pull_requests": 0, "commits": 3}
    assert second.records["ci_runs"] <= 3 and second.records["pull_requests"] <= 2
    # the PR list stops at the first PR older than the window: one page, not all of them
    assert len(server.hits(r"/pulls$")) == 1


def test_rerun_without_changes_writes_nothing(con, server, client, world):
    sync(con, server, client)
    before = con.execute("SELECT count(*) FROM raw.records").fetchone()[0]
    again = sync(con, server, client)
    assert again.inserted == {k: 0 for k in again.records}
    assert con.execute("SELECT count(*) FROM raw.records").fetchone()[0] == before


def test_steady_state_rerun_is_answered_by_etags(con, server, client, world):
    sync(con, server, client)
    sync(con, server, client)  # the cursors moved: first pages now have new URLs and ETags
    again = sync(con, server, client)
    assert again.not_modified == 4 and again.requests == 4  # one 304 per stream, nothing else
    assert again.records == {}


def test_rerun_never_duplicates_a_record_in_raw(con, server, client, world):
    sync(con, server, client)
    sync(con, server, client, full_resync=True)
    dupes = con.execute(
        "SELECT count(*) FROM (SELECT record_key, payload_hash FROM raw.records "
        "GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()[0]
    assert dupes == 0


def test_full_resync_ignores_cursors_and_etags(con, server, client, world):
    first = sync(con, server, client)
    again = sync(con, server, client, full_resync=True)
    assert again.requests == first.requests and again.not_modified == 0
    assert again.inserted == {k: 0 for k in first.records}


def test_a_runs_window_over_the_result_cap_is_split(con, server, client, world):
    report = sync(con, server, client, streams=["ci_runs"], runs_window_cap=10)
    assert report.records["ci_runs"] == 25
    ranges = [r.arg("created") for r in server.hits(r"/actions/runs$")]
    assert any(".." in (c or "") for c in ranges)


def test_faults_in_the_middle_of_a_sync_are_retried_and_recovered(con, server, client, world,
                                                                   sleeps):
    server.fault(r"/actions/runs$", "429")
    server.fault(r"/deployments$", "403-ratelimit")
    server.fault(r"/deployments/9004/statuses$", "502")
    server.fault(r"/pulls$", "timeout")
    server.fault(r"/pulls/101/reviews$", "truncated")
    server.fault(r"/commits$", "502", times=2)
    report = sync(con, server, client)
    assert report.errors == []
    assert report.records["ci_runs"] == 25 and report.records["pull_requests"] == 12
    assert report.retries == 7 and len(sleeps) == 7


def test_unknown_fields_are_ignored_and_missing_fields_become_null(con, server, client, world):
    world.runs[1]["brand_new_field"] = {"nested": [1, 2]}
    del world.runs[2]["head_branch"]
    del world.runs[3]["run_started_at"]
    del world.pulls[0]["merged_at"]
    sync(con, server, client)
    runs = latest_by_key(con, "gh", "ci_runs")
    assert "brand_new_field" not in runs["github:5001:1"]
    assert runs["github:5002:1"]["branch"] is None
    assert runs["github:5003:1"]["started_at"] == world.runs[3]["created_at"]  # fallback
    assert latest_by_key(con, "gh", "pull_requests")["acme/shop|100"]["merged_at"] is None


def test_in_progress_run_is_reread_until_it_finishes(con, server, client, world, now):
    world.add_runs(1, now - timedelta(days=2))
    world.runs[-1].update({"status": "in_progress", "conclusion": None})
    sync(con, server, client, streams=["ci_runs"])
    run_id = f"github:{world.runs[-1]['id']}:1"
    assert latest_by_key(con, "gh", "ci_runs")[run_id]["status"] == "in_progress"
    world.runs[-1].update({"status": "completed", "conclusion": "failure"})
    sync(con, server, client, streams=["ci_runs"])
    assert latest_by_key(con, "gh", "ci_runs")[run_id]["status"] == "failure"


def test_token_is_sent_but_never_logged_nor_stored(con, server, client, world, caplog):
    server.fault(r"/pulls$", "502")
    server.fault(r"/commits$", "404")
    with caplog.at_level(logging.DEBUG), pytest.raises(SourceSyncError):
        sync(con, server, client)
    assert server.log[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert caplog.records and TOKEN not in caplog.text
    leaks = con.execute(
        "SELECT count(*) FROM raw.records WHERE CAST(payload AS VARCHAR) LIKE ? OR origin LIKE ?",
        [f"%{TOKEN}%", f"%{TOKEN}%"]).fetchone()[0]
    state = con.execute("SELECT string_agg(concat(cursor, etag), '') FROM raw.sync_state"
                        ).fetchone()[0]
    batches = con.execute("SELECT string_agg(CAST(detail AS VARCHAR), '') FROM meta.batches"
                          ).fetchone()[0]
    assert leaks == 0 and TOKEN not in state and TOKEN not in batches


def test_a_permanent_failure_is_reported_and_other_sources_still_load(con, server, client,
                                                                     world):
    broken = settings(server, repos=["acme/gone"])
    with pytest.raises(SourceSyncError) as exc:
        sync_source(con, "broken", broken, client=client, env=ENV)
    message = str(exc.value)
    assert "ci_runs acme/gone" in message and "HTTP 404" in message
    assert f"GET {server.base_url}/repos/acme/gone/actions/runs" in message
    report = sync(con, server, client)
    assert report.records["ci_runs"] == 25


def test_a_failing_stream_keeps_the_other_streams_of_the_same_source(con, server, client,
                                                                     world):
    server.fault(r"/pulls$", "500", times=99)
    with pytest.raises(SourceSyncError) as exc:
        sync(con, server, client)
    assert exc.value.report.records["ci_runs"] == 25
    assert exc.value.report.records["commits"] == 30
    assert "pull_requests acme/shop" in str(exc.value)


def test_missing_token_variable_is_a_configuration_error(con, server, client):
    with pytest.raises(SourceConfigError, match="environment variable PAVED_TEST_TOKEN"):
        sync_source(con, "gh", settings(server), client=client, env={})


def test_a_literal_token_in_the_configuration_is_refused(con, server, client):
    with pytest.raises(SourceConfigError, match="token_env"):
        sync_source(con, "gh", settings(server, token="abc"), client=client, env=ENV)


def test_unknown_setting_is_refused_before_any_request(con, server, client):
    with pytest.raises(SourceConfigError, match="unknown key.*repoz"):
        sync_source(con, "gh", settings(server, repoz=["x/y"]), client=client, env=ENV)
    assert server.log == []

"""Our marts against Apache DevLake's DORA e2e fixtures (read in place, never copied).

The fixtures live in the shared workspace (`shared/peer-fixtures/devlake`, see its README): we
map DevLake's domain rows onto our canonical records, run our own mart SQL and compare with
DevLake's expected rows on every field where the two definitions agree. Where paved deliberately
differs, the test says so and checks paved's value instead (docs/dora-comparison.md lists every
difference). How a DevLake project maps to services is stated per fixture set: for incidents
and refdiff a project is one service (all its CI scopes form one line); for the
previous-deployment line a service is DevLake's (scope, repository).

Covered: refdiff `deployment_commit_diff`, dora `connect_incident_to_deployment`,
`prev_success_deployment_commit` and `change_lead_time`. Not covered: `deployment_generator`
(which CI pipelines are deployments is a connector concern in paved, not a mart).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from core_fixture import CoreFixture

from pipelines.marts import build_mart

DEVLAKE = Path(__file__).resolve().parents[3] / "shared" / "peer-fixtures" / "devlake"
pytestmark = pytest.mark.skipif(
    not DEVLAKE.is_dir(), reason=f"DevLake fixtures not present at {DEVLAKE}"
)


def read(relative: str) -> list[dict[str, str]]:
    with (DEVLAKE / relative).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def ts(value: str) -> str:
    """DevLake writes '2023-04-10T06:51:47.000+00:00' (UTC): keep 'YYYY-MM-DD HH:MM:SS'."""
    return value[:19].replace("T", " ")


def test_refdiff_commits_of_each_deployment_match_devlake(wh: CoreFixture) -> None:
    base = "refdiff/e2e/deployment_commit_diff/"
    mapping = read(base + "project_mapping.csv")
    scopes = {r["row_id"] for r in mapping if r["project_name"] == "project1"}
    parents: dict[str, list[str]] = {}
    for r in read(base + "commit_parents.csv"):
        parents.setdefault(r["commit_sha"], []).append(r["parent_commit_sha"])
    wh.add("teams", [{"team_id": "t", "name": "t"}])
    wh.add("services", [{"service_id": "project1", "team_id": "t", "repo": "REPO111"}])
    wh.add(
        "commits",
        [
            {"repo": "REPO111", "sha": r["commit_sha"], "authored_at": "2023-04-01 00:00",
             "parents": parents.get(r["commit_sha"], [])}
            for r in read(base + "repo_commits.csv") if r["repo_id"] in scopes
        ],
    )  # fmt: skip
    rows = [r for r in read(base + "cicd_deployment_commits.csv") if r["cicd_scope_id"] in scopes]
    wh.add(
        "deployments",
        [
            {"deployment_id": r["cicd_deployment_id"], "service_id": "project1",
             "environment": r["environment"], "sha": r["commit_sha"],
             "finished_at": ts(r["started_date"]), "status": r["result"].lower()}
            for r in rows
        ],
    )  # fmt: skip
    wh.build_marts()
    deployment_of = {r["commit_sha"]: r["cicd_deployment_id"] for r in rows}
    expected: dict[str, set[str]] = {}
    for r in read(base + "commits_diffs.csv"):
        expected.setdefault(deployment_of[r["new_commit_sha"]], set()).add(r["commit_sha"])
    got: dict[str, set[str]] = {}
    for r in wh.rows("SELECT deployment_id, sha FROM marts.deployment_commits"):
        got.setdefault(r["deployment_id"], set()).add(r["sha"])
    assert got == expected


def test_incident_links_match_devlake_connect_incident_to_deployment(wh: CoreFixture) -> None:
    base = "dora/e2e/connect_incident_to_deployment/"
    mapping = read(base + "raw_tables/project_mapping.csv")
    project_of = {(r["table"], r["row_id"]): r["project_name"] for r in mapping}
    wh.add("teams", [{"team_id": "t", "name": "t"}])
    wh.add(
        "services",
        [{"service_id": p, "team_id": "t", "repo": p} for p in ("project1", "project2", "none")],
    )
    rows = read(base + "prev_success_deployment_commit/cicd_deployment_commits_after.csv")
    deployments: list[dict[str, Any]] = [
        {"deployment_id": r["id"], "service_id": project_of[("cicd_scopes", r["cicd_scope_id"])],
         "environment": r["environment"] or "unknown", "sha": r["commit_sha"],
         "finished_at": ts(r["finished_date"]), "status": r["result"].lower()}
        for r in rows
    ]  # fmt: skip
    wh.add("deployments", deployments)
    incidents = read(base + "raw_tables/incidents.csv")
    wh.add(
        "incidents",
        [
            {"incident_id": r["id"], "opened_at": ts(r["created_date"]),
             "service_id": project_of.get((r["table"], r["scope_id"]), "none")}
            for r in incidents
        ],
    )  # fmt: skip
    wh.build_marts()
    pipeline_of = {r["id"]: r["cicd_deployment_id"] for r in rows}
    got = {
        r["incident_id"]: pipeline_of[r["deployment_id"]]
        for r in wh.rows("SELECT * FROM marts.incident_links WHERE service_id = 'project1'")
        if r["deployment_id"] is not None
    }
    expected = {
        r["id"]: r["deployment_id"]
        for r in read(base + "snapshot_tables/project_incident_deployment_relationships.csv")
    }
    assert got == expected
    # the incident outside the project (repo3) is not linked, with the reason
    outside = wh.rows("SELECT link_reason FROM marts.incident_links WHERE service_id = 'none'")
    assert [r["link_reason"] for r in outside] == ["no earlier counted deployment of the service"]


# -- shared helpers for the fixture sets below -----------------------------------------------


def when(value: str) -> datetime | None:
    """A DevLake timestamp as naive UTC; accepts both '2023-4-10 6:51:47' and
    '2023-04-10T06:51:47.000+00:00'. Blank is None."""
    if not value:
        return None
    if "T" in value:
        return datetime.fromisoformat(value).astimezone(UTC).replace(tzinfo=None)
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")


def at(value: str) -> datetime:
    """A timestamp the fixture always fills."""
    moment = when(value)
    assert moment is not None, "blank timestamp in a DevLake fixture column that needs one"
    return moment


def run_marts(wh: CoreFixture, *names: str) -> None:
    """Run only the marts a test reads (in MARTS order), on paved's own SQL."""
    wh.resolve_authors()
    for name in names:
        build_mart(wh.con, name)


def open_fixture(tmp_path_factory: pytest.TempPathFactory, name: str) -> CoreFixture:
    wh = CoreFixture(tmp_path_factory.mktemp(name) / "warehouse.duckdb")
    wh.add("teams", [{"team_id": "t", "name": "t"}])
    return wh


# -- dora/e2e/prev_success_deployment_commit -------------------------------------------------
#
# DevLake's enricher gives each successful deployment commit the id of the previous successful
# one in the same (cicd_scope_id, repo_url, environment) line, ordered by finished_date; it runs
# for project1 only (scopes cicd1 and cicd2). paved's `previous_counted_deployment_id` is the
# previous counted (production, success) deployment of the same *service*, whatever its
# production environment is called.

PREV = "dora/e2e/prev_success_deployment_commit/"


def prev_projects() -> dict[str, str]:
    mapping = read(PREV + "project_mapping.csv")
    return {r["row_id"]: r["project_name"] for r in mapping if r["table"] == "cicd_scopes"}


Row = dict[str, str]


def devlake_environment(r: Row) -> str:
    return r["environment"]


def prev_deployments(
    service_of: Callable[[Row], str], environment_of: Callable[[Row], str] = devlake_environment
) -> list[dict[str, Any]]:
    """DevLake's input rows as paved deployments; `service_of(row)` names the service.

    A row without an environment could not be loaded by paved (environment is required: it would
    be quarantined); it is loaded as 'unknown' so that paved's verdict on it can be read."""
    return [
        {"deployment_id": r["id"], "service_id": service_of(r),
         "environment": environment_of(r) or "unknown", "sha": r["commit_sha"],
         "started_at": when(r["started_date"]), "finished_at": when(r["finished_date"]),
         "status": r["result"].lower()}
        for r in read(PREV + "cicd_deployment_commits_before.csv")
    ]  # fmt: skip


def load_prev(
    wh: CoreFixture,
    service_of: Callable[[Row], str],
    environment_of: Callable[[Row], str] = devlake_environment,
) -> dict[str, dict[str, Any]]:
    """Load the rows, run paved's deployments mart, return its rows by DevLake row id."""
    deployments = prev_deployments(service_of, environment_of)
    services = sorted({d["service_id"] for d in deployments})
    wh.add("services", [{"service_id": s, "team_id": "t", "repo": s} for s in services])
    wh.add("deployments", deployments)
    run_marts(wh, "incident_links", "deployments")
    got = {r["deployment_id"]: r for r in wh.rows("FROM marts.deployments")}
    wh.con.close()
    return got


@pytest.fixture(scope="module")
def per_line(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """One paved service per DevLake (cicd scope, repo): DevLake's line without environment."""
    wh = open_fixture(tmp_path_factory, "prev_per_line")
    return load_prev(wh, lambda r: f"{r['cicd_scope_id']}:{r['repo_url']}")


def devlake_prev() -> dict[str, str | None]:
    """DevLake's expected previous id per deployment-commit row (blank is None)."""
    after = read(PREV + "cicd_deployment_commits_after.csv")
    return {r["id"]: r["prev_success_deployment_commit_id"] or None for r in after}


def devlake_selected() -> set[str]:
    """The rows DevLake's enricher chains: success, finished, with environment and repo, in a
    scope of project1."""
    projects = prev_projects()
    return {
        r["id"]
        for r in read(PREV + "cicd_deployment_commits_before.csv")
        if r["result"] == "SUCCESS" and r["finished_date"] and r["environment"]
        and r["repo_url"] and projects.get(r["cicd_scope_id"]) == "project1"
    }  # fmt: skip


def test_previous_production_deployment_matches_devlake_per_scope_and_repo(
    per_line: dict[str, dict[str, Any]],
) -> None:
    """Every production row DevLake chains (ten rows in five lines, including the retried
    success 13 whose failed attempt 11 is skipped) gets DevLake's previous id in paved."""
    expected = devlake_prev()
    production = {i for i in devlake_selected() if per_line[i]["is_production"]}
    assert production == {"1", "2", "3", "4", "5", "6", "9", "10", "12", "13"}
    assert {i: per_line[i]["previous_counted_deployment_id"] for i in production} == {
        i: expected[i] for i in production
    }
    assert all(per_line[i]["is_counted"] for i in production)


def test_non_production_line_is_not_chained_in_paved(
    per_line: dict[str, dict[str, Any]],
) -> None:
    """Deliberate difference: DevLake chains every environment (STAGING 8 follows 7); paved
    only chains counted deployments, which are production ones (contract §3), so 7 and 8 are
    not counted and have no previous deployment."""
    assert devlake_prev()["8"] == "7"
    for row_id in ("7", "8"):
        row = per_line[row_id]
        assert (row["is_counted"], row["previous_counted_deployment_id"]) == (False, None)
        assert row["not_counted_reason"] == "environment STAGING is not production"


def test_failed_deployments_are_not_in_the_line(per_line: dict[str, dict[str, Any]]) -> None:
    """Both tools skip failures: 11 and 14 get no previous id and are not counted in paved."""
    expected = devlake_prev()
    for row_id in ("11", "14"):
        row = per_line[row_id]
        assert expected[row_id] is None
        assert (row["is_counted"], row["previous_counted_deployment_id"]) == (False, None)
        assert row["not_counted_reason"] == "status is failure"


def test_deployment_without_environment_is_not_counted(
    per_line: dict[str, dict[str, Any]],
) -> None:
    """Row 16 has no environment: DevLake leaves it out of every line; paved would quarantine
    it at load (environment is required) and, loaded as 'unknown', does not count it."""
    assert devlake_prev()["16"] is None
    row = per_line["16"]
    assert (row["is_counted"], row["previous_counted_deployment_id"]) == (False, None)


def test_deployment_outside_the_project_starts_its_own_line(
    per_line: dict[str, dict[str, Any]],
) -> None:
    """Row 15 (scope cicd3, project2) keeps an empty previous id in DevLake because the
    enricher runs for project1 only; in paved it is counted and is the first of its service's
    line, so it has no previous deployment either."""
    assert devlake_prev()["15"] is None
    row = per_line["15"]
    assert (row["is_counted"], row["previous_counted_deployment_id"]) == (True, None)


# paved's one line per service, checked by hand on project1: REPO111 is deployed to production
# by two CI scopes, cicd1 (rows 1, 5, 9) and cicd2 (rows 3, 13). DevLake keeps two lines; as one
# service, paved orders the five by finished_at: 1 (09-11), 3 (09-14), 5 (09-16), 9 (09-20),
# 13 (09-24). REPO222 and REPO333 are deployed by one scope each: the same as DevLake.
ONE_LINE_PER_SERVICE = {
    "1": None, "3": "1", "5": "3", "9": "5", "13": "9",  # REPO111
    "2": None, "6": "2", "10": "6",  # REPO222
    "4": None, "12": "4",  # REPO333
}  # fmt: skip


def project_repo(r: Row) -> str:
    return f"{prev_projects()[r['cicd_scope_id']]}:{r['repo_url']}"


def test_paved_chains_every_production_deployment_of_a_service_into_one_line(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Deliberate difference: DevLake's line is (cicd scope, repo, environment); paved's is the
    service (a change reaches production once). With one service per repository of project1,
    paved's previous deployment differs from DevLake's exactly where a second scope deploys the
    same repository (rows 3, 5 and 13)."""
    got = load_prev(open_fixture(tmp_path_factory, "prev_per_service"), project_repo)
    assert {i: got[i]["previous_counted_deployment_id"] for i in ONE_LINE_PER_SERVICE} == (
        ONE_LINE_PER_SERVICE
    )
    expected = devlake_prev()
    differ = {i for i, prev in ONE_LINE_PER_SERVICE.items() if prev != expected[i]}
    assert differ == {"3", "5", "13"}


def test_production_environment_names_do_not_split_the_line(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A variant of the fixture (environment renamed, nothing else): cicd2 deploys to an
    environment called 'prod' and cicd1 to 'PRODUCTION'. DevLake keys a line by the environment
    name; both names match paved's production rule (`^(prod|production)$`, any case) and still
    form the one line above."""

    def environment(r: Row) -> str:
        return "prod" if r["cicd_scope_id"] == "cicd2" else r["environment"]

    got = load_prev(open_fixture(tmp_path_factory, "prev_env_names"), project_repo, environment)
    assert {got[i]["environment"] for i in ("3", "13")} == {"prod"}
    assert {i: got[i]["previous_counted_deployment_id"] for i in ONE_LINE_PER_SERVICE} == (
        ONE_LINE_PER_SERVICE
    )


# -- dora/e2e/change_lead_time ---------------------------------------------------------------
#
# Mapping: project1 (scopes cicd1, cicd2; its pull requests are all on repo1) is one paved
# service whose repository is repo1; project2 (cicd3) is another. Each DevLake deployment-commit
# row is a paved deployment (id = row id, finished_at = finished_date). DevLake links a pull
# request to a deployment through `commits_diffs` (the merge commit is in the diff of the
# deployed commit): these rows are given to paved as explicit `deployment_commits`. Pull request
# commits are `commits` (authored_at) and the pull request's `commit_shas`.
#
# DevLake's rules that paved does not share (each has a test below that checks paved's value):
# * spans in minutes, ceil(seconds / 60), and pr_cycle_time is a *sum* of ceilings (coding +
#   created->merged + deploy, NULL parts as 0); paved's lead time is one span in hours:
#   deployment finished_at minus the earliest authored commit of the change;
# * a deployment needs a non-empty prev_success_deployment_commit_id to ship anything; in
#   paved the first counted deployment of a service ships every ancestor (contract §3);
# * DevLake's scope is the project; paved's is the service (per-service changes and lines).

CLT = "dora/e2e/change_lead_time/"


def pr_number(devlake_id: str) -> int:
    return int(devlake_id.removeprefix("pr"))


@pytest.fixture(scope="module")
def lead_time(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    """paved's marts.changes on the fixture, by DevLake pull request id ('pr1')."""
    wh = open_fixture(tmp_path_factory, "change_lead_time")
    project_of = {
        r["row_id"]: r["project_name"]
        for r in read(CLT + "project_mapping.csv")
        if r["table"] == "cicd_scopes"
    }
    wh.add("services", [{"service_id": "project1", "team_id": "t", "repo": "repo1"},
                        {"service_id": "project2", "team_id": "t", "repo": "repo3"}])  # fmt: skip
    rows = read(CLT + "cicd_deployment_commits.csv")
    wh.add(
        "deployments",
        [
            {"deployment_id": r["id"], "service_id": project_of[r["cicd_scope_id"]],
             "environment": r["environment"] or "unknown", "sha": r["commit_sha"],
             "started_at": when(r["started_date"]), "finished_at": when(r["finished_date"]),
             "status": r["result"].lower()}
            for r in rows
        ],
    )  # fmt: skip
    deployment_of = {r["commit_sha"]: r["id"] for r in rows}
    wh.add(
        "deployment_commits",
        [
            {"deployment_id": deployment_of[r["new_commit_sha"]], "sha": r["commit_sha"]}
            for r in read(CLT + "commits_diffs.csv")
        ],
    )
    pr_commits = read(CLT + "pull_request_commits.csv")
    wh.add(
        "commits",
        [
            {"repo": "repo1", "sha": r["commit_sha"], "authored_at": at(r["commit_authored_date"])}
            for r in pr_commits
        ],
    )
    wh.add(
        "pull_requests",
        [
            {"repo": r["base_repo_id"], "number": pr_number(r["id"]),
             "created_at": when(r["created_date"]), "author_id": r["author_id"] or None,
             "merged_at": when(r["merged_date"]), "merge_sha": r["merge_commit_sha"],
             "commit_shas": [c["commit_sha"] for c in pr_commits
                             if c["pull_request_id"] == r["id"]]}
            for r in read(CLT + "pull_requests.csv")
        ],
    )  # fmt: skip
    run_marts(wh, "incident_links", "deployments", "deployment_commits", "changes")
    changes = wh.rows("FROM marts.changes")
    wh.con.close()
    assert {c["change_type"] for c in changes} == {"pull_request"}  # no trunk commit here
    yield {f"pr{c['pr_number']}": c for c in changes}


def devlake_pr_metrics() -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in read(CLT + "project_pr_metrics.csv")}


def deployed_by_devlake() -> set[str]:
    return {i for i, r in devlake_pr_metrics().items() if r["deployment_commit_id"]}


def test_change_belongs_to_the_deployment_devlake_links(
    lead_time: dict[str, dict[str, Any]],
) -> None:
    """pr1 and pr2 ship with deployment 5 and pr3 with 6, at DevLake's deploy time (pr3's
    deployment finished before its merge: DevLake still links it, and so does paved)."""
    expected = devlake_pr_metrics()
    assert deployed_by_devlake() == {"pr1", "pr2", "pr3"}
    for pr in ("pr1", "pr2", "pr3"):
        assert lead_time[pr]["deployment_id"] == expected[pr]["deployment_commit_id"]
        assert lead_time[pr]["deployed_at"] == when(expected[pr]["pr_deployed_date"])


def test_staging_and_failed_deployments_ship_no_change(
    lead_time: dict[str, dict[str, Any]],
) -> None:
    """pr4 is only in a STAGING deployment's diff and pr5 only in a FAILURE's: DevLake gives
    them no deployment and paved no change (a change needs a counted deployment); pr6 is not
    merged, so neither tool has it."""
    expected = devlake_pr_metrics()
    for pr in ("pr4", "pr5"):
        assert expected[pr]["deployment_commit_id"] == ""
        assert pr not in lead_time
    assert "pr6" not in expected and "pr6" not in lead_time


def test_first_commit_and_merge_time_match_devlake(
    lead_time: dict[str, dict[str, Any]],
) -> None:
    """For every change paved has, the start of the lead time (DevLake's first commit, the PR
    commit with the earliest authored date) and the merge time are DevLake's."""
    expected = devlake_pr_metrics()
    assert set(lead_time) == {"pr0", "pr1", "pr2", "pr3"}
    for pr, change in lead_time.items():
        assert change["first_authored_at"] == when(expected[pr]["first_commit_authored_date"])
        assert change["merged_at"] == when(expected[pr]["pr_merged_date"])


def test_first_deployment_of_a_service_ships_its_changes(
    lead_time: dict[str, dict[str, Any]],
) -> None:
    """Deliberate difference: deployment 1 has no previous successful deployment, so DevLake
    links nothing to it (pr0 has no deployment and its cycle time ends at the merge). In paved
    the first counted deployment ships every commit it carries: pr0 is a change of deployment
    1, and its lead time runs to that deployment."""
    assert devlake_pr_metrics()["pr0"]["deployment_commit_id"] == ""
    change = lead_time["pr0"]
    first = {r["id"]: r for r in read(CLT + "cicd_deployment_commits.csv")}["1"]
    assert (change["deployment_id"], change["deployed_at"]) == ("1", when(first["finished_date"]))
    assert change["lead_time_hours"] == hours(change["first_authored_at"], change["deployed_at"])


def hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def test_lead_time_is_first_commit_to_deployment_in_hours(
    lead_time: dict[str, dict[str, Any]],
) -> None:
    """paved's lead time is DevLake's pr_deployed_date minus its first_commit_authored_date,
    to the second, in hours, for every pull request DevLake deploys."""
    expected = devlake_pr_metrics()
    for pr in deployed_by_devlake():
        span = hours(
            at(expected[pr]["first_commit_authored_date"]), at(expected[pr]["pr_deployed_date"])
        )
        assert lead_time[pr]["lead_time_hours"] == pytest.approx(span, abs=1e-9)


def test_lead_time_matches_devlake_cycle_time_when_every_span_is_positive(
    lead_time: dict[str, dict[str, Any]],
) -> None:
    """pr1: first commit before PR creation and deployment after merge. DevLake's sum of
    ceilings (1440 + 60 + 2978 = 4478 min) is paved's lead time rounded up to the minute."""
    expected = devlake_pr_metrics()["pr1"]
    assert int(expected["pr_cycle_time"]) == 4478
    assert math.ceil(lead_time["pr1"]["lead_time_hours"] * 60) == 4478


def test_lead_time_starts_at_first_commit_even_after_pr_creation(
    lead_time: dict[str, dict[str, Any]],
) -> None:
    """Deliberate difference, pr2: its first commit (04-13 04:51:47) comes after the PR was
    created (04-12 04:51:47). DevLake's coding time is NULL and counted as 0, so its cycle time
    (1598 min) runs from PR creation; paved's lead time runs from the first commit to the
    deployment (157.45 min)."""
    expected = devlake_pr_metrics()["pr2"]
    assert (expected["pr_coding_time"], int(expected["pr_cycle_time"])) == ("", 1598)
    change = lead_time["pr2"]
    assert change["first_authored_at"] > at(expected["pr_created_date"])
    assert change["lead_time_hours"] * 60 == pytest.approx(157.45)


def test_lead_time_ends_at_deployment_even_before_merge(
    lead_time: dict[str, dict[str, Any]],
) -> None:
    """Deliberate difference, pr3: deployment 6 finished (04-13 07:30:34) before the PR was
    merged (04-14 06:53:51). DevLake's deploy time is NULL and counted as 0, so its cycle time
    (5883 + 4320 = 10203 min) ends at the merge; paved's lead time ends at the deployment that
    ships the change (8798.78 min, positive so kept)."""
    expected = devlake_pr_metrics()["pr3"]
    assert (expected["pr_deploy_time"], int(expected["pr_cycle_time"])) == ("", 10203)
    change = lead_time["pr3"]
    assert change["deployed_at"] < change["merged_at"]
    assert change["lead_time_hours"] * 60 == pytest.approx(8798.78, abs=0.01)


# -- dora/e2e/deployment_generator: not mapped ------------------------------------------------
# It decides which CI pipelines are deployments from DevLake's typed domain rows (type and
# environment already set by per-connection regexes). In paved that is a connector concern
# (`deploy_rules` in pipelines/connectors, on raw API payloads), with no mart to compare; see
# docs/dora-comparison.md.

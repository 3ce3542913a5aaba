"""marts.deployment_commits and marts.changes: what each counted deployment ships, and the
changes (pull requests and trunk commits) with their first deployment and lead time."""

from __future__ import annotations

from typing import Any

import pytest
from core_fixture import CoreFixture


def org(wh: CoreFixture) -> None:
    wh.add("teams", [{"team_id": "t1", "name": "Team one"}])
    wh.add("services", [{"service_id": "s1", "team_id": "t1", "repo": "o/r"}])


def commit(sha: str, authored_at: str, *parents: str, author: str = "dev") -> dict[str, Any]:
    return {"repo": "o/r", "sha": sha, "authored_at": authored_at, "author_id": author,
            "parents": list(parents)}  # fmt: skip


def dep(deployment_id: str, sha: str, finished_at: str, **extra: Any) -> dict[str, Any]:
    row = {"deployment_id": deployment_id, "service_id": "s1", "environment": "prod",
           "sha": sha, "finished_at": finished_at, "status": "success"}  # fmt: skip
    row.update(extra)
    return row


def shipped(wh: CoreFixture) -> dict[str, set[str]]:
    wh.build_marts()
    out: dict[str, set[str]] = {}
    for r in wh.rows("FROM marts.deployment_commits"):
        out.setdefault(r["deployment_id"], set()).add(r["sha"])
    return out


def changes(wh: CoreFixture) -> dict[str, dict[str, Any]]:
    wh.build_marts()
    return {r["change_id"]: r for r in wh.rows("FROM marts.changes")}


# History used by several tests (time flows left to right):
#
#   a ── b ───────── m ── c          m merges b (first parent) and f2 (second parent)
#    └── f1 ── f2 ──┘
LINE = [
    commit("a", "2024-01-01 09:00"),
    commit("b", "2024-01-02 09:00", "a"),
    commit("f1", "2024-01-01 12:00", "a"),
    commit("f2", "2024-01-02 12:00", "f1"),
    commit("m", "2024-01-03 09:00", "b", "f2"),
    commit("c", "2024-01-04 09:00", "m"),
]


def test_first_counted_deployment_ships_every_ancestor(wh: CoreFixture) -> None:
    org(wh)
    wh.add("commits", LINE).add("deployments", [dep("d1", "b", "2024-01-02 10:00")])
    assert shipped(wh) == {"d1": {"a", "b"}}


def test_merge_commit_ships_both_parents_history_down_to_previous_deployment(
    wh: CoreFixture,
) -> None:
    org(wh)
    wh.add("commits", LINE)
    wh.add("deployments", [dep("d1", "b", "2024-01-02 10:00"), dep("d2", "c", "2024-01-04 10:00")])
    # f1's parent a was shipped by d1: the walk down the second parent stops there
    assert shipped(wh) == {"d1": {"a", "b"}, "d2": {"f1", "f2", "m", "c"}}


def test_deployment_of_already_shipped_sha_ships_nothing(wh: CoreFixture) -> None:
    org(wh)
    wh.add("commits", LINE)
    wh.add("deployments", [dep("d1", "c", "2024-01-04 10:00"), dep("d2", "c", "2024-01-05 10:00")])
    assert shipped(wh) == {"d1": {"a", "b", "f1", "f2", "m", "c"}}


def test_non_counted_deployments_ship_nothing_and_do_not_stop_the_walk(
    wh: CoreFixture,
) -> None:
    org(wh)
    wh.add("commits", LINE)
    wh.add(
        "deployments",
        [
            dep("stg", "b", "2024-01-02 10:00", environment="staging"),
            dep("bad", "b", "2024-01-02 11:00", status="failure"),
            dep("d1", "c", "2024-01-04 10:00"),
        ],
    )
    assert shipped(wh) == {"d1": {"a", "b", "f1", "f2", "m", "c"}}


def test_explicit_deployment_commits_replace_the_graph_walk(wh: CoreFixture) -> None:
    org(wh)
    wh.add("commits", LINE)
    wh.add("deployments", [dep("d1", "b", "2024-01-02 10:00"), dep("d2", "c", "2024-01-04 10:00")])
    wh.add("deployment_commits", [{"deployment_id": "d2", "sha": "c"}])
    wh.build_marts()
    rows = wh.rows("SELECT deployment_id, sha, method FROM marts.deployment_commits ORDER BY 1, 2")
    assert rows == [
        {"deployment_id": "d1", "sha": "a", "method": "commit_graph"},
        {"deployment_id": "d1", "sha": "b", "method": "commit_graph"},
        {"deployment_id": "d2", "sha": "c", "method": "explicit"},
    ]


def test_redeploying_an_earlier_sha_ships_nothing_and_walks_no_graph(wh: CoreFixture) -> None:
    org(wh)
    wh.add("commits", LINE)
    wh.add(
        "deployments",
        [
            dep("d1", "b", "2024-01-02 10:00"),
            dep("d2", "c", "2024-01-04 10:00"),
            dep("rb", "b", "2024-01-04 11:00", kind="rollback"),
        ],
    )
    wh.add("deployment_commits", [{"deployment_id": "d1", "sha": "b"},
                                  {"deployment_id": "d2", "sha": "c"}])  # fmt: skip
    assert shipped(wh) == {"d1": {"b"}, "d2": {"c"}}
    # the rollback lists nothing, yet no service had to walk the graph to learn that
    assert wh.con.execute("SELECT count(*) FROM _cg_walking").fetchone() == (0,)


def test_a_new_sha_without_explicit_commits_still_walks(wh: CoreFixture) -> None:
    org(wh)
    wh.add("commits", LINE)
    wh.add("deployments", [dep("d1", "b", "2024-01-02 10:00"), dep("d2", "c", "2024-01-04 10:00")])
    wh.add("deployment_commits", [{"deployment_id": "d1", "sha": "b"}])
    assert shipped(wh) == {"d1": {"b"}, "d2": {"f1", "f2", "m", "c"}}


def test_services_sharing_a_repository_each_ship_from_their_own_previous_deployment(
    wh: CoreFixture,
) -> None:
    org(wh)
    wh.add("services", [{"service_id": "s2", "team_id": "t1", "repo": "o/r", "path": "svc2"}])
    wh.add("commits", LINE)
    wh.add("deployments", [dep("d1", "b", "2024-01-02 10:00"),
                           dep("e1", "f2", "2024-01-02 13:00", service_id="s2"),
                           dep("d2", "c", "2024-01-04 10:00"),
                           dep("e2", "c", "2024-01-04 11:00", service_id="s2")])  # fmt: skip
    assert shipped(wh) == {"d1": {"a", "b"}, "d2": {"f1", "f2", "m", "c"},
                           "e1": {"a", "f1", "f2"}, "e2": {"b", "m", "c"}}  # fmt: skip


def test_a_monorepo_walked_in_column_chunks_ships_the_same(
    wh: CoreFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipelines.commit_graph

    monkeypatch.setattr(pipelines.commit_graph, "MAX_COLUMNS", 1)
    test_services_sharing_a_repository_each_ship_from_their_own_previous_deployment(wh)


def test_services_of_other_repos_do_not_ship_these_commits(wh: CoreFixture) -> None:
    org(wh)
    wh.add("services", [{"service_id": "s2", "team_id": "t1", "repo": "o/other"}])
    wh.add("commits", LINE)
    wh.add("deployments", [dep("d1", "c", "2024-01-04 10:00", service_id="s2")])
    assert shipped(wh) == {}


def test_merged_pull_request_is_one_change_with_its_earliest_commit(wh: CoreFixture) -> None:
    org(wh)
    wh.add("commits", LINE)
    wh.add(
        "pull_requests",
        [{"repo": "o/r", "number": 7, "created_at": "2024-01-02 13:00", "author_id": "dev",
          "merged_at": "2024-01-03 09:00", "merge_sha": "m", "commit_shas": ["f1", "f2"]}],
    )  # fmt: skip
    wh.add("deployments", [dep("d1", "b", "2024-01-02 10:00"), dep("d2", "c", "2024-01-04 10:00")])
    got = changes(wh)
    assert set(got) == {"o/r@a", "o/r@b", "o/r#7", "o/r@c"}  # f1, f2 and m belong to the PR
    pr = got["o/r#7"]
    assert (pr["change_type"], pr["deployment_id"]) == ("pull_request", "d2")
    assert pr["first_authored_at"].isoformat() == "2024-01-01T12:00:00"
    assert pr["lead_time_hours"] == pytest.approx(70.0)  # 01-01 12:00 -> 01-04 10:00


def test_pull_request_without_commit_list_is_its_merge_commit(wh: CoreFixture) -> None:
    org(wh)
    wh.add("commits", [commit("a", "2024-01-01 09:00"), commit("s", "2024-01-02 09:00", "a")])
    wh.add(
        "pull_requests",
        [{"repo": "o/r", "number": 1, "created_at": "2024-01-01 10:00",
          "merged_at": "2024-01-02 09:00", "merge_sha": "s"}],
    )  # fmt: skip
    wh.add("deployments", [dep("d1", "s", "2024-01-02 12:00")])
    got = changes(wh)
    assert set(got) == {"o/r@a", "o/r#1"}
    assert got["o/r#1"]["lead_time_hours"] == pytest.approx(3.0)


def test_trunk_commit_without_pull_request_is_a_change(wh: CoreFixture) -> None:
    org(wh)
    wh.add("commits", [commit("a", "2024-01-01 09:00", author="ops-bot")])
    wh.add("deployments", [dep("d1", "a", "2024-01-01 10:30")])
    row = changes(wh)["o/r@a"]
    assert row["change_type"] == "commit"
    assert row["author_id"] == "ops-bot" and row["author_engineer_id"] is None
    assert row["lead_time_hours"] == pytest.approx(1.5)


def test_unmerged_or_unshipped_pull_request_is_no_change(wh: CoreFixture) -> None:
    org(wh)
    wh.add("commits", [commit("a", "2024-01-01 09:00"), commit("x", "2024-01-02 09:00", "a")])
    wh.add(
        "pull_requests",
        [
            {"repo": "o/r", "number": 1, "created_at": "2024-01-01 10:00", "merge_sha": "a"},
            {"repo": "o/r", "number": 2, "created_at": "2024-01-01 10:00",
             "merged_at": "2024-01-02 09:00", "merge_sha": "x"},
        ],
    )  # fmt: skip
    wh.add("deployments", [dep("d1", "a", "2024-01-01 12:00")])
    assert set(changes(wh)) == {"o/r@a"}  # PR 1 never merged; PR 2 never deployed


def test_change_shipped_again_after_rollback_belongs_to_its_first_deployment(
    wh: CoreFixture,
) -> None:
    org(wh)
    wh.add("commits", [commit("a", "2024-01-01 09:00"), commit("b", "2024-01-02 09:00", "a"),
                       commit("c", "2024-01-03 09:00", "b")])  # fmt: skip
    wh.add(
        "deployments",
        [
            dep("d1", "a", "2024-01-01 10:00"),
            dep("d2", "b", "2024-01-02 10:00"),
            dep("rb", "a", "2024-01-02 11:00", kind="rollback"),
            dep("d3", "c", "2024-01-03 10:00"),
        ],
    )
    got = changes(wh)
    assert {c: r["deployment_id"] for c, r in got.items()} == {
        "o/r@a": "d1",
        "o/r@b": "d2",
        "o/r@c": "d3",
    }


def test_negative_lead_time_is_null(wh: CoreFixture) -> None:
    org(wh)
    wh.add("commits", [commit("a", "2024-01-05 09:00")])  # author clock ahead of the deploy
    wh.add("deployments", [dep("d1", "a", "2024-01-01 10:00")])
    assert changes(wh)["o/r@a"]["lead_time_hours"] is None


def test_change_author_is_resolved_through_aliases(wh: CoreFixture) -> None:
    org(wh)
    wh.add("engineers", [{"engineer_id": "e1", "team_id": "t1", "start_date": "2023-06-01",
                          "aliases": ["Ada@Example.com"]}])  # fmt: skip
    wh.add("commits", [commit("a", "2024-01-01 09:00", author="ada@example.COM")])
    wh.add("deployments", [dep("d1", "a", "2024-01-01 10:00")])
    assert changes(wh)["o/r@a"]["author_engineer_id"] == "e1"


def test_each_service_of_a_monorepo_has_the_change(wh: CoreFixture) -> None:
    org(wh)
    wh.add("services", [{"service_id": "s2", "team_id": "t1", "repo": "o/r", "path": "svc2"}])
    wh.add("commits", [commit("a", "2024-01-01 09:00")])
    wh.add("deployments", [dep("d1", "a", "2024-01-01 10:00"),
                           dep("d2", "a", "2024-01-01 11:00", service_id="s2")])  # fmt: skip
    wh.build_marts()
    rows = wh.rows("SELECT service_id, deployment_id FROM marts.changes ORDER BY 1")
    assert rows == [{"service_id": "s1", "deployment_id": "d1"},
                    {"service_id": "s2", "deployment_id": "d2"}]  # fmt: skip


def test_the_vectorised_walk_takes_the_smallest_label_over_every_path() -> None:
    """A diamond (merge with two parents) reached by two deployments: each commit keeps the
    first deployment that reaches it, whichever path reaches it first."""
    import numpy as np

    from pipelines.commit_graph import NO_LABEL, propagate

    # 0 <- 1 <- 3, 0 <- 2 <- 3 (3 is a merge), 4 is unrelated; seeds: 3 -> label 2, 1 -> label 1
    child = np.array([1, 2, 3, 3])
    parent = np.array([0, 0, 1, 2])
    label = propagate(5, child, parent, np.array([3, 1]), np.array([2, 1]))
    assert label.tolist() == [1, 1, 2, 2, NO_LABEL]


def test_the_walk_labels_each_column_from_its_own_seeds() -> None:
    import numpy as np

    from pipelines.commit_graph import NO_LABEL, propagate

    # 0 <- 1 <- 2: column 0 seeded at 2 (label 1), column 1 seeded at 1 (label 4)
    label = propagate(3, np.array([1, 2]), np.array([0, 1]), np.array([2, 1]),
                      np.array([1, 4]), np.array([0, 1]), 2)  # fmt: skip
    assert label.tolist() == [[1, 4], [1, 4], [1, NO_LABEL]]


def test_the_walk_still_labels_commits_on_a_cycle() -> None:
    """Impossible in git, possible in bad input: 0 <- 1 <- 2 <- 1 must not hang or lose 0."""
    import numpy as np

    from pipelines.commit_graph import propagate

    label = propagate(3, np.array([1, 2, 1]), np.array([0, 1, 2]), np.array([2]), np.array([7]))
    assert label.tolist() == [7, 7, 7]

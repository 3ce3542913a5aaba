"""Commits form a real graph per repository that deployments and pull requests point into."""

from __future__ import annotations

import pandas as pd


def _commit_index(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return frames["commits"].set_index(["repo", "sha"])


def test_every_deployment_sha_is_a_commit_of_its_service_repo(
    frames: dict[str, pd.DataFrame],
) -> None:
    repo = frames["services"].set_index("service_id")["repo"]
    d = frames["deployments"]
    keys = pd.MultiIndex.from_arrays([d["service_id"].map(repo), d["sha"]])
    assert keys.isin(_commit_index(frames).index).all()


def test_merge_commits_have_two_parents(frames: dict[str, pd.DataFrame]) -> None:
    prs = frames["pull_requests"].dropna(subset=["merge_sha"])
    parents = frames["commits"].set_index("sha").loc[prs["merge_sha"], "parents"]
    assert len(parents) > 0
    assert all(len(p) == 2 for p in parents)


def test_parents_are_older_commits_of_the_same_repo(frames: dict[str, pd.DataFrame]) -> None:
    c = frames["commits"]
    edges = c[["repo", "sha", "committed_at", "parents"]].explode("parents").dropna()
    parent = c.set_index("sha")
    assert edges["parents"].isin(parent.index).all()
    assert (edges["parents"].map(parent["repo"]) == edges["repo"]).all()
    assert (edges["parents"].map(parent["committed_at"]) <= edges["committed_at"]).all()


def test_each_repo_has_one_root_and_a_linear_trunk(frames: dict[str, pd.DataFrame]) -> None:
    c = frames["commits"]
    roots = c[c["parents"].isna()]
    assert roots["repo"].is_unique
    assert set(roots["repo"]) == set(c["repo"])


def test_trunk_has_direct_commits_without_pull_request(frames: dict[str, pd.DataFrame]) -> None:
    c = frames["commits"]
    prs = frames["pull_requests"]
    in_pr = set(prs["commit_shas"].dropna().explode()) | set(prs["merge_sha"].dropna())
    single_parent = c[c["parents"].map(lambda p: isinstance(p, list) and len(p) == 1)]
    assert (~single_parent["sha"].isin(in_pr)).sum() > 0


def test_pull_request_commits_exist_in_their_repo(frames: dict[str, pd.DataFrame]) -> None:
    prs = frames["pull_requests"]
    listed = prs[["repo", "commit_shas"]].explode("commit_shas").dropna()
    keys = pd.MultiIndex.from_arrays([listed["repo"], listed["commit_shas"]])
    assert keys.isin(_commit_index(frames).index).all()
    merged = prs.dropna(subset=["merge_sha"])
    keys = pd.MultiIndex.from_arrays([merged["repo"], merged["merge_sha"]])
    assert keys.isin(_commit_index(frames).index).all()


def test_some_pull_requests_are_closed_without_merging(frames: dict[str, pd.DataFrame]) -> None:
    prs = frames["pull_requests"]
    assert (prs["closed_at"].notna() & prs["merged_at"].isna()).sum() > 0


def test_only_some_deployments_list_their_commits(frames: dict[str, pd.DataFrame]) -> None:
    listed = set(frames["deployment_commits"]["deployment_id"])
    ids = frames["deployments"]["deployment_id"]
    assert 0 < ids.isin(listed).sum() < len(ids)


def test_listed_deployment_commits_are_commits_of_the_service_repo(
    frames: dict[str, pd.DataFrame],
) -> None:
    dc = frames["deployment_commits"]
    service = dc["deployment_id"].map(
        frames["deployments"].set_index("deployment_id")["service_id"]
    )
    repo = service.map(frames["services"].set_index("service_id")["repo"])
    keys = pd.MultiIndex.from_arrays([repo, dc["sha"]])
    assert keys.isin(_commit_index(frames).index).all()


def test_rollbacks_redeploy_a_sha_the_service_deployed_before(
    frames: dict[str, pd.DataFrame],
) -> None:
    d = frames["deployments"]
    rollbacks = d[d["kind"] == "rollback"]
    earlier = rollbacks.merge(
        d[d["kind"] != "rollback"], on=["service_id", "sha"], suffixes=("", "_earlier")
    )
    earlier = earlier[earlier["finished_at_earlier"] < earlier["finished_at"]]
    assert len(rollbacks) > 0
    assert set(earlier["deployment_id"]) == set(rollbacks["deployment_id"])

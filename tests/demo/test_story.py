"""The planted story is in the data, measured directly from the frames."""

from __future__ import annotations

import pandas as pd

from pipelines.demo import story


def _adoption(frames: dict[str, pd.DataFrame]) -> pd.Series:
    team = frames["services"].set_index("service_id")["team_id"]
    via = frames["deployments"][frames["deployments"]["via_platform"]]
    return via.groupby(via["service_id"].map(team))["finished_at"].min()


def test_teams_adopt_at_staggered_dates(frames: dict[str, pd.DataFrame]) -> None:
    adoption = _adoption(frames)
    teams = frames["teams"]
    assert 2 <= len(adoption) < len(teams)
    assert adoption.nunique() >= 3


def test_adopters_ship_faster_after_adoption(frames: dict[str, pd.DataFrame]) -> None:
    """Median hours from a merged PR's earliest commit to the next production deployment."""
    adoption = _adoption(frames)
    services = frames["services"]
    own = services[services["repo"] != "acme/monorepo"].set_index("repo")
    prs = frames["pull_requests"].dropna(subset=["merged_at"])
    prs = prs[prs["repo"].isin(own.index) & prs["commit_shas"].notna()].copy()
    prs["service_id"] = prs["repo"].map(own["service_id"])
    authored = frames["commits"].set_index("sha")["authored_at"]
    prs["first"] = prs["commit_shas"].map(lambda shas: authored[shas].min())
    d = frames["deployments"]
    prod = d[d["environment"].str.lower().isin(["prod", "production"]) & (d["status"] == "success")]
    prod = prod[prod["kind"] != "rollback"].sort_values("finished_at")
    joined = pd.merge_asof(
        prs.sort_values("merged_at"), prod[["service_id", "finished_at"]],
        left_on="merged_at", right_on="finished_at", by="service_id", direction="forward",
    )  # fmt: skip
    joined["team"] = joined["service_id"].map(services.set_index("service_id")["team_id"])
    joined = joined[joined["team"].isin(adoption.index) & joined["finished_at"].notna()]
    after = joined["finished_at"] >= joined["team"].map(adoption)
    hours = (joined["finished_at"] - joined["first"]).dt.total_seconds() / 3600
    assert hours[after].median() < 0.6 * hours[~after].median()


def test_new_hires_reach_production_sooner_after_adoption(frames: dict[str, pd.DataFrame]) -> None:
    result = story(frames)["days_to_first_production_deploy_median"]
    assert result["after"] < 0.5 * result["before"]


def test_story_reports_every_planted_effect(frames: dict[str, pd.DataFrame]) -> None:
    s = story(frames)
    assert s["lead_time_median_hours"]["after"] < s["lead_time_median_hours"]["before"]
    assert s["change_fail_rate"]["after"] < s["change_fail_rate"]["before"]
    assert s["deployments_per_service_week"]["after"] > s["deployments_per_service_week"]["before"]
    assert s["self_service_share"]["last_quarter"] > s["self_service_share"]["first_quarter"]
    assert set(s["adoption"]) == set(_adoption(frames).index)

"""`story()`: the planted effects, measured back from the frames alone.

It recomputes simplified versions of the contract metrics with pandas (no warehouse), split by
whether the team had adopted the golden paths. Tests use it to prove the story is in the data;
docs and the `demo` command can quote it. Adoption dates are read from the data too: a team's
first deployment through the platform.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.demo.activity import CODING_H, FIRST_COMMIT_DAYS, MERGE_WAIT_H, REVIEW_WAIT_H
from pipelines.demo.delivery import BAD_DEPLOY
from pipelines.demo.incidents import DRIFT_SHARE

PRODUCTION = r"^(prod|production)$"

PLANTED = {
    "coding_hours_median": CODING_H,
    "review_wait_hours_median": REVIEW_WAIT_H,
    "merge_wait_hours_median": MERGE_WAIT_H,
    "bad_deployment_probability": BAD_DEPLOY,
    "days_to_first_commit_median": FIRST_COMMIT_DAYS,
    "drift_share_of_deploy_incidents": DRIFT_SHARE,
    "deploy_cadence": ("release trains 1-3/week", "continuous delivery per merge"),
}


def story(frames: dict[str, pd.DataFrame]) -> dict[str, object]:
    """Before/after-adoption figures for adopting teams, plus the adoption dates themselves."""
    adoption = adoption_dates(frames)
    counted = counted_deployments(frames)
    team_of = frames["services"].set_index("service_id")["team_id"]
    counted["adopted"] = _adopted(
        counted["service_id"].map(team_of), counted["finished_at"], adoption
    )
    changes = pr_lead_times(frames, counted)
    changes = changes[changes["team_id"].isin(adoption.index)]
    counted_adopters = counted[counted["service_id"].map(team_of).isin(adoption.index)]
    failed = failed_deployments(frames, counted)
    counted_adopters = counted_adopters.assign(
        failed=counted_adopters["deployment_id"].isin(failed)
    )
    onboarding = first_production_deploy(frames, counted, adoption)
    events = frames["platform_events"].sort_values("occurred_at")
    quarter = max(1, len(events) // 4)

    def split(frame: pd.DataFrame, column: str, how: str) -> dict[str, float]:
        grouped = frame.groupby("adopted")[column].agg(how)
        return {
            "before": float(grouped.get(False, np.nan)),
            "after": float(grouped.get(True, np.nan)),
        }

    weeks = counted_adopters.assign(
        week=counted_adopters["finished_at"].dt.tz_convert(None).dt.to_period("W")
    )
    per_week = weeks.groupby(["service_id", "week", "adopted"]).size().reset_index(name="n")
    return {
        "planted": PLANTED,
        "adoption": {team: ts.date().isoformat() for team, ts in adoption.items()},
        "adopting_teams": len(adoption),
        "teams": len(frames["teams"]),
        "lead_time_median_hours": split(changes, "lead_time_h", "median"),
        "change_fail_rate": split(counted_adopters, "failed", "mean"),
        "deployments_per_service_week": split(per_week, "n", "mean"),
        "days_to_first_production_deploy_median": split(onboarding, "days", "median"),
        "self_service_share": {
            "first_quarter": float((events["channel"].iloc[:quarter] == "self_service").mean()),
            "last_quarter": float((events["channel"].iloc[-quarter:] == "self_service").mean()),
        },
        "golden_path_service_share_at_end": float(frames["services"]["template"].notna().mean()),
    }


def adoption_dates(frames: dict[str, pd.DataFrame]) -> pd.Series:
    """team_id -> first deployment through the platform (the team's adoption)."""
    d = frames["deployments"]
    team_of = frames["services"].set_index("service_id")["team_id"]
    via = d[d["via_platform"]]
    return via.groupby(via["service_id"].map(team_of))["finished_at"].min().sort_index()


def counted_deployments(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Successful production deployments (contract §3), sorted by service and finish time."""
    d = frames["deployments"]
    prod = d["environment"].str.match(PRODUCTION, case=False)
    out = d[prod & (d["status"] == "success")].copy()
    return out.sort_values(["service_id", "finished_at"], kind="stable").reset_index(drop=True)


def pr_lead_times(frames: dict[str, pd.DataFrame], counted: pd.DataFrame) -> pd.DataFrame:
    """Merged pull requests of single-service repos with the deployment that first shipped them.

    A linear trunk makes "shipped" simple: a deployment ships every merge committed no later than
    its deployed commit. Lead time = that deployment's finish - the PR's earliest commit.
    """
    services = frames["services"]
    single = services.groupby("repo").filter(lambda g: len(g) == 1)
    commits = frames["commits"].set_index("sha")
    prs = frames["pull_requests"]
    prs = prs[prs["merged_at"].notna() & prs["repo"].isin(single["repo"])].copy()
    prs["service_id"] = prs["repo"].map(single.set_index("repo")["service_id"])
    prs["team_id"] = prs["service_id"].map(services.set_index("service_id")["team_id"])
    shas = prs[["repo", "number", "commit_shas", "merge_sha"]].copy()
    shas["sha"] = [
        s if isinstance(s, list) else [m]
        for s, m in zip(shas["commit_shas"], shas["merge_sha"], strict=True)
    ]
    exploded = shas.explode("sha")
    exploded["authored_at"] = exploded["sha"].map(commits["authored_at"])
    first = exploded.groupby(["repo", "number"])["authored_at"].min()
    prs = prs.join(first.rename("first_authored_at"), on=["repo", "number"])

    shipped = counted[["service_id", "deployment_id", "finished_at", "sha", "adopted"]].copy()
    shipped["reach"] = shipped["sha"].map(commits["committed_at"])
    shipped["reach"] = shipped.groupby("service_id")["reach"].cummax()
    shipped = shipped.sort_values("reach", kind="stable")
    prs = prs.sort_values("merged_at", kind="stable")
    joined = pd.merge_asof(
        prs, shipped.rename(columns={"finished_at": "deployed_at"}),
        left_on="merged_at", right_on="reach", by="service_id", direction="forward",
    )  # fmt: skip
    joined = joined[joined["deployed_at"].notna()].copy()
    joined["lead_time_h"] = (
        joined["deployed_at"] - joined["first_authored_at"]
    ).dt.total_seconds() / 3600
    joined["adopted"] = joined["adopted"].astype(bool)
    return joined


def failed_deployments(frames: dict[str, pd.DataFrame], counted: pd.DataFrame) -> set[str]:
    """Counted deployments that failed by the three rules of contract §3."""
    inc = frames["incidents"]
    failed = set(inc["caused_by_deployment_id"].dropna())
    loose = inc[inc["caused_by_deployment_id"].isna()].sort_values("opened_at", kind="stable")
    right = counted[["service_id", "finished_at", "deployment_id"]].sort_values(
        "finished_at", kind="stable"
    )
    attributed = pd.merge_asof(
        loose, right, left_on="opened_at", right_on="finished_at", by="service_id",
        direction="backward", allow_exact_matches=False,
    )  # fmt: skip
    failed |= set(attributed["deployment_id"].dropna())
    kinds = counted["kind"].fillna("regular")
    nxt = counted.assign(kind=kinds).groupby("service_id")["kind"].shift(-1)
    failed |= set(counted.loc[(kinds != "rollback") & (nxt == "rollback"), "deployment_id"])
    return failed


def first_production_deploy(
    frames: dict[str, pd.DataFrame], counted: pd.DataFrame, adoption: pd.Series
) -> pd.DataFrame:
    """New hires' days from start date to their first change in production."""
    eng = frames["engineers"]
    aliases = eng[["engineer_id", "aliases"]].explode("aliases")
    lookup = pd.concat(
        [
            pd.Series(eng["engineer_id"].to_numpy(), index=eng["engineer_id"].str.lower()),
            pd.Series(aliases["engineer_id"].to_numpy(), index=aliases["aliases"].str.lower()),
        ]
    )
    lookup = lookup[~lookup.index.duplicated()]
    changes = pr_lead_times(frames, counted.assign(adopted=False))
    changes["engineer_id"] = changes["author_id"].str.lower().map(lookup)
    first = changes.groupby("engineer_id")["deployed_at"].min()
    window_start = frames["commits"]["authored_at"].min()
    start = pd.to_datetime(eng["start_date"]).dt.tz_localize("UTC")
    hires = eng.assign(start=start)[start >= window_start].copy()
    hires["first_deploy"] = hires["engineer_id"].map(first)
    hires["days"] = (hires["first_deploy"] - hires["start"]).dt.total_seconds() / 86400
    hires["adopted"] = _adopted(hires["team_id"], hires["start"], adoption)
    return hires[hires["team_id"].isin(adoption.index) & hires["days"].notna()]


def _adopted(team: pd.Series, when: pd.Series, adoption: pd.Series) -> pd.Series:
    adopted_at = pd.to_datetime(team.map(adoption))
    return (adopted_at.notna() & (when >= adopted_at)).astype(bool)

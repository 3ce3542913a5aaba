"""The organisation looks like a real company: teams, hires, aliases, bots, services."""

from __future__ import annotations

import pandas as pd


def _resolver(frames: dict[str, pd.DataFrame]) -> pd.Series:
    eng = frames["engineers"]
    aliases = eng[["engineer_id", "aliases"]].explode("aliases")
    names = pd.concat([eng["engineer_id"], aliases["aliases"]]).str.lower()
    ids = pd.concat([eng["engineer_id"], aliases["engineer_id"]])
    return pd.Series(ids.to_numpy(), index=names.to_numpy())


def test_exactly_one_platform_team(frames: dict[str, pd.DataFrame]) -> None:
    assert (frames["teams"]["topology"] == "platform").sum() == 1


def test_stream_aligned_teams_have_about_eight_engineers(frames: dict[str, pd.DataFrame]) -> None:
    topology = frames["teams"].set_index("team_id")["topology"]
    eng = frames["engineers"]
    sizes = eng[eng["team_id"].map(topology) == "stream_aligned"].groupby("team_id").size()
    assert 5 <= sizes.mean() <= 11
    assert sizes.min() >= 3


def test_new_hires_start_in_every_month_of_the_window(frames: dict[str, pd.DataFrame]) -> None:
    start = pd.to_datetime(frames["engineers"]["start_date"])
    first = frames["commits"]["authored_at"].min().tz_localize(None)
    months = pd.period_range(
        first, frames["commits"]["authored_at"].max().tz_localize(None), freq="M"
    )
    hired = set(start[start >= first].dt.to_period("M"))
    assert set(months[1:-1]) <= hired


def test_some_engineers_have_left(frames: dict[str, pd.DataFrame]) -> None:
    assert frames["engineers"]["end_date"].notna().sum() > 0


def test_commits_name_authors_by_alias_and_case(frames: dict[str, pd.DataFrame]) -> None:
    authors = frames["commits"]["author_id"]
    ids = set(frames["engineers"]["engineer_id"])
    exact_alias = set(frames["engineers"]["aliases"].explode())
    resolver = _resolver(frames)
    assert authors.isin(exact_alias).sum() > 0
    assert (
        ~authors.isin(ids) & ~authors.isin(exact_alias) & authors.str.lower().isin(resolver.index)
    ).sum() > 0


def test_bot_commits_resolve_to_nobody(frames: dict[str, pd.DataFrame]) -> None:
    authors = frames["commits"]["author_id"]
    bots = authors[authors.str.endswith("[bot]")]
    assert (bots == "dependabot[bot]").sum() > 0
    assert not bots.str.lower().isin(_resolver(frames).index).any()


def test_services_live_in_own_repos_and_a_monorepo(frames: dict[str, pd.DataFrame]) -> None:
    s = frames["services"]
    mono = s[s["repo"] == "acme/monorepo"]
    assert len(mono) > 0 and mono["path"].notna().all()
    assert s.loc[s["repo"] != "acme/monorepo", "path"].isna().all()
    assert s["repo"].str.match(r"^acme/[a-z0-9-]+$").all()


def test_templated_services_are_created_later_than_others(frames: dict[str, pd.DataFrame]) -> None:
    s = frames["services"]
    templated = s[s["template"].notna()]
    assert len(templated) > 0
    assert templated["created_at"].min() > s.loc[s["template"].isna(), "created_at"].median()


def test_production_environment_names_vary(frames: dict[str, pd.DataFrame]) -> None:
    envs = set(frames["deployments"]["environment"])
    assert "staging" in envs
    assert len(envs & {"production", "prod", "Production"}) >= 2


def test_deployments_include_failures_cancellations_rollbacks_and_hotfixes(
    frames: dict[str, pd.DataFrame],
) -> None:
    d = frames["deployments"]
    assert {"success", "failure", "cancelled"} <= set(d["status"])
    assert {"regular", "rollback", "hotfix"} <= set(d["kind"])


def test_most_incidents_are_not_linked_to_a_deployment(frames: dict[str, pd.DataFrame]) -> None:
    inc = frames["incidents"]
    linked = inc["caused_by_deployment_id"].notna()
    assert 0 < linked.sum() < 0.5 * len(inc)
    assert (
        linked.sum()
        and inc.loc[linked, "caused_by_deployment_id"]
        .isin(frames["deployments"]["deployment_id"])
        .all()
    )
    assert inc["resolved_at"].isna().sum() > 0
    assert set(inc["severity"]) == {"sev1", "sev2", "sev3", "sev4"}


def test_ci_runs_include_reruns_and_golden_path_runs(frames: dict[str, pd.DataFrame]) -> None:
    ci = frames["ci_runs"]
    assert (ci["attempt"] > 1).sum() > 0
    assert ci["golden_path"].any() and not ci["golden_path"].all()
    assert (ci["queued_at"] <= ci["started_at"]).all()
    done = ci["finished_at"].notna()
    assert (ci.loc[done, "started_at"] <= ci.loc[done, "finished_at"]).all()


def test_work_happens_mostly_on_weekday_working_hours(frames: dict[str, pd.DataFrame]) -> None:
    created = frames["pull_requests"]["created_at"]
    assert (created.dt.day_of_week < 5).mean() > 0.9

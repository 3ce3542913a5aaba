"""marts.platform_impact: a planted effect is recovered with an interval; thin data says so."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from core_fixture import CoreFixture

from pipelines.impact import ImpactConfigError, ImpactSettings, estimate_impact

START = pd.Timestamp("2024-01-01")
EFFECT = -20.0  # hours of lead time the platform saves, planted below


def observations(control_teams: int = 3, per_week: int = 6, seed: int = 1) -> pd.DataFrame:
    """20 weeks of lead times for 3 adopter teams (adopting in weeks 6, 9, 12) and control
    teams; every team drifts by +1 h a week (a trend, not an effect)."""
    rng = np.random.default_rng(seed)
    adoption = {"a1": 6, "a2": 9, "a3": 12} | {f"c{i}": None for i in range(control_teams)}
    rows = []
    for team, adopt_week in adoption.items():
        level = 40 + 5 * rng.random()
        for week in range(20):
            after = adopt_week is not None and week >= adopt_week
            for _ in range(per_week):
                value = level + week + (EFFECT if after else 0.0) + rng.normal(0, 3)
                rows.append({
                    "metric": "change_lead_time", "team_id": team,
                    "observed_at": START + pd.Timedelta(weeks=week, hours=10),
                    "period_start": START + pd.Timedelta(weeks=week), "value": value,
                    "team_adopted_at": None if adopt_week is None
                    else START + pd.Timedelta(weeks=adopt_week),
                    "group_name": "non_adopter" if adopt_week is None else "adopter",
                    "is_after": after,
                })  # fmt: skip
    return pd.DataFrame(rows)


def result(obs: pd.DataFrame, comparison: str, **settings: object) -> dict:
    table = estimate_impact(obs, ImpactSettings(**settings))
    return table[(table.metric == "change_lead_time") & (table.comparison == comparison)].iloc[0]


def test_difference_in_differences_recovers_the_planted_effect_despite_a_trend() -> None:
    row = result(observations(), "diff_in_diff")
    assert row["status"] == "ok"
    assert row["estimate"] == pytest.approx(EFFECT, abs=2.0)
    assert row["ci_low"] < EFFECT < row["ci_high"]
    assert row["ci_high"] - row["ci_low"] < 10
    assert (row["teams_treated"], row["teams_control"]) == (3, 3)
    assert row["treated_value"] > EFFECT + 5  # the raw before/after change hides the trend


def test_adopters_against_non_adopters_in_the_same_weeks() -> None:
    row = result(observations(), "adopters_vs_non_adopters")
    assert row["status"] == "ok"
    assert row["estimate"] == pytest.approx(EFFECT, abs=3.0)
    assert row["n_treated"] == 6 * (14 + 11 + 8)


def test_too_few_control_teams_is_not_enough_data_not_a_number() -> None:
    row = result(observations(control_teams=1), "diff_in_diff")
    assert row["status"] == "not_enough_data"
    assert row["estimate"] is None and row["ci_low"] is None
    assert "fewer than 2 teams" in row["reason"]


def test_too_few_observations_is_not_enough_data() -> None:
    obs = observations(per_week=1)
    row = result(obs[obs["period_start"] >= START + pd.Timedelta(weeks=8)], "diff_in_diff",
                 min_observations=20)  # fmt: skip
    assert row["status"] == "not_enough_data"
    assert "fewer than 20 observations" in row["reason"]


def test_the_bootstrap_is_seeded_so_runs_agree() -> None:
    first = estimate_impact(observations(), ImpactSettings())
    again = estimate_impact(observations(), ImpactSettings())
    pd.testing.assert_frame_equal(first, again)
    other = result(observations(), "diff_in_diff", seed=1)
    assert other["ci_low"] != first[first.comparison == "diff_in_diff"].iloc[0]["ci_low"]


@pytest.mark.parametrize("statistic", ["median", "mean"])
def test_a_large_cell_has_the_spread_of_resampling_without_resampling(statistic: str) -> None:
    from pipelines.impact import EXACT_MAX, _Cell, _stat

    rng = np.random.default_rng(3)
    values = rng.lognormal(3.0, 1.0, 20 * EXACT_MAX)  # skewed, like lead times
    fast = _Cell(values, statistic, np.random.default_rng(4), 2000)
    draws = rng.integers(0, len(values), size=(1000, len(values)))
    resampled = _stat(statistic)(values[draws], 1)
    assert fast.value == pytest.approx(float(_stat(statistic)(values, 0)))
    assert np.std(fast.replicates) == pytest.approx(np.std(resampled), rel=0.15)


@pytest.mark.parametrize(
    "section", [{"min_teams": 0}, {"bootstrap_samples": 10}, {"confidence": 1.5}, {"x": 1}]
)
def test_invalid_impact_settings_are_refused(section: dict) -> None:
    with pytest.raises(ImpactConfigError):
        ImpactSettings.from_raw({"impact": section})


def test_observations_tag_each_team_with_its_platform_adoption(wh: CoreFixture) -> None:
    wh.add("teams", [{"team_id": "t1", "name": "One"}, {"team_id": "t2", "name": "Two"}])
    wh.add("services", [{"service_id": "s1", "team_id": "t1", "repo": "o/a"},
                        {"service_id": "s2", "team_id": "t2", "repo": "o/b"}])  # fmt: skip
    wh.add(
        "deployments",
        [{"deployment_id": f"d{i}", "service_id": s, "environment": "prod", "sha": f"x{i}",
          "finished_at": f"2024-01-{day:02d} 10:00", "status": "success", "via_platform": via}
         for i, (s, day, via) in enumerate(
             [("s1", 2, False), ("s1", 16, True), ("s2", 3, False), ("s2", 23, False)])],
    )  # fmt: skip
    wh.build_marts()
    rows = wh.rows(
        "SELECT team_id, week::VARCHAR AS week, value, group_name, is_after "
        "FROM marts.platform_impact_observations WHERE metric = 'deployment_frequency' "
        "ORDER BY team_id, week"
    )
    assert [(r["team_id"], r["week"], r["value"], r["group_name"], r["is_after"])
            for r in rows] == [
        ("t1", "2024-01-01", 1.0, "adopter", False), ("t1", "2024-01-08", 0.0, "adopter", False),
        ("t1", "2024-01-15", 1.0, "adopter", True), ("t1", "2024-01-22", 0.0, "adopter", True),
        ("t2", "2024-01-01", 1.0, "non_adopter", False),
        ("t2", "2024-01-08", 0.0, "non_adopter", False),
        ("t2", "2024-01-15", 0.0, "non_adopter", False),
        ("t2", "2024-01-22", 1.0, "non_adopter", False),
    ]  # fmt: skip

"""CI health (marts.ci_runs, ci_health, the comparison, the ci_* metrics) and catalogue
completeness."""

from __future__ import annotations

import pytest
from core_fixture import CoreFixture
from platform_helpers import build, metric, org


def runs(wh: CoreFixture) -> CoreFixture:
    """o/c belongs to t2; four runs of a hand-rolled pipeline and one golden-path run."""
    wh.add(
        "ci_runs",
        [
            {"run_id": "r1", "repo": "o/c", "pipeline": "build", "status": "success",
             "queued_at": "2024-01-02 10:00", "started_at": "2024-01-02 10:02",
             "finished_at": "2024-01-02 10:12"},
            {"run_id": "r2", "repo": "o/c", "pipeline": "build", "status": "failure",
             "queued_at": "2024-01-02 11:00", "started_at": "2024-01-02 11:04",
             "finished_at": "2024-01-02 11:24"},
            {"run_id": "r3", "repo": "o/c", "pipeline": "build", "status": "success",
             "attempt": 2, "started_at": "2024-01-02 11:30", "finished_at": "2024-01-02 12:00"},
            {"run_id": "r4", "repo": "o/c", "pipeline": "build", "status": "cancelled",
             "started_at": "2024-01-03 09:00", "finished_at": "2024-01-03 09:01"},
            {"run_id": "r5", "repo": "o/c", "pipeline": "golden", "status": "success",
             "golden_path": True, "queued_at": "2024-01-03 10:00",
             "started_at": "2024-01-03 10:00", "finished_at": "2024-01-03 10:05"},
        ],
    )  # fmt: skip
    return wh


def test_ci_health_per_week_repo_and_pipeline(wh: CoreFixture) -> None:
    runs(org(wh)).build_marts()
    rows = wh.rows("SELECT * FROM marts.ci_health WHERE pipeline = 'build'")
    assert len(rows) == 1
    row = rows[0]
    assert (row["team_id"], row["runs"], row["conclusive_runs"], row["reruns"]) == ("t2", 4, 3, 1)
    assert row["success_rate"] == pytest.approx(2 / 3)  # the cancelled run says nothing
    assert row["duration_median_minutes"] == pytest.approx(15.0)  # 10, 20, 30, 1
    assert row["queue_median_minutes"] == pytest.approx(3.0)  # 2 and 4; others unknown
    assert row["rerun_rate"] == pytest.approx(0.25)


def test_golden_path_runs_are_compared_with_hand_rolled_ones(wh: CoreFixture) -> None:
    runs(org(wh)).build_marts()
    rows = {
        r["pipeline_kind"]: r
        for r in wh.rows("SELECT * FROM marts.ci_golden_path_comparison WHERE scope = 'org'")
    }
    assert rows["golden_path"]["duration_median_minutes"] == pytest.approx(5.0)
    assert rows["hand_rolled"]["runs"] == 4


def test_ci_metrics_for_team_and_org(wh: CoreFixture) -> None:
    build(runs(org(wh)))
    week = "2024-01-01"
    assert metric(wh, "ci_success_rate", "t2")[week]["value"] == pytest.approx(3 / 4)
    assert metric(wh, "ci_rerun_rate")[week]["value"] == pytest.approx(1 / 5)
    assert metric(wh, "ci_duration")[week]["value"] == pytest.approx(10.0)  # 1, 5, 10, 20, 30
    assert metric(wh, "ci_queue_time_p90")[week]["sample_size"] == 3


def test_a_repository_shared_by_teams_counts_for_the_team_with_most_services(
    wh: CoreFixture,
) -> None:
    wh.add(
        "services",
        [{"service_id": f"m{i}", "team_id": team, "repo": "o/mono"}
         for i, team in enumerate(["t2", "t1", "t2"])],
    )  # fmt: skip
    wh.add("ci_runs", [{"run_id": "r", "repo": "o/mono", "pipeline": "ci",
                        "started_at": "2024-01-02", "status": "success"}])  # fmt: skip
    wh.build_marts()
    row = wh.rows("SELECT team_id, team_rule FROM marts.ci_runs")[0]
    assert row["team_id"] == "t2" and "2 of 3" in row["team_rule"]


def test_catalogue_completeness_per_service_and_as_a_metric(wh: CoreFixture) -> None:
    build(org(wh))
    rows = {r["service_id"]: r for r in wh.rows("FROM marts.catalogue_completeness")}
    assert rows["s1"]["completeness"] == 1.0 and rows["s1"]["missing"] is None
    assert rows["s2"]["completeness"] == pytest.approx(0.4)
    assert rows["s2"]["missing"] == "tier, lifecycle, template"
    assert rows["s3"]["completeness"] == pytest.approx(0.6)
    weeks = metric(wh, "catalogue_completeness")
    assert weeks["2024-01-01"]["value"] == pytest.approx((1.0 + 0.6) / 2)  # s2 not created yet
    assert weeks["2024-01-08"]["value"] == pytest.approx((1.0 + 0.4 + 0.6) / 3)
    assert metric(wh, "catalogue_completeness", "t1")["2024-01-08"]["denominator"] == 2

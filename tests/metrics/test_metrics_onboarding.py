"""marts.onboarding and the onboarding_days_to_* metrics: cohorts, milestones, privacy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from core_fixture import CoreFixture, rules

from metrics.compute import build_metrics


def cohort(wh: CoreFixture, engineers: int) -> None:
    wh.add("teams", [{"team_id": "t1", "name": "One"}])
    wh.add("services", [{"service_id": "s1", "team_id": "t1", "repo": "o/r"}])
    wh.add(
        "engineers",
        [{"engineer_id": f"e{i}", "team_id": "t1", "start_date": "2024-02-01",
          "aliases": [f"login{i}"]} for i in range(engineers)]
        + [{"engineer_id": "old", "team_id": "t1", "start_date": "2020-01-01"}],
    )  # fmt: skip
    wh.add(
        "commits",
        [{"repo": "o/r", "sha": "root", "authored_at": "2024-01-01 00:00", "author_id": "old",
          "parents": []}]
        + [{"repo": "o/r", "sha": f"c{i}", "authored_at": f"2024-02-0{i + 2} 12:00",
            "author_id": f"login{i}", "parents": ["root"]} for i in range(engineers)],
    )  # fmt: skip


def onboarding_value(wh: CoreFixture) -> dict[str, Any]:
    wh.build_marts()
    build_metrics(wh.con, as_of=datetime(2024, 3, 1))
    return wh.rows(
        "SELECT value, sample_size FROM metrics.metric_values WHERE metric = "
        "'onboarding_days_to_first_commit' AND scope = 'org' AND period_start = '2024-02-01'"
    )[0]


def test_first_commit_milestone_in_days_since_start(wh: CoreFixture) -> None:
    cohort(wh, 1)
    wh.build_marts()
    rows = wh.rows("SELECT * FROM marts.onboarding WHERE milestone = 'first_commit'")
    assert [(r["engineer_id"], r["days_since_start"]) for r in rows] == [("e0", 1.5)]
    assert str(rows[0]["cohort_month"]) == "2024-02-01"


def test_engineer_who_started_before_the_history_is_in_no_cohort(wh: CoreFixture) -> None:
    cohort(wh, 1)
    wh.build_marts()
    assert wh.rows("SELECT * FROM marts.onboarding WHERE engineer_id = 'old'") == []


def test_median_days_over_a_large_enough_cohort(wh: CoreFixture) -> None:
    cohort(wh, 5)  # 1.5, 2.5, 3.5, 4.5, 5.5 days
    assert onboarding_value(wh) == {"value": pytest.approx(3.5), "sample_size": 5}


def test_small_cohort_value_is_hidden_but_its_size_kept(wh: CoreFixture) -> None:
    cohort(wh, 4)
    assert onboarding_value(wh) == {"value": None, "sample_size": 4}


def test_min_group_size_comes_from_the_rules(wh: CoreFixture) -> None:
    wh.set_rules(rules(min_group_size=2))
    cohort(wh, 2)
    assert onboarding_value(wh) == {"value": pytest.approx(2.0), "sample_size": 2}

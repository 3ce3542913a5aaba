"""The platform pages (Adoption, Onboarding, Impact & roadmap, CI health, Catalogue) and the
Overview's platform headlines, driven with AppTest on the hand-written fixture warehouse.

The tests that only read share one published copy per module (`published_home`), so the
dashboard's query cache, keyed on the file's identity, serves every page after the first: the
suite stays fast on a loaded two-core machine.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dashboard_fixtures import (
    APP,
    LATEST,
    LATEST_MONTH,
    MIN_GROUP,
    MONTHS,
    NOT_ENOUGH_REASON,
    SUPPRESSED_COHORT,
    Warehouse,
)
from dashboard_pages import EMPTY_TEXT, charts, plain, run_page, tables, texts, values
from streamlit.testing.v1 import AppTest

from dashboards.formatting import DASH, format_value
from pipelines.paths import Home

PAGES = ["adoption", "onboarding", "impact", "ci_health", "catalogue"]
SUPPRESSED = f"suppressed: fewer than {MIN_GROUP} engineers"


def stored(home: Home, sql: str, params: list[object]) -> list[tuple]:
    """Read the published copy independently of the dashboard."""
    con = duckdb.connect(str(home.published), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def stored_value(home: Home, metric: str, period: date, scope_id: str = "org") -> float | None:
    rows = stored(
        home,
        """SELECT value FROM metrics.metric_values
        WHERE metric = ? AND scope_id = ? AND period_start = ?""",
        [metric, scope_id, period],
    )
    assert len(rows) == 1
    return rows[0][0]


def tiles(at: AppTest) -> dict[str, str]:
    return {plain(metric.label): metric.value for metric in at.metric}


def trace(at: AppTest, chart: str, name: str | None = None) -> dict:
    figure = charts(at)[chart]
    data = figure["data"] if name is None else [t for t in figure["data"] if t["name"] == name]
    return data[0]


def drawn(data: dict) -> dict[str, float | None]:
    """A trace's points by period (YYYY-MM-DD), NaN read as undefined."""
    ys = values(data["y"])
    return {
        str(x)[:10]: None if y is None or (isinstance(y, float) and math.isnan(y)) else y
        for x, y in zip(values(data["x"]), ys, strict=True)
    }


# --- every page renders ---------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_the_fixture_warehouse(published_home: Home, page: str) -> None:
    at = run_page(page)
    assert not at.exception
    assert not at.error
    assert charts(at), "every platform page draws at least one chart"
    assert len(at.dataframe) == len(at.get("download_button")), "every table has its CSV"


@pytest.mark.parametrize("page", PAGES)
def test_page_explains_an_empty_home(empty_home: Home, page: str) -> None:
    at = run_page(page)
    assert not at.exception
    assert EMPTY_TEXT in texts(at)


@pytest.fixture(scope="module")
def dora_only_home(
    tmp_path_factory: pytest.TempPathFactory, warehouse_files: Callable[[Warehouse], Path]
) -> Iterator[Home]:
    """A warehouse from before the platform stage: DORA metrics only, no platform marts.

    Module-scoped so its pages share the dashboard's cache (one file identity)."""
    home = Home((tmp_path_factory.mktemp("dora_only") / "home").resolve()).ensure()
    shutil.copyfile(warehouse_files(Warehouse(platform=False)), home.published)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PAVED_HOME", str(home.root))
        yield home


@pytest.mark.parametrize("page", PAGES)
def test_page_explains_a_warehouse_without_the_platform_tables(
    dora_only_home: Home, page: str
) -> None:
    at = run_page(page)
    assert not at.exception
    assert not at.error
    assert texts(at), "says why there is nothing to show"


# --- Adoption -------------------------------------------------------------------------------


def test_adoption_tile_is_the_stored_value_of_the_latest_week(published_home: Home) -> None:
    value = stored_value(published_home, "golden_path_ci_share", LATEST)
    assert tiles(run_page("adoption"))["Golden-path CI runs"] == format_value(value, "ratio")


def test_adoption_team_filter_changes_the_figures(published_home: Home) -> None:
    at = run_page("adoption")
    before = tiles(at)["Golden-path CI runs"]
    at.selectbox(key="filter_team").set_value("payments").run()
    assert not at.exception
    assert before == "75.0%"
    assert tiles(at)["Golden-path CI runs"] == "50.0%"
    assert at.query_params["team"] == "payments"


def test_adoption_shares_chart_draws_metric_values_and_undefined_as_a_gap(
    published_home: Home,
) -> None:
    at = run_page("adoption")
    points = drawn(trace(at, "chart_shares", "Deployments through the platform"))
    weeks = {week: value for week, value in points.items()}
    for week, value in weeks.items():
        expected = stored_value(published_home, "platform_deploy_share", date.fromisoformat(week))
        assert value == (None if expected is None else pytest.approx(expected))
    assert None in weeks.values(), "the week without deployments is a gap, not 0"


def test_adoption_funnel_counts_services_on_each_path(published_home: Home) -> None:
    at = run_page("adoption")
    latest = f"{LATEST:%Y-%m-%d}"
    shown = {t["name"]: drawn(t)[latest] for t in charts(at)["chart_funnel"]["data"]}
    assert shown == {
        "All services": 3,
        "Created from a template": 2,
        "Golden-path CI": 2,
        "Deploys through the platform": 2,
    }


def test_adoption_self_service_against_tickets_per_capability(published_home: Home) -> None:
    figure = charts(run_page("adoption"))["chart_capabilities"]
    by_channel = {t["name"]: dict(zip(t["y"], values(t["x"]), strict=True)) for t in figure["data"]}
    assert by_channel["Self-service"] == {"database": 0, "secrets": 6}
    assert by_channel["Ticket"] == {"database": 2, "secrets": 3}


# --- Onboarding -----------------------------------------------------------------------------


def test_suppressed_cohort_shows_as_suppressed_not_zero(published_home: Home) -> None:
    at = run_page("onboarding", {"period": "all"})
    cohorts = tables(at)["cohorts"].set_index("cohort")
    row = cohorts.loc[f"{SUPPRESSED_COHORT:%Y-%m}"]
    assert row["Days to first production deploy"] == SUPPRESSED
    assert "0" not in str(row["Days to first production deploy"])
    points = drawn(trace(at, "chart_cohorts"))
    assert points[f"{SUPPRESSED_COHORT:%Y-%m-%d}"] is None
    annotations = [a.get("text") for a in charts(at)["chart_cohorts"]["layout"]["annotations"]]
    assert f"< {MIN_GROUP}" in annotations


def test_cohort_chart_equals_metric_values(published_home: Home) -> None:
    at = run_page("onboarding", {"period": "all"})
    points = drawn(trace(at, "chart_cohorts"))
    month = MONTHS[2]
    metric = "onboarding_days_to_first_production_deploy"
    assert points[f"{month:%Y-%m-%d}"] == pytest.approx(stored_value(published_home, metric, month))


def test_suppressed_team_cohort_shows_as_suppressed(published_home: Home) -> None:
    at = run_page("onboarding", {"period": "all"})
    team = tables(at)["team_cohorts"].set_index("cohort")
    assert team.loc[f"{MONTHS[0]:%Y-%m}", "median_days"] == SUPPRESSED
    assert team.loc[f"{MONTHS[1]:%Y-%m}", "median_days"] == DASH  # nobody: undefined, not hidden
    assert team.loc[f"{LATEST_MONTH:%Y-%m}", "median_days"] == format_value(6.0, "days")


def test_onboarding_team_filter_changes_the_cohorts(published_home: Home) -> None:
    at = run_page("onboarding", {"period": "all", "team": "payments"})
    cohorts = tables(at)["cohorts"].set_index("cohort")
    assert cohorts.loc[f"{LATEST_MONTH:%Y-%m}", "Days to first production deploy"] == "6.0 d"


def test_onboarding_adopters_against_non_adopters_and_not_enough_data(published_home: Home) -> None:
    at = run_page("onboarding")
    shown = tiles(at)
    assert shown["Adopter teams against non-adopters"] == format_value(-3.0, "days")
    assert shown["Difference-in-differences (change after adoption)"] == "not enough data"
    assert any(NOT_ENOUGH_REASON in plain(t) for t in texts(at))


# --- Impact & roadmap -----------------------------------------------------------------------


def test_not_enough_data_impact_rows_show_as_such(published_home: Home) -> None:
    at = run_page("impact")
    impact = tables(at)["impact"]
    lacking = impact[impact["comparison"] == "difference-in-differences"]
    assert set(lacking["result"]) == {f"not enough data: {NOT_ENOUGH_REASON}"}
    figure = charts(at)["chart_impact"]
    assert "not enough data" in [a.get("text") for a in figure["layout"]["annotations"]]
    assert any(NOT_ENOUGH_REASON in plain(t) for t in texts(at))


def test_impact_estimate_and_interval_are_the_marts(published_home: Home) -> None:
    figure = charts(run_page("impact"))["chart_impact"]
    lead_time = figure["data"][0]
    assert values(lead_time["x"])[0] == -12.5
    assert values(lead_time["error_x"]["array"])[0] == pytest.approx(7.5)  # to ci_high -5
    assert values(lead_time["error_x"]["arrayminus"])[0] == pytest.approx(7.5)  # to ci_low -20


def test_roadmap_shows_baseline_current_target_status_and_why(published_home: Home) -> None:
    at = run_page("impact")
    text = "\n".join(texts(at))
    assert "baseline 20.0% → current 90.0% → target 95.0%" in text
    assert ":gray-badge[Not measurable yet]" in text
    assert "no value in the baseline window" in text


def test_friction_signals_list_triggered_first_and_hidden_as_hidden(published_home: Home) -> None:
    friction = tables(run_page("impact"))["friction"]
    assert friction["state"].iloc[0] == "🔴 fired"
    hidden = friction[friction["signal"] == "slow_onboarding"].iloc[0]
    assert hidden["state"] == "⚪ hidden (small group)"
    assert hidden["value"] == DASH


def test_opportunities_follow_the_team_filter(published_home: Home) -> None:
    every = tables(run_page("impact"))["opportunities"]
    assert list(every["team_id"]) == ["payments", "search"]
    search = tables(run_page("impact", {"team": "search"}))["opportunities"]
    assert list(search["team_id"]) == ["search"]


# --- CI health ------------------------------------------------------------------------------


def test_ci_chart_equals_metric_values(published_home: Home) -> None:
    at = run_page("ci_health")
    points = drawn(trace(at, "chart_ci_success_rate", "CI success rate"))
    for week, value in points.items():
        expected = stored_value(published_home, "ci_success_rate", date.fromisoformat(week))
        assert value == pytest.approx(expected)
    p90 = drawn(trace(at, "chart_ci_duration", "CI duration (p90)"))
    assert p90[f"{LATEST:%Y-%m-%d}"] == stored_value(published_home, "ci_duration_p90", LATEST)


def test_ci_team_filter_changes_the_figures(published_home: Home) -> None:
    latest = f"{LATEST:%Y-%m-%d}"
    org = drawn(trace(run_page("ci_health"), "chart_ci_success_rate"))[latest]
    at = run_page("ci_health", {"team": "payments"})
    team = drawn(trace(at, "chart_ci_success_rate"))[latest]
    assert (org, team) == (pytest.approx(0.95), pytest.approx(0.9))
    assert set(tables(at)["ci_health"]["team_id"]) == {"payments"}


def test_ci_golden_path_against_hand_rolled(published_home: Home) -> None:
    figure = charts(run_page("ci_health"))["chart_ci_comparison"]
    success = {t["name"]: values(t["y"])[-1] for t in figure["data"] if t["xaxis"] == "x"}
    assert success == {"Golden path": 0.95, "Hand-rolled": 0.6}


# --- Catalogue ------------------------------------------------------------------------------


def test_catalogue_lists_what_each_service_misses_least_complete_first(
    published_home: Home,
) -> None:
    at = run_page("catalogue")
    services = tables(at)["catalogue"]
    assert list(services["service_id"]) == ["payments-api", "search-api", "payments-web"]
    assert list(services["missing"]) == ["tier, template", "lifecycle", "nothing"]
    missing = trace(at, "chart_missing")
    assert dict(zip(missing["x"], values(missing["y"]), strict=True)) == {
        "owner team": 0,
        "tier": 1,
        "lifecycle": 1,
        "repository": 0,
        "template": 1,
    }


def test_catalogue_team_filter_narrows_services_and_the_trend(published_home: Home) -> None:
    at = run_page("catalogue", {"team": "search"})
    assert list(tables(at)["catalogue"]["service_id"]) == ["search-api"]
    latest = drawn(trace(at, "chart_completeness"))[f"{LATEST:%Y-%m-%d}"]
    assert latest == stored_value(published_home, "catalogue_completeness", LATEST, "search")


# --- Overview headlines and sign-in ---------------------------------------------------------


def test_overview_has_adoption_onboarding_and_roadmap_headlines(published_home: Home) -> None:
    at = run_page("overview")
    shown = tiles(at)
    assert shown["Golden-path CI runs"] == "75.0%"
    month_value = stored_value(
        published_home, "onboarding_days_to_first_production_deploy", LATEST_MONTH
    )
    assert shown["Days to first production deploy"] == format_value(month_value, "days")
    roadmap = [t for t in texts(at) if t.startswith("**Roadmap**")]
    assert roadmap and "On track] 1" in roadmap[0] and "Not measurable yet] 1" in roadmap[0]


AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-secret",
    "client_id": "paved",
    "client_secret": "test",
    "server_metadata_url": "https://idp.example.invalid/.well-known/openid-configuration",
}


def test_without_an_auth_section_the_dashboard_is_open(published_home: Home) -> None:
    at = run_page("overview")
    assert not at.exception
    assert at.metric


def test_with_an_auth_section_no_data_shows_before_sign_in(published_home: Home) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.run()
    assert not at.exception
    assert not at.metric and not at.get("plotly_chart")
    assert any("Sign in" in b.label for b in at.button) or any(
        "Authlib" in e.value for e in at.error
    )

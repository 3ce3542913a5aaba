"""The Delivery page: DORA metrics over time with their bands, teams across bands, drill-downs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import duckdb
import pytest
from dashboard_fixtures import (
    DEPLOYMENT_ROWS,
    LATEST,
    LATEST_MONTH,
    MONTHLY_VALUES,
    SERVICE_VALUES,
    VALUES,
    Warehouse,
)
from dashboard_pages import EMPTY_TEXT, charts, downloads, run_page, tables, texts

from dashboards import facts
from dashboards.formatting import DASH
from pipelines.paths import Home

DORA_CHARTS = [
    "chart_deployment_frequency",
    "chart_change_lead_time",
    "chart_change_fail_rate",
    "chart_failed_deployment_recovery_time",
    "chart_deployment_rework_rate",
]


def stored(home: Home, metric: str, scope: str, scope_id: str, grain: str = "week") -> list:
    """A series as metric_values holds it, read independently of the dashboard, oldest first."""
    con = duckdb.connect(str(home.published), read_only=True)
    try:
        rows = con.execute(
            """SELECT value FROM metrics.metric_values
            WHERE metric = ? AND scope = ? AND scope_id = ? AND grain = ? AND period_start <= ?
            ORDER BY period_start""",
            [metric, scope, scope_id, grain, LATEST if grain == "week" else LATEST_MONTH],
        ).fetchall()
    finally:
        con.close()
    return [row[0] for row in rows]


def line(at, key: str) -> list:
    return charts(at)[key]["data"][0]["y"]


def test_renders_a_chart_per_dora_metric_and_the_band_distribution(published_home: Home) -> None:
    at = run_page("delivery")
    assert not at.exception
    assert list(charts(at)) == [*DORA_CHARTS, "chart_band_distribution"]


def test_empty_home_explains_how_to_get_data(empty_home: Home) -> None:
    at = run_page("delivery")
    assert not at.exception
    assert [info.value for info in at.info] == [EMPTY_TEXT]


def test_published_copy_without_tables_explains_itself(make_home: Callable[..., Home]) -> None:
    make_home(Warehouse(tables=False))
    at = run_page("delivery")
    assert not at.exception
    assert [info.value for info in at.info] == [EMPTY_TEXT]


def test_chart_values_equal_metric_values(published_home: Home) -> None:
    at = run_page("delivery")
    # The default period is the last 12 complete weeks; the partial week is never drawn.
    expected = stored(published_home, "deployment_frequency", "org", "org")[-12:]
    assert line(at, "chart_deployment_frequency") == pytest.approx(expected)
    assert expected[-1] == VALUES["deployment_frequency"]["org"][-2]


def test_undefined_weeks_are_gaps_not_zeros(published_home: Home) -> None:
    at = run_page("delivery", {"team": "search"})
    assert line(at, "chart_change_lead_time") == [20.0, 18.0, 25.0, 15.0, 12.0, None]


def test_team_filter_changes_the_figures_and_the_url(published_home: Home) -> None:
    at = run_page("delivery")
    before = line(at, "chart_deployment_frequency")
    at.selectbox(key="filter_team").set_value("payments").run()
    after = line(at, "chart_deployment_frequency")
    assert not at.exception
    assert after == stored(published_home, "deployment_frequency", "team", "payments") != before
    assert at.query_params["team"] == "payments"


def test_service_filter_shows_the_service_scope(published_home: Home) -> None:
    at = run_page("delivery", {"service": "payments-api"})
    assert at.selectbox(key="filter_service").value == "payments-api"
    assert (
        line(at, "chart_deployment_frequency")
        == SERVICE_VALUES["deployment_frequency"]["payments-api"][:-1]
    )
    assert "Payments API" in at.subheader[0].value


def test_service_choices_follow_the_team(published_home: Home) -> None:
    at = run_page("delivery", {"team": "search", "service": "payments-api"})
    assert not at.exception
    assert at.selectbox(key="filter_service").options == ["All services", "Search API"]
    # A service of another team falls back to every service rather than mixing teams.
    assert at.selectbox(key="filter_service").value == "all"
    assert "service" not in at.query_params


def test_monthly_grain_shows_complete_months_without_weekly_bands(published_home: Home) -> None:
    at = run_page("delivery", {"grain": "month"})
    frequency = charts(at)["chart_deployment_frequency"]
    assert frequency["data"][0]["y"] == MONTHLY_VALUES["deployment_frequency"]["org"][1:-1]
    # Deployment-frequency bands are per week: not drawn on months, and the caption says so.
    assert not frequency["layout"].get("shapes")
    assert any("Bands are per week" in text for text in texts(at))
    assert charts(at)["chart_change_lead_time"]["layout"]["shapes"]


def _band_edges(spec: dict) -> list[tuple[float, float]]:
    return [(round(s["y0"], 3), round(s["y1"], 3)) for s in spec["layout"]["shapes"]]


@pytest.mark.parametrize(
    ("year", "high_band"), [(2024, (0.15, 0.3)), (2023, (0.075, 0.125))], ids=["2024", "2023"]
)
def test_bands_are_those_of_the_report_year_in_meta_rules(
    make_home: Callable[..., Home], year: int, high_band: tuple[float, float]
) -> None:
    make_home(Warehouse(band_year=year))
    spec = charts(run_page("delivery"))["chart_change_fail_rate"]
    labelled = {a["text"] for a in spec["layout"]["annotations"] if a.get("text") != ""}
    assert high_band in _band_edges(spec)
    assert "Elite" in labelled


def test_band_distribution_counts_teams_of_the_latest_window(published_home: Home) -> None:
    spec = charts(run_page("delivery"))["chart_band_distribution"]
    per_band = {
        trace["name"]: dict(zip(trace["y"], trace["x"], strict=True)) for trace in spec["data"]
    }
    # search's older "low" window for lead time is not counted; a team without a band is.
    assert per_band["Elite"]["Change lead time"] == 1
    assert per_band["High"]["Change lead time"] == 1
    assert per_band["Low"]["Change lead time"] == 0
    assert per_band["No band"]["Change fail rate"] == 1


def test_an_undefined_band_value_reads_as_a_dash(published_home: Home) -> None:
    at = run_page("delivery", {"team": "search"})
    with_band = [t for t in texts(at) if "Band:" in t]
    assert any("No band" in t and DASH in t for t in with_band)


def test_drill_down_tables_cover_the_period_team_and_service(published_home: Home) -> None:
    in_window = {r["deployment_id"] for r in DEPLOYMENT_ROWS} - {"d-ancient"}
    assert set(tables(run_page("delivery"))["deployments"]["deployment_id"]) == in_window
    every_week = tables(run_page("delivery", {"period": "all"}))["deployments"]
    assert "d-ancient" in set(every_week["deployment_id"])
    payments = tables(run_page("delivery", {"team": "payments"}))["deployments"]
    assert set(payments["deployment_id"]) == {"d-ok", "d-failed", "d-staging"}
    service = tables(run_page("delivery", {"service": "search-api"}))
    assert set(service["incidents"]["incident_id"]) == {"INC-2"}


def test_each_drill_down_row_says_why_it_was_classified(published_home: Home) -> None:
    shown = tables(run_page("delivery"))
    why = dict(zip(shown["deployments"]["deployment_id"], shown["deployments"]["why"], strict=True))
    assert why["d-staging"] == "environment staging is not production"
    assert why["d-broken"] == "status is failure"
    assert why["d-failed"].startswith("incident INC-1 opened")
    assert why["d-ok"].startswith("production and successful")
    notes = dict(
        zip(shown["changes"]["change_id"], shown["changes"]["lead_time_note"], strict=True)
    )
    assert notes["acme/search@123456789abc"].startswith("undefined: authored after")
    links = dict(
        zip(shown["incidents"]["incident_id"], shown["incidents"]["link_method"], strict=True)
    )
    assert links["INC-1"] == "time_window"


def test_every_table_has_a_csv_download(published_home: Home) -> None:
    at = run_page("delivery")
    assert set(tables(at)) <= set(downloads(at))
    assert {"deployments", "changes", "incidents", "team_bands"} <= set(downloads(at))


def test_no_deployments_yet_is_explained(make_home: Callable[..., Home]) -> None:
    make_home(Warehouse(marts=False))
    at = run_page("delivery")
    assert not at.exception
    assert any("marts.deployments is not published yet" in t for t in texts(at))


def test_filters_follow_the_user_from_page_to_page(published_home: Home) -> None:
    at = run_page("overview")
    at.selectbox(key="filter_team").set_value("payments").run()
    at.selectbox(key="filter_period").set_value("26w").run()
    at.switch_page("app_pages/delivery.py").run()
    assert not at.exception
    assert at.selectbox(key="filter_team").value == "payments"
    assert at.selectbox(key="filter_period").value == "26w"
    assert at.query_params["team"] == "payments"


def test_a_drill_down_says_how_many_rows_it_does_not_show(
    published_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window can hold ~100,000 deployments at 2,000 engineers: the page fetches only the
    newest DRILL_DOWN_ROWS, and must then say that the others exist and where they are."""
    in_window = [r for r in DEPLOYMENT_ROWS if r["deployment_id"] != "d-ancient"]
    monkeypatch.setattr(facts, "DRILL_DOWN_ROWS", 2)
    at = run_page("delivery")
    shown = tables(at)["deployments"]
    assert len(shown) == 2
    newest = sorted(in_window, key=lambda r: (r["finished_at"], r["deployment_id"]))[-1]
    assert shown["deployment_id"].iloc[0] == newest["deployment_id"]
    assert f"Showing the first 2 of {len(in_window):,} rows; the CSV has all of them." in texts(at)


def test_drill_down_tabs_count_every_row_of_the_window_not_only_those_shown(
    published_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tab label is the window's count (a cheap count query), not the length of the page."""
    in_window = [r for r in DEPLOYMENT_ROWS if r["deployment_id"] != "d-ancient"]
    monkeypatch.setattr(facts, "DRILL_DOWN_ROWS", 1)
    labels = [tab.label for tab in run_page("delivery").tabs]
    assert f"Deployments ({len(in_window):,})" in labels


@pytest.mark.parametrize(
    ("rows", "count"),
    [
        (facts.deployments, facts.count_deployments),
        (facts.changes, facts.count_changes),
        (facts.incidents, facts.count_incidents),
    ],
)
def test_a_drill_down_csv_holds_every_row_its_count_announces(
    published_home: Home, rows: Callable, count: Callable
) -> None:
    """The CSV reads the listing without a limit: as many rows as the tab says, and the table's
    rows are its first ones (same filter, same order)."""
    bounds = (None, LATEST + timedelta(days=7), "org", "all")
    every = rows(*bounds, cache=False)
    assert len(every) == count(*bounds) > 1
    first = rows(*bounds, limit=1)
    assert first.iloc[0].equals(every.iloc[0])

"""The Overview page, driven headless with AppTest on a hand-written published warehouse."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from dashboard_fixtures import APP, CATALOG_ROWS, LATEST, NO_ROW, VALUES, WEEKS, Warehouse
from dashboard_pages import plain
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Metric

from dashboards.formatting import DASH, format_value
from pipelines.paths import Home

EMPTY_TEXT = "No data published yet: run `paved demo` or `paved run --inbox DIR`."


def run_app(query_params: dict[str, str] | None = None) -> AppTest:
    """Run the whole app (navigation included) as a browser would open it."""
    at = AppTest.from_file(str(APP), default_timeout=30)
    for key, value in (query_params or {}).items():
        at.query_params[key] = value
    return at.run()


def tiles(at: AppTest) -> dict[str, Metric]:
    return {plain(metric.label): metric for metric in at.metric}


def stored_value(home: Home, metric: str, scope_id: str = "org") -> float | None:
    """The latest complete week's value as the warehouse holds it, read independently."""
    con = duckdb.connect(str(home.published), read_only=True)
    try:
        row = con.execute(
            """SELECT value FROM metrics.metric_values
            WHERE metric = ? AND scope_id = ? AND grain = 'week' AND period_start = ?""",
            [metric, scope_id, LATEST],
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    return row[0]


def plotly_spec(at: AppTest) -> dict:
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


def test_renders_the_dora_tiles_without_exception(published_home: Home) -> None:
    at = run_app()
    assert not at.exception
    dora = [label for label, _, _ in CATALOG_ROWS.values()]
    # The DORA tiles come first, in display order; the platform headlines follow them.
    assert list(tiles(at))[: len(dora)] == dora


@pytest.mark.parametrize("metric", list(CATALOG_ROWS))
def test_tile_shows_the_stored_value_of_the_latest_complete_week(
    published_home: Home, metric: str
) -> None:
    label, unit, _ = CATALOG_ROWS[metric]
    at = run_app()
    assert tiles(at)[label].value == format_value(stored_value(published_home, metric), unit)


def test_tile_figures_read_as_their_unit(published_home: Home) -> None:
    shown = {label: tile.value for label, tile in tiles(run_app()).items()}
    assert shown["Deployment frequency"] == "15"
    assert shown["Change lead time"] == "20.5 h"
    assert shown["Change fail rate"] == "20.0%"


def test_tile_delta_compares_with_the_previous_week(published_home: Home) -> None:
    shown = tiles(run_app())
    assert shown["Deployment frequency"].proto.delta == "+4"
    assert shown["Change fail rate"].proto.delta == "+20.0 pp"
    # The previous week is undefined: no change is shown rather than a made-up one.
    assert shown["Failed deployment recovery time"].proto.delta == ""


def test_tile_sparkline_is_the_weekly_series(published_home: Home) -> None:
    tile = tiles(run_app())["Deployment frequency"]
    # The default period: the last twelve complete weeks, oldest first, the partial week left out.
    assert list(tile.proto.chart_data) == [6, 7, 8, 6, 7, 8, 10, 12, 9, 14, 11, 15]


def test_period_filter_sets_the_sparkline_length(published_home: Home) -> None:
    assert len(tiles(run_app())["Deployment frequency"].proto.chart_data) == 12
    every_week = tiles(run_app({"period": "all"}))["Deployment frequency"]
    assert len(every_week.proto.chart_data) == len(WEEKS) - 1


def test_undefined_value_renders_as_a_dash_not_zero(published_home: Home) -> None:
    at = run_app({"team": "search"})
    assert stored_value(published_home, "change_fail_rate", "search") is None
    assert tiles(at)["Change fail rate"].value == DASH
    assert tiles(at)["Deployment frequency"].value == "0"


def test_a_metric_without_a_row_for_the_week_shows_no_older_figure(
    make_home: Callable[..., Home],
) -> None:
    values = {**VALUES, "change_lead_time": {"org": [30.0, 28.0, 40.0, 26.0, 22.0, NO_ROW, NO_ROW]}}
    make_home(Warehouse(values=values))
    at = run_app()
    tile = tiles(at)["Change lead time"]
    assert (tile.value, tile.proto.delta) == (DASH, "")
    assert "No value for this week." in [caption.value for caption in at.caption]


def test_team_filter_changes_the_figures_and_the_url(published_home: Home) -> None:
    at = run_app()
    before = {label: tile.value for label, tile in tiles(at).items()}
    at.selectbox(key="filter_team").set_value("payments").run()
    after = {label: tile.value for label, tile in tiles(at).items()}
    assert not at.exception
    assert after["Deployment frequency"] == "7" != before["Deployment frequency"]
    assert after["Change lead time"] == format_value(72.0, "hours") == "3.0 d"
    assert at.query_params["team"] == "payments"


def test_team_comes_from_the_url_so_a_view_can_be_shared(published_home: Home) -> None:
    at = run_app({"team": "payments", "period": "26w"})
    assert at.selectbox(key="filter_team").value == "payments"
    assert at.selectbox(key="filter_period").value == "26w"
    assert tiles(at)["Deployment frequency"].value == "7"
    assert "Payments" in at.subheader[0].value


def test_an_unknown_team_in_the_url_falls_back_to_the_organisation(published_home: Home) -> None:
    at = run_app({"team": "no-such-team"})
    assert not at.exception
    assert at.selectbox(key="filter_team").value == "org"
    assert "team" not in at.query_params


def test_band_comes_from_the_latest_performance_window(published_home: Home) -> None:
    captions = [caption.value for caption in run_app().caption]
    assert any("High" in text and "11.8" in text for text in captions)
    assert not any("Low" in text for text in captions)


def test_trend_chart_plots_the_chosen_metric_with_its_unit(published_home: Home) -> None:
    spec = plotly_spec(run_app({"metric": "change_fail_rate"}))
    trace = spec["data"][0]
    stored = [v[0] if isinstance(v, tuple) else v for v in VALUES["change_fail_rate"]["org"][:-1]]
    assert trace["y"] == pytest.approx(stored)
    assert spec["layout"]["yaxis"]["tickformat"] == ".0%"
    assert "Change fail rate" in spec["layout"]["yaxis"]["title"]["text"]


def test_trend_chart_leaves_undefined_weeks_as_gaps(published_home: Home) -> None:
    spec = plotly_spec(run_app({"metric": "failed_deployment_recovery_time"}))
    assert spec["data"][0]["y"] == [3.0, 5.5, None, 2.0, None, 4.0]


def test_metric_missing_from_the_catalog_is_skipped(make_home: Callable[..., Home]) -> None:
    catalog = {m: row for m, row in CATALOG_ROWS.items() if m != "deployment_rework_rate"}
    make_home(Warehouse(catalog=catalog))
    at = run_app({"metric": "deployment_rework_rate"})
    assert not at.exception
    assert "Deployment rework rate" not in tiles(at)
    assert at.selectbox(key="filter_metric").value == "deployment_frequency"


def test_time_to_restore_service_gets_a_tile_when_the_catalog_has_it(
    make_home: Callable[..., Home],
) -> None:
    catalog = {
        **CATALOG_ROWS,
        "time_to_restore_service": ("Time to restore service", "hours", "lower_is_better"),
    }
    make_home(Warehouse(catalog=catalog))
    assert tiles(run_app())["Time to restore service"].value == "5.0 h"


def test_empty_home_shows_how_to_publish_data(empty_home: Home) -> None:
    at = run_app()
    assert not at.exception
    assert [info.value for info in at.info] == [EMPTY_TEXT]
    assert not at.metric


def test_published_copy_without_tables_shows_the_empty_state(
    make_home: Callable[..., Home],
) -> None:
    make_home(Warehouse(tables=False))
    at = run_app()
    assert not at.exception
    assert [info.value for info in at.info] == [EMPTY_TEXT]


def _ago(**delta: float) -> datetime:
    return datetime.now(UTC).replace(tzinfo=None) - timedelta(**delta)


@pytest.mark.parametrize(
    ("runs", "warning"),
    [
        ([("r1", _ago(days=3, hours=1), _ago(days=3), "success")], "more than 2 days old"),
        (
            [
                ("r1", _ago(hours=3), _ago(hours=2), "success"),
                ("r2", _ago(hours=1), _ago(minutes=50), "failure"),
            ],
            "ended with status `failure`",
        ),
        ([("r1", _ago(hours=2), None, "running")], "No successful pipeline run"),
    ],
    ids=["stale", "last-run-failed", "never-succeeded"],
)
def test_freshness_warns_when_data_is_old_or_the_last_run_failed(
    make_home: Callable[..., Home], runs: list, warning: str
) -> None:
    make_home(Warehouse(runs=runs))
    at = run_app()
    assert not at.exception
    assert len(at.warning) == 1 and warning in at.warning[0].value


def test_fresh_data_says_when_it_was_refreshed_without_warning(published_home: Home) -> None:
    at = run_app()
    assert not at.warning
    assert any("Data last refreshed 1 h ago" in caption.value for caption in at.caption)


def test_service_filter_shows_the_services_figures(published_home: Home) -> None:
    at = run_app({"service": "payments-api"})
    assert not at.exception
    assert tiles(at)["Deployment frequency"].value == "5"
    assert "Payments API" in at.subheader[0].value

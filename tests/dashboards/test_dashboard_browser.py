"""The one real-browser journey: every page loads in Chromium, its charts paint, filters travel in
the URL and from page to page, and CSV downloads arrive. AppTest renders nothing, so this is the
test that a user would actually see the pages.

Runs the server exactly as `paved dashboard` does (through `dashboards.screenshots`, which the
docs' screenshots also use) on a free port against the fixture home, drives Debian's Chromium
(`playwright install` cannot download here), and saves a screenshot per page and the timings in
`tests/artifacts/`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path

import pytest

from dashboards.screenshots import (
    CHROMIUM,
    PAGE_TIMEOUT_MS,
    chromium,
    dashboard_server,
    run_sql_example,
    screenshot,
    wait_until_rendered,
)
from pipelines.paths import Home

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]


PLATFORM_PAGES = [
    ("Adoption", "adoption", 6),
    ("Onboarding", "onboarding", 2),
    ("Impact & roadmap", "impact", 3),
    ("CI health", "ci_health", 6),
    ("Catalogue", "catalogue", 3),
]
"""(menu title, file stem, Plotly charts the page draws for team Payments on the fixture)."""


def download_csv(page, button_key: str) -> list[dict[str, str]]:
    """Click a CSV download button (by its widget key) and parse the file the browser received."""
    with page.expect_download(timeout=PAGE_TIMEOUT_MS) as info:
        page.locator(f".st-key-{button_key} button").click()
    path = info.value.path()
    return list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))


def open_page(page, title: str) -> float:
    """Follow the sidebar link to a page and wait until it has run and its charts painted."""
    from playwright.sync_api import expect

    started = time.perf_counter()
    page.get_by_test_id("stSidebarNavLink").filter(has_text=title).click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(
        timeout=PAGE_TIMEOUT_MS
    )
    wait_until_rendered(page)
    return time.perf_counter() - started


def test_every_page_paints_filters_travel_and_csv_downloads_arrive(
    published_home: Home, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with (
        dashboard_server(published_home.root, tmp_path / "server.log") as url,
        chromium() as browser,
    ):
        timings["server_ready_s"] = time.perf_counter() - started
        page = browser.new_page(viewport={"width": 1400, "height": 1400}, accept_downloads=True)
        plots = page.locator(".js-plotly-plot")  # painted: wait_until_rendered checks .main-svg

        # Overview: the tiles, then the team filter lands in the URL.
        started = time.perf_counter()
        page.goto(url, timeout=PAGE_TIMEOUT_MS)
        expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible(
            timeout=PAGE_TIMEOUT_MS
        )
        timings["overview_first_paint_s"] = time.perf_counter() - started
        expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        frequency = page.locator(".st-key-tile_deployment_frequency")
        expect(frequency.get_by_test_id("stMetricValue")).to_have_text("15")
        started = time.perf_counter()
        page.get_by_test_id("stSelectbox").filter(has_text="Team").click()
        page.get_by_role("option", name="Payments").click()
        expect(page).to_have_url(re.compile(r"[?&]team=payments\b"))
        expect(frequency.get_by_test_id("stMetricValue")).to_have_text("7")
        wait_until_rendered(page)
        timings["overview_filter_change_s"] = time.perf_counter() - started
        screenshot(page, ARTIFACTS / "overview.png")

        # Delivery: the team chosen on Overview carries over (URL included); six charts paint;
        # the deployments CSV holds the team's deployments only.
        timings["delivery_s"] = open_page(page, "Delivery")
        expect(page).to_have_url(re.compile(r"/delivery\?.*team=payments\b"))
        expect(plots).to_have_count(6)
        rows = download_csv(page, "csv_deployments")
        assert {row["deployment_id"] for row in rows} == {"d-ok", "d-failed", "d-staging"}
        assert rows[0]["why"]
        screenshot(page, ARTIFACTS / "delivery.png")

        # The platform pages, still for Payments: each loads and every chart paints
        # (open_page waits for every .js-plotly-plot to hold its .main-svg).
        for title, stem, count in PLATFORM_PAGES:
            timings[f"{stem}_s"] = open_page(page, title)
            expect(plots).to_have_count(count)
            assert page.get_by_test_id("stException").count() == 0, title
            screenshot(page, ARTIFACTS / f"{stem}.png")

        # Data quality: quarantine and runs charts.
        timings["data_quality_s"] = open_page(page, "Data quality")
        expect(plots).to_have_count(2)
        screenshot(page, ARTIFACTS / "data_quality.png")

        # SQL: run an example in the worker, chart it, download the result.
        timings["sql_s"] = open_page(page, "SQL")
        started = time.perf_counter()
        run_sql_example(page)
        timings["sql_query_s"] = time.perf_counter() - started
        expect(page.get_by_text(re.compile(r"^\d+ rows$"))).to_be_visible()
        expect(plots).to_have_count(1)
        rows = download_csv(page, "csv_sql_result")
        assert rows and set(rows[0]) == {"week", "deployments"}
        screenshot(page, ARTIFACTS / "sql.png")

    (ARTIFACTS / "browser_timings.json").write_text(json.dumps(timings, indent=2))

"""The one real-browser journey: the Overview loads, its chart paints and the team filter is in the
URL. AppTest renders nothing, so this is the test that a user would actually see the page.

Runs the server exactly as `paved dashboard` does (`build_command`) on a free port against the
fixture home, and drives Debian's Chromium (`playwright install` cannot download here).
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from dashboards.serve import build_command, server_env
from pipelines.paths import Home

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SERVER_START_TIMEOUT_S = 60.0
PAGE_TIMEOUT_MS = 60_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> float:
    """Poll Streamlit's health endpoint; fail early with the server log if the server died."""
    started = time.perf_counter()
    while time.perf_counter() - started < SERVER_START_TIMEOUT_S:
        if server.poll() is not None:
            pytest.fail(f"dashboard server exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"dashboard did not answer within {SERVER_START_TIMEOUT_S}s:\n{log.read_text()}")


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def test_overview_paints_and_the_team_filter_is_shareable(
    published_home: Home, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    timings: dict[str, float] = {}
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            build_command(port=port),
            env=server_env(published_home.root),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        timings["server_ready_s"] = wait_until_healthy(url, server, log)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1400})
                started = time.perf_counter()
                page.goto(url, timeout=PAGE_TIMEOUT_MS)
                expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible(
                    timeout=PAGE_TIMEOUT_MS
                )
                timings["first_paint_with_chart_s"] = time.perf_counter() - started
                expect(page.get_by_role("heading", name="Overview")).to_be_visible()
                frequency = page.locator(".st-key-tile_deployment_frequency")
                expect(frequency.get_by_test_id("stMetricValue")).to_have_text("15")

                started = time.perf_counter()
                page.get_by_test_id("stSelectbox").filter(has_text="Team").click()
                page.get_by_role("option", name="Payments").click()
                expect(page).to_have_url(re.compile(r"[?&]team=payments\b"))
                expect(frequency.get_by_test_id("stMetricValue")).to_have_text("7")
                expect(page.get_by_role("heading", name=re.compile("Payments"))).to_be_visible()
                expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible()
                timings["filter_change_s"] = time.perf_counter() - started

                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
                (ARTIFACTS / "overview_timings.json").write_text(json.dumps(timings, indent=2))
            finally:
                browser.close()
    finally:
        stop(server)

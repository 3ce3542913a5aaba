"""Regenerate the dashboard's screenshots: `python -m dashboards.screenshots --home DIR --out DIR`.

Starts the dashboard exactly as `paved dashboard` does (`dashboards.serve.build_command`) on a
free port against the given home, opens every page in Debian's headless Chromium through
Playwright (`playwright install` cannot download here), waits until the page has finished running
and its charts have painted, and saves one full-page PNG per page, named after the page file
(`overview.png`, `delivery.png`, ...). The browser test shares the server and waiting helpers, so
the screenshots in the docs and the test's artefacts come from the same journey.

Playwright is a development dependency: the import happens when a browser is needed, and a
missing one is reported with what to install.
"""

from __future__ import annotations

import argparse
import logging
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dashboards.navigation import PageSpec, available_pages
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
SERVER_START_TIMEOUT_S = 60.0
PAGE_TIMEOUT_MS = 60_000
VIEWPORT = {"width": 1400, "height": 1000}

log = logging.getLogger("paved.screenshots")


class ServerFailed(RuntimeError):
    """The dashboard server exited or did not answer; the message holds its log."""


def free_port() -> int:
    """A port nobody listens on right now (bind to 0 and let the OS choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(url: str, server: subprocess.Popen[bytes], log_path: Path) -> float:
    """Poll Streamlit's health endpoint; fail early with the server log if the server died."""
    started = time.perf_counter()
    while time.perf_counter() - started < SERVER_START_TIMEOUT_S:
        if server.poll() is not None:
            raise ServerFailed(
                f"dashboard server exited with {server.returncode}:\n{log_path.read_text()}"
            )
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.2)
    raise ServerFailed(
        f"dashboard did not answer within {SERVER_START_TIMEOUT_S:g}s:\n{log_path.read_text()}"
    )


def stop(server: subprocess.Popen[bytes]) -> None:
    """Terminate the server we started (and only it), killing it if it will not stop."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@contextmanager
def dashboard_server(home: Path, log_path: Path, port: int | None = None) -> Iterator[str]:
    """Serve the dashboard on `home` for the duration of the block; yields its base URL."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log_file:
        server = subprocess.Popen(
            build_command(port=port),
            env=server_env(home),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_healthy(url, server, log_path)
        yield url
    finally:
        stop(server)


def page_url(base: str, page: PageSpec) -> str:
    return f"{base}/{page.url_path}"


def wait_until_rendered(page: Any, timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
    """Wait until the script has finished running and every Plotly chart on the page has painted.

    Streamlit marks the app root with `data-test-script-state`; a chart has painted once its
    `.main-svg` exists.
    """
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout_ms
    )
    page.wait_for_function(
        """() => [...document.querySelectorAll('.js-plotly-plot')]
                 .every((plot) => plot.querySelector('.main-svg'))""",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(300)  # let the last chart's transition settle before a screenshot


MAX_SCREENSHOT_HEIGHT = 12_000


def screenshot(page: Any, path: Path) -> None:
    """Save the whole page: Streamlit scrolls inside its main block, not the document, so the
    viewport is grown to the block's height first (a plain full-page shot stops at the fold)."""
    height = page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]');
            return main ? main.scrollHeight : document.body.scrollHeight;
        }"""
    )
    page.mouse.move(0, 0)  # no hover toolbar or tooltip in the picture
    size = page.viewport_size or VIEWPORT
    tall = min(max(int(height) + 40, size["height"]), MAX_SCREENSHOT_HEIGHT)
    page.set_viewport_size({"width": size["width"], "height": tall})
    page.wait_for_timeout(300)  # charts re-layout to the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)


SQL_EXAMPLE = "Weekly deployment frequency (organisation)"
"""The example the SQL page's screenshot runs, so the picture shows a result and its chart."""


def run_sql_example(page: Any, title: str = SQL_EXAMPLE) -> None:
    """On the SQL page: load an example into the editor, run it, wait for its result and chart."""
    page.get_by_test_id("stSelectbox").filter(has_text="Examples").click()
    page.get_by_role("option", name=title).click()
    page.wait_for_function(
        """() => (document.querySelector('.st-key-sql_text textarea')?.value || '').length > 0""",
        timeout=PAGE_TIMEOUT_MS,
    )
    page.locator(".st-key-sql_run button").click()
    page.locator(".st-key-chart_sql .js-plotly-plot, [data-testid='stAlert']").first.wait_for(
        timeout=PAGE_TIMEOUT_MS
    )
    wait_until_rendered(page)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright; closed when the block ends."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SystemExit(
            "screenshots need the playwright package (`uv sync --group dev`) and Debian chromium "
            "(`apt-get install chromium`)"
        ) from exc
    if not CHROMIUM.exists():
        raise SystemExit(f"no Chromium at {CHROMIUM}: `apt-get install chromium`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


def capture(home: Path, out: Path, *, port: int | None = None) -> list[Path]:
    """Save one full-page PNG per available page of the dashboard served on `home`."""
    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    with dashboard_server(home, out / ".server.log", port) as url, chromium() as browser:
        page = browser.new_page(viewport=VIEWPORT)
        for spec in available_pages():
            started = time.perf_counter()
            page.goto(page_url(url, spec), timeout=PAGE_TIMEOUT_MS)
            wait_until_rendered(page)
            if spec.file == "sql.py":
                run_sql_example(page)
            target = out / f"{Path(spec.file).stem}.png"
            screenshot(page, target)
            saved.append(target)
            log.info("%s: %s in %.1fs", spec.title, target, time.perf_counter() - started)
    (out / ".server.log").unlink(missing_ok=True)
    return saved


def main(argv: list[str] | None = None) -> int:
    """Command line: `python -m dashboards.screenshots --home DIR --out DIR [--port P]`."""
    parser = argparse.ArgumentParser(
        prog="python -m dashboards.screenshots",
        description="Save one PNG per dashboard page, served on a PAVED_HOME.",
    )
    parser.add_argument("--home", type=Path, required=True, help="the PAVED_HOME to show")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--port", type=int, default=None, help="default: a free port")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    home = args.home.expanduser().resolve()
    if not Home(home).published.is_file():
        log.error("no published warehouse in %s: run `paved demo --no-serve --home %s`", home, home)
        return 2
    try:
        saved = capture(home, args.out, port=args.port)
    except ServerFailed as error:
        log.error("%s", error)
        return 1
    log.info("saved %d screenshot(s) in %s", len(saved), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

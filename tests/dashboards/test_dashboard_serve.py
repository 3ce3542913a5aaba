"""How the dashboard server is started, and what the dashboard may import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from dashboards import screenshots
from dashboards import serve as serve_module
from dashboards.navigation import APP, available_pages
from dashboards.serve import build_command, serve, server_env


def test_command_runs_the_app_headless_without_usage_stats_on_the_given_address() -> None:
    command = build_command(port=8765, host="0.0.0.0")
    assert command[:5] == [sys.executable, "-m", "streamlit", "run", str(APP)]
    assert "--server.headless=true" in command
    assert "--browser.gatherUsageStats=false" in command
    assert "--server.address=0.0.0.0" in command
    assert "--server.port=8765" in command


def test_paved_dashboard_binds_to_localhost_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from pipelines import cli

    called: dict[str, object] = {}
    monkeypatch.setattr(
        serve_module, "serve", lambda home, port, host: called.update(host=host, port=port) or 0
    )
    assert cli.main(["dashboard", "--home", str(tmp_path)]) == 0
    assert called == {"host": "127.0.0.1", "port": 8501}
    assert "--server.address=127.0.0.1" in build_command()


def test_server_environment_selects_the_home(tmp_path: Path) -> None:
    env = server_env(tmp_path / "home", base={"PATH": "/usr/bin"})
    assert env["PAVED_HOME"] == str((tmp_path / "home").resolve())
    assert env["PATH"] == "/usr/bin"


def test_serve_passes_the_home_and_returns_the_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stand-in for streamlit: exits 7 only if PAVED_HOME reached it.
    script = f"import os, sys; sys.exit(7 if os.environ['PAVED_HOME'] == {str(tmp_path)!r} else 1)"
    monkeypatch.setattr(
        serve_module, "build_command", lambda port, host: [sys.executable, "-c", script]
    )
    assert serve(tmp_path, port=1234) == 7


def test_overview_is_the_default_page() -> None:
    pages = available_pages()
    assert pages[0].title == "Overview" and pages[0].default
    assert all(page.path.parent.name == "app_pages" for page in pages)


def test_dashboard_modules_never_import_dagster() -> None:
    # `import dagster` costs ~1.4 s and 70 MB: the dashboard must stay clear of it.
    code = (
        "import sys\n"
        "import dashboards.data, dashboards.charts, dashboards.serve, dashboards.navigation\n"
        "import dashboards.app_pages._ui, dashboards.facts, dashboards.filters\n"
        "import dashboards.sql_client, pipelines.query_child, pipelines.sql_examples\n"
        "import dashboards.screenshots\n"
        "assert 'dagster' not in sys.modules, 'dagster was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_page_urls_are_what_st_page_infers() -> None:
    urls = {page.file: page.url_path for page in available_pages()}
    assert urls["overview.py"] == ""
    assert urls["delivery.py"] == "delivery"
    assert urls["data_quality.py"] == "data_quality"


@pytest.mark.parametrize("page", available_pages(), ids=lambda p: p.file)
def test_page_scripts_hold_no_bare_strings_that_magic_would_draw(page) -> None:
    # Streamlit "magic" draws any bare expression of a page script, docstrings after the first
    # included: a constant's docstring would appear on the page.
    body = ast.parse(page.path.read_text()).body
    strays = [
        node.lineno
        for node in body[1:]
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    ]
    assert strays == []


def test_screenshots_refuse_a_home_with_nothing_published(tmp_path: Path) -> None:
    assert screenshots.main(["--home", str(tmp_path), "--out", str(tmp_path / "shots")]) == 2
    assert not (tmp_path / "shots").exists()

"""Hostile names: every string that comes from data is shown as the characters it is.

A team, service, repository, pipeline, capability, initiative, reason, origin or file name is
whatever a source system held. Here each of them starts with an attack: a Markdown image that
would load from any URL, an HTML link or image, emphasis, LaTeX, and spreadsheet formulas. Every
dashboard page (AppTest: its Markdown source and Plotly JSON; Chromium: the DOM and the network),
the weekly report (HTML and Markdown) and every CSV download must show them as plain text.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dashboards"))

from dashboard_fixtures import (  # noqa: E402
    TEAMS,
    Warehouse,
    failed_last_run,
    write_last_run,
    write_warehouse,
)
from dashboard_pages import charts, run_page, texts  # noqa: E402

from dashboards.app_pages import _ui  # noqa: E402
from dashboards.formatting import WORD_JOINER, md, md_code, plot_text  # noqa: E402
from dashboards.screenshots import (  # noqa: E402
    CHROMIUM,
    PAGE_TIMEOUT_MS,
    available_pages,
    chromium,
    dashboard_server,
    wait_until_rendered,
)
from pipelines.csv_safe import csv_safe  # noqa: E402
from pipelines.paths import Home  # noqa: E402
from pipelines.report.render import render_report  # noqa: E402
from tests.report.fixtures import REPORT_WEEK, Spec, write_published  # noqa: E402

PIXEL = "![x](http://127.0.0.1:9/pixel.png)"
LINK = '<a href="http://127.0.0.1:9/">click</a>'
IMG = "<img src=x onerror=alert(1)>"
HOSTILE = (
    PIXEL,
    LINK,
    IMG,
    "**bold**",
    "$x^2$",
    '=HYPERLINK("http://127.0.0.1:9")',
    "+1+1",
    "@SUM(A1)",
    "-2+3",
)
FORMULAS = HOSTILE[5:]
RAW_MARKDOWN = re.compile(r"!\[|(?<!\\)<\s*(a|img)\b|\*\*bold|(?<!\\)\$x\^2\$", re.IGNORECASE)
"""What must never reach a Markdown-rendering call unescaped: an image, a tag, emphasis, LaTeX
(escaped, each special character is preceded by a backslash and none of these match)."""
RAW_HTML = re.compile(r"<\s*(a|img)\b", re.IGNORECASE)
"""What must never reach a Plotly figure or the report's HTML: a tag Plotly or a browser renders."""

TEXT_COLUMNS = frozenset(
    {
        "name", "label", "metric_label", "title", "repo", "pipeline", "capability", "reason",
        "why", "origin", "evidence", "detail", "expected_effect", "method_notes", "file",
        "error", "not_counted_reason", "failure_reason", "link_reason", "trend",
    }
)  # fmt: skip
"""Columns (in any table) whose strings are rewritten to start with an attack."""
TEAM_NAMES = {"payments": f"{PIXEL} {TEAMS['payments']}", "search": f"{LINK} {TEAMS['search']}"}
"""The teams' hostile display names: the team filter's label reaches every page's Markdown."""
RUN_ERROR = f"{IMG} {LINK} the inbox was unreadable"
PAGES = (
    "overview", "delivery", "adoption", "onboarding", "impact", "ci_health", "catalogue",
    "data_quality",
)  # fmt: skip
"""Every page of the dashboard but SQL (its results are covered by test_sql_quick_chart_...)."""


def make_hostile(path: Path) -> dict[str, str]:
    """Rewrite every TEXT_COLUMNS value of every table to start with one of HOSTILE.

    The same value is rewritten the same way in every table (a repo name in services and in
    ci_health), so joins by name still hold. The two team names get PIXEL and LINK; other values
    take the attacks in turn. Returns original -> hostile.
    """
    con = duckdb.connect(str(path))
    try:
        columns = [
            (schema, table, column)
            for schema, table, column in con.execute(
                "SELECT table_schema, table_name, column_name FROM information_schema.columns "
                "WHERE data_type = 'VARCHAR' AND table_catalog = current_database()"
            ).fetchall()
            if column in TEXT_COLUMNS
        ]
        found: set[str] = set()
        for schema, table, column in columns:
            found |= {
                v
                for (v,) in con.execute(
                    f'SELECT DISTINCT "{column}" FROM "{schema}"."{table}" '
                    f'WHERE "{column}" IS NOT NULL'
                ).fetchall()
            }
        mapping = {TEAMS[t]: TEAM_NAMES[t] for t in TEAMS if TEAMS[t] in found}
        others = sorted(found - set(mapping))
        mapping |= {v: f"{HOSTILE[2 + i % (len(HOSTILE) - 2)]} {v}" for i, v in enumerate(others)}
        con.execute("CREATE TEMP TABLE hostile_map (original VARCHAR, hostile VARCHAR)")
        con.executemany("INSERT INTO hostile_map VALUES (?, ?)", list(mapping.items()))
        for schema, table, column in columns:
            con.execute(
                f'UPDATE "{schema}"."{table}" AS t SET "{column}" = m.hostile FROM hostile_map m '
                f'WHERE t."{column}" = m.original'
            )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return mapping


@pytest.fixture(scope="module")
def hostile_home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """A home whose published copy (the dashboard fixture warehouse, with an inbox finding) has
    hostile names, and whose last run failed with a hostile error."""
    home = Home((tmp_path_factory.mktemp("hostile") / "home").resolve()).ensure()
    spec = Warehouse(findings=[("unknown_entity", "widgets", "inbox/widgets.jsonl", "3 rows", 3)])
    staging = write_warehouse(home.root / "staging.duckdb", spec)
    make_hostile(staging)
    shutil.move(staging, home.published)
    write_last_run(home.root, {**failed_last_run(), "error": RUN_ERROR})
    return home


@pytest.fixture
def csv_downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Every CSV download a page offers, by file name, as the bytes a click would deliver."""
    files: dict[str, str] = {}
    offer = _ui.download_csv

    def record(frame: Any, *, key: str, file_name: str, label: str = "Download CSV") -> None:
        rows = frame() if callable(frame) else frame
        files[file_name] = _ui.csv_bytes(rows).decode("utf-8")
        offer(frame, key=key, file_name=file_name, label=label)

    monkeypatch.setattr(_ui, "download_csv", record)
    return files


def markdown_sources(at: Any) -> list[str]:
    """The Markdown source of every element that Streamlit renders as Markdown."""
    out = texts(at)
    out += [e.value for e in at.subheader] + [e.value for e in at.title]
    out += [m.label for m in at.metric]
    return out


# --- The helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("attack", HOSTILE)
def test_md_escapes_every_markdown_and_html_character(attack: str) -> None:
    escaped = md(attack)
    assert as_read(escaped) == attack  # reads back as the same characters
    assert not RAW_MARKDOWN.search(escaped)
    assert all(f"\\{ch}" in escaped for ch in "[]()<>*$!" if ch in attack)


def as_read(markdown: str) -> str:
    """Markdown source as it reads on screen: escapes rendered, the invisible word joiner gone."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(WORD_JOINER, "")


@pytest.mark.parametrize("text", ["http://127.0.0.1:9/x", "www.example.com", "a@example.com"])
def test_md_breaks_what_streamlit_would_autolink(text: str) -> None:
    # Streamlit links bare URLs and addresses after resolving escapes: an invisible word joiner
    # after "://", "www" and "@" keeps them text.
    escaped = md(text)
    assert not re.search(r"://|www\\?\.|@\w", escaped.replace("\\", ""))
    assert as_read(escaped) == text


def test_md_flattens_line_breaks_so_a_name_cannot_start_a_block() -> None:
    assert md("ok\n# heading\r\n- item") == "ok \\# heading \\- item"


def test_md_code_cannot_be_closed_by_the_value() -> None:
    assert md_code("pagerduty") == "`pagerduty`"
    assert md_code("a`b ``c") == "``` a`b ``c ```"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (LINK, '&lt;a href="http://127.0.0.1:9/"&gt;click&lt;/a&gt;'),
        (IMG, "&lt;img src=x onerror=alert(1)&gt;"),
        ("R&D &lt;b&gt;", "R&amp;D &amp;lt;b&amp;gt;"),  # an entity cannot smuggle a tag in
        (PIXEL, PIXEL),
    ],
)
def test_plot_text_makes_tags_and_entities_literal(text: str, shown: str) -> None:
    assert plot_text(text) == shown


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://127.0.0.1:9")', '\'=HYPERLINK("http://127.0.0.1:9")'),
        ("+1+1", "'+1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Payments", "Payments"),
        ("a=b", "a=b"),
        (-2.5, -2.5),  # a negative number is a number, not a formula
        (-3, -3),
        (None, None),
    ],
)
def test_csv_safe_prefixes_formula_text_only(value: object, written: object) -> None:
    assert csv_safe(value) == written


# --- Every dashboard page (AppTest) --------------------------------------------------------------


def assert_csv_is_inert(name: str, text: str) -> list[str]:
    """No cell of the CSV starts like a formula (a negative number excepted); returns its cells."""
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    for cell in cells:
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), (name, cell)
        if cell.startswith("-"):
            float(cell)  # a negative number, nothing else
    return cells


def test_every_page_shows_hostile_names_as_text(
    hostile_home: Home, monkeypatch: pytest.MonkeyPatch, csv_downloads: dict[str, str]
) -> None:
    monkeypatch.setenv("PAVED_HOME", str(hostile_home.root))
    escaped_team = md(TEAM_NAMES["payments"])
    escaped_in_charts = 0
    for page in PAGES:
        at = run_page(page, {"team": "payments"})
        assert not at.exception, (page, at.exception)
        sources = markdown_sources(at)
        for source in sources:
            assert not RAW_MARKDOWN.search(source), (page, source)
        if page == "data_quality":
            assert any(md(RUN_ERROR) in s for s in sources), page
        else:
            assert any(escaped_team in s for s in sources), page
        for key, figure in charts(at).items():
            spec = json.dumps(figure)
            assert not RAW_HTML.search(spec), (page, key, RAW_HTML.search(spec))
            escaped_in_charts += "&lt;a href" in spec or "&lt;img" in spec
    assert escaped_in_charts  # the hostile names did reach the charts, as text

    assert csv_downloads, "the pages offer CSV downloads"
    cells = [c for name, text in csv_downloads.items() for c in assert_csv_is_inert(name, text)]
    for formula in FORMULAS:
        assert any(c.startswith(f"'{formula}") for c in cells), formula


def test_sql_quick_chart_of_hostile_results_draws_text() -> None:
    import pandas as pd

    from dashboards.charts import quick_figure

    frame = pd.DataFrame({LINK: [IMG, PIXEL], "n": [1, -2], "team": [LINK, IMG]})
    spec = quick_figure(frame, x=LINK, y="n", colour="team", kind="bar").to_json()
    assert not RAW_HTML.search(spec)
    assert "&lt;img" in spec and "&lt;a href" in spec


# --- The weekly report ---------------------------------------------------------------------------


def test_report_html_and_markdown_show_hostile_names_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plotly.offline import get_plotlyjs

    monkeypatch.setattr("pipelines.report.charts.find_browser", lambda: None)
    home = Home(tmp_path / "home").ensure()
    write_published(home.published, Spec(roadmap=True))
    mapping = make_hostile(home.published)
    result = render_report(home, REPORT_WEEK, None, static=False)

    for path in (result.html, result.email_html):
        html = path.read_text(encoding="utf-8").replace(get_plotlyjs(), "")
        assert not RAW_HTML.search(html), (path.name, RAW_HTML.search(html))
        assert "&lt;a href=&#34;http://127.0.0.1:9/&#34;&gt;" in html  # the name, as text
        assert "&lt;img src=x onerror=alert(1)&gt;" in html

    markdown = result.markdown.read_text(encoding="utf-8")
    assert not RAW_MARKDOWN.search(markdown), RAW_MARKDOWN.search(markdown)
    assert md(mapping[TEAMS["payments"]]) in markdown
    assert md(IMG) in markdown


# --- A real browser ------------------------------------------------------------------------------


def _is_attacker(url: str) -> bool:
    parts = urlsplit(url)
    return parts.hostname == "127.0.0.1" and parts.port == 9


DOM_LINKS = """() => ({
    images: [...document.querySelectorAll('img')].map((i) => i.getAttribute('src') || ''),
    links: [...document.querySelectorAll('a')].map(
        (a) => (a.getAttribute('href') || a.getAttribute('xlink:href') || '')
            + ' in ' + a.parentElement.outerHTML.slice(0, 200)),
    text: document.body.innerText,
})"""


@pytest.fixture
def browser_page(hostile_home: Home, tmp_path: Path) -> Iterator[tuple[Any, str, list[str]]]:
    with (
        dashboard_server(hostile_home.root, tmp_path / "server.log") as url,
        chromium() as browser,
    ):
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        yield page, url, requested


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")
def test_no_page_loads_or_links_anything_from_a_hostile_name(
    browser_page: tuple[Any, str, list[str]],
) -> None:
    page, url, requested = browser_page
    origin = urlsplit(url)
    seen_text = ""
    for spec in available_pages():
        if spec.file == "sql.py":
            continue
        page.goto(f"{url}/{spec.url_path}?team=payments", timeout=PAGE_TIMEOUT_MS)
        wait_until_rendered(page)
        if spec.default:  # open the team menu: its options are hostile names too
            page.get_by_test_id("stSelectbox").filter(has_text="Team").click()
            page.get_by_role("option").first.wait_for(timeout=PAGE_TIMEOUT_MS)
        dom = page.evaluate(DOM_LINKS)
        remote = [
            src
            for src in dom["images"]
            if src.startswith("http") and urlsplit(src).netloc != origin.netloc
        ]
        assert not remote, (spec.title, remote)
        assert not [h for h in dom["links"] if "127.0.0.1:9/" in h], spec.title
        assert page.get_by_test_id("stException").count() == 0, spec.title
        seen_text += dom["text"].replace(WORD_JOINER, "")
        if spec.default:
            page.keyboard.press("Escape")
    time.sleep(0.5)  # a late image request would still be recorded
    assert not [r for r in requested if _is_attacker(r)]
    assert TEAM_NAMES["payments"] in seen_text  # the escaped name reads as its own characters
    assert RUN_ERROR in seen_text

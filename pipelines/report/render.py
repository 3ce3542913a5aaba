"""Renders one week's report into a folder: HTML page, Markdown, PNG charts, PDF, e-mail body.

Why it looks like this: the numbers are read once (a short read-only visit to the published
copy), turned into formatted content once, then written in every format from that one content,
so the formats cannot disagree. The HTML page embeds Plotly JS once, inline, so it opens offline
and can be mailed or archived as one file. PNG and PDF need a Chromium; without one they are
skipped with a warning and the HTML and Markdown are still written (rendering never fails for
want of a browser). Nothing here reads the clock except to time the steps, and timings never
enter the files, so a fixed warehouse renders byte-identical HTML and Markdown.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from plotly.offline import get_plotlyjs

from dashboards.formatting import md
from pipelines.paths import Home
from pipelines.report import charts
from pipelines.report.content import ANOMALY_WEEKS, build_content
from pipelines.report.data import read_snapshot
from pipelines.report.weeks import IsoWeek, last_complete_week, parse_week

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
MANIFEST = "manifest.json"
PDF_TIMEOUT_S = 90
# Lets Plotly finish drawing before Chromium prints; virtual time, so it costs nothing when idle.
PDF_VIRTUAL_TIME_MS = 10000


@dataclass
class ReportResult:
    """Where one rendered report lives, and what it cost."""

    week: str
    out_dir: Path
    html: Path
    markdown: Path
    email_html: Path
    pngs: dict[str, Path] = field(default_factory=dict)
    pdf: Path | None = None
    headlines: list[str] = field(default_factory=list)
    title: str = ""
    empty: bool = False
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step
    sizes: dict[str, int] = field(default_factory=dict)  # bytes per file name
    warnings: list[str] = field(default_factory=list)

    def manifest(self) -> dict:
        """What delivery needs, without timings, so the file is reproducible too."""
        return {
            "week": self.week,
            "title": self.title,
            "empty": self.empty,
            "headlines": self.headlines,
            "html": self.html.name,
            "markdown": self.markdown.name,
            "email_html": self.email_html.name,
            "pngs": {name: path.name for name, path in sorted(self.pngs.items())},
            "pdf": self.pdf.name if self.pdf else None,
        }

    @classmethod
    def load(cls, out_dir: Path) -> ReportResult:
        """A report rendered earlier (e.g. by another Dagster step), from its manifest."""
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        pdf = out_dir / data["pdf"] if data.get("pdf") else None
        files = [data["html"], data["markdown"], data["email_html"], *data["pngs"].values()]
        return cls(
            week=data["week"],
            out_dir=out_dir,
            html=out_dir / data["html"],
            markdown=out_dir / data["markdown"],
            email_html=out_dir / data["email_html"],
            pngs={name: out_dir / file for name, file in data["pngs"].items()},
            pdf=pdf,
            headlines=list(data["headlines"]),
            title=data.get("title", ""),
            empty=bool(data.get("empty")),
            sizes={f: (out_dir / f).stat().st_size for f in [*files, data.get("pdf")] if f},
        )


def _environment() -> jinja2.Environment:
    """Templates render data as text: HTML templates autoescape every value (a team named
    `<img src=...>` prints as those characters), and the Markdown template passes every data
    string through the `md` filter, which backslash-escapes Markdown and HTML (no image, link,
    emphasis or table cell break can come from a name)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "html.j2"), default_for_string=True, default=False
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = md
    return env


def resolve_week(week: str | IsoWeek | None) -> IsoWeek:
    """The week asked for, or the last complete ISO week."""
    if week is None:
        return last_complete_week()
    return week if isinstance(week, IsoWeek) else parse_week(week)


def render_report(
    home: Home,
    week: str | None = None,
    out_dir: Path | None = None,
    *,
    static: bool = True,
) -> ReportResult:
    """Render `week` (YYYY-Www; default the last complete week) from the published copy.

    Files go to `<home>/reports/<year>-W<week>/` unless `out_dir` is given. Raises WeekError on
    a malformed week; a week without data renders an honest empty report. `static=False` skips
    the PNG charts and the PDF (the slow, browser-driven part: ~5 s) for quick previews.
    """
    iso = resolve_week(week)
    target = Path(out_dir) if out_dir is not None else home.reports_dir / iso.key
    target.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    warnings: list[str] = []

    started = time.perf_counter()
    snapshot = read_snapshot(home.published, iso)
    timings["read"] = time.perf_counter() - started

    started = time.perf_counter()
    content = build_content(snapshot)
    timings["content"] = time.perf_counter() - started

    started = time.perf_counter()
    try:
        pngs = charts.write_pngs(content.charts, target) if static else {}
    except Exception as exc:  # noqa: BLE001 - a chart must never cost the report
        log.warning("report: PNG charts failed (%s); continuing without them", exc)
        warnings.append(f"PNG charts failed: {type(exc).__name__}")
        pngs = {}
    if static and content.charts and not pngs and not warnings:
        warnings.append("PNG charts skipped: no Chromium found (set BROWSER_PATH)")
    timings["png"] = time.perf_counter() - started

    started = time.perf_counter()
    env = _environment()
    html = target / "report.html"
    markdown = target / "report.md"
    email_html = target / "email.html"
    divs = {spec.name: charts.html_div(spec) for spec in content.charts}
    common = {
        "c": content,
        "anomaly_weeks": ANOMALY_WEEKS,
        "pngs": {name: path.name for name, path in pngs.items()},
    }
    _write(
        html,
        env.get_template("report.html.j2").render(
            mode="page", charts=divs, plotly_js=get_plotlyjs() if divs else "", **common
        ),
    )
    _write(
        email_html,
        env.get_template("report.html.j2").render(mode="email", charts={}, plotly_js="", **common),
    )
    _write(markdown, env.get_template("report.md.j2").render(**common))
    timings["html_md"] = time.perf_counter() - started

    started = time.perf_counter()
    pdf = target / "report.pdf"
    pdf_error = print_pdf(html, pdf) if static else "PDF skipped (static=False)"
    if pdf_error:
        warnings.append(pdf_error)
        pdf = None
    timings["pdf"] = time.perf_counter() - started

    result = ReportResult(
        week=iso.key,
        out_dir=target,
        html=html,
        markdown=markdown,
        email_html=email_html,
        pngs=pngs,
        pdf=pdf,
        headlines=list(content.headlines),
        title=content.title,
        empty=not content.has_data,
        timings={k: round(v, 3) for k, v in timings.items()},
        warnings=warnings,
    )
    _write(target / MANIFEST, json.dumps(result.manifest(), indent=2, sort_keys=True) + "\n")
    files = [html, markdown, email_html, *pngs.values(), *([pdf] if pdf else [])]
    result.sizes = {f.name: f.stat().st_size for f in files}
    result.timings["total"] = round(sum(timings.values()), 3)
    return result


def _write(path: Path, text: str) -> None:
    """Write via a temporary name so a reader (a web server, a mailer) never sees half a file."""
    temp = path.with_name(f".{path.name}.partial")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def print_pdf(html: Path, pdf: Path) -> str | None:
    """Print the page with headless Chromium; returns a warning instead of raising.

    A throwaway profile keeps this Chromium from joining (or locking) another one running on
    the machine; --no-pdf-header-footer keeps the clock and the file path out of the PDF margins.
    """
    browser = charts.find_browser()
    if browser is None:
        return "PDF skipped: no Chromium found (set BROWSER_PATH)"
    with tempfile.TemporaryDirectory(prefix="paved-pdf-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-pdf-header-footer",
            f"--user-data-dir={profile}",
            f"--virtual-time-budget={PDF_VIRTUAL_TIME_MS}",
            f"--print-to-pdf={pdf}",
            html.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=PDF_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("report: PDF printing failed: %s", exc)
            return f"PDF failed: {type(exc).__name__}"
    if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        log.warning("report: chromium exited %s: %s", done.returncode, done.stderr[-500:])
        return f"PDF failed: chromium exited with status {done.returncode}"
    return None

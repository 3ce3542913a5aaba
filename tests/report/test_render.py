"""Rendering: files and places, reproducibility, honest empty reports, offline HTML, PNG/PDF."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipelines.paths import Home
from pipelines.report.charts import find_browser
from pipelines.report.render import ReportResult, render_report
from tests.report.fixtures import REPORT_WEEK, Spec, write_published


def as_read(markdown: str) -> str:
    """The Markdown as a reader sees it rendered: every string from data is backslash-escaped in
    the file (`2024\\-W05`), so assertions on wording compare the text without the escapes."""
    return re.sub(r"\\(.)", r"\1", markdown)


def test_report_lands_in_the_weeks_folder_under_reports(report_home: Home, no_browser) -> None:
    result = render_report(report_home, REPORT_WEEK, None)
    assert result.out_dir == report_home.reports_dir / "2024-W05"
    assert {p.name for p in result.out_dir.iterdir()} >= {
        "report.html", "report.md", "email.html", "manifest.json",
    }  # fmt: skip
    assert result.sizes["report.md"] == result.markdown.stat().st_size


def test_out_dir_overrides_the_default_folder(
    report_home: Home, tmp_path: Path, no_browser
) -> None:
    result = render_report(report_home, REPORT_WEEK, tmp_path / "elsewhere")
    assert result.html.parent == tmp_path / "elsewhere"


def test_rendering_twice_gives_identical_html_and_markdown(
    report_home: Home, tmp_path: Path, no_browser
) -> None:
    first = render_report(report_home, REPORT_WEEK, tmp_path / "a")
    second = render_report(report_home, REPORT_WEEK, tmp_path / "b")
    for name in ("html", "markdown", "email_html"):
        assert getattr(first, name).read_bytes() == getattr(second, name).read_bytes()
    assert (tmp_path / "a" / "manifest.json").read_bytes() == (
        tmp_path / "b" / "manifest.json"
    ).read_bytes()


def test_html_is_self_contained_with_plotly_inline_once(report_home: Home, no_browser) -> None:
    html = render_report(report_home, REPORT_WEEK, None).html.read_text(encoding="utf-8")
    assert html.count("plotly.js v") == 1  # the library's banner: embedded exactly once
    assert not re.search(r"<script[^>]+src=", html)  # nothing fetched: opens offline
    assert 'id="chart-dora-trends"' in html and 'id="chart-other-trends"' in html


def test_email_html_references_charts_by_content_id_without_javascript(
    report_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pretend kaleido wrote the PNGs, so the e-mail body points at them.
    def fake_pngs(specs, out_dir):
        for spec in specs:
            (out_dir / f"{spec.name}.png").write_bytes(b"\x89PNG fake")
        return {spec.name: out_dir / f"{spec.name}.png" for spec in specs}

    monkeypatch.setattr("pipelines.report.charts.write_pngs", fake_pngs)
    monkeypatch.setattr("pipelines.report.render.print_pdf", lambda html, pdf: "no PDF")
    result = render_report(report_home, REPORT_WEEK, None)
    email = result.email_html.read_text(encoding="utf-8")
    assert '<img src="cid:dora_trends"' in email
    assert "<script" not in email


def test_week_without_data_renders_an_honest_empty_report(report_home: Home, no_browser) -> None:
    result = render_report(report_home, "2022-W10", None)
    markdown = as_read(result.markdown.read_text(encoding="utf-8"))
    assert result.empty
    assert "No metric values are published for 2022-W10" in markdown
    assert "The published warehouse holds weeks 2023-W45 to 2024-W06." in markdown
    assert "No data for this week." in markdown
    assert "%" not in markdown.split("## Incidents")[0]  # no figure invented for the week


def test_nothing_published_yet_still_renders_and_says_so(tmp_path: Path, no_browser) -> None:
    home = Home(tmp_path / "empty").ensure()
    result = render_report(home, REPORT_WEEK, None)
    markdown = result.markdown.read_text(encoding="utf-8")
    assert result.empty
    assert "Nothing has been published yet" in markdown
    assert "core.incidents is not published" in markdown


def test_missing_tables_leave_their_sections_with_no_data(tmp_path: Path, no_browser) -> None:
    home = Home(tmp_path / "partial").ensure()
    missing = {"core.incidents", "core.quarantine", "meta.runs", "metrics.performance"}
    write_published(home.published, Spec(skip_tables=missing))
    markdown = render_report(home, REPORT_WEEK, None).markdown.read_text(encoding="utf-8")
    assert "No data: core.incidents is not published." in markdown
    assert "Quarantine: no data" in markdown
    assert "no data (meta.runs is not published)" in markdown
    assert "| Change fail rate | 14.0% |" in markdown  # metrics still shown, band a dash


def test_roadmap_section_appears_only_when_its_table_exists(
    report_home: Home, tmp_path: Path, no_browser
) -> None:
    with_roadmap = as_read(render_report(report_home, REPORT_WEEK, None).markdown.read_text())
    assert "## Roadmap progress" in with_roadmap
    assert "| golden path v2 | 0.60 |" in with_roadmap
    home = Home(tmp_path / "plain").ensure()
    write_published(home.published, Spec(roadmap=False))
    assert "Roadmap" not in render_report(home, REPORT_WEEK, None).markdown.read_text()


def test_band_comes_from_the_window_ending_with_the_report_week(
    report_home: Home, no_browser
) -> None:
    markdown = as_read(render_report(report_home, REPORT_WEEK, None).markdown.read_text())
    # A later window (to 2024-02-11, band low) exists; it must not judge week 5.
    assert "| Change fail rate | 14.0% | 8.0% | +6.0 pp | +9.5 pp | high (12 wk to 2024-02-04" in (
        markdown
    )


def test_manifest_reloads_the_result_for_delivery(report_home: Home, no_browser) -> None:
    result = render_report(report_home, REPORT_WEEK, None)
    loaded = ReportResult.load(result.out_dir)
    assert loaded.headlines == result.headlines
    assert loaded.markdown == result.markdown
    assert json.loads((result.out_dir / "manifest.json").read_text())["week"] == "2024-W05"


@pytest.mark.browser
@pytest.mark.skipif(find_browser() is None, reason="no Chromium: PNG and PDF need one")
def test_png_charts_and_pdf_are_produced_with_chromium(report_home: Home) -> None:
    result = render_report(report_home, REPORT_WEEK, None)
    assert set(result.pngs) == {"dora_trends", "other_trends"}
    for png in result.pngs.values():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result.pdf is not None and result.pdf.read_bytes()[:5] == b"%PDF-"
    assert result.warnings == []
    assert "![DORA trends](dora_trends.png)" in result.markdown.read_text()

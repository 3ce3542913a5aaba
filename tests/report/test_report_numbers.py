"""Every number the Markdown report prints is a stored value (or a difference of two)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import duckdb
import pytest

from pipelines.headlines import format_value
from pipelines.paths import Home
from pipelines.report.content import format_delta
from pipelines.report.render import render_report
from tests.report.fixtures import MONDAY, REPORT_WEEK


def as_read(markdown: str) -> str:
    """Markdown text as a reader sees it rendered: strings from data are backslash-escaped in the
    file (`INC\\-1`), so comparisons are made on the text without the escapes."""
    return re.sub(r"\\(.)", r"\1", markdown)


def md_table(markdown: str, heading: str) -> list[dict[str, str]]:
    """The first table under `## heading`, as dicts keyed by the header cells (as read)."""
    section = markdown.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = [ln for ln in section.splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split(" | ")]
    rows = []
    for line in lines[2:]:
        cells = [as_read(c.strip()) for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


class Stored:
    """Direct reads of the fixture warehouse, independent of the report's own reader."""

    def __init__(self, home: Home):
        con = duckdb.connect(str(home.published), read_only=True)
        try:
            self.values = {
                (m, g, p, s, i): v
                for m, g, p, s, i, v in con.execute(
                    "SELECT metric, grain, period_start, scope, scope_id, value "
                    "FROM metrics.metric_values"
                ).fetchall()
            }
            self.catalog = {
                label: (metric, unit)
                for metric, label, unit in con.execute(
                    "SELECT metric, label, unit FROM metrics.catalog"
                ).fetchall()
            }
        finally:
            con.close()

    def week(self, metric: str, monday: date, scope: str = "org", scope_id: str = "org"):
        return self.values[(metric, "week", monday, scope, scope_id)]


@pytest.fixture
def rendered(report_home: Home, no_browser: None) -> tuple[str, Stored]:
    result = render_report(report_home, REPORT_WEEK, None)
    return result.markdown.read_text(encoding="utf-8"), Stored(report_home)


def _delta(a: float | None, b: float | None, unit: str) -> str:
    return format_delta(None if a is None or b is None else a - b, unit)


def test_dora_table_prints_the_stored_values_and_their_differences(rendered) -> None:
    markdown, stored = rendered
    rows = md_table(markdown, "DORA metrics")
    assert [r["Metric"] for r in rows] == [
        "Deployment frequency", "Change lead time (median)", "Change fail rate",
        "Failed deployment recovery time", "Deployment rework rate", "Time to restore service",
    ]  # fmt: skip
    for row in rows:
        metric, unit = stored.catalog[row["Metric"]]
        now = stored.week(metric, MONDAY)
        before = stored.week(metric, MONDAY - timedelta(weeks=1))
        four = stored.week(metric, MONDAY - timedelta(weeks=4))
        assert row["This week"] == format_value(now, unit)
        assert row["Previous week"] == format_value(before, unit)
        assert row["Week on week"] == _delta(now, before, unit)
        assert row["4 weeks"] == _delta(now, four, unit)


def test_undefined_value_is_a_dash_never_zero(rendered) -> None:
    markdown, _ = rendered
    ttrs = next(r for r in md_table(markdown, "DORA metrics") if r["Metric"].startswith("Time"))
    assert ttrs["This week"] == "—"
    assert ttrs["Week on week"] == "—"


def test_other_metrics_table_uses_each_metrics_own_grain(rendered) -> None:
    markdown, stored = rendered
    rows = {r["Metric"]: r for r in md_table(markdown, "Adoption, onboarding and other metrics")}
    share = rows["Golden-path service share"]
    now = stored.week("golden_path_service_share", MONDAY)
    before = stored.week("golden_path_service_share", MONDAY - timedelta(weeks=1))
    assert share["Value"] == format_value(now, "ratio")
    assert share["Change"] == _delta(now, before, "ratio")
    onboarding = rows["Days to first commit"]
    jan = stored.values[
        ("onboarding_days_to_first_commit", "month", date(2024, 1, 1), "org", "org")
    ]
    dec = stored.values[
        ("onboarding_days_to_first_commit", "month", date(2023, 12, 1), "org", "org")
    ]
    assert onboarding["Period"] == "month 2024-01"
    assert onboarding["Value"] == format_value(jan, "days")
    assert onboarding["Previous"] == format_value(dec, "days")


def test_movers_are_stored_team_values_ranked_by_direction(rendered) -> None:
    markdown, stored = rendered
    rows = md_table(markdown, "Teams and services that moved most")
    cfr = next(r for r in rows if r["Metric"] == "Change fail rate" and r["Scope"] == "team")
    pay_now = stored.week("change_fail_rate", MONDAY, "team", "payments")
    pay_before = stored.week("change_fail_rate", MONDAY - timedelta(weeks=1), "team", "payments")
    # Lower is better: the payments team's rise is the worst move.
    assert cfr["Worsened most"] == (
        f"Payments: {format_value(pay_before, 'ratio')} → {format_value(pay_now, 'ratio')} "
        f"({_delta(pay_now, pay_before, 'ratio')})"
    )
    assert cfr["Improved most"].startswith("Search & Discovery: ")


def test_anomaly_range_is_min_and_max_of_the_previous_eight_stored_weeks(rendered) -> None:
    markdown, stored = rendered
    rows = md_table(markdown, "Anomalies")
    cfr = next(
        r for r in rows if r["Metric"] == "Change fail rate" and r["Scope"] == "the organisation"
    )
    past = [stored.week("change_fail_rate", MONDAY - timedelta(weeks=n)) for n in range(1, 9)]
    assert cfr["Value"] == format_value(stored.week("change_fail_rate", MONDAY), "ratio")
    assert cfr["Previous range"] == (
        f"{format_value(min(past), 'ratio')} to {format_value(max(past), 'ratio')}"
    )
    assert cfr["Side"] == "above (worse)"


def test_headline_sentence_is_generated_from_stored_figures(rendered) -> None:
    markdown, stored = rendered
    now = format_value(stored.week("change_fail_rate", MONDAY), "ratio")
    before = format_value(stored.week("change_fail_rate", MONDAY - timedelta(weeks=1)), "ratio")
    assert (
        f"- Change fail rate rose from {before} to {now} (a deterioration), driven by the "
        "Payments team (5.0% to 30.0%)." in as_read(markdown)
    )


def test_incidents_of_the_week_only_with_their_links(rendered) -> None:
    markdown, _ = rendered
    rows = md_table(markdown, "Incidents opened this week")
    assert [r["Incident"] for r in rows] == ["INC-1", "INC-2"]  # INC-0 opened the Sunday before
    assert rows[0]["Linked deployments"] == "dep-7 (explicit)"
    assert rows[0]["Team"] == "Payments"
    assert rows[1]["Resolved"] == "open"
    assert "a person wrote this" not in markdown  # free text may name people: never shown


def test_data_quality_counts_this_weeks_quarantine_and_last_run(rendered) -> None:
    markdown, _ = rendered
    assert "- Records in quarantine: 4 in total, 3 loaded this week." in markdown
    assert "- Last pipeline run: run-2, status success" in as_read(markdown)

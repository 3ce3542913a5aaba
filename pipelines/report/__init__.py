"""The weekly metric report: render from the published copy, then deliver by Slack and e-mail.

This package never imports dagster (it costs ~1.4 s): `pipelines.report.assets` is the only
module that does, and nothing here imports it.
"""

from __future__ import annotations

from pipelines.report.deliver import DeliveryOutcome, deliver_report, load_report_config
from pipelines.report.render import ReportResult, render_report
from pipelines.report.weeks import IsoWeek, WeekError, last_complete_week, parse_week

__all__ = [
    "DeliveryOutcome",
    "IsoWeek",
    "ReportResult",
    "WeekError",
    "deliver_report",
    "last_complete_week",
    "load_report_config",
    "parse_week",
    "render_report",
]

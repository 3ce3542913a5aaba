"""The Dagster code location: every asset, check and schedule of paved, and global policy.

Loading this module does no I/O, reads no secret and opens no connection.
"""

from __future__ import annotations

import dagster as dg

from pipelines.defs.checks import build_checks
from pipelines.defs.core import CORE_KEYS, core_tables
from pipelines.defs.ingest import meta_rules, raw_inbox
from pipelines.defs.platform import PLATFORM_ASSETS, PLATFORM_KEYS
from pipelines.defs.publish import published_warehouse
from pipelines.defs.resources import WarehouseResource
from pipelines.defs.schedules import DAILY_JOB, DAILY_SCHEDULE
from pipelines.defs.sources import SOURCE_ASSETS
from pipelines.defs.transform import MART_ASSETS, MART_KEYS, METRIC_KEYS, metric_tables
from pipelines.report.assets import REPORT_ASSETS, REPORT_JOB, REPORT_SCHEDULE

ASSETS = [
    raw_inbox,
    *SOURCE_ASSETS,
    meta_rules,
    core_tables,
    *MART_ASSETS,
    metric_tables,
    *PLATFORM_ASSETS,
    published_warehouse,
    *REPORT_ASSETS,
]
CHECKS = build_checks(
    {".".join(k.path) for k in [*CORE_KEYS, *MART_KEYS, *METRIC_KEYS, *PLATFORM_KEYS]}
)


@dg.definitions
def defs() -> dg.Definitions:
    """One in-process executor: DuckDB allows a single writer, and process start-up is costly."""
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        jobs=[DAILY_JOB, REPORT_JOB],
        schedules=[DAILY_SCHEDULE, REPORT_SCHEDULE],
        resources={"warehouse": WarehouseResource()},
        executor=dg.in_process_executor,
    )

"""The daily refresh of the whole graph."""

import dagster as dg

DAILY_JOB = dg.define_asset_job(
    "daily_refresh",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("reports"),
    description="Ingest every source and inbox, rebuild core, marts and metrics, then publish.",
)

DAILY_SCHEDULE = dg.ScheduleDefinition(
    name="daily_refresh_schedule",
    job=DAILY_JOB,
    cron_schedule="0 5 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day at 05:00 UTC, so the PM's morning dashboard shows yesterday.",
)

"""Dagster wiring of the weekly report: one partition per ISO week, render then deliver.

Why it looks like this:
- Weekly partitions start on Monday (`day_offset=1`; Dagster's default is Sunday) in UTC, the
  contract's week, so partition `2024-01-29` is report `2024-W05`, and re-sending a past week
  is a one-partition backfill (with `force` in the delivery config to override the ledger).
- Render and deliver are two assets, so a failed delivery never loses (or blocks) the rendered
  report, and a delivery can be retried alone.
- The schedule fires on Monday morning in `PAVED_REPORT_TZ` (default UTC) and asks for the
  previous ISO week. It is a plain ScheduleDefinition because `build_schedule_from_partitioned_
  job` ties the execution time zone to the partitions' (which must stay UTC). The time zone is
  read from the environment when the definitions load: a schedule's zone is part of its
  definition. Nothing else happens at import: no file, no connection, no secret.
- This is the only report module that imports dagster; the renderer stays fast without it.
"""

import os
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dagster as dg

from pipelines.paths import home as resolve_home
from pipelines.report.weeks import IsoWeek, parse_week

START_DATE = "2023-01-02"  # a Monday: the first week that can be rendered or backfilled
SCHEDULE_HOUR = 7  # local time; after the 05:00 UTC daily refresh for zones at or west of UTC
GROUP = "reports"
PUBLISH_KEY = dg.AssetKey(["publish", "warehouse"])

WEEKLY_PARTITIONS = dg.WeeklyPartitionsDefinition(
    start_date=START_DATE, day_offset=1, timezone="UTC"
)


class DeliveryConfig(dg.Config):
    """Run config of the delivery asset."""

    force: bool = False  # resend even if the ledger says this week was delivered


def _report_config() -> dict:
    """The `[report]` table: PAVED_CONFIG, else `<home>/paved.toml` (run time, not import)."""
    from pipelines.report.deliver import load_report_config

    explicit = os.environ.get("PAVED_CONFIG", "")
    path = explicit or str(resolve_home().root / "paved.toml")
    return load_report_config(path)


@dg.asset(
    key=["reports", "weekly_report"],
    partitions_def=WEEKLY_PARTITIONS,
    group_name=GROUP,
    deps=[PUBLISH_KEY],
    kinds={"html", "pdf"},
)
def weekly_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """One report per ISO week (HTML, Markdown, PNG charts, PDF) from the published copy."""
    from pipelines.report.render import render_report

    week = parse_week(context.partition_key)
    result = render_report(resolve_home().ensure(), week.key, None)
    for warning in result.warnings:
        context.log.warning(warning)
    return dg.MaterializeResult(
        metadata={
            "week": result.week,
            "path": dg.MetadataValue.path(str(result.out_dir)),
            "empty": result.empty,
            "headlines": dg.MetadataValue.md("\n".join(f"- {h}" for h in result.headlines)),
            "bytes": dg.MetadataValue.json(result.sizes),
            "seconds": dg.MetadataValue.json(result.timings),
        }
    )


@dg.asset(
    key=["reports", "weekly_delivery"],
    partitions_def=WEEKLY_PARTITIONS,
    group_name=GROUP,
    deps=[weekly_report],
    kinds={"slack", "email"},
)
def weekly_delivery(
    context: dg.AssetExecutionContext, config: DeliveryConfig
) -> dg.MaterializeResult:
    """The week's report sent once per channel (Slack, e-mail), recorded in the state ledger."""
    from pipelines.report.deliver import deliver_report
    from pipelines.report.render import ReportResult

    week = parse_week(context.partition_key)
    home = resolve_home().ensure()
    result = ReportResult.load(home.reports_dir / week.key)
    outcomes = deliver_report(home, result, _report_config(), config.force)
    summary = {o.channel: f"{o.status} ({o.attempts} attempts): {o.message}" for o in outcomes}
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise dg.Failure(
            description="; ".join(f"{o.channel}: {o.message}" for o in failed),
            metadata={"outcomes": dg.MetadataValue.json(summary)},
        )
    return dg.MaterializeResult(metadata={"outcomes": dg.MetadataValue.json(summary)})


REPORT_ASSETS = [weekly_report, weekly_delivery]

REPORT_JOB = dg.define_asset_job(
    "weekly_report_job",
    selection=dg.AssetSelection.assets(*REPORT_ASSETS),  # partitioning inferred from them
    description="Render one week's report, then deliver it (one partition per ISO week).",
)


def previous_week(scheduled: datetime, timezone: str) -> IsoWeek:
    """The ISO week before the scheduled local date: what a Monday-morning reader expects."""
    local = scheduled.astimezone(ZoneInfo(timezone))
    return IsoWeek.containing(local.date()).shift(-1)


def build_report_schedule(
    timezone: str = "UTC", hour: int = SCHEDULE_HOUR
) -> dg.ScheduleDefinition:
    """Monday at `hour` in `timezone`, requesting the previous week's partition."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"PAVED_REPORT_TZ={timezone!r} is not a time zone: use an IANA name such as "
            "Europe/Paris"
        ) from exc

    def _evaluate(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        scheduled = context.scheduled_execution_time or datetime.now(UTC)
        if scheduled.tzinfo is None:
            scheduled = scheduled.replace(tzinfo=ZoneInfo(timezone))
        week = previous_week(scheduled, timezone)
        week_end = datetime.combine(week.end, time(0), tzinfo=UTC)
        if scheduled.astimezone(UTC) < week_end:
            # East of UTC, Monday morning can come before the UTC week has ended.
            return dg.SkipReason(
                f"{week.key} has not ended in UTC at {scheduled.isoformat()}: schedule the "
                "report later on Monday in this time zone"
            )
        return dg.RunRequest(run_key=week.partition_key, partition_key=week.partition_key)

    return dg.ScheduleDefinition(
        name="weekly_report_schedule",
        job=REPORT_JOB,
        cron_schedule=f"0 {hour} * * 1",
        execution_timezone=timezone,
        execution_fn=_evaluate,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            f"Mondays at {hour:02d}:00 {timezone}: render and deliver the previous ISO week."
        ),
    )


REPORT_SCHEDULE = build_report_schedule(os.environ.get("PAVED_REPORT_TZ") or "UTC")

__all__ = [
    "REPORT_ASSETS",
    "REPORT_JOB",
    "REPORT_SCHEDULE",
    "WEEKLY_PARTITIONS",
    "build_report_schedule",
    "previous_week",
    "weekly_delivery",
    "weekly_report",
]

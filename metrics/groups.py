"""Named groups of metrics that several readers show together, defined once."""

DORA_METRICS: tuple[str, ...] = (
    "deployment_frequency",
    "change_lead_time",
    "change_fail_rate",
    "failed_deployment_recovery_time",
    "deployment_rework_rate",
    "time_to_restore_service",
)
"""The DORA set in display order (tiles, report section, headlines); a metric missing from the
catalog is skipped by every reader."""

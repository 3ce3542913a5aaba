"""Example questions and their SQL, written against the stable tables; read by the SQL page
and by docs/sql.md (generated), so the two always show the same examples.

Each is a starting point to edit, so each says in a comment what it answers and which rule it
relies on. They read only the tables of the contract (§2: core, marts, metrics) and are run on a
pipeline-built warehouse by the tests, so a renamed column fails a test, not a user.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    """One example: a short title for the picker and the SQL it loads into the editor."""

    key: str
    title: str
    sql: str


EXAMPLES: tuple[Example, ...] = (
    Example(
        "deployments_per_team_last_quarter",
        "Deployments per team, last quarter",
        """\
-- Counted production deployments per team in the previous calendar quarter,
-- with how many of them failed (marts.deployments says why each counted or failed).
SELECT
    d.team_id,
    any_value(t.name) AS team,
    count(*) AS deployments,
    count(*) FILTER (WHERE d.is_failure) AS failed_deployments
FROM marts.deployments AS d
LEFT JOIN core.teams AS t USING (team_id)
WHERE d.is_counted
  AND d.finished_at >= date_trunc('quarter', current_date) - INTERVAL 3 MONTH
  AND d.finished_at < date_trunc('quarter', current_date)
GROUP BY d.team_id
ORDER BY deployments DESC""",
    ),
    Example(
        "lead_time_got_worse",
        "Teams whose lead time got worse",
        """\
-- Teams whose median change lead time in the last complete month is higher than in
-- the month before (stored monthly medians from metrics.metric_values, in hours).
WITH months AS (
    SELECT period_start
    FROM metrics.calendar
    WHERE grain = 'month' AND is_complete
    ORDER BY period_start DESC
    LIMIT 2
),
lead_time AS (
    SELECT scope_id AS team_id, period_start, value
    FROM metrics.metric_values
    WHERE metric = 'change_lead_time' AND grain = 'month' AND scope = 'team'
      AND period_start IN (SELECT period_start FROM months)
)
SELECT
    latest.team_id,
    earlier.period_start AS earlier_month,
    earlier.value AS earlier_median_hours,
    latest.period_start AS latest_month,
    latest.value AS latest_median_hours,
    latest.value - earlier.value AS change_hours
FROM lead_time AS latest
JOIN lead_time AS earlier
    ON earlier.team_id = latest.team_id AND earlier.period_start < latest.period_start
WHERE latest.value > earlier.value
ORDER BY change_hours DESC""",
    ),
    Example(
        "new_hires_not_deployed",
        "New hires not yet deployed after two weeks",
        """\
-- Per team: engineers who started between 14 and 90 days ago, are still here, and have
-- no change in production yet (marts.onboarding milestone first_production_deploy).
-- Counted per team, never listed by name: paved does not rank or single out individuals.
WITH new_hires AS (
    SELECT engineer_id, team_id
    FROM core.engineers
    WHERE start_date BETWEEN current_date - 90 AND current_date - 14
      AND (end_date IS NULL OR end_date >= current_date)
),
deployed AS (
    SELECT DISTINCT engineer_id
    FROM marts.onboarding
    WHERE milestone = 'first_production_deploy'
)
SELECT
    h.team_id,
    count(*) AS new_hires,
    count(*) FILTER (WHERE d.engineer_id IS NULL) AS not_yet_deployed
FROM new_hires AS h
LEFT JOIN deployed AS d USING (engineer_id)
GROUP BY h.team_id
ORDER BY not_yet_deployed DESC, h.team_id""",
    ),
    Example(
        "weekly_deployments",
        "Weekly deployment frequency (organisation)",
        """\
-- Counted production deployments per ISO week for the whole organisation.
-- Weeks with no deployment are present with 0 (metrics.metric_values is on a calendar).
SELECT period_start AS week, value AS deployments
FROM metrics.metric_values
WHERE metric = 'deployment_frequency' AND grain = 'week' AND scope = 'org'
ORDER BY week""",
    ),
    Example(
        "change_fail_rate_by_service",
        "Change fail rate per service, last 12 weeks",
        """\
-- Change fail rate per service over the last 12 complete weeks: ratios are re-divided
-- from the stored numerators and denominators, never averaged.
WITH last_week AS (
    SELECT max(period_start) AS week
    FROM metrics.calendar
    WHERE grain = 'week' AND is_complete
)
SELECT
    v.scope_id AS service_id,
    sum(v.numerator) AS failed_deployments,
    sum(v.denominator) AS deployments,
    sum(v.numerator) / nullif(sum(v.denominator), 0) AS change_fail_rate
FROM metrics.metric_values AS v, last_week AS w
WHERE v.metric = 'change_fail_rate' AND v.grain = 'week' AND v.scope = 'service'
  AND v.period_start > w.week - INTERVAL 12 WEEK AND v.period_start <= w.week
GROUP BY v.scope_id
ORDER BY change_fail_rate DESC NULLS LAST""",
    ),
    Example(
        "failures_last_week",
        "Why deployments failed, last week",
        """\
-- Failed counted deployments of the last complete ISO week, with the rule that fired
-- (an incident naming it, an incident opened after it, or a rollback).
SELECT deployment_id, service_id, team_id, finished_at, failure_reason
FROM marts.deployments
WHERE is_failure
  AND finished_at >= date_trunc('week', current_date) - INTERVAL 7 DAY
  AND finished_at < date_trunc('week', current_date)
ORDER BY finished_at""",
    ),
    Example(
        "tables_and_columns",
        "Tables and columns you can query",
        """\
-- Every table and column of the published warehouse, with its type.
SELECT table_schema, table_name, column_name, data_type
FROM information_schema.columns
ORDER BY table_schema, table_name, ordinal_position""",
    ),
    Example(
        "team_bands",
        "Each team's DORA band over the trailing window",
        """\
-- metrics.performance judges each scope over the trailing window (meta.rules.band_window_weeks)
-- against the State of DevOps bands of meta.rules.band_year.
SELECT scope_id AS team_id, metric, round(value, 2) AS value, band, window_start, window_end
FROM metrics.performance
WHERE scope = 'team'
ORDER BY team_id, metric""",
    ),
    Example(
        "quarantine_by_reason",
        "Records held in quarantine, by entity and reason",
        """\
-- Every record that failed validation stays in core.quarantine with every reason and the
-- file:line or request it came from; fix the source and load it again.
SELECT entity, reason, count(*) AS records, min(origin) AS first_seen_in
FROM core.quarantine
GROUP BY ALL
ORDER BY records DESC""",
    ),
)

EXAMPLE_BY_KEY = {example.key: example for example in EXAMPLES}

"""Example questions a platform PM asks, with the SQL that answers them.

One list, read by `docs/sql.md` (generated) and the dashboard's SQL page; a test runs every
query on a real warehouse so an example can never go stale. Team level only: no query here
names or ranks individuals.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    title: str
    sql: str


EXAMPLES: tuple[Example, ...] = (
    Example(
        "Deployments to production per team in the last complete quarter",
        """\
WITH last_quarter AS (
    SELECT date_trunc('quarter', max(finished_at)) - INTERVAL 3 MONTH AS q_start,
           date_trunc('quarter', max(finished_at)) AS q_end
    FROM marts.deployments
)
SELECT coalesce(t.name, d.team_id) AS team, count(*) AS deployments
FROM marts.deployments d
CROSS JOIN last_quarter q
LEFT JOIN core.teams t ON t.team_id = d.team_id
WHERE d.is_counted AND d.finished_at >= q.q_start AND d.finished_at < q.q_end
GROUP BY ALL
ORDER BY deployments DESC""",
    ),
    Example(
        "Teams whose median lead time got worse: last 4 weeks against the 4 before",
        """\
WITH weeks AS (
    SELECT max(period_start) AS last_week FROM metrics.metric_values
    WHERE metric = 'change_lead_time' AND grain = 'week' AND value IS NOT NULL
), per_team AS (
    SELECT v.scope_id AS team_id,
           avg(v.value) FILTER (WHERE v.period_start > w.last_week - INTERVAL 28 DAY) AS recent,
           avg(v.value) FILTER (WHERE v.period_start <= w.last_week - INTERVAL 28 DAY) AS before
    FROM metrics.metric_values v CROSS JOIN weeks w
    WHERE v.metric = 'change_lead_time' AND v.grain = 'week' AND v.scope = 'team'
      AND v.period_start > w.last_week - INTERVAL 56 DAY
    GROUP BY ALL
)
SELECT team_id, round(before, 1) AS hours_before, round(recent, 1) AS hours_recent,
       round(recent - before, 1) AS change_hours
FROM per_team
WHERE recent > before
ORDER BY change_hours DESC""",
    ),
    Example(
        "New hires not yet deployed to production after two weeks, counted per team",
        """\
WITH horizon AS (SELECT max(finished_at)::DATE AS today FROM marts.deployments)
SELECT e.team_id, count(*) AS new_hires_not_deployed
FROM core.engineers e
CROSS JOIN horizon h
WHERE e.start_date BETWEEN h.today - INTERVAL 90 DAY AND h.today - INTERVAL 14 DAY
  AND (e.end_date IS NULL OR e.end_date >= h.today)
  AND NOT EXISTS (
      SELECT 1 FROM marts.onboarding o
      WHERE o.engineer_id = e.engineer_id AND o.milestone = 'first_production_deploy')
GROUP BY ALL
ORDER BY new_hires_not_deployed DESC""",
    ),
    Example(
        "Each team's DORA band over the trailing window",
        """\
SELECT scope_id AS team_id, metric, round(value, 2) AS value, band, window_start, window_end
FROM metrics.performance
WHERE scope = 'team'
ORDER BY team_id, metric""",
    ),
    Example(
        "Why did deployments fail last week? The rule that fired for each",
        """\
SELECT deployment_id, service_id, finished_at, failure_reason
FROM marts.deployments
WHERE is_failure
  AND finished_at >= (SELECT max(period_start) FROM metrics.metric_values WHERE grain = 'week')
ORDER BY finished_at""",
    ),
    Example(
        "Records held in quarantine, by entity and reason",
        """\
SELECT entity, reason, count(*) AS records, min(origin) AS first_seen_in
FROM core.quarantine
GROUP BY ALL
ORDER BY records DESC""",
    ),
)

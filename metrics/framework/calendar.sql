-- metrics.calendar: the time spine, one row per (grain, period): every ISO week (Monday) and
-- every month start from the first to the last event date of the marts (deployments, incidents
-- opened or resolved, onboarding cohorts). period_end is exclusive; is_complete says whether the
-- period ended on or before $as_of.
CREATE OR REPLACE TABLE metrics.calendar AS
WITH events AS (
    SELECT finished_at AS ts FROM marts.deployments
    UNION ALL SELECT opened_at FROM marts.incident_links
    UNION ALL SELECT resolved_at FROM marts.incident_links
    UNION ALL SELECT cohort_month::TIMESTAMP FROM marts.onboarding
),
bounds AS (
    SELECT min(ts)::DATE AS first_day, max(ts)::DATE AS last_day FROM events
),
weeks AS (
    SELECT 'week' AS grain, t.d::DATE AS period_start, (t.d + INTERVAL 7 DAY)::DATE AS period_end
    FROM bounds,
        range(date_trunc('week', first_day)::TIMESTAMP, (last_day + 1)::TIMESTAMP,
              INTERVAL 7 DAY) AS t(d)
    WHERE first_day IS NOT NULL
),
months AS (
    SELECT 'month' AS grain, t.d::DATE AS period_start,
           (t.d + INTERVAL 1 MONTH)::DATE AS period_end
    FROM bounds,
        range(date_trunc('month', first_day)::TIMESTAMP, (last_day + 1)::TIMESTAMP,
              INTERVAL 1 MONTH) AS t(d)
    WHERE first_day IS NOT NULL
)
SELECT grain, period_start, period_end, period_end <= $as_of::DATE AS is_complete
FROM (SELECT * FROM weeks UNION ALL SELECT * FROM months)
ORDER BY grain, period_start;

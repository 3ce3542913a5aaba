-- The trailing window for performance bands: rules.band_window_weeks ISO weeks ending with the
-- last complete week. The last complete week is the earlier of: the last week that ended before
-- $as_of, and the week of the last deployment or incident (so a history that stopped in the past
-- is judged on its own last weeks, not on empty weeks after it). window_end is inclusive (Sunday).
CREATE OR REPLACE TEMP TABLE performance_window AS
WITH last_event AS (
    SELECT max(ts) AS ts FROM (
        SELECT finished_at AS ts FROM marts.deployments
        UNION ALL SELECT opened_at FROM marts.incident_links
        UNION ALL SELECT resolved_at FROM marts.incident_links
    )
),
window_end AS (
    SELECT least(
        date_trunc('week', $as_of::TIMESTAMP),
        coalesce(date_trunc('week', l.ts) + INTERVAL 7 DAY, date_trunc('week', $as_of::TIMESTAMP))
    )::TIMESTAMP AS end_exclusive
    FROM last_event AS l
)
SELECT
    (w.end_exclusive - to_days(7 * r.band_window_weeks))::DATE AS window_start,
    (w.end_exclusive - INTERVAL 1 DAY)::DATE AS window_end,
    (w.end_exclusive - to_days(7 * r.band_window_weeks)) AS start_ts,
    w.end_exclusive AS end_ts,
    r.band_window_weeks AS weeks,
    r.band_year
FROM window_end AS w
CROSS JOIN (SELECT band_window_weeks, band_year FROM meta.rules LIMIT 1) AS r;

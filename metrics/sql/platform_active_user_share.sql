-- A state per (grain, period, engineer employed in the period: start_date on or before its last
-- day, end_date empty or on or after its first): numerator 1 when the engineer (resolved through
-- their aliases) used the platform in the period, denominator 1, for the engineer's team.
WITH active AS (
    SELECT DISTINCT g.grain,
        CASE g.grain WHEN 'week' THEN date_trunc('week', occurred_at)
                     ELSE date_trunc('month', occurred_at) END::DATE AS period_start,
        engineer_id
    FROM marts.platform_events
    CROSS JOIN (SELECT unnest(['week', 'month']) AS grain) AS g
    WHERE engineer_id IS NOT NULL
)
SELECT
    c.period_start::TIMESTAMP AS event_at,
    NULL::VARCHAR AS service_id,
    e.team_id,
    CASE WHEN a.engineer_id IS NOT NULL THEN 1.0 ELSE 0.0 END AS value,
    1.0 AS denominator,
    c.grain
FROM metrics.calendar AS c
JOIN core.engineers AS e
    ON e.start_date < c.period_end AND (e.end_date IS NULL OR e.end_date >= c.period_start)
LEFT JOIN active AS a
    ON a.grain = c.grain AND a.period_start = c.period_start AND a.engineer_id = e.engineer_id

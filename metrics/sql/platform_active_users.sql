-- A state per (grain, period, actor): each distinct actor with at least one platform event in
-- the period, once, for their team (the engineer's team, else the event's). per_grain: one row
-- per period of each grain, so a month counts each user once, not once per week.
SELECT
    CASE g.grain WHEN 'week' THEN date_trunc('week', p.occurred_at)
                 ELSE date_trunc('month', p.occurred_at) END::TIMESTAMP AS event_at,
    NULL::VARCHAR AS service_id,
    min(p.actor_team_id) AS team_id,
    NULL::DOUBLE AS value,
    NULL::DOUBLE AS denominator,
    g.grain
FROM marts.platform_events AS p
CROSS JOIN (SELECT unnest(['week', 'month']) AS grain) AS g
WHERE p.actor IS NOT NULL
GROUP BY g.grain, event_at, p.actor

-- marts.capability_usage: use of each platform capability per ISO week x capability x team
-- (marts.platform_events by occurred_at): events through self-service and through tickets, and
-- the distinct actors. team_id is the event's team, else the team of the service it names, else
-- the team of the engineer who acted; NULL when none is known.

CREATE OR REPLACE TABLE marts.capability_usage AS
WITH events AS (
    SELECT date_trunc('week', occurred_at)::DATE AS week, capability, team_id, channel, actor,
           duration_s
    FROM marts.platform_events
)
SELECT
    week,
    capability,
    team_id,
    count(*) AS events,
    count(*) FILTER (WHERE channel = 'self_service') AS self_service,
    count(*) FILTER (WHERE channel = 'ticket') AS ticket,
    count(*) FILTER (WHERE channel = 'self_service') / count(*) AS self_service_share,
    count(DISTINCT actor) AS actors,
    quantile_cont(duration_s, 0.5) FILTER (WHERE channel = 'self_service')
        AS self_service_median_s,
    quantile_cont(duration_s, 0.5) FILTER (WHERE channel = 'ticket') AS ticket_median_s
FROM events
GROUP BY week, capability, team_id
ORDER BY week, capability, team_id;

COMMENT ON TABLE marts.capability_usage IS 'Use of each platform capability per ISO week x capability x team, by channel. Key: week, capability, team_id.';
COMMENT ON COLUMN marts.capability_usage.week IS 'ISO week (Monday) of occurred_at';
COMMENT ON COLUMN marts.capability_usage.capability IS 'platform capability (service_template, environment, pipeline, secrets, ...)';
COMMENT ON COLUMN marts.capability_usage.team_id IS 'the event''s team, else the named service''s team, else the acting engineer''s team';
COMMENT ON COLUMN marts.capability_usage.events IS 'platform events';
COMMENT ON COLUMN marts.capability_usage.self_service IS 'events with channel self_service';
COMMENT ON COLUMN marts.capability_usage.ticket IS 'events with channel ticket';
COMMENT ON COLUMN marts.capability_usage.self_service_share IS 'self_service / events';
COMMENT ON COLUMN marts.capability_usage.actors IS 'distinct actors (engineers resolved through their aliases)';
COMMENT ON COLUMN marts.capability_usage.self_service_median_s IS 'median duration_s of self-service events';
COMMENT ON COLUMN marts.capability_usage.ticket_median_s IS 'median duration_s of ticket events (the wait)';

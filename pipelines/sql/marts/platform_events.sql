-- marts.platform_events: one row per platform event (core.platform_events) with the engineer
-- who acted (resolved through their aliases, like commit authors) and the team it counts for:
-- the event's team, else the team of the service it names, else the acting engineer's team.
-- actor is the engineer_id when resolved, else the lower-cased actor_id (a bot or a contractor
-- is still a platform user); actor_team_id is the engineer's team, else team_id.

CREATE OR REPLACE TABLE marts.platform_events AS
SELECT
    p.event_id,
    p.occurred_at,
    p.capability,
    p.action,
    coalesce(p.channel, 'self_service') AS channel,
    p.status,
    p.duration_s,
    p.service_id,
    coalesce(p.team_id, s.team_id, e.team_id) AS team_id,
    a.engineer_id,
    coalesce(a.engineer_id, lower(p.actor_id)) AS actor,
    coalesce(e.team_id, p.team_id, s.team_id) AS actor_team_id
FROM core.platform_events AS p
LEFT JOIN core.services AS s USING (service_id)
LEFT JOIN core.engineer_aliases AS a ON a.alias = lower(p.actor_id)
LEFT JOIN core.engineers AS e ON e.engineer_id = a.engineer_id
ORDER BY p.occurred_at, p.event_id;

COMMENT ON TABLE marts.platform_events IS 'One row per use of a platform capability, with the resolved engineer and the team it counts for. Key: event_id.';
COMMENT ON COLUMN marts.platform_events.event_id IS 'core.platform_events.event_id';
COMMENT ON COLUMN marts.platform_events.occurred_at IS 'UTC';
COMMENT ON COLUMN marts.platform_events.capability IS 'platform capability';
COMMENT ON COLUMN marts.platform_events.action IS 'what was done';
COMMENT ON COLUMN marts.platform_events.channel IS 'self_service (default) or ticket';
COMMENT ON COLUMN marts.platform_events.status IS 'as reported';
COMMENT ON COLUMN marts.platform_events.duration_s IS 'seconds from request to done (the wait, for a ticket)';
COMMENT ON COLUMN marts.platform_events.service_id IS 'service named by the event';
COMMENT ON COLUMN marts.platform_events.team_id IS 'the event''s team, else the named service''s, else the acting engineer''s';
COMMENT ON COLUMN marts.platform_events.engineer_id IS 'the acting engineer, resolved through aliases; NULL for bots and contractors';
COMMENT ON COLUMN marts.platform_events.actor IS 'engineer_id, else the lower-cased actor_id';
COMMENT ON COLUMN marts.platform_events.actor_team_id IS 'the acting engineer''s team, else team_id';

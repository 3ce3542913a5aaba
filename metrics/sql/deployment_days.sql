-- Days with at least one counted deployment: the events are the counted deployments,
-- counted by distinct UTC date of finished_at (kind distinct_days).
SELECT
    finished_at AS event_at,
    service_id,
    team_id,
    NULL::DOUBLE AS value,
    NULL::DOUBLE AS denominator
FROM marts.deployments
WHERE is_counted

-- Counted deployments (successful production deployments), placed by finished_at.
-- Also the events of deployment_days (kind distinct_days: days with at least one).
SELECT
    finished_at AS event_at,
    service_id,
    team_id,
    NULL::DOUBLE AS value,
    NULL::DOUBLE AS denominator
FROM marts.deployments
WHERE is_counted

-- One event per counted deployment, in the period of its finished_at: numerator 1 when it
-- failed (an incident names it or is attributed to it, or a rollback followed it), denominator 1.
SELECT
    finished_at AS event_at,
    service_id,
    team_id,
    CASE WHEN is_failure THEN 1.0 ELSE 0.0 END AS value,
    1.0 AS denominator
FROM marts.deployments
WHERE is_counted

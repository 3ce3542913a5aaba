-- One event per counted deployment, placed by finished_at: numerator 1 when it went through the
-- platform (via_platform true), denominator 1.
SELECT
    finished_at AS event_at,
    service_id,
    team_id,
    CASE WHEN via_platform THEN 1.0 ELSE 0.0 END AS value,
    1.0 AS denominator
FROM marts.deployments
WHERE is_counted

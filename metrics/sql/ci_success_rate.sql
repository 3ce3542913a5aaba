-- One event per conclusive CI run (status success, failure or timed_out; every attempt),
-- placed by started_at: numerator 1 when it succeeded, denominator 1.
SELECT
    started_at AS event_at,
    NULL::VARCHAR AS service_id,
    team_id,
    CASE WHEN is_success THEN 1.0 ELSE 0.0 END AS value,
    1.0 AS denominator
FROM marts.ci_runs
WHERE is_conclusive

-- One event per CI run, placed by started_at: numerator 1 when it is a re-run (attempt > 1),
-- denominator 1.
SELECT
    started_at AS event_at,
    NULL::VARCHAR AS service_id,
    team_id,
    CASE WHEN is_rerun THEN 1.0 ELSE 0.0 END AS value,
    1.0 AS denominator
FROM marts.ci_runs

-- One event per CI run (every attempt), placed by started_at: numerator 1 when the run is the
-- platform's standard pipeline (golden_path true), denominator 1.
SELECT
    started_at AS event_at,
    NULL::VARCHAR AS service_id,
    team_id,
    CASE WHEN golden_path THEN 1.0 ELSE 0.0 END AS value,
    1.0 AS denominator
FROM marts.ci_runs

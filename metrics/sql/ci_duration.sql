-- One event per finished CI run, placed by started_at: finished_at - started_at in minutes
-- (NULL when unknown or negative; not in the sample).
SELECT
    started_at AS event_at,
    NULL::VARCHAR AS service_id,
    team_id,
    duration_minutes AS value,
    NULL::DOUBLE AS denominator
FROM marts.ci_runs
WHERE status NOT IN ('skipped', 'in_progress')

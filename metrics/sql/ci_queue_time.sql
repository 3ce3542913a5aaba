-- One event per CI run with a known queue time, placed by started_at: started_at - queued_at
-- in minutes.
SELECT
    started_at AS event_at,
    NULL::VARCHAR AS service_id,
    team_id,
    queue_minutes AS value,
    NULL::DOUBLE AS denominator
FROM marts.ci_runs

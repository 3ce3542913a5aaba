-- One event per change (shipped pull request or trunk commit) at its first counted deployment:
-- deployed_at minus the earliest authored_at of its commits, in hours (NULL when negative or
-- when none of its commits is known; such changes are not in the sample).
SELECT
    deployed_at AS event_at,
    service_id,
    team_id,
    lead_time_hours AS value,
    NULL::DOUBLE AS denominator
FROM marts.changes

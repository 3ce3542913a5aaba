-- One event per completed recovery of a failed counted deployment (each failure cause: an
-- incident, resolved_at - opened_at; a rollback, its finished_at - the failed deployment's),
-- placed by recovered_at. Unresolved incidents are not recoveries yet.
SELECT
    recovered_at AS event_at,
    service_id,
    team_id,
    recovery_hours AS value,
    NULL::DOUBLE AS denominator
FROM marts.failure_recoveries
WHERE recovered_at IS NOT NULL

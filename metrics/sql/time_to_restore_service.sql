-- One event per resolved incident that counts (severity rule), linked to a deployment or not,
-- placed by resolved_at: resolved_at - opened_at in hours (NULL when negative).
SELECT
    resolved_at AS event_at,
    service_id,
    team_id,
    CASE WHEN resolved_at >= opened_at
        THEN date_diff('microsecond', opened_at, resolved_at) / 3600e6 END AS value,
    NULL::DOUBLE AS denominator
FROM marts.incident_links
WHERE is_counted AND resolved_at IS NOT NULL

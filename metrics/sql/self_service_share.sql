-- One event per platform event, placed by occurred_at: numerator 1 when it was self-service,
-- denominator 1. Per capability: marts.capability_usage.
SELECT
    occurred_at AS event_at,
    NULL::VARCHAR AS service_id,
    team_id,
    CASE WHEN channel = 'self_service' THEN 1.0 ELSE 0.0 END AS value,
    1.0 AS denominator
FROM marts.platform_events

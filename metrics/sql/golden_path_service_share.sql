-- A state per (grain, period, service): every catalogued service created before the period's
-- end (created_at unknown: from the first period), value 1 when it was created from a
-- golden-path template. per_grain: the calendar is crossed here, event_at is the period start.
SELECT
    c.period_start::TIMESTAMP AS event_at,
    s.service_id,
    s.team_id,
    CASE WHEN s.has_template THEN 1.0 ELSE 0.0 END AS value,
    1.0 AS denominator,
    c.grain
FROM metrics.calendar AS c
JOIN marts.catalogue_completeness AS s
    ON s.created_at IS NULL OR s.created_at < c.period_end::TIMESTAMP

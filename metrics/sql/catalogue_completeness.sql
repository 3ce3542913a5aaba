-- A state per (grain, period, service): every catalogued service created before the period's
-- end (created_at unknown: from the first period), value its completeness score (share of owner
-- team, tier, lifecycle, repository and template recorded), denominator 1: the ratio is the
-- mean score. Catalogue fields carry no history, so past periods use today's catalogue.
SELECT
    c.period_start::TIMESTAMP AS event_at,
    s.service_id,
    s.team_id,
    s.completeness AS value,
    1.0 AS denominator,
    c.grain
FROM metrics.calendar AS c
JOIN marts.catalogue_completeness AS s
    ON s.created_at IS NULL OR s.created_at < c.period_end::TIMESTAMP

-- Aggregates the events of one metric (temp view metric_events, from metrics/sql/<metric>.sql)
-- into metrics.metric_values for every (grain, period, scope) of the spine: calendar x scopes,
-- restricted to the metric's grains and scopes. Parameters: $metric, $kind, $quantile,
-- $grains, $scopes, $private. Empty periods: counts 0; ratios numerator 0, denominator 0,
-- value NULL; quantiles NULL with sample_size 0. Rows with a grain (per_grain metrics: states
-- measured per period) count only in periods of that grain.
INSERT INTO metrics.metric_values
WITH events AS (
    SELECT event_at, service_id, team_id, value::DOUBLE AS value,
           denominator::DOUBLE AS denominator, grain::VARCHAR AS grain
    FROM metric_events
    WHERE event_at IS NOT NULL
),
scoped AS (
    SELECT 'service' AS scope, service_id AS scope_id, * EXCLUDE (service_id, team_id)
    FROM events WHERE service_id IS NOT NULL
    UNION ALL
    SELECT 'team' AS scope, team_id AS scope_id, * EXCLUDE (service_id, team_id)
    FROM events WHERE team_id IS NOT NULL
    UNION ALL
    SELECT 'org' AS scope, 'org' AS scope_id, * EXCLUDE (service_id, team_id)
    FROM events
),
periods AS (
    SELECT s.* EXCLUDE (grain), g.grain,
           CASE g.grain WHEN 'week' THEN date_trunc('week', s.event_at)
                        ELSE date_trunc('month', s.event_at) END::DATE AS period_start
    FROM scoped AS s
    CROSS JOIN (SELECT unnest($grains::VARCHAR[]) AS grain) AS g
    WHERE list_contains($scopes::VARCHAR[], s.scope)
      AND (s.grain IS NULL OR s.grain = g.grain)
),
agg AS (
    SELECT
        grain, period_start, scope, scope_id,
        count(*) AS events,
        count(DISTINCT event_at::DATE) AS days,
        count(value) AS samples,
        sum(value) AS numerator,
        sum(denominator) AS denominator,
        quantile_cont(value, $quantile::DOUBLE) AS quantile
    FROM periods
    GROUP BY grain, period_start, scope, scope_id
),
spine AS (
    SELECT c.grain, c.period_start, s.scope, s.scope_id
    FROM metrics.calendar AS c
    CROSS JOIN marts.scopes AS s
    WHERE list_contains($grains::VARCHAR[], c.grain)
      AND list_contains($scopes::VARCHAR[], s.scope)
)
SELECT
    $metric AS metric,
    sp.grain,
    sp.period_start,
    sp.scope,
    sp.scope_id,
    CASE $kind
        WHEN 'count' THEN coalesce(a.events, 0)
        WHEN 'distinct_days' THEN coalesce(a.days, 0)
        WHEN 'ratio' THEN a.numerator / nullif(a.denominator, 0)
        WHEN 'quantile' THEN
            CASE WHEN NOT $private OR coalesce(a.samples, 0) >= r.min_group_size
                THEN a.quantile END
    END::DOUBLE AS value,
    CASE WHEN $kind = 'ratio' THEN coalesce(a.numerator, 0) END::DOUBLE AS numerator,
    CASE WHEN $kind = 'ratio' THEN coalesce(a.denominator, 0) END::DOUBLE AS denominator,
    CASE WHEN $kind = 'quantile' THEN coalesce(a.samples, 0)
         ELSE coalesce(a.events, 0) END::BIGINT AS sample_size
FROM spine AS sp
LEFT JOIN agg AS a USING (grain, period_start, scope, scope_id)
CROSS JOIN (SELECT min_group_size FROM meta.rules LIMIT 1) AS r
ORDER BY sp.grain, sp.period_start, sp.scope, sp.scope_id;

-- One banded metric over the trailing window (temp table performance_window), per scope of
-- the metric, with its band for rules.band_year. Window values: count kinds are the average
-- per week over the window; ratios re-divide the window's sums; quantiles are taken over the
-- window's events. A scope with no sample has value NULL and no band.
-- Parameters: $metric, $kind, $quantile, $scopes.
INSERT INTO metrics.performance
WITH w AS (SELECT * FROM performance_window),
events AS (
    SELECT e.service_id, e.team_id, e.value::DOUBLE AS value,
           e.denominator::DOUBLE AS denominator
    FROM metric_events AS e, w
    WHERE e.event_at >= w.start_ts AND e.event_at < w.end_ts
),
scoped AS (
    SELECT 'service' AS scope, service_id AS scope_id, value, denominator
    FROM events WHERE service_id IS NOT NULL
    UNION ALL
    SELECT 'team', team_id, value, denominator FROM events WHERE team_id IS NOT NULL
    UNION ALL
    SELECT 'org', 'org', value, denominator FROM events
),
agg AS (
    SELECT scope, scope_id, count(*) AS events, count(value) AS samples,
           sum(value) AS numerator, sum(denominator) AS denominator,
           quantile_cont(value, $quantile::DOUBLE) AS quantile
    FROM scoped
    GROUP BY scope, scope_id
),
valued AS (
    SELECT
        s.scope,
        s.scope_id,
        CASE $kind
            WHEN 'count' THEN coalesce(a.events, 0) / w.weeks
            WHEN 'distinct_days' THEN NULL
            WHEN 'ratio' THEN a.numerator / nullif(a.denominator, 0)
            WHEN 'quantile' THEN a.quantile
        END::DOUBLE AS value,
        CASE WHEN $kind = 'quantile' THEN coalesce(a.samples, 0)
             ELSE coalesce(a.events, 0) END::BIGINT AS sample_size
    FROM marts.scopes AS s
    CROSS JOIN w
    LEFT JOIN agg AS a USING (scope, scope_id)
    WHERE list_contains($scopes::VARCHAR[], s.scope)
)
SELECT
    $metric AS metric,
    v.scope,
    v.scope_id,
    w.window_start,
    w.window_end,
    v.value,
    b.band,
    w.band_year AS report_year,
    v.sample_size
FROM valued AS v
CROSS JOIN w
LEFT JOIN metrics.bands AS b
    ON b.metric = $metric
    AND b.report_year = w.band_year
    AND v.value >= coalesce(b.lower, '-infinity'::DOUBLE)
    AND (b.upper IS NULL OR v.value < b.upper)
ORDER BY v.scope, v.scope_id;

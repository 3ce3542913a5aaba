-- One metric's value over one window [$start, $end) for one scope ($scope_kind 'org', or
-- 'team' with $scope_id), from the temp view metric_events: the roadmap's baseline and current
-- values. count kinds are the average per week over the window ($weeks); distinct_days too;
-- ratios re-divide the window's sums; quantiles are taken over the window's events (NULL below
-- rules.min_group_size for private metrics). per_grain metrics read their $grain rows.
-- Parameters: $kind, $quantile, $private, $start, $end, $weeks, $scope_kind, $scope_id, $grain.
WITH events AS (
    SELECT *
    FROM metric_events
    WHERE event_at >= $start::TIMESTAMP AND event_at < $end::TIMESTAMP
      AND (grain IS NULL OR grain = $grain)
      AND ($scope_kind = 'org' OR team_id = $scope_id)
)
SELECT
    CASE $kind
        WHEN 'count' THEN count(*) / $weeks::DOUBLE
        WHEN 'distinct_days' THEN count(DISTINCT event_at::DATE) / $weeks::DOUBLE
        WHEN 'ratio' THEN sum(value) / nullif(sum(denominator), 0)
        WHEN 'quantile' THEN
            CASE WHEN NOT $private
                      OR count(value) >= (SELECT min_group_size FROM meta.rules LIMIT 1)
                THEN quantile_cont(value, $quantile::DOUBLE) END
    END::DOUBLE AS value,
    CASE WHEN $kind = 'quantile' THEN count(value) ELSE count(*) END::BIGINT AS sample_size
FROM events

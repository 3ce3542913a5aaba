-- marts.ci_golden_path_comparison: golden-path pipelines against hand-rolled ones, per ISO week,
-- for every team and the organisation: the CI health measures of marts.ci_health, taken over
-- the runs of each pipeline kind (medians over runs, not over pipelines).

CREATE OR REPLACE TABLE marts.ci_golden_path_comparison AS
WITH scoped AS (
    SELECT 'team' AS scope, team_id AS scope_id, * EXCLUDE (team_id)
    FROM marts.ci_runs WHERE team_id IS NOT NULL
    UNION ALL
    SELECT 'org' AS scope, 'org' AS scope_id, * EXCLUDE (team_id)
    FROM marts.ci_runs
)
SELECT
    week,
    scope,
    scope_id,
    pipeline_kind,
    count(DISTINCT repo || ' ' || pipeline) AS pipelines,
    count(*) AS runs,
    count(*) FILTER (WHERE is_conclusive) AS conclusive_runs,
    count(*) FILTER (WHERE is_success)
        / nullif(count(*) FILTER (WHERE is_conclusive), 0) AS success_rate,
    quantile_cont(duration_minutes, 0.5) AS duration_median_minutes,
    quantile_cont(duration_minutes, 0.9) AS duration_p90_minutes,
    quantile_cont(queue_minutes, 0.5) AS queue_median_minutes,
    quantile_cont(queue_minutes, 0.9) AS queue_p90_minutes,
    count(*) FILTER (WHERE is_rerun) / count(*) AS rerun_rate
FROM scoped
GROUP BY week, scope, scope_id, pipeline_kind
ORDER BY week, scope, scope_id, pipeline_kind;

COMMENT ON TABLE marts.ci_golden_path_comparison IS 'Golden-path against hand-rolled CI pipelines per ISO week, for each team and the org. Key: week, scope, scope_id, pipeline_kind.';
COMMENT ON COLUMN marts.ci_golden_path_comparison.week IS 'ISO week (Monday)';
COMMENT ON COLUMN marts.ci_golden_path_comparison.scope IS 'team or org';
COMMENT ON COLUMN marts.ci_golden_path_comparison.scope_id IS 'team_id, or org';
COMMENT ON COLUMN marts.ci_golden_path_comparison.pipeline_kind IS 'golden_path or hand_rolled';
COMMENT ON COLUMN marts.ci_golden_path_comparison.pipelines IS 'distinct (repository, pipeline) pairs that ran';
COMMENT ON COLUMN marts.ci_golden_path_comparison.runs IS 'runs started in the week';
COMMENT ON COLUMN marts.ci_golden_path_comparison.conclusive_runs IS 'runs with status success, failure or timed_out';
COMMENT ON COLUMN marts.ci_golden_path_comparison.success_rate IS 'successful / conclusive runs; NULL when none is conclusive';
COMMENT ON COLUMN marts.ci_golden_path_comparison.duration_median_minutes IS 'median run duration (interpolated)';
COMMENT ON COLUMN marts.ci_golden_path_comparison.duration_p90_minutes IS '90th percentile run duration';
COMMENT ON COLUMN marts.ci_golden_path_comparison.queue_median_minutes IS 'median queue time';
COMMENT ON COLUMN marts.ci_golden_path_comparison.queue_p90_minutes IS '90th percentile queue time';
COMMENT ON COLUMN marts.ci_golden_path_comparison.rerun_rate IS 'runs with attempt > 1 / runs';

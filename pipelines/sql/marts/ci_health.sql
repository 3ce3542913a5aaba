-- marts.ci_health: CI health per ISO week x repository x pipeline x team (marts.ci_runs):
-- runs, success rate over conclusive runs, duration and queue time median and p90 (interpolated),
-- re-run rate (attempt > 1). Golden-path and hand-rolled pipelines are compared in
-- marts.ci_golden_path_comparison.

CREATE OR REPLACE TABLE marts.ci_health AS
SELECT
    week,
    repo,
    pipeline,
    team_id,
    bool_or(golden_path) AS golden_path,
    count(*) AS runs,
    count(*) FILTER (WHERE is_conclusive) AS conclusive_runs,
    count(*) FILTER (WHERE is_success) AS successful_runs,
    count(*) FILTER (WHERE is_success)
        / nullif(count(*) FILTER (WHERE is_conclusive), 0) AS success_rate,
    quantile_cont(duration_minutes, 0.5) AS duration_median_minutes,
    quantile_cont(duration_minutes, 0.9) AS duration_p90_minutes,
    quantile_cont(queue_minutes, 0.5) AS queue_median_minutes,
    quantile_cont(queue_minutes, 0.9) AS queue_p90_minutes,
    count(*) FILTER (WHERE is_rerun) AS reruns,
    count(*) FILTER (WHERE is_rerun) / count(*) AS rerun_rate
FROM marts.ci_runs
GROUP BY week, repo, pipeline, team_id
ORDER BY week, repo, pipeline;

COMMENT ON TABLE marts.ci_health IS 'CI health per ISO week x repository x pipeline x team. Key: week, repo, pipeline.';
COMMENT ON COLUMN marts.ci_health.week IS 'ISO week (Monday) of the runs'' started_at';
COMMENT ON COLUMN marts.ci_health.repo IS 'repository';
COMMENT ON COLUMN marts.ci_health.pipeline IS 'pipeline name';
COMMENT ON COLUMN marts.ci_health.team_id IS 'team the repository counts for (marts.ci_runs.team_rule)';
COMMENT ON COLUMN marts.ci_health.golden_path IS 'any run of the pipeline that week was the platform''s standard pipeline';
COMMENT ON COLUMN marts.ci_health.runs IS 'runs started in the week (every attempt)';
COMMENT ON COLUMN marts.ci_health.conclusive_runs IS 'runs with status success, failure or timed_out';
COMMENT ON COLUMN marts.ci_health.successful_runs IS 'runs with status success';
COMMENT ON COLUMN marts.ci_health.success_rate IS 'successful_runs / conclusive_runs; NULL when none is conclusive';
COMMENT ON COLUMN marts.ci_health.duration_median_minutes IS 'median finished_at - started_at (interpolated)';
COMMENT ON COLUMN marts.ci_health.duration_p90_minutes IS '90th percentile of the duration (interpolated)';
COMMENT ON COLUMN marts.ci_health.queue_median_minutes IS 'median started_at - queued_at (interpolated)';
COMMENT ON COLUMN marts.ci_health.queue_p90_minutes IS '90th percentile of the queue time (interpolated)';
COMMENT ON COLUMN marts.ci_health.reruns IS 'runs with attempt > 1';
COMMENT ON COLUMN marts.ci_health.rerun_rate IS 'reruns / runs';

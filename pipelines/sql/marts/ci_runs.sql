-- marts.ci_runs: one row per CI run (attempt) of core.ci_runs, with the team it counts for and
-- the measures CI health is made of. A run belongs to the team that owns the services of its
-- repository; a repository shared by several teams (a monorepo) counts for the team owning most
-- of its services (ties: the smallest team_id), and team_rule says which rule applied.
-- Durations are NULL when a timestamp is missing or the span is negative.

CREATE OR REPLACE TEMP TABLE _ci_repo_team AS
WITH owners AS (
    SELECT repo, team_id, count(*) AS services
    FROM core.services
    WHERE team_id IS NOT NULL
    GROUP BY repo, team_id
)
SELECT
    repo,
    team_id,
    CASE WHEN count(*) OVER (PARTITION BY repo) = 1
        THEN 'the only team owning services in the repository'
        ELSE 'the team owning most services of the repository (' || services || ' of '
            || sum(services) OVER (PARTITION BY repo) || ')'
    END AS team_rule
FROM owners
QUALIFY row_number() OVER (PARTITION BY repo ORDER BY services DESC, team_id) = 1;

CREATE OR REPLACE TABLE marts.ci_runs AS
SELECT
    r.run_id,
    r.repo,
    r.pipeline,
    o.team_id,
    coalesce(o.team_rule, 'no catalogued service lives in the repository') AS team_rule,
    r.started_at,
    date_trunc('week', r.started_at)::DATE AS week,
    r.status,
    coalesce(r.attempt, 1) AS attempt,
    coalesce(r.attempt, 1) > 1 AS is_rerun,
    coalesce(r.golden_path, false) AS golden_path,
    CASE WHEN coalesce(r.golden_path, false) THEN 'golden_path' ELSE 'hand_rolled' END
        AS pipeline_kind,
    r.status IN ('success', 'failure', 'timed_out') AS is_conclusive,
    r.status = 'success' AS is_success,
    CASE WHEN r.finished_at >= r.started_at
        THEN date_diff('millisecond', r.started_at, r.finished_at) / 60000.0 END
        AS duration_minutes,
    CASE WHEN r.started_at >= r.queued_at
        THEN date_diff('millisecond', r.queued_at, r.started_at) / 60000.0 END AS queue_minutes
FROM core.ci_runs AS r
LEFT JOIN _ci_repo_team AS o USING (repo)
ORDER BY r.started_at, r.run_id;

COMMENT ON TABLE marts.ci_runs IS 'One row per CI run (attempt), with the team it counts for and its CI health measures. Key: run_id.';
COMMENT ON COLUMN marts.ci_runs.run_id IS 'core.ci_runs.run_id';
COMMENT ON COLUMN marts.ci_runs.repo IS 'repository (owner/name)';
COMMENT ON COLUMN marts.ci_runs.pipeline IS 'pipeline name as the CI tool reports it';
COMMENT ON COLUMN marts.ci_runs.team_id IS 'team owning the services of the repository (most services when shared); NULL when no catalogued service lives there';
COMMENT ON COLUMN marts.ci_runs.team_rule IS 'why the run counts for team_id';
COMMENT ON COLUMN marts.ci_runs.started_at IS 'UTC';
COMMENT ON COLUMN marts.ci_runs.week IS 'ISO week (Monday) of started_at';
COMMENT ON COLUMN marts.ci_runs.status IS 'success, failure, cancelled, timed_out, skipped or in_progress';
COMMENT ON COLUMN marts.ci_runs.attempt IS 'attempt number, 1 for the first run of a commit';
COMMENT ON COLUMN marts.ci_runs.is_rerun IS 'attempt > 1';
COMMENT ON COLUMN marts.ci_runs.golden_path IS 'the platform''s standard pipeline (false when not reported)';
COMMENT ON COLUMN marts.ci_runs.pipeline_kind IS 'golden_path or hand_rolled';
COMMENT ON COLUMN marts.ci_runs.is_conclusive IS 'status is success, failure or timed_out: the runs a success rate is taken over (cancelled, skipped and in_progress say nothing about health)';
COMMENT ON COLUMN marts.ci_runs.is_success IS 'status is success';
COMMENT ON COLUMN marts.ci_runs.duration_minutes IS 'finished_at - started_at in minutes; NULL when unknown or negative';
COMMENT ON COLUMN marts.ci_runs.queue_minutes IS 'started_at - queued_at in minutes; NULL when unknown or negative';

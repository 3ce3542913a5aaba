-- marts.onboarding: one row per (engineer, milestone reached) (contract §4). Milestones:
-- first_commit (earliest authored_at of a commit they authored), first_pr_merged (earliest
-- merged_at of a pull request they authored), first_production_deploy (earliest deployed_at of a
-- change they authored), tenth_pr_merged (merged_at of their tenth merged pull request).
-- Authors are the resolved engineers (author_engineer_id); unresolved authors never count here.
-- An engineer whose start_date is earlier than the earliest commit in the warehouse is in no
-- cohort (the data cannot see their start) and has no rows. A milestone not reached yet has no
-- row. days_since_start is fractional days from start_date 00:00 UTC (negative when the
-- milestone predates the start date, e.g. work done as a contractor before joining).

CREATE OR REPLACE TABLE marts.onboarding AS
WITH horizon AS (
    SELECT min(authored_at) AS first_commit_at FROM core.commits
),
cohort AS (
    SELECT e.engineer_id, e.team_id, e.start_date,
           date_trunc('month', e.start_date)::DATE AS cohort_month
    FROM core.engineers AS e
    CROSS JOIN horizon AS h
    WHERE h.first_commit_at IS NOT NULL AND e.start_date >= h.first_commit_at::DATE
),
merged_prs AS (
    SELECT author_engineer_id AS engineer_id, merged_at,
           row_number() OVER (
               PARTITION BY author_engineer_id ORDER BY merged_at, repo, number
           ) AS nth
    FROM core.pull_requests
    WHERE merged_at IS NOT NULL AND author_engineer_id IS NOT NULL
),
milestones AS (
    SELECT author_engineer_id AS engineer_id, 'first_commit' AS milestone,
           min(authored_at) AS reached_at
    FROM core.commits WHERE author_engineer_id IS NOT NULL GROUP BY 1
    UNION ALL
    SELECT engineer_id, 'first_pr_merged', merged_at FROM merged_prs WHERE nth = 1
    UNION ALL
    SELECT engineer_id, 'tenth_pr_merged', merged_at FROM merged_prs WHERE nth = 10
    UNION ALL
    SELECT author_engineer_id, 'first_production_deploy', min(deployed_at)
    FROM marts.changes WHERE author_engineer_id IS NOT NULL GROUP BY 1
)
SELECT
    c.engineer_id,
    c.team_id,
    c.cohort_month,
    c.start_date,
    m.milestone,
    m.reached_at,
    date_diff('microsecond', c.start_date::TIMESTAMP, m.reached_at) / 86400e6
        AS days_since_start
FROM cohort AS c
JOIN milestones AS m USING (engineer_id)
ORDER BY c.cohort_month, c.engineer_id, m.reached_at;

-- Documentation shown by DESCRIBE, duckdb_columns() and docs/sql.md.
COMMENT ON TABLE marts.onboarding IS 'One row per (engineer, onboarding milestone reached); no names, team-level metrics only.';
COMMENT ON COLUMN marts.onboarding.engineer_id IS 'the engineer';
COMMENT ON COLUMN marts.onboarding.team_id IS 'their team';
COMMENT ON COLUMN marts.onboarding.cohort_month IS 'first day of their start month';
COMMENT ON COLUMN marts.onboarding.start_date IS 'their start date';
COMMENT ON COLUMN marts.onboarding.milestone IS 'first_commit, first_pr_merged, first_production_deploy or tenth_pr_merged';
COMMENT ON COLUMN marts.onboarding.reached_at IS 'when they reached it (UTC)';
COMMENT ON COLUMN marts.onboarding.days_since_start IS 'fractional days from start_date 00:00 UTC to reached_at';

-- marts.changes: one row per (service, change) shipped to production (contract §3 "Change").
-- A change is a merged pull request whose merge_sha a counted deployment ships (its commits are
-- commit_shas, or the merge commit alone when absent), or a shipped commit that belongs to no
-- such pull request (trunk-based work). It belongs to the FIRST counted deployment of its service
-- that ships it, so a change shipped again after a rollback keeps its first deployment.
-- change_id is '<repo>#<number>' for a pull request and '<repo>@<sha>' for a commit; in a
-- monorepo the same change is a change of every service of the repo, so the key is
-- (service_id, change_id). lead_time_hours = deployed_at - first_authored_at; negative is NULL.

CREATE OR REPLACE TEMP TABLE _ch_first AS
SELECT
    dc.service_id,
    dc.repo,
    dc.sha,
    arg_min(d.deployment_id, d.counted_seq) AS deployment_id,
    arg_min(d.finished_at, d.counted_seq) AS deployed_at,
    arg_min(d.team_id, d.counted_seq) AS team_id
FROM marts.deployment_commits AS dc
JOIN marts.deployments AS d USING (deployment_id)
GROUP BY dc.service_id, dc.repo, dc.sha;

CREATE OR REPLACE TEMP TABLE _ch_prs AS
SELECT
    f.service_id,
    f.team_id,
    f.deployment_id,
    f.deployed_at,
    pr.repo,
    pr.number,
    pr.author_id,
    pr.author_engineer_id,
    pr.merged_at,
    pr.merge_sha,
    CASE WHEN len(coalesce(pr.commit_shas, []::VARCHAR[])) > 0 THEN pr.commit_shas
         ELSE [pr.merge_sha] END AS shas
FROM core.pull_requests AS pr
JOIN _ch_first AS f ON f.repo = pr.repo AND f.sha = pr.merge_sha
WHERE pr.merged_at IS NOT NULL;

-- Every commit that belongs to a shipped pull request of the service (its commits and its merge
-- commit): these are not trunk changes.
CREATE OR REPLACE TEMP TABLE _ch_pr_commits AS
SELECT service_id, repo, number, unnest(shas) AS sha, true AS is_pr_commit
FROM _ch_prs
UNION ALL
SELECT service_id, repo, number, merge_sha AS sha, false AS is_pr_commit
FROM _ch_prs;

CREATE OR REPLACE TEMP TABLE _ch_pr_authored AS
SELECT pc.service_id, pc.repo, pc.number, min(c.authored_at) AS first_authored_at,
       count(*) AS commit_count
FROM _ch_pr_commits AS pc
JOIN core.commits AS c ON c.repo = pc.repo AND c.sha = pc.sha
WHERE pc.is_pr_commit
GROUP BY pc.service_id, pc.repo, pc.number;

CREATE OR REPLACE TABLE marts.changes AS
WITH all_changes AS (
    SELECT
        p.repo || '#' || p.number AS change_id,
        'pull_request' AS change_type,
        p.repo,
        p.service_id,
        p.team_id,
        p.deployment_id,
        p.author_id,
        p.author_engineer_id,
        a.first_authored_at,
        p.merged_at,
        p.deployed_at,
        p.number AS pr_number,
        p.merge_sha AS sha,
        coalesce(a.commit_count, 0) AS known_commits
    FROM _ch_prs AS p
    LEFT JOIN _ch_pr_authored AS a USING (service_id, repo, number)
    UNION ALL
    SELECT
        f.repo || '@' || f.sha AS change_id,
        'commit' AS change_type,
        f.repo,
        f.service_id,
        f.team_id,
        f.deployment_id,
        c.author_id,
        c.author_engineer_id,
        c.authored_at AS first_authored_at,
        NULL::TIMESTAMP AS merged_at,
        f.deployed_at,
        NULL::BIGINT AS pr_number,
        f.sha,
        CASE WHEN c.sha IS NULL THEN 0 ELSE 1 END AS known_commits
    FROM _ch_first AS f
    LEFT JOIN core.commits AS c ON c.repo = f.repo AND c.sha = f.sha
    WHERE NOT EXISTS (
        SELECT 1 FROM _ch_pr_commits AS pc
        WHERE pc.service_id = f.service_id AND pc.repo = f.repo AND pc.sha = f.sha
    )
)
SELECT
    *,
    CASE WHEN deployed_at >= first_authored_at
        THEN date_diff('microsecond', first_authored_at, deployed_at) / 3600e6 END
        AS lead_time_hours
FROM all_changes
ORDER BY service_id, deployed_at, change_id;

-- Documentation shown by DESCRIBE, duckdb_columns() and docs/sql.md.
COMMENT ON TABLE marts.changes IS 'One row per (service, change) shipped to production: a merged pull request, or a trunk commit in no pull request, with its lead time.';
COMMENT ON COLUMN marts.changes.change_id IS '''<repo>#<number>'' for a pull request, ''<repo>@<sha>'' for a trunk commit';
COMMENT ON COLUMN marts.changes.change_type IS 'pull_request or commit';
COMMENT ON COLUMN marts.changes.repo IS 'owner/name';
COMMENT ON COLUMN marts.changes.service_id IS 'the service whose deployment shipped it';
COMMENT ON COLUMN marts.changes.team_id IS 'the service''s owning team';
COMMENT ON COLUMN marts.changes.deployment_id IS 'the first counted deployment of the service that shipped it';
COMMENT ON COLUMN marts.changes.author_id IS 'as received';
COMMENT ON COLUMN marts.changes.author_engineer_id IS 'the engineer the author resolves to; NULL for bots and unknown authors';
COMMENT ON COLUMN marts.changes.first_authored_at IS 'earliest authored_at among the change''s commits (UTC)';
COMMENT ON COLUMN marts.changes.merged_at IS 'when the pull request merged (UTC)';
COMMENT ON COLUMN marts.changes.deployed_at IS 'the deployment''s finished_at (UTC)';
COMMENT ON COLUMN marts.changes.pr_number IS 'the pull request number, for pull requests';
COMMENT ON COLUMN marts.changes.sha IS 'merge commit, or the trunk commit';
COMMENT ON COLUMN marts.changes.known_commits IS 'commits of the change found in core.commits';
COMMENT ON COLUMN marts.changes.lead_time_hours IS 'deployed_at - first_authored_at in hours; NULL when negative or unknown';

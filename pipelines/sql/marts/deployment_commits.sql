-- marts.deployment_commits: one row per (counted deployment, commit) it ships (contract §3
-- "Commits of a deployment").
--
-- * A counted deployment with rows in core.deployment_commits ships exactly those (method
--   'explicit').
-- * Otherwise (method 'commit_graph') it ships the commits reachable from its sha through
--   `parents` that no earlier counted deployment of the same service reaches. When every
--   counted deployment descends from the previous one (the normal line of a service) this is
--   exactly "reachable from the deployed sha and not from the previous counted deployment's
--   sha"; after a rollback to an older sha the next deployment does not list again the commits an
--   earlier deployment already shipped (they belong to that earlier deployment, as changes do).
--
-- The walk itself (labels: the first counted deployment of the service that reaches each
-- commit) is pipelines/commit_graph.py, which leaves `_dc_seeds` and `_dc_labels` for this file;
-- see its docstring for why it is not a recursive CTE.
-- A service's commits are those of its repo (monorepo `path` filtering is not applied).

CREATE OR REPLACE TEMP TABLE _dc_explicit AS
SELECT DISTINCT s.deployment_id, s.service_id, s.repo, dc.sha
FROM _dc_seeds AS s
JOIN core.deployment_commits AS dc USING (deployment_id);

CREATE OR REPLACE TABLE marts.deployment_commits AS
SELECT deployment_id, service_id, repo, sha, 'explicit' AS method
FROM _dc_explicit
UNION ALL
SELECT s.deployment_id, s.service_id, s.repo, l.sha, 'commit_graph' AS method
FROM _dc_labels AS l
JOIN _dc_seeds AS s ON s.service_id = l.service_id AND s.counted_seq = l.counted_seq
-- only commits the warehouse knows (a parent outside the fetched history is not a commit here)
JOIN core.commits AS c ON c.repo = l.repo AND c.sha = l.sha
WHERE s.deployment_id NOT IN (SELECT deployment_id FROM _dc_explicit)
ORDER BY service_id, deployment_id, sha;

-- Documentation shown by DESCRIBE, duckdb_columns() and docs/sql.md.
COMMENT ON TABLE marts.deployment_commits IS 'One row per (counted deployment, commit it shipped): explicit deployment_commits, or a walk of the commit graph.';
COMMENT ON COLUMN marts.deployment_commits.deployment_id IS 'the counted deployment';
COMMENT ON COLUMN marts.deployment_commits.service_id IS 'its service';
COMMENT ON COLUMN marts.deployment_commits.repo IS 'the repository of the commit';
COMMENT ON COLUMN marts.deployment_commits.sha IS 'a commit it shipped';
COMMENT ON COLUMN marts.deployment_commits.method IS 'explicit (from deployment_commits) or commit_graph (reachable from the deployed sha, not from an earlier counted deployment)';

-- The commit graph of every repository with a service that needs a walk, as dense integers for
-- pipelines/commit_graph.py. A node is a commit; nodes are numbered repository by repository, so
-- each repository is one range [lo, hi). Each walking service is a column (`col`) of its
-- repository's label matrix: a monorepo's history is walked once for all its services.
CREATE OR REPLACE TEMP TABLE _dc_seeds AS
SELECT d.deployment_id, d.service_id, d.repo, d.sha, d.counted_seq
FROM marts.deployments AS d
WHERE d.is_counted AND d.repo IS NOT NULL;

-- A service walks only when one of its counted deployments has no explicit commits and deploys
-- a sha no earlier counted deployment of the service deployed. A redeploy of an earlier sha (a
-- rollback to the previous release, a re-run) ships nothing: every commit it reaches the earlier
-- deployment reached first. Without this, a monorepo whose deploy tool lists commits but not for
-- its rollbacks walks the whole repository once per service (347 x 439,190 nodes at 10,000
-- engineers) to find nothing.
CREATE OR REPLACE TEMP TABLE _cg_walking AS
WITH first_deploy AS (
    SELECT service_id, sha, min(counted_seq) AS first_seq FROM _dc_seeds GROUP BY ALL
)
SELECT DISTINCT s.service_id, s.repo
FROM _dc_seeds AS s
JOIN first_deploy AS f USING (service_id, sha)
WHERE s.counted_seq = f.first_seq
  AND NOT EXISTS (SELECT 1 FROM core.deployment_commits AS dc
                  WHERE dc.deployment_id = s.deployment_id);

CREATE OR REPLACE TEMP TABLE _cg_commits AS
SELECT repo, sha, parents, (row_number() OVER (ORDER BY repo, sha) - 1)::BIGINT AS node
FROM core.commits
WHERE repo IN (SELECT repo FROM _cg_walking);

CREATE OR REPLACE TEMP TABLE _cg_services AS
SELECT (row_number() OVER (ORDER BY repo, service_id) - 1)::BIGINT AS service_idx,
       service_id, repo,
       (dense_rank() OVER (ORDER BY repo) - 1)::BIGINT AS repo_idx,
       (row_number() OVER (PARTITION BY repo ORDER BY service_id) - 1)::BIGINT AS col
FROM (SELECT DISTINCT service_id, repo FROM _cg_walking);

-- one row per repository with walking services, in the order of repo_idx and of its node range
CREATE OR REPLACE TEMP TABLE _cg_repos AS
WITH sized AS (
    SELECT s.repo_idx, s.repo, count(DISTINCT s.service_id) AS width,
           (SELECT count(*) FROM _cg_commits AS c WHERE c.repo = s.repo) AS n
    FROM _cg_services AS s GROUP BY ALL
)
SELECT repo_idx, repo, width,
       (sum(n) OVER (ORDER BY repo_idx ROWS UNBOUNDED PRECEDING) - n)::BIGINT AS lo,
       (sum(n) OVER (ORDER BY repo_idx ROWS UNBOUNDED PRECEDING))::BIGINT AS hi
FROM sized;

CREATE OR REPLACE TEMP TABLE _cg_edges AS
WITH e AS (SELECT repo, node AS child, unnest(parents) AS parent_sha FROM _cg_commits)
SELECT e.child, p.node AS parent
FROM e JOIN _cg_commits AS p ON p.repo = e.repo AND p.sha = e.parent_sha;

-- every counted deployment of a walking service seeds its column; `walks` marks those without
-- explicit commits, the only ones whose labels are kept
CREATE OR REPLACE TEMP TABLE _cg_seeds AS
SELECT c.node, s.service_idx, d.counted_seq,
       d.deployment_id NOT IN (SELECT deployment_id FROM core.deployment_commits) AS walks
FROM _dc_seeds AS d
JOIN _cg_services AS s USING (service_id)
JOIN _cg_commits AS c ON c.repo = d.repo AND c.sha = d.sha;

-- The commit graph of every service that needs a walk, as dense integers for
-- pipelines/commit_graph.py. A node is (service, commit of its repo): node = offset of the
-- service + index of the commit in its repo, so services sharing a repository (a monorepo) walk
-- independently while the commit-level edges are computed once per repository.
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
SELECT repo, sha, parents,
       (row_number() OVER (PARTITION BY repo ORDER BY sha) - 1)::BIGINT AS local
FROM core.commits
WHERE repo IN (SELECT repo FROM _cg_walking);

CREATE OR REPLACE TEMP TABLE _cg_services AS
WITH sized AS (
    SELECT w.service_id, w.repo, count(c.local) AS n
    FROM _cg_walking AS w LEFT JOIN _cg_commits AS c USING (repo)
    GROUP BY ALL
)
SELECT (row_number() OVER (ORDER BY service_id) - 1)::BIGINT AS service_idx, service_id, repo, n,
       (sum(n) OVER (ORDER BY service_id ROWS UNBOUNDED PRECEDING) - n)::BIGINT AS node_offset
FROM sized;

CREATE OR REPLACE TEMP TABLE _cg_commit_edges AS
WITH e AS (SELECT repo, local AS child, unnest(parents) AS parent_sha FROM _cg_commits)
SELECT e.repo, e.child, p.local AS parent
FROM e JOIN _cg_commits AS p ON p.repo = e.repo AND p.sha = e.parent_sha;

CREATE OR REPLACE TEMP TABLE _cg_edges AS
SELECT s.node_offset + e.child AS child, s.node_offset + e.parent AS parent
FROM _cg_commit_edges AS e JOIN _cg_services AS s USING (repo);

CREATE OR REPLACE TEMP TABLE _cg_seeds AS
SELECT s.node_offset + c.local AS node, d.counted_seq
FROM _dc_seeds AS d
JOIN _cg_services AS s USING (service_id)
JOIN _cg_commits AS c ON c.repo = d.repo AND c.sha = d.sha;

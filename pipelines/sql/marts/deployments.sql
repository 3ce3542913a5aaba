-- marts.deployments: one row per deployment, classified by the rules in meta.rules
-- (contract §3): is_production, is_counted (production and success), is_failure and the rule
-- that fired (failure_reason names the incident or the rollback), is_rework.
-- Counted deployments of a service form one line ordered by (finished_at, deployment_id),
-- whatever their production environment is called: counted_seq numbers that line.

-- The production rule is a regular expression from meta.rules: it is matched once per distinct
-- environment name (a handful) rather than once per deployment, where the planner cannot treat
-- the pattern as a constant and compiles it again for every row.
CREATE OR REPLACE TEMP TABLE _production_envs AS
SELECT e.environment
FROM (SELECT DISTINCT environment FROM core.deployments) AS e
CROSS JOIN (SELECT production_env_regex FROM meta.rules LIMIT 1) AS r
WHERE coalesce(regexp_matches(e.environment, r.production_env_regex, 'i'), false);

CREATE OR REPLACE TEMP TABLE _dep_base AS
SELECT
    d.deployment_id,
    d.service_id,
    s.team_id,
    s.repo,
    d.environment,
    d.sha,
    d.started_at,
    d.finished_at,
    d.status,
    coalesce(d.kind, 'regular') AS kind,
    d.via_platform,
    coalesce(d.environment IN (SELECT environment FROM _production_envs), false) AS is_production
FROM core.deployments AS d
LEFT JOIN core.services AS s USING (service_id);

CREATE OR REPLACE TEMP TABLE _dep_counted AS
SELECT
    deployment_id,
    service_id,
    kind,
    finished_at,
    row_number() OVER line AS counted_seq,
    lag(deployment_id) OVER line AS previous_counted_deployment_id
FROM _dep_base
WHERE is_production AND status = 'success'
WINDOW line AS (PARTITION BY service_id ORDER BY finished_at, deployment_id);

-- Rule (c): followed by a rollback counted deployment of the same service before the next
-- regular counted one (hotfixes in between do not interrupt). One window pass: O(n log n).
CREATE OR REPLACE TEMP TABLE _dep_rollback AS
WITH following AS (
    SELECT
        deployment_id,
        service_id,
        min(CASE WHEN kind = 'rollback' THEN counted_seq END) OVER after_me AS next_rollback_seq,
        min(CASE WHEN kind = 'regular' THEN counted_seq END) OVER after_me AS next_regular_seq
    FROM _dep_counted
    WINDOW after_me AS (
        PARTITION BY service_id ORDER BY counted_seq
        ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
    )
)
SELECT f.deployment_id, rb.deployment_id AS rolled_back_by_deployment_id
FROM following AS f
JOIN _dep_counted AS rb
    ON rb.service_id = f.service_id AND rb.counted_seq = f.next_rollback_seq
CROSS JOIN (SELECT rollback_is_failure FROM meta.rules LIMIT 1) AS r
WHERE r.rollback_is_failure
  AND (f.next_regular_seq IS NULL OR f.next_rollback_seq < f.next_regular_seq);

-- Rules (a) and (b): incidents linked in marts.incident_links (deployment_id set only when the
-- incident counts against a counted deployment).
CREATE OR REPLACE TEMP TABLE _dep_incidents AS
SELECT
    deployment_id,
    list(incident_id ORDER BY opened_at, incident_id) AS failure_incident_ids,
    string_agg(
        CASE link_method
            WHEN 'explicit' THEN 'incident ' || incident_id || ' names it (caused_by_deployment_id)'
            ELSE 'incident ' || incident_id || ' opened ' || round(hours_after_deployment, 2)
                || ' h after it (time window)'
        END,
        '; ' ORDER BY opened_at, incident_id
    ) AS incident_reason
FROM marts.incident_links
WHERE deployment_id IS NOT NULL
GROUP BY deployment_id;

CREATE OR REPLACE TABLE marts.deployments AS
SELECT
    b.deployment_id,
    b.service_id,
    b.team_id,
    b.repo,
    b.environment,
    b.sha,
    b.started_at,
    b.finished_at,
    b.status,
    b.kind,
    b.via_platform,
    b.is_production,
    c.deployment_id IS NOT NULL AS is_counted,
    CASE
        WHEN NOT b.is_production THEN 'environment ' || b.environment || ' is not production'
        WHEN b.status <> 'success' THEN 'status is ' || b.status
    END AS not_counted_reason,
    c.counted_seq,
    c.previous_counted_deployment_id,
    (i.deployment_id IS NOT NULL OR rb.deployment_id IS NOT NULL) AS is_failure,
    nullif(concat_ws('; ',
        i.incident_reason,
        CASE WHEN rb.deployment_id IS NOT NULL THEN
            'rolled back by ' || rb.rolled_back_by_deployment_id
            || ' before the next regular deployment (rollback rule)'
        END
    ), '') AS failure_reason,
    coalesce(i.failure_incident_ids, []::VARCHAR[]) AS failure_incident_ids,
    rb.rolled_back_by_deployment_id,
    (c.deployment_id IS NOT NULL AND b.kind IN ('rollback', 'hotfix')) AS is_rework
FROM _dep_base AS b
LEFT JOIN _dep_counted AS c USING (deployment_id)
LEFT JOIN _dep_incidents AS i USING (deployment_id)
LEFT JOIN _dep_rollback AS rb USING (deployment_id)
ORDER BY b.service_id, b.finished_at, b.deployment_id;

-- Documentation shown by DESCRIBE, duckdb_columns() and docs/sql.md.
COMMENT ON TABLE marts.deployments IS 'One row per deployment, classified by the rules in meta.rules: whether it counts, whether it failed and which rule fired.';
COMMENT ON COLUMN marts.deployments.deployment_id IS 'the deployment';
COMMENT ON COLUMN marts.deployments.service_id IS 'the service deployed';
COMMENT ON COLUMN marts.deployments.team_id IS 'the service''s owning team';
COMMENT ON COLUMN marts.deployments.repo IS 'the service''s repository';
COMMENT ON COLUMN marts.deployments.environment IS 'as received';
COMMENT ON COLUMN marts.deployments.sha IS 'the commit deployed';
COMMENT ON COLUMN marts.deployments.started_at IS 'UTC';
COMMENT ON COLUMN marts.deployments.finished_at IS 'UTC; the period a counted deployment belongs to';
COMMENT ON COLUMN marts.deployments.status IS 'success, failure, cancelled or in_progress';
COMMENT ON COLUMN marts.deployments.kind IS 'regular, rollback or hotfix';
COMMENT ON COLUMN marts.deployments.via_platform IS 'deployed through the platform''s golden path';
COMMENT ON COLUMN marts.deployments.is_production IS 'environment matches meta.rules.production_env_regex (case-insensitive)';
COMMENT ON COLUMN marts.deployments.is_counted IS 'a production deployment with status success: the deployments DORA counts';
COMMENT ON COLUMN marts.deployments.not_counted_reason IS 'why a deployment does not count (not production, not successful)';
COMMENT ON COLUMN marts.deployments.counted_seq IS 'position in the service''s line of counted deployments (all production environments together)';
COMMENT ON COLUMN marts.deployments.previous_counted_deployment_id IS 'the service''s previous counted deployment';
COMMENT ON COLUMN marts.deployments.is_failure IS 'a counted deployment that an incident or a rollback marks as failed';
COMMENT ON COLUMN marts.deployments.failure_reason IS 'the rule that fired, naming the incident or the rollback';
COMMENT ON COLUMN marts.deployments.failure_incident_ids IS 'the incidents that make it failed';
COMMENT ON COLUMN marts.deployments.rolled_back_by_deployment_id IS 'the rollback that followed it before the next regular deployment';
COMMENT ON COLUMN marts.deployments.is_rework IS 'a counted rollback or hotfix (deployment rework rate)';

-- marts.adoption: when each service and each team took up each golden path, so the adoption
-- funnel can be drawn over time. One row per (scope, scope_id, golden_path), adopted or not:
--   template: the service was created from a golden-path template (adopted at its created_at);
--   ci:       the first CI run with golden_path true in the service's repository;
--   deploy:   the first deployment with via_platform true (any environment or status): the
--             team's adoption date that marts.platform_impact compares before and after.
-- A team adopts a path when the first of its services does; evidence names the record.

CREATE OR REPLACE TEMP TABLE _adoption_services AS
WITH svc AS (
    SELECT service_id, team_id, repo, created_at, nullif(trim(template), '') AS template
    FROM core.services
),
ci AS (
    SELECT repo, arg_min(run_id, (started_at, run_id)) AS run_id,
           arg_min(pipeline, (started_at, run_id)) AS pipeline, min(started_at) AS first_at
    FROM core.ci_runs
    WHERE golden_path
    GROUP BY repo
),
deploy AS (
    SELECT service_id, arg_min(deployment_id, (finished_at, deployment_id)) AS deployment_id,
           arg_min(environment, (finished_at, deployment_id)) AS environment,
           min(finished_at) AS first_at
    FROM core.deployments
    WHERE via_platform
    GROUP BY service_id
)
SELECT s.service_id, s.team_id, s.created_at, 'template' AS golden_path,
       s.template IS NOT NULL AS is_adopted,
       CASE WHEN s.template IS NOT NULL THEN s.created_at END AS adopted_at,
       CASE WHEN s.template IS NOT NULL THEN 'created from template ' || s.template END
           AS evidence
FROM svc AS s
UNION ALL
SELECT s.service_id, s.team_id, s.created_at, 'ci', c.first_at IS NOT NULL, c.first_at,
       'first golden-path CI run ' || c.run_id || ' (' || c.pipeline || ') in ' || s.repo
FROM svc AS s LEFT JOIN ci AS c USING (repo)
UNION ALL
SELECT s.service_id, s.team_id, s.created_at, 'deploy', d.first_at IS NOT NULL, d.first_at,
       'first deployment through the platform ' || d.deployment_id || ' (' || d.environment
           || ')'
FROM svc AS s LEFT JOIN deploy AS d USING (service_id);

CREATE OR REPLACE TABLE marts.adoption AS
WITH teams AS (
    SELECT team_id FROM core.teams
    UNION
    SELECT team_id FROM core.services WHERE team_id IS NOT NULL
),
paths AS (SELECT unnest(['template', 'ci', 'deploy']) AS golden_path),
team_rows AS (
    SELECT
        'team' AS scope,
        t.team_id AS scope_id,
        t.team_id,
        p.golden_path,
        coalesce(bool_or(s.is_adopted), false) AS is_adopted,
        min(s.adopted_at) AS adopted_at,
        arg_min(s.evidence, (s.adopted_at, s.service_id))
            FILTER (WHERE s.adopted_at IS NOT NULL) AS evidence,
        min(s.created_at) AS exists_since,
        count(s.service_id) AS services,
        count(s.service_id) FILTER (WHERE s.is_adopted) AS services_adopted
    FROM teams AS t
    CROSS JOIN paths AS p
    LEFT JOIN _adoption_services AS s USING (team_id, golden_path)
    GROUP BY t.team_id, p.golden_path
)
SELECT
    'service' AS scope, service_id AS scope_id, team_id, golden_path, is_adopted, adopted_at,
    date_trunc('week', adopted_at)::DATE AS adoption_week, evidence,
    created_at AS exists_since, 1 AS services, is_adopted::INTEGER AS services_adopted
FROM _adoption_services
UNION ALL
SELECT scope, scope_id, team_id, golden_path, is_adopted, adopted_at,
       date_trunc('week', adopted_at)::DATE, evidence, exists_since, services, services_adopted
FROM team_rows
ORDER BY scope, scope_id, golden_path;

COMMENT ON TABLE marts.adoption IS 'When each service and each team took up each golden path (template, ci, deploy), adopted or not: the adoption funnel over time. Key: scope, scope_id, golden_path.';
COMMENT ON COLUMN marts.adoption.scope IS 'service or team';
COMMENT ON COLUMN marts.adoption.scope_id IS 'service_id or team_id';
COMMENT ON COLUMN marts.adoption.team_id IS 'owning team';
COMMENT ON COLUMN marts.adoption.golden_path IS 'template (created from a golden-path template), ci (golden-path CI pipeline) or deploy (deployments through the platform)';
COMMENT ON COLUMN marts.adoption.is_adopted IS 'the path has been taken up (a templated service without created_at is adopted at an unknown time)';
COMMENT ON COLUMN marts.adoption.adopted_at IS 'UTC: created_at of a templated service, the first golden-path CI run, or the first via_platform deployment; for a team, the earliest of its services';
COMMENT ON COLUMN marts.adoption.adoption_week IS 'ISO week (Monday) of adopted_at';
COMMENT ON COLUMN marts.adoption.evidence IS 'the record that shows the adoption';
COMMENT ON COLUMN marts.adoption.exists_since IS 'service created_at; for a team, its first service''s';
COMMENT ON COLUMN marts.adoption.services IS 'services in scope (1 for a service)';
COMMENT ON COLUMN marts.adoption.services_adopted IS 'of them, services that adopted the path';

-- marts.scopes: one row per scope a metric is reported for: every service (of core.services, and
-- any service a deployment or an incident names), every team (of core.teams, and any team a
-- service or an engineer names) and the organisation ('org'). The metric layer crosses it with
-- the calendar so that a scope with no events in a period still has its row.

CREATE OR REPLACE TABLE marts.scopes AS
WITH services AS (
    SELECT service_id, name, team_id FROM core.services
    UNION ALL
    SELECT DISTINCT service_id, NULL, NULL FROM core.deployments
    UNION ALL
    SELECT DISTINCT service_id, NULL, NULL FROM core.incidents
),
teams AS (
    SELECT team_id, name FROM core.teams
    UNION ALL
    SELECT team_id, NULL AS name FROM core.services WHERE team_id IS NOT NULL
    UNION ALL
    SELECT team_id, NULL AS name FROM core.engineers WHERE team_id IS NOT NULL
)
SELECT 'service' AS scope, service_id AS scope_id,
       coalesce(any_value(name), service_id) AS name, any_value(team_id) AS team_id
FROM services
GROUP BY service_id
UNION ALL
SELECT 'team' AS scope, team_id AS scope_id, coalesce(any_value(name), team_id) AS name, team_id
FROM teams
GROUP BY team_id
UNION ALL
SELECT 'org' AS scope, 'org' AS scope_id, 'Organisation' AS name, NULL AS team_id
ORDER BY scope, scope_id;

-- Documentation shown by DESCRIBE, duckdb_columns() and docs/sql.md.
COMMENT ON TABLE marts.scopes IS 'One row per scope a metric is reported for: every service, every team and the organisation (''org'').';
COMMENT ON COLUMN marts.scopes.scope IS 'service, team or org';
COMMENT ON COLUMN marts.scopes.scope_id IS 'the service_id, team_id, or ''org''';
COMMENT ON COLUMN marts.scopes.name IS 'display name, when known';
COMMENT ON COLUMN marts.scopes.team_id IS 'for a service: its owning team';

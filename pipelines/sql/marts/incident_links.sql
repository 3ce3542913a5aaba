-- marts.incident_links: one row per incident, with the counted production deployment it makes
-- failed (contract §3 "Failed deployment" (a) and (b)) and how the link was made.
-- Invariant: deployment_id is NOT NULL exactly when the incident counts against that deployment;
-- otherwise link_reason says why not (so a user can debug a change fail rate).
-- Built before marts.deployments (which reads it), so the counted-deployment rule is applied
-- here from core directly; it is the same predicate as marts.deployments.is_counted.

-- The production rule is a regular expression from meta.rules: it is matched once per distinct
-- environment name (a handful) rather than once per deployment, where the planner cannot treat
-- the pattern as a constant and compiles it again for every row.
CREATE OR REPLACE TEMP TABLE _production_envs AS
SELECT e.environment
FROM (SELECT DISTINCT environment FROM core.deployments) AS e
CROSS JOIN (SELECT production_env_regex FROM meta.rules LIMIT 1) AS r
WHERE coalesce(regexp_matches(e.environment, r.production_env_regex, 'i'), false);

CREATE OR REPLACE TEMP TABLE _il_counted AS
SELECT d.deployment_id, d.service_id, d.finished_at
FROM core.deployments AS d
WHERE d.status = 'success'
  AND d.environment IN (SELECT environment FROM _production_envs);

-- For the time-window rule, deployments that finished at the same instant are ordered by
-- deployment_id (as marts.deployments orders them): keep the last one per instant so the
-- ASOF join is deterministic.
CREATE OR REPLACE TEMP TABLE _il_counted_last AS
SELECT service_id, finished_at, max(deployment_id) AS deployment_id
FROM _il_counted
GROUP BY service_id, finished_at;

CREATE OR REPLACE TABLE marts.incident_links AS
WITH rules AS (
    SELECT incident_severities, attribution_window_hours FROM meta.rules LIMIT 1
),
inc AS (
    SELECT
        i.incident_id, i.service_id, s.team_id, i.severity, i.opened_at, i.acknowledged_at,
        i.resolved_at, i.caused_by_deployment_id,
        (
            r.incident_severities IS NULL
            OR coalesce(
                list_contains(list_transform(r.incident_severities, x -> lower(x)), lower(i.severity)),
                false
            )
        ) AS severity_counted,
        r.attribution_window_hours
    FROM core.incidents AS i
    LEFT JOIN core.services AS s USING (service_id)
    CROSS JOIN rules AS r
),
previous AS (
    SELECT inc.incident_id, c.deployment_id AS previous_deployment_id,
           c.finished_at AS previous_finished_at
    FROM inc
    ASOF LEFT JOIN _il_counted_last AS c
        ON c.service_id = inc.service_id AND inc.opened_at > c.finished_at
),
classified AS (
    SELECT
        inc.*,
        p.previous_deployment_id,
        date_diff('second', p.previous_finished_at, inc.opened_at) / 3600.0 AS hours_after,
        named.deployment_id IS NOT NULL AS named_exists,
        named_counted.deployment_id IS NOT NULL AS named_counted
    FROM inc
    LEFT JOIN previous AS p USING (incident_id)
    LEFT JOIN core.deployments AS named ON named.deployment_id = inc.caused_by_deployment_id
    LEFT JOIN _il_counted AS named_counted
        ON named_counted.deployment_id = inc.caused_by_deployment_id
)
SELECT
    incident_id,
    service_id,
    team_id,
    severity,
    opened_at,
    acknowledged_at,
    resolved_at,
    caused_by_deployment_id,
    severity_counted AS is_counted,
    CASE
        WHEN NOT severity_counted THEN NULL
        WHEN caused_by_deployment_id IS NOT NULL THEN
            CASE WHEN named_counted THEN caused_by_deployment_id END
        WHEN previous_deployment_id IS NOT NULL
            AND (attribution_window_hours IS NULL OR hours_after <= attribution_window_hours)
            THEN previous_deployment_id
    END AS deployment_id,
    CASE
        WHEN NOT severity_counted THEN NULL
        WHEN caused_by_deployment_id IS NOT NULL THEN
            CASE WHEN named_counted THEN 'explicit' END
        WHEN previous_deployment_id IS NOT NULL
            AND (attribution_window_hours IS NULL OR hours_after <= attribution_window_hours)
            THEN 'time_window'
    END AS link_method,
    CASE WHEN caused_by_deployment_id IS NULL AND previous_deployment_id IS NOT NULL
        THEN hours_after END AS hours_after_deployment,
    CASE
        WHEN NOT severity_counted THEN
            'severity not counted (' || coalesce(severity, 'none') || ')'
        WHEN caused_by_deployment_id IS NOT NULL AND named_counted THEN
            'caused_by_deployment_id names counted deployment ' || caused_by_deployment_id
        WHEN caused_by_deployment_id IS NOT NULL AND named_exists THEN
            'caused_by_deployment_id names ' || caused_by_deployment_id
            || ', which is not a counted deployment (not production or not successful)'
        WHEN caused_by_deployment_id IS NOT NULL THEN
            'caused_by_deployment_id names unknown deployment ' || caused_by_deployment_id
        WHEN previous_deployment_id IS NULL THEN
            'no earlier counted deployment of the service'
        WHEN attribution_window_hours IS NOT NULL AND hours_after > attribution_window_hours THEN
            'latest earlier counted deployment ' || previous_deployment_id || ' finished '
            || round(hours_after, 2) || ' h before, outside the attribution window of '
            || attribution_window_hours || ' h'
        ELSE
            'latest counted deployment of the service before opened_at: '
            || previous_deployment_id || ' (' || round(hours_after, 2) || ' h before)'
    END AS link_reason
FROM classified
ORDER BY incident_id;

-- Documentation shown by DESCRIBE, duckdb_columns() and docs/sql.md.
COMMENT ON TABLE marts.incident_links IS 'One row per incident: the counted production deployment it makes failed, and how (or why not) it was linked.';
COMMENT ON COLUMN marts.incident_links.incident_id IS 'the incident';
COMMENT ON COLUMN marts.incident_links.service_id IS 'the affected service';
COMMENT ON COLUMN marts.incident_links.team_id IS 'the service''s owning team';
COMMENT ON COLUMN marts.incident_links.severity IS 'as received';
COMMENT ON COLUMN marts.incident_links.opened_at IS 'when it was opened (UTC)';
COMMENT ON COLUMN marts.incident_links.acknowledged_at IS 'when it was acknowledged (UTC)';
COMMENT ON COLUMN marts.incident_links.resolved_at IS 'when it was resolved (UTC); NULL while open';
COMMENT ON COLUMN marts.incident_links.caused_by_deployment_id IS 'the deployment the incident named, if any';
COMMENT ON COLUMN marts.incident_links.is_counted IS 'whether its severity counts under meta.rules.incident_severities';
COMMENT ON COLUMN marts.incident_links.deployment_id IS 'the counted deployment it makes failed; NULL when not linked (see link_reason)';
COMMENT ON COLUMN marts.incident_links.link_method IS 'explicit (caused_by_deployment_id) or time_window (latest counted deployment of the service before opened_at); NULL when not linked';
COMMENT ON COLUMN marts.incident_links.hours_after_deployment IS 'hours from the linked deployment''s finish to opened_at';
COMMENT ON COLUMN marts.incident_links.link_reason IS 'why it was linked this way, or why it was not';

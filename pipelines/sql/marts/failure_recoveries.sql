-- marts.failure_recoveries: one row per (failed counted deployment, failure cause): each incident
-- that makes it failed and, when rules.rollback_is_failure, the rollback that followed it
-- (contract §3 "Failed deployment recovery time"). Recovery through an incident runs from
-- opened_at to resolved_at; through a rollback from the failed deployment's finished_at to the
-- rollback's finished_at. recovered_at is NULL while the incident is unresolved, and the
-- metric counts a recovery in the period of recovered_at.

CREATE OR REPLACE TABLE marts.failure_recoveries AS
SELECT
    l.deployment_id,
    d.service_id,
    d.team_id,
    'incident_' || l.link_method AS failure_rule,
    l.incident_id AS cause_id,
    d.finished_at AS deployed_at,
    l.opened_at AS recovery_started_at,
    l.resolved_at AS recovered_at,
    CASE WHEN l.resolved_at >= l.opened_at
        THEN date_diff('microsecond', l.opened_at, l.resolved_at) / 3600e6 END AS recovery_hours
FROM marts.incident_links AS l
JOIN marts.deployments AS d USING (deployment_id)
UNION ALL
SELECT
    d.deployment_id,
    d.service_id,
    d.team_id,
    'rollback' AS failure_rule,
    rb.deployment_id AS cause_id,
    d.finished_at AS deployed_at,
    d.finished_at AS recovery_started_at,
    rb.finished_at AS recovered_at,
    date_diff('microsecond', d.finished_at, rb.finished_at) / 3600e6 AS recovery_hours
FROM marts.deployments AS d
JOIN marts.deployments AS rb ON rb.deployment_id = d.rolled_back_by_deployment_id
ORDER BY service_id, deployed_at, deployment_id, cause_id;

-- Documentation shown by DESCRIBE, duckdb_columns() and docs/sql.md.
COMMENT ON TABLE marts.failure_recoveries IS 'One row per (failed counted deployment, cause): each incident that made it failed and the rollback that followed it, with recovery time.';
COMMENT ON COLUMN marts.failure_recoveries.deployment_id IS 'the failed deployment';
COMMENT ON COLUMN marts.failure_recoveries.service_id IS 'its service';
COMMENT ON COLUMN marts.failure_recoveries.team_id IS 'the service''s owning team';
COMMENT ON COLUMN marts.failure_recoveries.failure_rule IS 'incident_explicit, incident_time_window or rollback';
COMMENT ON COLUMN marts.failure_recoveries.cause_id IS 'the incident or the rollback deployment';
COMMENT ON COLUMN marts.failure_recoveries.deployed_at IS 'the failed deployment''s finished_at (UTC)';
COMMENT ON COLUMN marts.failure_recoveries.recovery_started_at IS 'incident opened_at, or the failed deployment''s finished_at for a rollback';
COMMENT ON COLUMN marts.failure_recoveries.recovered_at IS 'incident resolved_at, or the rollback''s finished_at; NULL while unresolved';
COMMENT ON COLUMN marts.failure_recoveries.recovery_hours IS 'recovered_at - recovery_started_at in hours';

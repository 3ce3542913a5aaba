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

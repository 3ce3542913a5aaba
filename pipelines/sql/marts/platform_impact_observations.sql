-- marts.platform_impact_observations: the observations marts.platform_impact compares, one row
-- per (metric, observation), each placed in time and tagged with its team's adoption of the
-- platform (the team's first deployment through the platform, marts.adoption 'deploy'):
--   change_lead_time                 one change (hours, at deployed_at)
--   change_fail_rate                 one counted deployment (1 failed, 0 not; at finished_at)
--   deployment_frequency             one service-week: counted deployments of the service that
--                                    week (0 included) from the week of its first counted
--                                    deployment to the last week with any counted deployment
--   failed_deployment_recovery_time  one completed recovery (hours, at recovered_at)
--   onboarding_days_to_first_production_deploy
--                                    one engineer of a cohort (days; at start_date: a hire
--                                    counts as treated when they joined after adoption)
-- group_name is 'adopter' for a team that adopted at any time and 'non_adopter' otherwise;
-- is_after is true for an adopter's observations at or after its adoption; for service-weeks
-- the adoption is the week of the first deployment through the platform (that week is after). period_start is the
-- period the adopters_vs_non_adopters comparison matches groups on: the ISO week, or the cohort
-- month for onboarding (hires rarely start in the same week).

CREATE OR REPLACE TEMP TABLE _impact_adoption AS
SELECT team_id, adopted_at
FROM marts.adoption
WHERE scope = 'team' AND golden_path = 'deploy' AND adopted_at IS NOT NULL;

CREATE OR REPLACE TEMP TABLE _impact_service_weeks AS
WITH counted AS (
    SELECT service_id, any_value(team_id) AS team_id,
           min(date_trunc('week', finished_at)) AS first_week
    FROM marts.deployments
    WHERE is_counted
    GROUP BY service_id
),
bounds AS (
    SELECT max(date_trunc('week', finished_at)) AS last_week
    FROM marts.deployments WHERE is_counted
),
weeks AS (
    SELECT c.service_id, c.team_id, unnest(range(c.first_week, b.last_week + INTERVAL 7 DAY,
                                                INTERVAL 7 DAY)) AS week
    FROM counted AS c CROSS JOIN bounds AS b
),
per_week AS (
    SELECT service_id, date_trunc('week', finished_at) AS week, count(*) AS deployments
    FROM marts.deployments
    WHERE is_counted
    GROUP BY ALL
)
SELECT w.service_id, w.team_id, w.week, coalesce(p.deployments, 0) AS deployments
FROM weeks AS w
LEFT JOIN per_week AS p USING (service_id, week);

CREATE OR REPLACE TABLE marts.platform_impact_observations AS
WITH obs AS (
    SELECT 'change_lead_time' AS metric, team_id, service_id, deployed_at AS observed_at,
           lead_time_hours AS value
    FROM marts.changes WHERE lead_time_hours IS NOT NULL
    UNION ALL
    SELECT 'change_fail_rate', team_id, service_id, finished_at,
           CASE WHEN is_failure THEN 1.0 ELSE 0.0 END
    FROM marts.deployments WHERE is_counted
    UNION ALL
    SELECT 'deployment_frequency', team_id, service_id, week, deployments::DOUBLE
    FROM _impact_service_weeks
    UNION ALL
    SELECT 'failed_deployment_recovery_time', team_id, service_id, recovered_at, recovery_hours
    FROM marts.failure_recoveries WHERE recovery_hours IS NOT NULL
    UNION ALL
    SELECT 'onboarding_days_to_first_production_deploy', team_id, NULL, start_date::TIMESTAMP,
           days_since_start
    FROM marts.onboarding WHERE milestone = 'first_production_deploy'
)
SELECT
    o.metric,
    o.team_id,
    o.service_id,
    o.observed_at,
    date_trunc('week', o.observed_at)::DATE AS week,
    CASE WHEN o.metric LIKE 'onboarding%' THEN date_trunc('month', o.observed_at)
         ELSE date_trunc('week', o.observed_at) END::DATE AS period_start,
    o.value,
    t.adopted_at AS team_adopted_at,
    CASE WHEN t.adopted_at IS NOT NULL THEN 'adopter' ELSE 'non_adopter' END AS group_name,
    coalesce(o.observed_at >= t.adopted_at, false) AS is_after
FROM obs AS o
LEFT JOIN _impact_adoption AS a USING (team_id)
CROSS JOIN LATERAL (
    SELECT CASE WHEN o.metric = 'deployment_frequency' THEN date_trunc('week', a.adopted_at)
                ELSE a.adopted_at END AS adopted_at
) AS t
WHERE o.team_id IS NOT NULL AND o.observed_at IS NOT NULL
ORDER BY o.metric, o.observed_at, o.team_id, o.service_id;

COMMENT ON TABLE marts.platform_impact_observations IS 'The observations behind marts.platform_impact: one row per (metric, change / deployment / service-week / recovery / new hire), with its team''s platform adoption. No engineer is named.';
COMMENT ON COLUMN marts.platform_impact_observations.metric IS 'change_lead_time, change_fail_rate, deployment_frequency, failed_deployment_recovery_time or onboarding_days_to_first_production_deploy';
COMMENT ON COLUMN marts.platform_impact_observations.team_id IS 'team of the service (of the engineer, for onboarding)';
COMMENT ON COLUMN marts.platform_impact_observations.service_id IS 'service; NULL for onboarding';
COMMENT ON COLUMN marts.platform_impact_observations.observed_at IS 'UTC instant that places the observation (deployed_at, finished_at, week start, recovered_at, start_date)';
COMMENT ON COLUMN marts.platform_impact_observations.week IS 'ISO week (Monday) of observed_at';
COMMENT ON COLUMN marts.platform_impact_observations.period_start IS 'the period groups are matched on: the ISO week, or the cohort month (first day) for onboarding';
COMMENT ON COLUMN marts.platform_impact_observations.value IS 'hours, 0/1 failed, deployments in the service-week, or days';
COMMENT ON COLUMN marts.platform_impact_observations.team_adopted_at IS 'the team''s first deployment through the platform (for deployment_frequency, the Monday of its week); NULL for a non-adopter';
COMMENT ON COLUMN marts.platform_impact_observations.group_name IS 'adopter (the team adopted at some time) or non_adopter';
COMMENT ON COLUMN marts.platform_impact_observations.is_after IS 'observed at or after the team''s adoption';

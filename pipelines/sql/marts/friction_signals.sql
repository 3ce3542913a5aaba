-- marts.friction_signals: where engineers hit friction the platform could remove, each signal
-- with its threshold from meta.friction_thresholds ([friction] in paved.toml) over the trailing
-- window of window_weeks ISO weeks that ends with the last week holding any deployment, CI run,
-- platform event or incident. Counts only: no engineer is named, and an onboarding group of
-- fewer than rules.min_group_size engineers has value and triggered NULL (privacy, contract §4).
--   slow_onboarding            engineers of recent cohorts (start within onboarding_cohort_months
--                              months of the data's end) whose first production deploy took, or
--                              has been pending, more than onboarding_days (per team, per cohort
--                              month, org); triggered at slow_onboarding_engineers
--   hand_rolled_pipelines      teams running hand-rolled CI pipelines (not golden_path): several
--                              teams solving the same problem (org); triggered at
--                              hand_rolled_pipeline_teams
--   repeated_ticket_requests   teams asking for the same capability by ticket (org, per
--                              capability); triggered at ticket_request_teams
--   configuration_drift        incidents whose cause matches drift_cause_pattern (a regex,
--                              case-insensitive) (team, org); triggered at drift_incidents
--   ticket_for_self_served     a team's ticket requests for a capability that at least
--                              self_served_by_teams other teams self-serve (team, per
--                              capability); triggered at ticket_requests

CREATE OR REPLACE TEMP TABLE _friction_window AS
WITH last_event AS (
    SELECT max(ts) AS ts FROM (
        SELECT max(finished_at) AS ts FROM marts.deployments
        UNION ALL SELECT max(started_at) FROM marts.ci_runs
        UNION ALL SELECT max(occurred_at) FROM marts.platform_events
        UNION ALL SELECT max(opened_at) FROM marts.incident_links
    )
)
SELECT
    (date_trunc('week', l.ts) + INTERVAL 7 DAY - to_days(7 * t.window_weeks))::TIMESTAMP
        AS start_ts,
    (date_trunc('week', l.ts) + INTERVAL 7 DAY)::TIMESTAMP AS end_ts,
    l.ts AS data_end,
    t.*
FROM last_event AS l
CROSS JOIN meta.friction_thresholds AS t
WHERE l.ts IS NOT NULL;

CREATE OR REPLACE TEMP TABLE _friction_onboarding AS
WITH horizon AS (SELECT min(authored_at) AS first_commit_at FROM core.commits),
hires AS (
    SELECT e.engineer_id, e.team_id, e.start_date,
           date_trunc('month', e.start_date)::DATE AS cohort_month
    FROM core.engineers AS e
    CROSS JOIN horizon AS h
    CROSS JOIN _friction_window AS w
    WHERE e.start_date >= h.first_commit_at::DATE
      AND e.start_date >= (w.data_end - to_months(w.onboarding_cohort_months))::DATE
      AND e.start_date <= w.data_end::DATE
)
SELECT
    h.team_id,
    h.cohort_month,
    o.days_since_start,
    date_diff('microsecond', h.start_date::TIMESTAMP, w.data_end) / 86400e6 AS days_employed,
    coalesce(o.days_since_start,
             date_diff('microsecond', h.start_date::TIMESTAMP, w.data_end) / 86400e6)
        > w.onboarding_days AS is_slow,
    o.days_since_start IS NULL AS is_pending
FROM hires AS h
CROSS JOIN _friction_window AS w
LEFT JOIN marts.onboarding AS o
    ON o.engineer_id = h.engineer_id AND o.milestone = 'first_production_deploy';

CREATE OR REPLACE TABLE marts.friction_signals AS
WITH w AS (SELECT * FROM _friction_window),
onboarding AS (
    SELECT 'team' AS scope, team_id AS scope_id, * EXCLUDE (team_id) FROM _friction_onboarding
    UNION ALL
    SELECT 'cohort', strftime(cohort_month, '%Y-%m'), * EXCLUDE (team_id)
    FROM _friction_onboarding
    UNION ALL
    SELECT 'org', 'org', * EXCLUDE (team_id) FROM _friction_onboarding
),
slow AS (
    SELECT
        'slow_onboarding' AS signal, o.scope, o.scope_id, NULL::VARCHAR AS capability,
        CASE WHEN count(*) >= any_value(r.min_group_size)
            THEN count(*) FILTER (WHERE o.is_slow) END::DOUBLE AS value,
        any_value(w.onboarding_days)::DOUBLE AS threshold,
        CASE WHEN count(*) >= any_value(r.min_group_size)
            THEN count(*) FILTER (WHERE o.is_slow) >= any_value(w.slow_onboarding_engineers)
        END AS triggered,
        CASE WHEN count(*) < any_value(r.min_group_size) THEN
            count(*) || ' engineers started '
                || CASE o.scope WHEN 'cohort' THEN 'in ' ELSE 'since ' END
                || strftime(min(o.cohort_month), '%Y-%m') || ': fewer than '
                || any_value(r.min_group_size) || ' (rules.min_group_size), figures hidden'
        ELSE
            count(*) FILTER (WHERE o.is_slow) || ' of ' || count(*) || ' engineers who started '
                || CASE o.scope WHEN 'cohort' THEN 'in ' ELSE 'since ' END
                || strftime(min(o.cohort_month), '%Y-%m') || ' took more than '
                || any_value(w.onboarding_days) || ' days to a first production deploy ('
                || count(*) FILTER (WHERE o.is_slow AND o.is_pending) || ' still waiting)'
        END AS detail
    FROM onboarding AS o
    CROSS JOIN w
    CROSS JOIN (SELECT min_group_size FROM meta.rules LIMIT 1) AS r
    GROUP BY o.scope, o.scope_id
),
runs AS (
    SELECT r.* FROM marts.ci_runs AS r, w
    WHERE r.started_at >= w.start_ts AND r.started_at < w.end_ts
),
hand_rolled AS (
    SELECT
        'hand_rolled_pipelines' AS signal, 'org' AS scope, 'org' AS scope_id,
        'pipeline' AS capability,
        count(DISTINCT r.team_id)::DOUBLE AS value,
        any_value(w.hand_rolled_pipeline_teams)::DOUBLE AS threshold,
        count(DISTINCT r.team_id) >= any_value(w.hand_rolled_pipeline_teams) AS triggered,
        count(DISTINCT r.team_id) || ' teams run ' || count(DISTINCT r.repo || ' ' || r.pipeline)
            || ' hand-rolled pipelines (' || count(DISTINCT r.pipeline) || ' distinct names: '
            || string_agg(DISTINCT r.pipeline, ', ' ORDER BY r.pipeline) || ') instead of the '
            || 'golden path' AS detail
    FROM w LEFT JOIN runs AS r ON NOT r.golden_path AND r.team_id IS NOT NULL
),
events AS (
    SELECT p.* FROM marts.platform_events AS p, w
    WHERE p.occurred_at >= w.start_ts AND p.occurred_at < w.end_ts AND p.team_id IS NOT NULL
),
tickets AS (
    SELECT
        'repeated_ticket_requests' AS signal, 'org' AS scope, 'org' AS scope_id, e.capability,
        count(DISTINCT e.team_id)::DOUBLE AS value,
        any_value(w.ticket_request_teams)::DOUBLE AS threshold,
        count(DISTINCT e.team_id) >= any_value(w.ticket_request_teams) AS triggered,
        count(DISTINCT e.team_id) || ' teams filed ' || count(*) || ' tickets for '
            || e.capability AS detail
    FROM events AS e CROSS JOIN w
    WHERE e.channel = 'ticket'
    GROUP BY e.capability
),
team_capability AS (
    SELECT team_id, capability,
           count(*) FILTER (WHERE channel = 'ticket') AS tickets,
           count(*) FILTER (WHERE channel = 'self_service') AS self_service
    FROM events
    GROUP BY team_id, capability
),
self_served AS (
    SELECT
        'ticket_for_self_served' AS signal, 'team' AS scope, t.team_id AS scope_id, t.capability,
        t.tickets::DOUBLE AS value,
        any_value(w.ticket_requests)::DOUBLE AS threshold,
        t.tickets >= any_value(w.ticket_requests)
            AND count(o.team_id) >= any_value(w.self_served_by_teams) AS triggered,
        t.team_id || ' filed ' || t.tickets || ' tickets for ' || t.capability || ' while '
            || count(o.team_id) || ' other teams self-serve it' AS detail
    FROM team_capability AS t
    CROSS JOIN w
    LEFT JOIN team_capability AS o
        ON o.capability = t.capability AND o.team_id <> t.team_id AND o.self_service > 0
    WHERE t.tickets > 0
    GROUP BY t.team_id, t.capability, t.tickets
),
drift_incidents AS (
    SELECT
        i.team_id,
        coalesce(regexp_matches(c.cause, w.drift_cause_pattern, 'i'), false) AS is_drift,
        c.cause IS NOT NULL AS has_cause
    FROM marts.incident_links AS i
    JOIN core.incidents AS c USING (incident_id)
    CROSS JOIN w
    WHERE i.opened_at >= w.start_ts AND i.opened_at < w.end_ts
),
drift_scoped AS (
    SELECT 'team' AS scope, team_id AS scope_id, is_drift, has_cause
    FROM drift_incidents WHERE team_id IS NOT NULL
    UNION ALL
    SELECT 'org', 'org', is_drift, has_cause FROM drift_incidents
),
drift AS (
    SELECT
        'configuration_drift' AS signal, d.scope, d.scope_id, 'environment' AS capability,
        count(*) FILTER (WHERE d.is_drift)::DOUBLE AS value,
        any_value(w.drift_incidents)::DOUBLE AS threshold,
        count(*) FILTER (WHERE d.is_drift) >= any_value(w.drift_incidents) AS triggered,
        count(*) FILTER (WHERE d.is_drift) || ' of ' || count(*) FILTER (WHERE d.has_cause)
            || ' incidents with a known cause were configuration drift between environments'
            AS detail
    FROM drift_scoped AS d CROSS JOIN w
    GROUP BY d.scope, d.scope_id
)
SELECT s.*, w.start_ts::DATE AS window_start, (w.end_ts - INTERVAL 1 DAY)::DATE AS window_end
FROM (
    SELECT * FROM slow
    UNION ALL SELECT * FROM hand_rolled
    UNION ALL SELECT * FROM tickets
    UNION ALL SELECT * FROM self_served
    UNION ALL SELECT * FROM drift
) AS s
CROSS JOIN w
ORDER BY s.signal, s.scope, s.scope_id, s.capability;

COMMENT ON TABLE marts.friction_signals IS 'Friction the platform could remove, per signal and scope over the trailing window, with the configured threshold ([friction] in paved.toml). Counts only, no names. Key: signal, scope, scope_id, capability.';
COMMENT ON COLUMN marts.friction_signals.signal IS 'slow_onboarding, hand_rolled_pipelines, repeated_ticket_requests, configuration_drift or ticket_for_self_served';
COMMENT ON COLUMN marts.friction_signals.scope IS 'org, team, or cohort (slow_onboarding per start month)';
COMMENT ON COLUMN marts.friction_signals.scope_id IS 'org, team_id, or the cohort month YYYY-MM';
COMMENT ON COLUMN marts.friction_signals.capability IS 'platform capability the signal points at; NULL for onboarding';
COMMENT ON COLUMN marts.friction_signals.value IS 'engineers over the onboarding threshold (NULL for a group below rules.min_group_size), teams, incidents or tickets (see detail)';
COMMENT ON COLUMN marts.friction_signals.threshold IS 'the configured threshold the signal is judged by (days, for slow_onboarding)';
COMMENT ON COLUMN marts.friction_signals.triggered IS 'the signal fires (NULL when the value is hidden)';
COMMENT ON COLUMN marts.friction_signals.detail IS 'what was counted, in words';
COMMENT ON COLUMN marts.friction_signals.window_start IS 'first day of the trailing window';
COMMENT ON COLUMN marts.friction_signals.window_end IS 'last day of the trailing window';

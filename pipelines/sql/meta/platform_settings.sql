-- The platform settings in force for this run (from paved.toml; defaults documented in
-- docs/platform.md): friction thresholds, roadmap settings and impact settings, one row each.
-- meta.initiatives is filled row by row from [[roadmap.initiatives]] by pipelines/roadmap.py.
CREATE SCHEMA IF NOT EXISTS meta;
CREATE OR REPLACE TABLE meta.friction_thresholds AS
SELECT CAST($window_weeks AS INTEGER) AS window_weeks,
       CAST($onboarding_days AS DOUBLE) AS onboarding_days,
       CAST($onboarding_cohort_months AS INTEGER) AS onboarding_cohort_months,
       CAST($slow_onboarding_engineers AS INTEGER) AS slow_onboarding_engineers,
       CAST($hand_rolled_pipeline_teams AS INTEGER) AS hand_rolled_pipeline_teams,
       CAST($ticket_request_teams AS INTEGER) AS ticket_request_teams,
       CAST($drift_cause_pattern AS VARCHAR) AS drift_cause_pattern,
       CAST($drift_incidents AS INTEGER) AS drift_incidents,
       CAST($ticket_requests AS INTEGER) AS ticket_requests,
       CAST($self_served_by_teams AS INTEGER) AS self_served_by_teams;
CREATE OR REPLACE TABLE meta.roadmap_settings AS
SELECT CAST($current_window_weeks AS INTEGER) AS current_window_weeks,
       CAST($on_track_tolerance AS DOUBLE) AS on_track_tolerance;
CREATE OR REPLACE TABLE meta.impact_settings AS
SELECT CAST($min_observations AS INTEGER) AS min_observations,
       CAST($min_engineers AS INTEGER) AS min_engineers,
       CAST($min_teams AS INTEGER) AS min_teams,
       CAST($bootstrap_samples AS INTEGER) AS bootstrap_samples,
       CAST($confidence AS DOUBLE) AS confidence,
       CAST($seed AS BIGINT) AS seed;
CREATE OR REPLACE TABLE meta.initiatives (
    initiative_id VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    capability VARCHAR NOT NULL,
    target_metric VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    scope_kind VARCHAR NOT NULL,
    scope_id VARCHAR NOT NULL,
    baseline_start DATE NOT NULL,
    baseline_end DATE NOT NULL,
    target_value DOUBLE NOT NULL,
    due_date DATE NOT NULL
);
COMMENT ON TABLE meta.initiatives IS 'One row per platform roadmap initiative of [[roadmap.initiatives]] in paved.toml. Key: initiative_id.';
COMMENT ON COLUMN meta.initiatives.scope IS 'as configured: org or team:<team_id>';
COMMENT ON COLUMN meta.initiatives.scope_kind IS 'org or team';
COMMENT ON COLUMN meta.initiatives.scope_id IS 'org, or the team_id';
COMMENT ON COLUMN meta.initiatives.baseline_start IS 'first day of the baseline window (inclusive)';
COMMENT ON COLUMN meta.initiatives.baseline_end IS 'last day of the baseline window (inclusive)';
COMMENT ON COLUMN meta.initiatives.target_value IS 'value of target_metric to reach, in its unit';
COMMENT ON TABLE meta.friction_thresholds IS 'The [friction] thresholds in force (one row); defaults in docs/platform.md.';
COMMENT ON TABLE meta.roadmap_settings IS 'The [roadmap] settings in force (one row).';
COMMENT ON TABLE meta.impact_settings IS 'The [impact] settings in force (one row).';
COMMENT ON COLUMN meta.initiatives.initiative_id IS 'id in paved.toml';
COMMENT ON COLUMN meta.initiatives.title IS 'as configured';
COMMENT ON COLUMN meta.initiatives.capability IS 'the platform capability it delivers';
COMMENT ON COLUMN meta.initiatives.target_metric IS 'metric of the registry that shows progress';
COMMENT ON COLUMN meta.initiatives.due_date IS 'when the target is due (relative dates resolved)';
COMMENT ON COLUMN meta.friction_thresholds.window_weeks IS 'trailing ISO weeks every signal (and marts.opportunities) looks at; default 12';
COMMENT ON COLUMN meta.friction_thresholds.onboarding_days IS 'days to a first production deploy that count as slow; default 14';
COMMENT ON COLUMN meta.friction_thresholds.onboarding_cohort_months IS 'start months the onboarding signal looks at; default 6';
COMMENT ON COLUMN meta.friction_thresholds.slow_onboarding_engineers IS 'slow engineers that trigger slow_onboarding; default 1';
COMMENT ON COLUMN meta.friction_thresholds.hand_rolled_pipeline_teams IS 'teams running hand-rolled CI pipelines that trigger hand_rolled_pipelines; default 3';
COMMENT ON COLUMN meta.friction_thresholds.ticket_request_teams IS 'teams asking for one capability by ticket that trigger repeated_ticket_requests; default 3';
COMMENT ON COLUMN meta.friction_thresholds.drift_cause_pattern IS 'regex (case-insensitive) on incidents.cause for configuration_drift';
COMMENT ON COLUMN meta.friction_thresholds.drift_incidents IS 'drift incidents that trigger configuration_drift; default 1';
COMMENT ON COLUMN meta.friction_thresholds.ticket_requests IS 'a team''s tickets for a capability others self-serve that trigger ticket_for_self_served; default 3';
COMMENT ON COLUMN meta.friction_thresholds.self_served_by_teams IS 'other teams that must self-serve the capability; default 3';
COMMENT ON COLUMN meta.roadmap_settings.current_window_weeks IS 'trailing ISO weeks the current value is measured over; default 4';
COMMENT ON COLUMN meta.roadmap_settings.on_track_tolerance IS 'progress may lag the elapsed time by this share and be on track; default 0.1';
COMMENT ON COLUMN meta.impact_settings.min_observations IS 'observations needed on each side, else not_enough_data; default 20';
COMMENT ON COLUMN meta.impact_settings.min_engineers IS 'engineers needed on each side for onboarding (never below rules.min_group_size); default 10';
COMMENT ON COLUMN meta.impact_settings.min_teams IS 'adopter and non-adopter teams needed; default 2';
COMMENT ON COLUMN meta.impact_settings.bootstrap_samples IS 'seeded bootstrap resamples; default 500';
COMMENT ON COLUMN meta.impact_settings.confidence IS 'interval confidence; default 0.95';
COMMENT ON COLUMN meta.impact_settings.seed IS 'bootstrap seed (results are reproducible)';

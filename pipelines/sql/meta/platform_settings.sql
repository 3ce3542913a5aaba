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

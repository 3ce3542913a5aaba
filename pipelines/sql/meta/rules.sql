CREATE SCHEMA IF NOT EXISTS meta;
CREATE OR REPLACE TABLE meta.rules AS
SELECT CAST($production_env_regex AS VARCHAR) AS production_env_regex,
       CAST($incident_severities AS VARCHAR[]) AS incident_severities,
       CAST($attribution_window_hours AS DOUBLE) AS attribution_window_hours,
       CAST($rollback_is_failure AS BOOLEAN) AS rollback_is_failure,
       CAST($band_window_weeks AS INTEGER) AS band_window_weeks,
       CAST($band_year AS INTEGER) AS band_year,
       CAST($min_group_size AS INTEGER) AS min_group_size,
       CAST($earliest_event_at AS DATE) AS earliest_event_at,
       CAST($event_future_tolerance_hours AS DOUBLE) AS event_future_tolerance_hours,
       CAST($earliest_employment_date AS DATE) AS earliest_employment_date,
       CAST($employment_future_tolerance_days AS INTEGER) AS employment_future_tolerance_days,
       CAST($max_field_bytes AS BIGINT) AS max_field_bytes;
COMMENT ON TABLE meta.rules IS 'The rules in force for the last run (one row); every mart reads its rules from here.';
COMMENT ON COLUMN meta.rules.production_env_regex IS 'environments matching this regex (case-insensitive) are production';
COMMENT ON COLUMN meta.rules.incident_severities IS 'severities that count; NULL: every incident counts';
COMMENT ON COLUMN meta.rules.attribution_window_hours IS 'an incident without an explicit link is attributed to the latest counted deployment at most this many hours before it; NULL: any age';
COMMENT ON COLUMN meta.rules.rollback_is_failure IS 'a counted deployment followed by a rollback before the next regular one is failed';
COMMENT ON COLUMN meta.rules.band_window_weeks IS 'weeks in the trailing window that performance bands judge';
COMMENT ON COLUMN meta.rules.band_year IS 'State of DevOps report whose bands apply (2023 or 2024)';
COMMENT ON COLUMN meta.rules.min_group_size IS 'groups of fewer engineers are suppressed (value NULL)';
COMMENT ON COLUMN meta.rules.earliest_event_at IS 'event timestamps before this date are implausible: the record is quarantined';
COMMENT ON COLUMN meta.rules.event_future_tolerance_hours IS 'event timestamps later than the run time plus this many hours are quarantined';
COMMENT ON COLUMN meta.rules.earliest_employment_date IS 'start and end dates before this are implausible: the record is quarantined';
COMMENT ON COLUMN meta.rules.employment_future_tolerance_days IS 'start and end dates later than the run date plus this many days are quarantined';
COMMENT ON COLUMN meta.rules.max_field_bytes IS 'a field longer than this many bytes is quarantined';

CREATE SCHEMA IF NOT EXISTS meta;
CREATE OR REPLACE TABLE meta.rules AS
SELECT CAST($production_env_regex AS VARCHAR) AS production_env_regex,
       CAST($incident_severities AS VARCHAR[]) AS incident_severities,
       CAST($attribution_window_hours AS DOUBLE) AS attribution_window_hours,
       CAST($rollback_is_failure AS BOOLEAN) AS rollback_is_failure,
       CAST($band_window_weeks AS INTEGER) AS band_window_weeks,
       CAST($band_year AS INTEGER) AS band_year,
       CAST($min_group_size AS INTEGER) AS min_group_size;

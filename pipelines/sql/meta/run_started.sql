CREATE SCHEMA IF NOT EXISTS meta;
CREATE TABLE IF NOT EXISTS meta.runs (
    run_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status VARCHAR NOT NULL,          -- running, success, failed
    quarantined BIGINT,               -- records in core.quarantine after the run
    rules JSON NOT NULL               -- the rules in force (meta.rules) for this run
);
INSERT OR REPLACE INTO meta.runs
VALUES ($run_id, now()::TIMESTAMP, NULL, 'running', NULL, CAST($rules_json AS JSON));
COMMENT ON TABLE meta.runs IS 'One row per pipeline run, with the rules it ran under.';
COMMENT ON COLUMN meta.runs.status IS 'running, success or failed; a failed run never reaches the published copy';
COMMENT ON COLUMN meta.runs.quarantined IS 'records in core.quarantine after the run';
COMMENT ON COLUMN meta.runs.rules IS 'the rules in force (as meta.rules) for this run';
COMMENT ON COLUMN meta.runs.run_id IS 'the Dagster run id';
COMMENT ON COLUMN meta.runs.started_at IS 'UTC';
COMMENT ON COLUMN meta.runs.finished_at IS 'UTC; NULL while running';

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

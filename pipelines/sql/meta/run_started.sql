CREATE SCHEMA IF NOT EXISTS meta;
CREATE TABLE IF NOT EXISTS meta.runs (
    run_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status VARCHAR NOT NULL,          -- running, success, failed, abandoned
    quarantined BIGINT,               -- open entries in core.quarantine after the run
    rules JSON NOT NULL               -- the rules in force (meta.rules) for this run
);
-- Only one process can hold the working warehouse, and this run holds it now: any other run
-- still 'running' stopped without recording how it ended (killed, out of memory, the machine
-- restarted, or a Dagster-launched run that failed). When it stopped is unknown, so its
-- finished_at stays NULL.
UPDATE meta.runs SET status = 'abandoned' WHERE status = 'running' AND run_id <> $run_id;
INSERT OR REPLACE INTO meta.runs
VALUES ($run_id, now()::TIMESTAMP, NULL, 'running', NULL, CAST($rules_json AS JSON));
COMMENT ON TABLE meta.runs IS 'One row per pipeline run, with the rules it ran under.';
COMMENT ON COLUMN meta.runs.status IS 'running, success, failed (stopped on an error) or abandoned (the process stopped without recording how it ended: killed, out of memory, restarted; set by the next run); a run that is not success never published, and shows here from the next successful run on';
COMMENT ON COLUMN meta.runs.quarantined IS 'open entries in core.quarantine after the run';
COMMENT ON COLUMN meta.runs.rules IS 'the rules in force (as meta.rules) for this run';
COMMENT ON COLUMN meta.runs.run_id IS 'the Dagster run id';
COMMENT ON COLUMN meta.runs.started_at IS 'UTC';
COMMENT ON COLUMN meta.runs.finished_at IS 'UTC; NULL while running, and for an abandoned run (when it stopped is unknown)';

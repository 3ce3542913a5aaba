CREATE SCHEMA IF NOT EXISTS meta;
CREATE TABLE IF NOT EXISTS meta.source_runs (
    run_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,        -- the [sources.<name>] it ran
    type VARCHAR NOT NULL,          -- github, gitlab, pagerduty, opsgenie, backstage, hr_csv
    started_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL,        -- success, partial (some parts failed), failed
    records BIGINT,                 -- records fetched and mapped
    new_records BIGINT,             -- of those, new in raw
    requests BIGINT,                -- HTTP requests, retries included
    not_modified BIGINT,            -- answered 304: saved by ETags
    error VARCHAR,                  -- what failed, with the request, and what to do
    report JSON                     -- the full sync report
);
COMMENT ON TABLE meta.source_runs IS 'One row per configured source per run: whether it synced, what it fetched, what failed.';
COMMENT ON COLUMN meta.source_runs.status IS 'success, partial (some parts failed; the rest loaded) or failed';
COMMENT ON COLUMN meta.source_runs.error IS 'what failed, with the request, and what to do';
COMMENT ON COLUMN meta.source_runs.not_modified IS 'requests answered 304 Not Modified: saved by ETags';
COMMENT ON COLUMN meta.source_runs.run_id IS 'the Dagster run id';
COMMENT ON COLUMN meta.source_runs.source IS 'the [sources.<name>] that ran';
COMMENT ON COLUMN meta.source_runs.type IS 'github, gitlab, pagerduty, opsgenie, backstage or hr_csv';
COMMENT ON COLUMN meta.source_runs.started_at IS 'UTC';
COMMENT ON COLUMN meta.source_runs.records IS 'records fetched and mapped';
COMMENT ON COLUMN meta.source_runs.new_records IS 'of those, new in raw (the rest were unchanged)';
COMMENT ON COLUMN meta.source_runs.requests IS 'HTTP requests, retries included';
COMMENT ON COLUMN meta.source_runs.report IS 'the full sync report (JSON)';

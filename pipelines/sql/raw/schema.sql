-- The raw layer: one envelope per record as received. Append-only.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS meta;
CREATE TABLE IF NOT EXISTS raw.records (
    seq BIGINT NOT NULL,          -- arrival order; the latest version of a key wins in core
    batch_id VARCHAR NOT NULL,    -- the load that first received this envelope
    source VARCHAR NOT NULL,      -- 'inbox' or a configured source name
    entity VARCHAR NOT NULL,      -- canonical entity, or an unknown name kept as received
    record_key VARCHAR,           -- natural key from the contract; NULL when missing or unknown
    payload JSON NOT NULL,        -- the record as received
    payload_hash VARCHAR NOT NULL,
    origin VARCHAR,               -- file and line, or request, it came from
    fetched_at TIMESTAMP NOT NULL
);
-- v2: why the loader could not read a record (bad bytes, quoting, an unreadable file); NULL when
-- it read it. Such an envelope holds what could be kept of the input, and core quarantines it.
ALTER TABLE raw.records ADD COLUMN IF NOT EXISTS problem VARCHAR;
CREATE TABLE IF NOT EXISTS meta.batches (
    batch_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMP NOT NULL,
    kind VARCHAR NOT NULL,        -- 'inbox' or 'source'
    detail JSON
);
COMMENT ON TABLE raw.records IS 'One envelope per record exactly as received; append-only, stored once per distinct payload.';
COMMENT ON TABLE meta.batches IS 'One row per load: an inbox folder or a source sync.';
COMMENT ON COLUMN meta.batches.batch_id IS 'the load; raw.records.batch_id points here';
COMMENT ON COLUMN meta.batches.started_at IS 'when the load started (UTC)';
COMMENT ON COLUMN meta.batches.kind IS 'inbox or source';
COMMENT ON COLUMN meta.batches.detail IS 'the folder, or the source and whether it was a full resync';
COMMENT ON COLUMN raw.records.problem IS 'why the loader could not read this record (undecodable bytes, broken quoting, an unreadable file), with the line or byte offset; NULL when it was read';

CREATE SCHEMA IF NOT EXISTS core;
CREATE TABLE IF NOT EXISTS core.quarantine (
    entity VARCHAR NOT NULL,      -- canonical entity the record claimed to be
    source VARCHAR NOT NULL,      -- 'inbox' or the configured source name
    record_key VARCHAR,           -- its natural key, when it had one
    raw_record JSON NOT NULL,     -- the record exactly as received
    reason VARCHAR NOT NULL,      -- every rule it broke, separated by '; '
    origin VARCHAR,               -- file:line or request it came from
    batch_id VARCHAR NOT NULL,    -- the load that received it
    loaded_at TIMESTAMP NOT NULL
);
-- v2: the quarantine's lifecycle. An entry is keyed by the raw record it holds (raw_seq), so it
-- is written once however often a build runs; it is open until a later valid version of its key
-- loads. Older homes gain the columns here; their entries are rewritten when core rebuilds.
ALTER TABLE core.quarantine ADD COLUMN IF NOT EXISTS raw_seq BIGINT;
ALTER TABLE core.quarantine ADD COLUMN IF NOT EXISTS status VARCHAR DEFAULT 'open';
ALTER TABLE core.quarantine ADD COLUMN IF NOT EXISTS resolved_at TIMESTAMP;
CREATE SCHEMA IF NOT EXISTS meta;
-- What each core table reflects: the last raw seq it has seen and the typing rules it was built
-- with (pipelines/core.py builds only the newer records while both hold).
CREATE TABLE IF NOT EXISTS meta.core_state (
    entity VARCHAR PRIMARY KEY,
    max_seq BIGINT NOT NULL,
    signature VARCHAR NOT NULL,
    built_at TIMESTAMP NOT NULL
);
COMMENT ON TABLE meta.core_state IS 'One row per core table: the last raw record it reflects and the typing rules it was built with; a core build reads only newer records while both hold.';
COMMENT ON COLUMN meta.core_state.entity IS 'the core table (canonical entity)';
COMMENT ON COLUMN meta.core_state.max_seq IS 'the highest raw.records seq of the entity reflected in the table';
COMMENT ON COLUMN meta.core_state.signature IS 'hash of the typing and validation SQL the table was built with; a change rebuilds it from all of raw';
COMMENT ON COLUMN meta.core_state.built_at IS 'when the table was last brought up to date (UTC)';

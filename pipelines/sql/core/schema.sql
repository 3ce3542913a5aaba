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

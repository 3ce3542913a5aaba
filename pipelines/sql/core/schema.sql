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

-- Where each configured source stopped: one row per (source, stream). `cursor` is the
-- provider-specific resume point (an updated-since timestamp, a keyset cursor or a file hash),
-- `etag` the validator of the stream's first page for conditional requests (304 = unchanged).
CREATE SCHEMA IF NOT EXISTS raw;
CREATE TABLE IF NOT EXISTS raw.sync_state (
    source VARCHAR NOT NULL,
    stream VARCHAR NOT NULL,
    cursor VARCHAR,
    etag VARCHAR,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source, stream)
);

-- What each inbox load did not load, or loaded without knowing it (contract §1, input hygiene).
CREATE SCHEMA IF NOT EXISTS meta;
CREATE TABLE IF NOT EXISTS meta.inbox_findings (
    batch_id VARCHAR NOT NULL,    -- the load (meta.batches)
    kind VARCHAR NOT NULL,        -- unknown_entity, unknown_field, unknown_extension, outside_link, not_a_file, key_conflict
    entity VARCHAR,               -- the entity the file or record claimed to be
    file VARCHAR NOT NULL,        -- the file (or file:line) it is about
    detail VARCHAR NOT NULL,      -- one sentence: what was found and what paved did
    records BIGINT NOT NULL,      -- how many records it concerns
    found_at TIMESTAMP NOT NULL
);
COMMENT ON TABLE meta.inbox_findings IS 'One row per thing an inbox load reported without failing: unknown entities, fields and file extensions, links leaving the inbox, files that are not regular files, and keys sent twice with different values in one batch.';
COMMENT ON COLUMN meta.inbox_findings.batch_id IS 'the load; its run is the prefix of the batch id';
COMMENT ON COLUMN meta.inbox_findings.kind IS 'unknown_entity, unknown_field, unknown_extension, outside_link, not_a_file or key_conflict';
COMMENT ON COLUMN meta.inbox_findings.entity IS 'the entity the file or record claimed to be';
COMMENT ON COLUMN meta.inbox_findings.file IS 'the file, or file:line, it is about';
COMMENT ON COLUMN meta.inbox_findings.detail IS 'what was found and what paved did about it';
COMMENT ON COLUMN meta.inbox_findings.records IS 'how many records it concerns';
COMMENT ON COLUMN meta.inbox_findings.found_at IS 'UTC';

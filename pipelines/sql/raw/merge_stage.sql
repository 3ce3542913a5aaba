-- Merge the keyed stage into raw.records. Re-deliveries (same source, entity, key, payload) and
-- duplicates inside the stage are skipped; the result table says which envelopes were new.
CREATE OR REPLACE TEMP TABLE raw_merge_result AS
WITH ranked AS (
    SELECT *,
           row_number() OVER (
               PARTITION BY source, entity, coalesce(record_key, ''), payload_hash ORDER BY ord DESC
           ) AS dup_rank
    FROM raw_keyed
)
SELECT r.*,
       (r.dup_rank = 1 AND e.payload_hash IS NULL) AS is_new
FROM ranked r
LEFT JOIN (SELECT DISTINCT source, entity, record_key, payload_hash FROM raw.records) e
  ON e.source = r.source AND e.entity = r.entity
 AND e.record_key IS NOT DISTINCT FROM r.record_key AND e.payload_hash = r.payload_hash;

INSERT INTO raw.records
SELECT nextval('raw.record_seq'), $batch_id, source, entity, record_key, payload, payload_hash,
       origin, now()::TIMESTAMP
FROM (SELECT * FROM raw_merge_result WHERE is_new ORDER BY ord);

-- Publish the stage (raw_stage: keyed and hashed while staging) into raw.records.
-- A stage ord is (part << 32) + row (raw.PART_BITS): a part is one staged input.

-- Where each part starts in this load: seq = base (the highest seq stored) + offset + row, so seq
-- follows arrival order with no sort of the payloads. A part spans its highest row number, not
-- its row count: a reader may skip rows (blank lines, lines set aside), and two parts must never
-- share a seq. Such skips leave gaps in seq; nothing relies on seq being gap-free.
CREATE OR REPLACE TEMP TABLE raw_stage_parts AS
SELECT ord >> 32 AS part,
       CAST(sum(max(ord & 4294967295)) OVER (ORDER BY ord >> 32) - max(ord & 4294967295) AS BIGINT)
           AS start
FROM raw_stage
GROUP BY ord >> 32;

-- Copies inside the stage: only the last (highest ord) of identical envelopes is stored. Rows
-- are first grouped by a 64-bit hash of the identity (a cheap fixed-width key), and only rows
-- whose hash occurs twice are compared exactly, usually none.
CREATE OR REPLACE TEMP TABLE raw_stage_superseded AS
WITH repeated AS (
    SELECT hash(source, entity, record_key, payload_hash) AS h
    FROM raw_stage
    GROUP BY h
    HAVING count(*) > 1
)
SELECT ord
FROM raw_stage
WHERE hash(source, entity, record_key, payload_hash) IN (SELECT h FROM repeated)
QUALIFY ord < max(ord) OVER (PARTITION BY source, entity, record_key, payload_hash);

-- Store what raw does not hold yet, comparing only the staged sources and entities of raw.
-- Explicit anti joins: NOT EXISTS was planned as a delim join that grouped the whole stage.
INSERT INTO raw.records
SELECT $base + p.start + (s.ord & 4294967295), $batch_id, s.source, s.entity, s.record_key,
       s.payload, s.payload_hash, s.origin, now()::TIMESTAMP, s.problem
FROM raw_stage s
JOIN raw_stage_parts p ON p.part = s.ord >> 32
ANTI JOIN raw_stage_superseded x ON x.ord = s.ord
ANTI JOIN (
    SELECT source, entity, record_key, payload_hash
    FROM raw.records
    WHERE source = ANY($sources) AND entity = ANY($entities)
) e
  ON e.source = s.source AND e.entity = s.entity AND e.payload_hash = s.payload_hash
 AND e.record_key IS NOT DISTINCT FROM s.record_key;

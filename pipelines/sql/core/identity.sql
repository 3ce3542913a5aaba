-- Resolve authors to engineers (contract §1): by engineer_id or any alias, case-insensitively.
-- Identities from a directory (core.identities, e.g. Backstage users) join the engineer they name,
-- or else the one engineer any of their aliases already points to, and add their aliases.
-- An alias claimed by two engineers resolves to the smaller engineer_id, deterministically; the
-- conflict stays visible in core.alias_conflicts.
CREATE OR REPLACE TEMP TABLE engineer_claims AS
SELECT lower(engineer_id) AS alias, engineer_id FROM core.engineers
UNION
SELECT lower(unnest(aliases)) AS alias, engineer_id FROM core.engineers;

CREATE OR REPLACE TEMP TABLE identity_aliases AS
SELECT identity_id, lower(a) AS alias
FROM (
    SELECT identity_id, unnest(list_concat([identity_id, email], coalesce(aliases, []))) AS a
    FROM core.identities
)
WHERE a IS NOT NULL AND a <> '';

CREATE OR REPLACE TEMP TABLE identity_engineer AS
SELECT i.identity_id, coalesce(any_value(e.engineer_id), min(c.engineer_id)) AS engineer_id
FROM core.identities i
LEFT JOIN core.engineers e ON e.engineer_id = i.engineer_id
LEFT JOIN identity_aliases ia ON ia.identity_id = i.identity_id
LEFT JOIN engineer_claims c ON c.alias = ia.alias
GROUP BY i.identity_id
HAVING count(DISTINCT c.engineer_id) <= 1 OR any_value(e.engineer_id) IS NOT NULL;

CREATE OR REPLACE TEMP TABLE all_claims AS
SELECT alias, engineer_id FROM engineer_claims
UNION
SELECT ia.alias, ie.engineer_id
FROM identity_aliases ia JOIN identity_engineer ie USING (identity_id)
WHERE ie.engineer_id IS NOT NULL;

CREATE OR REPLACE TABLE core.alias_conflicts AS
SELECT alias, list(engineer_id ORDER BY engineer_id) AS engineer_ids
FROM all_claims GROUP BY alias HAVING count(*) > 1 ORDER BY alias;

CREATE OR REPLACE TABLE core.engineer_aliases AS
SELECT alias, min(engineer_id) AS engineer_id FROM all_claims GROUP BY alias ORDER BY alias;

-- An incremental core build keeps the previous run's resolution: it is recomputed here.
ALTER TABLE core.commits DROP COLUMN IF EXISTS author_engineer_id;
ALTER TABLE core.pull_requests DROP COLUMN IF EXISTS author_engineer_id;

CREATE OR REPLACE TABLE core.commits AS
SELECT c.*, a.engineer_id AS author_engineer_id
FROM core.commits c LEFT JOIN core.engineer_aliases a ON a.alias = lower(c.author_id)
ORDER BY c.repo, c.sha;

CREATE OR REPLACE TABLE core.pull_requests AS
SELECT p.*, a.engineer_id AS author_engineer_id
FROM core.pull_requests p LEFT JOIN core.engineer_aliases a ON a.alias = lower(p.author_id)
ORDER BY p.repo, p.number;

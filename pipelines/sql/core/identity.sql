-- Resolve authors to engineers (contract §1): by engineer_id or any alias, case-insensitively.
-- An alias claimed by two engineers resolves to the smaller engineer_id, deterministically; the
-- conflict stays visible in core.alias_conflicts.
CREATE OR REPLACE TABLE core.alias_conflicts AS
WITH claims AS (
    SELECT lower(engineer_id) AS alias, engineer_id FROM core.engineers
    UNION
    SELECT lower(unnest(aliases)) AS alias, engineer_id FROM core.engineers
)
SELECT alias, list(engineer_id ORDER BY engineer_id) AS engineer_ids
FROM claims GROUP BY alias HAVING count(*) > 1;

CREATE OR REPLACE TABLE core.engineer_aliases AS
WITH claims AS (
    SELECT lower(engineer_id) AS alias, engineer_id FROM core.engineers
    UNION
    SELECT lower(unnest(aliases)) AS alias, engineer_id FROM core.engineers
)
SELECT alias, min(engineer_id) AS engineer_id FROM claims GROUP BY alias ORDER BY alias;

CREATE OR REPLACE TABLE core.commits AS
SELECT c.*, a.engineer_id AS author_engineer_id
FROM core.commits c LEFT JOIN core.engineer_aliases a ON a.alias = lower(c.author_id)
ORDER BY c.repo, c.sha;

CREATE OR REPLACE TABLE core.pull_requests AS
SELECT p.*, a.engineer_id AS author_engineer_id
FROM core.pull_requests p LEFT JOIN core.engineer_aliases a ON a.alias = lower(p.author_id)
ORDER BY p.repo, p.number;

-- marts.catalogue_completeness: one row per service of core.services: whether the catalogue
-- records each of the five facts a platform needs about it (an owner team that exists in
-- core.teams, a tier, a lifecycle, a repository, a golden-path template) and the completeness
-- score (the share of the five present). missing lists what to fill in.

CREATE OR REPLACE TABLE marts.catalogue_completeness AS
WITH checks AS (
    SELECT
        s.service_id,
        s.team_id,
        s.created_at,
        t.team_id IS NOT NULL AS has_owner_team,
        nullif(trim(s.tier), '') IS NOT NULL AS has_tier,
        nullif(trim(s.lifecycle), '') IS NOT NULL AS has_lifecycle,
        nullif(trim(s.repo), '') IS NOT NULL AS has_repository,
        nullif(trim(s.template), '') IS NOT NULL AS has_template
    FROM core.services AS s
    LEFT JOIN core.teams AS t USING (team_id)
)
SELECT
    *,
    (has_owner_team::INTEGER + has_tier::INTEGER + has_lifecycle::INTEGER
        + has_repository::INTEGER + has_template::INTEGER) / 5.0 AS completeness,
    nullif(concat_ws(', ',
        CASE WHEN NOT has_owner_team THEN 'owner team' END,
        CASE WHEN NOT has_tier THEN 'tier' END,
        CASE WHEN NOT has_lifecycle THEN 'lifecycle' END,
        CASE WHEN NOT has_repository THEN 'repository' END,
        CASE WHEN NOT has_template THEN 'template' END
    ), '') AS missing
FROM checks
ORDER BY service_id;

COMMENT ON TABLE marts.catalogue_completeness IS 'One row per catalogued service: which of owner team, tier, lifecycle, repository and template the catalogue records, and the completeness score. Key: service_id.';
COMMENT ON COLUMN marts.catalogue_completeness.service_id IS 'service';
COMMENT ON COLUMN marts.catalogue_completeness.team_id IS 'owner team as catalogued';
COMMENT ON COLUMN marts.catalogue_completeness.created_at IS 'UTC; NULL when unknown (then the service counts from the first period)';
COMMENT ON COLUMN marts.catalogue_completeness.has_owner_team IS 'team_id names a team of core.teams';
COMMENT ON COLUMN marts.catalogue_completeness.has_tier IS 'tier is set';
COMMENT ON COLUMN marts.catalogue_completeness.has_lifecycle IS 'lifecycle is set';
COMMENT ON COLUMN marts.catalogue_completeness.has_repository IS 'repo is set';
COMMENT ON COLUMN marts.catalogue_completeness.has_template IS 'template is set (created from a golden path)';
COMMENT ON COLUMN marts.catalogue_completeness.completeness IS 'share of the five facts present, 0 to 1';
COMMENT ON COLUMN marts.catalogue_completeness.missing IS 'the facts to fill in, comma-separated; NULL when complete';

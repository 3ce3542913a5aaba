-- marts.opportunities: which teams would gain most from which capability. For each team and
-- capability, over the trailing window of meta.friction_thresholds.window_weeks ISO weeks (ending
-- with the last week holding any event): the team's share of the golden path (or of
-- self-service for a platform capability), the pooled share of the adopters (teams that took
-- up that golden path; for platform capabilities, teams deploying through the platform), the
-- gap, the team's volume (size) and score = gap x size: the services, CI runs, deployments or
-- requests that would move to the platform if the team matched the adopters. Ranked by score;
-- only teams with a gap are listed. Team level only.
CREATE OR REPLACE TABLE marts.opportunities AS
WITH last_event AS (
    SELECT max(ts) AS ts FROM (
        SELECT max(finished_at) AS ts FROM marts.deployments
        UNION ALL SELECT max(started_at) FROM marts.ci_runs
        UNION ALL SELECT max(occurred_at) FROM marts.platform_events
    )
),
w AS (
    SELECT (date_trunc('week', l.ts) + INTERVAL 7 DAY - to_days(7 * t.window_weeks))::TIMESTAMP
               AS start_ts,
           (date_trunc('week', l.ts) + INTERVAL 7 DAY)::TIMESTAMP AS end_ts
    FROM last_event AS l CROSS JOIN meta.friction_thresholds AS t
    WHERE l.ts IS NOT NULL
),
adopted AS (
    SELECT team_id, golden_path FROM marts.adoption WHERE scope = 'team' AND is_adopted
),
usage AS (
    SELECT 'service_template' AS capability, 'services' AS size_unit, team_id,
           count(*) FILTER (WHERE has_template) AS platform, count(*) AS total
    FROM marts.catalogue_completeness WHERE team_id IS NOT NULL
    GROUP BY team_id
    UNION ALL
    SELECT 'golden_path_ci', 'CI runs', r.team_id, count(*) FILTER (WHERE r.golden_path),
           count(*)
    FROM marts.ci_runs AS r, w
    WHERE r.team_id IS NOT NULL AND r.started_at >= w.start_ts AND r.started_at < w.end_ts
    GROUP BY r.team_id
    UNION ALL
    SELECT 'platform_deploy', 'deployments', d.team_id,
           count(*) FILTER (WHERE d.via_platform), count(*)
    FROM marts.deployments AS d, w
    WHERE d.is_counted AND d.team_id IS NOT NULL
      AND d.finished_at >= w.start_ts AND d.finished_at < w.end_ts
    GROUP BY d.team_id
    UNION ALL
    SELECT 'self_service:' || p.capability, 'requests', p.team_id,
           count(*) FILTER (WHERE p.channel = 'self_service'), count(*)
    FROM marts.platform_events AS p, w
    WHERE p.team_id IS NOT NULL AND p.occurred_at >= w.start_ts AND p.occurred_at < w.end_ts
    GROUP BY p.capability, p.team_id
),
reference AS (
    SELECT u.capability, sum(u.platform) / nullif(sum(u.total), 0) AS adopters_share,
           count(*) AS adopter_teams
    FROM usage AS u
    JOIN adopted AS a
        ON a.team_id = u.team_id
        AND a.golden_path = CASE u.capability
            WHEN 'service_template' THEN 'template'
            WHEN 'golden_path_ci' THEN 'ci'
            ELSE 'deploy' END
    GROUP BY u.capability
),
effects AS (
    SELECT string_agg(metric || ' ' || CASE WHEN estimate > 0 THEN '+' ELSE '' END
                      || round(estimate, 2) || ' ' || unit, '; ' ORDER BY metric) AS text
    FROM marts.platform_impact
    WHERE comparison = 'diff_in_diff' AND status = 'ok'
),
scored AS (
    SELECT
        u.team_id,
        u.capability,
        u.platform / nullif(u.total, 0) AS team_share,
        r.adopters_share,
        r.adopter_teams,
        greatest(r.adopters_share - u.platform / nullif(u.total, 0), 0) AS gap,
        u.total AS size,
        u.size_unit,
        greatest(r.adopters_share - u.platform / nullif(u.total, 0), 0) * u.total AS score
    FROM usage AS u
    JOIN reference AS r USING (capability)
    WHERE u.total > 0
)
SELECT
    rank() OVER (ORDER BY s.score DESC, s.team_id, s.capability) AS rank,
    s.team_id,
    s.capability,
    s.team_share,
    s.adopters_share,
    s.adopter_teams,
    s.gap,
    s.size,
    s.size_unit,
    s.score,
    CASE WHEN s.capability IN ('platform_deploy', 'golden_path_ci') THEN
        'adopters after adoption, difference-in-differences: ' || e.text END AS expected_effect,
    w.start_ts::DATE AS window_start,
    (w.end_ts - INTERVAL 1 DAY)::DATE AS window_end
FROM scored AS s
CROSS JOIN w
CROSS JOIN effects AS e
WHERE s.score > 0
ORDER BY rank;

COMMENT ON TABLE marts.opportunities IS 'Which teams would gain most from which platform capability: gap to the adopters x size, ranked. Team level only. Key: team_id, capability.';
COMMENT ON COLUMN marts.opportunities.rank IS '1 = the largest expected gain';
COMMENT ON COLUMN marts.opportunities.team_id IS 'team';
COMMENT ON COLUMN marts.opportunities.capability IS 'service_template, golden_path_ci, platform_deploy, or self_service:<platform capability>';
COMMENT ON COLUMN marts.opportunities.team_share IS 'the team''s share on the platform (templated services, golden-path runs, deployments via the platform, self-service requests)';
COMMENT ON COLUMN marts.opportunities.adopters_share IS 'the same share pooled over the adopter teams';
COMMENT ON COLUMN marts.opportunities.adopter_teams IS 'adopter teams the reference share is taken over';
COMMENT ON COLUMN marts.opportunities.gap IS 'adopters_share - team_share (0 at least)';
COMMENT ON COLUMN marts.opportunities.size IS 'the team''s volume over the window (services: the whole catalogue)';
COMMENT ON COLUMN marts.opportunities.size_unit IS 'services, CI runs, deployments or requests';
COMMENT ON COLUMN marts.opportunities.score IS 'gap x size: the volume that would move to the platform';
COMMENT ON COLUMN marts.opportunities.expected_effect IS 'what adopters gained (marts.platform_impact, difference-in-differences), when estimated';
COMMENT ON COLUMN marts.opportunities.window_start IS 'first day of the trailing window';
COMMENT ON COLUMN marts.opportunities.window_end IS 'last day of the trailing window';

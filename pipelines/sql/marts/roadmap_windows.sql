-- The windows each roadmap initiative is measured over (temp table roadmap_windows): its
-- baseline (baseline_start to baseline_end, inclusive), the current window (the last
-- meta.roadmap_settings.current_window_weeks ISO weeks ending with the last complete week: the
-- earlier of the last week that ended before $as_of and the week of the last deployment, CI run,
-- platform event or incident) and the window before it (for the trend).
CREATE OR REPLACE TEMP TABLE roadmap_windows AS
WITH last_event AS (
    SELECT max(ts) AS ts FROM (
        SELECT max(finished_at) AS ts FROM marts.deployments
        UNION ALL SELECT max(started_at) FROM marts.ci_runs
        UNION ALL SELECT max(occurred_at) FROM marts.platform_events
        UNION ALL SELECT max(opened_at) FROM marts.incident_links
    )
),
current_end AS (
    SELECT least(
        date_trunc('week', $as_of::TIMESTAMP),
        coalesce(date_trunc('week', l.ts) + INTERVAL 7 DAY, date_trunc('week', $as_of::TIMESTAMP))
    )::TIMESTAMP AS end_ts
    FROM last_event AS l
),
settings AS (SELECT current_window_weeks AS weeks FROM meta.roadmap_settings LIMIT 1)
SELECT i.initiative_id, 'baseline' AS window_name, i.baseline_start::TIMESTAMP AS start_ts,
       (i.baseline_end + 1)::TIMESTAMP AS end_ts,
       (i.baseline_end - i.baseline_start + 1) / 7.0 AS weeks
FROM meta.initiatives AS i
UNION ALL
SELECT i.initiative_id, 'current', c.end_ts - to_days(7 * s.weeks), c.end_ts, s.weeks
FROM meta.initiatives AS i CROSS JOIN current_end AS c CROSS JOIN settings AS s
UNION ALL
SELECT i.initiative_id, 'previous', c.end_ts - to_days(14 * s.weeks),
       c.end_ts - to_days(7 * s.weeks), s.weeks
FROM meta.initiatives AS i CROSS JOIN current_end AS c CROSS JOIN settings AS s;

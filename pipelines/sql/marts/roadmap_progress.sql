-- marts.roadmap_progress: one row per roadmap initiative (meta.initiatives): its target metric's
-- value over the baseline window and the current trailing window (temp tables roadmap_windows
-- and roadmap_values, from the metric registry's own events), the trend against the window
-- before, and a status with why:
--   not_measurable_yet  no baseline or no current value (no data yet, or a private metric's
--                       group too small), or the current window does not start after baseline
--   done                the current value meets the target (direction from metrics.catalog)
--   off_track           past the due date and not done, worse than the baseline, or less than
--                       half of the progress the schedule expects
--   on_track            the share of the way from baseline to target (progress) is at least
--                       the share of the time from baseline_end to due_date elapsed, less
--                       on_track_tolerance (the schedule)
--   at_risk             behind the schedule but at least half of the way it expects
CREATE OR REPLACE TABLE marts.roadmap_progress AS
WITH v AS (
    SELECT
        initiative_id,
        any_value(value) FILTER (WHERE window_name = 'baseline') AS baseline_value,
        any_value(sample_size) FILTER (WHERE window_name = 'baseline') AS baseline_sample_size,
        any_value(value) FILTER (WHERE window_name = 'current') AS current_value,
        any_value(sample_size) FILTER (WHERE window_name = 'current') AS current_sample_size,
        any_value(value) FILTER (WHERE window_name = 'previous') AS previous_value
    FROM roadmap_values
    GROUP BY initiative_id
),
w AS (
    SELECT initiative_id, start_ts::DATE AS current_start,
           (end_ts - INTERVAL 1 DAY)::DATE AS current_end
    FROM roadmap_windows WHERE window_name = 'current'
),
j AS (
    SELECT
        i.*,
        c.label AS metric_label,
        c.unit,
        c.direction,
        CASE WHEN c.direction = 'higher_is_better' THEN 1 ELSE -1 END AS sign,
        v.* EXCLUDE (initiative_id),
        w.current_start,
        w.current_end,
        r.on_track_tolerance,
        $as_of::DATE AS as_of
    FROM meta.initiatives AS i
    CROSS JOIN (SELECT on_track_tolerance FROM meta.roadmap_settings LIMIT 1) AS r
    LEFT JOIN metrics.catalog AS c ON c.metric = i.target_metric
    LEFT JOIN v USING (initiative_id)
    LEFT JOIN w USING (initiative_id)
),
calc AS (
    SELECT
        *,
        (current_value - baseline_value) / nullif(target_value - baseline_value, 0) AS progress,
        least(greatest(
            date_diff('day', baseline_end, current_end)
                / nullif(date_diff('day', baseline_end, due_date), 0)::DOUBLE, 0.0), 1.0)
            AS time_elapsed
    FROM j
),
judged AS (
    SELECT
        *,
        CASE
            WHEN baseline_value IS NULL THEN 'not_measurable_yet'
            WHEN current_value IS NULL THEN 'not_measurable_yet'
            WHEN current_start <= baseline_end THEN 'not_measurable_yet'
            WHEN sign * (current_value - target_value) >= 0 THEN 'done'
            WHEN as_of > due_date THEN 'off_track'
            WHEN sign * (current_value - baseline_value) < 0 THEN 'off_track'
            WHEN progress >= time_elapsed - on_track_tolerance THEN 'on_track'
            WHEN progress >= (time_elapsed - on_track_tolerance) / 2 THEN 'at_risk'
            ELSE 'off_track'
        END AS status
    FROM calc
)
SELECT
    initiative_id,
    title,
    capability,
    target_metric,
    metric_label,
    unit,
    direction,
    scope,
    baseline_start,
    baseline_end,
    baseline_value,
    baseline_sample_size,
    current_start,
    current_end,
    current_value,
    current_sample_size,
    previous_value,
    target_value,
    due_date,
    progress,
    time_elapsed,
    CASE
        WHEN current_value IS NULL OR previous_value IS NULL THEN 'unknown'
        WHEN abs(current_value - previous_value) <= 0.02 * abs(previous_value) THEN 'flat'
        WHEN sign * (current_value - previous_value) > 0 THEN 'improving'
        ELSE 'worsening'
    END AS trend,
    status,
    CASE status
        WHEN 'not_measurable_yet' THEN
            CASE
                WHEN baseline_value IS NULL THEN 'no value in the baseline window '
                    || baseline_start || ' to ' || baseline_end
                    || ' (no data, or a group below the privacy size)'
                WHEN current_value IS NULL THEN 'no value in the current window '
                    || current_start || ' to ' || current_end
                ELSE 'the current window ' || current_start || ' to ' || current_end
                    || ' does not start after the baseline window ends (' || baseline_end || ')'
            END
        WHEN 'done' THEN 'current ' || round(current_value, 3) || ' meets the target '
            || target_value || ' (baseline ' || round(baseline_value, 3) || ')'
        ELSE round(100 * coalesce(progress, 0))::INTEGER || '% of the way from '
            || round(baseline_value, 3) || ' to ' || target_value || ' (now '
            || round(current_value, 3) || ') with ' || round(100 * time_elapsed)::INTEGER
            || '% of the time to ' || due_date || ' elapsed'
            || CASE
                WHEN as_of > due_date THEN '; the due date has passed'
                WHEN sign * (current_value - baseline_value) < 0 THEN
                    '; worse than the baseline'
                WHEN status = 'off_track' THEN '; less than half of the expected progress'
                ELSE ''
            END
    END AS why
FROM judged
ORDER BY due_date, initiative_id;

COMMENT ON TABLE marts.roadmap_progress IS 'One row per platform roadmap initiative ([[roadmap.initiatives]]): baseline, current value, target, trend and status with why. Team or org level only. Key: initiative_id.';
COMMENT ON COLUMN marts.roadmap_progress.initiative_id IS 'the initiative''s id in paved.toml';
COMMENT ON COLUMN marts.roadmap_progress.title IS 'as configured';
COMMENT ON COLUMN marts.roadmap_progress.capability IS 'the platform capability it delivers';
COMMENT ON COLUMN marts.roadmap_progress.target_metric IS 'metric of the registry that shows progress';
COMMENT ON COLUMN marts.roadmap_progress.metric_label IS 'the metric''s label';
COMMENT ON COLUMN marts.roadmap_progress.unit IS 'the metric''s unit';
COMMENT ON COLUMN marts.roadmap_progress.direction IS 'higher_is_better or lower_is_better';
COMMENT ON COLUMN marts.roadmap_progress.scope IS 'org or team:<team_id>';
COMMENT ON COLUMN marts.roadmap_progress.baseline_start IS 'first day of the baseline window';
COMMENT ON COLUMN marts.roadmap_progress.baseline_end IS 'last day of the baseline window';
COMMENT ON COLUMN marts.roadmap_progress.baseline_value IS 'the metric over the baseline window (ratios re-divided, counts per week, quantiles over the window''s events)';
COMMENT ON COLUMN marts.roadmap_progress.baseline_sample_size IS 'events (or samples) in the baseline window';
COMMENT ON COLUMN marts.roadmap_progress.current_start IS 'first day of the current trailing window ([roadmap] current_window_weeks)';
COMMENT ON COLUMN marts.roadmap_progress.current_end IS 'last day of the current window (the last complete week)';
COMMENT ON COLUMN marts.roadmap_progress.current_value IS 'the metric over the current window';
COMMENT ON COLUMN marts.roadmap_progress.current_sample_size IS 'events (or samples) in the current window';
COMMENT ON COLUMN marts.roadmap_progress.previous_value IS 'the metric over the window of the same length before the current one';
COMMENT ON COLUMN marts.roadmap_progress.target_value IS 'value to reach';
COMMENT ON COLUMN marts.roadmap_progress.due_date IS 'when it is due';
COMMENT ON COLUMN marts.roadmap_progress.progress IS 'share of the way from baseline to target (negative: worse than baseline)';
COMMENT ON COLUMN marts.roadmap_progress.time_elapsed IS 'share of the time from baseline_end to due_date elapsed at current_end';
COMMENT ON COLUMN marts.roadmap_progress.trend IS 'improving, worsening or flat (within 2%) against the previous window; unknown without both';
COMMENT ON COLUMN marts.roadmap_progress.status IS 'done, on_track, at_risk, off_track or not_measurable_yet';
COMMENT ON COLUMN marts.roadmap_progress.why IS 'the reason for the status, in words';

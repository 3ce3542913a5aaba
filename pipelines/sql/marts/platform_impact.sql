-- marts.platform_impact: adopters of the platform's golden paths against non-adopters, for every
-- DORA metric and onboarding time to first production deploy, from the results pipelines/impact.py
-- computed over marts.platform_impact_observations (registered as impact_results).
-- estimate is treated minus control (adopters_vs_non_adopters) or the adopters' change minus
-- the non-adopters' change over the same weeks (diff_in_diff); a negative estimate is an
-- improvement for lower-is-better metrics. status not_enough_data: estimate and interval NULL.

CREATE OR REPLACE TABLE marts.platform_impact AS
SELECT
    metric::VARCHAR AS metric,
    comparison::VARCHAR AS comparison,
    CASE WHEN status = 'ok' THEN estimate END::DOUBLE AS estimate,
    CASE WHEN status = 'ok' THEN ci_low END::DOUBLE AS ci_low,
    CASE WHEN status = 'ok' THEN ci_high END::DOUBLE AS ci_high,
    unit::VARCHAR AS unit,
    statistic::VARCHAR AS statistic,
    CASE WHEN status = 'ok' THEN estimate / nullif(abs(baseline_value), 0) END::DOUBLE
        AS relative_estimate,
    CASE WHEN status = 'ok' THEN treated_value END::DOUBLE AS treated_value,
    CASE WHEN status = 'ok' THEN control_value END::DOUBLE AS control_value,
    CASE WHEN status = 'ok' THEN baseline_value END::DOUBLE AS baseline_value,
    n_treated::BIGINT AS n_treated,
    n_control::BIGINT AS n_control,
    teams_treated::BIGINT AS teams_treated,
    teams_control::BIGINT AS teams_control,
    status::VARCHAR AS status,
    reason::VARCHAR AS reason,
    CASE comparison
        WHEN 'adopters_vs_non_adopters' THEN
            'Observations of adopter teams at or after their adoption (first deployment through '
            || 'the platform) against teams that never adopted, pooled over the calendar weeks '
            || 'in which both groups have observations; ' || statistic || ' of each group; '
        ELSE
            'For each adopter team: (' || statistic || ' after adoption - ' || statistic
            || ' before) minus the same for the non-adopters over the same calendar spans; '
            || 'teams averaged, weighted by their observations; '
    END || round(confidence * 100)::INTEGER || '% percentile bootstrap interval, '
        || bootstrap_samples || ' seeded replicates of each cell (resamples of observations, '
        || 'not teams: optimistic when few teams adopt; above 200 observations, normal draws '
        || 'with the statistic''s standard error).' AS method_notes,
    bootstrap_samples::INTEGER AS bootstrap_samples,
    confidence::DOUBLE AS confidence
FROM impact_results
ORDER BY metric, comparison;

COMMENT ON TABLE marts.platform_impact IS 'Platform impact: adopters against non-adopters and difference-in-differences for each DORA metric and onboarding time, with a bootstrap interval. Key: metric, comparison.';
COMMENT ON COLUMN marts.platform_impact.metric IS 'change_lead_time, change_fail_rate, deployment_frequency (per service-week), failed_deployment_recovery_time, onboarding_days_to_first_production_deploy';
COMMENT ON COLUMN marts.platform_impact.comparison IS 'adopters_vs_non_adopters or diff_in_diff';
COMMENT ON COLUMN marts.platform_impact.estimate IS 'treated minus control (in unit); NULL when not_enough_data';
COMMENT ON COLUMN marts.platform_impact.ci_low IS 'lower bound of the bootstrap interval (confidence)';
COMMENT ON COLUMN marts.platform_impact.ci_high IS 'upper bound of the bootstrap interval';
COMMENT ON COLUMN marts.platform_impact.unit IS 'unit of estimate';
COMMENT ON COLUMN marts.platform_impact.statistic IS 'median (durations) or mean (rates, counts) of each group';
COMMENT ON COLUMN marts.platform_impact.relative_estimate IS 'estimate / baseline_value: the change as a share of the starting level';
COMMENT ON COLUMN marts.platform_impact.treated_value IS 'adopters after adoption (adopters_vs_non_adopters) or the adopters'' after - before change (diff_in_diff)';
COMMENT ON COLUMN marts.platform_impact.control_value IS 'non-adopters (adopters_vs_non_adopters) or their change over the same spans (diff_in_diff)';
COMMENT ON COLUMN marts.platform_impact.baseline_value IS 'non-adopters'' level (adopters_vs_non_adopters) or the adopters'' level before adoption (diff_in_diff)';
COMMENT ON COLUMN marts.platform_impact.n_treated IS 'adopter observations used';
COMMENT ON COLUMN marts.platform_impact.n_control IS 'non-adopter observations used';
COMMENT ON COLUMN marts.platform_impact.teams_treated IS 'adopter teams used';
COMMENT ON COLUMN marts.platform_impact.teams_control IS 'non-adopter teams used';
COMMENT ON COLUMN marts.platform_impact.status IS 'ok, or not_enough_data (fewer than [impact] min_observations on a side or min_teams in a group)';
COMMENT ON COLUMN marts.platform_impact.reason IS 'what the estimate rests on, or why there is none';
COMMENT ON COLUMN marts.platform_impact.method_notes IS 'how the estimate and interval were made';
COMMENT ON COLUMN marts.platform_impact.bootstrap_samples IS 'bootstrap resamples ([impact] bootstrap_samples)';
COMMENT ON COLUMN marts.platform_impact.confidence IS 'interval confidence ([impact] confidence)';

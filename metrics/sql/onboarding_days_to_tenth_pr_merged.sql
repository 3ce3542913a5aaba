-- One event per engineer of a cohort who reached tenth_pr_merged, placed in their cohort month
-- (the first day of the start month): days from start_date 00:00 UTC to the milestone.
SELECT
    cohort_month::TIMESTAMP AS event_at,
    NULL::VARCHAR AS service_id,
    team_id,
    days_since_start AS value,
    NULL::DOUBLE AS denominator
FROM marts.onboarding
WHERE milestone = 'tenth_pr_merged'

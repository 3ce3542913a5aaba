-- A run that stopped on an error (the runner records it after the failed step). It never
-- publishes, so the published copy shows it from the next successful run on.
UPDATE meta.runs
SET finished_at = now()::TIMESTAMP,
    status = 'failed'
WHERE run_id = $run_id AND status = 'running';

-- Mark the run successful just before publishing, so the published copy knows its own run.
UPDATE meta.runs
SET finished_at = now()::TIMESTAMP,
    status = 'success',
    quarantined = (SELECT count(*) FROM core.quarantine WHERE status = 'open')
WHERE run_id = $run_id;

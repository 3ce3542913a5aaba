-- Mark the run successful: in the new published copy before it is swapped in (so the copy knows
-- its own run), and in the working warehouse once the swap is done.
UPDATE meta.runs
SET finished_at = now()::TIMESTAMP,
    status = 'success',
    quarantined = (SELECT count(*) FROM core.quarantine WHERE status = 'open')
WHERE run_id = $run_id;

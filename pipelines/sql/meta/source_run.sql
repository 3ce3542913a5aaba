INSERT INTO meta.source_runs VALUES (
    $run_id, $source, $type, $started_at, $status, $records, $new_records, $requests,
    $not_modified, $error, CAST($report AS JSON)
);

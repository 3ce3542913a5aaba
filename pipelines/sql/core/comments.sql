COMMENT ON TABLE core.quarantine IS 'One row per received record that failed validation, with every reason and where it came from.';
COMMENT ON COLUMN core.quarantine.reason IS 'every rule the record broke, separated by ''; ''';
COMMENT ON COLUMN core.quarantine.origin IS 'file:line or request the record came from';
COMMENT ON COLUMN core.quarantine.raw_record IS 'the record exactly as received';
COMMENT ON TABLE core.engineer_aliases IS 'One row per alias (lower-cased engineer_id, login or e-mail) and the engineer it resolves to.';
COMMENT ON TABLE core.alias_conflicts IS 'One row per alias claimed by more than one engineer; it resolves to the smallest engineer_id.';
COMMENT ON COLUMN core.commits.author_engineer_id IS 'the engineer author_id resolves to (by id or alias); NULL for bots and unknown authors';
COMMENT ON COLUMN core.pull_requests.author_engineer_id IS 'the engineer author_id resolves to (by id or alias); NULL for bots and unknown authors';

-- Migration 2: named rules, no REPLACE on any key, and the ledger.
-- Frozen: applied stores record the SHA-256 of these statements; never edit this file.
--
-- 1. Every trigger of migration 1 is recreated with a message naming its rule,
--    'qrp[<trigger name>]: <what>', so a refused write says which rule fired.
-- 2. trg_<table>_no_replace refuses an INSERT whose primary key or any UNIQUE key
--    already exists. SQLite resolves INSERT OR REPLACE and upserts by deleting or
--    updating the old row without firing DELETE triggers (recursive_triggers is off),
--    but a BEFORE INSERT trigger always fires first.
-- 3. The ledger: each write transaction appends a block to ledger_blocks; its
--    ledger_entries hold the key and SHA-256 of every row the transaction inserted or
--    changed. See qrp_jupyter/store/ledger.py and the README.

DROP TRIGGER trg_runs_no_update;

DROP TRIGGER trg_runs_no_delete;

DROP TRIGGER trg_run_instances_no_update;

DROP TRIGGER trg_run_instances_no_delete;

DROP TRIGGER trg_trials_no_update;

DROP TRIGGER trg_trials_no_delete;

DROP TRIGGER trg_policies_no_update;

DROP TRIGGER trg_policies_no_delete;

DROP TRIGGER trg_dataset_names_no_update;

DROP TRIGGER trg_dataset_names_no_delete;

DROP TRIGGER trg_eligibility_reports_no_update;

DROP TRIGGER trg_eligibility_reports_no_delete;

DROP TRIGGER trg_governance_events_no_update;

DROP TRIGGER trg_governance_events_no_delete;

DROP TRIGGER trg_artifact_lineage_no_update;

DROP TRIGGER trg_artifact_lineage_no_delete;

DROP TRIGGER trg_artifact_edges_no_update;

DROP TRIGGER trg_artifact_edges_no_delete;

DROP TRIGGER trg_candidates_insert_start;

DROP TRIGGER trg_candidates_insert_report;

DROP TRIGGER trg_candidates_transition;

DROP TRIGGER trg_candidates_update_report;

DROP TRIGGER trg_candidates_link_frozen;

DROP TRIGGER trg_candidates_identity_frozen;

DROP TRIGGER trg_candidates_no_delete;

DROP TRIGGER trg_governance_events_chain;

DROP TRIGGER trg_artifacts_no_update;

DROP TRIGGER trg_artifacts_no_delete_referenced;

DROP TRIGGER trg_datasets_no_update;

DROP TRIGGER trg_datasets_no_delete_referenced;

CREATE TRIGGER trg_runs_no_update BEFORE UPDATE ON runs
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_runs_no_update]: runs is append-only: rows are never updated');
END;

CREATE TRIGGER trg_runs_no_delete BEFORE DELETE ON runs
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_runs_no_delete]: runs is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_run_instances_no_update BEFORE UPDATE ON run_instances
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_run_instances_no_update]: run_instances is append-only: rows are never updated');
END;

CREATE TRIGGER trg_run_instances_no_delete BEFORE DELETE ON run_instances
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_run_instances_no_delete]: run_instances is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_trials_no_update BEFORE UPDATE ON trials
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_trials_no_update]: trials is append-only: rows are never updated');
END;

CREATE TRIGGER trg_trials_no_delete BEFORE DELETE ON trials
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_trials_no_delete]: trials is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_policies_no_update BEFORE UPDATE ON policies
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_policies_no_update]: policies is append-only: rows are never updated');
END;

CREATE TRIGGER trg_policies_no_delete BEFORE DELETE ON policies
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_policies_no_delete]: policies is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_dataset_names_no_update BEFORE UPDATE ON dataset_names
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_dataset_names_no_update]: dataset_names is append-only: rows are never updated');
END;

CREATE TRIGGER trg_dataset_names_no_delete BEFORE DELETE ON dataset_names
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_dataset_names_no_delete]: dataset_names is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_eligibility_reports_no_update BEFORE UPDATE ON eligibility_reports
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_eligibility_reports_no_update]: eligibility_reports is append-only: rows are never updated');
END;

CREATE TRIGGER trg_eligibility_reports_no_delete BEFORE DELETE ON eligibility_reports
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_eligibility_reports_no_delete]: eligibility_reports is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_governance_events_no_update BEFORE UPDATE ON governance_events
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_governance_events_no_update]: governance_events is append-only: rows are never updated');
END;

CREATE TRIGGER trg_governance_events_no_delete BEFORE DELETE ON governance_events
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_governance_events_no_delete]: governance_events is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_artifact_lineage_no_update BEFORE UPDATE ON artifact_lineage
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_artifact_lineage_no_update]: artifact_lineage is append-only: rows are never updated');
END;

CREATE TRIGGER trg_artifact_lineage_no_delete BEFORE DELETE ON artifact_lineage
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_artifact_lineage_no_delete]: artifact_lineage is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_artifact_edges_no_update BEFORE UPDATE ON artifact_edges
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_artifact_edges_no_update]: artifact_edges is append-only: rows are never updated');
END;

CREATE TRIGGER trg_artifact_edges_no_delete BEFORE DELETE ON artifact_edges
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_artifact_edges_no_delete]: artifact_edges is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_candidates_insert_start BEFORE INSERT ON promotion_candidates
WHEN NEW.status IS NOT 'exploratory' OR NEW.eligibility_report_id IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_candidates_insert_start]: a new candidate starts as exploratory with no report');
END;

CREATE TRIGGER trg_candidates_insert_report BEFORE INSERT ON promotion_candidates
WHEN NEW.status IN ('candidate', 'accepted') AND NOT EXISTS (
        SELECT 1 FROM eligibility_reports r
        WHERE r.eligibility_report_id = NEW.eligibility_report_id
          AND r.candidate_id = NEW.candidate_id
          AND r.level = NEW.status
          AND r.passed = 1)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_candidates_insert_report]: status needs a passing report of that level for this candidate');
END;

CREATE TRIGGER trg_candidates_transition BEFORE UPDATE OF status ON promotion_candidates
WHEN NOT (
        (OLD.status = NEW.status)
        OR (OLD.status = 'exploratory' AND NEW.status IN ('candidate', 'rejected', 'retired'))
        OR (OLD.status = 'candidate' AND NEW.status IN ('accepted', 'rejected', 'retired'))
        OR (OLD.status = 'accepted' AND NEW.status IN ('rejected', 'retired'))
        OR (OLD.status = 'rejected' AND NEW.status IN ('retired')))
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_candidates_transition]: illegal status transition');
END;

CREATE TRIGGER trg_candidates_update_report
BEFORE UPDATE OF status, eligibility_report_id ON promotion_candidates
WHEN NEW.status IN ('candidate', 'accepted') AND NOT EXISTS (
        SELECT 1 FROM eligibility_reports r
        WHERE r.eligibility_report_id = NEW.eligibility_report_id
          AND r.candidate_id = NEW.candidate_id
          AND r.level = NEW.status
          AND r.passed = 1)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_candidates_update_report]: status needs a passing report of that level for this candidate');
END;

CREATE TRIGGER trg_candidates_link_frozen
BEFORE UPDATE OF status, eligibility_report_id ON promotion_candidates
WHEN NEW.eligibility_report_id IS NOT OLD.eligibility_report_id
 AND NOT (NEW.status IN ('candidate', 'accepted') AND NEW.status IS NOT OLD.status)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_candidates_link_frozen]: the report link changes only together with a promotion');
END;

CREATE TRIGGER trg_candidates_identity_frozen
BEFORE UPDATE OF candidate_id, run_key, trial_index, run_instance_id, created_at
ON promotion_candidates
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_candidates_identity_frozen]: a candidate''s identity columns never change');
END;

CREATE TRIGGER trg_candidates_no_delete BEFORE DELETE ON promotion_candidates
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_candidates_no_delete]: candidates are never deleted: retire them');
END;

CREATE TRIGGER trg_governance_events_chain BEFORE INSERT ON governance_events
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM governance_events)
  OR NEW.prev_hash IS NOT COALESCE(
        (SELECT event_hash FROM governance_events WHERE seq = NEW.seq - 1),
        '0000000000000000000000000000000000000000000000000000000000000000')
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_governance_events_chain]: an event must extend the chain: next seq, previous event_hash');
END;

CREATE TRIGGER trg_artifacts_no_update BEFORE UPDATE ON artifacts
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_artifacts_no_update]: artifacts are content-addressed and never change');
END;

CREATE TRIGGER trg_artifacts_no_delete_referenced BEFORE DELETE ON artifacts
WHEN EXISTS (SELECT 1 FROM artifact_lineage WHERE artifact_id = OLD.artifact_id)
  OR EXISTS (SELECT 1 FROM artifact_edges
             WHERE child_id = OLD.artifact_id OR parent_id = OLD.artifact_id)
  OR EXISTS (SELECT 1 FROM datasets WHERE artifact_id = OLD.artifact_id)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_artifacts_no_delete_referenced]: a referenced artifact is never deleted');
END;

CREATE TRIGGER trg_datasets_no_update BEFORE UPDATE ON datasets
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_datasets_no_update]: datasets never change: register new data under a new id');
END;

CREATE TRIGGER trg_datasets_no_delete_referenced BEFORE DELETE ON datasets
WHEN EXISTS (SELECT 1 FROM runs WHERE dataset_id_v2 = OLD.dataset_id_v2)
  OR EXISTS (SELECT 1 FROM dataset_names WHERE dataset_id_v2 = OLD.dataset_id_v2)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_datasets_no_delete_referenced]: a dataset referenced by a run or a name is never deleted');
END;

CREATE TABLE ledger_blocks (
    block_seq       INTEGER PRIMARY KEY CHECK (block_seq >= 1),
    prev_block_hash TEXT NOT NULL CHECK (length(prev_block_hash) = 64 AND prev_block_hash NOT GLOB '*[^0-9a-f]*'),
    kind            TEXT NOT NULL CHECK (kind IN ('adopt', 'write')),
    entry_count     INTEGER NOT NULL CHECK (entry_count >= 0),
    digests_json    TEXT NOT NULL,
    block_hash      TEXT NOT NULL UNIQUE CHECK (length(block_hash) = 64 AND block_hash NOT GLOB '*[^0-9a-f]*'),
    created_at      TEXT NOT NULL
);

CREATE TABLE ledger_entries (
    block_seq    INTEGER NOT NULL REFERENCES ledger_blocks(block_seq),
    table_name   TEXT NOT NULL,
    row_key      TEXT NOT NULL,
    op           TEXT NOT NULL CHECK (op IN ('insert', 'update')),
    row_hash     TEXT NOT NULL CHECK (length(row_hash) = 64 AND row_hash NOT GLOB '*[^0-9a-f]*'),
    version_json TEXT,
    PRIMARY KEY (table_name, row_key, block_seq)
);

CREATE INDEX idx_ledger_entries_block ON ledger_entries(block_seq, table_name);

CREATE TRIGGER trg_ledger_blocks_no_update BEFORE UPDATE ON ledger_blocks
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_ledger_blocks_no_update]: ledger_blocks is append-only: rows are never updated');
END;

CREATE TRIGGER trg_ledger_blocks_no_delete BEFORE DELETE ON ledger_blocks
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_ledger_blocks_no_delete]: ledger_blocks is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_ledger_entries_no_update]: ledger_entries is append-only: rows are never updated');
END;

CREATE TRIGGER trg_ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_ledger_entries_no_delete]: ledger_entries is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_schema_migrations_no_update BEFORE UPDATE ON schema_migrations
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_schema_migrations_no_update]: schema_migrations is append-only: rows are never updated');
END;

CREATE TRIGGER trg_schema_migrations_no_delete BEFORE DELETE ON schema_migrations
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_schema_migrations_no_delete]: schema_migrations is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_ledger_blocks_chain BEFORE INSERT ON ledger_blocks
WHEN NEW.block_seq IS NOT (SELECT COALESCE(MAX(block_seq), 0) + 1 FROM ledger_blocks)
  OR NEW.prev_block_hash IS NOT COALESCE(
        (SELECT block_hash FROM ledger_blocks WHERE block_seq = NEW.block_seq - 1),
        '0000000000000000000000000000000000000000000000000000000000000000')
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_ledger_blocks_chain]: a block must extend the ledger: next block_seq, previous block_hash');
END;

CREATE TRIGGER trg_ledger_entries_newest_block BEFORE INSERT ON ledger_entries
WHEN NEW.block_seq IS NOT (SELECT MAX(block_seq) FROM ledger_blocks)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_ledger_entries_newest_block]: entries join only the newest block');
END;

CREATE TRIGGER trg_artifacts_no_replace BEFORE INSERT ON artifacts
WHEN EXISTS (SELECT 1 FROM artifacts x WHERE x.artifact_id = NEW.artifact_id)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_artifacts_no_replace]: artifacts already holds a row with this key: rows are never replaced');
END;

CREATE TRIGGER trg_datasets_no_replace BEFORE INSERT ON datasets
WHEN EXISTS (SELECT 1 FROM datasets x WHERE x.dataset_id_v2 = NEW.dataset_id_v2)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_datasets_no_replace]: datasets already holds a row with this key: rows are never replaced');
END;

CREATE TRIGGER trg_dataset_names_no_replace BEFORE INSERT ON dataset_names
WHEN EXISTS (SELECT 1 FROM dataset_names x WHERE x.name = NEW.name AND x.dataset_id_v2 = NEW.dataset_id_v2)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_dataset_names_no_replace]: dataset_names already holds a row with this key: rows are never replaced');
END;

CREATE TRIGGER trg_runs_no_replace BEFORE INSERT ON runs
WHEN EXISTS (SELECT 1 FROM runs x WHERE x.run_key = NEW.run_key)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_runs_no_replace]: runs already holds a row with this key: rows are never replaced');
END;

CREATE TRIGGER trg_run_instances_no_replace BEFORE INSERT ON run_instances
WHEN EXISTS (SELECT 1 FROM run_instances x WHERE x.run_instance_id = NEW.run_instance_id)
  OR EXISTS (SELECT 1 FROM run_instances x WHERE x.run_key = NEW.run_key AND x.seq = NEW.seq)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_run_instances_no_replace]: run_instances already holds a row with this key: rows are never replaced');
END;

CREATE TRIGGER trg_trials_no_replace BEFORE INSERT ON trials
WHEN EXISTS (SELECT 1 FROM trials x WHERE x.run_key = NEW.run_key AND x.trial_index = NEW.trial_index)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_trials_no_replace]: trials already holds a row with this key: rows are never replaced');
END;

CREATE TRIGGER trg_policies_no_replace BEFORE INSERT ON policies
WHEN EXISTS (SELECT 1 FROM policies x WHERE x.policy_hash = NEW.policy_hash)
  OR EXISTS (SELECT 1 FROM policies x WHERE x.name = NEW.name AND x.version = NEW.version)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_policies_no_replace]: policies already holds a row with this key: rows are never replaced');
END;

CREATE TRIGGER trg_promotion_candidates_no_replace BEFORE INSERT ON promotion_candidates
WHEN EXISTS (SELECT 1 FROM promotion_candidates x WHERE x.candidate_id = NEW.candidate_id)
  OR EXISTS (SELECT 1 FROM promotion_candidates x WHERE x.run_key = NEW.run_key AND x.trial_index = NEW.trial_index)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_promotion_candidates_no_replace]: promotion_candidates already holds a row with this key: rows are never replaced');
END;

CREATE TRIGGER trg_eligibility_reports_no_replace BEFORE INSERT ON eligibility_reports
WHEN EXISTS (SELECT 1 FROM eligibility_reports x WHERE x.eligibility_report_id = NEW.eligibility_report_id)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_eligibility_reports_no_replace]: eligibility_reports already holds a row with this key: rows are never replaced');
END;

CREATE TRIGGER trg_governance_events_no_replace BEFORE INSERT ON governance_events
WHEN EXISTS (SELECT 1 FROM governance_events x WHERE x.seq = NEW.seq)
  OR EXISTS (SELECT 1 FROM governance_events x WHERE x.event_hash = NEW.event_hash)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_governance_events_no_replace]: governance_events already holds a row with this key: rows are never replaced');
END;

CREATE TRIGGER trg_artifact_lineage_no_replace BEFORE INSERT ON artifact_lineage
WHEN EXISTS (SELECT 1 FROM artifact_lineage x WHERE x.lineage_id = NEW.lineage_id)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_artifact_lineage_no_replace]: artifact_lineage already holds a row with this key: rows are never replaced');
END;

CREATE TRIGGER trg_artifact_edges_no_replace BEFORE INSERT ON artifact_edges
WHEN EXISTS (SELECT 1 FROM artifact_edges x WHERE x.child_id = NEW.child_id AND x.parent_id = NEW.parent_id AND x.relation = NEW.relation)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_artifact_edges_no_replace]: artifact_edges already holds a row with this key: rows are never replaced');
END;

CREATE TRIGGER trg_schema_migrations_no_replace BEFORE INSERT ON schema_migrations
WHEN EXISTS (SELECT 1 FROM schema_migrations x WHERE x.version = NEW.version)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_schema_migrations_no_replace]: schema_migrations already holds a row with this key: rows are never replaced');
END;

CREATE TRIGGER trg_ledger_blocks_no_replace BEFORE INSERT ON ledger_blocks
WHEN EXISTS (SELECT 1 FROM ledger_blocks x WHERE x.block_seq = NEW.block_seq)
  OR EXISTS (SELECT 1 FROM ledger_blocks x WHERE x.block_hash = NEW.block_hash)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_ledger_blocks_no_replace]: ledger_blocks already holds a row with this key: rows are never replaced');
END;

CREATE TRIGGER trg_ledger_entries_no_replace BEFORE INSERT ON ledger_entries
WHEN EXISTS (SELECT 1 FROM ledger_entries x WHERE x.table_name = NEW.table_name AND x.row_key = NEW.row_key AND x.block_seq = NEW.block_seq)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_ledger_entries_no_replace]: ledger_entries already holds a row with this key: rows are never replaced');
END;

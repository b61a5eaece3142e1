-- Migration 1: initial governed store.
-- Frozen: applied stores record the SHA-256 of these statements; never edit this file.
-- Changes to the schema are new migrations (0002_*.sql and on).

CREATE TABLE artifacts (
    artifact_id TEXT PRIMARY KEY CHECK (length(artifact_id) = 64 AND artifact_id NOT GLOB '*[^0-9a-f]*'),
    media_type  TEXT NOT NULL,
    size        INTEGER NOT NULL CHECK (size >= 0),
    codec       TEXT NOT NULL CHECK (codec IN ('identity', 'zlib')),
    data        BLOB NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE datasets (
    dataset_id_v2 TEXT PRIMARY KEY CHECK (length(dataset_id_v2) = 64 AND dataset_id_v2 NOT GLOB '*[^0-9a-f]*'),
    artifact_id   TEXT NOT NULL REFERENCES artifacts(artifact_id)
                  CHECK (artifact_id = dataset_id_v2),
    source        TEXT NOT NULL,
    summary_json  TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE dataset_names (
    name          TEXT NOT NULL CHECK (length(name) > 0),
    dataset_id_v2 TEXT NOT NULL REFERENCES datasets(dataset_id_v2),
    created_at    TEXT NOT NULL,
    PRIMARY KEY (name, dataset_id_v2)
);

CREATE TABLE runs (
    run_key                 TEXT PRIMARY KEY CHECK (length(run_key) = 64 AND run_key NOT GLOB '*[^0-9a-f]*'),
    name                    TEXT,
    family                  TEXT NOT NULL,
    dataset_id_v2           TEXT NOT NULL REFERENCES datasets(dataset_id_v2),
    config_json             TEXT NOT NULL,
    code_hash               TEXT CHECK (code_hash IS NULL OR (length(code_hash) = 64 AND code_hash NOT GLOB '*[^0-9a-f]*')),
    code_source             TEXT,
    code_entry_point        TEXT,
    engine_version          TEXT NOT NULL,
    identity_schema_version INTEGER NOT NULL,
    created_at              TEXT NOT NULL,
    CHECK ((code_hash IS NULL) = (code_source IS NULL)),
    CHECK ((code_hash IS NULL) = (code_entry_point IS NULL))
);

CREATE TABLE run_instances (
    run_instance_id TEXT PRIMARY KEY CHECK (length(run_instance_id) = 64 AND run_instance_id NOT GLOB '*[^0-9a-f]*'),
    run_key         TEXT NOT NULL REFERENCES runs(run_key),
    seq             INTEGER NOT NULL CHECK (seq >= 1),
    purpose         TEXT NOT NULL CHECK (purpose IN ('run', 'replay')),
    replay_of       TEXT REFERENCES run_instances(run_instance_id),
    started_at      TEXT NOT NULL,
    finished_at     TEXT NOT NULL,
    actor           TEXT NOT NULL,
    result_json     TEXT NOT NULL,
    UNIQUE (run_key, seq),
    CHECK ((purpose = 'replay') = (replay_of IS NOT NULL))
);

CREATE TABLE trials (
    run_key       TEXT NOT NULL REFERENCES runs(run_key),
    trial_index   INTEGER NOT NULL CHECK (trial_index >= 0),
    params_json   TEXT NOT NULL,
    sharpe        REAL,
    sharpe_annual REAL,
    total_return  REAL,
    max_drawdown  REAL,
    turnover      REAL,
    n_trades      INTEGER,
    n_obs         INTEGER NOT NULL,
    metrics_json  TEXT NOT NULL,
    PRIMARY KEY (run_key, trial_index)
);

CREATE TABLE policies (
    policy_hash  TEXT PRIMARY KEY CHECK (length(policy_hash) = 64 AND policy_hash NOT GLOB '*[^0-9a-f]*'),
    name         TEXT NOT NULL,
    version      INTEGER NOT NULL CHECK (version >= 1),
    payload_json TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (name, version)
);

CREATE TABLE promotion_candidates (
    candidate_id          TEXT PRIMARY KEY CHECK (length(candidate_id) = 64 AND candidate_id NOT GLOB '*[^0-9a-f]*'),
    run_key               TEXT NOT NULL REFERENCES runs(run_key),
    trial_index           INTEGER NOT NULL,
    run_instance_id       TEXT NOT NULL REFERENCES run_instances(run_instance_id),
    status                TEXT NOT NULL
                          CHECK (status IN ('exploratory', 'candidate', 'accepted',
                                            'rejected', 'retired')),
    eligibility_report_id TEXT REFERENCES eligibility_reports(eligibility_report_id),
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    UNIQUE (run_key, trial_index),
    FOREIGN KEY (run_key, trial_index) REFERENCES trials(run_key, trial_index)
);

CREATE TABLE eligibility_reports (
    eligibility_report_id TEXT PRIMARY KEY CHECK (length(eligibility_report_id) = 64 AND eligibility_report_id NOT GLOB '*[^0-9a-f]*'),
    candidate_id          TEXT NOT NULL REFERENCES promotion_candidates(candidate_id),
    level                 TEXT NOT NULL CHECK (level IN ('candidate', 'accepted')),
    passed                INTEGER NOT NULL CHECK (passed IN (0, 1)),
    policy_hash           TEXT NOT NULL REFERENCES policies(policy_hash),
    payload_json          TEXT NOT NULL,
    created_at            TEXT NOT NULL
);

CREATE TABLE governance_events (
    seq          INTEGER PRIMARY KEY CHECK (seq >= 1),
    event_hash   TEXT NOT NULL UNIQUE CHECK (length(event_hash) = 64 AND event_hash NOT GLOB '*[^0-9a-f]*'),
    prev_hash    TEXT NOT NULL CHECK (length(prev_hash) = 64 AND prev_hash NOT GLOB '*[^0-9a-f]*'),
    kind         TEXT NOT NULL,
    candidate_id TEXT REFERENCES promotion_candidates(candidate_id),
    payload_json TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE artifact_lineage (
    lineage_id            INTEGER PRIMARY KEY AUTOINCREMENT,
    artifact_id           TEXT NOT NULL REFERENCES artifacts(artifact_id),
    run_instance_id       TEXT REFERENCES run_instances(run_instance_id),
    eligibility_report_id TEXT REFERENCES eligibility_reports(eligibility_report_id),
    role                  TEXT NOT NULL CHECK (role IN ('input', 'output')),
    kind                  TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    CHECK ((run_instance_id IS NULL) <> (eligibility_report_id IS NULL))
);

CREATE TABLE artifact_edges (
    child_id   TEXT NOT NULL REFERENCES artifacts(artifact_id),
    parent_id  TEXT NOT NULL REFERENCES artifacts(artifact_id),
    relation   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (child_id, parent_id, relation),
    CHECK (child_id <> parent_id)
);

CREATE INDEX idx_runs_family ON runs(family);

CREATE INDEX idx_run_instances_run_key ON run_instances(run_key);

CREATE INDEX idx_reports_candidate ON eligibility_reports(candidate_id);

CREATE INDEX idx_events_candidate ON governance_events(candidate_id);

CREATE INDEX idx_lineage_artifact ON artifact_lineage(artifact_id);

CREATE INDEX idx_lineage_instance ON artifact_lineage(run_instance_id);

CREATE INDEX idx_lineage_report ON artifact_lineage(eligibility_report_id);

CREATE INDEX idx_edges_parent ON artifact_edges(parent_id);

CREATE TRIGGER trg_runs_no_update BEFORE UPDATE ON runs
BEGIN
    SELECT RAISE(ABORT, 'qrp: runs is append-only: rows are never updated');
END;

CREATE TRIGGER trg_runs_no_delete BEFORE DELETE ON runs
BEGIN
    SELECT RAISE(ABORT, 'qrp: runs is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_run_instances_no_update BEFORE UPDATE ON run_instances
BEGIN
    SELECT RAISE(ABORT, 'qrp: run_instances is append-only: rows are never updated');
END;

CREATE TRIGGER trg_run_instances_no_delete BEFORE DELETE ON run_instances
BEGIN
    SELECT RAISE(ABORT, 'qrp: run_instances is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_trials_no_update BEFORE UPDATE ON trials
BEGIN
    SELECT RAISE(ABORT, 'qrp: trials is append-only: rows are never updated');
END;

CREATE TRIGGER trg_trials_no_delete BEFORE DELETE ON trials
BEGIN
    SELECT RAISE(ABORT, 'qrp: trials is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_policies_no_update BEFORE UPDATE ON policies
BEGIN
    SELECT RAISE(ABORT, 'qrp: policies is append-only: rows are never updated');
END;

CREATE TRIGGER trg_policies_no_delete BEFORE DELETE ON policies
BEGIN
    SELECT RAISE(ABORT, 'qrp: policies is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_dataset_names_no_update BEFORE UPDATE ON dataset_names
BEGIN
    SELECT RAISE(ABORT, 'qrp: dataset_names is append-only: rows are never updated');
END;

CREATE TRIGGER trg_dataset_names_no_delete BEFORE DELETE ON dataset_names
BEGIN
    SELECT RAISE(ABORT, 'qrp: dataset_names is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_eligibility_reports_no_update BEFORE UPDATE ON eligibility_reports
BEGIN
    SELECT RAISE(ABORT, 'qrp: eligibility_reports is append-only: rows are never updated');
END;

CREATE TRIGGER trg_eligibility_reports_no_delete BEFORE DELETE ON eligibility_reports
BEGIN
    SELECT RAISE(ABORT, 'qrp: eligibility_reports is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_governance_events_no_update BEFORE UPDATE ON governance_events
BEGIN
    SELECT RAISE(ABORT, 'qrp: governance_events is append-only: rows are never updated');
END;

CREATE TRIGGER trg_governance_events_no_delete BEFORE DELETE ON governance_events
BEGIN
    SELECT RAISE(ABORT, 'qrp: governance_events is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_artifact_lineage_no_update BEFORE UPDATE ON artifact_lineage
BEGIN
    SELECT RAISE(ABORT, 'qrp: artifact_lineage is append-only: rows are never updated');
END;

CREATE TRIGGER trg_artifact_lineage_no_delete BEFORE DELETE ON artifact_lineage
BEGIN
    SELECT RAISE(ABORT, 'qrp: artifact_lineage is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_artifact_edges_no_update BEFORE UPDATE ON artifact_edges
BEGIN
    SELECT RAISE(ABORT, 'qrp: artifact_edges is append-only: rows are never updated');
END;

CREATE TRIGGER trg_artifact_edges_no_delete BEFORE DELETE ON artifact_edges
BEGIN
    SELECT RAISE(ABORT, 'qrp: artifact_edges is append-only: rows are never deleted');
END;

CREATE TRIGGER trg_candidates_insert_start BEFORE INSERT ON promotion_candidates
WHEN NEW.status IS NOT 'exploratory' OR NEW.eligibility_report_id IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'qrp: a new candidate starts as exploratory with no report');
END;

CREATE TRIGGER trg_candidates_insert_report BEFORE INSERT ON promotion_candidates
WHEN NEW.status IN ('candidate', 'accepted') AND NOT EXISTS (
        SELECT 1 FROM eligibility_reports r
        WHERE r.eligibility_report_id = NEW.eligibility_report_id
          AND r.candidate_id = NEW.candidate_id
          AND r.level = NEW.status
          AND r.passed = 1)
BEGIN
    SELECT RAISE(ABORT, 'qrp: status needs a passing report of that level for this candidate');
END;

CREATE TRIGGER trg_candidates_transition BEFORE UPDATE OF status ON promotion_candidates
WHEN NOT (
        (OLD.status = NEW.status)
        OR (OLD.status = 'exploratory' AND NEW.status = 'candidate')
        OR (OLD.status = 'candidate' AND NEW.status = 'accepted')
        OR (OLD.status IN ('exploratory', 'candidate', 'accepted')
            AND NEW.status IN ('rejected', 'retired'))
        OR (OLD.status = 'rejected' AND NEW.status = 'retired'))
BEGIN
    SELECT RAISE(ABORT, 'qrp: illegal status transition');
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
    SELECT RAISE(ABORT, 'qrp: status needs a passing report of that level for this candidate');
END;

CREATE TRIGGER trg_candidates_link_frozen
BEFORE UPDATE OF status, eligibility_report_id ON promotion_candidates
WHEN NEW.eligibility_report_id IS NOT OLD.eligibility_report_id
 AND NOT (NEW.status IN ('candidate', 'accepted') AND NEW.status IS NOT OLD.status)
BEGIN
    SELECT RAISE(ABORT, 'qrp: the report link changes only together with a promotion');
END;

CREATE TRIGGER trg_candidates_identity_frozen
BEFORE UPDATE OF candidate_id, run_key, trial_index, run_instance_id, created_at
ON promotion_candidates
BEGIN
    SELECT RAISE(ABORT, 'qrp: a candidate''s identity columns never change');
END;

CREATE TRIGGER trg_candidates_no_delete BEFORE DELETE ON promotion_candidates
BEGIN
    SELECT RAISE(ABORT, 'qrp: candidates are never deleted: retire them');
END;

CREATE TRIGGER trg_governance_events_chain BEFORE INSERT ON governance_events
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM governance_events)
  OR NEW.prev_hash IS NOT COALESCE(
        (SELECT event_hash FROM governance_events WHERE seq = NEW.seq - 1),
        '0000000000000000000000000000000000000000000000000000000000000000')
BEGIN
    SELECT RAISE(ABORT, 'qrp: an event must extend the chain: next seq, previous event_hash');
END;

CREATE TRIGGER trg_artifacts_no_update BEFORE UPDATE ON artifacts
BEGIN
    SELECT RAISE(ABORT, 'qrp: artifacts are content-addressed and never change');
END;

CREATE TRIGGER trg_artifacts_no_delete_referenced BEFORE DELETE ON artifacts
WHEN EXISTS (SELECT 1 FROM artifact_lineage WHERE artifact_id = OLD.artifact_id)
  OR EXISTS (SELECT 1 FROM artifact_edges
             WHERE child_id = OLD.artifact_id OR parent_id = OLD.artifact_id)
  OR EXISTS (SELECT 1 FROM datasets WHERE artifact_id = OLD.artifact_id)
BEGIN
    SELECT RAISE(ABORT, 'qrp: a referenced artifact is never deleted');
END;

CREATE TRIGGER trg_datasets_no_update BEFORE UPDATE ON datasets
BEGIN
    SELECT RAISE(ABORT, 'qrp: datasets never change: register new data under a new id');
END;

CREATE TRIGGER trg_datasets_no_delete_referenced BEFORE DELETE ON datasets
WHEN EXISTS (SELECT 1 FROM runs WHERE dataset_id_v2 = OLD.dataset_id_v2)
  OR EXISTS (SELECT 1 FROM dataset_names WHERE dataset_id_v2 = OLD.dataset_id_v2)
BEGIN
    SELECT RAISE(ABORT, 'qrp: a dataset referenced by a run or a name is never deleted');
END;

CREATE VIEW v_candidate_chain AS
SELECT c.candidate_id, c.status, c.trial_index, t.params_json, t.sharpe_annual,
       c.eligibility_report_id, r.level AS report_level, r.passed AS report_passed,
       p.name AS policy_name, p.version AS policy_version, r.policy_hash,
       c.run_instance_id, c.run_key, u.name AS run_name, u.family,
       u.dataset_id_v2, u.code_hash, u.engine_version, u.config_json
FROM promotion_candidates c
JOIN runs u ON u.run_key = c.run_key
JOIN trials t ON t.run_key = c.run_key AND t.trial_index = c.trial_index
LEFT JOIN eligibility_reports r ON r.eligibility_report_id = c.eligibility_report_id
LEFT JOIN policies p ON p.policy_hash = r.policy_hash;

CREATE VIEW v_report_rules AS
SELECT r.eligibility_report_id, r.candidate_id, r.level, r.passed,
       json_extract(j.value, '$.rule') AS rule,
       json_extract(j.value, '$.metric') AS metric,
       json_extract(j.value, '$.value') AS value,
       json_extract(j.value, '$.op') AS op,
       json_extract(j.value, '$.threshold') AS threshold,
       json_extract(j.value, '$.verdict') AS verdict,
       json_extract(j.value, '$.artifact_id') AS artifact_id
FROM eligibility_reports r, json_each(r.payload_json, '$.rules') j;

CREATE VIEW v_lineage AS
SELECT l.lineage_id, l.role, l.kind, l.artifact_id, a.media_type, a.size,
       l.run_instance_id, i.run_key, l.eligibility_report_id, l.created_at
FROM artifact_lineage l
JOIN artifacts a ON a.artifact_id = l.artifact_id
LEFT JOIN run_instances i ON i.run_instance_id = l.run_instance_id;

CREATE VIEW v_governance_log AS
SELECT e.seq, e.created_at, e.kind, e.candidate_id,
       json_extract(e.payload_json, '$.actor') AS actor,
       json_extract(e.payload_json, '$.from_status') AS from_status,
       json_extract(e.payload_json, '$.to_status') AS to_status,
       json_extract(e.payload_json, '$.eligibility_report_id') AS eligibility_report_id,
       json_extract(e.payload_json, '$.reason') AS reason,
       e.prev_hash, e.event_hash
FROM governance_events e ORDER BY e.seq;

CREATE VIEW v_trial_registry AS
SELECT u.family, t.run_key, t.trial_index, t.params_json, t.n_obs, t.sharpe,
       t.sharpe_annual, t.n_trades, u.dataset_id_v2, u.created_at
FROM trials t JOIN runs u ON u.run_key = t.run_key;

"""Every SQL statement QRP runs against a store, as named, readable text (DDL is in :mod:`.schema`).

Callers name a statement (``store.one("runs.get", (run_key,))``); only :class:`~.db.Store`
turns the name into SQL. Names are ``<group>.<short name>``, one group per table (views read
with the table they summarise). Statements that need a table or column chosen at run time are
generated here from an explicit allow-list, never from caller text, and sets of ids are passed
as one JSON array parameter (``json_each``) so no statement is ever assembled from values.
"""

from __future__ import annotations

__all__ = ["STATEMENTS", "PREFIX_KEYS", "LOOKUP_KEYS", "PREFIX_SHOWN", "prefix_statement",
           "prefix_count_statement", "lookup_statement",
           "BUSY_TIMEOUT_MS", "SHELL_EXAMPLE"]

#: How long a writer waits for another's lock before giving up.
BUSY_TIMEOUT_MS = 60_000

# -- the connection and the file ---------------------------------------------------------------

CONNECTION = {
    "busy_timeout": f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "journal_wal": "PRAGMA journal_mode = WAL",
    "synchronous_full": "PRAGMA synchronous = FULL",
    "foreign_keys_on": "PRAGMA foreign_keys = ON",
    "query_only": "PRAGMA query_only = ON",
    "begin": "BEGIN IMMEDIATE",
    "commit": "COMMIT",
    "rollback": "ROLLBACK",
    "checkpoint": "PRAGMA wal_checkpoint(TRUNCATE)",
}

SQLITE = {
    "integrity_check": "PRAGMA integrity_check",
    "foreign_key_check": "PRAGMA foreign_key_check",
    "triggers_and_views": "SELECT name, sql FROM sqlite_master WHERE type IN ('trigger', 'view')",
    "table_names": "SELECT name FROM sqlite_master WHERE type = 'table'",
}

SCHEMA_MIGRATIONS = {
    "count": "SELECT COUNT(*) AS n FROM schema_migrations",
}

# -- artifacts and data ------------------------------------------------------------------------

ARTIFACTS = {
    "insert": """
INSERT INTO artifacts (artifact_id, media_type, size, codec, data, created_at)
VALUES (?, ?, ?, ?, ?, ?)""",
    "blob": "SELECT codec, data FROM artifacts WHERE artifact_id = ?",
    "blob_and_meta": """
SELECT media_type, size, codec, data FROM artifacts WHERE artifact_id = ?""",
    "scan": "SELECT artifact_id, codec, size, data FROM artifacts",
}

# An artifact too large for one value: its parts (migration 3, qrp_jupyter/store/blobs.py).
ARTIFACT_CHUNKS = {
    "insert": "INSERT INTO artifact_chunks (artifact_id, seq, sha256, data) VALUES (?, ?, ?, ?)",
    "data_of": "SELECT data FROM artifact_chunks WHERE artifact_id = ? ORDER BY seq",
    # One part at a time: verify checks each part's own hash without holding the artifact.
    "scan": "SELECT artifact_id, seq, sha256, data FROM artifact_chunks ORDER BY artifact_id, seq",
    # Parts whose artifact is gone or holds its bytes in its own row, and gaps in numbering.
    "misplaced": """
SELECT c.artifact_id, COUNT(*) AS parts, MIN(c.seq) AS first, MAX(c.seq) AS last,
       a.artifact_id IS NULL AS orphan, COALESCE(length(a.data), 0) > 0 AS has_data
FROM artifact_chunks c LEFT JOIN artifacts a ON a.artifact_id = c.artifact_id
GROUP BY c.artifact_id
HAVING orphan OR has_data OR first != 0 OR last != parts - 1""",
}

DATASETS = {
    "insert": """
INSERT INTO datasets (dataset_id_v2, artifact_id, source, summary_json, created_at)
VALUES (?, ?, ?, ?, ?)""",
    "get": "SELECT * FROM datasets WHERE dataset_id_v2 = ?",
    "with_blob_meta": """
SELECT d.source, d.summary_json, a.media_type, a.size
FROM datasets d JOIN artifacts a ON a.artifact_id = d.artifact_id
WHERE d.dataset_id_v2 = ?""",
    "ids": "SELECT dataset_id_v2, artifact_id FROM datasets",
    "listing": """
SELECT d.dataset_id_v2, d.source, d.summary_json, d.created_at,
       group_concat(n.name, ', ') AS names
FROM datasets d LEFT JOIN dataset_names n USING (dataset_id_v2)
GROUP BY d.dataset_id_v2
ORDER BY d.created_at, d.dataset_id_v2""",
}

DATASET_NAMES = {
    "exists": "SELECT 1 FROM dataset_names WHERE name = ? AND dataset_id_v2 = ?",
    "insert": "INSERT INTO dataset_names (name, dataset_id_v2, created_at) VALUES (?, ?, ?)",
    "ids_named": "SELECT dataset_id_v2 FROM dataset_names WHERE name = ?",
    "of_dataset": "SELECT name FROM dataset_names WHERE dataset_id_v2 = ? ORDER BY name",
    "known": "SELECT DISTINCT name FROM dataset_names ORDER BY name LIMIT 20",
}

# -- runs --------------------------------------------------------------------------------------

RUNS = {
    "insert": """
INSERT INTO runs (run_key, name, family, dataset_id_v2, config_json, code_hash, code_source,
                  code_entry_point, engine_version, identity_schema_version, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
    "get": "SELECT * FROM runs WHERE run_key = ?",
    "all": "SELECT * FROM runs",
    # One row per run_key, oldest first; an instance is an execution for the record (purpose
    # 'run'), a replay a re-execution from the store alone (purpose 'replay'), counted apart.
    "listing": """
SELECT u.run_key, u.name, u.family, u.dataset_id_v2, u.code_hash, u.engine_version,
       COUNT(CASE WHEN i.purpose = 'run' THEN 1 END) AS instances,
       COUNT(CASE WHEN i.purpose = 'replay' THEN 1 END) AS replays,
       u.created_at
FROM runs u LEFT JOIN run_instances i ON i.run_key = u.run_key
GROUP BY u.run_key
ORDER BY u.created_at, u.run_key""",
}

RUN_INSTANCES = {
    "insert": """
INSERT INTO run_instances (run_instance_id, run_key, seq, purpose, replay_of, started_at,
                           finished_at, actor, result_json)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
    "get": "SELECT * FROM run_instances WHERE run_instance_id = ?",
    "all": "SELECT * FROM run_instances",
    "next_seq": "SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM run_instances WHERE run_key = ?",
    "latest_original": """
SELECT run_instance_id FROM run_instances
WHERE run_key = ? AND purpose = 'run'
ORDER BY seq DESC LIMIT 1""",
    "of_run": "SELECT run_instance_id FROM run_instances WHERE run_key = ? ORDER BY seq",
    "replays_of": "SELECT run_instance_id FROM run_instances WHERE replay_of = ? ORDER BY seq",
}

TRIALS = {
    "insert": """
INSERT INTO trials (run_key, trial_index, params_json, sharpe, sharpe_annual, total_return,
                    max_drawdown, turnover, n_trades, n_obs, metrics_json)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
    "get": "SELECT * FROM trials WHERE run_key = ? AND trial_index = ?",
    "of_run": "SELECT * FROM trials WHERE run_key = ? ORDER BY trial_index",
    "count": "SELECT COUNT(*) AS n FROM trials WHERE run_key = ?",
    # the parameter grid of a run, for its heatmap: parameters and Sharpe only
    "grid": "SELECT trial_index, params_json, sharpe_annual FROM trials WHERE run_key = ? "
            "ORDER BY trial_index",
    # The trials as a table: parameters, then the stored metric columns.
    "table": """
SELECT trial_index, params_json, sharpe, sharpe_annual, total_return, max_drawdown, turnover,
       n_trades, n_obs
FROM trials WHERE run_key = ? ORDER BY trial_index""",
    "best": """
SELECT trial_index, params_json, sharpe_annual, metrics_json FROM trials
WHERE run_key = ?
ORDER BY sharpe IS NULL, sharpe DESC, trial_index
LIMIT ?""",
    # Every trial of every run, with what the trial registry groups and deduplicates on (the
    # traded asset and bar interval, the data's span, the strategy, costs and parameters).
    "registry": """
SELECT t.run_key, t.trial_index, t.params_json, t.sharpe, t.n_obs, u.family, u.dataset_id_v2,
       u.config_json, u.code_hash, u.created_at, d.summary_json
FROM trials t JOIN runs u ON u.run_key = t.run_key
JOIN datasets d ON d.dataset_id_v2 = u.dataset_id_v2
ORDER BY u.created_at, t.run_key, t.trial_index""",
}

# -- lineage -----------------------------------------------------------------------------------

ARTIFACT_LINEAGE = {
    "insert_for_instance": """
INSERT INTO artifact_lineage (artifact_id, run_instance_id, role, kind, created_at)
VALUES (?, ?, ?, ?, ?)""",
    "insert_for_report": """
INSERT INTO artifact_lineage (artifact_id, eligibility_report_id, role, kind, created_at)
VALUES (?, ?, 'input', ?, ?)""",
    "of_instance": """
SELECT kind, artifact_id FROM artifact_lineage WHERE run_instance_id = ? ORDER BY lineage_id""",
    "links": """
SELECT 1 FROM artifact_lineage WHERE run_instance_id = ? AND kind = ? AND artifact_id = ?""",
    # What one candidate's instance and reports used or produced (the audit trail).
    "of_candidate": """
SELECT kind, role, artifact_id, run_instance_id, eligibility_report_id
FROM artifact_lineage
WHERE run_instance_id = ?
   OR eligibility_report_id IN (SELECT eligibility_report_id FROM eligibility_reports
                                WHERE candidate_id = ?)
ORDER BY lineage_id""",
    # ?1, ?2: JSON arrays of run instance ids and of report ids. The instances' rows come
    # first, then the reports' (a row belongs to exactly one of the two), each in write order.
    "with_meta_of": """
SELECT l.lineage_id, l.artifact_id, l.run_instance_id, l.eligibility_report_id, l.role,
       l.kind, a.media_type, a.size
FROM artifact_lineage l LEFT JOIN artifacts a ON a.artifact_id = l.artifact_id
WHERE l.run_instance_id IN (SELECT value FROM json_each(?1))
   OR l.eligibility_report_id IN (SELECT value FROM json_each(?2))
ORDER BY l.run_instance_id IS NULL, l.lineage_id""",
    "first_code_of_run": """
SELECT l.artifact_id FROM artifact_lineage l
JOIN run_instances i ON i.run_instance_id = l.run_instance_id
WHERE i.run_key = ? AND l.kind = 'code'
ORDER BY l.lineage_id LIMIT 1""",
    "seed_blobs_of_run": """
SELECT DISTINCT a.artifact_id FROM artifact_lineage l
JOIN run_instances i ON i.run_instance_id = l.run_instance_id
JOIN artifacts a ON a.artifact_id = l.artifact_id
WHERE i.run_key = ? AND l.kind = 'seed_records'""",
}

ARTIFACT_EDGES = {
    "exists": "SELECT 1 FROM artifact_edges WHERE child_id = ? AND parent_id = ? AND relation = ?",
    "insert": """
INSERT INTO artifact_edges (child_id, parent_id, relation, created_at) VALUES (?, ?, ?, ?)""",
    # ?1 is a JSON array of artifact ids: the edges with both ends in it.
    "among": """
SELECT child_id, parent_id, relation FROM artifact_edges
WHERE child_id IN (SELECT value FROM json_each(?1))
  AND parent_id IN (SELECT value FROM json_each(?1))
ORDER BY child_id, parent_id, relation""",
}

# -- governance --------------------------------------------------------------------------------

POLICIES = {
    "insert": """
INSERT INTO policies (policy_hash, name, version, payload_json, created_at)
VALUES (?, ?, ?, ?, ?)""",
    "hash_of_version": "SELECT policy_hash FROM policies WHERE name = ? AND version = ?",
    "payload_of_version": "SELECT payload_json FROM policies WHERE name = ? AND version = ?",
    "payload_of_latest": """
SELECT payload_json FROM policies WHERE name = ? ORDER BY version DESC LIMIT 1""",
    "get": "SELECT * FROM policies WHERE policy_hash = ?",
    "all": "SELECT * FROM policies",
}

PROMOTION_CANDIDATES = {
    "insert": """
INSERT INTO promotion_candidates (candidate_id, run_key, trial_index, run_instance_id, status,
                                  eligibility_report_id, created_at, updated_at)
VALUES (?, ?, ?, ?, 'exploratory', NULL, ?, ?)""",
    "get": "SELECT * FROM promotion_candidates WHERE candidate_id = ?",
    "all": "SELECT * FROM promotion_candidates",
    "with_trial": """
SELECT c.*, t.params_json, t.sharpe_annual, t.n_trades, t.metrics_json
FROM promotion_candidates c
JOIN trials t ON t.run_key = c.run_key AND t.trial_index = c.trial_index
WHERE c.candidate_id = ?""",
    "of_run": """
SELECT candidate_id FROM promotion_candidates WHERE run_key = ? ORDER BY candidate_id""",
    "of_instance": """
SELECT candidate_id FROM promotion_candidates WHERE run_instance_id = ? ORDER BY candidate_id""",
    "listing": """
SELECT candidate_id, status, run_key, trial_index, params_json, sharpe_annual, family,
       run_name, eligibility_report_id
FROM v_candidate_chain
ORDER BY family, run_key, trial_index""",
    "set_promoted": """
UPDATE promotion_candidates SET status = ?, eligibility_report_id = ?, updated_at = ?
WHERE candidate_id = ?""",
    "set_ended": """
UPDATE promotion_candidates SET status = ?, updated_at = ? WHERE candidate_id = ?""",
}

ELIGIBILITY_REPORTS = {
    "insert": """
INSERT INTO eligibility_reports (eligibility_report_id, candidate_id, level, passed, policy_hash,
                                 payload_json, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?)""",
    "get": "SELECT * FROM eligibility_reports WHERE eligibility_report_id = ?",
    "all": "SELECT * FROM eligibility_reports",
    "of_candidate": """
SELECT * FROM eligibility_reports WHERE candidate_id = ?
ORDER BY created_at, eligibility_report_id""",
}

GOVERNANCE_EVENTS = {
    "insert": """
INSERT INTO governance_events (seq, event_hash, prev_hash, kind, candidate_id, payload_json,
                               created_at)
VALUES (?, ?, ?, ?, ?, ?, ?)""",
    "last": "SELECT seq, event_hash FROM governance_events ORDER BY seq DESC LIMIT 1",
    "first_kind": "SELECT kind FROM governance_events ORDER BY seq LIMIT 1",
    "chain": "SELECT * FROM governance_events ORDER BY seq",
    "by_hash": "SELECT * FROM governance_events WHERE event_hash = ?",
    # ?1 is a JSON array of candidate ids.
    "of_candidates": """
SELECT * FROM governance_events
WHERE candidate_id IN (SELECT value FROM json_each(?1))
ORDER BY seq""",
}

LEDGER_BLOCKS = {
    "get": "SELECT block_seq, block_hash FROM ledger_blocks WHERE block_seq = ?",
}

# -- the review panel (qrp_jupyter.review): counts and keyset pages ---------------------------
# Every page is ``WHERE key > cursor ORDER BY key LIMIT n`` on a primary key (or a short sort
# over one table), so a page costs the same on the 10,000th run as on the first: SQLite does the
# paging, nothing reads the rows before the cursor. ``?`` numbers: the cursor first, the
# filters next, the limit last.

#: A candidate as the panel lists it. The last report is the candidate's newest (refused ones
#: included: a refusal leaves the status as it was, and its blockers are what a reviewer reads).
_REVIEW_CANDIDATE = """
SELECT c.candidate_id, c.status, c.run_key, c.trial_index, c.run_instance_id,
       c.eligibility_report_id, c.created_at, c.updated_at,
       t.params_json, t.sharpe_annual, u.family, u.name AS run_name,
       (SELECT COUNT(*) FROM eligibility_reports x WHERE x.candidate_id = c.candidate_id)
           AS reports,
       r.eligibility_report_id AS last_report_id, r.level AS last_report_level,
       r.passed AS last_report_passed, r.created_at AS last_report_at,
       json_extract(r.payload_json, '$.blockers') AS last_blockers_json,
       json_extract(r.payload_json, '$.warnings') AS last_warnings_json
FROM promotion_candidates c
JOIN runs u ON u.run_key = c.run_key
JOIN trials t ON t.run_key = c.run_key AND t.trial_index = c.trial_index
LEFT JOIN eligibility_reports r ON r.eligibility_report_id = (
    SELECT x.eligibility_report_id FROM eligibility_reports x
    WHERE x.candidate_id = c.candidate_id
    ORDER BY x.created_at DESC, x.rowid DESC LIMIT 1)"""

REVIEW = {
    "counts": """
SELECT (SELECT COUNT(*) FROM datasets) AS datasets,
       (SELECT COUNT(*) FROM runs) AS runs,
       (SELECT COUNT(*) FROM run_instances) AS run_instances,
       (SELECT COUNT(*) FROM trials) AS trials,
       (SELECT COUNT(*) FROM artifacts) AS artifacts,
       (SELECT COUNT(*) FROM promotion_candidates) AS candidates,
       (SELECT COUNT(*) FROM eligibility_reports) AS eligibility_reports,
       (SELECT COUNT(*) FROM governance_events) AS governance_events,
       (SELECT COUNT(*) FROM ledger_blocks) AS ledger_blocks""",
    "status_counts": """
SELECT status, COUNT(*) AS n FROM promotion_candidates GROUP BY status ORDER BY status""",
    # ?1, ?2: the cursor (created_at, run_key) of the last row shown; ?3 the page size.
    "runs_page": """
SELECT u.run_key, u.name, u.family, u.dataset_id_v2, u.engine_version, u.created_at,
       (SELECT COUNT(*) FROM trials t WHERE t.run_key = u.run_key) AS trials,
       (SELECT MAX(t.sharpe_annual) FROM trials t WHERE t.run_key = u.run_key)
           AS best_sharpe_annual,
       (SELECT COUNT(*) FROM run_instances i WHERE i.run_key = u.run_key AND i.purpose = 'run')
           AS instances,
       (SELECT COUNT(*) FROM run_instances i
        WHERE i.run_key = u.run_key AND i.purpose = 'replay') AS replays
FROM runs u
WHERE (u.created_at, u.run_key) > (?1, ?2)
ORDER BY u.created_at, u.run_key
LIMIT ?3""",
    # ?1: the last candidate_id shown ('' for the first page); ?2 a status or NULL for all;
    # ?3 the page size.
    "candidates_page": _REVIEW_CANDIDATE + """
WHERE c.candidate_id > ?1 AND (?2 IS NULL OR c.status = ?2)
ORDER BY c.candidate_id
LIMIT ?3""",
    "candidate": _REVIEW_CANDIDATE + "\nWHERE c.candidate_id = ?",
    "candidate_reports": """
SELECT eligibility_report_id, level, passed, policy_hash, created_at,
       json_extract(payload_json, '$.blockers') AS blockers_json,
       json_extract(payload_json, '$.warnings') AS warnings_json
FROM eligibility_reports WHERE candidate_id = ?
ORDER BY created_at, rowid""",
    # ?1: a JSON array of artifact ids; ?2, ?3: the report's run instance and the report. Each
    # artifact with the lineage rows that tie it to this report's run instance or to the report.
    "artifact_sources": """
SELECT a.artifact_id, a.media_type, a.size, l.kind, l.role, l.run_instance_id,
       l.eligibility_report_id
FROM artifacts a
LEFT JOIN artifact_lineage l ON l.artifact_id = a.artifact_id
     AND (l.run_instance_id = ?2 OR l.eligibility_report_id = ?3)
WHERE a.artifact_id IN (SELECT value FROM json_each(?1))
ORDER BY a.artifact_id, l.lineage_id""",
    # ?1: the cursor seq; ?2 a candidate_id or NULL for all; ?3 the page size. prior_hash is
    # the event_hash of the row before, so each row's link is checked without the rest.
    "events_after": """
SELECT e.seq, e.event_hash, e.prev_hash, e.kind, e.candidate_id, e.payload_json, e.created_at,
       (SELECT p.event_hash FROM governance_events p WHERE p.seq = e.seq - 1) AS prior_hash
FROM governance_events e
WHERE e.seq > ?1 AND (?2 IS NULL OR e.candidate_id = ?2)
ORDER BY e.seq
LIMIT ?3""",
    "events_before": """
SELECT e.seq, e.event_hash, e.prev_hash, e.kind, e.candidate_id, e.payload_json, e.created_at,
       (SELECT p.event_hash FROM governance_events p WHERE p.seq = e.seq - 1) AS prior_hash
FROM governance_events e
WHERE e.seq < ?1 AND (?2 IS NULL OR e.candidate_id = ?2)
ORDER BY e.seq DESC
LIMIT ?3""",
    "events_count": """
SELECT COUNT(*) AS n FROM governance_events WHERE ?1 IS NULL OR candidate_id = ?1""",
    "candidates_count": """
SELECT COUNT(*) AS n FROM promotion_candidates WHERE ?1 IS NULL OR status = ?1""",
}

#: The first query a reviewer types in the ``sqlite3`` shell (the demo suggests it).
SHELL_EXAMPLE = "SELECT * FROM v_governance_log"

# -- dynamic statements, generated from allow-lists ---------------------------------------------

#: (table, column) pairs whose ids may be given by a unique display prefix.
PREFIX_KEYS = (
    ("datasets", "dataset_id_v2"),
    ("runs", "run_key"),
    ("run_instances", "run_instance_id"),
    ("promotion_candidates", "candidate_id"),
)

#: (table, column) pairs that may be asked "does a row with this value exist?".
LOOKUP_KEYS = (
    ("artifacts", "artifact_id"),
    ("datasets", "dataset_id_v2"),
    ("runs", "run_key"),
    ("runs", "code_hash"),
    ("run_instances", "run_instance_id"),
    ("promotion_candidates", "candidate_id"),
    ("eligibility_reports", "eligibility_report_id"),
    ("policies", "policy_hash"),
    ("governance_events", "event_hash"),
)


#: How many ids starting with a prefix are listed (an ambiguity shows the first few).
PREFIX_SHOWN = 4


def prefix_statement(table: str, column: str) -> str:
    """The name of the statement listing (at most :data:`PREFIX_SHOWN`) ids of
    ``table.column`` with a prefix."""
    return f"prefix.{table}.{column}"


def prefix_count_statement(table: str, column: str) -> str:
    """The name of the statement counting the ids of ``table.column`` with a prefix."""
    return f"prefix_count.{table}.{column}"


def lookup_statement(table: str, column: str) -> str:
    """The name of the statement that finds a row of ``table`` by ``column``."""
    return f"lookup.{table}.{column}"


def _generated() -> dict[str, str]:
    out = {}
    for table, column in PREFIX_KEYS:
        # Hex ids: every id starting ``p`` sorts in [p, p + "g").
        out[prefix_statement(table, column)] = (
            f"SELECT {column} AS id FROM {table} WHERE {column} >= ? AND {column} < ? "
            f"ORDER BY {column} LIMIT {PREFIX_SHOWN}")
        out[prefix_count_statement(table, column)] = (
            f"SELECT COUNT(*) AS n FROM {table} WHERE {column} >= ? AND {column} < ?")
    for table, column in LOOKUP_KEYS:
        out[lookup_statement(table, column)] = (
            f"SELECT 1 FROM {table} WHERE {column} = ? LIMIT 1")
    return out


def _registry(**groups: dict[str, str]) -> dict[str, str]:
    return {f"{group}.{name}": sql.strip() for group, statements in groups.items()
            for name, sql in statements.items()}


#: statement name -> SQL text: everything :class:`~.db.Store` may execute.
STATEMENTS: dict[str, str] = {
    **_registry(connection=CONNECTION, sqlite=SQLITE, schema_migrations=SCHEMA_MIGRATIONS,
                artifacts=ARTIFACTS, artifact_chunks=ARTIFACT_CHUNKS,
                datasets=DATASETS, dataset_names=DATASET_NAMES, runs=RUNS,
                run_instances=RUN_INSTANCES, trials=TRIALS, artifact_lineage=ARTIFACT_LINEAGE,
                artifact_edges=ARTIFACT_EDGES, policies=POLICIES,
                promotion_candidates=PROMOTION_CANDIDATES,
                eligibility_reports=ELIGIBILITY_REPORTS, governance_events=GOVERNANCE_EVENTS,
                ledger_blocks=LEDGER_BLOCKS, review=REVIEW),
    **_generated(),
}

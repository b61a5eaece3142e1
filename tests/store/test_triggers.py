"""Every forbidden write of DESIGN section 3, tried with raw SQL, must raise IntegrityError."""

from __future__ import annotations

import sqlite3

import pytest

from qrp_jupyter.identity import hash_payload, sha256_hex
from qrp_jupyter.store import GENESIS_HASH
from qrp_jupyter.store.schema import APPEND_ONLY, TRIGGERS, VIEWS

T = "2024-01-01T00:00:00.000000Z"

# The insider's handle: the in-memory store's private connection ``_conn`` (there is no file
# to open with sqlite3.connect), so these raw writes bypass QRP exactly as an attacker would.


def h(*parts) -> str:
    return hash_payload(["test", *parts])


@pytest.fixture
def db(mem_store):
    """A store holding one run with two trials, two candidates and reports of every kind."""
    s = mem_store
    c = s._conn
    with s.transaction():
        ds = s.put_artifact(b"dataset-bytes", "application/octet-stream")
        c.execute("INSERT INTO datasets VALUES (?, ?, 'test', '{}', ?)", (ds, ds, T))
        c.execute("INSERT INTO dataset_names VALUES ('d', ?, ?)", (ds, T))
        c.execute("INSERT INTO runs (run_key, name, family, dataset_id_v2, config_json, "
                  "engine_version, identity_schema_version, created_at) "
                  "VALUES (?, 'r', 'fam', ?, '{}', '0', 1, ?)", (h("run"), ds, T))
        c.execute("INSERT INTO run_instances VALUES (?, ?, 1, 'run', NULL, ?, ?, 'me', '{}')",
                  (h("inst"), h("run"), T, T))
        for i in (0, 1):
            c.execute("INSERT INTO trials (run_key, trial_index, params_json, n_obs, "
                      "metrics_json) VALUES (?, ?, '{}', 10, '{}')", (h("run"), i))
        c.execute("INSERT INTO policies VALUES (?, 'p', 1, '{}', ?)", (h("pol"), T))
        for name, i in (("A", 0), ("B", 1)):
            c.execute("INSERT INTO promotion_candidates (candidate_id, run_key, trial_index, "
                      "run_instance_id, status, created_at, updated_at) "
                      "VALUES (?, ?, ?, ?, 'exploratory', ?, ?)",
                      (h(name), h("run"), i, h("inst"), T, T))
        # Reports: for A, passing at both levels and one failing; for B, passing candidate.
        for rid, cand, level, passed in (
            ("A-cand", "A", "candidate", 1), ("A-acc", "A", "accepted", 1),
            ("A-fail", "A", "candidate", 0), ("B-cand", "B", "candidate", 1),
            ("B-acc", "B", "accepted", 1),
        ):
            c.execute("INSERT INTO eligibility_reports VALUES (?, ?, ?, ?, ?, '{}', ?)",
                      (h(rid), h(cand), level, passed, h("pol"), T))
        c.execute("INSERT INTO governance_events VALUES (1, ?, ?, 'k', NULL, '{}', ?)",
                  (h("ev1"), GENESIS_HASH, T))
        c.execute("INSERT INTO artifact_lineage (artifact_id, run_instance_id, role, kind, "
                  "created_at) VALUES (?, ?, 'input', 'dataset', ?)", (ds, h("inst"), T))
        out = s.put_artifact(b"output", "application/octet-stream")
        c.execute("INSERT INTO artifact_edges VALUES (?, ?, 'derived_from', ?)", (out, ds, T))
    s.ids = {"ds": ds, "out": out}
    return s


def promote(db, cand, status, report):
    db._conn.execute("UPDATE promotion_candidates SET status = ?, eligibility_report_id = ? "
                    "WHERE candidate_id = ?", (status, h(report) if report else None, h(cand)))


def status_of(db, cand):
    return db._conn.execute("SELECT status FROM promotion_candidates WHERE candidate_id = ?",
                           (h(cand),)).fetchone()[0]


def forbidden(db, sql, params=()):
    with pytest.raises(sqlite3.IntegrityError):
        db._conn.execute(sql, params)


# -- the legal path works (so the failures below are about the rule, not the fixture) -------

def test_legal_path_exploratory_candidate_accepted_retired(db):
    promote(db, "A", "candidate", "A-cand")
    promote(db, "A", "accepted", "A-acc")
    db._conn.execute("UPDATE promotion_candidates SET status = 'retired' WHERE candidate_id = ?",
                    (h("A"),))
    assert status_of(db, "A") == "retired"


# -- status values ---------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["Accepted", "CANDIDATE", "accepted ", "promoted", ""])
def test_status_is_case_exact_and_known(db, bad):
    forbidden(db, "UPDATE promotion_candidates SET status = ? WHERE candidate_id = ?",
              (bad, h("A")))


@pytest.mark.parametrize("bad", ["Exploratory", "EXPLORATORY"])
def test_insert_with_case_variant_status(db, bad):
    forbidden(db, "INSERT INTO promotion_candidates (candidate_id, run_key, trial_index, "
                  "run_instance_id, status, created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?, ?)",
              (h("C"), h("run"), h("inst"), bad, T, T))


# -- transitions -----------------------------------------------------------------------------

def test_skipping_a_level_is_refused(db):
    with pytest.raises(sqlite3.IntegrityError):
        promote(db, "A", "accepted", "A-acc")


def test_insert_directly_at_a_level_is_refused(db):
    forbidden(db, "INSERT INTO promotion_candidates (candidate_id, run_key, trial_index, "
                  "run_instance_id, status, eligibility_report_id, created_at, updated_at) "
                  "VALUES (?, ?, 1, ?, 'candidate', ?, ?, ?)",
              (h("C"), h("run"), h("inst"), h("B-cand"), T, T))


@pytest.mark.parametrize("target", ["candidate", "exploratory"])
def test_no_silent_demotion(db, target):
    promote(db, "A", "candidate", "A-cand")
    promote(db, "A", "accepted", "A-acc")
    with pytest.raises(sqlite3.IntegrityError):
        promote(db, "A", target, "A-cand" if target == "candidate" else None)
    assert status_of(db, "A") == "accepted"


@pytest.mark.parametrize("target", ["exploratory", "candidate", "accepted", "rejected"])
def test_nothing_leaves_retired(db, target):
    db._conn.execute("UPDATE promotion_candidates SET status = 'retired' WHERE candidate_id = ?",
                    (h("A"),))
    forbidden(db, "UPDATE promotion_candidates SET status = ? WHERE candidate_id = ?",
              (target, h("A")))


def test_rejected_cannot_be_revived(db):
    db._conn.execute("UPDATE promotion_candidates SET status = 'rejected' WHERE candidate_id = ?",
                    (h("A"),))
    with pytest.raises(sqlite3.IntegrityError):
        promote(db, "A", "candidate", "A-cand")


# -- the report link -------------------------------------------------------------------------

def test_link_report_of_another_candidate(db):
    with pytest.raises(sqlite3.IntegrityError):
        promote(db, "A", "candidate", "B-cand")


def test_link_report_of_another_level(db):
    with pytest.raises(sqlite3.IntegrityError):
        promote(db, "A", "candidate", "A-acc")


def test_link_failed_report(db):
    with pytest.raises(sqlite3.IntegrityError):
        promote(db, "A", "candidate", "A-fail")


def test_link_missing_report(db):
    with pytest.raises(sqlite3.IntegrityError):
        promote(db, "A", "candidate", "nonexistent")


def test_promote_without_report(db):
    forbidden(db, "UPDATE promotion_candidates SET status = 'candidate' WHERE candidate_id = ?",
              (h("A"),))


def test_null_the_report_link_of_accepted(db):
    promote(db, "A", "candidate", "A-cand")
    promote(db, "A", "accepted", "A-acc")
    forbidden(db, "UPDATE promotion_candidates SET eligibility_report_id = NULL "
                  "WHERE candidate_id = ?", (h("A"),))


def test_swap_the_report_link_of_accepted_for_another_passing_one(db):
    """Even a passing report of the same level cannot replace the evidence after the fact."""
    promote(db, "A", "candidate", "A-cand")
    promote(db, "A", "accepted", "A-acc")
    with db.transaction():
        db._conn.execute("INSERT INTO eligibility_reports VALUES (?, ?, 'accepted', 1, ?, '{}', ?)",
                        (h("A-acc2"), h("A"), h("pol"), T))
    forbidden(db, "UPDATE promotion_candidates SET eligibility_report_id = ? "
                  "WHERE candidate_id = ?", (h("A-acc2"), h("A")))


def test_link_report_of_another_candidate_on_update_of_link_only(db):
    promote(db, "A", "candidate", "A-cand")
    forbidden(db, "UPDATE promotion_candidates SET eligibility_report_id = ? "
                  "WHERE candidate_id = ?", (h("B-cand"), h("A")))


def test_candidate_identity_columns_are_frozen(db):
    forbidden(db, "UPDATE promotion_candidates SET trial_index = 1 WHERE candidate_id = ?",
              (h("A"),))
    forbidden(db, "UPDATE promotion_candidates SET run_instance_id = ? WHERE candidate_id = ?",
              (h("x"), h("A")))


def test_candidates_are_never_deleted(db):
    forbidden(db, "DELETE FROM promotion_candidates WHERE candidate_id = ?", (h("A"),))


# -- immutability ----------------------------------------------------------------------------

def test_reports_cannot_be_updated_or_deleted(db):
    forbidden(db, "UPDATE eligibility_reports SET passed = 1 WHERE eligibility_report_id = ?",
              (h("A-fail"),))
    forbidden(db, "UPDATE eligibility_reports SET payload_json = '{}'")
    forbidden(db, "DELETE FROM eligibility_reports WHERE eligibility_report_id = ?",
              (h("A-fail"),))


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_append_only_tables(db, table):
    col = db._conn.execute(f"PRAGMA table_info({table})").fetchall()[0][1]
    assert db._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] > 0, table
    forbidden(db, f"UPDATE {table} SET {col} = {col}")
    forbidden(db, f"DELETE FROM {table}")


def test_event_edit_and_delete(db):
    forbidden(db, "UPDATE governance_events SET payload_json = '{\"x\":1}' WHERE seq = 1")
    forbidden(db, "DELETE FROM governance_events WHERE seq = 1")


def test_lineage_and_edge_edit_and_delete(db):
    forbidden(db, "UPDATE artifact_lineage SET role = 'output'")
    forbidden(db, "DELETE FROM artifact_lineage")
    forbidden(db, "UPDATE artifact_edges SET relation = 'x'")
    forbidden(db, "DELETE FROM artifact_edges")


def test_event_chain_must_extend_the_last_event(db):
    # Wrong predecessor.
    forbidden(db, "INSERT INTO governance_events VALUES (2, ?, ?, 'k', NULL, '{}', ?)",
              (h("ev2"), GENESIS_HASH, T))
    # Gap in the sequence.
    forbidden(db, "INSERT INTO governance_events VALUES (3, ?, ?, 'k', NULL, '{}', ?)",
              (h("ev3"), h("ev1"), T))
    db._conn.execute("INSERT INTO governance_events VALUES (2, ?, ?, 'k', NULL, '{}', ?)",
                    (h("ev2"), h("ev1"), T))


def test_artifacts_never_change_and_referenced_ones_stay(db):
    forbidden(db, "UPDATE artifacts SET data = x'00' WHERE artifact_id = ?", (db.ids["ds"],))
    forbidden(db, "DELETE FROM artifacts WHERE artifact_id = ?", (db.ids["ds"],))
    forbidden(db, "DELETE FROM artifacts WHERE artifact_id = ?", (db.ids["out"],))
    # An unreferenced artifact may be collected.
    with db.transaction():
        lone = db.put_artifact(b"lonely", "application/octet-stream")
    db._conn.execute("DELETE FROM artifacts WHERE artifact_id = ?", (lone,))


def test_referenced_dataset_is_never_deleted_or_changed(db):
    forbidden(db, "DELETE FROM datasets WHERE dataset_id_v2 = ?", (db.ids["ds"],))
    forbidden(db, "UPDATE datasets SET source = 'x' WHERE dataset_id_v2 = ?", (db.ids["ds"],))


def test_artifact_id_must_be_a_full_hex_digest(db):
    forbidden(db, "INSERT INTO artifacts VALUES ('ABC', 't', 1, 'identity', x'00', ?)", (T,))
    forbidden(db, "INSERT INTO artifacts VALUES (?, 't', 1, 'identity', x'00', ?)",
              (sha256_hex(b"x").upper(), T))


# -- the stored DDL is the DDL in the code ----------------------------------------------------

def test_stored_triggers_and_views_match_the_code(db):
    rows = dict(db._conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type IN ('trigger', 'view')").fetchall())
    expected = {**TRIGGERS, **VIEWS}
    assert set(rows) == set(expected)
    for name, sql in expected.items():
        assert rows[name] == sql.strip(), name


def test_migrations_are_idempotent_and_recorded(tmp_path):
    from qrp_jupyter.store import Store, apply_migrations
    s = Store(tmp_path / "a.sqlite")
    assert apply_migrations(s._conn) == []
    rows = s._conn.execute("SELECT version, name FROM schema_migrations").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(1, "initial governed store")]
    assert s._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    s.close()

"""The insider: write access to the file, Python's standard library, QRP's own source, no secret.

Every attack here is what such a person would try next, and each must be refused by SQLite,
caught by ``verify`` naming the table and row, or, for a self-consistent rewrite of history
before a recorded digest, caught by ``verify --digest``. The insider works through a raw
``sqlite3`` connection to the file, as they would; the ledger-aware insider also uses QRP's
open-source ledger code to seal blocks of their own.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager

import pytest

from qrp_jupyter.audit import verify
from qrp_jupyter.governance import create_candidate, promote
from qrp_jupyter.identity import canonical_json, event_hash, hash_payload
from qrp_jupyter.store import ledger
from qrp_jupyter.store.migrations import expected_schema
from insider import sealed, without

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture
def books(world):
    """The edge accepted (through a replay); the noise refused at candidate."""
    edge = create_candidate(world.store, world.edge.run_instance_id)
    assert promote(world.store, edge["candidate_id"], "candidate").passed
    assert promote(world.store, edge["candidate_id"], "accepted").passed
    noise = create_candidate(world.store, world.noise.run_instance_id)
    refused = promote(world.store, noise["candidate_id"], "candidate")
    assert not refused.passed
    world.edge_cid, world.noise_cid = edge["candidate_id"], noise["candidate_id"]
    world.refusal = refused
    assert verify(world.store).ok
    return world


@contextmanager
def insider(world):
    """A raw connection to the store file, in autocommit mode."""
    c = sqlite3.connect(world.store.path, isolation_level=None)
    try:
        yield c
    finally:
        c.close()


def found(world):
    rep = verify(world.store)
    return [(p.table, p.row, p.problem) for p in rep.problems]


def has(findings, table, row_part, text):
    return any(t == table and row_part in r and text in p for t, r, p in findings)


def key(*values):
    return json.dumps(list(values), separators=(",", ":"))


def digest_of(world):
    with insider(world) as c:
        return ledger.head(c).block_hash


def extends(world, digest):
    with insider(world) as c:
        return ledger.extends(c, digest)[0]


# ---------------------------------------------------------------------------------------------
# The attacks of issue 9
# ---------------------------------------------------------------------------------------------

def _forge_promotion(c, cid, *, seal_it: bool):
    """~40 lines of sqlite3 + hashlib: a report whose id is its payload's hash, the link, and a
    correctly chained `promoted` event. Every trigger stays in place."""
    ph = c.execute("SELECT policy_hash FROM policies LIMIT 1").fetchone()[0]
    payload = {"kind": "eligibility_report", "version": 1, "candidate_id": cid,
               "level": "candidate", "passed": True, "rules": [], "blockers": [],
               "warnings": [], "evidence": {}, "policy": {"hash": ph}}
    rid = hash_payload(payload)
    seq, prev = c.execute("SELECT seq, event_hash FROM governance_events "
                          "ORDER BY seq DESC LIMIT 1").fetchone()
    ev = {"seq": seq + 1, "kind": "promoted", "candidate_id": cid, "from_status": "exploratory",
          "to_status": "candidate", "eligibility_report_id": rid, "actor": "mallory"}

    def write():
        c.execute("INSERT INTO eligibility_reports VALUES (?, ?, 'candidate', 1, ?, ?, 'now')",
                  (rid, cid, ph, canonical_json(payload)))
        c.execute("UPDATE promotion_candidates SET status = 'candidate', "
                  "eligibility_report_id = ? WHERE candidate_id = ?", (rid, cid))
        c.execute("INSERT INTO governance_events VALUES (?, ?, ?, 'promoted', ?, ?, 'now')",
                  (seq + 1, event_hash(prev, ev), prev, cid, canonical_json(ev)))
    if seal_it:
        with sealed(c):
            write()
    else:
        write()
    return rid


def test_forged_report_with_every_trigger_intact_is_caught(books):
    with insider(books) as c:
        rid = _forge_promotion(c, books.noise_cid, seal_it=False)
    f = found(books)
    assert has(f, "eligibility_reports", rid, "no ledger block covers this row")
    assert has(f, "governance_events", "", "no ledger block covers this row")
    assert has(f, "promotion_candidates", books.noise_cid, "row changed since ledger block")


def test_forged_report_sealed_in_a_block_is_caught_by_re_deriving_it(books):
    """The insider who also forges the ledger block: the report's rules are not the policy's."""
    with insider(books) as c:
        rid = _forge_promotion(c, books.noise_cid, seal_it=True)
    f = found(books)
    assert has(f, "eligibility_reports", rid, "rules are not the policy's")


def test_result_json_pointed_at_another_runs_artifacts_is_caught(books):
    with insider(books) as c, without(c, "trg_run_instances_no_update"):
        good = json.loads(c.execute("SELECT result_json FROM run_instances WHERE "
                                    "run_instance_id = ?",
                                    (books.edge.run_instance_id,)).fetchone()[0])
        c.execute("UPDATE run_instances SET result_json = ? WHERE run_instance_id = ?",
                  (canonical_json(good), books.noise.run_instance_id))
    assert has(found(books), "run_instances", books.noise.run_instance_id,
               "row changed since ledger block")


def test_promote_refuses_evidence_rows_edited_outside_qrp(world):
    """The real `qrp promote` must not read another run's artifacts through an edited
    result_json: it fails closed before evaluating anything, and writes nothing."""
    from qrp_jupyter.errors import IntegrityProblem
    noise = create_candidate(world.store, world.noise.run_instance_id)
    with insider(world) as c, without(c, "trg_run_instances_no_update"):
        good = c.execute("SELECT result_json FROM run_instances WHERE run_instance_id = ?",
                         (world.edge.run_instance_id,)).fetchone()[0]
        c.execute("UPDATE run_instances SET result_json = ? WHERE run_instance_id = ?",
                  (good, world.noise.run_instance_id))
    before = digest_of(world)
    with pytest.raises(IntegrityProblem, match="run_instances row .* changed since ledger"):
        promote(world.store, noise["candidate_id"], "candidate")
    assert digest_of(world) == before


@pytest.mark.parametrize("table, where", [
    ("runs", "run_key = '{rk}'"),
    ("trials", "run_key = '{rk}' AND trial_index = 0"),
    ("run_instances", "run_key = '{rk}'"),
])
def test_insert_or_replace_with_triggers_dropped_and_restored_is_caught(books, table, where):
    rk = books.noise.run_key
    with insider(books) as c, without(c, f"trg_{table}_no_replace", f"trg_{table}_no_update"):
        cols = [r[1] for r in c.execute(f"PRAGMA table_info({table})")]
        row = dict(zip(cols, c.execute(f"SELECT * FROM {table} WHERE "
                                       f"{where.format(rk=rk)}").fetchone()))
        if table == "runs":
            row["name"] = "renamed"
        elif table == "trials":
            row["sharpe_annual"] = 3.0
        else:
            row["actor"] = "mallory"
        c.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(cols)}) VALUES "
                  f"({', '.join('?' * len(cols))})", tuple(row.values()))
    assert has(found(books), table, "", "row changed since ledger block")


def test_accepted_candidate_replaced_by_an_exploratory_one_is_caught(books):
    with insider(books) as c, without(c, "trg_promotion_candidates_no_replace"):
        cols = [r[1] for r in c.execute("PRAGMA table_info(promotion_candidates)")]
        row = dict(zip(cols, c.execute("SELECT * FROM promotion_candidates WHERE "
                                       "candidate_id = ?", (books.edge_cid,)).fetchone()))
        row.update(status="exploratory", eligibility_report_id=None)
        # A fresh exploratory row passes every insert rule: only no_replace stood in the way.
        c.execute(f"INSERT OR REPLACE INTO promotion_candidates ({', '.join(cols)}) "
                  f"VALUES ({', '.join('?' * len(cols))})", tuple(row.values()))
    assert has(found(books), "promotion_candidates", books.edge_cid,
               "row changed since ledger block")


@pytest.mark.parametrize("table", ["artifact_edges", "artifact_lineage"])
def test_forged_rows_appended_to_lineage_are_caught(books, table):
    arts = books.edge.artifacts
    with insider(books) as c:
        if table == "artifact_edges":
            c.execute("INSERT INTO artifact_edges VALUES (?, ?, 'derived_from', 'now')",
                      (arts["metrics_table"], books.noise.artifacts["returns_matrix"]))
        else:
            c.execute("INSERT INTO artifact_lineage (artifact_id, run_instance_id, role, kind, "
                      "created_at) VALUES (?, ?, 'output', 'spa', 'now')",
                      (books.edge.artifacts["spa"], books.noise.run_instance_id))
    assert has(found(books), table, "", "no ledger block covers this row")


def test_edited_trial_metric_column_with_trigger_dropped_and_restored_is_caught(books):
    rk = books.noise.run_key
    with insider(books) as c, without(c, "trg_trials_no_update"):
        c.execute("UPDATE trials SET sharpe_annual = 4.2 WHERE run_key = ? AND trial_index = 0",
                  (rk,))
    assert has(found(books), "trials", key(rk, 0), "row changed since ledger block")


def _erase_newest_refusal(c, books):
    """Delete the newest refusal (event, report, lineage rows) and the ledger block that
    recorded them: what is left is a shorter, self-consistent history."""
    rid = books.refusal.eligibility_report_id
    blocks = [b for (b,) in c.execute(
        "SELECT DISTINCT block_seq FROM ledger_entries WHERE table_name = "
        "'eligibility_reports' AND row_key = ?", (json.dumps([rid]),))]
    with without(c, "trg_governance_events_no_delete", "trg_eligibility_reports_no_delete",
                 "trg_artifact_lineage_no_delete", "trg_ledger_blocks_no_delete",
                 "trg_ledger_entries_no_delete"):
        c.execute("DELETE FROM artifact_lineage WHERE eligibility_report_id = ?", (rid,))
        c.execute("DELETE FROM governance_events WHERE json_extract(payload_json, "
                  "'$.eligibility_report_id') = ?", (rid,))
        c.execute("DELETE FROM eligibility_reports WHERE eligibility_report_id = ?", (rid,))
        for b in blocks:
            c.execute("DELETE FROM ledger_entries WHERE block_seq >= ?", (b,))
            c.execute("DELETE FROM ledger_blocks WHERE block_seq >= ?", (b,))


def test_erased_newest_refusal_is_caught_by_the_recorded_digest(books):
    digest = digest_of(books)
    with insider(books) as c:
        _erase_newest_refusal(c, books)
    # Rows written after the erased block (none here) aside, the rest is self-consistent ...
    leftovers = [x for x in found(books) if x[0] not in ("artifacts", "artifact_edges")]
    # ... but the digest recorded before the erasure is no longer in the ledger.
    assert not extends(books, digest), leftovers


def test_erased_refusal_rows_alone_are_named(books):
    rid = books.refusal.eligibility_report_id
    with insider(books) as c, without(c, "trg_eligibility_reports_no_delete",
                                      "trg_artifact_lineage_no_delete"):
        c.execute("DELETE FROM artifact_lineage WHERE eligibility_report_id = ?", (rid,))
        c.execute("DELETE FROM eligibility_reports WHERE eligibility_report_id = ?", (rid,))
    f = found(books)
    assert has(f, "eligibility_reports", rid, "has vanished (deleted)")
    assert has(f, "artifact_lineage", "", "has vanished (deleted)")


def _rehash_everything_after(c, seq_from):
    """Rewrite every ledger block from ``seq_from`` on so that the chain and digests are
    self-consistent again (the insider has the code)."""
    with without(c, "trg_ledger_blocks_no_delete", "trg_ledger_entries_no_delete",
                 "trg_ledger_blocks_chain", "trg_ledger_entries_newest_block",
                 "trg_ledger_blocks_no_replace", "trg_ledger_entries_no_replace"):
        rows = c.execute("SELECT * FROM ledger_blocks WHERE block_seq >= ? ORDER BY block_seq",
                         (seq_from,)).fetchall()
        prev = c.execute("SELECT block_hash FROM ledger_blocks WHERE block_seq = ?",
                         (seq_from - 1,)).fetchone()[0]
        for seq, _, kind, _, _, _, created in rows:
            lines: dict[str, list] = {}
            for t, k, op, hsh in c.execute("SELECT table_name, row_key, op, row_hash FROM "
                                           "ledger_entries WHERE block_seq = ?", (seq,)):
                lines.setdefault(t, []).append((k, op, hsh))
            digests = canonical_json({t: ledger._lines_digest(v) for t, v in lines.items()})
            n = sum(len(v) for v in lines.values())
            bh = ledger.sha256_hex(ledger.block_text(seq, prev, kind, n, created,
                                                     digests).encode())
            c.execute("DELETE FROM ledger_blocks WHERE block_seq = ?", (seq,))
            c.execute("INSERT INTO ledger_blocks VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (seq, prev, kind, n, digests, bh, created))
            prev = bh


def test_middle_refusal_erased_and_everything_rehashed_is_caught_by_the_digest(books):
    # One more event after the refusal, so the refusal sits in the middle of history.
    from qrp_jupyter.governance import reject
    reject(books.store, books.noise_cid, reason="noise")
    digest = digest_of(books)
    rid = books.refusal.eligibility_report_id
    with insider(books) as c:
        (block,) = c.execute("SELECT block_seq FROM ledger_entries WHERE table_name = "
                             "'eligibility_reports' AND row_key = ?",
                             (json.dumps([rid]),)).fetchone()
        gone = {(t, k) for t, k in c.execute(
            "SELECT table_name, row_key FROM ledger_entries WHERE block_seq = ?", (block,))}
        with without(c, "trg_governance_events_no_delete", "trg_governance_events_no_update",
                     "trg_eligibility_reports_no_delete", "trg_artifact_lineage_no_delete",
                     "trg_artifact_edges_no_delete",
                     "trg_ledger_entries_no_delete", "trg_ledger_entries_no_update",
                     "trg_artifacts_no_delete_referenced"):
            for t, k in gone:
                pk = ledger.PRIMARY_KEYS[t]
                c.execute(f"DELETE FROM {t} WHERE " + " AND ".join(f"{col} = ?" for col in pk),
                          json.loads(k))
            c.execute("DELETE FROM ledger_entries WHERE block_seq = ?", (block,))
            # Renumber and re-hash every later event.
            events = c.execute("SELECT * FROM governance_events ORDER BY seq").fetchall()
            c.execute("DELETE FROM governance_events")
            prev = "0" * 64
            for i, (_, _, _, kind, cid, payload_json, created) in enumerate(events, 1):
                p = {**json.loads(payload_json), "seq": i}
                eh = event_hash(prev, p)
                c.execute("INSERT INTO governance_events VALUES (?, ?, ?, ?, ?, ?, ?)",
                          (i, eh, prev, kind, cid, canonical_json(p), created))
                prev = eh
            # Re-seal the event rows in place: their entries get new hashes.
            for (i,) in c.execute("SELECT seq FROM governance_events").fetchall():
                row = dict(zip([d[1] for d in c.execute("PRAGMA table_info(governance_events)")],
                               c.execute("SELECT * FROM governance_events WHERE seq = ?",
                                         (i,)).fetchone()))
                c.execute("UPDATE ledger_entries SET row_hash = ? WHERE table_name = "
                          "'governance_events' AND row_key = ?",
                          (ledger.row_hash("governance_events", row), json.dumps([i])))
        _rehash_everything_after(c, block)
    assert not extends(books, digest)


def test_any_policy_object_is_refused_by_promote(books):
    from qrp_jupyter.errors import GovernanceError
    from qrp_jupyter.governance import Policy
    lax = Policy("qrp-default", 99, {"candidate": [], "accepted": []})
    c = create_candidate(books.store, books.noise.run_instance_id, trial_index=1)
    with pytest.raises(GovernanceError, match="not a built-in or registered policy"):
        promote(books.store, c["candidate_id"], "candidate", policy=lax)


# ---------------------------------------------------------------------------------------------
# What the insider tries next
# ---------------------------------------------------------------------------------------------

def test_deleted_trial_shrinking_the_registry_is_caught(books):
    rk = books.noise.run_key
    with insider(books) as c, without(c, "trg_trials_no_delete"):
        c.execute("DELETE FROM trials WHERE run_key = ? AND trial_index = 3", (rk,))
    assert has(found(books), "trials", key(rk, 3), "has vanished (deleted)")


def test_forged_trial_appended_to_a_run_is_caught(books):
    rk = books.edge.run_key
    with insider(books) as c:
        c.execute("INSERT INTO trials SELECT run_key, 999, params_json, sharpe, sharpe_annual, "
                  "total_return, max_drawdown, turnover, n_trades, n_obs, metrics_json "
                  "FROM trials WHERE run_key = ? AND trial_index = 0", (rk,))
    assert has(found(books), "trials", key(rk, 999), "no ledger block covers this row")


def test_ledger_entry_rehashed_to_match_an_edited_row_breaks_its_block(books):
    rk = books.noise.run_key
    with insider(books) as c, without(c, "trg_runs_no_update", "trg_ledger_entries_no_update"):
        c.execute("UPDATE runs SET family = 'other-label' WHERE run_key = ?", (rk,))
        cols = [d[1] for d in c.execute("PRAGMA table_info(runs)")]
        row = dict(zip(cols, c.execute("SELECT * FROM runs WHERE run_key = ?",
                                       (rk,)).fetchone()))
        c.execute("UPDATE ledger_entries SET row_hash = ? WHERE table_name = 'runs' AND "
                  "row_key = ?", (ledger.row_hash("runs", row), key(rk)))
    f = found(books)
    assert not has(f, "runs", rk, "row changed")
    assert has(f, "ledger_blocks", "block_seq=", "entries do not hash to its digests")


def test_block_digests_rewritten_too_break_the_block_hash(books):
    with insider(books) as c, without(c, "trg_ledger_blocks_no_update"):
        c.execute("UPDATE ledger_blocks SET digests_json = '{}', entry_count = 0 "
                  "WHERE block_seq = 2")
    assert has(found(books), "ledger_blocks", "block_seq=2", "block_hash does not match")


def test_one_block_rehashed_breaks_the_next_link(books):
    with insider(books) as c:
        _rehash_everything_after_one(c, 2)
    assert has(found(books), "ledger_blocks", "block_seq=3", "prev_block_hash is not")


def _rehash_everything_after_one(c, seq):
    with without(c, "trg_ledger_blocks_no_update"):
        row = c.execute("SELECT * FROM ledger_blocks WHERE block_seq = ?", (seq,)).fetchone()
        c.execute("UPDATE ledger_blocks SET created_at = 'later', block_hash = ? "
                  "WHERE block_seq = ?",
                  (ledger.sha256_hex(ledger.block_text(seq, row[1], row[2], row[3], "later",
                                                       row[4]).encode()), seq))


def test_head_block_removed_leaves_its_rows_uncovered(books):
    with insider(books) as c, without(c, "trg_ledger_blocks_no_delete",
                                      "trg_ledger_entries_no_delete"):
        (head,) = c.execute("SELECT MAX(block_seq) FROM ledger_blocks").fetchone()
        c.execute("DELETE FROM ledger_entries WHERE block_seq = ?", (head,))
        c.execute("DELETE FROM ledger_blocks WHERE block_seq = ?", (head,))
    assert has(found(books), "governance_events", "", "no ledger block covers this row")


def test_sealed_update_of_an_append_only_row_is_caught(books):
    """The ledger-aware insider relabels a run and records it as an 'update' of their own."""
    rk = books.noise.run_key
    with insider(books) as c, without(c, "trg_runs_no_update"), sealed(c):
        c.execute("UPDATE runs SET family = 'fresh-family' WHERE run_key = ?", (rk,))
    assert has(found(books), "runs", rk, "update(s) of a row that never changes")


def test_sealed_illegal_transition_is_caught_by_replaying_the_candidate(books):
    """Accepted -> candidate through a block of the insider's own: the history says so."""
    with insider(books) as c, without(c, "trg_candidates_transition"), sealed(c):
        rid = c.execute("SELECT eligibility_report_id FROM eligibility_reports WHERE "
                        "candidate_id = ? AND level = 'candidate' AND passed = 1",
                        (books.edge_cid,)).fetchone()[0]
        with without(c, "trg_candidates_link_frozen"):
            c.execute("UPDATE promotion_candidates SET status = 'candidate', "
                      "eligibility_report_id = ? WHERE candidate_id = ?", (rid, books.edge_cid))
    assert has(found(books), "promotion_candidates", books.edge_cid,
               "illegal transition accepted -> candidate")


def test_candidate_history_rewritten_in_version_json_is_caught(books):
    with insider(books) as c, without(c, "trg_ledger_entries_no_update"):
        c.execute("UPDATE ledger_entries SET version_json = json_set(version_json, '$.status', "
                  "'accepted') WHERE table_name = 'promotion_candidates' AND row_key = ? "
                  "AND op = 'insert'", (key(books.edge_cid),))
    f = found(books)
    assert has(f, "promotion_candidates", books.edge_cid, "does not hash to its entry")


def test_storage_class_swap_is_caught(books):
    """The same bytes as a BLOB instead of TEXT: json.loads reads both alike, the ledger
    keeps them apart."""
    rk = books.edge.run_key
    with insider(books) as c, without(c, "trg_trials_no_update"):
        c.execute("UPDATE trials SET params_json = CAST(params_json AS BLOB) WHERE run_key = ? "
                  "AND trial_index = 0", (rk,))
        assert c.execute("SELECT typeof(params_json) FROM trials WHERE run_key = ? AND "
                         "trial_index = 0", (rk,)).fetchone()[0] == "blob"
    assert has(found(books), "trials", key(rk, 0), "row changed since ledger block")


def test_deleted_migration_record_is_caught(books):
    with insider(books) as c, without(c, "trg_schema_migrations_no_delete"):
        c.execute("DELETE FROM schema_migrations WHERE version = 2")
        c.execute("INSERT INTO schema_migrations SELECT version + 0, name, ddl_sha256, "
                  "'2020-01-01' FROM schema_migrations WHERE 0")
    assert has(found(books), "schema_migrations", "[2]", "has vanished")


def test_block_removed_from_the_middle_is_named(books):
    with insider(books) as c, without(c, "trg_ledger_blocks_no_delete"):
        c.execute("DELETE FROM ledger_blocks WHERE block_seq = 2")
    f = found(books)
    assert has(f, "ledger_blocks", "block_seq=3", "block 2 is missing")
    assert has(f, "ledger_entries", "block_seq=2", "entries of a block that does not exist")


def test_forged_dataset_name_pointing_at_other_data_is_caught(books):
    """A name is how a config finds its data: a second 'edge' would change what runs see."""
    with insider(books) as c:
        c.execute("INSERT INTO dataset_names VALUES ('edge', ?, 'now')",
                  (books.noise.dataset_id_v2,))
    assert has(found(books), "dataset_names", '["edge"', "no ledger block covers this row")


def test_legit_writes_keep_the_ledger_whole(books):
    """The control: QRP's own further writes never produce a finding."""
    from qrp_jupyter.governance import reject, retire
    reject(books.store, books.noise_cid, reason="noise")
    retire(books.store, books.edge_cid, reason="archived")
    rep = verify(books.store)
    assert rep.ok, rep.text()
    assert extends(books, digest_of(books))


def test_report_under_an_unregistered_policy_is_flagged_by_verify(books):
    """The ledger-aware insider stores a lax policy of their own (no recorded registration)
    and a report under it whose every field re-derives from that policy: verify names both."""
    from qrp_jupyter.governance import Policy
    lax = Policy("qrp-default", 99, {"candidate": [], "accepted": []})
    cid = books.noise_cid
    with insider(books) as c, sealed(c):
        c.execute("INSERT INTO policies VALUES (?, ?, ?, ?, 'now')",
                  (lax.policy_hash, lax.name, lax.version, canonical_json(lax.payload())))
        inst = c.execute("SELECT run_key, run_instance_id, trial_index FROM "
                         "promotion_candidates WHERE candidate_id = ?", (cid,)).fetchone()
        payload = {"kind": "eligibility_report", "version": 1, "candidate_id": cid,
                   "run_key": inst[0], "run_instance_id": inst[1], "trial_index": inst[2],
                   "level": "candidate", "from_status": "exploratory",
                   "policy": {"name": lax.name, "version": lax.version,
                              "hash": lax.policy_hash},
                   "rules": [], "blockers": [], "warnings": [], "passed": True,
                   "evidence": {}, "evaluated_at": "now", "actor": "mallory"}
        rid = hash_payload(payload)
        c.execute("INSERT INTO eligibility_reports VALUES (?, ?, 'candidate', 1, ?, ?, 'now')",
                  (rid, cid, lax.policy_hash, canonical_json(payload)))
    f = found(books)
    assert has(f, "eligibility_reports", rid, "neither built in nor registered")
    assert has(f, "policies", lax.policy_hash, "neither built in nor registered")

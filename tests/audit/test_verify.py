"""verify and trace: a clean store verifies; every kind of tampering is found and located."""

from __future__ import annotations

import json

import pytest

from qrp_jupyter.audit import render_trace, trace, verify
from qrp_jupyter.governance import create_candidate, promote
from qrp_jupyter.identity import canonical_json, hash_payload
from qrp_jupyter.store.migrations import expected_schema

TRIGGERS = [n for kind, n in expected_schema() if kind == "trigger"]

import insider

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture
def accepted(world):
    c = create_candidate(world.store, world.edge.run_instance_id)
    promote(world.store, c["candidate_id"], "candidate")
    res = promote(world.store, c["candidate_id"], "accepted")
    assert res.passed
    world.cid = c["candidate_id"]
    world.report_id = res.eligibility_report_id
    return world


def drop_triggers(store):
    for name in TRIGGERS:
        insider.execute(store, f"DROP TRIGGER IF EXISTS {name}")


def problems(store):
    return [(p.table, p.row, p.problem) for p in verify(store).problems]


def test_clean_store_verifies_and_trace_passes(accepted):
    rep = verify(accepted.store)
    assert rep.ok, rep.text()
    assert rep.checked["governance_events"] == 3 and rep.checked["eligibility_reports"] == 2
    t = trace(accepted.store, accepted.cid)
    assert t["ok"], [c for c in t["checks"] if not c["ok"]]
    assert t["candidate"]["status"] == "accepted"
    assert t["run"]["run_key"] == accepted.edge.run_key
    assert t["dataset"]["dataset_id_v2"] == accepted.edge.dataset_id_v2
    kinds = {a["kind"] for a in t["artifacts"]}
    assert {"dataset", "returns_matrix", "null_distribution", "sharpe_evidence",
            "replay_attestation", "fold_causality"} <= kinds
    assert t["seeds"] and t["seeds"][0]["salt"] == "reality_check"
    text = render_trace(t)
    assert "ALL CHECKS PASS" in text and accepted.cid in text
    json.dumps(t)  # the JSON form is real JSON


def test_hand_inserted_passing_report_is_caught(world):
    """The triggers accept a passing report row; its id not being its hash gives it away."""
    c = create_candidate(world.store, world.edge.run_instance_id)
    cid = c["candidate_id"]
    payload = {"kind": "eligibility_report", "candidate_id": cid, "level": "candidate",
               "passed": True, "rules": [], "policy": {"hash": "0" * 64}}
    forged = "f" * 64
    from qrp_jupyter.governance import DEFAULT_POLICY, register_policy
    ph = register_policy(world.store, DEFAULT_POLICY)
    with insider.transaction(world.store) as conn:
        conn.execute("INSERT INTO eligibility_reports VALUES (?, ?, 'candidate', 1, ?, ?, 'now')",
                     (forged, cid, ph, canonical_json(payload)))
        conn.execute("UPDATE promotion_candidates SET status = 'candidate', "
                     "eligibility_report_id = ? WHERE candidate_id = ?", (forged, cid))
    found = problems(world.store)
    assert ("eligibility_reports", forged,
            "eligibility_report_id is not the hash of its payload") in found
    assert any(t == "promotion_candidates" and r == cid and "event chain" in p
               for t, r, p in found), found
    assert not trace(world.store, cid)["ok"]


def test_even_a_self_consistent_forged_report_is_caught_by_the_event_chain(world):
    """Forge a report whose id *is* its hash: the status still disagrees with the chain."""
    c = create_candidate(world.store, world.edge.run_instance_id)
    cid = c["candidate_id"]
    from qrp_jupyter.governance import DEFAULT_POLICY, register_policy
    ph = register_policy(world.store, DEFAULT_POLICY)
    with insider.transaction(world.store) as conn:
        payload = {"kind": "eligibility_report", "candidate_id": cid, "level": "candidate",
                   "passed": True, "rules": [], "policy": {"hash": ph}, "evidence": {}}
        rid = hash_payload(payload)
        conn.execute("INSERT INTO eligibility_reports VALUES (?, ?, 'candidate', 1, ?, ?, 'now')",
                     (rid, cid, ph, canonical_json(payload)))
        conn.execute("UPDATE promotion_candidates SET status = 'candidate', "
                     "eligibility_report_id = ? WHERE candidate_id = ?", (rid, cid))
    found = problems(world.store)
    assert ("promotion_candidates", cid,
            "status 'candidate' differs from the event chain's 'exploratory'") in found


def test_dropped_triggers_then_edited_event_is_named(accepted):
    drop_triggers(accepted.store)
    p = json.loads(insider.row(accepted.store, "SELECT payload_json FROM governance_events "
                                               "WHERE seq = 2")["payload_json"])
    p["actor"] = "mallory"
    insider.execute(accepted.store, "UPDATE governance_events SET payload_json = ? WHERE seq = 2",
                                    (canonical_json(p),))
    found = problems(accepted.store)
    assert ("governance_events", "seq 2",
            "event_hash is not SHA-256(prev_hash || payload)") in found
    assert any(t == "sqlite_master" and "missing" in pr for t, _, pr in found)


def test_dropped_triggers_then_deleted_event_breaks_the_chain(accepted):
    drop_triggers(accepted.store)
    insider.execute(accepted.store, "DELETE FROM governance_events WHERE seq = 2")
    found = problems(accepted.store)
    assert ("governance_events", "seq 3", "sequence gap: expected seq 2") in found
    assert ("governance_events", "seq 3",
            "prev_hash does not link to the previous event") in found


def test_dropped_triggers_then_edited_report_is_named(accepted):
    drop_triggers(accepted.store)
    row = insider.row(accepted.store, "SELECT payload_json FROM eligibility_reports "
                                      "WHERE eligibility_report_id = ?", (accepted.report_id,))
    p = json.loads(row["payload_json"])
    p["rules"][0]["threshold"] = 0.5  # loosen a threshold after the fact
    insider.execute(accepted.store, "UPDATE eligibility_reports SET payload_json = ? "
                                    "WHERE eligibility_report_id = ?",
                                    (canonical_json(p), accepted.report_id))
    assert ("eligibility_reports", accepted.report_id,
            "eligibility_report_id is not the hash of its payload") in problems(accepted.store)
    assert not trace(accepted.store, accepted.cid)["ok"]


def test_dropped_triggers_then_edited_blob_is_named(accepted):
    drop_triggers(accepted.store)
    aid = accepted.edge.artifacts["metrics_table"]
    raw = insider.row(accepted.store, "SELECT data FROM artifacts WHERE artifact_id = ?",
                                      (aid,))[0]
    doc = json.loads(raw)
    doc["trials"][0]["sharpe_annual"] = 99.0
    insider.execute(accepted.store, "UPDATE artifacts SET data = ?, codec = 'identity' "
                                    "WHERE artifact_id = ?",
                                    (canonical_json(doc).encode(), aid))
    assert ("artifacts", aid, "blob bytes do not hash to artifact_id") in problems(
        accepted.store)


def test_dropped_triggers_then_edited_trial_row_is_named(accepted):
    drop_triggers(accepted.store)
    insider.execute(accepted.store, "UPDATE trials SET sharpe = 9.0 WHERE run_key = ? AND "
                                    "trial_index = 0", (accepted.edge.run_key,))
    assert ("trials", f"{accepted.edge.run_key[:12]}#0",
            "trial row differs from the run's metrics_table artifact") in problems(
        accepted.store)


def test_dropped_triggers_then_edited_config_breaks_the_run_key(accepted):
    drop_triggers(accepted.store)
    row = insider.row(accepted.store, "SELECT config_json FROM runs WHERE run_key = ?",
                                      (accepted.edge.run_key,))
    cfg = json.loads(row["config_json"])
    cfg["costs"]["fee_bps"] = 0.0  # pretend the run was cheaper
    insider.execute(accepted.store, "UPDATE runs SET config_json = ? WHERE run_key = ?",
                                    (canonical_json(cfg), accepted.edge.run_key))
    assert ("runs", accepted.edge.run_key,
            "config/dataset/code/engine do not hash to run_key") in problems(accepted.store)


def test_dropped_triggers_then_status_edit_is_named(world):
    c = create_candidate(world.store, world.noise.run_instance_id)
    drop_triggers(world.store)
    insider.execute(world.store, "UPDATE promotion_candidates SET status = 'accepted' "
                                 "WHERE candidate_id = ?", (c["candidate_id"],))
    found = problems(world.store)
    assert ("promotion_candidates", c["candidate_id"],
            "status 'accepted' without an existing report") in found

"""Every forbidden write of DESIGN section 3, tried by an insider with raw SQL, must be refused
by the rule that guards it; and every trigger must be load-bearing.

The attacks are one battery (``ATTACKS``): each names the rule (trigger) that must fire. The
battery runs on a store with the full schema, and then once more for each trigger with that
trigger dropped, where at least one attack must stop being refused by its rule. So a trigger
that no attack needs, or an attack that a UNIQUE or foreign-key error would satisfy, fails here.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

import pytest

from qrp_jupyter.identity import hash_payload, sha256_hex
from qrp_jupyter.store import GENESIS_HASH, ledger
from qrp_jupyter.store.migrations import apply_migrations, expected_schema, schema_of
from qrp_jupyter.store.schema import (APPEND_ONLY, STATUSES, TRANSITIONS,
                                      is_legal_transition)

T = "2024-01-01T00:00:00.000000Z"
_RULE = re.compile(r"^qrp\[([a-z_]+)\]: ")


def h(*parts) -> str:
    return hash_payload(["test", *parts])


BIG = sha256_hex(b"big-artifact")


def _build_template() -> sqlite3.Connection:
    """A migrated in-memory store holding one run with two trials, two candidates, reports of
    every kind, an event, lineage, an edge and two ledger blocks, all written with raw SQL."""
    c = sqlite3.connect(":memory:", isolation_level=None)
    apply_migrations(c)
    ledger.install_capture(c)
    c.execute("BEGIN")
    ds = sha256_hex(b"dataset-bytes")
    out = sha256_hex(b"output")
    for aid, data in ((ds, b"dataset-bytes"), (out, b"output")):
        c.execute("INSERT INTO artifacts VALUES (?, 't', ?, 'identity', ?, ?)",
                  (aid, len(data), data, T))
    # An artifact held in parts (migration 3): an empty data column, two parts in order.
    c.execute("INSERT INTO artifacts VALUES (?, 't', 12, 'identity', x'', ?)", (BIG, T))
    for seq, part in enumerate((b"big-", b"artifact")):
        c.execute("INSERT INTO artifact_chunks VALUES (?, ?, ?, ?)",
                  (BIG, seq, sha256_hex(part), part))
    c.execute("INSERT INTO datasets VALUES (?, ?, 'test', '{}', ?)", (ds, ds, T))
    c.execute("INSERT INTO dataset_names VALUES ('d', ?, ?)", (ds, T))
    c.execute("INSERT INTO runs (run_key, name, family, dataset_id_v2, config_json, "
              "engine_version, identity_schema_version, created_at) "
              "VALUES (?, 'r', 'fam', ?, '{}', '0', 1, ?)", (h("run"), ds, T))
    c.execute("INSERT INTO run_instances VALUES (?, ?, 1, 'run', NULL, ?, ?, 'me', '{}')",
              (h("inst"), h("run"), T, T))
    for i in (0, 1, 2):
        c.execute("INSERT INTO trials (run_key, trial_index, params_json, n_obs, "
                  "metrics_json) VALUES (?, ?, '{}', 10, '{}')", (h("run"), i))
    c.execute("INSERT INTO policies VALUES (?, 'p', 1, '{}', ?)", (h("pol"), T))
    for name, i in (("A", 0), ("B", 1)):
        c.execute("INSERT INTO promotion_candidates (candidate_id, run_key, trial_index, "
                  "run_instance_id, status, created_at, updated_at) "
                  "VALUES (?, ?, ?, ?, 'exploratory', ?, ?)",
                  (h(name), h("run"), i, h("inst"), T, T))
    for rid, cand, level, passed in (
        ("A-cand", "A", "candidate", 1), ("A-acc", "A", "accepted", 1),
        ("A-acc2", "A", "accepted", 1), ("A-fail", "A", "candidate", 0),
        ("B-cand", "B", "candidate", 1), ("B-acc", "B", "accepted", 1),
    ):
        c.execute("INSERT INTO eligibility_reports VALUES (?, ?, ?, ?, ?, '{}', ?)",
                  (h(rid), h(cand), level, passed, h("pol"), T))
    c.execute("INSERT INTO governance_events VALUES (1, ?, ?, 'k', NULL, '{}', ?)",
              (h("ev1"), GENESIS_HASH, T))
    c.execute("INSERT INTO artifact_lineage (artifact_id, run_instance_id, role, kind, "
              "created_at) VALUES (?, ?, 'input', 'dataset', ?)", (ds, h("inst"), T))
    c.execute("INSERT INTO artifact_edges VALUES (?, ?, 'derived_from', ?)", (out, ds, T))
    assert ledger.seal(c) is not None
    c.execute("COMMIT")
    return c


_TEMPLATE = _build_template()
DS = sha256_hex(b"dataset-bytes")
OUT = sha256_hex(b"output")


@pytest.fixture
def db():
    """A fresh copy of the template: the insider's raw connection."""
    c = sqlite3.connect(":memory:", isolation_level=None)
    _TEMPLATE.backup(c)
    yield c
    c.close()


def link(c, cand, status, report):
    c.execute("UPDATE promotion_candidates SET status = ?, eligibility_report_id = ? "
              "WHERE candidate_id = ?", (status, h(report) if report else None, h(cand)))


def status_of(c, cand):
    return c.execute("SELECT status FROM promotion_candidates WHERE candidate_id = ?",
                     (h(cand),)).fetchone()[0]


def rule_of(exc: sqlite3.IntegrityError) -> str:
    m = _RULE.match(str(exc))
    return m.group(1) if m else f"sqlite: {exc}"


# ---------------------------------------------------------------------------------------------
# The battery
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Attack:
    name: str
    rule: str
    sql: str
    params: tuple = ()
    setup: tuple = field(default=())  # legal statements that put the store in position

    def attempt(self, c: sqlite3.Connection) -> str | None:
        """Run setup then the attack inside a transaction that is rolled back; the rule that
        refused it, or None when the forbidden write went through."""
        c.execute("BEGIN")
        try:
            for sql, params in self.setup:
                c.execute(sql, params)
            try:
                c.execute(self.sql, self.params)
            except sqlite3.IntegrityError as exc:
                return rule_of(exc)
            return None
        finally:
            c.execute("ROLLBACK")


_UPD = "UPDATE promotion_candidates SET status = ?, eligibility_report_id = ? WHERE candidate_id = ?"
_TO_CAND = ((_UPD, ("candidate", h("A-cand"), h("A"))),)
_TO_ACC = _TO_CAND + ((_UPD, ("accepted", h("A-acc"), h("A"))),)
_RETIRED = ((_UPD, ("retired", None, h("A"))),)
_NEW_CAND = ("INSERT INTO promotion_candidates (candidate_id, run_key, trial_index, "
             "run_instance_id, status, eligibility_report_id, created_at, updated_at) "
             "VALUES (?, ?, 2, ?, ?, ?, ?, ?)")


def _append_only_attacks() -> list[Attack]:
    out = []
    for t in APPEND_ONLY:
        col = _TEMPLATE.execute(f"PRAGMA table_info({t})").fetchall()[0][1]
        out.append(Attack(f"update {t}", f"trg_{t}_no_update", f"UPDATE {t} SET {col} = {col}"))
        out.append(Attack(f"delete {t}", f"trg_{t}_no_delete", f"DELETE FROM {t}"))
    return out


def _copy_with(t: str, changes: dict[str, str], where: str = "true") -> str:
    """INSERT OR REPLACE of the table's first row with some columns replaced by SQL
    expressions: it collides with that row on every key that ``changes`` leaves alone."""
    cols = [r[1] for r in _TEMPLATE.execute(f"PRAGMA table_info({t})").fetchall()]
    exprs = ", ".join(changes.get(col, col) for col in cols)
    return (f"INSERT OR REPLACE INTO {t} ({', '.join(cols)}) SELECT {exprs} FROM {t} "
            f"WHERE {where} LIMIT 1")


def _replace_attacks() -> list[Attack]:
    """INSERT OR REPLACE through every primary and UNIQUE key of every protected table, and
    the upsert forms."""
    fresh = "'" + h("fresh") + "'"
    keyed = {  # table -> {key name: columns to change so that only this key collides}
        "artifacts": {"pk": {}},
        "artifact_chunks": {"pk": {}},
        "datasets": {"pk": {}},
        "dataset_names": {"pk": {}},
        "runs": {"pk": {}},
        "run_instances": {"pk": {}, "run_key, seq": {"run_instance_id": fresh}},
        "trials": {"pk": {}},
        "policies": {"pk": {}, "name, version": {"policy_hash": fresh}},
        "promotion_candidates": {"pk": {}, "run_key, trial_index": {"candidate_id": fresh}},
        "eligibility_reports": {"pk": {}},
        "governance_events": {"pk": {}, "event_hash": {"seq": "seq + 1", "prev_hash": "event_hash"}},
        "artifact_lineage": {"pk": {}},
        "artifact_edges": {"pk": {}},
        "schema_migrations": {"pk": {}},
        "ledger_blocks": {"pk": {}, "block_hash": {"block_seq": "block_seq + 2",
                                                   "prev_block_hash": fresh}},
        "ledger_entries": {"pk": {}},
    }
    where = {"ledger_entries": "block_seq = 2"}  # entries may only join the newest block
    out = []
    for t, keys in keyed.items():
        for key, changes in keys.items():
            out.append(Attack(f"replace {t} on {key}", f"trg_{t}_no_replace",
                              _copy_with(t, changes, where.get(t, "true"))))
    out += [
        Attack("upsert runs", "trg_runs_no_replace",
               "INSERT INTO runs SELECT * FROM runs WHERE true "
               "ON CONFLICT (run_key) DO UPDATE SET family = 'other'"),
        Attack("upsert ignore trials", "trg_trials_no_replace",
               "INSERT OR IGNORE INTO trials SELECT * FROM trials"),
        Attack("replace accepted candidate by an exploratory one",
               "trg_promotion_candidates_no_replace",
               "INSERT OR REPLACE INTO promotion_candidates (candidate_id, run_key, trial_index,"
               " run_instance_id, status, created_at, updated_at) VALUES (?, ?, 0, ?, "
               "'exploratory', ?, ?)", (h("A"), h("run"), h("inst"), T, T), _TO_ACC),
    ]
    return out


ATTACKS: list[Attack] = [
    # status values: an unknown status is no legal transition (the CHECK stands behind it)
    *[Attack(f"status {bad!r}", "trg_candidates_transition",
             "UPDATE promotion_candidates SET status = ? WHERE candidate_id = ?", (bad, h("A")))
      for bad in ("Accepted", "CANDIDATE", "accepted ", "promoted", "")],
    # a new candidate starts exploratory, with no report
    Attack("insert at candidate with another's passing report", "trg_candidates_insert_report",
           _NEW_CAND, (h("C"), h("run"), h("inst"), "candidate", h("B-cand"), T, T)),
    Attack("insert exploratory with a report", "trg_candidates_insert_start",
           _NEW_CAND, (h("C"), h("run"), h("inst"), "exploratory", h("A-fail"), T, T)),
    # transitions
    Attack("skip a level", "trg_candidates_transition", _UPD, ("accepted", h("A-acc"), h("A"))),
    Attack("demote accepted to candidate", "trg_candidates_transition", _UPD,
           ("candidate", h("A-cand"), h("A")), _TO_ACC),
    Attack("demote accepted to exploratory", "trg_candidates_transition", _UPD,
           ("exploratory", h("A-acc"), h("A")), _TO_ACC),
    Attack("revive retired", "trg_candidates_transition",
           "UPDATE promotion_candidates SET status = 'rejected' WHERE candidate_id = ?",
           (h("A"),), _RETIRED),
    # the report link
    Attack("promote without a report", "trg_candidates_update_report",
           "UPDATE promotion_candidates SET status = 'candidate' WHERE candidate_id = ?",
           (h("A"),)),
    Attack("link another candidate's report", "trg_candidates_update_report", _UPD,
           ("candidate", h("B-cand"), h("A"))),
    Attack("link a report of another level", "trg_candidates_update_report", _UPD,
           ("candidate", h("A-acc"), h("A"))),
    Attack("link a failed report", "trg_candidates_update_report", _UPD,
           ("candidate", h("A-fail"), h("A"))),
    Attack("link a missing report", "trg_candidates_update_report", _UPD,
           ("candidate", h("nonexistent"), h("A"))),
    Attack("null the link of accepted", "trg_candidates_link_frozen",
           "UPDATE promotion_candidates SET eligibility_report_id = NULL WHERE candidate_id = ?",
           (h("A"),), _TO_ACC),
    Attack("swap the link for another passing report", "trg_candidates_link_frozen",
           "UPDATE promotion_candidates SET eligibility_report_id = ? WHERE candidate_id = ?",
           (h("A-acc2"), h("A")), _TO_ACC),
    Attack("attach a report to an exploratory candidate", "trg_candidates_link_frozen",
           "UPDATE promotion_candidates SET eligibility_report_id = ? WHERE candidate_id = ?",
           (h("A-fail"), h("A"))),
    Attack("move a candidate to another trial", "trg_candidates_identity_frozen",
           "UPDATE promotion_candidates SET trial_index = 2 WHERE candidate_id = ?", (h("A"),)),
    Attack("move a candidate to another instance", "trg_candidates_identity_frozen",
           "UPDATE promotion_candidates SET run_instance_id = run_instance_id, "
           "created_at = 'x' WHERE candidate_id = ?", (h("A"),)),
    Attack("delete a candidate", "trg_candidates_no_delete",
           "DELETE FROM promotion_candidates WHERE candidate_id = ?", (h("A"),)),
    # the event chain and the ledger chain
    Attack("event with a wrong predecessor", "trg_governance_events_chain",
           "INSERT INTO governance_events VALUES (2, ?, ?, 'k', NULL, '{}', ?)",
           (h("ev2"), GENESIS_HASH, T)),
    Attack("event leaving a gap", "trg_governance_events_chain",
           "INSERT INTO governance_events VALUES (3, ?, ?, 'k', NULL, '{}', ?)",
           (h("ev3"), h("ev1"), T)),
    Attack("block with a wrong predecessor", "trg_ledger_blocks_chain",
           "INSERT INTO ledger_blocks VALUES (3, ?, 'write', 0, '{}', ?, ?)",
           (GENESIS_HASH, h("b3"), T)),
    Attack("entry slipped into an old block", "trg_ledger_entries_newest_block",
           "INSERT INTO ledger_entries VALUES (1, 'runs', '[\"x\"]', 'insert', ?, NULL)",
           (h("e"),)),
    # artifacts and datasets
    Attack("change an artifact's bytes", "trg_artifacts_no_update",
           "UPDATE artifacts SET data = x'00' WHERE artifact_id = ?", (DS,)),
    Attack("delete the dataset's artifact", "trg_artifacts_no_delete_referenced",
           "DELETE FROM artifacts WHERE artifact_id = ?", (DS,)),
    Attack("delete an artifact an edge cites", "trg_artifacts_no_delete_referenced",
           "DELETE FROM artifacts WHERE artifact_id = ?", (OUT,)),
    Attack("change a dataset", "trg_datasets_no_update",
           "UPDATE datasets SET source = 'x' WHERE dataset_id_v2 = ?", (DS,)),
    Attack("delete a referenced dataset", "trg_datasets_no_delete_referenced",
           "DELETE FROM datasets WHERE dataset_id_v2 = ?", (DS,)),
    # the parts of an artifact too large for one value
    Attack("a part for an artifact held in one value", "trg_artifact_chunks_in_order",
           "INSERT INTO artifact_chunks VALUES (?, 0, ?, x'00')", (DS, sha256_hex(b"\0"))),
    Attack("a part leaving a gap", "trg_artifact_chunks_in_order",
           "INSERT INTO artifact_chunks VALUES (?, 3, ?, x'00')", (BIG, sha256_hex(b"\0"))),
    Attack("a part for a missing artifact", "trg_artifact_chunks_in_order",
           "INSERT INTO artifact_chunks VALUES (?, 0, ?, x'00')", (h("none"), sha256_hex(b"\0"))),
    Attack("change a part's bytes and its hash", "trg_artifact_chunks_no_update",
           "UPDATE artifact_chunks SET data = x'00', sha256 = ? WHERE artifact_id = ? AND seq = 1",
           (sha256_hex(b"\0"), BIG)),
    Attack("artifact id in upper case", "sqlite:CHECK",
           "INSERT INTO artifacts VALUES (?, 't', 1, 'identity', x'00', ?)",
           (sha256_hex(b"x").upper(), T)),
    *_append_only_attacks(),
    *_replace_attacks(),
]


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_attack_is_refused_by_its_rule(db, attack):
    got = attempt = attack.attempt(db)
    if attack.rule.startswith("sqlite:"):
        assert attempt is not None and attempt.startswith("sqlite: CHECK"), got
    else:
        assert got == attack.rule, f"{attack.name}: expected {attack.rule}, got {got}"


@pytest.mark.parametrize("bad", ["Accepted", "CANDIDATE", "accepted ", "promoted", ""])
def test_status_check_stands_behind_the_triggers(db, bad):
    """With every candidate trigger dropped, the CHECK constraint still refuses the value."""
    for (kind, name) in expected_schema():
        if kind == "trigger" and name.startswith("trg_candidates_"):
            db.execute(f"DROP TRIGGER {name}")
    for sql, params in (
            ("UPDATE promotion_candidates SET status = ? WHERE candidate_id = ?", (bad, h("A"))),
            (_NEW_CAND, (h("C"), h("run"), h("inst"), bad, None, T, T))):
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
            db.execute(sql, params)


def test_the_attacks_leave_the_store_as_it_was(db):
    before = [db.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in APPEND_ONLY]
    for attack in ATTACKS:
        attack.attempt(db)
    assert [db.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()
            for t in APPEND_ONLY] == before


def _triggers() -> list[str]:
    return sorted(n for kind, n in expected_schema() if kind == "trigger")


@pytest.mark.parametrize("trigger", _triggers())
def test_every_trigger_is_load_bearing(trigger):
    """With this one trigger dropped, some attack is no longer refused by its rule."""
    c = sqlite3.connect(":memory:", isolation_level=None)
    _TEMPLATE.backup(c)
    c.execute(f"DROP TRIGGER {trigger}")
    broken = [a.name for a in ATTACKS if a.rule == trigger and a.attempt(c) != trigger]
    assert broken, f"no attack needs {trigger}"


def test_every_trigger_message_names_its_rule():
    for (kind, name), sql in expected_schema().items():
        if kind == "trigger":
            assert f"RAISE(ABORT, 'qrp[{name}]: " in sql, name


# ---------------------------------------------------------------------------------------------
# The legal path works, so the refusals above are about the rule and not the fixture
# ---------------------------------------------------------------------------------------------

def test_legal_path_exploratory_candidate_accepted_retired(db):
    link(db, "A", "candidate", "A-cand")
    link(db, "A", "accepted", "A-acc")
    db.execute("UPDATE promotion_candidates SET status = 'retired' WHERE candidate_id = ?",
               (h("A"),))
    assert status_of(db, "A") == "retired"


def test_unreferenced_artifact_may_be_collected(db):
    lone = sha256_hex(b"lonely")
    db.execute("INSERT INTO artifacts VALUES (?, 't', 6, 'identity', x'6c6f6e656c79', ?)",
               (lone, T))
    db.execute("DELETE FROM artifacts WHERE artifact_id = ?", (lone,))


def test_event_chain_accepts_the_next_event(db):
    db.execute("INSERT INTO governance_events VALUES (2, ?, ?, 'k', NULL, '{}', ?)",
               (h("ev2"), h("ev1"), T))


# ---------------------------------------------------------------------------------------------
# One definition of the legal transitions: the trigger agrees with TRANSITIONS on all 25 pairs
# ---------------------------------------------------------------------------------------------

_REACH = {  # legal updates (status, report) that bring candidate A to each status
    "exploratory": (),
    "candidate": (("candidate", "A-cand"),),
    "accepted": (("candidate", "A-cand"), ("accepted", "A-acc")),
    "rejected": (("rejected", None),),
    "retired": (("retired", None),),
}


@pytest.mark.parametrize("old", STATUSES)
@pytest.mark.parametrize("new", STATUSES)
def test_trigger_transitions_equal_the_python_definition(db, old, new):
    for status, report in _REACH[old]:
        link(db, "A", status, report)
    current = db.execute("SELECT eligibility_report_id FROM promotion_candidates "
                         "WHERE candidate_id = ?", (h("A"),)).fetchone()[0]
    # The report a legal move to `new` would carry, so only the transition rule can object.
    report = {"candidate": h("A-cand"), "accepted": h("A-acc")}.get(new, current)
    try:
        db.execute(_UPD, (new, report, h("A")))
        allowed = True
    except sqlite3.IntegrityError as exc:
        assert rule_of(exc) == "trg_candidates_transition", str(exc)
        allowed = False
    assert allowed == (old == new or is_legal_transition(old, new)), (old, new)
    assert (new in TRANSITIONS[old]) == is_legal_transition(old, new)


def test_governance_uses_the_store_definition():
    from qrp_jupyter.governance.promote import LEGAL_TRANSITIONS
    assert LEGAL_TRANSITIONS is TRANSITIONS


# ---------------------------------------------------------------------------------------------
# The stored schema is the replayed migrations
# ---------------------------------------------------------------------------------------------

def test_stored_schema_equals_the_replayed_migrations(db):
    assert schema_of(db) == expected_schema()

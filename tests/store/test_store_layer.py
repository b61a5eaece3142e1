"""The store layer: named statements, one chokepoint, SQLite errors as StoreError with a rule,
explicit insert-if-absent, and the hook that runs right before the outermost COMMIT."""

from __future__ import annotations

import re
import sqlite3

import pytest

from qrp_jupyter.errors import StoreError
from qrp_jupyter.identity import hash_payload
from qrp_jupyter.store import STATEMENTS, Store, promotion, research
from qrp_jupyter.store.failures import store_error

T = "2024-01-01T00:00:00.000000Z"


def h(*parts) -> str:
    return hash_payload(["store-layer", *parts])


def count(store, table: str) -> int:
    # The insider's handle: an in-memory store's private connection (there is no file to open).
    return store._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def seed(store) -> dict[str, str]:
    """A dataset, one run with two trials, one instance and one exploratory candidate, written
    through the store layer's own domain functions."""
    ds = store.put_artifact(b"dataset-bytes", "application/octet-stream")
    with store.transaction():
        research.add_dataset(store, dataset_id_v2=ds, source="test", summary_json="{}",
                             name="d", at=T)
        research.insert_run(store, (h("run"), "r", "fam", ds, "{}", None, None, None, "0", 1, T),
                            [(h("run"), i, "{}", None, None, None, None, None, None, 10, "{}")
                             for i in (0, 1)])
        research.insert_instance(store, (h("inst"), h("run"), 1, "run", None, T, T, "me", "{}"))
        promotion.insert_candidate(store, candidate_id=h("cand"), run_key=h("run"),
                                   trial_index=0, run_instance_id=h("inst"), at=T)
    return {"ds": ds, "run": h("run"), "inst": h("inst"), "cand": h("cand")}


# -- the registry -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(n for n in STATEMENTS if not n.startswith("connection.")))
def test_every_statement_compiles_against_the_schema(mem_store, name):
    sql = STATEMENTS[name]
    n_params = max([int(i) for i in re.findall(r"\?(\d+)", sql)], default=sql.count("?"))
    # EXPLAIN compiles the statement (tables, columns, views must exist) without running it.
    mem_store._conn.execute(f"EXPLAIN {sql}", (None,) * n_params).fetchall()


def test_statement_names_are_grouped_and_never_upsert():
    for name, sql in STATEMENTS.items():
        assert re.fullmatch(r"[a-z_]+\.[a-z_.0-9]+", name), name
        assert not re.search(r"\bOR\s+(IGNORE|REPLACE)\b|\bON\s+CONFLICT\b|\bREPLACE\s+INTO\b",
                             sql, re.I), name


def test_an_unknown_statement_name_is_a_store_error(mem_store):
    with pytest.raises(StoreError, match="no store statement named 'runs.nope'"):
        mem_store.one("runs.nope")


def test_keyed_lookups_take_only_allow_listed_tables_and_columns(mem_store):
    assert mem_store.exists("runs", "run_key", h("x")) is False
    assert mem_store.prefix_matches("runs", "run_key", "abcdef") == []
    with pytest.raises(StoreError, match="not a key QRP looks rows up by"):
        mem_store.exists("runs; DROP TABLE runs", "run_key", "x")
    with pytest.raises(StoreError, match="not a key QRP looks rows up by"):
        mem_store.prefix_matches("sqlite_master", "name", "abcdef")


# -- writes need a transaction; the hook runs before the outermost COMMIT --------------------

def test_a_write_outside_a_transaction_is_refused(mem_store):
    with pytest.raises(StoreError, match="outside a transaction"):
        mem_store.write("dataset_names.insert", ("d", h("ds"), T))
    assert count(mem_store, "dataset_names") == 0


def test_put_artifact_opens_a_transaction_or_joins_the_callers(mem_store):
    aid = mem_store.put_artifact(b"alone", "text/plain")
    assert mem_store.get_artifact(aid) == b"alone"
    with pytest.raises(RuntimeError):
        with mem_store.transaction():
            mem_store.put_artifact(b"rolled back", "text/plain")
            raise RuntimeError("boom")
    assert count(mem_store, "artifacts") == 1


def test_before_commit_runs_once_per_outermost_transaction(mem_store, monkeypatch):
    calls = []
    monkeypatch.setattr(Store, "_before_commit",
                        lambda self: calls.append(self._conn.in_transaction))
    with mem_store.transaction():
        with mem_store.transaction():
            mem_store.put_artifact(b"a", "text/plain")
        assert calls == []
    assert calls == [True]  # inside the transaction, before COMMIT
    mem_store.put_artifact(b"b", "text/plain")
    assert calls == [True, True]


def test_a_failing_before_commit_rolls_the_transaction_back(mem_store, monkeypatch):
    def refuse(self):
        raise StoreError("ledger refused", where="ledger")

    monkeypatch.setattr(Store, "_before_commit", refuse)
    with pytest.raises(StoreError, match="ledger refused"):
        mem_store.put_artifact(b"a", "text/plain")
    assert count(mem_store, "artifacts") == 0
    assert not mem_store.in_transaction


# -- insert if absent ---------------------------------------------------------------------------

def test_datasets_names_and_edges_are_inserted_only_if_absent(mem_store):
    ids = seed(mem_store)
    with mem_store.transaction():
        assert research.add_dataset(mem_store, dataset_id_v2=ids["ds"], source="again",
                                    summary_json="{}", name="d", at=T) is False
        research.add_dataset(mem_store, dataset_id_v2=ids["ds"], source="again",
                             summary_json="{}", name="other", at=T)
    assert count(mem_store, "datasets") == 1 and count(mem_store, "dataset_names") == 2
    out = mem_store.put_artifact(b"out", "text/plain")
    edge = (out, ids["ds"], "derived_from", T)
    assert research.add_edges(mem_store, [edge, edge]) == 1
    assert research.add_edges(mem_store, [edge]) == 0
    assert count(mem_store, "artifact_edges") == 1


def test_a_policy_version_is_stored_once(mem_store):
    first = promotion.add_policy(mem_store, policy_hash=h("p1"), name="p", version=1,
                                 payload_json="{}", at=T)
    again = promotion.add_policy(mem_store, policy_hash=h("p2"), name="p", version=1,
                                 payload_json="{}", at=T)
    assert first == again == h("p1") and count(mem_store, "policies") == 1


# -- SQLite's refusals as StoreError with a rule -----------------------------------------------

def test_a_trigger_refusal_names_its_rule_and_rolls_back(mem_store):
    ids = seed(mem_store)
    with mem_store.transaction():
        promotion.set_ended(mem_store, ids["cand"], status="retired", at=T)
    with pytest.raises(StoreError) as err:
        with mem_store.transaction():
            research.add_edges(mem_store, [(mem_store.put_artifact(b"x", "text/plain"),
                                            ids["ds"], "derived_from", T)])
            promotion.set_ended(mem_store, ids["cand"], status="rejected", at=T)
    e = err.value
    assert "illegal status transition" in e.what and not e.what.startswith("qrp")
    # 'qrp: ...' today; 'qrp[trg_candidates_transition]: ...' once the lead renames them.
    assert e.rule in (None, "trg_candidates_transition")
    assert e.where == "promotion_candidates.set_ended" and e.fix
    assert count(mem_store, "artifact_edges") == 0  # the whole transaction was undone
    assert mem_store.one("promotion_candidates.get", (ids["cand"],))["status"] == "retired"


def test_constraint_failures_get_sqlite_rules(mem_store):
    ids = seed(mem_store)
    with pytest.raises(StoreError) as err:
        research.insert_instance(mem_store, (h("i2"), h("no such run"), 1, "run", None, T, T,
                                             "me", "{}"))
    assert err.value.rule == "sqlite:FOREIGN KEY"
    assert err.value.where == "run_instances.insert"
    with pytest.raises(StoreError) as err:
        research.insert_instance(mem_store, (h("i3"), ids["run"], 2, "bogus", None, T, T,
                                             "me", "{}"))
    assert err.value.rule == "sqlite:CHECK"
    with pytest.raises(StoreError) as err:
        research.insert_instance(mem_store, (h("i4"), ids["run"], 3, "run", None, T, T,
                                             None, "{}"))
    assert err.value.rule == "sqlite:NOT NULL"
    assert "run_instances.actor" in err.value.what
    assert count(mem_store, "run_instances") == 1


@pytest.mark.parametrize("message, rule, what", [
    ("qrp[trg_runs_no_update]: runs is append-only: rows are never updated",
     "trg_runs_no_update", "runs is append-only: rows are never updated"),
    ("qrp: illegal status transition", None, "illegal status transition"),
    ("UNIQUE constraint failed: runs.run_key", "sqlite:UNIQUE",
     "UNIQUE constraint failed on runs.run_key"),
    ("FOREIGN KEY constraint failed", "sqlite:FOREIGN KEY", "FOREIGN KEY constraint failed"),
    ("CHECK constraint failed: seq >= 1", "sqlite:CHECK", "CHECK constraint failed on seq >= 1"),
    ("NOT NULL constraint failed: runs.family", "sqlite:NOT NULL",
     "NOT NULL constraint failed on runs.family"),
])
def test_error_messages_are_parsed_into_rule_and_text(message, rule, what):
    e = store_error(sqlite3.IntegrityError(message), "runs.insert")
    assert (e.rule, e.what, e.where) == (rule, what, "runs.insert")
    assert e.fix


def test_a_store_error_with_a_rule_prints_one_clear_line():
    e = store_error(sqlite3.IntegrityError(
        "qrp[trg_runs_no_update]: runs is append-only: rows are never updated"), "runs.insert")
    text = str(e)
    assert "\n" not in text
    assert text.startswith("runs is append-only: rows are never updated (at runs.insert; "
                           "rule trg_runs_no_update) Fix: ")


def test_other_sqlite_errors_are_store_errors_without_a_rule():
    e = store_error(sqlite3.OperationalError("database is locked"), "connection.begin")
    assert e.rule is None and "database is locked" in e.what and e.where == "connection.begin"

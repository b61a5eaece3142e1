"""``Store.as_of``: the store as a recorded ledger head left it, for re-rendering saved outputs."""

from __future__ import annotations

import sqlite3

import pytest

from qrp_jupyter.audit import verify
from qrp_jupyter.errors import NotFoundError, StoreError
from qrp_jupyter.governance import create_candidate, list_candidates, promote, retire

import insider

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def test_as_of_the_head_is_the_store_and_verifies(world):
    head = world.store.ledger_head()
    with world.store.as_of(head.block_seq) as snap:
        assert snap.ledger_head() == head
        assert verify(snap).ok, verify(snap).text()
        assert verify(snap).checked == verify(world.store).checked


def test_as_of_an_earlier_head_forgets_later_rows_and_restores_statuses(world):
    cid = create_candidate(world.store, world.edge.run_instance_id)["candidate_id"]
    created = world.store.ledger_head().block_seq
    assert promote(world.store, cid, "candidate").passed
    promoted = world.store.ledger_head().block_seq
    retire(world.store, cid, "done")
    with world.store.as_of(created) as snap:
        [c] = list_candidates(snap)
        assert (c["status"], c["eligibility_report_id"]) == ("exploratory", None)
        assert snap.one("eligibility_reports.all") is None
        assert verify(snap).ok, verify(snap).text()
    with world.store.as_of(promoted) as snap:
        assert [c["status"] for c in list_candidates(snap)] == ["candidate"]
    assert [c["status"] for c in list_candidates(world.store)] == ["retired"]


def test_a_row_written_outside_qrp_is_not_in_any_head(world):
    head = world.store.ledger_head().block_seq
    insider.execute(world.store, "INSERT INTO dataset_names (name, dataset_id_v2, created_at) "
                                 "VALUES ('forged', ?, 'x')", (world.edge.dataset_id_v2,))
    assert world.store.one("dataset_names.ids_named", ("forged",)) is not None
    with world.store.as_of(head) as snap:
        assert snap.one("dataset_names.ids_named", ("forged",)) is None
        assert snap.one("dataset_names.ids_named", ("edge",)) is not None


def test_a_snapshot_is_read_only_and_an_unknown_block_is_refused(world):
    cid = create_candidate(world.store, world.edge.run_key)["candidate_id"]
    with world.store.as_of(world.store.ledger_head().block_seq) as snap:
        with pytest.raises(StoreError, match="read-only") as refused:
            retire(snap, cid, "x")
        assert refused.value.rule == "store:read-only"
        with pytest.raises(sqlite3.OperationalError, match="readonly"):  # SQLite's own guard
            snap._conn.execute("DELETE FROM governance_events")
    for bad in (0, 10**6, "1", True):
        with pytest.raises(NotFoundError, match="no block"):
            world.store.as_of(bad)

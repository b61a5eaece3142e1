"""Frozen migrations: applied text never changes, a store made by older code opens, migrates
and verifies, and the schema verify expects is the replayed migrations."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from qrp_jupyter.audit import verify
from qrp_jupyter.errors import StoreError
from qrp_jupyter.store import Store, apply_migrations, ledger
from qrp_jupyter.store.migrations import (MIGRATION_FILES, expected_schema, migration_digest,
                                          migrations, schema_of, split_statements)

FIXTURE = Path(__file__).parent / "fixtures" / "store_v1.sqlite"

#: Digests recorded by stores in the field: a change here means an applied migration changed.
FROZEN = {
    1: "740b8d581cbfe463a3eb782eb2c61cad2de1f3371da2be3d3d70a7105f0ca895",
}


def test_migration_one_is_the_text_stores_recorded():
    digests = {v: migration_digest(s) for v, _, s in migrations()}
    for version, digest in FROZEN.items():
        assert digests[version] == digest
    recorded = sqlite3.connect(FIXTURE).execute(
        "SELECT ddl_sha256 FROM schema_migrations WHERE version = 1").fetchone()[0]
    assert recorded == FROZEN[1]


def test_versions_are_consecutive_and_files_exist():
    assert [v for v, _, _ in MIGRATION_FILES] == list(range(1, len(MIGRATION_FILES) + 1))
    assert all(len(s) > 0 for _, _, s in migrations())


def test_split_keeps_trigger_bodies_whole():
    text = ("-- comment\nCREATE TABLE a (x);\n\nCREATE TRIGGER t BEFORE DELETE ON a\nBEGIN\n"
            "    SELECT RAISE(ABORT, 'no; really');\nEND;\n")
    assert split_statements(text) == (
        "CREATE TABLE a (x)",
        "CREATE TRIGGER t BEFORE DELETE ON a\nBEGIN\n    SELECT RAISE(ABORT, 'no; really');\nEND")


def test_split_refuses_a_truncated_file():
    with pytest.raises(StoreError, match="ends inside a statement"):
        split_statements("CREATE TABLE a (x);\nCREATE TABLE b (")


@pytest.fixture
def old_store(tmp_path):
    path = tmp_path / "old.sqlite"
    shutil.copy(FIXTURE, path)
    return path


def test_store_written_by_older_code_migrates_and_verifies(old_store):
    before = sqlite3.connect(old_store).execute(
        "SELECT COUNT(*) FROM governance_events").fetchone()[0]
    with Store(old_store) as s:
        rep = verify(s)
        assert rep.ok, rep.text()
    raw = sqlite3.connect(old_store)
    versions = [v for (v,) in raw.execute("SELECT version FROM schema_migrations")]
    assert versions == [v for v, _, _ in MIGRATION_FILES]
    assert schema_of(raw) == expected_schema()
    # The ledger's migration adopted every row the store had, in one first block.
    kind, count = raw.execute("SELECT kind, entry_count FROM ledger_blocks "
                              "WHERE block_seq = 1").fetchone()
    rows = sum(raw.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
               for t in ledger.LEDGERED_TABLES)
    assert (kind, count) == ("adopt", rows)
    assert raw.execute("SELECT COUNT(*) FROM governance_events").fetchone()[0] == before


def test_old_store_keeps_working_after_the_upgrade(old_store):
    from qrp_jupyter.governance import retire
    with Store(old_store) as s:
        retire(s, "b1bb3942816d", reason="archived after upgrade")
    with Store(old_store) as s:
        rep = verify(s)
        assert rep.ok, rep.text()
        assert rep.checked["ledger blocks"] == 2


def test_migrations_are_idempotent_and_recorded(tmp_path):
    path = tmp_path / "a.sqlite"
    _made(path)
    raw = sqlite3.connect(path, isolation_level=None)
    assert apply_migrations(raw) == []
    assert [r for r in raw.execute("SELECT version, name FROM schema_migrations")] == \
        [(v, n) for v, n, _ in MIGRATION_FILES]
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # A fresh store's first block adopts just its migration rows.
    assert raw.execute("SELECT kind, entry_count FROM ledger_blocks").fetchall() == \
        [("adopt", len(MIGRATION_FILES))]


def test_edited_applied_migration_is_refused(tmp_path):
    path = tmp_path / "a.sqlite"
    _made(path)
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("DROP TRIGGER trg_schema_migrations_no_update")
    raw.execute("UPDATE schema_migrations SET ddl_sha256 = ? WHERE version = 1", ("0" * 64,))
    raw.close()
    with pytest.raises(StoreError, match="migration 1 .* different digest"):
        Store(path)


def test_store_from_newer_code_is_refused(tmp_path):
    path = tmp_path / "a.sqlite"
    _made(path)
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("INSERT INTO schema_migrations VALUES (99, 'future', ?, 'now')", ("0" * 64,))
    raw.close()
    with pytest.raises(StoreError, match=r"migrations \[99\]"):
        Store(path)


@pytest.mark.parametrize("edit, finding", [
    ("DROP VIEW v_trial_registry", "view is missing"),
    ("DROP INDEX idx_runs_family", "index is missing"),
    ("DROP TRIGGER trg_runs_no_replace", "trigger is missing"),
    ("CREATE VIEW v_extra AS SELECT 1", "unknown view"),
    ("CREATE TRIGGER trg_quiet AFTER INSERT ON runs BEGIN SELECT 1; END", "unknown trigger"),
])
def test_verify_compares_every_schema_object(tmp_path, edit, finding):
    path = tmp_path / "a.sqlite"
    _made(path)
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute(edit)
    raw.close()
    with Store(path) as s:
        rep = verify(s)
    assert any(p.table == "sqlite_master" and finding in p.problem for p in rep.problems), \
        rep.text()


def test_verify_sees_a_trigger_dropped_and_restored_weaker(tmp_path):
    """Restored under its own name but without its teeth: the text differs."""
    path = tmp_path / "a.sqlite"
    _made(path)
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("DROP TRIGGER trg_runs_no_update")
    raw.execute("CREATE TRIGGER trg_runs_no_update BEFORE UPDATE ON runs WHEN 0 "
                "BEGIN SELECT RAISE(ABORT, 'qrp[trg_runs_no_update]: x'); END")
    raw.close()
    with Store(path) as s:
        rep = verify(s)
    assert any(p.row == "trg_runs_no_update" and "text differs" in p.problem
               for p in rep.problems), rep.text()


def _made(path) -> None:
    """A store file with the current schema and nothing else (what `qrp init` leaves)."""
    store = Store(path)
    store.ensure_file()
    store.close()

"""Artifacts larger than one SQLite value are stored in parts (migration 3, store/blobs.py).

What must hold: the same bytes come back and hash to the same id whatever form they are stored
in; a run whose returns matrix is stored in parts records, verifies, replays, audits and
promotes like any other; and the insider who edits, deletes or appends a part with raw SQL is
refused by the rule that guards it or, with the trigger dropped, caught by `qrp verify` (exit 4)
naming the artifact, the part and the ledger row.

Most tests shrink :data:`PART_BYTES` to a few KiB so that a small real run has many parts; one
slow test stores more than a real part (256 MiB) to show the real size works end to end.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from qrp_jupyter.audit import verify
from qrp_jupyter.data import synthetic
from qrp_jupyter.errors import IntegrityProblem
from qrp_jupyter.governance import create_candidate, promote
from qrp_jupyter.identity import sha256_hex
from qrp_jupyter.runs import execute_run, register_dataset, replay_run
from qrp_jupyter.store import Store, blobs, decode_array, encode_array
from insider import connect, sealed, without



def qrp(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "QRP_ACTOR": "pytest"}
    return subprocess.run([sys.executable, "-m", "qrp_jupyter.cli", *args],
                          capture_output=True, text=True, env=env)


EDGE = """\
name = "edge"
family = "t-trend"
[data]
dataset = "edge"
[strategy]
kind = "ts_momentum"
[strategy.grid]
lookback = [1, 2, 4, 8, 16, 32]
[costs]
fee_bps = 1.0
[walk_forward]
n_folds = 3
purge = 10
[nulls.reality_check]
reps = 99
"""
SMALL = 16 << 10  # bytes per part in these tests: the 4,000-bar run has dozens of parts


@pytest.fixture(scope="module")
def parted(tmp_path_factory):
    """A real store whose dataset and returns matrix are held in parts, and its run."""
    path = tmp_path_factory.mktemp("parts") / "parts.sqlite"
    mp = pytest.MonkeyPatch()
    mp.setattr(blobs, "PART_BYTES", SMALL)
    mp.setenv("QRP_ACTOR", "pytest")
    try:
        s = Store(path)
        register_dataset(s, synthetic(n_bars=4000, seed=5, edge=0.15), name="edge")
        out = execute_run(s, EDGE, source="edge.toml")
        s.checkpoint()
        s.close()
    finally:
        mp.undo()
    return path, out


@pytest.fixture
def store(parted, tmp_path):
    """A private copy of the parted store (tests tamper with it)."""
    dst = tmp_path / "copy.sqlite"
    dst.write_bytes(parted[0].read_bytes())
    s = Store(dst)
    yield s
    s.close()


def parts_of(s: Store, aid: str) -> list[sqlite3.Row]:
    with connect(s) as c:
        return c.execute("SELECT seq, sha256, length(data) AS n FROM artifact_chunks "
                         "WHERE artifact_id = ? ORDER BY seq", (aid,)).fetchall()


def problems(s: Store) -> list[tuple[str, str, str]]:
    return [(p.table, p.row, p.problem) for p in verify(s).problems]


# ---------------------------------------------------------------------------------------------
# The same bytes, the same id, whatever the form
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["compressible", "random"])
def test_bytes_round_trip_through_parts_with_the_id_of_the_whole(tmp_path, monkeypatch, kind):
    monkeypatch.setattr(blobs, "PART_BYTES", 4096)
    rng = np.random.default_rng(3)
    data = (np.cumsum(rng.integers(0, 3, 50_000)).astype("<i8").tobytes() if kind ==
            "compressible" else rng.bytes(100_000))
    s = Store(tmp_path / "a.sqlite")
    aid = s.put_artifact(data, "application/octet-stream")
    assert aid == sha256_hex(data)
    row = s.one("artifacts.blob_and_meta", (aid,))
    assert row["data"] == b"" and row["size"] == len(data)
    assert row["codec"] == ("zlib" if kind == "compressible" else "identity")
    parts = parts_of(s, aid)
    assert [p["seq"] for p in parts] == list(range(len(parts))) and len(parts) > 3
    assert all(p["n"] <= 4096 for p in parts)
    assert bytes(s.get_artifact(aid)) == data
    assert s.put_artifact(data, "application/octet-stream") == aid  # deduplicated
    assert len(parts_of(s, aid)) == len(parts)
    assert s.artifact_digest(aid, row["codec"], row["data"]) == (aid, len(data))
    assert verify(s).ok


def test_an_array_read_back_from_parts_is_its_own_buffer(tmp_path, monkeypatch):
    monkeypatch.setattr(blobs, "PART_BYTES", 4096)
    a = np.random.default_rng(1).standard_normal((700, 9))
    s = Store(tmp_path / "a.sqlite")
    aid = s.put_artifact(encode_array(a), "application/vnd.qrp.array")
    back = decode_array(s.get_artifact(aid))
    assert np.array_equal(back, a) and back.flags.writeable and back.shape == (700, 9)


def test_the_run_s_ids_do_not_depend_on_how_its_bytes_are_stored(parted, tmp_path):
    """The same run recorded both ways: in parts, and in a store with the real part size."""
    path, out = parted
    s = Store(path)
    try:
        ds = s.one("artifacts.blob_and_meta", (out.dataset_id_v2,))
        assert ds["data"] == b"" and len(parts_of(s, out.dataset_id_v2)) > 10
        rm = out.artifacts["returns_matrix"]
        assert len(parts_of(s, rm)) > 3
    finally:
        s.close()
    # The same run in a store with the real part size: every artifact in one value.
    one = Store(tmp_path / "one.sqlite")
    register_dataset(one, synthetic(n_bars=4000, seed=5, edge=0.15), name="edge")
    again = execute_run(one, EDGE, source="edge.toml")
    assert again.run_key == out.run_key and again.artifacts == out.artifacts
    assert one.one("artifacts.blob_and_meta", (rm,))["data"] != b""
    assert parts_of(one, rm) == []
    one.close()


# ---------------------------------------------------------------------------------------------
# Every reader: verify, replay, audit, promote, views
# ---------------------------------------------------------------------------------------------

def test_a_parted_store_verifies_replays_and_promotes(store, parted):
    out = parted[1]
    rep = verify(store)
    assert rep.ok, rep.text()
    assert rep.checked["artifact parts"] >= 20
    again = replay_run(store, out.run_instance_id)
    assert again.extra["attestation"]["match"] is True, again.extra["attestation"]["reason"]
    cand = create_candidate(store, out.run_key)
    # The policy's statistics are computed from the returns matrix read back from its parts.
    res = promote(store, cand["candidate_id"], "candidate")
    assert res.eligibility_report_id and res.report["rules"], res.report
    store.checkpoint()
    r = qrp("audit", cand["candidate_id"], "--db", str(store.path))
    assert r.returncode == 0, r.stdout + r.stderr
    r = qrp("verify", "--db", str(store.path))
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_readme_recipe_rehashes_a_parted_artifact_with_the_standard_library(store):
    """The README's recipe (sqlite3, hashlib, zlib only) on a real parted store."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in readme.split("```python\n")[1:]]
    recipe = next(b for b in blocks if "FROM artifact_chunks" in b)
    store.checkpoint()
    exec(recipe.replace("file:qrp.sqlite", f"file:{store.path}"), {})  # asserts the hash
    with connect(store) as c, without(c, "trg_artifact_chunks_no_update"):
        c.execute("UPDATE artifact_chunks SET data = x'00' WHERE seq = 0")
    with pytest.raises((AssertionError, zlib.error)):  # the hash differs, or the stream breaks
        exec(recipe.replace("file:qrp.sqlite", f"file:{store.path}"), {})


# ---------------------------------------------------------------------------------------------
# The insider
# ---------------------------------------------------------------------------------------------

def _a_middle_part(s: Store, out) -> tuple[str, int]:
    aid = out.artifacts["returns_matrix"]
    return aid, len(parts_of(s, aid)) // 2


def test_raw_sql_on_a_part_is_refused_by_its_rule(store, parted):
    aid, seq = _a_middle_part(store, parted[1])
    with connect(store) as c:
        for sql, params, rule in (
                ("UPDATE artifact_chunks SET data = x'00' WHERE artifact_id = ? AND seq = ?",
                 (aid, seq), "trg_artifact_chunks_no_update"),
                ("DELETE FROM artifact_chunks WHERE artifact_id = ? AND seq = ?", (aid, seq),
                 "trg_artifact_chunks_no_delete"),
                ("INSERT OR REPLACE INTO artifact_chunks VALUES (?, ?, ?, x'00')",
                 (aid, seq, sha256_hex(b"\0")), "trg_artifact_chunks_no_replace"),
                ("INSERT INTO artifact_chunks VALUES (?, 999999, ?, x'00')",
                 (aid, sha256_hex(b"\0")), "trg_artifact_chunks_in_order"),
                ("UPDATE artifacts SET data = x'00' WHERE artifact_id = ?", (aid,),
                 "trg_artifacts_no_update")):
            with pytest.raises(sqlite3.IntegrityError, match=rf"^qrp\[{rule}\]"):
                c.execute(sql, params)
    assert verify(store).ok


def test_a_part_edited_and_rehashed_with_the_trigger_dropped_is_caught(store, parted):
    """The self-consistent insider: new bytes, the part's sha256 column rewritten to match,
    the trigger put back. The whole artifact no longer hashes to its id, and the ledger's row
    hash of the part differs."""
    aid, seq = _a_middle_part(store, parted[1])
    with connect(store) as c:
        part = c.execute("SELECT data FROM artifact_chunks WHERE artifact_id = ? AND seq = ?",
                         (aid, seq)).fetchone()[0]
        forged = bytes([part[0] ^ 1]) + part[1:]
        with without(c, "trg_artifact_chunks_no_update"):
            c.execute("UPDATE artifact_chunks SET data = ?, sha256 = ? "
                      "WHERE artifact_id = ? AND seq = ?", (forged, sha256_hex(forged), aid, seq))
    found = problems(store)
    assert ("artifacts", aid, "blob bytes do not hash to artifact_id (the bytes are held in "
            "artifact_chunks)") in found
    assert any(t == "artifact_chunks" and f'"{aid}",{seq}' in r and "row changed since ledger"
               in p for t, r, p in found), found
    with pytest.raises(IntegrityProblem, match="do not hash to its id"):
        store.get_artifact(aid)
    r = qrp("verify", "--db", str(store.path))
    assert r.returncode == 4 and "artifact_chunks" in r.stdout, r.stdout + r.stderr


def test_a_part_whose_bytes_no_longer_match_its_own_hash_is_named(store, parted):
    aid, seq = _a_middle_part(store, parted[1])
    with connect(store) as c:
        with without(c, "trg_artifact_chunks_no_update"):
            c.execute("UPDATE artifact_chunks SET data = CAST(data || x'00' AS BLOB) "
                      "WHERE artifact_id = ? AND seq = ?", (aid, seq))
            c.execute("UPDATE artifact_chunks SET data = 'text, not bytes' "
                      "WHERE artifact_id = ? AND seq = ?", (aid, seq + 1))
    found = problems(store)
    assert ("artifact_chunks", f"{aid} part {seq}",
            "part bytes do not hash to its sha256 column") in found
    assert ("artifact_chunks", f"{aid} part {seq + 1}",
            "part is stored as str, not a BLOB") in found
    assert any(t == "artifacts" and r == aid for t, r, _ in found)


def test_a_deleted_middle_part_is_named_and_breaks_the_whole(store, parted):
    aid, seq = _a_middle_part(store, parted[1])
    n = len(parts_of(store, aid))
    with connect(store) as c:
        with without(c, "trg_artifact_chunks_no_delete"):
            c.execute("DELETE FROM artifact_chunks WHERE artifact_id = ? AND seq = ?",
                      (aid, seq))
    found = problems(store)
    assert ("artifact_chunks", aid, f"{n - 1} part(s): the parts are not numbered "
            f"0..{n - 2} (a part is missing or extra)") in found
    assert any(t == "artifacts" and r == aid for t, r, _ in found)
    assert any("has vanished (deleted)" in p for t, _, p in found if t == "artifact_chunks")


def test_a_part_appended_through_the_triggers_is_caught(store, parted):
    """Appending the next part in order passes every trigger (that is what a writer does);
    the whole no longer hashes to its id and no ledger block covers the row."""
    aid = parted[1].artifacts["returns_matrix"]
    n = len(parts_of(store, aid))
    with connect(store) as c:
        c.execute("INSERT INTO artifact_chunks VALUES (?, ?, ?, x'00')",
                  (aid, n, sha256_hex(b"\0")))
    found = problems(store)
    assert any(t == "artifacts" and r == aid for t, r, _ in found)
    assert any(t == "artifact_chunks" and "no ledger block covers this row" in p
               for t, _, p in found), found


def test_a_sealed_forgery_of_the_whole_artifact_is_still_caught(store, parted):
    """The ledger-aware insider replaces every part of the dataset with other bytes and seals
    the change in a block of their own: the dataset's id is the hash of its bytes."""
    out = parted[1]
    aid = out.dataset_id_v2
    with connect(store) as c:
        with without(c, "trg_artifact_chunks_no_delete", "trg_artifact_chunks_in_order"):
            with sealed(c):
                c.execute("DELETE FROM artifact_chunks WHERE artifact_id = ?", (aid,))
                c.execute("INSERT INTO artifact_chunks VALUES (?, 0, ?, x'00')",
                          (aid, sha256_hex(b"\0")))
    found = problems(store)
    assert any(t == "artifacts" and r == aid for t, r, _ in found)
    assert any("has vanished (deleted)" in p for t, _, p in found if t == "artifact_chunks")


def test_a_part_moved_to_an_artifact_held_in_one_value_is_named(store, parted):
    out = parted[1]
    one_value = out.artifacts["metrics_table"]
    assert store.one("artifacts.blob", (one_value,))["data"] != b""
    with connect(store) as c:
        with without(c, "trg_artifact_chunks_in_order"):
            c.execute("INSERT INTO artifact_chunks VALUES (?, 0, ?, x'00')",
                      (one_value, sha256_hex(b"\0")))
    assert ("artifact_chunks", one_value,
            "1 part(s): its artifact holds its bytes in its own row") in problems(store)


# ---------------------------------------------------------------------------------------------
# The real part size
# ---------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_more_than_one_real_part_round_trips(tmp_path):
    """Over 256 MiB of bytes that do not compress: two real parts, read back equal."""
    data = os.urandom(blobs.PART_BYTES + (5 << 20))
    s = Store(tmp_path / "big.sqlite")
    aid = s.put_artifact(data, "application/octet-stream")
    assert [(p["seq"], p["n"]) for p in parts_of(s, aid)] == [
        (0, blobs.PART_BYTES), (1, 5 << 20)]
    assert s.get_artifact(aid) == data
    rep = verify(s)
    assert rep.ok and rep.checked["artifact parts"] == 2, rep.text()
    s.close()
    del data
    r = qrp("verify", "--db", str(tmp_path / "big.sqlite"), "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["checked"]["artifact parts"] == 2

"""``qrp digest``, ``qrp verify --digest/--digests`` and ``qrp policy add``: real subprocesses."""

from __future__ import annotations

import json
import sqlite3

from qrp_jupyter.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEMS

from qrp_cli import qrp


def _digest(db) -> str:
    r = qrp("digest", "--db", str(db))
    assert r.returncode == EXIT_OK, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert len(last) == 64 and all(c in "0123456789abcdef" for c in last)
    return last


def test_digest_text_and_json_agree(cli_db):
    r = qrp("digest", "--db", str(cli_db), "--json")
    doc = json.loads(r.stdout)
    assert doc["digest"] == _digest(cli_db) and doc["block_seq"] >= 2


def test_verify_proves_the_store_extends_recorded_digests(cli_db, tmp_path):
    first = _digest(cli_db)
    r = qrp("run", str(tmp_path / "run.toml"), "--db", str(cli_db))
    assert r.returncode == EXIT_OK, r.stderr
    second = _digest(cli_db)
    assert second != first
    r = qrp("verify", "--db", str(cli_db), "--digest", first, "--digest", second.upper())
    assert r.returncode == EXIT_OK, r.stdout
    assert "recorded digests 2" in r.stdout
    f = tmp_path / "digests.txt"
    f.write_text(f"# recorded in ticket QRP-1\n{first}\n\n{second}\n")
    assert qrp("verify", "--db", str(cli_db), "--digests", str(f)).returncode == EXIT_OK


def test_verify_exits_4_when_history_before_a_digest_was_rewritten(cli_db, tmp_path):
    qrp("run", str(tmp_path / "run.toml"), "--db", str(cli_db))
    recorded = _digest(cli_db)
    # The insider rewrites the head block self-consistently (new time, re-hashed).
    from qrp_jupyter.store import ledger
    c = sqlite3.connect(cli_db, isolation_level=None)
    c.execute("DROP TRIGGER trg_ledger_blocks_no_update")
    seq, prev, kind, n, digests = c.execute(
        "SELECT block_seq, prev_block_hash, kind, entry_count, digests_json FROM ledger_blocks "
        "ORDER BY block_seq DESC LIMIT 1").fetchone()
    forged = ledger.sha256_hex(ledger.block_text(seq, prev, kind, n, "2020-01-01T00:00:00Z",
                                                 digests).encode())
    c.execute("UPDATE ledger_blocks SET created_at = '2020-01-01T00:00:00Z', block_hash = ? "
              "WHERE block_seq = ?", (forged, seq))
    c.close()
    # Restore the trigger exactly, so the schema check sees nothing.
    from qrp_jupyter.store.migrations import expected_schema
    c = sqlite3.connect(cli_db, isolation_level=None)
    c.execute(expected_schema()[("trigger", "trg_ledger_blocks_no_update")])
    c.close()
    assert qrp("verify", "--db", str(cli_db)).returncode == EXIT_OK  # self-consistent ...
    r = qrp("verify", "--db", str(cli_db), "--digest", recorded)    # ... but not what was seen
    assert r.returncode == EXIT_PROBLEMS
    assert f"ledger_blocks [{recorded}]: no ledger block has hash" in r.stdout


def test_bad_digests_are_bad_input_naming_where(cli_db, tmp_path):
    r = qrp("verify", "--db", str(cli_db), "--digest", "abc123")
    assert r.returncode == EXIT_BAD_INPUT and "(at --digest)" in r.stderr
    f = tmp_path / "d.txt"
    f.write_text("# ok\n" + "g" * 64 + "\n")
    r = qrp("verify", "--db", str(cli_db), "--digests", str(f))
    assert r.returncode == EXIT_BAD_INPUT and f"{f}:2" in r.stderr
    r = qrp("verify", "--db", str(cli_db), "--digests", str(tmp_path / "missing.txt"))
    assert r.returncode == EXIT_BAD_INPUT and "cannot read the digests file" in r.stderr


def test_policy_add_is_a_recorded_action(cli_db, tmp_path):
    pol = {"name": "desk", "version": 1, "levels": {"candidate": [
        {"rule": "positive", "metric": "sharpe_annual", "op": ">", "threshold": 0.0,
         "severity": "blocker", "why": "desk rule"}]}}
    f = tmp_path / "desk.json"
    f.write_text(json.dumps(pol))
    r = qrp("policy", "add", str(f), "--reason", "desk policy", "--db", str(cli_db), "--json")
    assert r.returncode == EXIT_OK, r.stderr
    out = json.loads(r.stdout)
    assert out["new"] is True
    again = qrp("policy", "add", str(f), "--reason", "again", "--db", str(cli_db), "--json")
    assert json.loads(again.stdout) == {**out, "new": False}
    c = sqlite3.connect(cli_db)
    kinds = [k for (k,) in c.execute("SELECT kind FROM governance_events ORDER BY seq")]
    assert kinds.count("policy_registered") == 1
    assert qrp("verify", "--db", str(cli_db)).returncode == EXIT_OK


def test_policy_add_refuses_a_malformed_file_and_writes_nothing(cli_db, tmp_path):
    before = _digest(cli_db)
    f = tmp_path / "bad.json"
    f.write_text(json.dumps({"name": "x", "version": 1, "levels": {"candidate": [
        {"rule": "r", "metric": "no_such_metric", "op": ">", "threshold": 0,
         "severity": "blocker"}]}}))
    r = qrp("policy", "add", str(f), "--reason", "x", "--db", str(cli_db))
    assert r.returncode == EXIT_BAD_INPUT and "unknown metric 'no_such_metric'" in r.stderr
    assert _digest(cli_db) == before

"""The ``qrp`` command: real subprocesses, documented exit codes, JSON output, the demo."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from qrp_jupyter.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEMS, EXIT_REFUSED

from qrp_cli import CONFIG, qrp

def test_run_candidates_promote_audit_verify_replay(cli_db, tmp_path):
    db = str(cli_db)
    r = qrp("run", str(tmp_path / "run.toml"), "--db", db, "--json")
    assert r.returncode == EXIT_OK, r.stderr
    run = json.loads(r.stdout)
    assert run["summary"]["n_trials"] == 2
    r = qrp("candidates", "add", run["run_key"][:12], "--db", db, "--json")
    cid = json.loads(r.stdout)["candidate_id"]
    r = qrp("promote", cid[:8], "--to", "candidate", "--db", db, "--json")
    assert r.returncode in (EXIT_OK, EXIT_REFUSED), r.stderr
    assert json.loads(r.stdout)["passed"] is (r.returncode == EXIT_OK)
    listing = json.loads(qrp("candidates", "--db", db, "--json").stdout)
    assert [c["candidate_id"] for c in listing] == [cid]
    r = qrp("audit", cid, "--db", db)
    assert r.returncode == EXIT_OK and "ALL CHECKS PASS" in r.stdout
    r = qrp("replay", run["run_key"], "--db", db)
    assert r.returncode == EXIT_OK and "IDENTICAL" in r.stdout
    r = qrp("verify", "--db", db, "--json")
    assert r.returncode == EXIT_OK and json.loads(r.stdout)["ok"] is True
    assert qrp("runs", "--db", db).returncode == EXIT_OK
    assert "syn" in qrp("data", "list", "--db", db).stdout


def test_bad_input_exits_2_with_a_one_line_explanation(cli_db, tmp_path):
    db = str(cli_db)
    bad = tmp_path / "bad.toml"
    bad.write_text(CONFIG.replace("lookback", "lookbak"))
    r = qrp("run", str(bad), "--db", db)
    assert r.returncode == EXIT_BAD_INPUT
    assert "bad.toml:8" in r.stderr and "Fix:" in r.stderr and "Traceback" not in r.stderr
    r = qrp("promote", "deadbeef00", "--to", "candidate", "--db", db)
    assert r.returncode == EXIT_BAD_INPUT and "no candidate" in r.stderr
    r = qrp("run", str(tmp_path / "missing.toml"), "--db", db)
    assert r.returncode == EXIT_BAD_INPUT and "does not exist" in r.stderr
    r = qrp("verify", "--db", str(tmp_path / "absent.sqlite"))
    assert r.returncode == EXIT_BAD_INPUT and "qrp init" in r.stderr


def test_refused_promotion_exits_3_and_tampering_exits_4(tmp_path):
    db = tmp_path / "d.sqlite"
    qrp("data", "add", "--synthetic", "--bars", "1500", "--seed", "5", "--name", "syn",
        "--db", str(db))
    (tmp_path / "run.toml").write_text(CONFIG)
    run = json.loads(qrp("run", str(tmp_path / "run.toml"), "--db", str(db), "--json").stdout)
    cid = json.loads(qrp("candidates", "add", run["run_key"], "--db", str(db),
                         "--json").stdout)["candidate_id"]
    r = qrp("promote", cid, "--to", "candidate", "--db", str(db))
    assert r.returncode == EXIT_REFUSED and "REFUSED" in r.stdout and "blocker:" in r.stdout
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER trg_governance_events_no_update")
    con.execute("UPDATE governance_events SET created_at = 'x', payload_json = "
                "replace(payload_json, 'cli-test', 'someone') WHERE seq = 1")
    con.commit()
    con.close()
    r = qrp("verify", "--db", str(db))
    assert r.returncode == EXIT_PROBLEMS
    assert "governance_events [seq 1]" in r.stdout
    assert qrp("audit", cid, "--db", str(db)).returncode == EXIT_PROBLEMS


def _demo(tmp_path, name):
    r = qrp("demo", "--db", str(tmp_path / name), "--json",
            env_extra={"QRP_DETERMINISTIC_TIME": "2024-01-02T03:04:05Z"})
    assert r.returncode == EXIT_OK, r.stdout[-2000:] + r.stderr[-2000:]
    return json.loads(r.stdout)


@pytest.mark.slow
def test_demo_is_deterministic_under_pinned_time(tmp_path):
    a, b = _demo(tmp_path, "a.sqlite"), _demo(tmp_path, "b.sqlite")
    assert a["ok"] and a["accepted"] and a["noise_refused"] and a["verify_ok"]
    for key in ("datasets", "runs", "promotions", "events", "ledger_digest"):
        assert a[key] == b[key], key
    # The same ledger head means every row of both stores hashed alike; it is what
    # `qrp digest` prints last.
    r = qrp("digest", "--db", str(tmp_path / "a.sqlite"))
    assert r.stdout.strip().splitlines()[-1] == a["ledger_digest"]
    # Every timestamp the system wrote is the pinned one.
    con = sqlite3.connect(tmp_path / "a.sqlite")
    stamps = {r[0] for r in con.execute("SELECT created_at FROM governance_events UNION "
                                        "SELECT started_at FROM run_instances")}
    assert stamps == {"2024-01-02T03:04:05.000000Z"}
    # A second demo into the same file refuses rather than mixing, until told to overwrite.
    r = qrp("demo", "--db", str(tmp_path / "a.sqlite"))
    assert r.returncode == EXIT_BAD_INPUT and "--overwrite" in r.stderr


def test_console_script_is_installed():
    exe = shutil.which("qrp", path=str(Path(sys.executable).parent))
    assert exe, "the qrp console script should be installed next to the interpreter"
    r = subprocess.run([exe, "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "promotion refused" in r.stdout


@pytest.mark.parametrize("content,expect", [
    ("timestamp,open,high,low,close,volume\n2024-01-01T00:00:00Z,1,2,0.5,1.5,10\n"
     "2024-01-01T01:00:00Z,1.5,2,1,nan,10\n", "bad.csv:3"),
    ("timestamp,open,high,low,volume\n2024-01-01T00:00:00Z,1,2,0.5,10\n", "close"),
    ("timestamp,open,high,low,close,volume\n2024-01-01T01:00:00Z,1,2,0.5,1.5,10\n"
     "2024-01-01T00:00:00Z,1.5,2,1,1.2,10\n", "bad.csv:3"),
])
def test_bad_data_file_exits_2_and_writes_nothing(cli_db, tmp_path, content, expect):
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    con = sqlite3.connect(cli_db)
    before = [con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("artifacts", "datasets", "dataset_names")]
    r = qrp("data", "add", str(bad), "--name", "bad", "--db", str(cli_db))
    assert r.returncode == EXIT_BAD_INPUT, r.stderr
    assert expect in r.stderr and "Fix:" in r.stderr and "Traceback" not in r.stderr
    after = [con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
             for t in ("artifacts", "datasets", "dataset_names")]
    assert after == before

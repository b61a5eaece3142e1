"""Input hygiene (issue 11, part 6): user strings cannot forge output, user code cannot end a
run silently. Real ``qrp`` subprocesses on a real store.
"""

from __future__ import annotations

import json

from qrp_cli import CONFIG, qrp
from qrp_jupyter.cli import EXIT_BAD_INPUT, EXIT_OK

ESC = "\x1b"
FORGED_REASON = "overfit\n  [ok] governance event chain links and hashes verify\x1b[2J\x1b[32m"
FORGED_ACTOR = "mallory\n  verdict: ALL CHECKS PASS\x1b[0m"


def _candidate(db, tmp_path):
    r = qrp("run", str(tmp_path / "run.toml"), "--db", str(db), "--json")
    assert r.returncode == EXIT_OK, r.stderr
    r = qrp("candidates", "add", json.loads(r.stdout)["run_key"][:12], "--db", str(db), "--json")
    return json.loads(r.stdout)["candidate_id"]


def test_a_reason_and_an_actor_with_newlines_and_escapes_cannot_forge_the_audit(cli_db,
                                                                                 tmp_path):
    cid = _candidate(cli_db, tmp_path)
    r = qrp("reject", cid[:12], "--reason", FORGED_REASON, "--db", str(cli_db),
            env_extra={"QRP_ACTOR": FORGED_ACTOR})
    assert r.returncode == EXIT_OK, r.stderr
    out = qrp("audit", cid, "--db", str(cli_db)).stdout
    assert ESC not in out
    lines = out.splitlines()
    # The forged lines do not exist as lines (only the audit's own verdict and check); the
    # strings are shown escaped, in place, inside the event's line.
    assert len([line for line in lines if line.lstrip().startswith("verdict:")]) == 1
    assert len([line for line in lines
                if line.startswith("  [ok] governance event chain links")]) == 1
    event = next(line for line in lines if " rejected " in line and "reason:" in line)
    assert "by mallory\\n  verdict: ALL CHECKS PASS\\x1b[0m" in event
    assert "reason: overfit\\n  [ok] governance event chain" in event
    # Stored exactly as given: the hash chain covers the raw strings.
    j = json.loads(qrp("audit", cid, "--db", str(cli_db), "--json").stdout)
    assert j["events"][-1]["reason"] == FORGED_REASON
    assert j["events"][-1]["actor"] == FORGED_ACTOR


def test_an_escape_sequence_in_an_error_message_reaches_the_terminal_escaped(cli_db):
    r = qrp("run", "no\x1b[2Jsuch.toml", "--db", str(cli_db))
    assert r.returncode == EXIT_BAD_INPUT and "does not exist" in r.stderr
    assert ESC not in r.stderr and "no\\x1b[2Jsuch.toml" in r.stderr


def _user_run(db, tmp_path, body: str):
    (tmp_path / "signals.py").write_text(body)
    cfg = CONFIG.replace('kind = "ts_momentum"', 'kind = "user"\nfunction = "signals.py:sig"'
                         ).replace("lookback = [1, 2]", "k = [1, 2]")
    (tmp_path / "user.toml").write_text(cfg)
    before = qrp("runs", "--db", str(db), "--json").stdout
    r = qrp("run", str(tmp_path / "user.toml"), "--db", str(db))
    assert qrp("runs", "--db", str(db), "--json").stdout == before, "nothing may be recorded"
    return r


def test_a_strategy_that_calls_exit_is_an_error_and_records_nothing(cli_db, tmp_path):
    r = _user_run(cli_db, tmp_path, "def sig(close, k):\n    raise SystemExit(0)\n")
    assert r.returncode == EXIT_BAD_INPUT, (r.returncode, r.stderr)
    assert "called exit (SystemExit(0))" in r.stderr and "Traceback" not in r.stderr


def test_a_strategy_file_with_a_syntax_error_names_the_file_and_line(cli_db, tmp_path):
    r = _user_run(cli_db, tmp_path, "def sig(close, k):\n    return close *\n")
    assert r.returncode == EXIT_BAD_INPUT and "Traceback" not in r.stderr
    assert "does not compile" in r.stderr and "signals.py line 2" in r.stderr


def test_a_strategy_file_that_exits_at_import_is_an_error(cli_db, tmp_path):
    r = _user_run(cli_db, tmp_path, "raise SystemExit(3)\n")
    assert r.returncode == EXIT_BAD_INPUT and "Traceback" not in r.stderr
    assert "raised SystemExit: 3" in r.stderr

"""Clear exits for what the environment does (issue 11, part 4, first cases): a reader that
closes the pipe early, an empty --db, an in-memory --db that would lose every write."""

from __future__ import annotations

import os
import subprocess
import sys

from qrp_cli import qrp
from qrp_jupyter.cli import EXIT_BAD_INPUT


def test_a_closed_pipe_is_a_one_line_message_not_a_traceback(cli_db):
    env = {**os.environ, "QRP_ACTOR": "cli-test"}
    p = subprocess.Popen([sys.executable, "-m", "qrp_jupyter.cli", "data", "list", "--db",
                          str(cli_db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    p.stdout.close()  # the reader is gone before the first byte is written (`| head -0`)
    err = p.stderr.read().decode()
    assert p.wait() == EXIT_BAD_INPUT
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert err.strip() == ("qrp data: output cut: the reading end of the pipe closed (the "
                           "command's writes, if any, are committed)")


def test_an_empty_db_path_is_named_as_such(tmp_path):
    r = qrp("verify", "--db", "", cwd=tmp_path)
    assert r.returncode == EXIT_BAD_INPUT and "--db is empty" in r.stderr
    assert "directory" not in r.stderr and list(tmp_path.iterdir()) == []


def test_an_in_memory_store_is_refused_before_it_swallows_a_write(tmp_path):
    r = qrp("data", "add", "--synthetic", "--bars", "300", "--db", ":memory:", cwd=tmp_path)
    assert r.returncode == EXIT_BAD_INPUT and "--db :memory:" in r.stderr
    assert "registered" not in r.stdout and list(tmp_path.iterdir()) == []

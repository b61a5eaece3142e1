"""A file that is not a QRP store is never modified (issue 11, part 1, first increment).

Before: `qrp verify` on an empty file or on another application's SQLite database wrote QRP's
schema into it and reported OK.
"""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from qrp_cli import CONFIG, qrp
from qrp_jupyter.cli import EXIT_BAD_INPUT, EXIT_OK


def _files(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def _other_app(path):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    con.execute("INSERT INTO invoices (amount) VALUES (12.5)")
    con.commit()
    con.close()


COMMANDS = [("verify",), ("runs",), ("candidates",), ("digest",), ("data", "list"),
            ("data", "add", "--synthetic", "--bars", "300"), ("run", "cfg.toml")]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize("kind", ["other-app", "text"])
def test_no_command_touches_a_file_that_is_not_a_store(tmp_path, command, kind):
    db = tmp_path / "file.db"
    if kind == "other-app":
        _other_app(db)
    else:
        db.write_text("name,amount\nx,1\n")
    (tmp_path / "cfg.toml").write_text(CONFIG)
    before = _files(tmp_path)
    r = qrp(*command, "--db", str(db), cwd=tmp_path)
    assert r.returncode == EXIT_BAD_INPUT, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr
    want = "another application's SQLite database (tables: invoices)" if kind == "other-app" \
        else "is not a SQLite database (left as it is)"
    assert want in r.stderr
    assert _files(tmp_path) == before


def test_an_empty_file_is_not_a_store_for_reading_but_init_makes_it_one(tmp_path):
    db = tmp_path / "empty.sqlite"
    db.touch()
    r = qrp("verify", "--db", str(db))
    assert r.returncode == EXIT_BAD_INPUT and "is an empty file, not a QRP store" in r.stderr
    assert _files(tmp_path) == {"empty.sqlite": hashlib.sha256(b"").hexdigest()}
    assert qrp("init", "--db", str(db)).returncode == EXIT_OK
    assert qrp("verify", "--db", str(db)).returncode == EXIT_OK

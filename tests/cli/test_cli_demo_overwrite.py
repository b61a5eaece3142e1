"""`qrp demo --overwrite` replaces only a store the demo created (issue 11, part 5)."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from qrp_cli import qrp
from qrp_jupyter.cli import EXIT_BAD_INPUT, EXIT_OK
from qrp_jupyter.demo import DEMO_MARKER
from qrp_jupyter.store import first_event_kind


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_overwrite_replaces_a_demo_store(tmp_path):
    db = tmp_path / "demo.sqlite"
    assert qrp("demo", "--db", str(db), "--json").returncode == EXIT_OK
    assert first_event_kind(db) == DEMO_MARKER
    again = qrp("demo", "--db", str(db), "--json")
    assert again.returncode == EXIT_BAD_INPUT and "--overwrite" in again.stderr
    assert qrp("demo", "--db", str(db), "--overwrite", "--json").returncode == EXIT_OK


def _research_store(path):
    assert qrp("init", "--db", str(path)).returncode == EXIT_OK
    assert qrp("data", "add", "--synthetic", "--bars", "600", "--name", "mine",
               "--db", str(path)).returncode == EXIT_OK


def _other_app(path):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (body TEXT)")
    con.execute("INSERT INTO notes VALUES ('do not lose me')")
    con.commit()
    con.close()


@pytest.mark.parametrize("make", [_research_store, _other_app,
                                  lambda p: p.write_text("plain text, not SQLite\n")],
                         ids=["qrp research store", "another app's SQLite", "a text file"])
def test_overwrite_refuses_anything_else_and_leaves_it_byte_identical(tmp_path, make):
    db = tmp_path / "precious.sqlite"
    make(db)
    before = {p.name: _digest(p) for p in tmp_path.iterdir()}
    r = qrp("demo", "--db", str(db), "--overwrite")
    assert r.returncode == EXIT_BAD_INPUT and "Traceback" not in r.stderr
    assert "was not created by `qrp demo`" in r.stderr and "left as it is" in r.stderr
    assert {p.name: _digest(p) for p in tmp_path.iterdir()} == before


def test_a_directory_is_a_clear_error(tmp_path):
    r = qrp("demo", "--db", str(tmp_path), "--overwrite")
    assert r.returncode == EXIT_BAD_INPUT and "is a directory" in r.stderr
    assert "Traceback" not in r.stderr and list(tmp_path.iterdir()) == []

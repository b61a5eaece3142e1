"""The README's ledger recipe (sqlite3 + sha256sum, and the stdlib row hash) gives the hashes
QRP stored, on a real store."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from qrp_jupyter.governance import create_candidate, promote
from tools import required_program

README = Path(__file__).resolve().parents[2] / "README.md"


def _block(after: str, fence: str) -> str:
    text = README.read_text(encoding="utf-8")
    rest = text[text.index(after):]
    rest = rest[rest.index(f"```{fence}\n") + len(fence) + 4:]
    return rest[:rest.index("```")]


def _sqlite3_cli() -> str:
    return required_program("sqlite3", install="apt-get install sqlite3")


@pytest.fixture
def promoted(world):
    c = create_candidate(world.store, world.edge.run_instance_id)
    promote(world.store, c["candidate_id"], "candidate")
    return world


def test_readme_block_hash_recipe_reproduces_the_head(promoted):
    _sqlite3_cli()
    script = _block("A reviewer can recompute the newest block's hash", "bash")
    script = script.replace("DB=qrp-demo.sqlite", f"DB='{promoted.store.path}'")
    out = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True,
                         text=True, check=True).stdout.split()
    raw = sqlite3.connect(promoted.store.path)
    head, n_tables = raw.execute(
        "SELECT block_hash, (SELECT COUNT(DISTINCT table_name) FROM ledger_entries e "
        "WHERE e.block_seq = b.block_seq) FROM ledger_blocks b "
        "ORDER BY block_seq DESC LIMIT 1").fetchone()
    assert n_tables >= 3  # the promotion wrote reports, lineage, events, the candidate
    assert len(out) == 2 * n_tables + 2
    pairs = list(zip(out[::2], out[1::2]))
    assert all(a == b for a, b in pairs), pairs
    assert out[-1] == head


def test_readme_row_hash_recipe_gives_the_ledger_entry(promoted, tmp_path):
    code = _block("In Python's standard library:", "python")
    code = code.replace('"qrp-demo.sqlite"', repr(promoted.store.path))
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    raw = sqlite3.connect(promoted.store.path)
    cur = raw.execute("SELECT * FROM runs LIMIT 1")
    run_key = cur.fetchone()[0]
    want = raw.execute("SELECT row_hash FROM ledger_entries WHERE table_name = 'runs' AND "
                       "row_key = ?", (json.dumps([run_key]),)).fetchone()[0]
    assert got == want

"""The environment's faults are clear exits (issue 11, part 4): a full disk, a file-size limit,
a --db that is a device, a schema record deleted by hand. Each is exit 2 (4 for damage) with
a message naming the fault and what to do, no traceback, and nothing partial in the store.

The full disk is a real one: a tmpfs of a few hundred KiB mounted for the test (root in CI).
"""

from __future__ import annotations

import hashlib
import os
import resource
import sqlite3
import subprocess
import sys

import pytest

from qrp_cli import qrp
from qrp_jupyter.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEMS
from tools import privileged


def _listed(db) -> str:
    return qrp("data", "list", "--db", str(db)).stdout.strip()


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    privileged("mount a small tmpfs", ["mount", "-t", "tmpfs", "-o", "size=640k", "tmpfs",
                                       str(mount)])
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_named_and_leaves_the_store_as_it_was(small_disk):
    db = small_disk / "s.sqlite"
    assert qrp("init", "--db", str(db)).returncode == EXIT_OK
    assert qrp("data", "add", "--synthetic", "--bars", "200", "--name", "small", "--db",
               str(db)).returncode == EXIT_OK
    before = _listed(db)
    r = qrp("data", "add", "--synthetic", "--bars", "40000", "--name", "big", "--db", str(db))
    assert r.returncode == EXIT_BAD_INPUT, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "the disk holding the store is full; nothing was written" in r.stderr
    assert "rule store:disk-full" in r.stderr and "free space" in r.stderr
    assert _listed(db) == before and "big" not in before
    assert qrp("verify", "--db", str(db)).returncode == EXIT_OK


def _limited(limit: int, *argv: str, cwd) -> subprocess.CompletedProcess:
    def cap():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    env = {**os.environ, "QRP_ACTOR": "cli-test"}
    return subprocess.run([sys.executable, "-m", "qrp_jupyter.cli", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, preexec_fn=cap)


def test_a_file_size_limit_is_named_and_leaves_the_store_as_it_was(tmp_path):
    db = tmp_path / "s.sqlite"
    assert qrp("init", "--db", str(db)).returncode == EXIT_OK
    limit = db.stat().st_size + 64 * 1024
    r = _limited(limit, "data", "add", "--synthetic", "--bars", "40000", "--db", str(db),
                 cwd=tmp_path)
    assert r.returncode == EXIT_BAD_INPUT, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert f"the file-size limit of this process ({limit:,} bytes, `ulimit -f`)" in r.stderr
    assert "rule store:io-error" in r.stderr and "ulimit -f unlimited" in r.stderr
    assert _listed(db) == "(none)"
    assert qrp("verify", "--db", str(db)).returncode == EXIT_OK


@pytest.mark.parametrize("argv", [["verify"], ["data", "add", "--synthetic", "--bars", "300"],
                                  ["init"]])
def test_a_device_as_db_is_named_not_a_rollback_error(argv):
    r = qrp(*argv, "--db", os.devnull)
    assert r.returncode == EXIT_BAD_INPUT and "Traceback" not in r.stderr
    assert "is not a regular file (a device, a pipe or a socket)" in r.stderr
    assert "rollback" not in r.stderr


def test_a_deleted_migrations_row_is_named_as_an_edit_not_a_failed_migration(tmp_path):
    db = tmp_path / "s.sqlite"
    assert qrp("data", "add", "--synthetic", "--bars", "300", "--db", str(db)).returncode == 0
    raw = sqlite3.connect(db, isolation_level=None)
    raw.execute("DROP TRIGGER trg_schema_migrations_no_delete")  # what an insider does first
    raw.execute("DELETE FROM schema_migrations WHERE version = 1")
    raw.close()
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    for argv in (["verify"], ["runs"], ["data", "add", "--synthetic", "--bars", "300"]):
        r = qrp(*argv, "--db", str(db))
        assert r.returncode == EXIT_PROBLEMS and "Traceback" not in r.stderr, (argv, r.stderr)
        assert "has the objects migration 1 ('initial governed store') creates" in r.stderr
        assert "no schema_migrations row for it: that record was deleted" in r.stderr
        assert "already exists" not in r.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest

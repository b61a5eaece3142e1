"""Read paths that never write (issue 11, part 1): every reading command works on a read-only
mount, on an immutable file and while another process holds the write lock; it runs no
migration and leaves the store's bytes as they were; a write command on such a store is a
clear refusal naming the fault; a command that fails leaves no store file behind.

The mounts and ``chattr +i`` are real (the tests run as root in CI; elsewhere they are skipped
when the machine does not allow them).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from qrp_cli import qrp
from qrp_jupyter.cli import EXIT_BAD_INPUT, EXIT_OK
from tools import privileged


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A populated store (the demo: datasets, runs, an accepted and a refused candidate), its
    candidate ids and what every reading command prints on the writable original."""
    folder = tmp_path_factory.mktemp("demo")
    db = folder / "demo.sqlite"
    assert qrp("demo", "--db", str(db)).returncode == EXIT_OK
    cands = json.loads(qrp("candidates", "--db", str(db), "--json").stdout)
    ids = [c["candidate_id"] for c in cands]
    return db, ids, {name: _read(db, argv) for name, argv in _readers(ids).items()}


def _readers(ids: list[str]) -> dict[str, list[str]]:
    return {"verify": ["verify"], "runs": ["runs"], "candidates": ["candidates"],
            "digest": ["digest"], "data list": ["data", "list"],
            "audit": ["audit", ids[0]], "lineage": ["lineage", ids[0]]}


def _read(db, argv: list[str]):
    r = qrp(*argv, "--db", str(db), "--json")
    return r.returncode, r.stdout, r.stderr


def _writers(ids: list[str]) -> dict[str, list[str]]:
    return {"reject": ["reject", ids[-1], "--reason", "r"],
            "promote": ["promote", ids[-1], "--to", "candidate"],
            "data add": ["data", "add", "--synthetic", "--bars", "300"],
            "init": ["init"]}


def _copy(db, folder):
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(db, folder / db.name)
    return folder / db.name


@pytest.fixture
def ro_mount(tmp_path):
    """``(source, mount)``: ``mount`` is a read-only bind mount of the folder ``source``."""
    src, dst = tmp_path / "src", tmp_path / "ro"
    src.mkdir()
    dst.mkdir()
    privileged("bind-mount a folder", ["mount", "--bind", str(src), str(dst)])
    try:
        privileged("remount it read-only", ["mount", "-o", "remount,bind,ro", str(dst)])
        yield src, dst
    finally:
        subprocess.run(["umount", "-l", str(dst)], check=False)


def test_every_read_works_on_a_read_only_mount_with_the_same_output(demo, ro_mount):
    db, ids, expected = demo
    src, dst = ro_mount
    _copy(db, src)
    before = _sha(src / db.name)
    for name, argv in _readers(ids).items():
        code, out, err = _read(dst / db.name, argv)
        assert (code, err) == (EXIT_OK, ""), (name, err)
        assert out.replace(str(dst), str(db.parent)) == \
            expected[name][1].replace(str(db.parent), str(db.parent)), name
    assert _sha(src / db.name) == before
    assert sorted(p.name for p in src.iterdir()) == [db.name]  # not even a -wal or -shm


def test_every_write_on_a_read_only_mount_names_the_fault(demo, ro_mount):
    db, ids, _ = demo
    src, dst = ro_mount
    _copy(db, src)
    before = _sha(src / db.name)
    for name, argv in _writers(ids).items():
        r = qrp(*argv, "--db", str(dst / db.name))
        assert r.returncode == EXIT_BAD_INPUT, (name, r.stderr)
        assert "Traceback" not in r.stderr, name
        assert "cannot be written: the folder holding it is on a read-only file system" in \
            r.stderr or "the store file is on a read-only file system" in r.stderr, r.stderr
        assert "rule store:read-only" in r.stderr, name
    assert _sha(src / db.name) == before


def test_a_read_only_mount_reads_the_commits_still_in_the_write_ahead_log(demo, ro_mount):
    """A writer keeps the store open in the source folder (so its -wal holds commits and its
    -shm exists); a reader through the read-only mount sees the newest commit."""
    db, ids, _ = demo
    src, dst = ro_mount
    live = _copy(db, src)
    holder = _hold(live, commit_first=True)
    try:
        assert (src / f"{db.name}-wal").stat().st_size > 0
        fresh = json.loads(qrp("digest", "--db", str(live), "--json").stdout)["digest"]
        code, out, err = _read(dst / db.name, ["digest"])
        assert (code, err) == (EXIT_OK, "")
        assert json.loads(out)["digest"] == fresh
        assert fresh != json.loads(_read(db, ["digest"])[1])["digest"]  # the new commit
    finally:
        _release(holder)


def test_a_log_a_read_only_reader_cannot_use_is_refused_not_misread(demo, tmp_path):
    """Commits in a -wal with no -shm, in a folder the reader cannot write: reading the file
    alone would show an older store, so the reader refuses and says what to do."""
    db, ids, _ = demo
    src = tmp_path / "src"
    live = _copy(db, src)
    holder = _hold(live, commit_first=True)
    try:
        frozen = tmp_path / "frozen"
        frozen.mkdir()
        for suffix in ("", "-wal"):  # what a careless archive keeps: no -shm
            shutil.copy2(f"{live}{suffix}", frozen / f"{db.name}{suffix}")
    finally:
        _release(holder)
    dst = tmp_path / "ro"
    dst.mkdir()
    privileged("bind-mount a folder", ["mount", "--bind", str(frozen), str(dst)])
    try:
        privileged("remount it read-only", ["mount", "-o", "remount,bind,ro", str(dst)])
        r = qrp("verify", "--db", str(dst / db.name))
    finally:
        subprocess.run(["umount", "-l", str(dst)], check=False)
    assert r.returncode == EXIT_BAD_INPUT and "Traceback" not in r.stderr
    assert "has commits in its write-ahead log" in r.stderr
    assert "copy the store together with its -wal file" in r.stderr


@pytest.fixture
def immutable(demo, tmp_path):
    db, ids, _ = demo
    path = _copy(db, tmp_path / "imm")
    privileged("mark a file immutable", ["chattr", "+i", str(path)])
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def test_an_immutable_store_reads_and_refuses_writes_by_name(demo, immutable):
    db, ids, expected = demo
    before = _sha(immutable)
    for name, argv in _readers(ids).items():
        code, out, err = _read(immutable, argv)
        assert (code, err) == (EXIT_OK, ""), (name, err)
        assert out.replace(str(immutable.parent), str(db.parent)) == expected[name][1], name
    for name, argv in _writers(ids).items():
        r = qrp(*argv, "--db", str(immutable))
        assert r.returncode == EXIT_BAD_INPUT and "Traceback" not in r.stderr, (name, r.stderr)
        assert "the store file is marked immutable (chattr +i)" in r.stderr, r.stderr
        assert "rule store:read-only" in r.stderr
    assert _sha(immutable) == before


# -- another process holds the write lock ------------------------------------------------------

_HOLDER = textwrap.dedent("""
    import sys
    from qrp_jupyter.data import synthetic
    from qrp_jupyter.runs import register_dataset
    from qrp_jupyter.store import Store
    store = Store(sys.argv[1])
    store._conn.execute("PRAGMA wal_autocheckpoint = 0")
    if sys.argv[2] == "commit":  # leave a commit in the -wal, not yet in the file
        register_dataset(store, synthetic(n_bars=200, seed=5), name="while-held")
    store._conn.execute("BEGIN IMMEDIATE")  # and hold the write lock
    print("holding", flush=True)
    sys.stdin.readline()
    store._conn.execute("ROLLBACK")
""")


def _hold(db, *, commit_first: bool = False) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", _HOLDER, str(db),
                          "commit" if commit_first else "hold"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "holding"
    return p


def _release(p: subprocess.Popen) -> None:
    p.stdin.write("\n")
    p.stdin.close()
    p.wait(timeout=30)


def test_reads_go_on_while_another_process_holds_the_write_lock(demo, tmp_path):
    """With a one-second busy timeout, a reader that needed the lock would fail; every one
    finishes while the lock is held, and a writer is refused naming the lock."""
    db, ids, expected = demo
    live = _copy(db, tmp_path / "live")
    holder = _hold(live)
    try:
        env = {"QRP_BUSY_TIMEOUT": "1"}
        for name, argv in _readers(ids).items():
            r = qrp(*argv, "--db", str(live), "--json", env_extra=env)
            assert (r.returncode, r.stderr) == (EXIT_OK, ""), (name, r.stderr)
            assert r.stdout.replace(str(live.parent), str(db.parent)) == expected[name][1]
        r = qrp("reject", ids[-1], "--reason", "r", "--db", str(live), env_extra=env)
        assert r.returncode == EXIT_BAD_INPUT and "Traceback" not in r.stderr
        assert "the store is locked: another process held its write lock longer than the " \
               "busy timeout of 1 s" in r.stderr
        assert "rule store:locked" in r.stderr and "QRP_BUSY_TIMEOUT" in r.stderr
    finally:
        _release(holder)
    after = json.loads(qrp("candidates", "--db", str(live), "--json").stdout)
    assert [c["status"] for c in after] == \
        [c["status"] for c in json.loads(expected["candidates"][1])]  # the reject did nothing


def test_an_unusable_busy_timeout_setting_is_named(demo, tmp_path):
    db, ids, _ = demo
    r = qrp("runs", "--db", str(db), env_extra={"QRP_BUSY_TIMEOUT": "soon"})
    assert r.returncode == EXIT_BAD_INPUT and "QRP_BUSY_TIMEOUT='soon'" in r.stderr


def test_a_reader_runs_no_migration_and_refuses_a_store_that_needs_one(demo, tmp_path):
    """A store from before migration 2: a reader does not migrate it (its bytes stay), and
    says how to; `qrp init` then migrates it."""
    import sqlite3

    from qrp_jupyter.store.migrations import CREATE_SCHEMA_MIGRATIONS, migration_digest, \
        migrations
    old = tmp_path / "old.sqlite"
    conn = sqlite3.connect(old, isolation_level=None)
    conn.execute(CREATE_SCHEMA_MIGRATIONS)
    version, name, statements = migrations()[0]
    for stmt in statements:
        conn.execute(stmt)
    conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?, 'then')",
                 (version, name, migration_digest(statements)))
    conn.close()
    before = _sha(old)
    for argv in (["verify"], ["runs"], ["digest"]):
        r = qrp(*argv, "--db", str(old))
        assert r.returncode == EXIT_BAD_INPUT and "predates schema migrations [2, 3]" in r.stderr
        assert "run `qrp init --db`" in r.stderr
    assert _sha(old) == before
    assert qrp("init", "--db", str(old)).returncode == EXIT_OK
    assert qrp("verify", "--db", str(old)).returncode == EXIT_OK


# -- nothing creates a store file unless a write succeeds --------------------------------------

def test_failing_commands_on_a_new_path_leave_no_file(tmp_path):
    (tmp_path / "bad.toml").write_text("name = \n")
    (tmp_path / "unknown.toml").write_text(
        'name = "x"\nfamily = "f"\n[data]\ndataset = "nope"\n[strategy]\nkind = "ts_momentum"'
        '\n[strategy.grid]\nlookback = [1, 2]\n')
    (tmp_path / "bad.csv").write_text("timestamp,open,high,low,close,volume\n1,x,1,1,1,1\n")
    cases = [["run", "bad.toml"], ["run", "unknown.toml"], ["data", "add", "bad.csv"],
             ["promote", "abcdef", "--to", "candidate"], ["verify"], ["runs"], ["digest"],
             ["candidates", "add", "abcdef"], ["replay", "abcdef"]]
    for argv in cases:
        r = qrp(*argv, "--db", "new.sqlite", cwd=tmp_path)
        assert r.returncode == EXIT_BAD_INPUT and "Traceback" not in r.stderr, (argv, r.stderr)
        assert not any(p.name.startswith("new.sqlite") for p in tmp_path.iterdir()), argv
    assert qrp("data", "add", "--synthetic", "--bars", "300", "--db", "new.sqlite",
               cwd=tmp_path).returncode == EXIT_OK
    assert (tmp_path / "new.sqlite").exists()


def test_a_store_in_a_missing_folder_names_the_folder_and_creates_nothing(tmp_path):
    target = tmp_path / "missing" / "deeper" / "q.sqlite"
    for argv in (["init"], ["data", "add", "--synthetic", "--bars", "300"], ["demo"]):
        r = qrp(*argv, "--db", str(target))
        assert r.returncode == EXIT_BAD_INPUT and "Traceback" not in r.stderr, (argv, r.stderr)
        assert f"the folder '{tmp_path / 'missing'}' does not exist" in r.stderr, r.stderr
        assert "rule store:no-folder" in r.stderr and "mkdir -p" in r.stderr, r.stderr
        assert "not writable" not in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    target.parent.mkdir(parents=True)
    assert qrp("init", "--db", str(target)).returncode == EXIT_OK


def test_a_store_whose_first_write_rolls_back_has_no_file_and_writes_later(tmp_path):
    from qrp_jupyter.data import synthetic
    from qrp_jupyter.runs import list_datasets, register_dataset
    from qrp_jupyter.store import Store
    path = tmp_path / "s.sqlite"
    store = Store(path)
    assert store.all("runs.all") == [] and not path.exists()  # reads as an empty store
    with pytest.raises(RuntimeError):
        with store.transaction():
            register_dataset(store, synthetic(n_bars=300, seed=1), name="lost")
            assert path.exists()  # made for the write...
            raise RuntimeError("the write fails half-way")
    assert not path.exists()
    register_dataset(store, synthetic(n_bars=300, seed=1), name="one")
    store.close()
    assert path.exists()
    with Store(path, readonly=True) as again:
        assert [d["names"] for d in list_datasets(again)] == ["one"]

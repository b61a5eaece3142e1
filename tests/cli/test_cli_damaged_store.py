"""Damage is reported, not raised (issue 11, part 2): on a file with flipped bytes or a zeroed
page, ``verify``, ``audit`` and ``replay`` exit 4 and say what they could check and where the
damage is; ``replay`` compares every stored output's blob and refuses identity fields that do
not verify, however consistently the insider re-sealed the ledger.
"""

from __future__ import annotations

import json
import random
import shutil

import pytest

from qrp_cli import qrp
from qrp_jupyter.cli import EXIT_OK, EXIT_PROBLEMS
from qrp_jupyter.errors import IntegrityProblem
from qrp_jupyter.runs import replay_run
from qrp_jupyter.store.migrations import expected_schema
from insider import connect, row, sealed, without

PAGE = 4096


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("damage")
    db = folder / "demo.sqlite"
    assert qrp("demo", "--db", str(db)).returncode == EXIT_OK
    cands = json.loads(qrp("candidates", "--db", str(db), "--json").stdout)
    runs = json.loads(qrp("runs", "--db", str(db), "--json").stdout)
    accepted = next(c["candidate_id"] for c in cands if c["status"] == "accepted")
    return db, accepted, runs[0]["run_key"]


def _damaged(demo, tmp_path, edit) -> str:
    db = demo[0]
    path = tmp_path / "damaged.sqlite"
    data = bytearray(db.read_bytes())
    edit(data)
    path.write_bytes(bytes(data))
    return str(path)


def _three(demo, path):
    _, cid, run_key = demo
    return {"verify": qrp("verify", "--db", path),
            "audit": qrp("audit", cid, "--db", path),
            "replay": qrp("replay", run_key, "--db", path)}


def _flip(seed: int, n: int = 40):
    def edit(data: bytearray) -> None:
        rng = random.Random(seed)
        for _ in range(n):
            i = rng.randrange(100, len(data))  # past the header's page size and counters
            data[i] ^= 1 << rng.randrange(8)
    return edit


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_forty_flipped_bits_end_in_exit_4_with_the_damage_named(demo, tmp_path, seed):
    path = _damaged(demo, tmp_path, _flip(seed))
    for name, r in _three(demo, path).items():
        assert r.returncode == EXIT_PROBLEMS, (name, r.stdout[-400:], r.stderr[-800:])
        assert "Traceback" not in r.stderr, (name, r.stderr[-800:])
        assert "IDENTICAL" not in r.stdout, name
    v = _three(demo, path)["verify"]
    assert "problem(s)" in v.stdout and "- " in v.stdout


def _zero(page: int):
    def edit(data: bytearray) -> None:
        data[(page - 1) * PAGE: page * PAGE] = bytes(PAGE)
    return edit


def _root_page(db, table: str) -> int:
    import sqlite3
    c = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
    try:
        return c.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                         (table,)).fetchone()[0]
    finally:
        c.close()


@pytest.mark.parametrize("table", ["datasets", "runs", "governance_events", "ledger_entries"])
def test_a_zeroed_root_page_names_its_table_and_the_other_checks_still_run(demo, tmp_path,
                                                                           table):
    root = _root_page(demo[0], table)
    path = _damaged(demo, tmp_path, _zero(root))
    out = _three(demo, path)
    for name, r in out.items():
        assert r.returncode == EXIT_PROBLEMS and "Traceback" not in r.stderr, \
            (name, r.stderr[-800:])
    v = json.loads(qrp("verify", "--db", path, "--json").stdout)
    assert {"where": f"table {table} (root page {root})",
            "detail": "unreadable from its first row: database disk image is malformed"} \
        in v["damage"]
    # what it could still check, it did: every table, index, trigger and view of the schema
    assert v["checked"].get("schema objects") == len(expected_schema()) == 87
    assert "the file is damaged" in out["verify"].stdout
    assert f"table {table} (root page {root})" in out["replay"].stderr
    assert "a replay recorded in it could not be trusted" in out["replay"].stderr


def test_an_unreadable_event_chain_is_not_checked_rather_than_blamed_on_the_candidates(
        demo, tmp_path):
    # With governance_events unreadable the candidates' statuses cannot be compared with the
    # chain: verify lists that comparison as not made instead of inventing one finding per
    # candidate ("no governance event records this candidate").
    path = _damaged(demo, tmp_path, _zero(_root_page(demo[0], "governance_events")))
    v = json.loads(qrp("verify", "--db", path, "--json").stdout)
    assert "governance events" in v["not_checked"]
    details = [p["problem"] for p in v["problems"]]
    assert not [d for d in details if "no governance event records" in d], details
    assert not [d for d in details if "neither built in nor registered" in d], details
    assert v["checked"]["promotion_candidates"] == 2  # the rest of the candidate checks ran


@pytest.mark.parametrize("page", [2, 50, 300, -1])
def test_a_zeroed_page_anywhere_is_exit_4_never_a_traceback(demo, tmp_path, page):
    n_pages = demo[0].stat().st_size // PAGE
    path = _damaged(demo, tmp_path, _zero(n_pages if page == -1 else page))
    for name, r in _three(demo, path).items():
        assert r.returncode == EXIT_PROBLEMS, (name, r.stdout[-400:], r.stderr[-800:])
        assert "Traceback" not in r.stderr, (name, r.stderr[-800:])


def test_a_zeroed_first_page_is_not_a_store_and_is_left_alone(demo, tmp_path):
    path = _damaged(demo, tmp_path, _zero(1))
    before = open(path, "rb").read()
    for name, r in _three(demo, path).items():
        assert r.returncode in (2, EXIT_PROBLEMS) and "Traceback" not in r.stderr, name
        assert "is not a SQLite database" in r.stderr, (name, r.stderr)
    assert open(path, "rb").read() == before


def test_a_stopped_audit_lists_the_checks_it_made(demo, tmp_path):
    path = _damaged(demo, tmp_path, _zero(_root_page(demo[0], "datasets")))
    r = qrp("audit", demo[1], "--db", path)
    assert "verdict: STOPPED: the chain could not be read to its end" in r.stdout
    assert "[ok] candidate_id = H(run_key, trial_index)" in r.stdout
    assert "table datasets (root page" in r.stdout
    payload = json.loads(qrp("audit", demo[1], "--db", path, "--json").stdout)
    assert payload["stopped"] and payload["ok"] is False and len(payload["checks"]) >= 5


# -- replay compares what was recorded, not only ids -------------------------------------------

def _output(world, kind: str) -> str:
    inst = row(world.store, "SELECT result_json FROM run_instances WHERE run_instance_id = ?",
               (world.edge.run_instance_id,))
    return json.loads(inst[0])["artifacts"][kind]


def test_replay_refuses_a_corrupt_output_blob_that_its_id_still_names(world):
    aid = _output(world, "returns_matrix")
    with connect(world.store) as c, without(c, "trg_artifacts_no_update"):
        c.execute("UPDATE artifacts SET data = zeroblob(length(data)) WHERE artifact_id = ?",
                  (aid,))
    with pytest.raises(IntegrityProblem, match=f"artifact {aid[:12]}'s bytes do not hash"):
        replay_run(world.store, world.edge.run_key)


def test_replay_refuses_an_edited_identity_schema_version(world):
    with connect(world.store) as c, without(c, "trg_runs_no_update"):
        c.execute("UPDATE runs SET identity_schema_version = 2 WHERE run_key = ?",
                  (world.edge.run_key,))
    with pytest.raises(IntegrityProblem, match="changed since ledger block"):
        replay_run(world.store, world.edge.run_key)


def test_replay_refuses_an_identity_edit_the_insider_sealed_into_the_ledger(world):
    """The ledger-aware insider records the edit in a block of their own, so the ledger
    vouches for the row as it is now; the identity check still refuses it."""
    with connect(world.store) as c, without(c, "trg_runs_no_update"), sealed(c):
        c.execute("UPDATE runs SET identity_schema_version = 2 WHERE run_key = ?",
                  (world.edge.run_key,))
    with pytest.raises(IntegrityProblem, match="identity_schema_version 2 does not verify: "
                                               "its run_key is made with version 1"):
        replay_run(world.store, world.edge.run_key)

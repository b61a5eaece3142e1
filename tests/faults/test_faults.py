"""Fault tests: SIGKILL during a write, and concurrent writers, on a real SQLite file.

The writers are separate Python processes, killed for real; afterwards the store must hold no
partial run (every instance complete, nothing orphaned), verify clean, and keep a valid chain.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from qrp_jupyter.audit import verify
from qrp_jupyter.runs import OUTPUT_KINDS
from qrp_jupyter.store import Store

import insider

pytestmark = pytest.mark.slow

CONFIG = """\
family = "fault-{tag}"
[data]
dataset = "edge"
[strategy]
kind = "ts_momentum"
[strategy.grid]
lookback = [1, 2, {lb}]
[costs]
fee_bps = {fee}
[walk_forward]
n_folds = 2
[nulls.reality_check]
reps = 99
"""

PRELUDE = textwrap.dedent("""
    import os, sys, time
    os.environ["QRP_ACTOR"] = "fault-test"
    from qrp_jupyter.store import Store
    from qrp_jupyter.runs import execute_run
    from qrp_jupyter.governance import create_candidate, promote
    CONFIG = {config!r}
""")


def child(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def complete_instances(store: Store) -> None:
    """Every instance has every output artifact in its lineage, stored and hash-verified."""
    for inst in insider.rows(store, "SELECT run_instance_id FROM run_instances"):
        kinds = {r["kind"]: r["artifact_id"] for r in insider.rows(store,
            "SELECT kind, artifact_id FROM artifact_lineage WHERE run_instance_id = ?",
            (inst["run_instance_id"],))}
        # the fault config leaves the opt-in permutation test off; every other kind is due
        due = set(OUTPUT_KINDS) - {"permutation", "permutation_null_distribution"}
        assert due <= set(kinds), inst["run_instance_id"]
        for aid in kinds.values():
            store.get_artifact(aid)
    orphans = insider.row(store, "SELECT COUNT(*) AS n FROM runs WHERE run_key NOT IN "
                                 "(SELECT run_key FROM run_instances)")["n"]
    assert orphans == 0


@pytest.fixture
def fault_db(_world_template, tmp_path):
    import shutil
    src = _world_template[0]
    dst = tmp_path / "fault.sqlite"
    shutil.copyfile(src, dst)
    return dst


def counts(path) -> dict[str, int]:
    s = Store(path)
    try:
        return {t: insider.row(s, f"SELECT COUNT(*) AS n FROM {t}")["n"] for t in
                ("runs", "run_instances", "trials", "artifacts", "artifact_lineage",
                 "artifact_edges")}
    finally:
        s.close()


def test_sigkill_inside_the_run_transaction_leaves_nothing(fault_db, tmp_path):
    flag = tmp_path / "in-transaction"
    code = PRELUDE.format(config=CONFIG.format(tag="kill", lb=3, fee=1.0)) + textwrap.dedent("""
        real_put = Store.put_artifact
        n = [0]
        def put_then_stall(self, data, media):
            aid = real_put(self, data, media)
            n[0] += 1
            if n[0] == 4:  # several artifact rows written, transaction still open
                open(sys.argv[2], "w").write("ok")
                time.sleep(120)
            return aid
        Store.put_artifact = put_then_stall
        execute_run(Store(sys.argv[1]), CONFIG)
    """)
    before = counts(fault_db)
    p = child(code, str(fault_db), str(flag))
    deadline = time.time() + 120
    while not flag.exists():
        assert p.poll() is None, p.communicate()
        assert time.time() < deadline, "child never reached the transaction"
        time.sleep(0.05)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert p.returncode == -signal.SIGKILL
    assert counts(fault_db) == before
    s = Store(fault_db)
    rep = verify(s)
    assert rep.ok, rep.text()
    complete_instances(s)
    s.close()


def test_sigkill_at_random_moments_never_leaves_a_partial_run(fault_db):
    code = PRELUDE.format(config=CONFIG) + textwrap.dedent("""
        s = Store(sys.argv[1])
        for i in range(100):
            execute_run(s, CONFIG.format(tag="rand", lb=3 + i, fee=float(i)))
            print("done", i, flush=True)
    """)
    rng = random.Random(20241126)
    for _ in range(3):
        p = child(code, str(fault_db))
        time.sleep(rng.uniform(1.5, 4.0))
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        s = Store(fault_db)
        rep = verify(s)
        assert rep.ok, rep.text()
        complete_instances(s)
        s.close()


def test_two_processes_writing_runs_and_promotions_at_once(fault_db):
    code = PRELUDE.format(config=CONFIG) + textwrap.dedent("""
        s = Store(sys.argv[1])
        tag = sys.argv[2]
        for i in range(4):
            out = execute_run(s, CONFIG.format(tag=tag, lb=3 + i, fee=0.5))
            c = create_candidate(s, out.run_instance_id)
            promote(s, c["candidate_id"], "candidate")
        print("finished", tag, flush=True)
    """)
    before = counts(fault_db)
    procs = [child(code, str(fault_db), tag) for tag in ("a", "b")]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
        assert "finished" in out
    after = counts(fault_db)
    assert after["runs"] == before["runs"] + 8
    assert after["run_instances"] == before["run_instances"] + 8
    s = Store(fault_db)
    rep = verify(s)
    assert rep.ok, rep.text()
    # 8 candidates created and 8 promotion attempts, all on one unbroken chain.
    kinds = [r["kind"] for r in insider.rows(s, "SELECT kind FROM governance_events ORDER BY seq")]
    assert kinds.count("candidate_created") == 8
    assert kinds.count("promoted") + kinds.count("promotion_refused") == 8
    complete_instances(s)
    s.close()


def test_two_processes_making_the_same_candidate_get_one_row_and_one_event(fault_db):
    s = Store(fault_db)
    inst = insider.row(s, "SELECT run_instance_id FROM run_instances ORDER BY seq LIMIT 1")[0]
    s.close()
    code = PRELUDE.format(config="") + textwrap.dedent("""
        s = Store(sys.argv[1])
        for trial in range(3):
            c = create_candidate(s, sys.argv[2], trial)
            print(trial, c["created"], flush=True)
    """)
    procs = [child(code, str(fault_db), inst) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    created = [ln.split()[1] for out, _ in outs for ln in out.split("\n") if ln.strip()]
    assert created.count("True") == 3 and created.count("False") == 3
    s = Store(fault_db)
    kinds = [r[0] for r in insider.rows(s, "SELECT kind FROM governance_events")]
    assert kinds.count("candidate_created") == 3
    assert verify(s).ok
    s.close()

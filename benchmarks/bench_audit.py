"""Audit cost: ``trace`` and ``verify`` on a store holding 1,000 real runs.

Usage (from the repo root, with the venv active)::

    python benchmarks/bench_audit.py                    # 1,000 runs in a temporary folder
    python benchmarks/bench_audit.py --runs 20          # quick smoke run
    python benchmarks/bench_audit.py --db /tmp/a.sqlite # build there and keep it; if the file
                                                        # already holds runs, reuse it as is

Prints one JSON document to stdout (progress goes to stderr).

The store is built with the real code path: synthetic hourly datasets registered once, then
``execute_run`` for ``--runs`` distinct configs (every ``run_key`` differs), then candidates,
promotions (one all the way to ``accepted``, so ``trace`` walks a full chain), refusals, rejects
and retirements. JIT compilation is paid by a warm-up run in a throwaway in-memory store before
the timed build. Then, each as the median of several calls after a warm-up call:

* ``trace(store, <accepted candidate>)``;
* ``verify(store)`` over the whole file (it recomputes every hash and also runs SQLite's
  ``integrity_check`` and ``foreign_key_check``);
* a plain ``PRAGMA integrity_check`` on the same file in the same process, the reference:
  ``verify / integrity_check`` is roughly machine-independent (both read the whole file).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # after the sys.path line above: benchmarks run as scripts

SMALL_BARS = 800           # bars per small dataset
N_SMALL_DATASETS = 4
N_FAMILIES = 10            # research families of the small runs (trial registries)
N_EDGE = 2                 # edge runs (own families) that can pass the promotion gate
N_GOVERNED_SMALL = 20      # small runs that get a candidate and a promotion attempt

SMALL_TOML = """\
name = "bench-{i}"
family = "bench-noise-{fam}"
[data]
dataset = "bench-noise-{ds}"
[strategy]
kind = "ma_crossover"
[strategy.grid]
fast = [2, {fast2}]
slow = {slow}
[costs]
fee_bps = {fee}
slippage_bps = 1.0
[walk_forward]
n_folds = 2
purge = 5
[nulls.reality_check]
reps = {reps}
"""

# The conftest "edge" world run (tests/conftest.py), known to pass candidate and accepted.
EDGE_TOML = """\
name = "bench-edge-{j}"
family = "bench-edge-{j}"
[data]
dataset = "bench-edge"
[strategy]
kind = "ts_momentum"
[strategy.grid]
lookback = [1, 2, 4, 8]
[costs]
fee_bps = {fee}
slippage_bps = 0.5
[walk_forward]
n_folds = 3
purge = 10
[nulls.reality_check]
reps = 299
"""


def small_config(i: int, reps: int) -> str:
    """Distinct for every i: the fee differs (and grids of 2 or 4 points vary)."""
    slow = f"[{10 + i % 7}]" if i % 2 == 0 else f"[{10 + i % 7}, {24 + i % 5}]"
    return SMALL_TOML.format(i=i, fam=i % N_FAMILIES, ds=i % N_SMALL_DATASETS,
                             fast2=3 + i % 3, slow=slow, fee=f"{1.0 + i / 1000:.3f}", reps=reps)


def edge_config(j: int) -> str:
    return EDGE_TOML.format(j=j, fee=f"{1.0 + j / 10:.1f}")


def warm_up_jit(reps: int) -> float:
    """One run and one promotion attempt in a throwaway store: compiles (or cache-loads) every
    kernel the build uses, so that the timed build measures steady-state work."""
    from qrp_jupyter.data import synthetic
    from qrp_jupyter.governance import create_candidate, promote
    from qrp_jupyter.runs import execute_run, register_dataset
    from qrp_jupyter.store import Store

    t0 = time.perf_counter()
    s = Store(":memory:")
    register_dataset(s, synthetic(n_bars=SMALL_BARS, seed=999, edge=0.0), name="bench-noise-0")
    out = execute_run(s, small_config(0, reps))
    cand = create_candidate(s, out.run_instance_id)
    promote(s, cand["candidate_id"], "candidate")
    s.close()
    return time.perf_counter() - t0


def build(path: str, n_runs: int, reps: int) -> dict:
    from qrp_jupyter.data import synthetic
    from qrp_jupyter.governance import create_candidate, promote, reject, retire
    from qrp_jupyter.runs import execute_run, register_dataset
    from qrp_jupyter.store import Store

    n_edge = min(N_EDGE, n_runs)
    n_small = n_runs - n_edge
    s = Store(path)
    t_start = time.perf_counter()
    t_ds, _ = C.timed(lambda: [
        register_dataset(s, synthetic(n_bars=SMALL_BARS, seed=100 + d, edge=0.0),
                         name=f"bench-noise-{d}") for d in range(N_SMALL_DATASETS)]
        # Its own market (asset name): the trial registry pools every run on one market, and
        # the edge must not be deflated by the thousand noise runs.
        + [register_dataset(s, synthetic(n_bars=4000, seed=5, edge=0.15, assets=("EDGE",)),
                            name="bench-edge")])
    per_run, edge_out, small_out = [], [], []
    for j in range(n_edge):
        dt, out = C.timed(lambda: execute_run(s, edge_config(j), source=f"edge-{j}.toml"))
        assert out.new_run, "edge configs must be distinct"
        per_run.append(dt)
        edge_out.append(out)
    for i in range(n_small):
        dt, out = C.timed(lambda: execute_run(s, small_config(i, reps), source=f"small-{i}.toml"))
        assert out.new_run, f"config {i} repeated an earlier run_key"
        per_run.append(dt)
        small_out.append(out)
        if (i + 1) % 100 == 0:
            C.log(f"  {i + 1 + n_edge}/{n_runs} runs, last 100 at "
                  f"{statistics.mean(per_run[-100:]) * 1e3:.0f} ms/run")
    t_runs = time.perf_counter() - t_start

    # Governance: a full chain to accepted, a candidate, refusals, rejects, retirements.
    t0 = time.perf_counter()
    gov = {"create_candidate_s": [], "promote_candidate_s": [], "promote_accepted_s": [],
           "promotions_passed": 0, "promotions_refused": 0}
    accepted = None
    for j, out in enumerate(edge_out):
        dt, c = C.timed(lambda: create_candidate(s, out.run_instance_id))
        gov["create_candidate_s"].append(dt)
        dt, r = C.timed(lambda: promote(s, c["candidate_id"], "candidate"))
        gov["promote_candidate_s"].append(dt)
        gov["promotions_passed" if r.passed else "promotions_refused"] += 1
        if r.passed and j == 0:
            dt, r2 = C.timed(lambda: promote(s, c["candidate_id"], "accepted"))
            gov["promote_accepted_s"].append(dt)
            gov["promotions_passed" if r2.passed else "promotions_refused"] += 1
            if r2.passed:
                accepted = c["candidate_id"]
    small_cands = []
    for out in small_out[:N_GOVERNED_SMALL]:
        dt, c = C.timed(lambda: create_candidate(s, out.run_instance_id))
        gov["create_candidate_s"].append(dt)
        dt, r = C.timed(lambda: promote(s, c["candidate_id"], "candidate"))
        gov["promote_candidate_s"].append(dt)
        gov["promotions_passed" if r.passed else "promotions_refused"] += 1
        small_cands.append((c["candidate_id"], r.passed))
    for n, (cid, _) in enumerate(small_cands[:5]):
        reject(s, cid, f"benchmark: rejected #{n}")
    for cid, _ in small_cands[5:7]:
        retire(s, cid, "benchmark: retired")
    t_gov = time.perf_counter() - t0
    s.checkpoint()
    s.close()

    n = len(per_run)
    tenth = max(1, n // 10)
    small_times = per_run[n_edge:]
    return {
        "accepted_candidate_id": accepted,
        "build": {
            "runs": n_runs,
            "edge_runs": n_edge,
            "small_runs": n_small,
            "register_datasets_s": C.sig(t_ds),
            "build_runs_s": C.sig(t_runs),
            "per_run_s": C.sig(t_runs / n_runs),
            "execute_run_median_s": C.sig(statistics.median(per_run)),
            "execute_run_p90_s": C.sig(sorted(per_run)[int(0.9 * (n - 1))]),
            "small_run_median_s": C.sig(statistics.median(small_times)) if small_times else None,
            "edge_run_median_s": C.sig(statistics.median(per_run[:n_edge])) if n_edge else None,
            "execute_run_mean_first_10pct_s": C.sig(statistics.mean(per_run[:tenth])),
            "execute_run_mean_last_10pct_s": C.sig(statistics.mean(per_run[-tenth:])),
            "execute_run_mean_by_decile_s": [C.sig(statistics.mean(per_run[k:k + tenth]))
                                             for k in range(0, tenth * (n // tenth), tenth)],
            "governance_s": C.sig(t_gov),
            "build_total_s": C.sig(t_runs + t_gov),
            "governance_ops": {
                "create_candidate_calls": len(gov["create_candidate_s"]),
                "create_candidate_median_s": C.sig(statistics.median(gov["create_candidate_s"])),
                "promote_to_candidate_calls": len(gov["promote_candidate_s"]),
                "promote_to_candidate_median_s": C.sig(
                    statistics.median(gov["promote_candidate_s"])),
                "promote_to_accepted_s": [C.sig(x) for x in gov["promote_accepted_s"]],
                "promotions_passed": gov["promotions_passed"],
                "promotions_refused": gov["promotions_refused"],
                "rejected": min(5, len(small_cands)),
                "retired": len(small_cands[5:7]),
            },
            "small_run_shape": {"bars": SMALL_BARS, "datasets": N_SMALL_DATASETS,
                                "families": N_FAMILIES, "strategy": "ma_crossover, 2 or 4 "
                                "points", "walk_forward_folds": 2, "reality_check_reps": reps},
            "edge_run_shape": {"bars": 4000, "strategy": "ts_momentum, 4 points",
                               "walk_forward_folds": 3, "reality_check_reps": 299,
                               "config": "as tests/conftest.py EDGE_TOML"},
        },
    }


def breakdown(path: str, tmp: str, reps: int, start: int, n: int = 20) -> dict:
    """Where a run's time goes: prepare / compute / record (execute_run's three stages), timed on
    ``n`` extra configs against a throwaway copy of the built store."""
    from qrp_jupyter.runs.execute import compute_run, prepare_run, record_run
    from qrp_jupyter.store import Store

    copy = os.path.join(tmp, "breakdown.sqlite")
    shutil.copyfile(path, copy)
    s = Store(copy)
    stages = {"prepare_s": [], "compute_s": [], "record_s": []}
    for i in range(n):
        cfg = small_config(start + i, reps)  # indices past the build's: new run_keys
        dt, prep = C.timed(lambda: prepare_run(s, cfg))
        stages["prepare_s"].append(dt)
        dt, comp = C.timed(lambda: compute_run(prep))
        stages["compute_s"].append(dt)
        dt, _ = C.timed(lambda: record_run(s, prep, comp))
        stages["record_s"].append(dt)
    s.close()
    os.remove(copy)
    return {"sample_runs": n, **{f"{k[:-2]}_median_s": C.sig(statistics.median(v))
                                 for k, v in stages.items()},
            "note": "execute_run = prepare_run + compute_run + record_run; extra small configs "
                    "run against a copy of the store (the measured store is unchanged)"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1000, help="runs in the store (default 1000)")
    ap.add_argument("--db", help="build the store here and keep it; reuse it if it holds runs")
    ap.add_argument("--reps", type=int, default=49,
                    help="reality-check replicates of the small runs (default 49)")
    ap.add_argument("--trace-repeats", type=int, default=11,
                    help="timed trace calls after one warm-up (default 11)")
    ap.add_argument("--verify-repeats", type=int, default=5,
                    help="timed verify and integrity_check calls after one warm-up (default 5)")
    ap.add_argument("--no-breakdown", action="store_true",
                    help="skip the prepare/compute/record breakdown sample")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be >= 1")

    threads = C.set_numba_threads()
    os.environ.setdefault("QRP_ACTOR", "benchmark")
    load_before = C.load_average()
    tmp = tempfile.mkdtemp(prefix="qrp-bench-audit-")
    try:
        return _run(args, threads, tmp, load_before)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _file_stats(path: str) -> tuple[dict[str, int], dict[str, int], int, int, int]:
    """Row counts, candidate statuses, page size and count, blob bytes: read from the file on
    a read-only connection of the benchmark's own (it observes the store; QRP is measured)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        counts = {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in (
            "runs", "run_instances", "trials", "artifacts", "artifact_lineage",
            "artifact_edges", "promotion_candidates", "eligibility_reports",
            "governance_events")}
        statuses = dict(con.execute(
            "SELECT status, COUNT(*) FROM promotion_candidates GROUP BY status").fetchall())
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
        page_count = con.execute("PRAGMA page_count").fetchone()[0]
        blob_bytes = con.execute(
            "SELECT COALESCE(SUM(LENGTH(data)), 0) FROM artifacts").fetchone()[0]
    finally:
        con.close()
    return counts, statuses, page_size, page_count, blob_bytes


def _run(args, threads, tmp, load_before) -> int:
    from qrp_jupyter.audit import trace, verify
    from qrp_jupyter.governance import list_candidates
    from qrp_jupyter.runs import list_runs
    from qrp_jupyter.store import Store

    path = args.db or os.path.join(tmp, "bench.sqlite")
    reused = False
    if args.db and os.path.exists(path):
        s = Store(path)
        have = len(list_runs(s))
        s.close()
        reused = have > 0
    if reused:
        C.log(f"reusing {path} ({have} runs); no build")
        built = {"build": {"reused_existing_db": True, "runs": have}}
        s = Store(path)
        accepted = sorted(c["candidate_id"] for c in list_candidates(s)
                          if c["status"] == "accepted")
        s.close()
        if not accepted:
            raise SystemExit(f"{path} holds no accepted candidate to trace")
        built["accepted_candidate_id"] = accepted[0]
        warm = None
    else:
        C.log("warm-up run (JIT compile / cache load), not timed in the build")
        warm = warm_up_jit(args.reps)
        C.log(f"building {args.runs} runs in {path}")
        built = build(path, args.runs, args.reps)
        built["build"]["reused_existing_db"] = False
    cid = built["accepted_candidate_id"]
    if cid is None:
        raise SystemExit("no candidate reached 'accepted': trace would not cover a full chain")

    counts, statuses, page_size, page_count, blob_bytes = _file_stats(path)
    s = Store(path)
    db_bytes = os.path.getsize(path)
    wal = path + "-wal"
    wal_bytes = os.path.getsize(wal) if os.path.exists(wal) else 0

    C.log(f"trace x{args.trace_repeats}")
    last_trace = {}

    def do_trace():
        last_trace["t"] = trace(s, cid)

    tr = C.measure(do_trace, repeats=args.trace_repeats)
    t = last_trace["t"]

    C.log(f"verify x{args.verify_repeats}")
    last_verify = {}

    def do_verify():
        last_verify["r"] = verify(s)

    ve = C.measure(do_verify, repeats=args.verify_repeats)
    rep = last_verify["r"]

    C.log(f"PRAGMA integrity_check x{args.verify_repeats}")
    ic_result = {}

    def do_ic():
        ic_result["r"] = [r[0] for r in s.all("sqlite.integrity_check")]

    ic = C.measure(do_ic, repeats=args.verify_repeats)
    s.close()

    bd = None
    if not args.no_breakdown and not reused:
        C.log("prepare/compute/record breakdown sample")
        bd = breakdown(path, tmp, args.reps, start=args.runs)

    for fig in (tr, ve, ic):
        for key in ("steady_median_s", "steady_min_s", "steady_max_s"):
            fig[key] = C.sig(fig[key])
    ratio = C.sig(ve["steady_median_s"] / ic["steady_median_s"])
    peak = C.peak_rss_mb()
    b = built["build"]
    doc = {
        "benchmark": "audit",
        "environment": C.environment(
            threads, data_used="synthetic (qrp_jupyter.data.synthetic), registered in the "
            "benchmark store", load_average_at_start=load_before,
            QRP_ACTOR=os.environ.get("QRP_ACTOR")),
        "store": {
            "path": path if args.db else "temporary (deleted after the run)",
            "db_size_bytes": db_bytes,
            "db_size_mb": round(db_bytes / 2**20, 2),
            "wal_size_bytes_after_checkpoint": wal_bytes,
            "page_size_bytes": page_size,
            "page_count": page_count,
            "artifact_blob_bytes_on_disk": blob_bytes,
            "rows": counts,
            "candidates_by_status": statuses,
        },
        "jit_warm_up_s": C.sig(warm) if warm is not None else None,
        **built,
        "trace": {**tr, "candidate_status": t["candidate"]["status"], "ok": t["ok"],
                  "checks": len(t["checks"]), "artifacts": len(t["artifacts"]),
                  "edges": len(t["edges"]), "events_of_candidate": len(t["events"]),
                  "reports": len(t["reports"])},
        "verify": {**ve, "ok": rep.ok, "problems": len(rep.problems),
                   "checked": dict(rep.checked)},
        "integrity_check": {**ic, "result": ic_result["r"][:3]},
        "ratio_verify_vs_integrity_check": ratio,
        "prepare_compute_record_breakdown": bd,
        "memory": {"peak_rss_mb": peak},
        "headline": {
            "runs": b.get("runs"),
            "build_runs_s": b.get("build_runs_s"),
            "per_run_s": b.get("per_run_s"),
            "build_total_s": b.get("build_total_s"),
            "db_size_mb": round(db_bytes / 2**20, 2),
            "trace_steady_median_s": tr["steady_median_s"],
            "verify_steady_median_s": ve["steady_median_s"],
            "integrity_check_steady_median_s": ic["steady_median_s"],
            "ratio_verify_vs_integrity_check": ratio,
            "verify_ok": rep.ok,
            "trace_ok": t["ok"],
            "peak_rss_mb": peak,
        },
    }
    doc["environment"]["load_average_at_end"] = C.load_average()
    C.emit(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())

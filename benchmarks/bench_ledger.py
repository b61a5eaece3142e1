"""The ledger's cost: writing a run with and without it, verify on a 1,000-run store with and
without the ledger and report re-derivation, and ``verify --replay`` per run.

Usage (from the repo root, with the venv active)::

    python benchmarks/bench_ledger.py                 # 1,000-run store in a temporary folder
    python benchmarks/bench_ledger.py --runs 40       # quick smoke run

Prints one JSON document to stdout (progress goes to stderr). Every comparison is a ratio of
two figures measured in this process on the same inputs:

* **write overhead**: each of ``--write-samples`` configs is prepared and computed once, then
  recorded into two stores, one with the ledger (QRP as shipped) and one without (the ledger's
  capture triggers and its seal replaced by no-ops in this process only), alternating which
  goes first. Overhead = median(record with - record without) / median(prepare + compute +
  record without): the ledger's share of writing a run.
* **verify**: the store built by ``bench_audit.build`` (runs, candidates, promotions to
  ``accepted``, refusals, rejects, retirements). ``verify`` as shipped against ``verify`` with
  the two checks this issue added (the ledger and the re-derivation of every report) replaced
  by no-ops: the figure the previous version's verify measured.
* **replay**: ``verify_replays`` on the same store; seconds per re-executed run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # after the sys.path line above: benchmarks run as scripts

audit_bench = C.load_module("bench_audit", C.BENCH_DIR / "bench_audit.py")


@contextmanager
def ledger_off():
    """The ledger's two hooks as no-ops, for the reference measurement only."""
    from qrp_jupyter.store import ledger
    saved = ledger.install_capture, ledger.seal
    ledger.install_capture = lambda conn: None
    ledger.seal = lambda conn: None
    try:
        yield
    finally:
        ledger.install_capture, ledger.seal = saved


@contextmanager
def verify_as_before():
    """verify without the ledger check and the report re-derivation this issue added."""
    import importlib
    v = importlib.import_module("qrp_jupyter.audit.verify")
    saved = v._check_ledger, v._check_derivations
    v._check_ledger = lambda store, rep: None
    v._check_derivations = lambda store, rep, reports, events: None
    try:
        yield
    finally:
        v._check_ledger, v._check_derivations = saved


def _figure(samples: list[float]) -> dict:
    return {"steady_median_s": C.sig(statistics.median(samples)),
            "steady_min_s": C.sig(min(samples)), "steady_max_s": C.sig(max(samples)),
            "repeats": len(samples), "samples_s": [round(x, 6) for x in samples]}


def write_overhead(tmp: str, samples: int, reps: int) -> dict:
    from qrp_jupyter.data import synthetic
    from qrp_jupyter.runs import register_dataset
    from qrp_jupyter.runs.execute import compute_run, prepare_run, record_run
    from qrp_jupyter.store import Store

    on = Store(os.path.join(tmp, "on.sqlite"))
    with ledger_off():
        off = Store(os.path.join(tmp, "off.sqlite"))
    for d in range(audit_bench.N_SMALL_DATASETS):
        ds = synthetic(n_bars=audit_bench.SMALL_BARS, seed=100 + d)
        register_dataset(on, ds, name=f"bench-noise-{d}")
        with ledger_off():
            register_dataset(off, ds, name=f"bench-noise-{d}")
    base, rec_on, rec_off = [], [], []
    for i in range(samples):
        cfg = audit_bench.small_config(10_000 + i, reps)
        t_prep, prep = C.timed(lambda: prepare_run(on, cfg))
        t_comp, comp = C.timed(lambda: compute_run(prep))
        order = (True, False) if i % 2 == 0 else (False, True)
        for with_ledger in order:
            if with_ledger:
                dt, _ = C.timed(lambda: record_run(on, prep, comp))
                rec_on.append(dt)
            else:
                with ledger_off():
                    dt, _ = C.timed(lambda: record_run(off, prep, comp))
                rec_off.append(dt)
        base.append(t_prep + t_comp)
    blocks = on.ledger_head().block_seq
    on.close()
    off.close()
    extra = statistics.median(a - b for a, b in zip(rec_on, rec_off))
    whole = statistics.median(b + r for b, r in zip(base, rec_off))
    return {
        "samples": samples,
        "prepare_plus_compute_median_s": C.sig(statistics.median(base)),
        "record_with_ledger_median_s": C.sig(statistics.median(rec_on)),
        "record_without_ledger_median_s": C.sig(statistics.median(rec_off)),
        "ledger_extra_per_run_median_s": C.sig(extra),
        "overhead_on_writing_a_run": C.sig(extra / whole),
        "overhead_on_recording_only": C.sig(extra / statistics.median(rec_off)),
        "target": "<= 0.10 of writing a run",
        "ledger_blocks_written": blocks,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1000, help="runs in the verify store")
    ap.add_argument("--reps", type=int, default=49, help="reality-check replicates")
    ap.add_argument("--write-samples", type=int, default=30,
                    help="configs recorded with and without the ledger (default 30)")
    ap.add_argument("--verify-repeats", type=int, default=7,
                    help="interleaved pairs of verify calls (default 7)")
    args = ap.parse_args(argv)
    threads = C.set_numba_threads()
    os.environ.setdefault("QRP_ACTOR", "benchmark")
    tmp = tempfile.mkdtemp(prefix="qrp-bench-ledger-")
    try:
        from qrp_jupyter.audit import verify
        from qrp_jupyter.governance import verify_replays
        from qrp_jupyter.store import Store

        C.log("warm-up (JIT)")
        audit_bench.warm_up_jit(args.reps)
        C.log(f"write overhead on {args.write_samples} configs")
        write = write_overhead(tmp, args.write_samples, args.reps)
        path = os.path.join(tmp, "bench.sqlite")
        C.log(f"building {args.runs} runs")
        t0 = time.perf_counter()
        built = audit_bench.build(path, args.runs, args.reps)
        build_s = time.perf_counter() - t0
        s = Store(path)
        C.log(f"verify x{args.verify_repeats}, as shipped and as before, interleaved")
        rep = verify(s)  # warm-up, and the report shown
        with verify_as_before():
            verify(s)
        now_s, before_s = [], []
        for _ in range(args.verify_repeats):
            now_s.append(C.timed(lambda: verify(s))[0])
            with verify_as_before():
                before_s.append(C.timed(lambda: verify(s))[0])
        now, before = _figure(now_s), _figure(before_s)
        pair_ratio = statistics.median(a / b for a, b in zip(now_s, before_s))
        C.log("verify --replay")
        t0 = time.perf_counter()
        replayed = verify_replays(s, verify(s))
        replay_total = time.perf_counter() - t0
        s.close()
        per_run = [r["seconds"] for r in replayed.replays]
        doc = {
            "benchmark": "ledger",
            "environment": C.environment(threads, data_used="synthetic (qrp_jupyter.data."
                                         "synthetic), registered in the benchmark stores"),
            "write": write,
            "verify_store": {"runs": args.runs, "build_s": C.sig(build_s),
                             "candidates_by_status": built["build"]["governance_ops"],
                             "checked": dict(rep.checked), "ok": rep.ok},
            "verify_as_shipped": now,
            "verify_without_ledger_and_rederivation": before,
            "ratio_verify_vs_before": C.sig(pair_ratio),
            "ratio_note": "median over interleaved pairs (as shipped, then as before) of the "
                          "per-pair ratio, so a change in machine load between calls cancels",
            "verify_target": "<= 2x the previous verify (0.64 s on the issue's machine)",
            "replay": {"runs_replayed": len(per_run), "ok": replayed.ok,
                       "per_run_s": [C.sig(x) for x in per_run],
                       "per_run_median_s": C.sig(statistics.median(per_run)) if per_run
                       else None, "total_with_verify_s": C.sig(replay_total)},
            "memory": {"peak_rss_mb": C.peak_rss_mb()},
        }
        C.emit(doc)
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

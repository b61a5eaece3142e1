"""Limits before work and bounded memory: peak RSS, wall time and the up-front estimate of MA
grids of 10^2 ... 10^5 points on 43,800 hourly bars (five years), each in its own subprocess.

    python benchmarks/run_limits.py                 # 10^2, 10^3, 10^4, 10^5 and the baseline
    python benchmarks/run_limits.py --sizes 2 3     # only 10^2 and 10^3
    python benchmarks/run_limits.py --no-baseline   # skip the previous code path
    python benchmarks/run_limits.py --out FILE      # default benchmarks/results/run_limits.json

Each case runs in a fresh process (so ``ru_maxrss`` is the peak of that run alone) on synthetic
data registered in a temporary store, with a null suite of modest size (reality check and
SPA/StepM with 200 replicates each, PBO with 16 blocks, four expanding walk-forward folds).
Every case that fits the memory budget runs the whole path (prepare, compute, record), then
``verify`` of the store, which re-hashes every artifact (a returns matrix over 256 MiB is
stored in parts, qrp_jupyter/store/blobs.py, and hashed part by part). 10^5 points is expected
to be refused up front by the memory budget; the time to the refusal is reported.

The baseline is the previous code path (``--baseline-ref``, default ``main``: a ``git archive``
of that commit put first on ``PYTHONPATH``) on the 10^3-point case, measured in the same run.
Prints one JSON document and writes it to ``--out``. Run it from the repository (the baseline
and the recorded commit come from ``git`` in the current folder).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results" / "run_limits.json"
N_BARS = 43_800
REPS = 200

#: points -> (fast windows, slow windows); every fast window is below every slow one, so the
#: grid has exactly len(fast) * len(slow) points.
GRIDS = {
    2: (list(range(2, 12)), list(range(200, 210))),
    3: (list(range(2, 42)), list(range(200, 225))),
    4: (list(range(2, 102)), list(range(200, 300))),
    5: (list(range(2, 1002)), list(range(1100, 1200))),
}


def config(size: int) -> str:
    fast, slow = GRIDS[size]
    return f"""
name = "limits 10^{size}"
family = "limits"
[data]
dataset = "bench"
[strategy]
kind = "ma_crossover"
[strategy.grid]
fast = {fast}
slow = {slow}
[costs]
fee_bps = 1.0
slippage_bps = 0.5
[walk_forward]
n_folds = 4
mode = "expanding"
[nulls.reality_check]
reps = {REPS}
[nulls.spa_stepm]
reps = {REPS}
[nulls.pbo]
n_blocks = 16
"""


# ---------------------------------------------------------------------------------------------
# child: one case in this process
# ---------------------------------------------------------------------------------------------

def child(size: int, n_bars: int, baseline: bool) -> dict[str, Any]:
    import resource

    from qrp_jupyter.data import synthetic
    from qrp_jupyter.runs import register_dataset
    from qrp_jupyter.runs import execute as X
    from qrp_jupyter.store import Store

    out: dict[str, Any] = {"points": len(GRIDS[size][0]) * len(GRIDS[size][1]),
                           "bars": n_bars, "code": "baseline" if baseline else "this branch"}
    folder = tempfile.mkdtemp(prefix="qrp-limits-")
    store = Store(os.path.join(folder, "bench.sqlite"))
    register_dataset(store, synthetic(n_bars=n_bars, seed=3, edge=0.05), name="bench")
    text = config(size)
    rss_setup = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["rss_after_setup_mib"] = round(rss_setup, 1)

    if not baseline:
        from qrp_jupyter.errors import BudgetExceeded
        check = X.check_run_budget

        def recording_check(values: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                est = check(values, **kw)
            except BudgetExceeded as exc:
                out["refusal_seconds"] = round(time.perf_counter() - t0, 4)
                out["refusal"] = str(exc)
                raise
            out["estimate"] = est.to_dict()
            return est

        X.check_run_budget = recording_check

    t0 = time.perf_counter()
    try:
        prep = X.prepare_run(store, text)
    except Exception as exc:  # the up-front refusal (10^5)
        out["outcome"] = "refused up front"
        out["error"] = type(exc).__name__
        out["prepare_seconds"] = round(time.perf_counter() - t0, 4)
        out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        return out
    out["prepare_seconds"] = round(time.perf_counter() - t0, 3)
    t1 = time.perf_counter()
    computed = X.compute_run(prep)
    out["compute_seconds"] = round(time.perf_counter() - t1, 2)
    out["peak_rss_compute_mib"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    t2 = time.perf_counter()
    rec = X.record_run(store, prep, computed)
    out["record_seconds"] = round(time.perf_counter() - t2, 2)
    out["outcome"] = "ran and recorded"
    out["run_key"] = rec.run_key
    out["artifact_ids"] = computed.artifact_ids()
    rm = rec.artifacts["returns_matrix"]
    parts = store.all("artifact_chunks.data_of", (rm,)) if not baseline else []
    out["returns_matrix_bytes"] = store.one("artifacts.blob_and_meta", (rm,))["size"]
    out["returns_matrix_parts"] = len(parts)
    del parts
    out["wall_seconds"] = round(time.perf_counter() - t0, 2)
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if not baseline:
        from qrp_jupyter.audit import verify
        t3 = time.perf_counter()
        rep = verify(store)
        out["verify_seconds"] = round(time.perf_counter() - t3, 2)
        out["verify_ok"] = rep.ok
        out["peak_rss_after_verify_mib"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    est = out.get("estimate")
    if est:
        out["estimate_mib"] = round(est["peak_bytes"] / 2**20, 1)
        out["measured_over_estimate"] = round(out["peak_rss_mib"] / out["estimate_mib"], 3)
        out["estimate_seconds"] = round(est["seconds"], 1)
    return out


# ---------------------------------------------------------------------------------------------
# parent
# ---------------------------------------------------------------------------------------------

def _baseline_tree(ref: str) -> str:
    """A temporary copy of ``ref``'s tree (``git archive``); its path."""
    folder = tempfile.mkdtemp(prefix="qrp-baseline-")
    tar_path = os.path.join(folder, "tree.tar")
    with open(tar_path, "wb") as fh:
        subprocess.run(["git", "archive", ref], stdout=fh, check=True)  # the current repo
    with tarfile.open(tar_path) as tar:
        tar.extractall(folder, filter="data")
    return folder


def run_case(size: int, n_bars: int, *, baseline_tree: str | None = None) -> dict[str, Any]:
    env = dict(os.environ)
    env.setdefault("NUMBA_NUM_THREADS", "2")
    if baseline_tree:
        env["PYTHONPATH"] = baseline_tree + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, __file__, "--child", str(size), "--bars", str(n_bars)]
    if baseline_tree:
        cmd.append("--baseline-child")
    print(f"[run_limits] 10^{size} points x {n_bars:,} bars"
          f"{' (baseline)' if baseline_tree else ''} ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-3:]
        return {"points": 10**size, "bars": n_bars, "outcome": "process failed",
                "returncode": proc.returncode, "stderr_tail": tail,
                "process_seconds": round(wall, 1)}
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["process_seconds"] = round(wall, 1)
    print(f"[run_limits]   {res.get('outcome')}: peak {res.get('peak_rss_mib')} MiB, "
          f"{res['process_seconds']} s", file=sys.stderr, flush=True)
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[2, 3, 4, 5],
                    help="powers of ten of grid points (2..5)")
    ap.add_argument("--bars", type=int, default=N_BARS)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--baseline-ref", default="main")
    ap.add_argument("--baseline-size", type=int, default=3)
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--baseline-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child, args.bars, args.baseline_child)))
        return 0

    sys.path.insert(0, str(BENCH_DIR))
    from _common import environment, set_numba_threads  # found through the sys.path line above
    threads = set_numba_threads()

    doc: dict[str, Any] = {"benchmark": "run_limits", "bars": args.bars,
                           "null_suite": {"reality_check_reps": REPS, "spa_stepm_reps": REPS,
                                          "pbo_blocks": 16, "walk_forward": "4 expanding"},
                           "environment": environment(threads), "cases": []}
    chunk_env = {k: os.environ[k] for k in ("QRP_CHUNK_COLUMNS", "QRP_CHUNK_BYTES",
                                            "QRP_MEMORY_BUDGET") if k in os.environ}
    doc["settings"] = chunk_env or "defaults"
    doc["code_commit"] = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True,
                                        text=True).stdout.strip() or None
    for size in args.sizes:
        doc["cases"].append(run_case(size, args.bars))
        _write(doc, args.out)
    if not args.no_baseline:
        tree = _baseline_tree(args.baseline_ref)
        base = run_case(args.baseline_size, args.bars, baseline_tree=tree)
        base["baseline_ref"] = args.baseline_ref
        doc["baseline"] = base
        ours = next((c for c in doc["cases"] if c.get("points") == base.get("points")), None)
        if ours and "peak_rss_mib" in base and "peak_rss_compute_mib" in ours:
            doc["baseline"]["same_run_key"] = ours.get("run_key") == base.get("run_key")
            doc["baseline"]["same_artifacts"] = (ours.get("artifact_ids")
                                                 == base.get("artifact_ids"))
            doc["baseline"]["peak_ratio_this_over_baseline"] = round(
                ours["peak_rss_mib"] / base["peak_rss_mib"], 3)
    _write(doc, args.out)
    print(json.dumps(doc, indent=2))
    return 0


def _write(doc: dict[str, Any], out: str) -> None:
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())

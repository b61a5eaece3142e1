"""Run every benchmark, each in its own fresh process, and write the combined JSON.

Usage (from the repo root, with the venv active)::

    python benchmarks/run_all.py            # full size; writes benchmarks/results/latest.json
    python benchmarks/run_all.py --quick    # smoke run (20 runs, few repeats); writes nothing
                                            # unless --out is given
    python benchmarks/run_all.py --issue3   # the null-test and vectorbt comparisons only
                                            # (bench_nulls.py + bench_vectorbt.py); writes
                                            # benchmarks/results/issue3.json
    python benchmarks/run_all.py --nulls    # (or --vectorbt) just one of the two sections
    python benchmarks/run_all.py --issue9   # the ledger only (bench_ledger.py): write overhead,
                                            # verify on 1,000 runs, verify --replay per run;
                                            # writes benchmarks/results/issue9.json
    python benchmarks/run_all.py --issue4   # the Jupyter layer only (bench_jupyter.py):
                                            # %load_ext time, first %%qrp_run with a cold and
                                            # a warm numba cache; writes
                                            # benchmarks/results/issue4.json

Each script runs in a child process (``sys.executable``, so the venv's Python) so that the JIT
compile is a real first call and each peak RSS belongs to one benchmark. ``NUMBA_NUM_THREADS``
is set to 2 for the children unless the caller set it. The combined document is printed to
stdout and, for a full run, written to ``benchmarks/results/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # after the sys.path line above: benchmarks run as scripts


def _write_and_emit(doc: dict, args, name: str) -> int:
    """Write ``doc`` atomically to ``--out`` or, on a full run, ``results/<name>``; print it."""
    out = args.out or (None if args.quick else str(C.RESULTS_DIR / name))
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        tmp = out + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(doc, fh, indent=2, allow_nan=False)
            fh.write("\n")
        os.replace(tmp, out)
        C.log(f"wrote {out}")
    C.emit(doc)
    return 0


def run_child(script: str, args: list[str], env: dict[str, str]) -> dict:
    cmd = [sys.executable, str(C.BENCH_DIR / script), *args]
    C.log("running " + " ".join([Path(cmd[0]).name, *cmd[1:]]))
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=None, text=True,
                          cwd=C.REPO)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{script} failed with exit code {proc.returncode}")
    doc = json.loads(proc.stdout)
    doc["wall_s_including_process_start"] = round(wall, 2)
    return doc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: --runs 20 and few repeats; not written unless --out")
    ap.add_argument("--runs", type=int, help="runs in the audit store (default 1000)")
    ap.add_argument("--out", help="where to write the combined JSON "
                                  "(default benchmarks/results/latest.json for a full run)")
    ap.add_argument("--issue3", action="store_true",
                    help="run bench_nulls.py and bench_vectorbt.py only; write "
                         "benchmarks/results/issue3.json")
    ap.add_argument("--nulls", action="store_true",
                    help="run the SPA/StepM-vs-arch and PBO section (bench_nulls.py) only")
    ap.add_argument("--vectorbt", action="store_true",
                    help="run the MA grid vs vectorbt section (bench_vectorbt.py) only")
    ap.add_argument("--issue4", action="store_true",
                    help="run the Jupyter-layer benchmark (bench_jupyter.py) only; write "
                         "benchmarks/results/issue4.json")
    ap.add_argument("--issue9", action="store_true",
                    help="run the ledger benchmark (bench_ledger.py) only; write "
                         "benchmarks/results/issue9.json")
    args = ap.parse_args(argv)

    if args.issue9:
        C.set_numba_threads()
        doc = run_child("bench_ledger.py", ["--runs", "40", "--write-samples", "6"]
                        if args.quick else [], dict(os.environ))
        doc["suite"] = "qrp_jupyter benchmarks (issue 9: the ledger)"
        return _write_and_emit(doc, args, "issue9.json")
    if args.issue4:
        # Not pinned here: bench_jupyter.py sizes NUMBA_NUM_THREADS as the governed kernel
        # does (the CPUs available), unless the caller set it.
        return run_issue4(args, dict(os.environ))
    threads = C.set_numba_threads()  # inherited by the children
    env = dict(os.environ)
    if args.issue3 or args.nulls or args.vectorbt:
        return run_issue3(args, threads, env)
    engine_args = (["--repeats", "5", "--twin-repeats", "3", "--paired-rounds", "3"]
                   if args.quick else [])
    audit_args = ["--runs", str(args.runs or (20 if args.quick else 1000))]
    if args.quick:
        audit_args += ["--trace-repeats", "5", "--verify-repeats", "3"]

    t0 = time.perf_counter()
    engine = run_child("bench_engine.py", engine_args, env)
    audit = run_child("bench_audit.py", audit_args, env)
    total = time.perf_counter() - t0

    eh, ah = engine["headline"], audit["headline"]
    env_rec = dict(engine["environment"])
    for key in ("load_average_at_start", "load_average_at_end", "numba_cache_dir", "date_utc",
                "load_average_1_5_15min"):
        env_rec.pop(key, None)
    env_rec.update({"date_utc": audit["environment"]["date_utc"],
                    "NUMBA_NUM_THREADS": threads["NUMBA_NUM_THREADS"],
                    "NUMBA_NUM_THREADS_source": threads["NUMBA_NUM_THREADS_source"],
                    "engine_data_used": eh["data_used"],
                    "engine_data_file": engine["data"].get("file"),
                    "audit_data_used": audit["environment"]["data_used"],
                    "load_average_during_engine": [engine["environment"]["load_average_at_start"],
                                                   engine["environment"]["load_average_at_end"]],
                    "load_average_during_audit": [audit["environment"]["load_average_at_start"],
                                                  audit["environment"]["load_average_at_end"]]})
    doc = {
        "suite": "qrp_jupyter benchmarks",
        "mode": "quick" if args.quick else "full",
        "environment": env_rec,
        "summary": {
            "engine_strategy_bars_per_s": eh["engine_strategy_bars_per_s"],
            "numpy_twin_strategy_bars_per_s": eh["numpy_twin_strategy_bars_per_s"],
            "engine_ratio_vs_numpy_twin": eh["ratio_vs_numpy_twin"],
            "engine_ratio_vs_numpy_twin_paired_median": eh["ratio_vs_numpy_twin_paired_median"],
            "engine_ratio_vs_numpy_twin_by_stage": engine["ratio_vs_numpy_twin"],
            "engine_1_thread_strategy_bars_per_s": eh["engine_1_thread_strategy_bars_per_s"],
            "engine_1_thread_ratio_vs_numpy_twin": eh["engine_1_thread_ratio_vs_numpy_twin"],
            "engine_whole_steady_median_s": eh["engine_whole_steady_median_s"],
            "numpy_twin_whole_steady_median_s": eh["numpy_twin_whole_steady_median_s"],
            "jit_compile_first_call_s": eh["jit_compile_first_call_s"],
            "first_call_with_warm_disk_cache_s": eh["first_call_with_warm_disk_cache_s"],
            "engine_and_twin_agree": eh["engine_and_twin_agree"],
            "engine_peak_rss_mb": eh["peak_rss_mb"],
            "audit_runs": ah["runs"],
            "audit_build_runs_s": ah["build_runs_s"],
            "audit_per_run_s": ah["per_run_s"],
            "audit_db_size_mb": ah["db_size_mb"],
            "trace_steady_median_s": ah["trace_steady_median_s"],
            "verify_steady_median_s": ah["verify_steady_median_s"],
            "integrity_check_steady_median_s": ah["integrity_check_steady_median_s"],
            "ratio_verify_vs_integrity_check": ah["ratio_verify_vs_integrity_check"],
            "verify_ok": ah["verify_ok"],
            "trace_ok": ah["trace_ok"],
            "audit_peak_rss_mb": ah["peak_rss_mb"],
            "total_wall_s": round(total, 1),
        },
        "engine": engine,
        "audit": audit,
    }
    return _write_and_emit(doc, args, "latest.json")


def run_issue3(args, threads, env) -> int:
    """The optional comparison sections: multiple-testing nulls vs arch / the numpy PBO loop,
    and the MA grid vs vectorbt. Writes ``benchmarks/results/issue3.json`` (full run)."""
    want_nulls = args.issue3 or args.nulls
    want_vbt = args.issue3 or args.vectorbt
    quick = ["--quick"] if args.quick else []
    t0 = time.perf_counter()
    nulls = run_child("bench_nulls.py", quick, env) if want_nulls else None
    vbt = run_child("bench_vectorbt.py", quick, env) if want_vbt else None
    total = time.perf_counter() - t0
    first = nulls or vbt
    env_rec = dict(first["environment"])
    for key in ("load_average_at_start", "load_average_at_end", "date_utc",
                "load_average_1_5_15min", "data_used", "data_file"):
        env_rec.pop(key, None)
    if vbt is not None:
        env_rec["vectorbt"] = vbt["environment"].get("vectorbt")
    env_rec.update({"date_utc": (vbt or nulls)["environment"]["date_utc"],
                    "NUMBA_NUM_THREADS": threads["NUMBA_NUM_THREADS"],
                    "NUMBA_NUM_THREADS_source": threads["NUMBA_NUM_THREADS_source"]})
    for name, doc in (("nulls", nulls), ("vectorbt", vbt)):
        if doc is not None:
            env_rec[f"load_average_during_{name}"] = [doc["environment"]["load_average_at_start"],
                                                      doc["environment"]["load_average_at_end"]]
            env_rec[f"{name}_data_used"] = doc["environment"].get("data_used")
    if vbt is not None:
        env_rec["vectorbt_data_file"] = vbt["environment"].get("data_file")
    summary: dict = {}
    if nulls is not None:
        nh = nulls["headline"]
        summary.update({
            "spa_stepm_ratio_vs_arch": nh["spa_stepm_ratio_vs_arch"],
            "spa_plus_stepm_separate_ratio_vs_arch": nh["spa_plus_stepm_separate_ratio_vs_arch"],
            "qrp_spa_stepm_steady_median_s": nh["qrp_spa_stepm_steady_median_s"],
            "arch_spa_plus_stepm_s": nh["arch_spa_plus_stepm_s"],
            "arch_timed_runs": nh["arch_timed_runs"],
            "spa_pvalues_within_mc_error": nh["spa_pvalues_within_mc_error"],
            "stepm_superior_jaccard": nh["stepm_superior_jaccard"],
            "stepm_disagreements_all_borderline": nh["stepm_disagreements_all_borderline"],
            "pbo_ratio_vs_numpy_loop": nh["pbo_ratio_vs_numpy_loop"],
            "pbo_steady_s": nh["pbo_steady_s"],
            "pbo_numpy_loop_scaled_s": nh["pbo_numpy_loop_scaled_s"],
            "pbo_numpy_loop_every_nth_split": nh["pbo_numpy_loop_every_nth_split"],
            "pbo_logits_allclose_1e-12": nh["pbo_logits_allclose_1e-12"],
            "nulls_peak_rss_mb": nh["peak_rss_mb"],
        })
    if vbt is not None:
        vh = vbt["headline"]
        summary.update({
            "ma_grid_ratio_vs_vectorbt": vh["ma_grid_ratio_vs_vectorbt"],
            "ma_grid_metrics_ratio_vs_vectorbt": vh["ma_grid_metrics_ratio_vs_vectorbt"],
            "qrp_ma_grid_steady_median_s": vh["qrp_steady_median_s"],
            "vectorbt_ma_grid_steady_median_s": vh["vectorbt_steady_median_s"],
            "qrp_strategy_bars_per_s": vh["qrp_strategy_bars_per_s"],
            "vectorbt_strategy_bars_per_s": vh["vectorbt_strategy_bars_per_s"],
            "ma_grid_spearman_total_return": vh["spearman_total_return"],
            "vectorbt_peak_rss_mb": vh["peak_rss_mb"],
        })
    summary["total_wall_s"] = round(total, 1)
    doc = {"suite": "qrp_jupyter benchmarks (issue 3: nulls vs arch / numpy loop, MA grid vs "
                    "vectorbt)",
           "mode": "quick" if args.quick else "full",
           "environment": env_rec, "summary": summary}
    if nulls is not None:
        doc["nulls"] = nulls
    if vbt is not None:
        doc["vectorbt"] = vbt
    return _write_and_emit(doc, args, "issue3.json")


def run_issue4(args, env) -> int:
    """The Jupyter layer: ``%load_ext`` and the first ``%%qrp_run`` (cold / warm JIT cache).

    ``bench_jupyter.py`` starts its own fresh process per sample; its document is written
    as is (it already holds ``headline`` and ``environment``) to
    ``benchmarks/results/issue4.json`` (full run)."""
    doc = run_child("bench_jupyter.py", ["--quick"] if args.quick else [], env)
    doc["suite"] = "qrp_jupyter benchmarks (issue 4: the Jupyter layer)"
    return _write_and_emit(doc, args, "issue4.json")


if __name__ == "__main__":
    sys.exit(main())

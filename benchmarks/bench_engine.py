"""Engine throughput: a 100-point MA-crossover grid over 43,800 hourly bars, against the numpy twin.

Usage (from the repo root, with the venv active)::

    python benchmarks/bench_engine.py                 # real data if ../shared/data exists
    python benchmarks/bench_engine.py --synthetic     # force the synthetic generator
    python benchmarks/bench_engine.py --repeats 20 --twin-repeats 5

Prints one JSON document to stdout (progress goes to stderr). What is measured:

* JIT compile: the first call of ``backtest_grid`` and of ``trial_metrics`` in this process,
  with numba's on-disk cache pointed at a fresh, empty temporary folder (a true cold compile,
  whatever caches the machine already holds), and again in a fresh child process that reuses
  that now-populated cache (what a user's second session pays).
* Steady state: the median of ``--repeats`` timed calls after a warm-up call, for
  positions+returns (``backtest_grid``), metrics (``trial_metrics``) and the whole
  (both, in one timed call); the same for the plain-numpy twin in ``tests/engine/naive.py``,
  in the same process, so the ratio cancels machine noise.
* strategy-bars/s = n_points * n_bars / seconds; ratio = engine throughput / twin throughput.
* Agreement: positions and returns must equal the twin's exactly (as the tests assert) and
  metrics agree within the tests' tolerance, so the comparison is like for like.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # after the sys.path line above: benchmarks run as scripts

N_BARS = 43_800                     # 5 years of hourly bars
FAMILY = "ma_crossover"
GRID = {"fast": [5, 10, 15, 20, 25, 30, 35, 40, 45, 50],
        "slow": [60, 80, 100, 120, 140, 160, 180, 200, 220, 240]}
FEE_BPS, SLIPPAGE_BPS = 4.0, 1.0
PERIODS_PER_YEAR = 8760.0
# Real files tried in order; the first with at least N_BARS rows is used (its last N_BARS rows).
REAL_CANDIDATES = ("binance-futures_BTC-USDT_1h.csv.gz", "binance_BTC-USDT_1h.csv.gz",
                   "gemini_BTC-USD_1h.csv.gz")
# The tests' tolerances for metrics (tests/engine/test_metrics.py).
RTOL, ATOL = 1e-12, 1e-14


def _count_rows(path: Path) -> int:
    with gzip.open(path, "rt") as fh:
        return sum(1 for line in fh if line.strip()) - 1  # minus the header


def choose_data(force_synthetic: bool):
    """(close prices, description) per the data policy in the module docstring."""
    import numpy as np

    from qrp_jupyter.data import load, synthetic

    desc: dict = {"n_bars_wanted": N_BARS, "shared_data_dir": "../shared/data",
                  "shared_data_present": C.SHARED_DATA.is_dir(), "considered": []}
    if not force_synthetic and C.SHARED_DATA.is_dir():
        for name in REAL_CANDIDATES:
            path = C.SHARED_DATA / name
            if not path.is_file():
                desc["considered"].append({"file": name, "used": False, "reason": "missing"})
                continue
            rows = _count_rows(path)
            if rows < N_BARS:
                desc["considered"].append({"file": name, "rows": rows, "used": False,
                                           "reason": f"too short: {rows} < {N_BARS} rows"})
                continue
            ds = load(path)
            asset = ds.assets[0]
            close = np.array(ds.close(asset)[-N_BARS:], dtype=np.float64)
            ts = np.asarray(ds.timestamps(asset)[-N_BARS:])
            steps = np.diff(ts) // ds.interval_ns
            import pandas as pd
            desc["considered"].append({"file": name, "rows": rows, "used": True,
                                       "reason": f"first file with >= {N_BARS} rows"})
            desc.update({
                "data_used": "real",
                "file": f"../shared/data/{path.name}",  # relative: no machine paths
                "asset": asset,
                "dataset_id_v2_of_whole_file": ds.dataset_id_v2,
                "rows_in_file": rows,
                "rows_used": int(close.size),
                "slice": f"last {N_BARS} rows",
                "first_bar_utc": pd.Timestamp(int(ts[0]), tz="UTC").isoformat(),
                "last_bar_utc": pd.Timestamp(int(ts[-1]), tz="UTC").isoformat(),
                "gaps_in_slice": int((steps > 1).sum()),
                "missing_bars_in_slice": int((steps[steps > 1] - 1).sum()),
                "note": ("gaps are not filled: consecutive rows are treated as consecutive bars, "
                         "as the engine does"),
            })
            return close, desc
        desc["fallback_reason"] = f"no file in ../shared/data has >= {N_BARS} hourly rows"
    elif force_synthetic:
        desc["fallback_reason"] = "--synthetic given"
    else:
        desc["fallback_reason"] = "../shared/data does not exist"
    ds = synthetic(n_bars=N_BARS, seed=0)
    close = np.array(ds.close(ds.assets[0]), dtype=np.float64)
    desc.update({"data_used": "synthetic", "generator": f"qrp_jupyter.data.synthetic(n_bars="
                 f"{N_BARS}, seed=0)", "dataset_id_v2": ds.dataset_id_v2,
                 "rows_used": int(close.size)})
    return close, desc


def first_calls(close, points) -> dict:
    """Time the first call of each public function in this process (includes JIT or cache load)."""
    from qrp_jupyter.engine import backtest_grid, trial_metrics

    t_bt, res = C.timed(lambda: backtest_grid(close, FAMILY, points, fee_bps=FEE_BPS,
                                              slippage_bps=SLIPPAGE_BPS))
    t_m, _ = C.timed(lambda: trial_metrics(res.returns, res.positions,
                                           periods_per_year=PERIODS_PER_YEAR))
    # The second call of each, for contrast (no compile, cold memory).
    t_bt2, res2 = C.timed(lambda: backtest_grid(close, FAMILY, points, fee_bps=FEE_BPS,
                                                slippage_bps=SLIPPAGE_BPS))
    t_m2, _ = C.timed(lambda: trial_metrics(res2.returns, res2.positions,
                                            periods_per_year=PERIODS_PER_YEAR))
    return {"backtest_grid_first_call_s": C.sig(t_bt), "trial_metrics_first_call_s": C.sig(t_m),
            "total_first_call_s": C.sig(t_bt + t_m),
            "backtest_grid_second_call_s": C.sig(t_bt2),
            "trial_metrics_second_call_s": C.sig(t_m2)}


def _probe_main(args) -> None:
    """Child mode: import, load the same prices, report first-call times only."""
    import numpy as np
    t_imp, _ = C.timed(lambda: __import__("qrp_jupyter.engine"))
    from qrp_jupyter.engine import expand_grid
    close = np.load(args.probe_close)
    points = list(expand_grid(FAMILY, GRID).points)
    out = first_calls(close, points)
    out["import_qrp_jupyter_engine_s"] = C.sig(t_imp)
    json.dump(out, sys.stdout)


def _warm_cache_probe(close, cache_dir: str, tmp: str) -> dict:
    """First calls in a fresh process whose numba cache already holds the compiled kernels."""
    import numpy as np
    path = os.path.join(tmp, "close.npy")
    np.save(path, close)
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    proc = subprocess.run([sys.executable, __file__, "--probe-close", path], env=env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:]}
    return json.loads(proc.stdout)


def paired_rounds(eng_whole, twin_whole, rounds: int) -> dict:
    """Ratios measured back to back: each round times the engine's whole (median of 3 calls) and
    then the twin's whole (1 call), so both see the same machine load. On a shared machine the
    load changes within seconds; the median of these per-round ratios is the robust figure."""
    import gc
    import statistics
    eng, tw, ratios = [], [], []
    for _ in range(rounds):
        e = []
        for _ in range(3):
            gc.collect()
            e.append(C.timed(eng_whole)[0])
        gc.collect()
        t = C.timed(twin_whole)[0]
        eng.append(statistics.median(e))
        tw.append(t)
        ratios.append(t / eng[-1])
    return {"rounds": rounds, "engine_calls_per_round": 3, "twin_calls_per_round": 1,
            "ratio_median": C.sig(statistics.median(ratios)),
            "ratio_min": C.sig(min(ratios)), "ratio_max": C.sig(max(ratios)),
            "ratios": [C.sig(r) for r in ratios],
            "engine_whole_s": [C.sig(x) for x in eng], "twin_whole_s": [C.sig(x) for x in tw]}


def _metrics_agree(got: dict, want: dict) -> tuple[bool, dict]:
    import numpy as np
    ok, worst = True, {}
    for name, a in got.items():
        b = want[name]
        if name == "n_trades":
            same = bool(np.array_equal(a, b))
            worst[name] = {"exact": same}
        else:
            atol = ATOL * (100 if name == "sharpe_annual" else 1)
            same = bool(np.allclose(a, b, rtol=RTOL, atol=atol, equal_nan=True))
            a, b = np.asarray(a, float), np.asarray(b, float)
            fin = np.isfinite(a) & np.isfinite(b)
            rel = np.abs(a[fin] - b[fin]) / np.maximum(np.abs(b[fin]), 1e-300)
            worst[name] = {"allclose": same,
                           "max_rel_diff": float(rel.max()) if rel.size else 0.0,
                           "nan_pattern_equal": bool(np.array_equal(np.isnan(a), np.isnan(b)))}
        ok &= same
    return ok, worst


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=30,
                    help="timed engine calls per figure, after one warm-up (default 30)")
    ap.add_argument("--twin-repeats", type=int, default=7,
                    help="timed numpy-twin calls per figure, after one warm-up (default 7)")
    ap.add_argument("--paired-rounds", type=int, default=11,
                    help="back-to-back engine/twin rounds for the paired ratio (default 11)")
    ap.add_argument("--synthetic", action="store_true", help="use the synthetic generator")
    ap.add_argument("--no-cache-probe", action="store_true",
                    help="skip the fresh-process first-call probe with a warm numba cache")
    ap.add_argument("--probe-close", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    threads = C.set_numba_threads()
    if args.probe_close:
        _probe_main(args)
        return 0

    # A fresh, empty numba cache: the first calls below are a real cold JIT compile.
    tmp = tempfile.mkdtemp(prefix="qrp-bench-engine-")
    cache_dir = os.path.join(tmp, "numba-cache")
    os.makedirs(cache_dir)
    caller_cache = os.environ.get("NUMBA_CACHE_DIR")
    os.environ["NUMBA_CACHE_DIR"] = cache_dir
    try:
        return _run(args, threads, tmp, cache_dir, caller_cache)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(args, threads, tmp, cache_dir, caller_cache) -> int:
    import numpy as np

    load_before = C.load_average()
    C.log("importing the engine")
    t_import, _ = C.timed(lambda: __import__("qrp_jupyter.engine"))
    from qrp_jupyter.engine import backtest_grid, expand_grid, trial_metrics

    naive = C.load_module("qrp_bench_engine_naive", C.REPO / "tests" / "engine" / "naive.py")

    C.log("loading data")
    close, data_desc = choose_data(args.synthetic)
    exp = expand_grid(FAMILY, GRID)
    points = list(exp.points)
    assert len(points) == 100 and exp.n_dropped == 0, "the grid must have 100 points"
    assert all(p["fast"] < p["slow"] for p in points)
    n_bars, k = int(close.size), len(points)
    strategy_bars = k * n_bars
    cost_bps = FEE_BPS + SLIPPAGE_BPS
    rss_before = C.current_rss_mb()

    C.log("first calls (cold JIT compile)")
    cold = first_calls(close, points)

    def eng_bt():
        return backtest_grid(close, FAMILY, points, fee_bps=FEE_BPS, slippage_bps=SLIPPAGE_BPS)

    res = eng_bt()

    def eng_m():
        return trial_metrics(res.returns, res.positions, periods_per_year=PERIODS_PER_YEAR)

    def eng_whole():
        r = eng_bt()
        return r, trial_metrics(r.returns, r.positions, periods_per_year=PERIODS_PER_YEAR)

    C.log(f"engine steady state ({args.repeats} repeats each)")
    engine = {"backtest": C.measure(eng_bt, repeats=args.repeats),
              "metrics": C.measure(eng_m, repeats=args.repeats),
              "whole": C.measure(eng_whole, repeats=args.repeats)}
    # The same whole with numba limited to one thread: the parallel speed-up, and a figure
    # that a busy second core cannot slow down.
    import numba
    n_threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        C.log(f"engine whole with 1 thread ({args.repeats} repeats)")
        engine_1t = C.measure(eng_whole, repeats=args.repeats)
    finally:
        numba.set_num_threads(n_threads)
    peak_after_engine = C.peak_rss_mb()

    def twin_bt():
        pos = naive.positions(FAMILY, close, points)
        return pos, naive.strategy_returns(pos, close, cost_bps)

    tw_pos, tw_ret = twin_bt()

    def twin_m():
        return naive.metrics(tw_ret, tw_pos, PERIODS_PER_YEAR)

    def twin_whole():
        pos, ret = twin_bt()
        return naive.metrics(ret, pos, PERIODS_PER_YEAR)

    C.log(f"numpy twin steady state ({args.twin_repeats} repeats each)")
    twin = {"backtest": C.measure(twin_bt, repeats=args.twin_repeats),
            "metrics": C.measure(twin_m, repeats=args.twin_repeats),
            "whole": C.measure(twin_whole, repeats=args.twin_repeats)}

    C.log(f"paired rounds ({args.paired_rounds}): engine whole x3 then twin whole x1, "
          "back to back")
    paired = paired_rounds(eng_whole, twin_whole, args.paired_rounds)

    C.log("agreement")
    eng_metrics = eng_m()
    tw_metrics = twin_m()
    pos_exact = bool(np.array_equal(res.positions, tw_pos))
    ret_exact = bool(np.array_equal(res.returns, tw_ret))
    ret_close = bool(np.allclose(res.returns, tw_ret, rtol=1e-12, atol=0.0))
    met_ok, met_detail = _metrics_agree(eng_metrics, tw_metrics)

    # Ratios from the unrounded medians; the JSON shows 4 significant figures.
    ratio = {name: C.sig(twin[name]["steady_median_s"] / engine[name]["steady_median_s"])
             for name in engine}
    engine_1t["ratio_vs_numpy_twin_whole"] = C.sig(
        twin["whole"]["steady_median_s"] / engine_1t["steady_median_s"])
    engine_1t["parallel_speedup_whole"] = C.sig(
        engine_1t["steady_median_s"] / engine["whole"]["steady_median_s"])
    for fig in [*engine.values(), *twin.values(), engine_1t]:
        fig["strategy_bars_per_s"] = C.sig(strategy_bars / fig["steady_median_s"])
        for key in ("steady_median_s", "steady_min_s", "steady_max_s"):
            fig[key] = C.sig(fig[key])

    warm = None
    if not args.no_cache_probe:
        C.log("first calls in a fresh process with the populated numba cache")
        warm = _warm_cache_probe(close, cache_dir, tmp)

    peak = C.peak_rss_mb()
    doc = {
        "benchmark": "engine",
        "environment": C.environment(
            threads, data_used=data_desc.get("data_used"),
            data_file=data_desc.get("file"), load_average_at_start=load_before,
            numba_cache_dir=("fresh temporary folder (cold JIT compile); caller's "
                             f"NUMBA_CACHE_DIR={caller_cache!r} not used")),
        "data": data_desc,
        "workload": {
            "family": FAMILY, "grid": GRID, "n_points": k, "n_bars": n_bars,
            "strategy_bars": strategy_bars, "fee_bps": FEE_BPS, "slippage_bps": SLIPPAGE_BPS,
            "periods_per_year": PERIODS_PER_YEAR,
            "backtest": "backtest_grid(close, 'ma_crossover', points, fee_bps, slippage_bps): "
                        "positions (T x k) + returns after costs (T-1 x k), input validation "
                        "included",
            "metrics": "trial_metrics(returns, positions, periods_per_year=8760): 8 metrics "
                       "per grid point",
            "whole": "backtest then metrics, timed as one call",
            "numpy_twin": "tests/engine/naive.py: positions() + strategy_returns() and "
                          "metrics(), plain numpy, one grid point at a time, no validation",
        },
        "jit": {
            "import_qrp_jupyter_engine_s": C.sig(t_import),
            "cold_cache_first_call_in_process": cold,
            "warm_disk_cache_fresh_process": warm,
            "note": ("first_call includes numba type inference + LLVM compile (cold) or cache "
                     "load (warm) + one execution; steady-state figures exclude it"),
        },
        "engine": engine,
        "engine_whole_1_thread": engine_1t,
        "numpy_twin": twin,
        "ratio_vs_numpy_twin": ratio,
        "ratio_vs_numpy_twin_paired": paired,
        "agreement": {
            "positions_exact": pos_exact,
            "returns_exact": ret_exact,
            "returns_allclose_rtol_1e-12": ret_close,
            "metrics_allclose_test_tolerance": met_ok,
            "metrics_tolerance": {"rtol": RTOL, "atol": ATOL,
                                  "atol_sharpe_annual": ATOL * 100, "n_trades": "exact"},
            "metrics_detail": met_detail,
            "all_agree": pos_exact and ret_exact and met_ok,
        },
        "memory": {
            "rss_mb_before_first_call": rss_before,
            "peak_rss_mb_after_engine_phase": peak_after_engine,
            "peak_rss_mb": peak,
            "note": ("getrusage ru_maxrss of the whole process (data loading, engine, then twin); "
                     "one (T x k) float64 matrix is "
                     f"{n_bars * k * 8 / 2**20:.1f} MiB"),
        },
        "headline": {
            "engine_strategy_bars_per_s": engine["whole"]["strategy_bars_per_s"],
            "numpy_twin_strategy_bars_per_s": twin["whole"]["strategy_bars_per_s"],
            "ratio_vs_numpy_twin": ratio["whole"],
            "ratio_vs_numpy_twin_paired_median": paired["ratio_median"],
            "engine_1_thread_strategy_bars_per_s": engine_1t["strategy_bars_per_s"],
            "engine_1_thread_ratio_vs_numpy_twin": engine_1t["ratio_vs_numpy_twin_whole"],
            "engine_whole_steady_median_s": engine["whole"]["steady_median_s"],
            "numpy_twin_whole_steady_median_s": twin["whole"]["steady_median_s"],
            "jit_compile_first_call_s": cold["total_first_call_s"],
            "first_call_with_warm_disk_cache_s": (warm or {}).get("total_first_call_s"),
            "peak_rss_mb": peak,
            "engine_and_twin_agree": pos_exact and ret_exact and met_ok,
            "data_used": data_desc.get("data_used"),
        },
    }
    doc["environment"]["load_average_at_end"] = C.load_average()
    C.emit(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())

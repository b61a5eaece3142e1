"""A 1,000-point MA-crossover grid over 43,800 hourly bars: QRP's engine against vectorbt.

Usage (from the repo root, with the venv active)::

    python benchmarks/bench_vectorbt.py                  # real data if ../shared/data exists
    python benchmarks/bench_vectorbt.py --synthetic      # force the synthetic generator
    python benchmarks/bench_vectorbt.py --chunk 100      # vectorbt in 100-column batches
    python benchmarks/bench_vectorbt.py --quick          # smoke run: 100 points, 2 repeats

Prints one JSON document to stdout (progress goes to stderr). What is measured:

* Workload: ``ma_crossover`` with ``fast`` in {5, 10, ..., 100} (20 values) and ``slow`` in
  {110, 120, ..., 600} (50 values): 1,000 points, all ``fast < slow``, 70 distinct windows.
  Data as ``bench_engine.py`` chooses it (the last 43,800 rows of the first long-enough file of
  ``../shared/data``, else synthetic). Costs: fee 4 bps + slippage 1 bps of traded notional.
* QRP: ``backtest_grid(...)`` then ``.metrics(periods_per_year=8760)`` in one timed call, and
  ``grid_metrics(...)`` (never materialises the (T, k) matrices).
* vectorbt: ``vbt.MA.run`` on the 70 distinct windows, the per-point fast/slow SMA columns
  gathered from it, long while fast > slow and short while fast < slow
  (``Portfolio.from_signals(close, entries, exits=None, short_entries, short_exits=None,
  fees=4e-4, slippage=1e-4, freq="1h", init_cash=1e6, size=inf)``: an opposite entry reverses
  the position at the bar's close, so the position decided at bar t is held over t+1, as in
  QRP), then ``pf.total_return()`` and ``pf.sharpe_ratio()`` per column, all in one timed call.
* JIT: the first call of each side is timed separately (vectorbt's on a small slice, which
  compiles the same numba signatures); steady state is the median of ``--repeats`` (QRP) and
  ``--vbt-repeats`` (vectorbt) calls after a warm-up.
* strategy-bars/s = 1,000 x 43,800 / seconds; ratio = QRP / vectorbt throughput.
* Agreement: Spearman rank correlation of total return (and of Sharpe) across the 1,000 points;
  exact equality is not expected (vectorbt compounds cash and charges the fee on the order's
  value, QRP uses unit notional per bar).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # after the sys.path line above: benchmarks run as scripts

FAMILY = "ma_crossover"
FAST = list(range(5, 101, 5))           # 20 values
SLOW = list(range(110, 601, 10))        # 50 values
FEE_BPS, SLIPPAGE_BPS = 4.0, 1.0
PERIODS_PER_YEAR = 8760.0
INIT_CASH = 1e6


def vbt_grid(close_np, index, points, chunk: int | None):
    """vectorbt's side: SMAs, signals, portfolio, total return and Sharpe per column."""
    import numpy as np
    import pandas as pd
    import vectorbt as vbt

    close = pd.Series(close_np, index=index, name="close")
    windows = sorted({p["fast"] for p in points} | {p["slow"] for p in points})
    ma = vbt.MA.run(close, window=windows, short_name="ma").ma.to_numpy()
    col = {w: i for i, w in enumerate(windows)}
    fi = np.array([col[p["fast"]] for p in points])
    si = np.array([col[p["slow"]] for p in points])
    k = len(points)
    step = chunk or k
    tr, sr = np.empty(k), np.empty(k)
    for j0 in range(0, k, step):
        j1 = min(k, j0 + step)
        f, s = ma[:, fi[j0:j1]], ma[:, si[j0:j1]]
        cols = pd.RangeIndex(j0, j1, name="point")
        long_ = pd.DataFrame(f > s, index=index, columns=cols)
        short = pd.DataFrame(f < s, index=index, columns=cols)
        pf = vbt.Portfolio.from_signals(close, entries=long_, exits=None,
                                        short_entries=short, short_exits=None,
                                        fees=FEE_BPS * 1e-4, slippage=SLIPPAGE_BPS * 1e-4,
                                        size=np.inf, init_cash=INIT_CASH, freq="1h")
        tr[j0:j1] = pf.total_return().to_numpy()
        sr[j0:j1] = pf.sharpe_ratio().to_numpy()
    return {"total_return": tr, "sharpe_annual": sr}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5,
                    help="timed QRP calls per figure, after one warm-up (default 5)")
    ap.add_argument("--vbt-repeats", type=int, default=3,
                    help="timed vectorbt calls, after one warm-up (default 3)")
    ap.add_argument("--chunk", type=int, default=None,
                    help="run vectorbt in batches of this many columns (default: all at once)")
    ap.add_argument("--synthetic", action="store_true", help="use the synthetic generator")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 100 points (fast <= 50, slow <= 200), 2 repeats each")
    args = ap.parse_args(argv)

    threads = C.set_numba_threads()
    load_before = C.load_average()
    import numpy as np
    import pandas as pd
    from scipy.stats import spearmanr

    import bench_engine  # same folder: reuse its data policy
    from qrp_jupyter.engine import backtest_grid, expand_grid, grid_metrics

    C.log("loading data")
    close, data_desc = bench_engine.choose_data(args.synthetic)
    n_bars = int(close.size)
    index = pd.date_range("2016-01-01", periods=n_bars, freq="h")  # vectorbt wants an index
    grid = ({"fast": FAST[:10], "slow": SLOW[:10]} if args.quick
            else {"fast": FAST, "slow": SLOW})
    if args.quick:
        args.repeats, args.vbt_repeats = 2, 2
    exp = expand_grid(FAMILY, grid)
    points = list(exp.points)
    k = len(points)
    assert exp.n_dropped == 0 and all(p["fast"] < p["slow"] for p in points)
    assert args.quick or k == 1000, "the grid must have 1,000 points"
    strategy_bars = k * n_bars

    def qrp_whole():
        r = backtest_grid(close, FAMILY, points, fee_bps=FEE_BPS, slippage_bps=SLIPPAGE_BPS)
        return r.metrics(periods_per_year=PERIODS_PER_YEAR)

    def qrp_stream():
        return grid_metrics(close, FAMILY, points, fee_bps=FEE_BPS, slippage_bps=SLIPPAGE_BPS,
                            periods_per_year=PERIODS_PER_YEAR)

    C.log("QRP first calls (JIT or numba disk cache)")
    t_q1, q_met = C.timed(qrp_whole)
    t_q2, _ = C.timed(qrp_stream)
    C.log(f"QRP steady state ({args.repeats} repeats each)")
    q_whole = C.measure(qrp_whole, repeats=args.repeats)
    q_stream = C.measure(qrp_stream, repeats=args.repeats)
    rss_qrp = C.peak_rss_mb()

    import vectorbt as vbt
    warnings.filterwarnings("ignore", category=FutureWarning)
    C.log("vectorbt first call on a small slice (numba JIT)")
    small = slice(0, 3000)
    t_v1, _ = C.timed(lambda: vbt_grid(close[small], index[small], points[:10], None))

    def vbt_whole():
        return vbt_grid(close, index, points, args.chunk)

    C.log(f"vectorbt full-size warm-up + {args.vbt_repeats} timed calls")
    t_vwarm, v_met = C.timed(vbt_whole)
    v = C.measure(vbt_whole, repeats=args.vbt_repeats, warmup=0)
    v["warmup_calls_excluded"] = 1
    v["full_size_warmup_call_s"] = C.sig(t_vwarm)
    rss_vbt = C.peak_rss_mb()

    rho_tr = float(spearmanr(q_met["total_return"], v_met["total_return"]).statistic)
    rho_sr = float(spearmanr(q_met["sharpe_annual"], v_met["sharpe_annual"]).statistic)
    best_q = int(np.argmax(q_met["total_return"]))
    best_v = int(np.argmax(v_met["total_return"]))
    top_q = set(np.argsort(-q_met["total_return"])[:20].tolist())
    top_v = set(np.argsort(-v_met["total_return"])[:20].tolist())

    def fig(m):
        out = dict(m)
        out["strategy_bars_per_s"] = C.sig(strategy_bars / m["steady_median_s"])
        for key in ("steady_median_s", "steady_min_s", "steady_max_s"):
            out[key] = C.sig(out[key])
        return out

    ratio_whole = v["steady_median_s"] / q_whole["steady_median_s"]
    ratio_stream = v["steady_median_s"] / q_stream["steady_median_s"]
    doc = {
        "benchmark": "vectorbt",
        "mode": "quick" if args.quick else "full",
        "environment": C.environment(
            threads, **C.versions("vectorbt", "scipy"),
            data_used=data_desc.get("data_used"), data_file=data_desc.get("file"),
            load_average_at_start=load_before, load_average_at_end=C.load_average()),
        "data": data_desc,
        "workload": {"family": FAMILY, "grid": grid, "n_points": k, "n_bars": n_bars,
                     "distinct_windows": len(set(grid["fast"]) | set(grid["slow"])),
                     "fee_bps": FEE_BPS, "slippage_bps": SLIPPAGE_BPS,
                     "periods_per_year": PERIODS_PER_YEAR,
                     "positions": ("+1 while fast SMA > slow SMA, -1 while below, flat when "
                                   "equal and before the slow SMA exists; decided at bar t, "
                                   "held over t+1")},
        "jit": {"qrp_backtest_grid_plus_metrics_first_call_s": C.sig(t_q1),
                "qrp_grid_metrics_first_call_s": C.sig(t_q2),
                "qrp_note": ("first call in this process; numba's on-disk cache (cache=True) "
                             "may already hold the kernels, see bench_engine.py for a cold "
                             "compile"),
                "vectorbt_first_call_small_slice_s": C.sig(t_v1),
                "vectorbt_small_slice": "3,000 bars x 10 points (compiles the same kernels)"},
        "qrp": {"backtest_grid_plus_metrics": fig(q_whole), "grid_metrics": fig(q_stream),
                "peak_rss_mb_after_qrp_phase": rss_qrp},
        "vectorbt": {**fig(v), "chunk_columns": args.chunk,
                     "chunked": bool(args.chunk and args.chunk < k),
                     "calls": ("vbt.MA.run(close, window=<70 windows>) -> gather columns -> "
                               "Portfolio.from_signals(close, entries=fast>slow, exits=None, "
                               "short_entries=fast<slow, short_exits=None, fees=4e-4, "
                               "slippage=1e-4, size=inf, init_cash=1e6, freq='1h') -> "
                               "total_return(), sharpe_ratio()"),
                     "peak_rss_mb_after_vectorbt_phase": rss_vbt},
        "ratio_vs_vectorbt": {"backtest_grid_plus_metrics": C.sig(ratio_whole),
                              "grid_metrics": C.sig(ratio_stream), "target": ">= 3"},
        "agreement": {
            "spearman_total_return": C.sig(rho_tr),
            "spearman_sharpe": C.sig(rho_sr),
            "best_point_by_total_return_qrp": points[best_q],
            "best_point_by_total_return_vectorbt": points[best_v],
            "top20_overlap": len(top_q & top_v),
            "ok": bool(rho_tr > 0.9),
            "note": ("exact equality is not expected: vectorbt compounds cash and trades whole "
                     "portfolio value, QRP uses unit notional per bar"),
        },
        "memory": {"peak_rss_mb": C.peak_rss_mb(),
                   "note": "ru_maxrss is the process peak so far; the vectorbt figure includes "
                           "the QRP phase before it"},
    }
    doc["headline"] = {
        "ma_grid_ratio_vs_vectorbt": doc["ratio_vs_vectorbt"]["backtest_grid_plus_metrics"],
        "ma_grid_metrics_ratio_vs_vectorbt": doc["ratio_vs_vectorbt"]["grid_metrics"],
        "qrp_steady_median_s": doc["qrp"]["backtest_grid_plus_metrics"]["steady_median_s"],
        "qrp_grid_metrics_steady_median_s": doc["qrp"]["grid_metrics"]["steady_median_s"],
        "vectorbt_steady_median_s": doc["vectorbt"]["steady_median_s"],
        "qrp_strategy_bars_per_s": doc["qrp"]["backtest_grid_plus_metrics"]["strategy_bars_per_s"],
        "vectorbt_strategy_bars_per_s": doc["vectorbt"]["strategy_bars_per_s"],
        "qrp_first_call_s": C.sig(t_q1), "vectorbt_first_call_s": C.sig(t_v1),
        "spearman_total_return": C.sig(rho_tr),
        "peak_rss_mb_after_qrp_phase": rss_qrp, "peak_rss_mb": doc["memory"]["peak_rss_mb"],
        "data_used": data_desc.get("data_used"), "data_file": data_desc.get("file"),
        "vectorbt_version": vbt.__version__,
    }
    C.emit(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())

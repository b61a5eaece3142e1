"""Multiple-testing nulls: SPA + StepM against arch, and PBO by CSCV against the numpy loop.

Usage (from the repo root, with the venv active)::

    python benchmarks/bench_nulls.py                    # full size (~2-4 min on 2 cores)
    python benchmarks/bench_nulls.py --arch-runs 2 --pbo-every 20
    python benchmarks/bench_nulls.py --quick            # smoke run at reduced size

Prints one JSON document to stdout (progress goes to stderr).

Data: when ``../shared/data`` holds the real candles, the k = 1000 models are the strategies of
the 1,000-point moving-average crossover grid of ``bench_vectorbt.py`` (fast 5..100, slow
110..600, fee 4 + slippage 1 bps) backtested by QRP's engine on the real hourly closes, and the
panel is their last T = 2520 per-bar returns: the workload a promotion gate meets. Otherwise,
or with ``--synthetic``, an AR(1) panel with ten planted edges; the JSON says which.

What is measured:

* SPA + StepM on T = 2520 rows, k = 1000 models, B = 1000 stationary-bootstrap replicates,
  ``studentize=False``, the SAME explicit mean block length on both sides (the Politis-White
  median of :func:`qrp_jupyter.stats.optimal_block_length` over the columns, rounded up).
  QRP: ``spa_stepm`` (one bootstrap pass for both tests) and, separately, ``spa`` + ``stepm``.
  arch: ``arch.bootstrap.SPA(...).compute()`` then ``StepM(...).compute()`` on losses =
  -returns, benchmark = zeros. arch is slow, so it is timed ``--arch-runs`` times (default 1)
  after an untimed small-problem warm-up; QRP is the median of ``--repeats`` calls after its
  JIT first call. Ratio = arch seconds / QRP seconds. Agreement: the three SPA p-values within
  Monte Carlo error, and the Jaccard index of the two StepM superior sets.
* PBO by CSCV on T = 2520, N = 1000, S = 16 (all 12,870 splits): ``pbo_cscv`` steady-state
  median against the straightforward loop in ``tests/stats/naive_pbo.py``. The loop is timed on
  every ``--pbo-every``-th split (default 10) and scaled to 12,870 splits; the JSON says so.
  The fast logits must equal the loop's on the timed splits.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # after the sys.path line above: benchmarks run as scripts

T_OBS, K_MODELS, REPS, SIZE = 2520, 1000, 1000, 0.05
PBO_BLOCKS = 16
DATA_SEED, BOOT_SEED = 20240601, 12345
AR_PHI = 0.15                                    # mild serial dependence: b > 1
EDGES = 10                                       # planted edges in columns 0..9


def make_returns(t_obs: int, k: int):
    """Synthetic daily returns: AR(1) noise, sd ~1%, plus graded planted edges in columns
    0..EDGES-1 (mean 2e-4 .. 1.2e-3 per period, t from ~1 to ~6)."""
    import numpy as np
    rng = np.random.default_rng(DATA_SEED)
    e = rng.standard_normal((t_obs, k)) * 0.01
    x = np.empty_like(e)
    x[0] = e[0]
    for t in range(1, t_obs):
        x[t] = AR_PHI * x[t - 1] + e[t]
    edges = np.linspace(2e-4, 1.2e-3, EDGES)
    x[:, :EDGES] += edges
    desc = {"data_used": "synthetic",
            "generator": (f"numpy default_rng({DATA_SEED}): AR(1) phi={AR_PHI} on N(0, 0.01^2) "
                          f"innovations, shape ({t_obs}, {k}); columns 0..{EDGES - 1} get "
                          f"planted mean edges linspace(2e-4, 1.2e-3, {EDGES})"),
            "n_obs": t_obs, "n_models": k, "planted_edge_columns": list(range(EDGES)),
            "planted_edge_means": [float(v) for v in edges]}
    return x, desc


def make_grid_returns(t_obs: int, k: int):
    """Real data: the last ``t_obs`` per-bar returns of the first ``k`` points of the MA
    crossover grid, backtested on the real closes chosen by ``bench_engine.choose_data`` (the
    whole series, so every moving average is warm); None when the real data is absent."""
    import bench_engine  # same folder: reuse its data policy
    import bench_vectorbt
    from qrp_jupyter.engine import backtest_grid, expand_grid

    close, desc = bench_engine.choose_data(False)
    if desc.get("data_used") != "real":
        return None
    points = list(expand_grid(bench_vectorbt.FAMILY, {"fast": bench_vectorbt.FAST,
                                                      "slow": bench_vectorbt.SLOW}).points)[:k]
    res = backtest_grid(close, bench_vectorbt.FAMILY, points, fee_bps=bench_vectorbt.FEE_BPS,
                        slippage_bps=bench_vectorbt.SLIPPAGE_BPS)
    x = res.returns[-t_obs:].copy()
    return x, {
        "data_used": "real", "file": desc["file"], "asset": desc["asset"],
        "models": (f"{bench_vectorbt.FAMILY} grid, first {k} points of fast "
                   f"{bench_vectorbt.FAST[0]}..{bench_vectorbt.FAST[-1]} x slow "
                   f"{bench_vectorbt.SLOW[0]}..{bench_vectorbt.SLOW[-1]}, fee "
                   f"{bench_vectorbt.FEE_BPS} + slippage {bench_vectorbt.SLIPPAGE_BPS} bps"),
        "rows": f"last {t_obs} per-bar returns of a backtest over the file's last "
                f"{close.size} hourly closes",
        "last_bar_utc": desc["last_bar_utc"], "n_obs": t_obs, "n_models": int(x.shape[1]),
        "planted_edge_columns": []}


def _mc_agree(p_qrp: float, p_arch: float, reps: int) -> dict:
    """Two independent Monte Carlo estimates of one p-value: agree when within 4 standard
    errors of their difference plus 1/(B+1) (QRP counts (1 + #)/(1 + B), arch #/B)."""
    p = min(max((p_qrp + p_arch) / 2, 1.0 / reps), 1 - 1.0 / reps)
    se = math.sqrt(2 * p * (1 - p) / reps)
    tol = 4 * se + 1.0 / (reps + 1)
    return {"qrp": C.sig(p_qrp), "arch": C.sig(p_arch), "abs_diff": C.sig(abs(p_qrp - p_arch)),
            "tolerance": C.sig(tol), "within_mc_error": bool(abs(p_qrp - p_arch) <= tol)}


def bench_spa_stepm(x, args, planted) -> dict:
    import numpy as np
    from arch.bootstrap import SPA, StepM

    from qrp_jupyter.stats import optimal_block_length, spa, spa_stepm, stepm

    t_obs, k = x.shape
    reps = args.reps
    C.log("block size: Politis-White median over the columns")
    t_pw, pw = C.timed(lambda: optimal_block_length(x))
    pw_median = float(np.median(pw["stationary"].to_numpy()))
    b = int(math.ceil(pw_median))

    def qrp_both():
        return spa_stepm(x, reps=reps, block_size=b, studentize=False, size=SIZE,
                         seed=BOOT_SEED)

    def qrp_separate():
        return (spa(x, reps=reps, block_size=b, studentize=False, seed=BOOT_SEED),
                stepm(x, reps=reps, block_size=b, studentize=False, size=SIZE, seed=BOOT_SEED))

    C.log("QRP spa_stepm first call (JIT)")
    t_first, (q_spa, q_stepm) = C.timed(qrp_both)
    t_first_sep, _ = C.timed(qrp_separate)
    C.log(f"QRP spa_stepm steady state ({args.repeats} repeats)")
    q_both = C.measure(qrp_both, repeats=args.repeats)
    q_sep = C.measure(qrp_separate, repeats=args.repeats)

    def qrp_bootstrap_t():
        return spa_stepm(x, reps=reps, block_size=b, studentize=True, size=SIZE,
                         seed=BOOT_SEED)

    C.log("QRP spa_stepm studentized (block bootstrap-t; arch has no counterpart)")
    t_first_t, _ = C.timed(qrp_bootstrap_t)
    q_t = C.measure(qrp_bootstrap_t, repeats=args.repeats)
    rss_qrp = C.peak_rss_mb()

    losses = -x
    bench = np.zeros(t_obs)

    def arch_both(n_models=None, reps_=reps):
        m = losses if n_models is None else losses[:, :n_models]
        s = SPA(bench, m, block_size=b, reps=reps_, bootstrap="stationary", studentize=False,
                seed=BOOT_SEED)
        ts, _ = C.timed(s.compute)
        sm = StepM(bench, m, size=SIZE, block_size=b, reps=reps_, bootstrap="stationary",
                   studentize=False, seed=BOOT_SEED)
        tm, _ = C.timed(sm.compute)
        return ts, tm, s, sm

    C.log("arch warm-up on a small problem (untimed)")
    arch_both(n_models=20, reps_=20)
    arch_spa_s, arch_stepm_s, a_spa, a_stepm = [], [], None, None
    for i in range(args.arch_runs):
        C.log(f"arch SPA + StepM at full size, run {i + 1}/{args.arch_runs}")
        ts, tm, a_spa, a_stepm = arch_both()
        arch_spa_s.append(ts)
        arch_stepm_s.append(tm)
    arch_total = [s + m for s, m in zip(arch_spa_s, arch_stepm_s)]
    arch_med = statistics.median(arch_total)
    rss_arch = C.peak_rss_mb()

    a_p = a_spa.pvalues
    pv = {kind: _mc_agree(float(getattr(q_spa.pvalues, kind)), float(a_p[kind]), reps)
          for kind in ("lower", "consistent", "upper")}
    q_set = {int(j) for j in q_stepm.superior}
    a_set = {int(j) for j in a_stepm.superior_models}
    union = q_set | a_set
    jac = len(q_set & a_set) / len(union) if union else 1.0
    # A model named by one side only is expected when its adjusted p-value sits within Monte
    # Carlo error of the size: each side draws its own replicates.
    disagreements = []
    for j in sorted(q_set ^ a_set):
        p_j = float(q_stepm.adjusted_pvalues[j])
        tol = _mc_agree(p_j, SIZE, reps)["tolerance"]
        disagreements.append({"model": j, "named_by": "qrp" if j in q_set else "arch",
                              "qrp_adjusted_pvalue": C.sig(p_j), "size": SIZE,
                              "tolerance": tol, "borderline": bool(abs(p_j - SIZE) <= tol)})
    return {
        "workload": {"n_obs": t_obs, "n_models": k, "reps": reps, "size": size_fmt(SIZE),
                     "bootstrap": "stationary", "studentize": False,
                     "block_size": b, "block_size_rule": ("ceil(median over the columns of "
                                                          "optimal_block_length(x)['stationary'])"),
                     "politis_white_median": C.sig(pw_median),
                     "optimal_block_length_s": C.sig(t_pw), "seed": BOOT_SEED,
                     "arch_inputs": "benchmark losses = zeros(T), model losses = -returns"},
        "qrp": {
            "jit_first_call_spa_stepm_s": C.sig(t_first),
            "first_call_spa_plus_stepm_separate_s": C.sig(t_first_sep),
            "spa_stepm_one_pass": _fmt(q_both),
            "spa_plus_stepm_separate": _fmt(q_sep),
            "spa_stepm_one_pass_studentized_bootstrap_t": {
                "first_call_s": C.sig(t_first_t), **_fmt(q_t),
                "note": "QRP's default studentize=True: each replicate's block-sum sd as well; "
                        "not a ratio target (arch's studentize only sets a threshold)"},
            "peak_rss_mb_after_qrp_phase": rss_qrp,
        },
        "arch": {
            "timed_runs": args.arch_runs,
            "warmup": "one untimed SPA+StepM on 20 models x 20 reps (imports, first calls)",
            "spa_compute_s": [C.sig(v) for v in arch_spa_s],
            "stepm_compute_s": [C.sig(v) for v in arch_stepm_s],
            "spa_plus_stepm_s": [C.sig(v) for v in arch_total],
            "spa_plus_stepm_median_s": C.sig(arch_med),
            "peak_rss_mb_after_arch_phase": rss_arch,
        },
        "ratio_vs_arch": {
            "spa_stepm_one_pass": C.sig(arch_med / q_both["steady_median_s"]),
            "spa_plus_stepm_separate": C.sig(arch_med / q_sep["steady_median_s"]),
            "target": ">= 20",
        },
        "agreement": {
            "spa_pvalues": pv,
            "spa_pvalues_all_within_mc_error": all(v["within_mc_error"] for v in pv.values()),
            "spa_pvalue_convention": "QRP (1 + count) / (1 + B); arch count / B",
            "stepm_superior_qrp": sorted(q_set),
            "stepm_superior_arch": sorted(a_set),
            "stepm_superior_jaccard": C.sig(jac),
            "stepm_disagreements": disagreements,
            "stepm_disagreements_all_borderline": all(d["borderline"] for d in disagreements),
            "planted_edges_found_by_qrp": sorted(q_set & set(planted)),
            "note": ("different random streams on each side, so the p-values agree within Monte "
                     "Carlo error, not exactly; borderline models may fall on either side of "
                     "StepM's critical value"),
        },
    }


def size_fmt(v: float) -> float:
    return float(v)


def _fmt(fig: dict) -> dict:
    out = dict(fig)
    for key in ("steady_median_s", "steady_min_s", "steady_max_s"):
        out[key] = C.sig(out[key])
    return out


def bench_pbo(x, args) -> dict:
    import numpy as np

    from qrp_jupyter.stats import pbo_cscv

    naive = C.load_module("qrp_bench_naive_pbo", C.REPO / "tests" / "stats" / "naive_pbo.py")
    C.log("pbo_cscv first call (JIT)")
    t_first, res = C.timed(lambda: pbo_cscv(x, n_blocks=PBO_BLOCKS))
    C.log(f"pbo_cscv steady state ({args.repeats} repeats)")
    fast = C.measure(lambda: pbo_cscv(x, n_blocks=PBO_BLOCKS), repeats=args.repeats)
    rss_fast = C.peak_rss_mb()
    n_splits = int(res.n_splits)
    splits = list(range(0, n_splits, args.pbo_every))
    C.log("numpy loop warm-up (3 splits, untimed)")
    naive.pbo_cscv(x, PBO_BLOCKS, splits=splits[:3])
    C.log(f"numpy loop over {len(splits)} of {n_splits} splits (every {args.pbo_every}th), once")
    t_loop, ref = C.timed(lambda: naive.pbo_cscv(x, PBO_BLOCKS, splits=splits))
    rss_loop = C.peak_rss_mb()
    scaled = t_loop * n_splits / len(splits)
    got = np.asarray(res.logits)[splits]
    want = ref["logits"]
    exact = bool(np.array_equal(got, want))
    max_abs = float(np.max(np.abs(got - want))) if got.size else 0.0
    return {
        "workload": {"n_obs": int(x.shape[0]), "n_strategies": int(x.shape[1]),
                     "n_blocks": PBO_BLOCKS, "n_splits": n_splits,
                     "block_rows": int(res.block_rows), "rows_dropped": int(res.rows_dropped)},
        "qrp": {"jit_first_call_s": C.sig(t_first), **_fmt(fast),
                "pbo": float(res.pbo), "peak_rss_mb_after_qrp_phase": rss_fast},
        "numpy_loop": {
            "reference": "tests/stats/naive_pbo.py pbo_cscv (loaded by file path)",
            "splits_timed": len(splits), "every_nth_split": args.pbo_every,
            "timed_runs": 1, "warmup": "3 splits, untimed",
            "subset_s": C.sig(t_loop),
            "per_split_s": C.sig(t_loop / len(splits)),
            "scaled_to_all_splits_s": C.sig(scaled),
            "scaling": (f"time of splits 0, {args.pbo_every}, 2*{args.pbo_every}, ... "
                        f"({len(splits)} splits) x {n_splits} / {len(splits)}"),
            "pbo_over_timed_splits": float(ref["pbo"]),
            "peak_rss_mb_after_loop_phase": rss_loop,
        },
        "ratio_vs_numpy_loop": C.sig(scaled / fast["steady_median_s"]),
        "targets": {"ratio": ">= 50", "steady_s": "< 1"},
        "agreement": {"logits_equal_on_timed_splits": exact,
                      "logits_allclose_test_tolerance": bool(np.allclose(
                          got, want, rtol=1e-12, atol=1e-12)),
                      "test_tolerance": "rtol=atol=1e-12, as tests/stats/test_pbo*.py",
                      "logits_max_abs_diff": max_abs,
                      "oos_rank_equal_on_timed_splits": bool(np.array_equal(
                          np.asarray(res.oos_rank)[splits], ref["rank"])),
                      "best_equal_on_timed_splits": bool(np.array_equal(
                          np.asarray(res.in_sample_best)[splits], ref["best"]))},
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5,
                    help="timed QRP calls per figure, after the first call (default 5)")
    ap.add_argument("--arch-runs", type=int, default=1,
                    help="timed arch SPA+StepM runs at full size (default 1; ~25 s each)")
    ap.add_argument("--pbo-every", type=int, default=10,
                    help="time the numpy PBO loop on every n-th split and scale (default 10)")
    ap.add_argument("--reps", type=int, default=REPS, help="bootstrap replicates (default 1000)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: k = 100 models, B = 200, PBO on every 200th split")
    ap.add_argument("--synthetic", action="store_true",
                    help="use the synthetic AR(1) panel with planted edges even when the real "
                         "data is present")
    ap.add_argument("--skip-arch", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    k = K_MODELS
    if args.quick:
        k, args.reps, args.pbo_every, args.repeats = 100, 200, 200, 3

    threads = C.set_numba_threads()
    load_before = C.load_average()
    real = None if args.synthetic else make_grid_returns(T_OBS, k)
    if real is None:
        C.log("data: synthetic AR(1) panel with planted edges"
              + ("" if args.synthetic else " (../shared/data has no usable candles)"))
        x, data_desc = make_returns(T_OBS, k)
    else:
        C.log(f"data: MA grid returns on {real[1]['file']}")
        x, data_desc = real
    spa_doc = bench_spa_stepm(x, args, data_desc["planted_edge_columns"])
    pbo_doc = bench_pbo(x, args)
    import arch
    import statsmodels
    doc = {
        "benchmark": "nulls",
        "mode": "quick" if args.quick else "full",
        "environment": C.environment(
            threads, **C.versions("arch", "statsmodels", "scipy"),
            data_used=data_desc["data_used"], load_average_at_start=load_before,
            load_average_at_end=C.load_average()),
        "data": data_desc,
        "spa_stepm": spa_doc,
        "pbo": pbo_doc,
        "memory": {"peak_rss_mb": C.peak_rss_mb(),
                   "note": "getrusage ru_maxrss is the process peak so far: each phase's figure "
                           "includes the phases before it (QRP SPA/StepM, arch, PBO, loop)"},
    }
    doc["headline"] = {
        "spa_stepm_ratio_vs_arch": spa_doc["ratio_vs_arch"]["spa_stepm_one_pass"],
        "spa_plus_stepm_separate_ratio_vs_arch": spa_doc["ratio_vs_arch"]["spa_plus_stepm_separate"],
        "qrp_spa_stepm_steady_median_s": spa_doc["qrp"]["spa_stepm_one_pass"]["steady_median_s"],
        "qrp_spa_plus_stepm_separate_steady_median_s":
            spa_doc["qrp"]["spa_plus_stepm_separate"]["steady_median_s"],
        "arch_spa_plus_stepm_s": spa_doc["arch"]["spa_plus_stepm_median_s"],
        "arch_timed_runs": args.arch_runs,
        "qrp_spa_stepm_jit_first_call_s": spa_doc["qrp"]["jit_first_call_spa_stepm_s"],
        "spa_pvalues_within_mc_error": spa_doc["agreement"]["spa_pvalues_all_within_mc_error"],
        "stepm_superior_jaccard": spa_doc["agreement"]["stepm_superior_jaccard"],
        "stepm_disagreements_all_borderline":
            spa_doc["agreement"]["stepm_disagreements_all_borderline"],
        "pbo_ratio_vs_numpy_loop": pbo_doc["ratio_vs_numpy_loop"],
        "pbo_steady_s": pbo_doc["qrp"]["steady_median_s"],
        "pbo_jit_first_call_s": pbo_doc["qrp"]["jit_first_call_s"],
        "pbo_numpy_loop_scaled_s": pbo_doc["numpy_loop"]["scaled_to_all_splits_s"],
        "pbo_numpy_loop_every_nth_split": args.pbo_every,
        "pbo_logits_equal": pbo_doc["agreement"]["logits_equal_on_timed_splits"],
        "pbo_logits_allclose_1e-12": pbo_doc["agreement"]["logits_allclose_test_tolerance"],
        "pbo_logits_max_abs_diff": pbo_doc["agreement"]["logits_max_abs_diff"],
        "peak_rss_mb": doc["memory"]["peak_rss_mb"],
        "arch_version": arch.__version__, "statsmodels_version": statsmodels.__version__,
    }
    C.emit(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())

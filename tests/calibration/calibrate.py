"""Measure the size and power of QRP's statistical tests (DESIGN section 5, "Calibration").

``python tests/calibration/calibrate.py`` runs every cell and writes ``results.json`` beside this
file, tagged with the engine version and the library versions. ``test_calibration.py`` checks the
committed file and re-runs a prefix of every size cell (same seeds) to confirm it.

A cell is (test, process, edge, T, k, B, R). Repetition i of a cell draws its data and its
bootstrap seed from child i of a SeedSequence keyed by the cell, so the first R' < R repetitions
of a cell are the same whatever R is.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

# The thread count must be set before numba is first imported, so the imports follow it.
os.environ.setdefault("NUMBA_NUM_THREADS", "2")

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from processes import PROCESSES, panel

import qrp_jupyter
from qrp_jupyter.engine import ENGINE_VERSION
from qrp_jupyter.stats import (
    adjust_pvalues, deflated_sharpe, hac_tstat, pbo_cscv, permutation_test, probabilistic_sharpe,
    reality_check, sharpe_variance_term, spa, stepm,
)

RESULTS = Path(__file__).resolve().parent / "results.json"
ALPHA = 0.05
SIZE_BAND = (0.025, 0.08)
POWER_FLOOR = 0.80
ROOT_SEED = 20240501

# Sizes. Null cells: T = 500, k = 10, B = 199. Bootstrap and permutation tests R = 1000 (Wilson
# half-width at 5% ~1.4 points), the cheap tests R = 4000 (~0.7 points). Power: one of k = 10
# models has mean 0.1 sd per period; at T = 500 its t is only 2.24 against a best-of-10 critical
# value of ~2.6, so the >= 0.8 floor is required at T = 2000 (t = 4.47); T = 500 power is
# recorded too.
T_NULL, K, B = 500, 10, 199
R_BOOT, R_CHEAP = 1000, 4000
# pytest re-runs every size cell in full (same seeds): it must reproduce the stored count, so
# the banded rate is checked on exactly the repetitions results.json reports.
R_CHECK_BOOT, R_CHECK_CHEAP = R_BOOT, R_CHEAP
EDGE, T_POWER = 0.1, 2000
R_POWER_BOOT, R_POWER_CHEAP = 150, 2000
R_CHECK_POWER = 100
R_PBO = 200
# AR(1) at T = 500 over-rejects (weak dependence plus a short sample: the block length and the
# Bartlett lags are estimated from 500 points); the standard remedy is a longer sample, so AR(1)
# is calibrated at T = 2000 and the T = 500 cells are kept as a recorded diagnostic.
T_BY_PROCESS = {"ar1": [2000, 500]}
# Open defects, measured and kept visible (a test asserts each is still out of band, so a fix
# forces this set to be updated). PSR left it when its standard error became autocorrelation-
# robust (8.4% on AR(1) with the iid formula). StepM left it with engine 0.2.0: with a fixed
# bootstrap studentizer its familywise error on AR(1) at T = 2000 was 8.2% [6.7, 10.1]; the
# block bootstrap-t (each replicate divided by its own block-sum standard deviation) brings it
# back into the band.
KNOWN_MISSIZED: set[tuple[str, str]] = set()
# The permutation test: a 5-point time-series-momentum grid on the path whose log returns are
# 0.01 * the process, B_PERM permutations (p = (1 + #) / (1 + B) <= 0.05 is exactly 5% under
# exchangeability). AR(1) returns are NOT a null for it: their order is information momentum
# uses, so that cell measures power (the null "order carries nothing" is false).
PERM_POINTS = [{"lookback": n} for n in (1, 2, 4, 8, 16)]
B_PERM = 99


def _adjusted_any(method):
    def run(x, seed, edged):
        p = [hac_tstat(x[:, j]).pvalue for j in range(x.shape[1])]
        adj = adjust_pvalues(p, method=method)
        return bool(adj[0] <= ALPHA) if edged else bool((adj <= ALPHA).any())
    return run


def _permutation(x, seed, edged):
    close = 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(0.01 * x[:, 0])]))
    return permutation_test(close, "ts_momentum", PERM_POINTS, fee_bps=0.0, slippage_bps=0.0,
                            reps=B_PERM, seed=seed).pvalue <= ALPHA


def _dsr(x, seed, edged):
    sr = x.mean(axis=0) / x.std(axis=0, ddof=1)
    best = int(np.argmax(sr))
    # as promotion computes it: the PSR's Newey-West standard error
    d = deflated_sharpe(float(sr[best]), n_obs=x.shape[0], n_trials=x.shape[1],
                        sr_variance=float(np.var(sr, ddof=1)),
                        variance_term=sharpe_variance_term(x[:, best]))
    return d >= 1 - ALPHA and (best == 0 or not edged)


@dataclass(frozen=True)
class Test:
    name: str
    description: str
    run: Callable[[np.ndarray, int, bool], bool]   # (panel, bootstrap seed, edged) -> rejected
    n_models: int          # columns it looks at (1: a single-series test)
    bootstrap: bool        # expensive: R_BOOT, else R_CHEAP
    banded: bool = True    # size must lie in SIZE_BAND
    #: Processes under which the test's null is false: there the rejection rate is power.
    not_null: frozenset = frozenset()


TESTS = [
    Test("reality_check", "White RC, non-studentized, p <= 0.05 (zero benchmark)",
         lambda x, s, e: reality_check(x, reps=B, seed=s).pvalue <= ALPHA, K, True),
    Test("reality_check_studentized", "White RC, studentized, p <= 0.05",
         lambda x, s, e: reality_check(x, reps=B, seed=s, studentize=True).pvalue <= ALPHA,
         K, True),
    Test("spa_consistent", "Hansen SPA studentized, consistent p <= 0.05",
         lambda x, s, e: spa(x, reps=B, seed=s, studentize=True).pvalue <= ALPHA, K, True),
    Test("stepm_fwer", "Romano-Wolf StepM studentized, size 0.05: null = any model declared "
         "superior (FWER); edge = the edged model declared superior",
         lambda x, s, e: (0 in stepm(x, reps=B, seed=s, size=ALPHA).superior) if e
         else len(stepm(x, reps=B, seed=s, size=ALPHA).superior) > 0, K, True),
    Test("hac_two_sided", "Newey-West HAC t of one series' mean, default lags, two-sided "
         "normal p <= 0.05",
         lambda x, s, e: hac_tstat(x[:, 0]).pvalue <= ALPHA, 1, False),
    Test("psr", "probabilistic_sharpe(one series, sr_benchmark=0) >= 0.95 (one-sided 5%)",
         lambda x, s, e: probabilistic_sharpe(x[:, 0]) >= 1 - ALPHA, 1, False),
    Test("bh_any", "BH-adjusted HAC p-values of k independent series: null = any adjusted "
         "p <= 0.05 (FWER under the global null = alpha for independent uniform p); edge = the "
         "edged series' adjusted p <= 0.05", _adjusted_any("bh"), K, False),
    Test("holm_any", "Holm-adjusted HAC p-values of k independent series: null = any adjusted "
         "p <= 0.05 (FWER; Holm's first step, min p <= alpha / k, has size "
         "1 - (1 - alpha / k)^k = 4.89% for k = 10); edge = the edged series' adjusted p <= 0.05",
         _adjusted_any("holm"), K, False),
    Test("by_any", "BY-adjusted HAC p-values of k independent series: null = any adjusted "
         "p <= 0.05. Recorded, not banded: BY is BH at level alpha / H_k (H_k = sum 1/i, 2.929 "
         "for k = 10), so with exactly uniform independent p-values it rejects under the global "
         "null with probability alpha / H_k = 1.71%, conservative by design (it controls the "
         "FDR under any dependence); HAC p-values at T = 500 have slightly heavy tails, which "
         "lifts that a little; edge = the edged series' adjusted p <= 0.05",
         _adjusted_any("by"), K, False, banded=False),
    Test("permutation", "Monte Carlo permutation test (Masters 2018) of the best Sharpe over a "
         "5-point ts_momentum grid, 99 permutations, p <= 0.05; on AR(1) it measures power",
         _permutation, 1, True, not_null=frozenset({"ar1"})),
    Test("dsr_best_of_k", "deflated_sharpe of the best of k Sharpes (n_trials = k, "
         "sr_variance = sample variance of the k Sharpes, Newey-West variance term as in "
         "promotion) >= 0.95; recorded, not banded: "
         "SR* is the EXPECTED maximum, not a quantile, so the test is conservative by design",
         _dsr, K, False, banded=False),
]
TESTS_BY_NAME = {t.name: t for t in TESTS}


def wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score 95% interval for a binomial proportion."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _cell_seed(*parts) -> np.random.SeedSequence:
    key = [ROOT_SEED] + [zlib.crc32(str(p).encode()) for p in parts]
    return np.random.SeedSequence(key)


def rejection_rate(test: str | Test, process: str, *, reps: int, n_obs: int, edge: float = 0.0,
                   boot_reps: int = B, checkpoint: int | None = None) -> dict:
    """Run ``reps`` seeded repetitions of ``test`` on ``process`` and measure its rejection rate.

    Returns a dict: rejections (and check_rejections after the first ``checkpoint``), rate, wilson95 [lo, hi], seconds, ms_per_rep, and the sizes used.
    """
    t = TESTS_BY_NAME[test] if isinstance(test, str) else test
    edged = edge != 0.0
    root = _cell_seed(t.name, process, edge, n_obs)
    hits = 0
    start = time.perf_counter()
    at_check = None
    for i, child in enumerate(root.spawn(reps)):
        if i == checkpoint:
            at_check = hits
        data_ss, boot_ss = child.spawn(2)
        x = panel(process, np.random.default_rng(data_ss), n_obs, t.n_models, edge=edge)
        hits += bool(t.run(x, int(boot_ss.generate_state(1)[0]), edged))
    if checkpoint == reps:
        at_check = hits
    secs = time.perf_counter() - start
    lo, hi = wilson(hits, reps)
    return {
        "test": t.name, "process": process, "edge": edge, "T": n_obs, "k": t.n_models,
        "B": boot_reps if t.bootstrap else None, "R": reps, "alpha": ALPHA,
        "rejections": hits, "rate": hits / reps, "wilson95": [lo, hi],
        "seconds": round(secs, 2), "ms_per_rep": round(1000 * secs / reps, 3),
        **({} if checkpoint is None else {"check_R": checkpoint, "check_rejections": at_check}),
    }


def pbo_cell(process: str, *, reps: int, n_obs: int, edge: float, n_models: int = K) -> dict:
    """Mean PBO (CSCV, 16 blocks) over ``reps`` panels; PBO is not a p-value."""
    root = _cell_seed("pbo", process, edge, n_obs)
    vals = []
    start = time.perf_counter()
    for child in root.spawn(reps):
        x = panel(process, np.random.default_rng(child), n_obs, n_models, edge=edge)
        vals.append(pbo_cscv(x).pbo)
    secs = time.perf_counter() - start
    v = np.asarray(vals)
    return {
        "test": "pbo_cscv", "process": process, "edge": edge, "T": n_obs, "k": n_models,
        "n_blocks": 16, "R": reps, "mean_pbo": float(v.mean()),
        "se_mean": float(v.std(ddof=1) / math.sqrt(reps)), "median_pbo": float(np.median(v)),
        "share_pbo_le_0.1": float((v <= 0.1).mean()), "seconds": round(secs, 2),
    }


def _log(msg: str) -> None:
    print(msg, flush=True)


def main() -> dict:
    started = time.perf_counter()
    size, power, pbo = [], [], []
    for process in PROCESSES:
      for n_obs in T_BY_PROCESS.get(process, [T_NULL]):
        for t in TESTS:
            r = R_BOOT if t.bootstrap else R_CHEAP
            check = R_CHECK_BOOT if t.bootstrap else R_CHECK_CHEAP
            cell = rejection_rate(t, process, reps=r, n_obs=n_obs, checkpoint=check)
            if process in t.not_null:   # the null is false here: this is power, not size
                cell["floor"] = POWER_FLOOR if n_obs == T_BY_PROCESS.get(
                    process, [T_NULL])[0] else None
                cell["meets_floor"] = None if cell["floor"] is None else \
                    cell["rate"] >= cell["floor"]
                cell["alternative"] = f"{process} structure, zero mean"
                power.append(cell)
                _log(f"power {t.name:27s} {process:11s} T={n_obs} {cell['rate']:.3f} "
                     f"(structure) {cell['seconds']}s")
                continue
            cell["role"] = ("calibration" if n_obs == T_BY_PROCESS.get(process, [T_NULL])[0]
                            else "diagnostic")
            cell["known_missized"] = (t.name, process) in KNOWN_MISSIZED
            cell["banded"] = t.banded
            cell["in_band"] = SIZE_BAND[0] <= cell["rate"] <= SIZE_BAND[1]
            size.append(cell)
            _log(f"size  {t.name:27s} {process:11s} T={n_obs} {cell['rate']:.4f} "
                 f"[{cell['wilson95'][0]:.4f}, {cell['wilson95'][1]:.4f}] {cell['seconds']}s")
    for process in PROCESSES:
        for n_obs in ([500, T_POWER] if process == "iid_normal" else [T_POWER]):
            for t in TESTS:
                if t.not_null:  # its alternative is structure, not a mean: power comes above
                    continue
                r = R_POWER_BOOT if t.bootstrap else R_POWER_CHEAP
                cell = rejection_rate(t, process, reps=r, n_obs=n_obs, edge=EDGE,
                                      checkpoint=min(r, R_CHECK_POWER))
                floor = POWER_FLOOR if (process == "iid_normal" and n_obs == T_POWER
                                        and t.banded) else None
                cell["floor"] = floor
                cell["meets_floor"] = None if floor is None else cell["rate"] >= floor
                cell["alternative"] = f"mean {EDGE} sd on one of {t.n_models}"
                power.append(cell)
                _log(f"power {t.name:27s} {process:11s} T={n_obs} {cell['rate']:.3f} "
                     f"{cell['seconds']}s")
    for process in PROCESSES:
        for edge, n_obs in [(0.0, T_NULL), (EDGE, T_NULL), (EDGE, T_POWER)]:
            cell = pbo_cell(process, reps=R_PBO, n_obs=n_obs, edge=edge)
            pbo.append(cell)
            _log(f"pbo   {process:11s} edge={edge} T={n_obs} {cell['mean_pbo']:.3f}")
    out = {
        "engine_version": ENGINE_VERSION,
        "qrp_version": qrp_jupyter.__version__,
        "numpy_version": np.__version__,
        "numba_version": numba.__version__,
        "python_version": platform.python_version(),
        "numba_num_threads": numba.config.NUMBA_NUM_THREADS,
        "date": _dt.date.today().isoformat(),
        "alpha": ALPHA, "size_band": list(SIZE_BAND), "power_floor": POWER_FLOOR,
        "root_seed": ROOT_SEED, "edge_sd": EDGE,
        "processes": {
            "iid_normal": "N(0,1)",
            "student_t": "t(4) * sqrt(1/2): unit variance",
            "garch": "GARCH(1,1) omega 0.05, alpha 0.10, beta 0.85, normal innovations, "
                     "burn-in 500",
            "ar1": "AR(1) phi 0.2, innovation var 1 - phi^2, mean 0, burn-in 500",
        },
        "tests": {t.name: t.description for t in TESTS},
        "size": size, "power": power, "pbo": pbo,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    RESULTS.write_text(json.dumps(out, indent=1) + "\n")
    _log(f"wrote {RESULTS} in {out['total_seconds']}s")
    return out


if __name__ == "__main__":
    main()

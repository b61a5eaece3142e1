"""What the causality probe adds to a run: the demo configs on the demo data, stage by stage.

Usage (from the repo root, with the venv active)::

    python benchmarks/bench_probe.py               # 3 timed runs per config after a warm-up
    python benchmarks/bench_probe.py --repeats 1   # quick smoke run

Each config (the demo's edge and noise configs, and the edge grid as a user function) is
prepared once, then ``compute_run`` is called ``--repeats`` times after one untimed warm-up; a
progress callback stamps the end of every stage. Per config the JSON gives the median of the
probe stage, of the whole ``compute_run`` and their ratio (the probe's share of computing a
run), measured in the same calls. Prints one JSON document to stdout.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # after the sys.path line above: benchmarks run as scripts

USER_SOURCE = '''\
def demo_momentum(close, lookback):
    out = np.zeros_like(close)
    out[lookback:] = np.sign(close[lookback:] - close[:-lookback])
    return out
'''


def _stage_times(prep, compute_run) -> tuple[float, dict[str, float]]:
    stamps: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    compute_run(prep, progress=lambda stage, done, total: stamps.append(
        (stage, time.perf_counter())))
    total = time.perf_counter() - t0
    out, prev = {}, stamps[0][1]
    for stage, t in stamps[1:]:
        out[stage] = t - prev
        prev = t
    return total, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    threads = C.set_numba_threads()

    from qrp_jupyter.data import synthetic
    from qrp_jupyter.demo import DEMO_BARS, DEMO_DATASETS, EDGE_CONFIG, NOISE_CONFIG
    from qrp_jupyter.runs import prepare_run, register_dataset
    from qrp_jupyter.identity import code_hash
    from qrp_jupyter.runs.execute import UserCode, compute_run
    from qrp_jupyter.store import open_store

    user_config = EDGE_CONFIG.replace('kind = "ts_momentum"',
                                      'kind = "user"\nfunction = "demo_momentum"')
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.sqlite")
        for name, seed, edge, asset in DEMO_DATASETS:
            register_dataset(store, synthetic(n_bars=DEMO_BARS, seed=seed, edge=edge,
                                              assets=(asset,)),
                             name=name)
        code = UserCode(USER_SOURCE, "demo_momentum",
                        code_hash(USER_SOURCE, entry_point="demo_momentum"))
        for label, cfg, kw in (("edge ts_momentum (6 points)", EDGE_CONFIG, {}),
                               ("noise ma_crossover (48 points)", NOISE_CONFIG, {}),
                               ("edge grid as a user function (6 points)", user_config,
                                {"code": code})):
            prep = prepare_run(store, cfg, **kw)
            C.log(f"{label}: warm-up")
            _stage_times(prep, compute_run)
            totals, probes, backtests = [], [], []
            for i in range(args.repeats):
                total, stages = _stage_times(prep, compute_run)
                totals.append(total)
                probes.append(stages["causality_probe"])
                backtests.append(stages["backtest"])
                C.log(f"  {i + 1}/{args.repeats}: compute_run {total:.3f}s, probe "
                      f"{stages['causality_probe']:.3f}s")
            doc = prep.identity
            probe_med, total_med = statistics.median(probes), statistics.median(totals)
            results[label] = {
                "n_bars": DEMO_BARS, "n_points": len(prep.points),
                "walk_forward_folds": doc["walk_forward"]["n_folds"],
                "probe_seconds_median": probe_med,
                "backtest_seconds_median": statistics.median(backtests),
                "compute_run_seconds_median": total_med,
                "probe_share_of_compute_run": probe_med / total_med,
                "samples": {"probe": probes, "compute_run": totals},
            }
        store.close()
    C.emit({"benchmark": "causality_probe", "repeats": args.repeats, "results": results,
            "environment": C.environment(threads)})

if __name__ == "__main__":
    main()

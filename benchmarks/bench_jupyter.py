"""The Jupyter layer's start-up costs: ``%load_ext qrp_jupyter`` and the first ``%%qrp_run``.

Usage (from the repo root, with the venv active)::

    python benchmarks/bench_jupyter.py              # 7 processes per figure
    python benchmarks/bench_jupyter.py --repeats 5  # fewer (at least 5 for a full run)
    python benchmarks/bench_jupyter.py --quick      # smoke run: 2 processes per figure

Prints one JSON document to stdout (progress goes to stderr).

Every sample is a **fresh child process** (this script with ``--child``), because what is
measured is what a user waits for once per kernel session: imports and JIT compilation happen
once per process, so they can only be timed in new ones. Each figure is the median over
``--repeats`` processes; the samples of the figures that are compared are interleaved (A, B,
A, B, ...) so that machine noise falls on both sides of a ratio.

1. ``%load_ext qrp_jupyter`` in a started IPython shell (``InteractiveShell``, no kernel, so
   only the extension is timed). Target: under 1 s. Reference in the same run:
   ``%load_ext autoreload``, the IPython extension that ships with IPython. The child also
   records which heavy modules (numpy, pandas, numba, anywidget, ipywidgets) the load
   imported: none is expected, they are imported by the magics that need them.
2. The first ``%%qrp_run`` of a session on a small config (3,000 bars, a 4-point grid,
   walk-forward, Reality Check and SPA/StepM with 199 replicates, PBO), timed from the cell to
   its displayed rich result, with a **cold** numba cache (a new, empty ``NUMBA_CACHE_DIR``)
   and with a **warm** one (a second process on the same directory). Steady state is the
   median of three more ``%%qrp_run`` cells in the same process (same workload, a different
   family, so each is a new ``run_key`` computed in full). ``first - steady`` is the one-off
   cost: JIT compilation when cold, loading compiled code from the cache (plus first imports)
   when warm.

``NUMBA_NUM_THREADS`` is set the way the governed kernel's launcher sets it (the CPUs
available to the process) unless the caller set it; it is recorded with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # after the sys.path line above: benchmarks run as scripts

LOAD_EXT_TARGET_S = 1.0
HEAVY_MODULES = ("numpy", "pandas", "numba", "anywidget", "ipywidgets", "networkx", "sqlite3")
N_BARS = 3000
STEADY_CELLS = 3

RUN_CELL = """\
name = "bench-jupyter"
family = "{family}"

[data]
dataset = "synthetic-edge"

[strategy]
kind = "ts_momentum"
[strategy.grid]
lookback = [1, 2, 4, 8]

[costs]
fee_bps = 1.0
slippage_bps = 0.5

[walk_forward]
n_folds = 4
purge = 24

[nulls.reality_check]
reps = 199
[nulls.spa_stepm]
reps = 199
"""


# ---------------------------------------------------------------------------------------------
# children: one measurement per process
# ---------------------------------------------------------------------------------------------

def _shell():
    from IPython.core.interactiveshell import InteractiveShell

    return InteractiveShell.instance()


def _run_cell(ip, source: str) -> None:
    res = ip.run_cell(source, store_history=False)
    if not res.success:
        raise SystemExit(f"cell failed: {res.error_before_exec or res.error_in_exec!r}")


def child_load_ext(extension: str) -> dict:
    t0 = time.perf_counter()
    ip = _shell()
    shell_s = time.perf_counter() - t0
    before = set(sys.modules)
    t1 = time.perf_counter()
    ip.run_line_magic("load_ext", extension)
    load_s = time.perf_counter() - t1
    if not any(name.split(".")[-1] == extension for name in ip.extension_manager.loaded):
        raise SystemExit(f"%load_ext {extension} did not load")
    new = set(sys.modules) - before
    return {"extension": extension, "load_ext_s": load_s, "shell_start_s": shell_s,
            "modules_imported": len(new),
            "heavy_modules_imported": sorted(m for m in HEAVY_MODULES if m in new),
            "rss_mb_after": C.current_rss_mb(), "peak_rss_mb": C.peak_rss_mb()}


def child_first_run(workdir: str) -> dict:
    import contextlib
    import io

    ip = _shell()
    ip.run_line_magic("load_ext", "qrp_jupyter")
    db = Path(workdir) / "bench.sqlite"
    # The dataset is registered by plain Python before the clock starts: the figure is the
    # run cell, not data loading.
    _run_cell(ip, "from qrp_jupyter.data import synthetic\n"
                  "from qrp_jupyter.runs import register_dataset\n"
                  "from qrp_jupyter.store import open_store\n"
                  f"with open_store({str(db)!r}) as s:\n"
                  f"    register_dataset(s, synthetic(n_bars={N_BARS}, seed=7, edge=0.15),"
                  " name='synthetic-edge')\n")
    _run_cell(ip, f"%config QrpMagics.db = {str(db)!r}")
    _run_cell(ip, "%config QrpMagics.progress = False")
    numba_loaded_before = "numba" in sys.modules

    def cell(i: int) -> float:
        source = "%%qrp_run\n" + RUN_CELL.format(family=f"bench-jupyter-{i}")
        sink = io.StringIO()  # the displayed result goes to stdout: keep it off the JSON
        t = time.perf_counter()
        with contextlib.redirect_stdout(sink):
            _run_cell(ip, source)
        dt = time.perf_counter() - t
        if "run_key" not in sink.getvalue():
            raise SystemExit("the run's rich result was not displayed")
        return dt

    first = cell(0)
    steady = [cell(i) for i in range(1, 1 + STEADY_CELLS)]
    import numba

    return {"first_run_s": first, "steady_runs_s": steady,
            "steady_median_s": statistics.median(steady),
            "numba_imported_before_first_run": numba_loaded_before,
            "numba_cache_dir": os.environ.get("NUMBA_CACHE_DIR"),
            "numba_cache_files_after": sum(1 for p in Path(os.environ["NUMBA_CACHE_DIR"])
                                           .rglob("*") if p.is_file()),
            "numba_num_threads": int(numba.config.NUMBA_NUM_THREADS),
            "peak_rss_mb": C.peak_rss_mb()}


# ---------------------------------------------------------------------------------------------
# parent: fresh processes, interleaved
# ---------------------------------------------------------------------------------------------

def spawn(args: list[str], env: dict[str, str]) -> dict:
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as fh:
        out = fh.name
    try:
        proc = subprocess.run([sys.executable, __file__, "--child", *args, "--out", out],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, cwd=C.REPO, timeout=900)
        if proc.returncode != 0:
            raise SystemExit(f"child {args} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        return json.loads(Path(out).read_text())
    finally:
        os.unlink(out)


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def bench_load_ext(repeats: int, env: dict[str, str]) -> dict:
    samples: dict[str, list[dict]] = {"qrp_jupyter": [], "autoreload": []}
    for i in range(repeats):
        for ext in samples:
            C.log(f"%load_ext {ext}: process {i + 1}/{repeats}")
            samples[ext].append(spawn(["load_ext", ext], env))
    qrp = med([s["load_ext_s"] for s in samples["qrp_jupyter"]])
    ref = med([s["load_ext_s"] for s in samples["autoreload"]])
    heavy = sorted({m for s in samples["qrp_jupyter"] for m in s["heavy_modules_imported"]})
    return {
        "qrp_median_s": C.sig(qrp), "autoreload_median_s": C.sig(ref),
        "target_s": LOAD_EXT_TARGET_S, "ratio_to_target": C.sig(qrp / LOAD_EXT_TARGET_S),
        "meets_target": qrp < LOAD_EXT_TARGET_S, "ratio_vs_autoreload": C.sig(qrp / ref),
        "heavy_modules_imported_by_qrp": heavy,
        "modules_imported_by_qrp_median": med([s["modules_imported"]
                                               for s in samples["qrp_jupyter"]]),
        "modules_imported_by_autoreload_median": med([s["modules_imported"]
                                                      for s in samples["autoreload"]]),
        "shell_start_median_s": C.sig(med([s["shell_start_s"] for s in samples["qrp_jupyter"]])),
        "rss_mb_after_qrp_median": med([s["rss_mb_after"] or 0.0
                                        for s in samples["qrp_jupyter"]]),
        "processes_per_figure": repeats,
        "samples_s": {k: [round(s["load_ext_s"], 5) for s in v] for k, v in samples.items()},
    }


def bench_first_run(repeats: int, env: dict[str, str]) -> dict:
    cold: list[dict] = []
    warm: list[dict] = []
    for i in range(repeats):
        cache = tempfile.mkdtemp(prefix="qrp-bench-numba-")
        work = tempfile.mkdtemp(prefix="qrp-bench-work-")
        try:
            child_env = {**env, "NUMBA_CACHE_DIR": cache}
            C.log(f"first %%qrp_run, cold cache: process {i + 1}/{repeats}")
            cold.append(spawn(["first_run", work], child_env))
            shutil.rmtree(work)
            work = tempfile.mkdtemp(prefix="qrp-bench-work-")
            C.log(f"first %%qrp_run, warm cache: process {i + 1}/{repeats}")
            warm.append(spawn(["first_run", work], child_env))
        finally:
            shutil.rmtree(cache, ignore_errors=True)
            shutil.rmtree(work, ignore_errors=True)
    cold_first = med([s["first_run_s"] for s in cold])
    warm_first = med([s["first_run_s"] for s in warm])
    steady = med([s["steady_median_s"] for s in cold + warm])
    return {
        "cold_first_median_s": C.sig(cold_first),
        "warm_first_median_s": C.sig(warm_first),
        "steady_median_s": C.sig(steady),
        "ratio_cold_vs_warm": C.sig(cold_first / warm_first),
        "ratio_cold_vs_steady": C.sig(cold_first / steady),
        "ratio_warm_vs_steady": C.sig(warm_first / steady),
        "compile_s_cold": C.sig(cold_first - steady),
        "one_off_s_warm": C.sig(warm_first - steady),
        "steady_median_s_in_cold_processes": C.sig(med([s["steady_median_s"] for s in cold])),
        "steady_median_s_in_warm_processes": C.sig(med([s["steady_median_s"] for s in warm])),
        "peak_rss_mb_cold_median": med([s["peak_rss_mb"] for s in cold]),
        "peak_rss_mb_warm_median": med([s["peak_rss_mb"] for s in warm]),
        "numba_cache_files_written": med([s["numba_cache_files_after"] for s in cold]),
        "numba_num_threads_in_children": sorted({s["numba_num_threads"] for s in cold + warm}),
        "processes_per_figure": repeats,
        "steady_cells_per_process": STEADY_CELLS,
        "config": {"n_bars": N_BARS, "cell": RUN_CELL.format(family="bench-jupyter-<i>")},
        "samples_s": {
            "cold_first": [round(s["first_run_s"], 4) for s in cold],
            "warm_first": [round(s["first_run_s"], 4) for s in warm],
            "cold_steady": [round(s["steady_median_s"], 4) for s in cold],
            "warm_steady": [round(s["steady_median_s"], 4) for s in warm],
        },
    }


def governed_threads() -> dict:
    """``NUMBA_NUM_THREADS`` as the governed kernel's launcher sets it (unless preset)."""
    if os.environ.get("NUMBA_NUM_THREADS"):
        return C.set_numba_threads()
    from qrp_kernel.launcher import numba_num_threads  # stdlib-only module: numba stays unloaded

    threads = C.set_numba_threads(default=numba_num_threads())
    threads["NUMBA_NUM_THREADS_source"] = "qrp_kernel.launcher.numba_num_threads()"
    return threads


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=7, help="fresh processes per figure (>= 5)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 processes per figure")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        kind, arg = args.child[0], args.child[1]
        doc = child_load_ext(arg) if kind == "load_ext" else child_first_run(arg)
        Path(args.out).write_text(json.dumps(doc))
        return 0

    repeats = 2 if args.quick else args.repeats
    if not args.quick and repeats < 5:
        ap.error("--repeats must be at least 5 for a full run (use --quick for a smoke run)")
    threads = governed_threads()
    env = dict(os.environ)
    load_avg_start = C.load_average()
    t0 = time.perf_counter()
    load = bench_load_ext(repeats, env)
    first = bench_first_run(repeats, env)
    total = time.perf_counter() - t0
    environment = C.environment(
        threads, **C.versions("IPython", "ipykernel", "traitlets", "anywidget", "ipywidgets"),
        load_average_at_start=load_avg_start, load_average_at_end=C.load_average())
    doc = {
        "benchmark": "bench_jupyter",
        "mode": "quick" if args.quick else "full",
        "headline": {
            "load_ext_qrp_jupyter_median_s": load["qrp_median_s"],
            "load_ext_target_s": LOAD_EXT_TARGET_S,
            "load_ext_ratio_to_target": load["ratio_to_target"],
            "load_ext_meets_target": load["meets_target"],
            "load_ext_autoreload_median_s": load["autoreload_median_s"],
            "load_ext_ratio_vs_autoreload": load["ratio_vs_autoreload"],
            "load_ext_heavy_modules_imported": load["heavy_modules_imported_by_qrp"],
            "first_qrp_run_cold_cache_median_s": first["cold_first_median_s"],
            "first_qrp_run_warm_cache_median_s": first["warm_first_median_s"],
            "qrp_run_steady_median_s": first["steady_median_s"],
            "ratio_first_run_cold_vs_warm": first["ratio_cold_vs_warm"],
            "ratio_first_run_cold_vs_steady": first["ratio_cold_vs_steady"],
            "ratio_first_run_warm_vs_steady": first["ratio_warm_vs_steady"],
            "jit_compile_s_cold": first["compile_s_cold"],
            "one_off_s_warm": first["one_off_s_warm"],
            "peak_rss_mb_cold": first["peak_rss_mb_cold_median"],
            "peak_rss_mb_warm": first["peak_rss_mb_warm_median"],
            "NUMBA_NUM_THREADS": threads["NUMBA_NUM_THREADS"],
            "processes_per_figure": repeats,
            "total_wall_s": round(total, 1),
        },
        "load_ext": load,
        "first_run": first,
        "environment": environment,
    }
    C.emit(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())

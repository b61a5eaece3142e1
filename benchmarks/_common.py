"""Helpers shared by the benchmark scripts: timing, memory, environment record, JSON output.

Not a test module and not part of the package: the scripts import it from their own folder.
Conventions (DESIGN section 7): every figure is the median of several timed calls after at least
one warm-up call that is excluded; comparisons are ratios measured in the same process; the
environment (versions, ``NUMBA_NUM_THREADS``, cpu count, machine load) is recorded with the
figures.

Call :func:`set_numba_threads` before anything imports numba: numba reads
``NUMBA_NUM_THREADS`` once, at import.
"""

from __future__ import annotations

import datetime as _dt
import gc
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
SHARED_DATA = REPO.parent / "shared" / "data"
RESULTS_DIR = BENCH_DIR / "results"

DEFAULT_NUMBA_THREADS = "2"


# ---------------------------------------------------------------------------------------------
# environment that must be fixed before imports
# ---------------------------------------------------------------------------------------------

def set_numba_threads(default: str = DEFAULT_NUMBA_THREADS) -> dict[str, Any]:
    """Set ``NUMBA_NUM_THREADS`` to ``default`` unless the caller already set it.

    Returns how it was decided, for the environment record. Must run before numba is imported.
    """
    if "numba" in sys.modules:
        raise RuntimeError("set_numba_threads() must run before numba is imported")
    preset = os.environ.get("NUMBA_NUM_THREADS")
    if preset:
        return {"NUMBA_NUM_THREADS": preset, "NUMBA_NUM_THREADS_source": "caller environment"}
    os.environ["NUMBA_NUM_THREADS"] = default
    return {"NUMBA_NUM_THREADS": default, "NUMBA_NUM_THREADS_source": "set by the script"}


# ---------------------------------------------------------------------------------------------
# timing
# ---------------------------------------------------------------------------------------------

def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Wall time of one call (``time.perf_counter``) and its result."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def measure(fn: Callable[[], Any], *, repeats: int, warmup: int = 1) -> dict[str, Any]:
    """Median of ``repeats`` timed calls after ``warmup`` untimed ones.

    The garbage collector runs before each call so that a collection triggered by the previous
    call's garbage is not charged to the next one. Returns seconds.
    """
    if repeats < 1:
        raise ValueError("repeats must be >= 1")
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        gc.collect()
        dt, _ = timed(fn)
        samples.append(dt)
    return {
        "steady_median_s": statistics.median(samples),
        "steady_min_s": min(samples),
        "steady_max_s": max(samples),
        "repeats": repeats,
        "warmup_calls_excluded": warmup,
        "samples_s": [round(s, 6) for s in samples],
    }


# ---------------------------------------------------------------------------------------------
# memory
# ---------------------------------------------------------------------------------------------

def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (``getrusage``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def current_rss_mb() -> float | None:
    """Resident set size right now, in MiB (Linux ``/proc``; None elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return round(pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024), 1)
    except (OSError, ValueError, IndexError):
        return None


# ---------------------------------------------------------------------------------------------
# environment record
# ---------------------------------------------------------------------------------------------

def _version(module: str) -> str | None:
    try:
        mod = __import__(module)
    except ImportError:
        return None
    return getattr(mod, "__version__", None)


def versions(*modules: str) -> dict[str, str | None]:
    """``{module: __version__}`` for the reference libraries a benchmark compares against
    (None when not installed)."""
    return {m: _version(m) for m in modules}


def _git(*args: str) -> str | None:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def environment(threads: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Versions, thread settings, cpu count, date, load, git revision, plus ``extra``."""
    import numba
    import numpy
    import pandas

    from qrp_jupyter import __version__ as qrp_version
    from qrp_jupyter.engine import ENGINE_VERSION

    try:
        layer = numba.threading_layer()  # only known after a parallel kernel has run
    except ValueError:
        layer = None
    try:
        affinity = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        affinity = None
    status = _git("status", "--porcelain")
    env = {
        "date_utc": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "pandas": pandas.__version__,
        "sqlite": __import__("sqlite3").sqlite_version,
        **threads,
        "numba_config_num_threads": int(numba.config.NUMBA_NUM_THREADS),
        "numba_get_num_threads": int(numba.get_num_threads()),
        "numba_threading_layer": layer,
        "cpu_count": os.cpu_count(),
        "cpu_affinity_count": affinity,
        "load_average_1_5_15min": load_average(),
        "qrp_jupyter_version": qrp_version,
        "engine_version": ENGINE_VERSION,
        "git_commit": _git("rev-parse", "HEAD"),
        "git_worktree_dirty": (bool(status) if status is not None else None),
    }
    env.update(extra)
    return env


# ---------------------------------------------------------------------------------------------
# misc
# ---------------------------------------------------------------------------------------------

def load_module(name: str, path: Path):
    """Import a module from a file path (the numpy twins live in ``tests/``, not on sys.path)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def sig(x: float | None, digits: int = 4) -> float | None:
    """Round to ``digits`` significant figures (keeps the JSON readable)."""
    if x is None:
        return None
    if x == 0 or x != x:
        return x
    return float(f"{x:.{digits}g}")


def emit(doc: dict[str, Any]) -> None:
    """Print the one JSON document of a script to stdout."""
    json.dump(doc, sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")
    sys.stdout.flush()


def log(msg: str) -> None:
    """Progress to stderr, so stdout stays one JSON document."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

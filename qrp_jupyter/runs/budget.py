"""A run's peak memory and rough time, estimated from the config and the data's shape alone.

:func:`prepare_run` calls :func:`check_run_budget` before the grid is expanded and before any
backtest: the grid's size is counted from the lengths of its value lists (never by expanding
it), so a refusal takes milliseconds even for 10^7 points, and nothing is written.

The model follows the run's stages (:func:`~qrp_jupyter.runs.execute.compute_run`). One (bars x
points) float64 returns matrix ``R`` is alive from the backtest to the end; each stage adds its
own temporaries on top, and the peak is the largest stage:

* backtest: indicator tables (bars x distinct windows) and, for a user function, its positions;
* causality probe: its chunk of positions (``engine.probe``, a fixed number of cells);
* walk-forward: one column chunk of a fold's train rows, copied for scoring;
* bootstrap tests: one column chunk of the centred returns and its prefix-sum table (or the two
  of the block-length choice) plus the (reps x points) means (and block variances for a
  studentized test);
* encoding the returns matrix for the store: one more ``R`` while it is written;
* recording: the encoded bytes and their zlib form (the matrix itself is gone by then); a
  matrix larger than one stored part (:data:`~qrp_jupyter.store.blobs.PART_BYTES`) is
  compressed and written part by part, so only a few parts are alive beside its bytes.

The coefficients were calibrated against measured peak RSS (``benchmarks/run_limits.py``); the
estimate is meant to be above the measurement and within about 1.5x of it.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import BudgetExceeded
from ..limits import chunk_columns, format_bytes, resolve_budget
from ..store.blobs import PART_BYTES

__all__ = ["RunEstimate", "count_grid_points", "estimate_run", "check_run_budget"]

MiB = 2**20
#: Resident memory of the interpreter with numpy, pandas, numba and the compiled kernels
#: (measured: 225 MiB after the imports, about 350 MiB once the kernels are compiled).
BASELINE_BYTES = 450 * MiB
#: Slack on the stages that hold two copies of the returns matrix (allocator and page
#: rounding, numba's thread arenas): 64 MiB plus R/16. Measured at 10^4 points x 43,800 bars:
#: peak 7,110 MiB against 7,201 MiB without the R/16 term, too close to be safe.
_SLACK = 64 * MiB
#: Cells of the causality probe's chunk of positions (engine.probe._CHUNK_CELLS), times the
#: full-run and truncated-run copies it compares.
_PROBE_CELLS = 1 << 22
# Rough seconds per unit of work (2-core AMD EPYC, shared; see benchmarks/run_limits.py).
_SEC_BACKTEST_CELL = 3e-8
_SEC_PROBE_CELL = 5e-7
_SEC_BOOT_CELL = {"reality_check": 1e-9, "spa_stepm": 2e-9}   # per (rep x point x bar)
_SEC_PERM_CELL = 5e-8          # per (rep x point x bar): each permutation re-runs the grid
_SEC_FIXED = 20.0              # compiling the kernels of a cold cache, opening the store


@dataclass
class RunEstimate:
    """Estimated peak memory (bytes) and time (seconds) of one run, with the terms behind it."""

    n_points: int
    n_bars: int
    peak_bytes: int
    compute_peak_bytes: int
    seconds: float
    #: (name, bytes) of the terms, largest first: what the peak is made of.
    terms: list[tuple[str, int]] = field(default_factory=list)
    #: (stage, bytes) peak of each stage.
    stages: dict[str, int] = field(default_factory=dict)
    returns_bytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"n_points": self.n_points, "n_bars": self.n_bars,
                "peak_bytes": self.peak_bytes, "compute_peak_bytes": self.compute_peak_bytes,
                "seconds": self.seconds, "returns_bytes": self.returns_bytes,
                "terms": [list(t) for t in self.terms], "stages": dict(self.stages)}


def _lengths(grid: dict[str, Any], names: list[str]) -> dict[str, int] | None:
    out = {}
    for name in names:
        if name not in grid:
            out[name] = 1
        elif isinstance(grid[name], (list, tuple)):
            out[name] = len(grid[name])
        else:
            return None
    return out


def _pairs_below(low: list[Any], high: list[Any], *, strict: bool) -> int | None:
    """#{(a, b) in low x high : a < b} (``strict``) or a <= b; None if not all numbers."""
    nums = [v for v in low + high if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(nums) != len(low) + len(high):
        return None
    hs = sorted(high)
    side = bisect.bisect_right if strict else bisect.bisect_left
    return sum(len(hs) - side(hs, a) for a in low)


def count_grid_points(kind: str, grid: Any) -> int | None:
    """Points of a grid without expanding it; None when the grid is malformed (the expansion
    then names the problem). Exact for the constraints of ``ma_crossover`` (fast < slow) and
    ``zscore_reversion`` (exit <= entry); an upper bound if a value list repeats a value."""
    if not isinstance(grid, dict) or not grid:
        return None
    if kind == "user":
        lens = _lengths(grid, sorted(grid))
        return None if lens is None else math.prod(lens.values())
    from ..engine import get_family
    try:
        fam = get_family(kind)
    except Exception:  # an unknown family is reported by the expansion
        return None
    names = [p.name for p in fam.params]
    lens = _lengths(grid, names)
    if lens is None:
        return None
    pair = {"ma_crossover": ("fast", "slow", True),
            "zscore_reversion": ("exit", "entry", False)}.get(kind)
    if pair and pair[0] in grid and pair[1] in grid:
        n = _pairs_below(list(grid[pair[0]]), list(grid[pair[1]]), strict=pair[2])
        if n is not None:
            rest = math.prod(v for k, v in lens.items() if k not in pair[:2])
            return n * rest
    return math.prod(lens.values())


def _distinct_windows(kind: str, grid: dict[str, Any]) -> int:
    keys = {"ma_crossover": ("fast", "slow"), "zscore_reversion": ("lookback",),
            "donchian_breakout": ("lookback",)}.get(kind, ())
    seen: set[Any] = set()
    for k in keys:
        v = grid.get(k, [])
        if isinstance(v, (list, tuple)):
            seen.update(x for x in v if isinstance(x, (int, float)))
    return len(seen)


def estimate_run(values: dict[str, Any], *, n_bars: int, n_points: int,
                 n_assets: int = 1) -> RunEstimate:
    """Estimate a run's peak memory and time from its config values and the data's shape.

    Parameters
    ----------
    values
        The parsed config (``RunConfig.values``).
    n_bars
        Bars of the traded asset (each panel asset has as many).
    n_points
        Grid points (:func:`count_grid_points`).
    n_assets
        1, or the width of a panel.
    """
    s, nulls, wf = values["strategy"], values["nulls"], values["walk_forward"]
    T, k = int(n_bars), int(n_points)
    n = max(T - 1, 1)
    R = 8 * n * k
    chunk = min(k, chunk_columns(n))
    table_chunk = 8 * (n + 1) * chunk
    terms: dict[str, int] = {
        "interpreter and libraries": BASELINE_BYTES,
        "dataset arrays": 8 * T * max(1, n_assets) * 12,
        f"returns matrix ({n:,} rows x {k:,} points, float64)": R,
    }
    fixed = sum(terms.values())
    stages: dict[str, int] = {}

    if s["kind"] == "user":
        bt = 2 * 8 * T * k                       # the function's positions, then long-only copy
    elif n_assets > 1:
        bt = 3 * 8 * T * n_assets * min(k, 64) + 8 * T * k   # panel weights of a chunk
    else:
        bt = 2 * 8 * T * max(_distinct_windows(s["kind"], s["grid"] or {}), 1)
    stages["backtest"] = bt
    stages["causality probe"] = 3 * 8 * min(_PROBE_CELLS, T * k) + 8 * T * k // 8
    if wf["enabled"]:
        stages["walk-forward train rows (chunked)"] = 8 * n * chunk + 8 * k * 16
    boot = 0
    for name, factor in (("reality_check", 1), ("spa_stepm", 3)):
        sec = nulls[name]
        if sec["enabled"]:
            out_b = 8 * int(sec["reps"]) * k * factor
            draws = min(16 * int(sec["reps"]) * n, 64 * MiB)   # one batch of block draws
            # the centred chunk and its prefix table, or the two of the block-length choice
            boot = max(boot, out_b + 2 * table_chunk + draws)
    if boot:
        stages["bootstrap (chunked table, replicate means)"] = boot
    if nulls["pbo"]["enabled"]:
        stages["pbo"] = 8 * int(nulls["pbo"]["n_blocks"]) * k * 4 + 8 * n * chunk
    perm = nulls.get("permutation") or {}
    if perm.get("enabled"):
        stages["permutation"] = 8 * T * 8 + 8 * 64 * k
    stages["encoding the returns matrix"] = R + _SLACK + R // 16
    compute_peak = fixed + max(stages.values())
    # The matrix is gone by then; its bytes are alive and their zlib form: whole, or for a
    # matrix stored in parts the part being written, SQLite's copy of it and the compressor's
    # output buffer.
    stored = min(R, 3 * PART_BYTES)
    stages["recording (the bytes and their zlib form)"] = stored + _SLACK + R // 16
    peak = fixed + max(stages.values())
    biggest = max(stages, key=lambda key: stages[key])
    terms[f"largest stage: {biggest}"] = stages[biggest]

    cells = T * k
    seconds = _SEC_FIXED + cells * (_SEC_BACKTEST_CELL + _SEC_PROBE_CELL)
    for name in ("reality_check", "spa_stepm"):
        if nulls[name]["enabled"]:
            seconds += _SEC_BOOT_CELL[name] * int(nulls[name]["reps"]) * cells
    if perm.get("enabled"):
        seconds += _SEC_PERM_CELL * int(perm["reps"]) * cells
    ordered = sorted(terms.items(), key=lambda t: -t[1])
    return RunEstimate(n_points=k, n_bars=T, peak_bytes=int(peak),
                       compute_peak_bytes=int(compute_peak), seconds=float(seconds),
                       terms=ordered, stages=stages, returns_bytes=R)


def _fix(est: RunEstimate, values: dict[str, Any]) -> str:
    nulls = values["nulls"]
    reps = [f"{k}.reps = {nulls[k]['reps']}" for k in ("reality_check", "spa_stepm")
            if nulls[k]["enabled"]]
    return ("shrink the run: fewer grid points (now " f"{est.n_points:,}), fewer bars (now "
            f"{est.n_bars:,}; a shorter date range or a coarser interval)"
            + (f", fewer bootstrap reps ({', '.join(reps)})" if reps else "")
            + "; or raise the budget with QRP_MEMORY_BUDGET=<size> (or --memory-budget; "
            "'off' disables the check) if the machine has the memory")


def check_run_budget(values: dict[str, Any], *, n_bars: int, n_points: int,
                     n_assets: int = 1, memory_budget: Any = None,
                     where: str = "strategy.grid") -> RunEstimate:
    """Estimate the run and raise :class:`BudgetExceeded` if its estimated peak memory is
    above the budget (:func:`qrp_jupyter.limits.resolve_budget`). The store itself sets no
    limit: a returns matrix too large for one SQLite value is stored in parts."""
    est = estimate_run(values, n_bars=n_bars, n_points=n_points, n_assets=n_assets)
    budget, source = resolve_budget(memory_budget)
    if budget is not None and est.peak_bytes > budget:
        top = "; ".join(f"{name} {format_bytes(b)}" for name, b in est.terms[:3])
        raise BudgetExceeded(
            f"the run needs an estimated {format_bytes(est.peak_bytes)} of memory (about "
            f"{est.seconds:,.0f} s) but the memory budget is {format_bytes(budget)} (from "
            f"{source}); the biggest terms: {top}", where=where, fix=_fix(est, values),
            estimate=est, budget=budget)
    return est

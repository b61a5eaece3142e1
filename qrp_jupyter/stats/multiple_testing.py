"""Data-snooping tests over many strategies: White's Reality Check.

``returns`` is a (T, k) panel of per-period strategy returns, higher is better; the benchmark is
one series (zero returns by default). The tests work on the differentials
``d = returns - benchmark``. (``arch`` takes losses, lower is better: its loss differential
``benchmark_loss - model_loss`` is our ``d`` when the losses are negated returns.)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import DataError
from ..identity import resolve_seed
from ._inputs import Panel, as_panel, check_int
from .block_length import optimal_block_length
from .bootstrap import DRAW_PROTOCOL, stationary_bootstrap_means
from .results import RealityCheckResult

__all__ = ["reality_check"]

BLOCK_SIZE_GIVEN = "given"
BLOCK_SIZE_POLITIS_WHITE = "politis-white(median over k columns)"


def differentials(returns: Any, benchmark: Any = None) -> Panel:
    """Validated ``returns - benchmark`` as a :class:`Panel` carrying the returns' labels."""
    panel = as_panel(returns, name="returns", min_rows=2)
    if benchmark is None:
        return panel
    bench = as_panel(benchmark, name="benchmark", min_rows=1)
    if bench.values.shape[1] != 1:
        raise DataError(f"benchmark has {bench.values.shape[1]} columns; it must be one series",
                        where="benchmark", fix="pass the benchmark's returns as a 1-D series")
    if bench.values.shape[0] != panel.values.shape[0]:
        raise DataError(
            f"benchmark has {bench.values.shape[0]} periods but returns have "
            f"{panel.values.shape[0]}", where="benchmark",
            fix="align the benchmark with the returns (same periods, same order)")
    if panel.index is not None and bench.index is not None and not panel.index.equals(bench.index):
        raise DataError("benchmark index differs from the returns index", where="benchmark",
                        fix="reindex the benchmark to the returns' index first")
    values = np.ascontiguousarray(panel.values - bench.values)
    return Panel(values, panel.columns, panel.index)


def choose_block_size(d: np.ndarray, block_size: Any) -> tuple[int, str, float | None]:
    """The mean block length for a joint bootstrap of the columns of ``d``, and why.

    Given: an integer ``1 <= b < T``. None: the Politis-White stationary length of each
    differential column, the median over the columns that have one (constant columns have
    none), rounded up, at least 1, at most T - 1. One length must serve all columns because they
    are resampled with the same blocks; the median is robust to a few unusually persistent
    columns, and rounding up errs toward keeping dependence rather than breaking it.
    """
    n_obs = d.shape[0]
    if block_size is not None:
        return check_int(block_size, "block_size", minimum=1, below=n_obs), BLOCK_SIZE_GIVEN, None
    lengths = optimal_block_length(d)["stationary"].to_numpy()
    lengths = lengths[np.isfinite(lengths)]
    if lengths.size == 0:  # every column constant: any block length gives the same answer
        return 1, BLOCK_SIZE_POLITIS_WHITE, None
    estimate = float(np.median(lengths))
    chosen = min(max(1, math.ceil(estimate)), n_obs - 1)
    return chosen, BLOCK_SIZE_POLITIS_WHITE, estimate


def reality_check(returns: Any, benchmark: Any = None, *, reps: int = 1000,
                  block_size: int | None = None, seed: Any = None) -> RealityCheckResult:
    """White's Reality Check for data snooping (non-studentized).

    Tests H0: no strategy beats the benchmark, ``max_k E[d_k] <= 0``, against the best of the k.

    Parameters
    ----------
    returns
        (T, k) array or DataFrame of per-period strategy returns, higher is better; T >= 2,
        finite. A 1-D input is one strategy.
    benchmark
        One series of T benchmark returns; default zero returns.
    reps
        Bootstrap replicates B >= 1.
    block_size
        Mean block length of the stationary bootstrap, ``1 <= b < T``. None: the Politis-White
        rule of :func:`choose_block_size`; the result records the length used and the method.
    seed
        An int, a numpy ``Generator``, a ``SeedRecord`` or its dict, or None (fresh entropy).
        The record of the randomness used is stored in the result.

    Returns
    -------
    RealityCheckResult

    Notes
    -----
    White (2000), "A Reality Check for Data Snooping", Econometrica 68(5). With
    ``d = returns - benchmark``, the statistic is ``V = max_k sqrt(T) mean(d_k)`` and each
    stationary-bootstrap replicate (Politis and Romano 1994) gives the re-centred
    ``V*_b = max_k sqrt(T) (mean*_b(d_k) - mean(d_k))``; ``p = (1 + #{V*_b >= V}) / (1 + B)``.
    Re-centring imposes the least favourable null (every mean differential zero), so the test is
    conservative when some strategies are clearly worse than the benchmark; Hansen's SPA
    addresses that. The statistic is not studentized (``studentized=False``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> noise = rng.standard_normal((500, 5))
    >>> res = reality_check(noise, reps=199, seed=7)
    >>> res.studentized, res.block_size_method
    (False, 'politis-white(median over k columns)')
    >>> edge = noise.copy()
    >>> edge[:, 2] += 0.3
    >>> reality_check(edge, reps=199, seed=7).pvalue
    0.005
    """
    panel = differentials(returns, benchmark)
    d = panel.values
    n_obs, n_models = d.shape
    reps = check_int(reps, "reps", minimum=1)
    chosen, method, estimate = choose_block_size(d, block_size)
    rng, record = resolve_seed(seed, salt="reality_check",
                               params={"reps": reps, "block_size": chosen})
    root_t = math.sqrt(n_obs)
    model_stats = root_t * d.mean(axis=0)
    best = int(np.argmax(model_stats))
    statistic = float(model_stats[best])
    centred = stationary_bootstrap_means(d, block_size=chosen, reps=reps, rng=rng,
                                         recenter=True)
    null = root_t * centred.max(axis=1)
    pvalue = (1.0 + float(np.count_nonzero(null >= statistic))) / (1.0 + reps)
    label = panel.columns[best]
    if isinstance(label, (np.generic,)):
        label = label.item()
    return RealityCheckResult(
        pvalue=pvalue, statistic=statistic, null_distribution=null, block_size=chosen,
        block_size_method=method, reps=reps, n_obs=n_obs, n_models=n_models, best_model=best,
        studentized=False, seed_record=record, best_model_label=label,
        block_size_estimate=estimate, benchmark="zero" if benchmark is None else "given",
        bootstrap="stationary", draw_protocol=DRAW_PROTOCOL)

"""Data-snooping tests over many strategies: White's Reality Check, and the bootstrap pass that
it shares with Hansen's SPA (:mod:`.spa`) and Romano-Wolf's StepM (:mod:`.stepm`).

``returns`` is a (T, k) panel of per-period strategy returns, higher is better; the benchmark is
one series (zero returns by default). The tests work on the differentials
``d = returns - benchmark``. (``arch`` takes losses, lower is better: its loss differential
``benchmark_loss - model_loss`` is our ``d`` when the losses are negated returns.)

All three tests read one object, :class:`DifferentialBootstrap`: the observed mean differentials,
the (B, k) matrix of re-centred stationary-bootstrap means ``mean*_b(d_k) - mean(d_k)`` and the
bootstrap standard deviation of ``sqrt(T) mean(d_k)`` that studentizes them. Called with the
same data, ``reps``, ``block_size`` and seed, the tests therefore see the same replicates.

Studentization (``studentize=True``) divides each model's statistic and its bootstrap
counterparts by ``omega_k``, the standard deviation of ``sqrt(T) mean*(d_k)`` over the very
replicates of the test, ``omega_k^2 = B^-1 sum_b (sqrt(T) mean*_b(d_k) - sqrt(T) mean(d_k))^2``
(the bootstrap estimate that Hansen 2005 proposes):

* it is the Monte Carlo version of the closed-form variance of the stationary-bootstrap mean
  (Politis and Romano 1994; the estimate ``arch`` computes, in O(T^2 k)), a consistent
  long-run variance estimate for the same block length, here for O(B k) on numbers already
  computed;
* the observed and the bootstrap statistics are divided by the same ``omega_k``, so each
  bootstrap ``t*_k`` has sample variance exactly 1: the studentization matches the null
  distribution it is compared with, whatever the dependence in the data;
* its Monte Carlo error (a few per cent of ``omega_k`` for B = 1000) is small next to that of
  the p-value itself.

A model whose differential does not vary (a copy of the benchmark, a strategy that never trades,
a constant edge) has ``omega_k = 0``: its re-centred bootstrap means are exactly 0, and its
studentized statistic is ``+inf``, ``0`` or ``-inf`` by the sign of its mean (a certain gain is
infinitely significant), never NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from ..identity import resolve_seed
from ._inputs import Panel, as_panel, check_int
from .block_length import optimal_block_length
from .bootstrap import DRAW_PROTOCOL, stationary_bootstrap_means
from .results import RealityCheckResult

__all__ = ["DifferentialBootstrap", "bootstrap_differentials", "reality_check"]

BLOCK_SIZE_GIVEN = "given"
BLOCK_SIZE_POLITIS_WHITE = "politis-white(median over k columns)"
STUDENTIZATION_BOOTSTRAP = "bootstrap-variance(same replicates)"
STUDENTIZATION_NONE = "none"


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


def check_flag(value: Any, name: str) -> bool:
    """A bool (Python or numpy) or :class:`ConfigError`: a truthy 1 or "no" is not accepted."""
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{name}={value!r} is not a bool", where=name,
                          fix="pass True or False")
    return bool(value)


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


@dataclass(frozen=True, eq=False)
class DifferentialBootstrap:
    """One stationary-bootstrap pass over the differentials ``d = returns - benchmark``.

    Attributes
    ----------
    means
        (k,) observed mean differentials ``mean(d_k)``.
    deviations
        (B, k) re-centred replicate means ``mean*_b(d_k) - mean(d_k)``; exactly 0 in the
        columns whose differential is constant.
    omega
        (k,) bootstrap standard deviation of ``sqrt(T) mean(d_k)``:
        ``sqrt(T * mean_b deviations[b, k]^2)`` (Hansen 2005), 0 for a constant differential.
    n_obs, columns
        T and the returns' column labels.
    block_size, block_size_method, block_size_estimate, reps, seed_record, benchmark
        As recorded on the results.
    """

    means: np.ndarray
    deviations: np.ndarray
    omega: np.ndarray
    n_obs: int
    columns: list
    block_size: int
    block_size_method: str
    block_size_estimate: float | None
    reps: int
    seed_record: dict
    benchmark: str

    @property
    def n_models(self) -> int:
        return int(self.means.shape[0])

    def scales(self, studentize: bool) -> np.ndarray:
        """(k,) factors that turn a mean into the test's scale: ``sqrt(T) / omega_k`` when
        studentizing (0 where ``omega_k = 0``, whose deviations are exactly 0), else ``sqrt(T)``."""
        root_t = math.sqrt(self.n_obs)
        if not studentize:
            return np.full(self.n_models, root_t)
        out = np.zeros(self.n_models)
        np.divide(root_t, self.omega, out=out, where=self.omega > 0)
        return out

    def scaled(self, values: np.ndarray, studentize: bool) -> np.ndarray:
        """``values * scales`` per model; where a studentized model has ``omega_k = 0`` the
        result is ``+inf``, ``0`` or ``-inf`` by the sign of the value."""
        out = np.asarray(values, dtype=np.float64) * self.scales(studentize)
        if studentize:
            flat = self.omega == 0
            if flat.any():
                v = np.asarray(values, dtype=np.float64)[flat]
                out[flat] = np.where(v > 0, np.inf, np.where(v < 0, -np.inf, 0.0))
        return out

    def label(self, j: int) -> Any:
        label = self.columns[j]
        return label.item() if isinstance(label, np.generic) else label


def bootstrap_differentials(returns: Any, benchmark: Any = None, *, reps: int,
                            block_size: Any, seed: Any, salt: str) -> DifferentialBootstrap:
    """Validate the inputs, choose the block length, resolve the seed and run the bootstrap once.

    ``salt`` names the calling procedure in the seed resolution (``"reality_check"``, ``"spa"``,
    ``"stepm"``); the replicates depend only on the seed, ``reps`` and the block length, so SPA
    and StepM called with the same seed share them.
    """
    panel = differentials(returns, benchmark)
    d = panel.values
    n_obs = d.shape[0]
    reps = check_int(reps, "reps", minimum=1)
    chosen, method, estimate = choose_block_size(d, block_size)
    rng, record = resolve_seed(seed, salt=salt, params={"reps": reps, "block_size": chosen})
    deviations = stationary_bootstrap_means(d, block_size=chosen, reps=reps, rng=rng,
                                            recenter=True)
    # A constant column's deviations are rounding residue of (c - mean(c)); they are 0.
    flat = (d == d[0]).all(axis=0)
    if flat.any():
        deviations[:, flat] = 0.0
    # sum over replicates in replicate order (numpy reduces axis 0 row after row)
    omega = np.sqrt(n_obs * np.square(deviations).sum(axis=0) / reps)
    deviations.flags.writeable = False
    return DifferentialBootstrap(
        means=d.mean(axis=0), deviations=deviations, omega=omega, n_obs=n_obs,
        columns=panel.columns, block_size=chosen, block_size_method=method,
        block_size_estimate=estimate, reps=reps, seed_record=record,
        benchmark="zero" if benchmark is None else "given")


def reality_check(returns: Any, benchmark: Any = None, *, reps: int = 1000,
                  block_size: int | None = None, seed: Any = None,
                  studentize: bool = False) -> RealityCheckResult:
    """White's Reality Check for data snooping (non-studentized by default).

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
    studentize
        Divide each model's statistic and its bootstrap counterparts by ``omega_k``, the
        bootstrap standard deviation of ``sqrt(T) mean(d_k)`` (see the module notes). Default
        False, White's original statistic; the result says which one was used.

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
    addresses that. By default the statistic is not studentized (``studentized=False``); with
    ``studentize=True`` it is ``V = max_k sqrt(T) mean(d_k) / omega_k`` and
    ``V*_b = max_k sqrt(T) (mean*_b(d_k) - mean(d_k)) / omega_k``, which keeps a few very
    volatile strategies from dominating the maximum (Hansen 2005).

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
    studentize = check_flag(studentize, "studentize")
    boot = bootstrap_differentials(returns, benchmark, reps=reps, block_size=block_size,
                                   seed=seed, salt="reality_check")
    model_stats = boot.scaled(boot.means, studentize)
    best = int(np.argmax(model_stats))
    statistic = float(model_stats[best])
    null = (boot.deviations * boot.scales(studentize)).max(axis=1)
    pvalue = (1.0 + float(np.count_nonzero(null >= statistic))) / (1.0 + boot.reps)
    return RealityCheckResult(
        pvalue=pvalue, statistic=statistic, null_distribution=null,
        block_size=boot.block_size, block_size_method=boot.block_size_method, reps=boot.reps,
        n_obs=boot.n_obs, n_models=boot.n_models, best_model=best, studentized=studentize,
        seed_record=boot.seed_record, best_model_label=boot.label(best),
        block_size_estimate=boot.block_size_estimate, benchmark=boot.benchmark,
        bootstrap="stationary", draw_protocol=DRAW_PROTOCOL,
        studentization=STUDENTIZATION_BOOTSTRAP if studentize else STUDENTIZATION_NONE)

"""Hansen's (2005) test of Superior Predictive Ability (SPA).

The SPA test asks the Reality Check's question (does the best of k strategies beat the
benchmark?) with two changes that make it less conservative: the statistic may be studentized,
and the null distribution re-centres only the strategies that could plausibly have a zero mean
differential, so clearly bad strategies no longer inflate the bootstrap maxima. It runs on the
bootstrap pass shared with the Reality Check and StepM (:mod:`.multiple_testing`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _detmath as D
from ._kernels import shifted_maxima
from .bootstrap import DRAW_PROTOCOL
from .multiple_testing import (
    STUDENTIZATION_BOOTSTRAP,
    STUDENTIZATION_NONE,
    DifferentialBootstrap,
    bootstrap_differentials,
    check_flag,
)
from .results import SPA_KINDS, SPAPValues, SPAResult

__all__ = ["spa"]


def consistent_threshold(n_obs: int) -> float:
    """``sqrt(2 log log T)``, Hansen's (2005) threshold in standard errors; 0 when
    ``log log T <= 0`` (T <= 2), where the consistent rule becomes the lower one."""
    return math.sqrt(2.0 * D.log(D.log(float(n_obs)))) if n_obs > math.e else 0.0


def null_means(boot: DifferentialBootstrap) -> tuple[np.ndarray, dict[str, int]]:
    """(3, k) means that the null keeps for each model (rows lower, consistent, upper; each
    ``<= 0``) and how many models each rule re-centres.

    A re-centred model gets mean 0 under the null (the bootstrap uses ``mean* - mean``); a model
    that is not re-centred keeps its own negative mean (the bootstrap uses ``mean*``, centred
    at that mean). Lower: re-centre the models with ``mean >= 0``. Consistent: re-centre the
    models with ``mean >= -sqrt(2 log log T) omega / sqrt(T)``. Upper: re-centre every model.
    """
    means = boot.means
    limit = -consistent_threshold(boot.n_obs) * boot.omega / math.sqrt(boot.n_obs)
    keep_lower = means >= 0.0
    keep_consistent = means >= limit
    kept = np.vstack([np.where(keep_lower, 0.0, means),
                      np.where(keep_consistent, 0.0, means),
                      np.zeros_like(means)])
    counts = {"lower": int(keep_lower.sum()), "consistent": int(keep_consistent.sum()),
              "upper": boot.n_models}
    return kept, counts


def spa_from_bootstrap(boot: DifferentialBootstrap, studentize: bool) -> SPAResult:
    """The SPA test on an existing bootstrap pass (see :func:`spa`)."""
    model_stats = boot.scaled(boot.means, studentize)
    best = int(np.argmax(model_stats))
    statistic = max(0.0, float(model_stats[best]))
    kept, counts = null_means(boot)
    null = np.maximum(shifted_maxima(boot.deviations, boot.null_scales(studentize), kept), 0.0)
    exceed = np.count_nonzero(null >= statistic, axis=0)
    pvalues = SPAPValues(*((1.0 + float(exceed[i])) / (1.0 + boot.reps)
                           for i in range(len(SPA_KINDS))))
    return SPAResult(
        pvalues=pvalues, statistic=statistic, model_statistics=model_stats,
        null_distribution=null, n_recentred=counts,
        consistent_threshold=consistent_threshold(boot.n_obs), block_size=boot.block_size,
        block_size_method=boot.block_size_method, reps=boot.reps, n_obs=boot.n_obs,
        n_models=boot.n_models, best_model=best, studentized=studentize,
        studentization=STUDENTIZATION_BOOTSTRAP if studentize else STUDENTIZATION_NONE,
        seed_record=boot.seed_record, best_model_label=boot.label(best),
        block_size_estimate=boot.block_size_estimate, benchmark=boot.benchmark,
        bootstrap="stationary", draw_protocol=DRAW_PROTOCOL)


def spa(returns: Any, benchmark: Any = None, *, reps: int = 1000, block_size: int | None = None,
        studentize: bool = True, seed: Any = None) -> SPAResult:
    """Hansen's test of Superior Predictive Ability, with its lower, consistent and upper
    p-values.

    Tests H0: no strategy beats the benchmark, ``max_k E[d_k] <= 0`` for the differentials
    ``d = returns - benchmark``.

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
        rule (median over the k differentials, rounded up); the result records the length used
        and the method.
    studentize
        Divide each model's statistic by ``omega_k``, the closed-form stationary-bootstrap
        standard deviation of ``sqrt(T) mean(d_k)`` (Hansen's choice), and each bootstrap
        statistic by its replicate's own block-sum standard deviation: a block bootstrap-t (see
        :mod:`qrp_jupyter.stats.multiple_testing`). Default True, as Hansen recommends; the
        result says which one was used.
    seed
        An int, a numpy ``Generator``, a ``SeedRecord`` or its dict, or None (fresh entropy).
        The record is stored in the result; the same seed gives :func:`stepm` the same
        replicates.

    Returns
    -------
    SPAResult
        ``.pvalues`` (``lower``, ``consistent``, ``upper``); ``.pvalue`` is the consistent one.

    Notes
    -----
    Hansen (2005), "A Test for Superior Predictive Ability", JBES 23(4). With
    ``t_k = sqrt(T) mean(d_k) / omega_k`` (or ``sqrt(T) mean(d_k)`` when not studentized), the
    statistic is ``T_SPA = max(0, max_k t_k)``. Each stationary-bootstrap replicate
    (Politis and Romano 1994) gives, for each rule ``i``,
    ``T*_b = max(0, max_k sqrt(T) (mean*_b(d_k) - g_i(mean(d_k))) / omega*_{b,k})`` (the
    replicate's own standard deviation; ``sqrt(T)`` alone when not studentized) and
    ``p_i = (1 + #{T*_b >= T_SPA}) / (1 + B)``, with

    * lower, ``g_l(x) = max(x, 0)``: only the models with a non-negative mean are re-centred;
      the others keep their negative mean under the null. The smallest p-value: it treats
      every model below the benchmark as truly that bad (liberal).
    * consistent, ``g_c(x) = x 1{x >= -sqrt(2 log log T) omega_k / sqrt(T)}``: a model is left
      un-re-centred only when its mean is far below zero, more than ``sqrt(2 log log T)``
      standard errors. Hansen's test: consistent for the null distribution.
    * upper, ``g_u(x) = x``: every model re-centred, the least favourable configuration. The
      largest p-value; with ``studentize=False`` it is White's Reality Check (the same as
      :func:`reality_check` on the same seed whenever ``max_k mean(d_k) > 0``).

    ``lower <= consistent <= upper``. The same ``omega_k`` sets the consistent threshold with or
    without studentization. The floor at 0 makes ``p = 1`` when no model's mean differential is
    positive: there is then no evidence against H0.

    Comparing with ``arch``: ``arch.bootstrap.SPA`` (8.0) takes losses (pass ``-returns``),
    computes the statistic from raw mean differentials whatever ``studentize`` says, has no floor
    at 0 and counts ``>`` without the ``+1``; its consistent threshold uses the same closed-form
    variance as ours (equal to rounding). Its p-values are comparable to ours with
    ``studentize=False``, within Monte Carlo error.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> returns = rng.standard_normal((500, 20)) * 0.01
    >>> returns[:, 5] += 0.003
    >>> returns[:, 10:] -= 0.004  # ten clearly bad strategies
    >>> res = spa(returns, reps=199, seed=7)
    >>> res.best_model, res.studentized
    (5, True)
    >>> res.pvalues["consistent"] <= 0.05
    True
    >>> res.n_recentred
    {'lower': 5, 'consistent': 10, 'upper': 20}
    """
    studentize = check_flag(studentize, "studentize")
    boot = bootstrap_differentials(returns, benchmark, reps=reps, block_size=block_size,
                                   seed=seed, salt="spa", studentize=studentize)
    return spa_from_bootstrap(boot, studentize)

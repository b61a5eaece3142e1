"""Romano and Wolf's (2005) StepM: which strategies beat the benchmark, at a familywise error
rate.

Where the Reality Check and SPA ask whether the best strategy beats the benchmark, StepM names
every strategy that does while keeping the probability of naming even one false winner at
``size``. It runs on the bootstrap pass shared with the Reality Check and SPA
(:mod:`.multiple_testing`); :func:`spa_stepm` runs both tests on one pass.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ConfigError
from ._inputs import check_int, check_real
from ._kernels import suffix_maxima
from .bootstrap import DRAW_PROTOCOL
from .multiple_testing import (
    STUDENTIZATION_BOOTSTRAP,
    STUDENTIZATION_NONE,
    DifferentialBootstrap,
    bootstrap_differentials,
    check_flag,
)
from .results import SPAResult, StepMResult, StepMStep
from .hansen_spa import spa_from_bootstrap

__all__ = ["spa_stepm", "stepm"]


def _check_size(size: Any, reps: Any) -> tuple[float, int, int]:
    """(size, reps, m): m is the largest count of bootstrap maxima at or above a statistic with
    which ``(1 + m) / (1 + B) <= size``, i.e. the model is rejected."""
    size = check_real(size, "size")
    if not 0.0 < size < 1.0:
        raise ConfigError(f"size={size!r} is not a familywise error rate in (0, 1)",
                          where="size", fix="pass e.g. size=0.05")
    reps = check_int(reps, "reps", minimum=1)
    allowed = int(np.count_nonzero((1.0 + np.arange(reps + 1)) / (1.0 + reps) <= size)) - 1
    if allowed < 0:
        raise ConfigError(
            f"size={size!r} is below the smallest attainable p-value 1/(reps + 1) = "
            f"{1.0 / (1.0 + reps):.4g} with reps={reps}: no model could ever be rejected",
            where="size", fix=f"raise reps to at least {math.ceil(1.0 / size) - 1} or raise size")
    return size, reps, allowed


def stepm_from_bootstrap(boot: DifferentialBootstrap, size: float, studentize: bool,
                         allowed: int) -> StepMResult:
    """StepM on an existing bootstrap pass (see :func:`stepm`); ``allowed`` from
    :func:`_check_size`."""
    reps, k = boot.reps, boot.n_models
    stats = boot.scaled(boot.means, studentize)
    order = np.argsort(-stats, kind="stable")  # best first; ties keep column order
    ranked = stats[order]
    # column r: bootstrap maxima of the re-centred statistics over the models ranked r, r+1, ...
    suffix = suffix_maxima(boot.deviations, boot.null_scales(studentize), order)
    exceed = np.count_nonzero(suffix >= ranked, axis=0)
    adjusted = np.empty(k)
    adjusted[order] = np.maximum.accumulate((1.0 + exceed) / (1.0 + reps))

    steps, nulls, done = [], [], 0
    while done < k:
        null = suffix[:, done]
        critical = float(np.partition(null, reps - 1 - allowed)[reps - 1 - allowed])
        stop = done
        while stop < k and ranked[stop] > critical and ranked[stop] > 0.0:
            stop += 1
        steps.append(StepMStep(step=len(steps) + 1, n_active=k - done, critical_value=critical,
                               rejected=tuple(sorted(int(j) for j in order[done:stop]))))
        nulls.append(null)
        if stop == done:
            break
        done = stop
    superior = tuple(sorted(int(j) for j in order[:done]))
    return StepMResult(
        superior=superior, size=size, steps=tuple(steps), model_statistics=stats,
        adjusted_pvalues=adjusted, null_distributions=np.array(nulls),
        block_size=boot.block_size, block_size_method=boot.block_size_method, reps=reps,
        n_obs=boot.n_obs, n_models=k, studentized=studentize,
        studentization=STUDENTIZATION_BOOTSTRAP if studentize else STUDENTIZATION_NONE,
        seed_record=boot.seed_record, superior_labels=tuple(boot.label(j) for j in superior),
        block_size_estimate=boot.block_size_estimate, benchmark=boot.benchmark,
        bootstrap="stationary", draw_protocol=DRAW_PROTOCOL)


def stepm(returns: Any, benchmark: Any = None, *, size: float = 0.05, reps: int = 1000,
          block_size: int | None = None, seed: Any = None,
          studentize: bool = True) -> StepMResult:
    """Romano and Wolf's StepM: the strategies that beat the benchmark, at familywise error
    rate ``size``.

    Parameters
    ----------
    returns
        (T, k) array or DataFrame of per-period strategy returns, higher is better; T >= 2,
        finite. A 1-D input is one strategy.
    benchmark
        One series of T benchmark returns; default zero returns.
    size
        Familywise error rate in (0, 1); at least ``1 / (reps + 1)``.
    reps
        Bootstrap replicates B >= 1.
    block_size
        Mean block length of the stationary bootstrap, ``1 <= b < T``; None: the Politis-White
        rule, as for :func:`spa`. The result records the length used and the method.
    seed
        An int, a numpy ``Generator``, a ``SeedRecord`` or its dict, or None (fresh entropy).
        The record is stored in the result; the same seed gives :func:`spa` the same
        replicates.
    studentize
        Studentize as a block bootstrap-t (as in :func:`spa`): each model's statistic over
        ``omega_k``, the closed-form stationary-bootstrap standard deviation of
        ``sqrt(T) mean(d_k)``, and each bootstrap statistic over its replicate's own block-sum
        standard deviation. Default True, Romano and Wolf's recommended studentized StepM (their
        section 4 re-estimates the standard error in every bootstrap sample); the result says
        which one was used.

    Returns
    -------
    StepMResult
        ``.superior``: sorted column indices of the models that beat the benchmark.

    Notes
    -----
    Romano and Wolf (2005), "Stepwise Multiple Testing as Formalized Data Snooping",
    Econometrica 73(4). With ``t_k`` as in :func:`spa` (``sqrt(T) mean(d_k) / omega_k``, or
    ``sqrt(T) mean(d_k)``) and the stationary-bootstrap replicates re-centred,
    ``t*_{b,k} = sqrt(T) (mean*_b(d_k) - mean(d_k)) / omega*_{b,k}`` (the replicate's own
    standard deviation; ``sqrt(T)`` alone when not studentized), step j takes the models not
    rejected so far, A_j, and their bootstrap maxima ``M*_b = max_{k in A_j} t*_{b,k}``; model
    ``k in A_j`` is rejected when ``(1 + #{M*_b >= t_k}) / (1 + B) <= size`` and ``t_k > 0``
    (the p-value convention of the other tests; the step's ``critical_value`` is the order
    statistic of the ``M*_b`` that ``t_k`` must exceed). Steps repeat until one rejects nothing.
    Every model is re-centred, as in Romano and Wolf; ``arch.bootstrap.StepM`` re-centres with
    Hansen's consistent rule instead (Hsu, Hsu and Kuan 2010), which differs only when some
    models are far below the benchmark, and uses raw mean differentials whatever its
    ``studentize`` says: compare it with ``studentize=False``.

    The step-down adjusted p-values (Romano and Wolf 2016) are recorded too:
    ``superior`` is the set with ``adjusted_pvalues <= size`` (and ``t_k > 0``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> returns = rng.standard_normal((500, 10)) * 0.01
    >>> returns[:, [4, 7]] += 0.003
    >>> stepm(returns, reps=199, seed=7).superior
    (4, 7)
    """
    studentize = check_flag(studentize, "studentize")
    size, reps, allowed = _check_size(size, reps)
    boot = bootstrap_differentials(returns, benchmark, reps=reps, block_size=block_size,
                                   seed=seed, salt="stepm", studentize=studentize)
    return stepm_from_bootstrap(boot, size, studentize, allowed)


def spa_stepm(returns: Any, benchmark: Any = None, *, size: float = 0.05, reps: int = 1000,
              block_size: int | None = None, studentize: bool = True,
              seed: Any = None) -> tuple[SPAResult, StepMResult]:
    """Hansen's SPA and Romano-Wolf's StepM from one bootstrap pass.

    The same as ``(spa(...), stepm(...))`` with the same arguments and an int or record seed
    (both draw the same replicates), for the cost of one bootstrap. Both results carry the same
    seed record. See :func:`spa` and :func:`stepm` for the parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from qrp_jupyter.stats import spa
    >>> returns = np.random.default_rng(1).standard_normal((500, 10)) * 0.01
    >>> returns[:, [4, 7]] += 0.003
    >>> test, winners = spa_stepm(returns, reps=199, seed=7)
    >>> test.pvalue == spa(returns, reps=199, seed=7).pvalue, winners.superior
    (True, (4, 7))
    """
    studentize = check_flag(studentize, "studentize")
    size, reps, allowed = _check_size(size, reps)
    boot = bootstrap_differentials(returns, benchmark, reps=reps, block_size=block_size,
                                   seed=seed, salt="spa_stepm", studentize=studentize)
    return (spa_from_bootstrap(boot, studentize),
            stepm_from_bootstrap(boot, size, studentize, allowed))

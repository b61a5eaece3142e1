"""Probability of Backtest Overfitting by Combinatorially Symmetric Cross-Validation.

Bailey, Borwein, Lopez de Prado and Zhu (2017), "The Probability of Backtest Overfitting",
Journal of Computational Finance 20(4). DESIGN section 5.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from ._inputs import as_panel, check_int
from ._pbo_kernels import block_stats, cscv_splits
from .results_pbo import PBOResult

__all__ = ["MAX_BLOCKS", "pbo_cscv"]

# C(20, 10) = 184,756 splits. The next even S, 22, has 705,432: more splits mostly re-use the
# same data and the paper works with S = 16 (12,870 splits).
MAX_BLOCKS = 20


@functools.lru_cache(maxsize=8)
def _splits(n_blocks: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every S/2-subset of the S blocks in lexicographic order, and the complementary pairs.

    Returns ``(combos, pair_a, pair_b)``: split ``pair_a[p]`` (which holds block 0) and split
    ``pair_b[p]`` are each other's out-of-sample half. Read-only, cached per S.
    """
    half = n_blocks // 2
    combos = np.array(list(itertools.combinations(range(n_blocks), half)), dtype=np.int64)
    weights = np.left_shift(np.int64(1), combos).sum(axis=1)  # bit mask of each subset
    where = {int(m): i for i, m in enumerate(weights)}
    full = (1 << n_blocks) - 1
    pair_a = np.flatnonzero(combos[:, 0] == 0)
    pair_b = np.array([where[full ^ int(weights[a])] for a in pair_a], dtype=np.int64)
    for arr in (combos, pair_a, pair_b):
        arr.flags.writeable = False
    return combos, pair_a, pair_b


def pbo_cscv(returns: Any, *, n_blocks: int = 16) -> PBOResult:
    """Probability that selecting the best backtest among N overfits, by CSCV.

    Parameters
    ----------
    returns
        (T, N) array or DataFrame of per-period returns of the N strategies (the trials one
        picks the best from), higher is better; finite. A 1-D input is one strategy.
    n_blocks
        S, an even number of blocks, 2 <= S <= 20 (default 16, as in the paper). Every one of
        the C(S, S/2) ways to pick S/2 blocks as the in-sample half is used.

    Returns
    -------
    PBOResult
        ``.pbo`` and ``.logits`` (one per split), the in-sample best and its out-of-sample
        relative rank per split, and the conventions used.

    Raises
    ------
    ConfigError
        S odd, below 2 or above 20.
    DataError
        Non-finite returns, or fewer than S rows, or halves of fewer than 2 rows.

    Notes
    -----
    Bailey, Borwein, Lopez de Prado, Zhu (2017), Journal of Computational Finance 20(4),
    section 2 (CSCV). With L = T // S, the first T mod S rows (the oldest) are dropped so that
    the S blocks of L consecutive rows end at the last observation. For every split c:

    1. the in-sample half J is the union of S/2 blocks (in time order), the complement J' is
       out of sample;
    2. the metric is the per-period Sharpe ratio, mean / std with ``ddof=1``, of each strategy
       over J and over J' (a half in which a strategy returns one repeated value c scores 0 if
       c == 0, else +inf or -inf);
    3. n* = the in-sample best (the first column among exact ties);
    4. its out-of-sample rank among the N strategies, 1 = worst .. N = best, ties averaged
       (``scipy.stats.rankdata(method="average")``), gives ``w = rank / (N + 1)`` in (0, 1)
       and ``logit = log(w / (1 - w))``.

    PBO is the share of splits with ``logit <= 0``. A logit of exactly 0 (the median, possible
    for odd N or ties) counts as overfit, per the paper. With N = 1 there is nothing to select
    from: every logit is 0 and PBO is 1.

    Reading it: an edge that persists puts the in-sample best high out of sample (PBO near 0);
    among strategies without edge the in-sample best is a random draw out of sample (PBO near
    0.5); when in-sample winners systematically lose out of sample, PBO goes to 1.

    The out-of-sample half of split c is the in-sample half of its complement, so each
    complementary pair costs two Sharpe vectors; those come from per-block sums in O(S * N),
    with an exact route where that formula would cancel (see :mod:`._pbo_kernels`).
    Splits run in parallel; the answer does not depend on the number of threads.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> noise = rng.standard_normal((960, 20)) * 0.01
    >>> res = pbo_cscv(noise, n_blocks=8)
    >>> res.n_splits, res.block_rows, res.logits.shape
    (70, 120, (70,))
    >>> skilled = noise.copy()
    >>> skilled[:, 3] += 0.004
    >>> pbo_cscv(skilled, n_blocks=8).pbo
    0.0
    """
    panel = as_panel(returns, name="returns", min_rows=2)
    n_blocks = check_int(n_blocks, "n_blocks", minimum=2, below=MAX_BLOCKS + 1)
    if n_blocks % 2:
        raise ConfigError(f"n_blocks={n_blocks} is odd; CSCV splits the blocks into two equal "
                          "halves", where="n_blocks", fix="pass an even number such as 16")
    x = panel.values
    n_obs, n_strategies = x.shape
    block_rows = n_obs // n_blocks
    if block_rows < 1 or block_rows * (n_blocks // 2) < 2:
        raise DataError(
            f"returns has {n_obs} rows: too few for {n_blocks} blocks with at least 2 rows in "
            "each half", where="returns",
            fix=f"pass at least {max(n_blocks, 4)} rows or use fewer blocks")
    rows_dropped = n_obs - n_blocks * block_rows
    data = np.ascontiguousarray(x[rows_dropped:])
    stats = block_stats(data, n_blocks, block_rows)
    combos, pair_a, pair_b = _splits(n_blocks)
    logits, best, rank, is_sr, oos_sr = cscv_splits(stats, combos, pair_a, pair_b, block_rows)
    n_splits = combos.shape[0]  # C(S, S/2)
    pbo = float(np.count_nonzero(logits <= 0.0)) / n_splits
    labels = [c.item() if isinstance(c, np.generic) else c for c in panel.columns]
    return PBOResult(
        pbo=pbo, logits=logits, oos_rank=rank, in_sample_best=best, is_sharpe=is_sr,
        oos_sharpe=oos_sr, in_sample_blocks=combos, n_splits=n_splits, n_blocks=n_blocks,
        block_rows=block_rows, n_obs=n_obs, rows_dropped=rows_dropped,
        n_strategies=n_strategies, labels=labels)

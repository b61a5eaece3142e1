"""numba kernels of PBO by CSCV (:mod:`qrp_jupyter.stats.pbo`): arrays in, arrays out.

The (T, N) panel is cut into S blocks of L rows. One pass over the data gives, per block and
strategy, the sum and sum of squares, the mean and the sum of squared deviations (M2), and the
block's common value when all its rows are equal (NaN otherwise). A half-sample (S/2 blocks,
n = S/2 * L rows) then needs no data: with ``S`` and ``Q`` the sums over its blocks,

    mean = S / n,  var = (Q - S * mean) / (n - 1),

S/2 vector additions per half instead of a pass over T/2 rows. Each complementary pair of
splits (the out-of-sample half of split c is the in-sample half of its complement) computes its
two Sharpe vectors once and scores both splits with them.

Both halves are summed directly from the blocks, never as "total minus the other half", and no
per-column shift is applied: two strategies with identical returns over a half then get
bit-identical Sharpe ratios there, so exact ties stay ties (they share their average rank),
as in the definition and the twin.

Two exact safeguards:

- Cancellation: ``Q - S * mean`` loses digits when the mean is large next to the spread. When
  it falls below ``cancel_tol`` (1e-3) times Q -- a half-sample |Sharpe| above ~30 per period,
  in practice a nearly flat stretch at a non-zero level -- that column's half is recomputed
  from the block means and M2 with the exact decomposition for equal block sizes,
  ``M2_half = sum_b M2_b + L sum_b (mean_b - mean_half)^2`` (no cancellation).
  ``cancel_tol=inf`` takes that route for every column (the tests do).
- Flat halves: when every row of a half holds one value v (found exactly from the block flags,
  whatever the rounding) its Sharpe ratio is 0 if v == 0, else +inf / -inf.

Pairs are independent units of work: the parallel kernel runs them under ``prange`` and each
sum inside a pair runs serially in increasing block / column order, so the thread count never
changes a bit of the result and the serial and parallel kernels agree exactly. Twin:
``tests/stats/naive_pbo.py``.
"""

from __future__ import annotations

import math

import numpy as np

from .._detmath import log
from .._numba import jit, pjit, prange
from ._kernels import PARALLEL_MIN_WORK

__all__ = ["CANCEL_TOL", "block_stats", "cscv_splits"]

# A half whose sum of squared deviations Q - S * mean falls below this share of its sum of squares
# Q is recomputed by the exact block decomposition (module notes); above it the fast formula
# keeps ~12 of 16 digits.
CANCEL_TOL = 1e-3
# Pairs handled by one task of the parallel loop: scratch vectors are allocated once per task.
_PAIRS_PER_TASK = 16


@jit
def block_stats(x, n_blocks, block_rows):
    """Per-block moments of every column over the S consecutive blocks of L rows.

    Returns ``(sums, sqs, means, m2, const)``, each (S, N): ``sum x``, ``sum x^2``, the mean
    and ``sum (x - mean)^2`` of each block, and ``const`` the block's common value when all its
    rows are equal (NaN otherwise). All sums run in increasing row order.
    """
    n_cols = x.shape[1]
    sums = np.zeros((n_blocks, n_cols))
    sqs = np.zeros((n_blocks, n_cols))
    means = np.empty((n_blocks, n_cols))
    m2 = np.zeros((n_blocks, n_cols))
    const = np.empty((n_blocks, n_cols))
    same = np.empty(n_cols, np.bool_)
    for b in range(n_blocks):
        r0 = b * block_rows
        s = sums[b]
        q = sqs[b]
        for t in range(r0, r0 + block_rows):
            row = x[t]
            for j in range(n_cols):
                s[j] += row[j]
                q[j] += row[j] * row[j]
        mu = means[b]
        for j in range(n_cols):
            mu[j] = s[j] / block_rows
            same[j] = True
        first = x[r0]
        acc = m2[b]
        for t in range(r0, r0 + block_rows):
            row = x[t]
            for j in range(n_cols):
                d = row[j] - mu[j]
                acc[j] += d * d
                if row[j] != first[j]:
                    same[j] = False
        for j in range(n_cols):
            const[b, j] = first[j] if same[j] else np.nan
    return sums, sqs, means, m2, const


@jit
def _exact_sharpe(means, m2, blocks, block_rows, j):
    """Sharpe ratio of column j over the given blocks from block means and M2 (no cancellation).
    """
    h = blocks.shape[0]
    mu = 0.0
    for i in range(h):
        mu += means[blocks[i], j]
    mu = mu / h
    ss = 0.0
    for i in range(h):
        d = means[blocks[i], j] - mu
        ss += m2[blocks[i], j] + block_rows * (d * d)
    return mu / math.sqrt(ss / (h * block_rows - 1))


@jit
def _flat_value(const, blocks, j):
    """The common value of column j over the given blocks, or NaN if it is not constant there."""
    c = const[blocks[0], j]
    if c != c:
        return c
    for i in range(1, blocks.shape[0]):
        if const[blocks[i], j] != c:
            return np.nan
    return c


@jit
def _fix_half(means, m2, const, blocks, block_rows, margin, out):
    """Overwrite the columns of ``out`` that are flat over ``blocks`` or whose ``margin``
    (``Q - S * mean - cancel_tol * Q``) is not positive (exact route)."""
    first = const[blocks[0]]
    for j in range(out.shape[0]):
        # one predictable test in the common case: fast formula fine, first block not constant
        if margin[j] > 0.0 and first[j] != first[j]:
            continue
        if not margin[j] > 0.0:
            out[j] = _exact_sharpe(means, m2, blocks, block_rows, j)
        c = _flat_value(const, blocks, j)
        if c == c:
            out[j] = 0.0 if c == 0.0 else (math.inf if c > 0.0 else -math.inf)


@jit
def _score_split(sr_is, sr_oos, c, logits, best, rank, is_sr, oos_sr):
    """Split c: the in-sample best (first index among ties) and its out-of-sample average rank.

    rank = #{oos < v} + (#{oos == v} + 1) / 2 for v the best's OOS Sharpe (1 = worst, N = best;
    ties share the mean of their positions); w = rank / (N + 1) and logit = log(w / (1 - w)),
    computed as log(rank / (N + 1 - rank)).
    """
    n_cols = sr_is.shape[0]
    k = 0
    top = sr_is[0]
    for j in range(1, n_cols):
        if sr_is[j] > top:
            top = sr_is[j]
            k = j
    v = sr_oos[k]
    below = 0
    equal = 0
    for j in range(n_cols):  # counts without branches (half of them would mispredict)
        below += np.int64(sr_oos[j] < v)
        equal += np.int64(sr_oos[j] == v)
    r = below + 0.5 * (equal + 1)
    logits[c] = log(r / (n_cols + 1 - r))  # QRP's own log: not libm's
    best[c] = k
    rank[c] = r / (n_cols + 1)
    is_sr[c] = top
    oos_sr[c] = v


@jit
def _half_sums(sums, sqs, blocks, s_out, q_out):
    """Sums of ``sums`` and ``sqs`` over the given blocks, in block order."""
    for j in range(s_out.shape[0]):
        s_out[j] = 0.0
        q_out[j] = 0.0
    for i in range(blocks.shape[0]):
        s = sums[blocks[i]]
        q = sqs[blocks[i]]
        for j in range(s_out.shape[0]):
            s_out[j] += s[j]
            q_out[j] += q[j]


@jit
def _half_sharpe(sums, sqs, means, m2, const, blocks, block_rows, cancel_tol, s_h, q_h, margin,
                 out):
    """Per-period Sharpe ratio (mean / std, ddof=1) of every column over the given blocks."""
    n = blocks.shape[0] * block_rows
    _half_sums(sums, sqs, blocks, s_h, q_h)
    for j in range(out.shape[0]):  # branch-free, so that it vectorises
        mean = s_h[j] / n
        dev = q_h[j] - s_h[j] * mean
        margin[j] = dev - cancel_tol * q_h[j]
        out[j] = mean / math.sqrt(max(dev, 0.0) / (n - 1))
    _fix_half(means, m2, const, blocks, block_rows, margin, out)


@jit
def _task(sums, sqs, means, m2, const, combos, pair_a, pair_b, block_rows, cancel_tol, p0, p1,
          logits, best, rank, is_sr, oos_sr):
    """Pairs p0..p1-1: the Sharpe vectors of both halves, then both splits scored."""
    n_cols = sums.shape[1]
    s_h = np.empty(n_cols)
    q_h = np.empty(n_cols)
    margin = np.empty(n_cols)
    sr_a = np.empty(n_cols)
    sr_b = np.empty(n_cols)
    for p in range(p0, p1):
        a = pair_a[p]
        b = pair_b[p]
        _half_sharpe(sums, sqs, means, m2, const, combos[a], block_rows, cancel_tol, s_h, q_h,
                     margin, sr_a)
        _half_sharpe(sums, sqs, means, m2, const, combos[b], block_rows, cancel_tol, s_h, q_h,
                     margin, sr_b)
        _score_split(sr_a, sr_b, a, logits, best, rank, is_sr, oos_sr)
        _score_split(sr_b, sr_a, b, logits, best, rank, is_sr, oos_sr)


@jit
def _cscv_serial(sums, sqs, means, m2, const, combos, pair_a, pair_b, block_rows, cancel_tol):
    n_splits = combos.shape[0]
    logits = np.empty(n_splits)
    best = np.empty(n_splits, np.int64)
    rank = np.empty(n_splits)
    is_sr = np.empty(n_splits)
    oos_sr = np.empty(n_splits)
    _task(sums, sqs, means, m2, const, combos, pair_a, pair_b, block_rows, cancel_tol, 0,
          pair_a.shape[0], logits, best, rank, is_sr, oos_sr)
    return logits, best, rank, is_sr, oos_sr


@pjit
def _cscv_parallel(sums, sqs, means, m2, const, combos, pair_a, pair_b, block_rows, cancel_tol):
    n_splits = combos.shape[0]
    n_pairs = pair_a.shape[0]
    logits = np.empty(n_splits)
    best = np.empty(n_splits, np.int64)
    rank = np.empty(n_splits)
    is_sr = np.empty(n_splits)
    oos_sr = np.empty(n_splits)
    n_tasks = (n_pairs + _PAIRS_PER_TASK - 1) // _PAIRS_PER_TASK
    for g in prange(n_tasks):
        p0 = g * _PAIRS_PER_TASK
        _task(sums, sqs, means, m2, const, combos, pair_a, pair_b, block_rows, cancel_tol, p0,
              min(n_pairs, p0 + _PAIRS_PER_TASK), logits, best, rank, is_sr, oos_sr)
    return logits, best, rank, is_sr, oos_sr


def cscv_splits(stats, combos, pair_a, pair_b, block_rows, cancel_tol=CANCEL_TOL):
    """Score every split: (logits, best, rank, is_sharpe, oos_sharpe), each indexed by split.

    ``stats`` is the tuple from :func:`block_stats`; ``combos`` (M, S/2) lists the in-sample
    blocks of each split; splits ``pair_a[p]`` and ``pair_b[p]`` are complements. ``rank`` is
    the relative rank w in (0, 1); ``is_sharpe`` and ``oos_sharpe`` are the in-sample best's
    Sharpe ratios in and out of sample.
    """
    work = combos.shape[0] * combos.shape[1] * stats[0].shape[1]
    kernel = _cscv_parallel if pair_a.shape[0] > 1 and work >= PARALLEL_MIN_WORK \
        else _cscv_serial
    return kernel(*stats, combos, pair_a, pair_b, block_rows, float(cancel_tol))

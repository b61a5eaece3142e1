"""numba kernels of the engine: arrays in, arrays out, no validation, no errors.

Layout: time runs down the rows, grid points across the columns, as in the public API.

Two kinds of parallel loop, both bit-identical to a serial run (and to ``NUMBA_DISABLE_JIT=1``):

- element-wise kernels (SMA table, positions, strategy returns) compute every output element
  from its inputs alone, so they ``prange`` over bars: each thread writes whole contiguous rows
  of the C-ordered (T, k) output, which measured 2-3x faster than striding down columns;
- reductions (metrics) ``prange`` over columns (grid points) and reduce each column serially in
  time order, so the thread count never changes a sum.

Large outputs are allocated by the caller with numpy and passed in as ``out``: numpy asks the
kernel for transparent huge pages on big arrays, numba's allocator does not, and the page faults
of a fresh 35 MB array cost more than the arithmetic that fills it.

Every kernel has a plain-numpy twin in ``tests/engine/naive.py``.
"""

from __future__ import annotations

import numpy as np

from .._numba import jit, pjit, prange


@jit
def _asset_returns(close):
    """``r[i] = close[i+1] / close[i] - 1`` for i in 0..T-2."""
    n = close.shape[0] - 1
    out = np.empty(n)
    for i in range(n):
        out[i] = close[i + 1] / close[i] - 1.0
    return out


@pjit
def _sma_table(close, windows, out):
    """``out[t, i]``: moving average of ``close - close[0]`` over ``windows[i]`` bars at bar t.

    NaN during warm-up (t < window - 1). The table is shifted by the constant ``close[0]``,
    which the crossover comparison does not see. Centring keeps the running prefix sum small
    (fewer digits cancel when two sums are subtracted) and makes a constant series give exactly
    equal averages for every window. ``close[0]`` is known at every bar, so centring on it
    cannot leak the future (centring on the mean would).
    """
    T = close.shape[0]
    csum = np.empty(T + 1)
    csum[0] = 0.0
    base = close[0]
    acc = 0.0
    for t in range(T):
        acc += close[t] - base
        csum[t + 1] = acc
    for t in prange(T):
        for i in range(windows.shape[0]):
            w = windows[i]
            if t >= w - 1:
                out[t, i] = (csum[t + 1] - csum[t + 1 - w]) / w
            else:
                out[t, i] = np.nan


@pjit
def _crossover_positions(sma, fast_col, slow_col, short, out):
    """``out[t, j]``: +1 if SMA[t, fast_col[j]] > SMA[t, slow_col[j]], -short if below, else 0.

    ``short`` is 1.0, or 0.0 for long-only. NaN (warm-up) compares false either way: flat.
    """
    for t in prange(sma.shape[0]):
        for j in range(fast_col.shape[0]):
            a = sma[t, fast_col[j]]
            b = sma[t, slow_col[j]]
            out[t, j] = (1.0 if a > b else 0.0) - short * (1.0 if a < b else 0.0)


@pjit
def _momentum_positions(close, lookbacks, thresholds, short, out):
    """``out[t, j]``: +1 / -short / 0 as close[t]/close[t-L]-1 is above h, below -h, between.

    ``L, h = lookbacks[j], thresholds[j]``; flat for t < L, where the return is undefined.
    """
    for t in prange(close.shape[0]):
        for j in range(lookbacks.shape[0]):
            L = lookbacks[j]
            if t < L:
                out[t, j] = 0.0
            else:
                m = close[t] / close[t - L] - 1.0
                h = thresholds[j]
                out[t, j] = (1.0 if m > h else 0.0) - short * (1.0 if m < -h else 0.0)


@pjit
def _strategy_returns(positions, asset_ret, cost, out):
    """``out[i, j] = pos[i, j] * r[i] - cost * |pos[i, j] - pos[i-1, j]|``, ``pos[-1] = 0``."""
    for i in prange(asset_ret.shape[0]):
        r = asset_ret[i]
        for j in range(positions.shape[1]):
            p = positions[i, j]
            q = positions[i - 1, j] if i > 0 else 0.0
            out[i, j] = p * r - cost * abs(p - q)


@pjit
def _return_stats(returns):
    """Per column: mean, volatility (ddof=1), Sharpe, total compounded return, max drawdown.

    A column whose values are all identical has volatility exactly 0 and Sharpe NaN, whatever
    rounding the two-pass variance would leave; with fewer than 2 rows both are NaN.
    """
    n = returns.shape[0]
    k = returns.shape[1]
    mean = np.empty(k)
    vol = np.empty(k)
    sharpe = np.empty(k)
    total = np.empty(k)
    mdd = np.empty(k)
    for j in prange(k):
        s = 0.0
        constant = True
        first = returns[0, j]
        for i in range(n):
            x = returns[i, j]
            s += x
            if x != first:
                constant = False
        m = s / n
        mean[j] = m
        if n < 2:
            vol[j] = np.nan
            sharpe[j] = np.nan
        elif constant:
            vol[j] = 0.0
            sharpe[j] = np.nan
        else:
            ss = 0.0
            for i in range(n):
                d = returns[i, j] - m
                ss += d * d
            sd = np.sqrt(ss / (n - 1))
            vol[j] = sd
            sharpe[j] = m / sd if sd > 0.0 else np.nan
        eq = 1.0
        peak = 1.0
        worst = 0.0
        for i in range(n):
            eq *= 1.0 + returns[i, j]
            if eq > peak:
                peak = eq
            dd = 1.0 - eq / peak
            if dd > worst:
                worst = dd
        total[j] = eq - 1.0
        mdd[j] = worst
    return mean, vol, sharpe, total, mdd


@pjit
def _position_changes(positions, n_held):
    """Per column over rows 0..n_held-1 (``pos[-1] = 0``): sum of |change| and count of changes."""
    k = positions.shape[1]
    traded = np.empty(k)
    changes = np.empty(k, dtype=np.int64)
    for j in prange(k):
        prev = 0.0
        acc = 0.0
        c = 0
        for i in range(n_held):
            p = positions[i, j]
            if p != prev:
                acc += abs(p - prev)
                c += 1
            prev = p
        traded[j] = acc
        changes[j] = c
    return traded, changes

"""numba kernels of the panel (cross-sectional) engine: arrays in, arrays out, nothing else.

A panel grid point holds a weight per asset; its per-period return is
``sum_a w[i, a] * r[i, a] - cost * sum_a |w[i, a] - w[i-1, a]|`` (then minus
``sum_a w[i, a] * f[i, a]`` with funding), summed over assets in index order. Kernels follow
the conventions of :mod:`._kernels` (serial and parallel builds of one body, bit-identical);
each has a twin in ``tests/engine/naive.py``.
"""

from __future__ import annotations

import numpy as np

from .._numba import dual, prange


@dual
def _rank_table(closes, lookbacks, out):
    """``out[l, t]``: asset indices by descending trailing return over ``lookbacks[l]`` bars.

    The trailing return at bar t is ``closes[t, a] / closes[t - L, a] - 1``; a stable sort of
    its negation ranks equal returns by asset index (lower index first, so it is bought before
    and shorted after a tied higher index). Rows t < L (undefined) hold ``0..n-1``.
    """
    T = closes.shape[0]
    n = closes.shape[1]
    for t in prange(T):
        m = np.empty(n)
        for li in range(lookbacks.shape[0]):
            L = lookbacks[li]
            if t < L:
                for a in range(n):
                    out[li, t, a] = a
                continue
            for a in range(n):
                m[a] = 0.0 - (closes[t, a] / closes[t - L, a] - 1.0)
            order = np.argsort(m, kind="mergesort")
            for a in range(n):
                out[li, t, a] = order[a]


@dual
def _xs_kernel(ranks, rank_col, lookbacks, top_k, short, scale, asset_ret, cost, fund,
               ret_out, gross_out, traded_out, w_out):
    """Cross-sectional momentum for each grid point j (``prange`` over points).

    From bar ``lookbacks[j]`` on, the first ``top_k[j]`` assets of ``ranks[rank_col[j], t]``
    get weight ``0.5 / K`` and the last K get ``-0.5 / K`` (``short`` = 1); long-only
    (``short`` = 0) gives the first K ``1 / K`` each. A non-empty (T, n) ``scale`` multiplies
    every weight (the overlay). Writes returns and traded notional per held row, gross
    exposure per bar, and the weights into the (T, n, k) ``w_out`` when it is non-empty.
    """
    T = ranks.shape[1]
    n = ranks.shape[2]
    k = rank_col.shape[0]
    has_scale = scale.shape[0] > 0
    has_fund = fund.shape[0] > 0
    keep_w = w_out.shape[0] > 0
    for j in prange(k):
        w = np.zeros(n)
        prev = np.zeros(n)
        K = top_k[j]
        L = lookbacks[j]
        lc = rank_col[j]
        lw = 0.5 / K if short > 0.0 else 1.0 / K
        for t in range(T):
            for a in range(n):
                w[a] = 0.0
            if t >= L:
                for r in range(K):
                    w[ranks[lc, t, r]] = lw
                if short > 0.0:
                    for r in range(n - K, n):
                        w[ranks[lc, t, r]] = 0.0 - lw
            if has_scale:
                for a in range(n):
                    w[a] = w[a] * scale[t, a] + 0.0
            g = 0.0
            for a in range(n):
                g += abs(w[a])
            gross_out[t, j] = g
            if keep_w:
                for a in range(n):
                    w_out[t, a, j] = w[a]
            if t < T - 1:
                v = 0.0
                tr = 0.0
                for a in range(n):
                    v += w[a] * asset_ret[t, a]
                    tr += abs(w[a] - prev[a])
                v = v - cost * tr
                if has_fund:
                    fs = 0.0
                    for a in range(n):
                        fs += w[a] * fund[t, a]
                    v = v - fs
                ret_out[t, j] = v
                traded_out[t, j] = tr
            for a in range(n):
                prev[a] = w[a]

"""numba kernels of one-book pricing: a sequence of held positions priced as a single account.

``rows`` are returns-matrix rows in the order the book lives through them, ``cols`` the trial
whose position the book holds on each. The book is flat before ``rows[0]`` and wherever the rows
are not consecutive, so it pays to enter after a gap and to exit before one and after the last
row. Each row's return is computed with the engine's operations in the engine's order
(``_kernels._returns_block``, ``_panel_kernels._xs_kernel``), so on a row where the book holds
what the trial held the row before, the result is the trial's own return bit for bit. Twins:
``tests/engine/test_one_book.py``.
"""

from __future__ import annotations

import numpy as np

from .._numba import jit


@jit
def _book_single(pos, asset_ret, fund, rows, cols, cost, out):
    """One asset: ``pos`` (T, k), ``asset_ret`` (T-1,), ``fund`` (T-1,) or empty.

    ``v = p * r - cost * |p - q|`` (``q`` the book's previous position, 0 after a gap), then
    ``v - p * f`` with funding, then ``v - cost * |p|`` when the book closes after this row.
    """
    m = rows.shape[0]
    has_fund = fund.shape[0] > 0
    q = 0.0
    for s in range(m):
        i = rows[s]
        if s > 0 and rows[s - 1] != i - 1:
            q = 0.0
        p = pos[i, cols[s]]
        v = p * asset_ret[i] - cost * abs(p - q)
        if has_fund:
            v = v - p * fund[i]
        if s == m - 1 or rows[s + 1] != i + 1:
            v = v - cost * abs(p)
        out[s] = v
        q = p


@jit
def _book_panel(w, asset_ret, fund, rows, cols, cost, out, traded):
    """A panel: weights ``w`` (T, n, k), ``asset_ret`` (T-1, n), ``fund`` (T-1, n) or empty.

    ``v = sum_a w r - cost * sum_a |w - q|`` then ``v - sum_a w f`` with funding, then
    ``v - cost * sum_a |w|`` when the book closes after this row; sums over assets in index
    order. ``traded[s]`` is the notional traded on row s (entry, switch and exit).
    """
    m = rows.shape[0]
    n = w.shape[1]
    has_fund = fund.shape[0] > 0
    q = np.zeros(n)
    for s in range(m):
        i = rows[s]
        j = cols[s]
        if s > 0 and rows[s - 1] != i - 1:
            for a in range(n):
                q[a] = 0.0
        v = 0.0
        tr = 0.0
        for a in range(n):
            v += w[i, a, j] * asset_ret[i, a]
            tr += abs(w[i, a, j] - q[a])
        v = v - cost * tr
        if has_fund:
            fs = 0.0
            for a in range(n):
                fs += w[i, a, j] * fund[i, a]
            v = v - fs
        if s == m - 1 or rows[s + 1] != i + 1:
            g = 0.0
            for a in range(n):
                g += abs(w[i, a, j])
            v = v - cost * g
            tr += g
        out[s] = v
        traded[s] = tr
        for a in range(n):
            q[a] = w[i, a, j]

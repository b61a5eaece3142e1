"""numba kernels of the single-asset engine: arrays in, arrays out, no validation, no errors.

Layout: time runs down the rows, grid points across the columns, as in the public API.

Every kernel is a :class:`~qrp_jupyter._numba.Dual`: one Python body compiled serial and
parallel; the wrappers run the parallel build only for problems of at least
``PARALLEL_MIN_WORK`` element operations (waking idle threads costs milliseconds on a busy
machine). Both builds are bit-identical, and so is ``NUMBA_DISABLE_JIT=1``, because:

- tables (SMA, z-scores, channels) compute every output element from its inputs alone and
  ``prange`` over bars (or over windows, each window scanned serially in time order);
- the grid driver ``prange``-s over *column chunks* (blocks of grid points) and walks each chunk
  through time in order, in blocks of rows. Every per-column value (position, return, sum,
  drawdown) is produced by the same operations in the same order whatever the chunk width, the
  row-block height or the thread count.

The driver fuses positions, returns after costs and the per-column reductions of the metrics:
a chunk's positions and returns for a block of rows live in two small buffers (cache-resident)
and are reduced before the next block is computed. The (T, k) outputs are optional: the driver
can write positions and/or returns into caller-allocated matrices, or only reduce them
(:func:`~qrp_jupyter.engine.grid_metrics`), in which case memory stays O(T) plus the buffers.
The volatility needs the mean first (two-pass, as the metrics have always been computed), so
the second pass recomputes the chunk's returns rather than reading a matrix back: for the
built-in families that is cheaper than a trip to memory, and it works when nothing is stored.

Reading a (T, k) matrix for :func:`~qrp_jupyter.engine.trial_metrics` uses the same block
reducers on views of the matrix, row block by row block (each row segment is contiguous),
so the metrics of a stored grid are bit-identical to the fused ones.

Large outputs are allocated by the caller with numpy and passed in as ``out``: numpy asks the
kernel for transparent huge pages on big arrays, numba's allocator does not, and the page faults
of a fresh 35 MB array cost more than the arithmetic that fills it.

Every kernel has a plain-numpy twin in ``tests/engine/naive.py``.
"""

from __future__ import annotations

import numpy as np

from .._numba import dual, jit, prange

# Family codes of the grid driver (the wrappers map names to these).
FAM_MA = 0
FAM_MOM = 1
FAM_ZSCORE = 2
FAM_DONCHIAN = 3
FAM_USER = 4

#: Rows of the per-column statistics block written by the driver (see ``_finish_stats``).
N_STATS = 7  # mean, vol, sharpe, total, mdd, traded, changes

# Column chunks: at most CHUNK_MAX grid points each, and at least one chunk per thread when
# running in parallel. Wide chunks write long contiguous row segments of the (T, k) outputs
# (measured, 1,000 points x 43,800 bars, one thread: chunks of 64 points ran ~35% slower than
# chunks of 500, which write 4 KiB per row); rows per block are chosen so that a chunk's two
# (rows x width) buffers hold ROW_ELEMS values each (128 KiB; both fit in the 512 KiB L2).
CHUNK_MAX = 512
ROW_ELEMS = 16384


# ------------------------------------------------------------------ asset returns
@jit
def _asset_returns(close):
    """``r[i] = close[i+1] / close[i] - 1`` for i in 0..T-2."""
    n = close.shape[0] - 1
    out = np.empty(n)
    for i in range(n):
        out[i] = close[i + 1] / close[i] - 1.0
    return out


# ------------------------------------------------------------------ indicator tables
@dual
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


@dual
def _zscore_table(close, windows, out):
    """``out[t, i]``: z-score of ``close[t]`` in the ``w = windows[i]`` closes ending at bar t.

    ``z = (close[t] - mean) / std`` with the sample standard deviation (ddof=1) of
    ``close[t-w+1 .. t]``; NaN during warm-up (t < w - 1); 0 when the window is constant (no
    dispersion, no deviation). Both passes run over ``close[u] - close[t]``: differences from
    the current price are small and exact for a constant window, where a plain mean of equal
    numbers can round away from them and turn rounding noise into a large z.
    """
    T = close.shape[0]
    for t in prange(T):
        c = close[t]
        for i in range(windows.shape[0]):
            w = windows[i]
            if t < w - 1:
                out[t, i] = np.nan
                continue
            s = 0.0
            for u in range(t - w + 1, t + 1):
                s += close[u] - c
            m = s / w
            ss = 0.0
            for u in range(t - w + 1, t + 1):
                d = (close[u] - c) - m
                ss += d * d
            out[t, i] = (0.0 - m) / np.sqrt(ss / (w - 1)) if ss > 0.0 else 0.0


@dual
def _channel_table(close, windows, hi, lo):
    """``hi[t, i]``, ``lo[t, i]``: max and min of the ``windows[i]`` closes *before* bar t.

    The channel at bar t covers ``close[t-w .. t-1]`` (the current bar is excluded, so a close
    can break out of it); NaN for t < w. Monotone deques of indices: O(T) per window, exact.
    """
    T = close.shape[0]
    for i in prange(windows.shape[0]):
        w = windows[i]
        qh = np.empty(T, dtype=np.int64)
        ql = np.empty(T, dtype=np.int64)
        h0 = 0
        h1 = 0
        l0 = 0
        l1 = 0
        for t in range(T):
            while h1 > h0 and qh[h0] < t - w:
                h0 += 1
            while l1 > l0 and ql[l0] < t - w:
                l0 += 1
            if t >= w:
                hi[t, i] = close[qh[h0]]
                lo[t, i] = close[ql[l0]]
            else:
                hi[t, i] = np.nan
                lo[t, i] = np.nan
            x = close[t]
            while h1 > h0 and close[qh[h1 - 1]] <= x:
                h1 -= 1
            qh[h1] = t
            h1 += 1
            while l1 > l0 and close[ql[l1 - 1]] >= x:
                l1 -= 1
            ql[l1] = t
            l1 += 1


@dual
def _vol_scale(asset_ret, lookback, target, max_leverage, sqrt_ppy, out):
    """``out[t, a]``: volatility-target scale of asset ``a`` at bar t (0 during warm-up).

    ``asset_ret`` is (T-1, n): row i is bar i+1. At bar t >= lookback the realised volatility is
    the sample standard deviation (ddof=1) of the ``lookback`` returns of bars t-lookback+1..t,
    times ``sqrt_ppy``; the scale is ``min(target / vol, max_leverage)``, and ``max_leverage``
    when vol is 0. Window sums are differences of running sums of r and r*r, accumulated in
    time order (returns are centred near 0, so ``S2 - S1^2/L`` loses no significant digits);
    a variance that rounds below 0 counts as 0.
    """
    n_rows = asset_ret.shape[0]
    L = lookback
    for a in prange(asset_ret.shape[1]):
        p1 = np.empty(n_rows + 1)
        p2 = np.empty(n_rows + 1)
        s1 = 0.0
        s2 = 0.0
        p1[0] = 0.0
        p2[0] = 0.0
        for i in range(n_rows):
            r = asset_ret[i, a]
            s1 += r
            s2 += r * r
            p1[i + 1] = s1
            p2[i + 1] = s2
        for t in range(n_rows + 1):
            if t < L:
                out[t, a] = 0.0
                continue
            d1 = p1[t] - p1[t - L]
            var = ((p2[t] - p2[t - L]) - d1 * d1 / L) / (L - 1)
            vol = np.sqrt(var) * sqrt_ppy if var > 0.0 else 0.0
            if vol > 0.0:
                s = target / vol
                out[t, a] = s if s < max_leverage else max_leverage
            else:
                out[t, a] = max_leverage


# ------------------------------------------------------------------ block functions
@jit
def _signal_block(fam, close, tab_a, tab_b, icol, fpar, short, scale, t0, t1, j0, state, out):
    """Positions of grid points ``j0 .. j0+C-1`` at bars ``t0 .. t1-1`` into ``out[:t1-t0, :C]``.

    ``state[jj]`` holds the base (pre-overlay) position of point ``j0+jj`` at bar ``t0-1`` (0
    before bar 0) and is left at bar ``t1-1``: the stateful families hold their last position
    between signals. Per family (``tab_a``/``tab_b``/``icol``/``fpar`` as set by the wrapper):

    - MA: ``tab_a`` SMA table, ``icol[j] = (fast column, slow column)``;
    - MOM: ``icol[j, 0]`` lookback, ``fpar[j, 0]`` threshold (reads ``close``);
    - ZSCORE: ``tab_a`` z table, ``icol[j, 0]`` its column, ``fpar[j] = (entry, exit)``;
    - DONCHIAN: ``tab_a``/``tab_b`` channel high/low, ``icol[j, 0]`` their column;
    - USER: ``tab_a`` is the (T, k) positions matrix itself.

    ``short`` is 1.0, or 0.0 for long-only (a short signal is then flat). With a non-empty
    ``scale`` every position is multiplied by ``scale[t]`` (the overlay); ``+ 0.0`` turns the
    -0.0 of a short times a zero scale into 0.0.
    """
    C = out.shape[1]
    if fam == FAM_MA:
        fast = icol[j0:j0 + C, 0].copy()
        slow = icol[j0:j0 + C, 1].copy()
        for t in range(t0, t1):
            row = tab_a[t]
            o = out[t - t0]
            for jj in range(C):
                a = row[fast[jj]]
                b = row[slow[jj]]
                o[jj] = (1.0 if a > b else 0.0) - short * (1.0 if a < b else 0.0)
    elif fam == FAM_MOM:
        for t in range(t0, t1):
            for jj in range(C):
                L = icol[j0 + jj, 0]
                if t < L:
                    out[t - t0, jj] = 0.0
                else:
                    m = close[t] / close[t - L] - 1.0
                    h = fpar[j0 + jj, 0]
                    out[t - t0, jj] = (1.0 if m > h else 0.0) - short * (1.0 if m < -h else 0.0)
    elif fam == FAM_ZSCORE:
        for t in range(t0, t1):
            for jj in range(C):
                z = tab_a[t, icol[j0 + jj, 0]]
                entry = fpar[j0 + jj, 0]
                if z != z:  # warm-up
                    p = 0.0
                elif z > entry:
                    p = 0.0 - short
                elif z < -entry:
                    p = 1.0
                elif abs(z) < fpar[j0 + jj, 1]:
                    p = 0.0
                else:
                    p = state[jj]
                state[jj] = p
                out[t - t0, jj] = p
    elif fam == FAM_DONCHIAN:
        for t in range(t0, t1):
            x = close[t]
            for jj in range(C):
                col = icol[j0 + jj, 0]
                h = tab_a[t, col]
                if h != h:  # warm-up
                    p = 0.0
                elif x > h:
                    p = 1.0
                elif x < tab_b[t, col]:
                    p = 0.0 - short
                else:
                    p = state[jj]
                state[jj] = p
                out[t - t0, jj] = p
    else:
        for t in range(t0, t1):
            for jj in range(C):
                out[t - t0, jj] = tab_a[t, j0 + jj]
    if scale.shape[0] > 0:
        for t in range(t0, t1):
            s = scale[t]
            for jj in range(C):
                out[t - t0, jj] = out[t - t0, jj] * s + 0.0


@jit
def _returns_block(pos, nr, t0, asset_ret, cost, fund, prev, out):
    """``out[i, jj]`` = return of row ``t0+i`` (bar t0+i+1) for i < nr, from ``pos[i, jj]``.

    ``v = p * r - cost * |p - q|`` then, with funding, ``v - p * f``; ``q`` is the previous
    row's position, carried in ``prev`` (0 before row 0) and left at row ``t0+nr-1``.
    """
    C = pos.shape[1]
    if fund.shape[0] > 0:
        for i in range(nr):
            r = asset_ret[t0 + i]
            f = fund[t0 + i]
            pr = pos[i]
            o = out[i]
            for jj in range(C):
                p = pr[jj]
                o[jj] = (p * r - cost * abs(p - prev[jj])) - p * f
                prev[jj] = p
    else:
        for i in range(nr):
            r = asset_ret[t0 + i]
            pr = pos[i]
            o = out[i]
            for jj in range(C):
                p = pr[jj]
                o[jj] = p * r - cost * abs(p - prev[jj])
                prev[jj] = p


@jit
def _moments_block(x, nr, s, first, const, eq, peak, worst):
    """Running sum, constancy flag and compounded drawdown over rows ``0..nr-1`` of ``x``.

    Branch-free so that the loop over columns vectorises. The running maxima are stored as
    ``max + 0.0``: otherwise LLVM turns "store the larger of the new and the stored value" into
    a masked store, microcoded and slower than the division on AMD cores. Both maxima are
    >= 0 (equity peaks start at 1, drawdowns at 0), where ``+ 0.0`` changes no bit.
    """
    C = x.shape[1]
    for i in range(nr):
        xr = x[i]
        for jj in range(C):
            v = xr[jj]
            s[jj] += v
            const[jj] = const[jj] & (v == first[jj])
            e = eq[jj] * (1.0 + v)
            eq[jj] = e
            p = peak[jj]
            p = e if e > p else p
            peak[jj] = p + 0.0
            dd = 1.0 - e / p
            w = worst[jj]
            worst[jj] = (dd if dd > w else w) + 0.0


@jit
def _squares_block(x, nr, mean, ss):
    """``ss[jj] += (x[i, jj] - mean[jj])^2`` over rows ``0..nr-1``."""
    C = x.shape[1]
    for i in range(nr):
        xr = x[i]
        for jj in range(C):
            d = xr[jj] - mean[jj]
            ss[jj] += d * d


@jit
def _trades_block(pos, nr, prev, traded, changes):
    """Add ``|p - prev|`` to the traded notional, and one trade for every row where the
    position's sign changes: an entry (flat to long or short), an exit (to flat) or a reversal
    (long to short or back). Resizing a position of the same sign (an overlay's rescale) is
    traded notional but not a trade.

    Branch-free: an unchanged position adds ``|p - p| = +0.0`` to a sum that is >= +0.0,
    which changes no bit.
    """
    C = pos.shape[1]
    for i in range(nr):
        pr = pos[i]
        for jj in range(C):
            p = pr[jj]
            q = prev[jj]
            traded[jj] += abs(p - q)
            changes[jj] += ((p > 0.0) != (q > 0.0)) | ((p < 0.0) != (q < 0.0))
            prev[jj] = p


@jit
def _traded_block(tr, nr, traded, changes):
    """Panel version: ``tr[i, jj]`` (>= 0) is the notional traded at row i, summed over assets;
    a row counts as a change when it is not 0 (branch-free, as :func:`_trades_block`)."""
    C = tr.shape[1]
    for i in range(nr):
        tri = tr[i]
        for jj in range(C):
            x = tri[jj]
            traded[jj] += x
            changes[jj] += x != 0.0


@jit
def _finish_stats(n, s, const, ss, eq, worst, traded, changes, stats, j0):
    """Per column: mean, volatility (ddof=1), Sharpe, total compounded return, max drawdown,
    traded notional and number of changes, into ``stats[:, j0 + jj]``.

    A column whose values are all identical has volatility exactly 0 and Sharpe NaN, whatever
    rounding the two-pass variance would leave; with fewer than 2 rows both are NaN.
    """
    for jj in range(s.shape[0]):
        j = j0 + jj
        m = s[jj] / n
        stats[0, j] = m
        if n < 2:
            stats[1, j] = np.nan
            stats[2, j] = np.nan
        elif const[jj]:
            stats[1, j] = 0.0
            stats[2, j] = np.nan
        else:
            sd = np.sqrt(ss[jj] / (n - 1))
            stats[1, j] = sd
            stats[2, j] = m / sd if sd > 0.0 else np.nan
        stats[3, j] = eq[jj] - 1.0
        stats[4, j] = worst[jj]
        stats[5, j] = traded[jj]
        stats[6, j] = changes[jj]


# ------------------------------------------------------------------ drivers
@dual
def _grid_kernel(fam, close, tab_a, tab_b, icol, fpar, short, scale, asset_ret, cost, fund,
                 chunk, row_block, pos_out, ret_out, stats):
    """Positions, returns after costs and per-column statistics of a grid, chunk by chunk.

    Writes ``pos_out`` (T, k) and ``ret_out`` (T-1, k) when they are non-empty, and the
    (N_STATS, k) ``stats`` when that is non-empty (see ``_finish_stats``; traded notional and
    changes count the T-1 held positions). ``fund`` is empty or the (T-1,) funding rate per row.
    """
    T = close.shape[0]
    n = T - 1
    k = icol.shape[0]
    write_pos = pos_out.shape[0] > 0
    write_ret = ret_out.shape[0] > 0
    want_stats = stats.shape[0] > 0
    n_chunks = (k + chunk - 1) // chunk
    for c in prange(n_chunks):
        j0 = c * chunk
        j1 = min(k, j0 + chunk)
        C = j1 - j0
        pbuf = np.empty((row_block, C))
        vbuf = np.empty((row_block, C))
        state = np.zeros(C)
        prev = np.zeros(C)
        prev_t = np.zeros(C)
        s = np.zeros(C)
        first = np.zeros(C)
        const = np.ones(C, dtype=np.bool_)
        eq = np.ones(C)
        peak = np.ones(C)
        worst = np.zeros(C)
        traded = np.zeros(C)
        changes = np.zeros(C, dtype=np.int64)
        for t0 in range(0, T, row_block):
            t1 = min(T, t0 + row_block)
            _signal_block(fam, close, tab_a, tab_b, icol, fpar, short, scale, t0, t1, j0,
                          state, pbuf)
            if write_pos:
                for t in range(t0, t1):
                    for jj in range(C):
                        pos_out[t, j0 + jj] = pbuf[t - t0, jj]
            nr = min(t1, n) - t0
            if nr <= 0 or not (write_ret or want_stats):
                continue
            _returns_block(pbuf, nr, t0, asset_ret, cost, fund, prev, vbuf)
            if write_ret:
                for i in range(nr):
                    for jj in range(C):
                        ret_out[t0 + i, j0 + jj] = vbuf[i, jj]
            if want_stats:
                if t0 == 0:
                    for jj in range(C):
                        first[jj] = vbuf[0, jj]
                _moments_block(vbuf, nr, s, first, const, eq, peak, worst)
                _trades_block(pbuf, nr, prev_t, traded, changes)
        if not want_stats:
            continue
        mean = s / n
        ss = np.zeros(C)
        if n >= 2 and not const.all():
            # Second pass for the two-pass variance: recompute the chunk's returns (measured:
            # as fast as keeping the positions in an int8 cache, and it needs no memory).
            state[:] = 0.0
            prev[:] = 0.0
            for t0 in range(0, n, row_block):
                t1 = min(n, t0 + row_block)
                _signal_block(fam, close, tab_a, tab_b, icol, fpar, short, scale, t0, t1, j0,
                              state, pbuf)
                _returns_block(pbuf, t1 - t0, t0, asset_ret, cost, fund, prev, vbuf)
                _squares_block(vbuf, t1 - t0, mean, ss)
        _finish_stats(n, s, const, ss, eq, worst, traded, changes, stats, j0)


@dual
def _matrix_stats(returns, positions, traded_rows, chunk, row_block, stats):
    """Per-column statistics of a stored (n, k) returns matrix into the (N_STATS, k) ``stats``.

    Turnover comes from the first n rows of ``positions`` (single asset) when it is non-empty,
    else from ``traded_rows`` (n, k) (panel) when that is non-empty, else it is 0. The same
    block reducers as :func:`_grid_kernel`, on views of the matrices, row block by row block.
    """
    n = returns.shape[0]
    k = returns.shape[1]
    use_pos = positions.shape[0] > 0
    use_traded = traded_rows.shape[0] > 0
    n_chunks = (k + chunk - 1) // chunk
    for c in prange(n_chunks):
        j0 = c * chunk
        j1 = min(k, j0 + chunk)
        C = j1 - j0
        prev_t = np.zeros(C)
        s = np.zeros(C)
        first = returns[0, j0:j1].copy()
        const = np.ones(C, dtype=np.bool_)
        eq = np.ones(C)
        peak = np.ones(C)
        worst = np.zeros(C)
        traded = np.zeros(C)
        changes = np.zeros(C, dtype=np.int64)
        for t0 in range(0, n, row_block):
            t1 = min(n, t0 + row_block)
            _moments_block(returns[t0:t1, j0:j1], t1 - t0, s, first, const, eq, peak, worst)
            if use_pos:
                _trades_block(positions[t0:t1, j0:j1], t1 - t0, prev_t, traded, changes)
            elif use_traded:
                _traded_block(traded_rows[t0:t1, j0:j1], t1 - t0, traded, changes)
        mean = s / n
        ss = np.zeros(C)
        if n >= 2 and not const.all():
            for t0 in range(0, n, row_block):
                t1 = min(n, t0 + row_block)
                _squares_block(returns[t0:t1, j0:j1], t1 - t0, mean, ss)
        _finish_stats(n, s, const, ss, eq, worst, traded, changes, stats, j0)


# ------------------------------------------------------------------ python-side helpers
EMPTY_1D = np.empty(0)
EMPTY_2D = np.empty((0, 0))


def layout(k: int, parallel: bool) -> tuple[int, int]:
    """(chunk width, rows per block) for k grid points; neither changes any result."""
    threads = 1
    if parallel:
        import numba
        threads = numba.get_num_threads()
    per_thread = -(-k // threads)
    pieces = -(-per_thread // CHUNK_MAX)
    width = max(1, -(-per_thread // pieces))
    return width, max(8, ROW_ELEMS // width)


def return_stats(returns: np.ndarray, positions: np.ndarray = EMPTY_2D,
                 traded_rows: np.ndarray = EMPTY_2D) -> np.ndarray:
    """(N_STATS, k) statistics of a C-contiguous (n, k) returns matrix (see ``_matrix_stats``)."""
    n, k = returns.shape
    work = n * k
    stats = np.empty((N_STATS, k))
    kernel = _matrix_stats.pick(work)
    width, rows = layout(k, kernel is _matrix_stats.parallel)
    kernel(returns, positions, traded_rows, width, rows, stats)
    return stats

"""numba kernels of the statistics package: arrays in, arrays out, nothing else.

Every kernel here is private and dumb (house style): the public wrappers validate, coerce and
draw the random numbers; a kernel only sums. Each one has a slow twin in ``tests/stats/naive.py``.
Reductions run serially in a fixed order inside one independent unit of work (a column, a
bootstrap replicate), so the number of threads never changes a result bit.

Block draws are passed in CSR form: replicate ``r`` is the concatenation of the circular blocks
``j`` with ``offsets[r] <= j < offsets[r + 1]``; block ``j`` covers ``lengths[j]`` observations
starting at ``starts[j]`` and wraps past the end of the sample. Lengths are >= 1 and never exceed
the sample length T, and the lengths of one replicate add up to T.

Each kernel exists serial and parallel, built from one per-unit function; the wrapper picks the
parallel one only when there is enough work to pay for waking the threads (on a busy 2-core
machine a parallel region on tiny data cost 10 ms against 0.2 ms serial). The choice never
changes a result: each unit is computed by the same code in the same order.
"""

from __future__ import annotations

import numpy as np

from .._detmath import log, pow_pos
from .._numba import jit, pjit, prange

__all__ = ["PARALLEL_MIN_WORK", "autocovariances", "block_sum_means", "block_sum_moments",
           "geometric_lengths", "shifted_maxima", "stationary_bootstrap_variance",
           "suffix_maxima", "weighted_means"]

# Element operations (multiply-adds) from which a kernel runs in parallel.
PARALLEL_MIN_WORK = 1 << 21
# Replicates whose observation counts are built and applied together in `weighted_means`: one
# pass over the data then serves this many replicates from L1. It does not change any result.
_REP_GROUP = 8
# Spacing of the open uniforms (k + 1/2) 2**-52 of the bootstrap's draw protocol.
_OPEN_UNIFORM_ULP = 2.0 ** -52


# ------------------------------------------------------------------ block lengths
@jit
def geometric_lengths(k, lam):
    """``1 + floor(-log((k + 1/2) 2**-52) / lam)``: geometric lengths from 52-bit integers.

    ``(k + 1/2) 2**-52`` is an exact uniform on the open interval (0, 1), so ``-log`` of it is a
    finite standard exponential; ``log`` is QRP's own, the same bits on every CPU.
    """
    out = np.empty(k.shape[0], dtype=np.int64)
    for i in range(k.shape[0]):
        e = -log((float(k[i]) + 0.5) * _OPEN_UNIFORM_ULP)
        out[i] = np.int64(e / lam) + 1  # truncation is floor for e >= 0
    return out


# ------------------------------------------------------------------ autocovariances
@jit
def _acov_row(row, max_lag, out):
    """out[h] = sum_{t=h}^{n-1} row[t] * row[t-h] / n for h <= max_lag (< n), row demeaned.

    Four lags are summed side by side (four independent accumulators, each in increasing t),
    which keeps the order fixed without waiting on one long chain of additions.
    """
    n = row.shape[0]
    for h0 in range(0, max_lag + 1, 4):
        a0 = 0.0
        a1 = 0.0
        a2 = 0.0
        a3 = 0.0
        for t in range(h0, min(h0 + 3, n)):  # prologue: the longer lags have no term yet
            v = row[t]
            a0 += v * row[t - h0]
            if t - h0 >= 1:
                a1 += v * row[t - h0 - 1]
            if t - h0 >= 2:
                a2 += v * row[t - h0 - 2]
        for t in range(h0 + 3, n):
            v = row[t]
            a0 += v * row[t - h0]
            a1 += v * row[t - h0 - 1]
            a2 += v * row[t - h0 - 2]
            a3 += v * row[t - h0 - 3]
        out[h0] = a0 / n
        if h0 + 1 <= max_lag:
            out[h0 + 1] = a1 / n
        if h0 + 2 <= max_lag:
            out[h0 + 2] = a2 / n
        if h0 + 3 <= max_lag:
            out[h0 + 3] = a3 / n


@jit
def _acov_serial(xt, max_lag):
    out = np.zeros((xt.shape[0], max_lag + 1))
    for c in range(xt.shape[0]):
        _acov_row(xt[c], max_lag, out[c])
    return out


@pjit
def _acov_parallel(xt, max_lag):
    out = np.zeros((xt.shape[0], max_lag + 1))
    for c in prange(xt.shape[0]):
        _acov_row(xt[c], max_lag, out[c])
    return out


def autocovariances(xt, max_lag):
    """Biased autocovariances, lags 0..max_lag (< n), of every row of the (k, n) demeaned
    C-contiguous ``xt``: ``out[c, h] = sum_{t=h}^{n-1} xt[c, t] xt[c, t-h] / n``."""
    k, n = xt.shape
    kernel = _acov_parallel if k > 1 and k * n * (max_lag + 1) >= PARALLEL_MIN_WORK \
        else _acov_serial
    return kernel(xt, max_lag)


# ------------------------------------------------------------------ prefix-sum bootstrap means
@jit
def _replicate_from_prefix(prefix, starts, lengths, lo, hi, acc):
    """acc[c] = (sum of the blocks lo..hi-1 of column c) / T, from the prefix-sum table.

    ``prefix[0] = 0`` and ``prefix[t] = x[0] + ... + x[t-1]``: a block's sum is the difference
    of two prefix rows (plus the wrapped head when it runs past T). Blocks are added in order.
    """
    n = prefix.shape[0] - 1
    k = prefix.shape[1]
    for j in range(lo, hi):
        s = starts[j]
        e = s + lengths[j]
        if e <= n:
            for c in range(k):
                acc[c] += prefix[e, c] - prefix[s, c]
        else:
            e -= n
            for c in range(k):
                acc[c] += (prefix[n, c] - prefix[s, c]) + prefix[e, c]
    for c in range(k):
        acc[c] = acc[c] / n


@jit
def _prefix_serial(prefix, starts, lengths, offsets):
    out = np.zeros((offsets.shape[0] - 1, prefix.shape[1]))
    for r in range(out.shape[0]):
        _replicate_from_prefix(prefix, starts, lengths, offsets[r], offsets[r + 1], out[r])
    return out


@pjit
def _prefix_parallel(prefix, starts, lengths, offsets):
    out = np.zeros((offsets.shape[0] - 1, prefix.shape[1]))
    for r in prange(out.shape[0]):
        _replicate_from_prefix(prefix, starts, lengths, offsets[r], offsets[r + 1], out[r])
    return out


def block_sum_means(prefix, starts, lengths, offsets):
    """(B, k) column means of every replicate from a (T + 1, k) prefix-sum table: O(blocks * k)."""
    work = starts.shape[0] * prefix.shape[1]
    kernel = _prefix_parallel if offsets.shape[0] > 2 and work >= PARALLEL_MIN_WORK \
        else _prefix_serial
    return kernel(prefix, starts, lengths, offsets)


# ------------------------------------------------------------------ means and block variances
@jit
def _replicate_moments(prefix, starts, lengths, lo, hi, mean, var):
    """``mean`` as :func:`_replicate_from_prefix`; ``var[c] = sum_j (S_jc - L_j mean[c])^2 / T``
    over the replicate's blocks j (sum S_jc, length L_j): the natural block-sum estimate of the
    variance of ``sqrt(T) mean`` within the replicate (Goetze and Kuensch 1996). Two passes over
    the blocks, so the deviations are formed before they are squared (no cancellation)."""
    _replicate_from_prefix(prefix, starts, lengths, lo, hi, mean)
    n = prefix.shape[0] - 1
    k = prefix.shape[1]
    for j in range(lo, hi):
        s = starts[j]
        length = lengths[j]
        e = s + length
        for c in range(k):
            if e <= n:
                block = prefix[e, c] - prefix[s, c]
            else:
                block = (prefix[n, c] - prefix[s, c]) + prefix[e - n, c]
            r = block - length * mean[c]
            var[c] += r * r
    for c in range(k):
        var[c] = var[c] / n


@jit
def _moments_serial(prefix, starts, lengths, offsets):
    reps = offsets.shape[0] - 1
    mean = np.zeros((reps, prefix.shape[1]))
    var = np.zeros((reps, prefix.shape[1]))
    for r in range(reps):
        _replicate_moments(prefix, starts, lengths, offsets[r], offsets[r + 1], mean[r], var[r])
    return mean, var


@pjit
def _moments_parallel(prefix, starts, lengths, offsets):
    reps = offsets.shape[0] - 1
    mean = np.zeros((reps, prefix.shape[1]))
    var = np.zeros((reps, prefix.shape[1]))
    for r in prange(reps):
        _replicate_moments(prefix, starts, lengths, offsets[r], offsets[r + 1], mean[r], var[r])
    return mean, var


def block_sum_moments(prefix, starts, lengths, offsets):
    """((B, k) means, (B, k) natural block variances) of every replicate, from the (T + 1, k)
    prefix-sum table: O(blocks * k), twice."""
    work = 2 * starts.shape[0] * prefix.shape[1]
    kernel = _moments_parallel if offsets.shape[0] > 2 and work >= PARALLEL_MIN_WORK \
        else _moments_serial
    return kernel(prefix, starts, lengths, offsets)


# ------------------------------------------------------------------ closed-form bootstrap variance
@jit
def _sb_variance_row(x, q):
    """Politis and Romano's (1994) closed form of the stationary bootstrap's variance of
    ``sqrt(T) mean`` for one demeaned series ``x`` and ``q = 1 - 1/b``:
    ``g(0) + 2 sum_{h=1}^{T-1} [(1 - h/T) q^h + (h/T) q^(T-h)] g(h)`` with the biased
    autocovariances ``g``, in O(T) instead of O(T^2).

    With ``y_t = sum_{u>t} q^(u-t) x_u`` and ``z_t = sum_{u>t} (u-t) q^(u-t) x_u`` (backward
    recursions ``y_{t-1} = q (x_t + y_t)``, ``z_{t-1} = q z_t + y_{t-1}``), the first part is
    ``(sum x_t y_t) / T - (sum x_t z_t) / T^2``. The wrap-around part pairs t < u at circular lag
    ``T - (u - t)``: with the suffix sums ``v_t = sum_{u>t} q^(T-u) x_u`` and
    ``w_t = sum_{u>t} (T-u) q^(T-u) x_u`` it is ``(sum q^t x_t v_t) / T
    - (sum q^t x_t (w_t + t v_t)) / T^2``. Every sum runs in decreasing t.
    """
    n = x.shape[0]
    g0 = 0.0
    lin1 = 0.0
    lin2 = 0.0
    wrap1 = 0.0
    wrap2 = 0.0
    y = 0.0
    z = 0.0
    v = 0.0
    w = 0.0
    q_tail = 1.0  # q^(T-1-t) at step t; times q once more it is q^(T-t), the weight of x_t in v
    for t in range(n - 1, -1, -1):
        xt = x[t]
        g0 += xt * xt
        lin1 += xt * y
        lin2 += xt * z
        q_head = pow_pos(q, float(t))  # not q ** t: numba lowers that to libm's pow
        wrap1 += q_head * xt * v
        wrap2 += q_head * xt * (w + t * v)
        y = q * (xt + y)
        z = q * z + y
        weight = q_tail * q  # q^(T-t)
        v += weight * xt
        w += (n - t) * weight * xt
        q_tail = weight
    return (g0 + 2.0 * (lin1 + wrap1) - 2.0 * (lin2 + wrap2) / n) / n


@jit
def _sb_variance_serial(xt, q):
    out = np.empty(xt.shape[0])
    for c in range(xt.shape[0]):
        out[c] = _sb_variance_row(xt[c], q)
    return out


def stationary_bootstrap_variance(xt, block_size):
    """(k,) closed-form stationary-bootstrap variances of ``sqrt(T) mean`` for every row of the
    (k, T) demeaned C-contiguous ``xt`` with mean block length ``block_size`` (the estimate
    ``arch`` computes in O(T^2 k)); O(T k), serial: it is never the bottleneck."""
    return _sb_variance_serial(xt, 1.0 - 1.0 / block_size)


# ------------------------------------------------------------------ count-weighted bootstrap means
@jit
def _group_weighted(x, starts, lengths, offsets, r0, m, out):
    """Means of replicates r0..r0+m-1 as sum_t count_t x[t] / T, into out[r0:r0+m].

    ``count_t`` is how often observation t occurs in the replicate, built from its blocks with a
    difference array. The data are streamed in order, which beats random prefix-row reads when
    blocks are short; every mean is summed in increasing t.
    """
    n, k = x.shape
    counts = np.zeros((m, n + 1), np.int64)
    for i in range(m):
        d = counts[i]
        for j in range(offsets[r0 + i], offsets[r0 + i + 1]):
            s = starts[j]
            e = s + lengths[j]
            d[s] += 1
            if e <= n:
                d[e] -= 1
            else:
                d[n] -= 1
                d[0] += 1
                d[e - n] -= 1
        run = 0
        for t in range(n):
            run += d[t]
            d[t] = run
    for t in range(n):
        row = x[t]
        for i in range(m):
            w = counts[i, t]
            if w != 0:
                acc = out[r0 + i]
                fw = float(w)
                for c in range(k):
                    acc[c] += fw * row[c]
    for i in range(m):
        for c in range(k):
            out[r0 + i, c] = out[r0 + i, c] / n


@jit
def _weighted_serial(x, starts, lengths, offsets):
    reps = offsets.shape[0] - 1
    out = np.zeros((reps, x.shape[1]))
    for g in range((reps + _REP_GROUP - 1) // _REP_GROUP):
        r0 = g * _REP_GROUP
        _group_weighted(x, starts, lengths, offsets, r0, min(reps, r0 + _REP_GROUP) - r0, out)
    return out


@pjit
def _weighted_parallel(x, starts, lengths, offsets):
    reps = offsets.shape[0] - 1
    out = np.zeros((reps, x.shape[1]))
    for g in prange((reps + _REP_GROUP - 1) // _REP_GROUP):
        r0 = g * _REP_GROUP
        _group_weighted(x, starts, lengths, offsets, r0, min(reps, r0 + _REP_GROUP) - r0, out)
    return out


def weighted_means(x, starts, lengths, offsets):
    """(B, k) column means of every replicate as count-weighted sums over the (T, k) ``x``."""
    reps = offsets.shape[0] - 1
    work = reps * x.shape[0] * x.shape[1]
    kernel = _weighted_parallel if reps > _REP_GROUP and work >= PARALLEL_MIN_WORK \
        else _weighted_serial
    return kernel(x, starts, lengths, offsets)


# ------------------------------------------------------------------ maxima over models
# A maximum involves no rounding, so these are exact whatever the order; each replicate (row)
# is still one unit of work, computed by the same code serially or in parallel.
#
# ``scale`` is (1, k), one factor per model for every replicate, or (B, k), one per replicate and
# model (the bootstrap-t); an infinite factor marks a zero standard deviation, and then a zero
# value stays 0 (not NaN) while any other value becomes +inf or -inf.
@jit
def _times(z, s):
    return 0.0 if z == 0.0 else z * s


@jit
def _shifted_max_row(dev, scale, shifts_t, b, out):
    """out[b, v] = max_c (dev[b, c] + shifts_t[c, v]) * scale[b, c] for every variant v."""
    m = shifts_t.shape[1]
    row = np.int64(b) if scale.shape[0] > 1 else np.int64(0)  # one type under prange
    for v in range(m):
        out[b, v] = -np.inf
    for c in range(dev.shape[1]):
        z = dev[b, c]
        s = scale[row, c]
        for v in range(m):
            val = _times(z + shifts_t[c, v], s)
            if val > out[b, v]:
                out[b, v] = val


@jit
def _shifted_serial(dev, scale, shifts_t):
    out = np.empty((dev.shape[0], shifts_t.shape[1]))
    for b in range(dev.shape[0]):
        _shifted_max_row(dev, scale, shifts_t, b, out)
    return out


@pjit
def _shifted_parallel(dev, scale, shifts_t):
    out = np.empty((dev.shape[0], shifts_t.shape[1]))
    for b in prange(dev.shape[0]):
        _shifted_max_row(dev, scale, shifts_t, b, out)
    return out


def _scale_rows(scale, reps):
    scale = np.ascontiguousarray(np.atleast_2d(np.asarray(scale, dtype=np.float64)))
    if scale.shape[0] not in (1, reps):
        raise ValueError(f"scale has {scale.shape[0]} rows; it needs 1 or {reps}")
    return scale


def shifted_maxima(dev, scale, shifts):
    """(B, m) maxima over the k models of ``(dev + shifts[v]) * scale``, for each of the m rows
    of ``shifts``: the bootstrap maxima of m re-centring rules from one pass over ``dev``.

    ``dev`` is (B, k), ``scale`` (k,), (1, k) or (B, k) (see above), ``shifts`` (m, k) finite,
    in the units of ``dev``.
    """
    shifts_t = np.ascontiguousarray(np.asarray(shifts, dtype=np.float64).T)
    scale = _scale_rows(scale, dev.shape[0])
    work = dev.shape[0] * dev.shape[1] * shifts_t.shape[1]
    kernel = _shifted_parallel if dev.shape[0] > 1 and work >= PARALLEL_MIN_WORK \
        else _shifted_serial
    return kernel(np.ascontiguousarray(dev), scale, shifts_t)


@jit
def _suffix_max_row(dev, scale, order, b, out):
    """out[b, r] = max_{j >= r} dev[b, order[j]] * scale[b, order[j]], from the last rank up."""
    row = np.int64(b) if scale.shape[0] > 1 else np.int64(0)  # one type under prange
    run = -np.inf
    for r in range(order.shape[0] - 1, -1, -1):
        c = order[r]
        z = _times(dev[b, c], scale[row, c])
        if z > run:
            run = z
        out[b, r] = run


@jit
def _suffix_serial(dev, scale, order):
    out = np.empty((dev.shape[0], order.shape[0]))
    for b in range(dev.shape[0]):
        _suffix_max_row(dev, scale, order, b, out)
    return out


@pjit
def _suffix_parallel(dev, scale, order):
    out = np.empty((dev.shape[0], order.shape[0]))
    for b in prange(dev.shape[0]):
        _suffix_max_row(dev, scale, order, b, out)
    return out


def suffix_maxima(dev, scale, order):
    """(B, k): column r holds, for every replicate, the maximum of ``dev * scale`` over the
    models ``order[r:]``. With ``order`` ranking the models from the best statistic down, column
    r is the max-statistic null of a step-down procedure once the r best have been rejected.
    ``scale`` as for :func:`shifted_maxima`.
    """
    scale = _scale_rows(scale, dev.shape[0])
    work = dev.shape[0] * order.shape[0]
    kernel = _suffix_parallel if dev.shape[0] > 1 and work >= PARALLEL_MIN_WORK \
        else _suffix_serial
    return kernel(np.ascontiguousarray(dev), scale,
                  np.ascontiguousarray(order, dtype=np.int64))

"""Kernels of the synthetic generator (private, dumb: arrays in, arrays out).

Every transcendental is QRP's own (:mod:`qrp_jupyter._detmath`), every loop runs in index
order, so the candles are the same bits on every CPU (see the draw protocol in
:mod:`qrp_jupyter.data.synthetic`).
"""

from __future__ import annotations

import math

import numpy as np

from .._detmath import exp, ndtri
from .._numba import jit

#: 2**-52: the spacing of the open uniforms ``(k + 1/2) 2**-52``, ``k`` in ``[0, 2**52)``.
OPEN_UNIFORM_BITS = 52
_ULP = 2.0 ** -OPEN_UNIFORM_BITS


@jit
def normals(k: np.ndarray) -> np.ndarray:
    """Standard normals ``ndtri((k + 1/2) 2**-52)`` of integers ``k`` in ``[0, 2**52)``.

    The uniform is exact (53 significant bits at most) and lies in the open interval (0, 1),
    symmetric about 1/2, so the normals are finite and their signs balanced.
    """
    out = np.empty(k.shape[0])
    for i in range(k.shape[0]):
        out[i] = ndtri((float(k[i]) + 0.5) * _ULP)
    return out


@jit
def regimes(u: np.ndarray, stay_calm: float, stay_storm: float) -> np.ndarray:
    """Two-state Markov chain from 0 (calm): leave the state when ``u[t] >= stay``."""
    state = np.empty(u.shape[0], dtype=np.int64)
    s = 0
    for t in range(u.shape[0]):
        if u[t] >= (stay_calm if s == 0 else stay_storm):
            s = 1 - s
        state[t] = s
    return state


@jit
def poisson(u: np.ndarray, lam: float) -> np.ndarray:
    """Poisson(``lam``) counts by inversion: the least k with ``u < P(N <= k)``."""
    out = np.empty(u.shape[0], dtype=np.int64)
    p0 = exp(-lam)
    for i in range(u.shape[0]):
        k = 0
        p = p0
        cdf = p0
        while u[i] >= cdf and p > 0.0:
            k += 1
            p = p * lam / k
            cdf = cdf + p
        out[i] = k
    return out


@jit
def student_t(z: np.ndarray) -> np.ndarray:
    """Student-t with ``df = z.shape[1] - 1``: ``z[i, 0] / sqrt(sum(z[i, 1:]**2) / df)``."""
    n, m = z.shape
    df = m - 1
    out = np.empty(n)
    for i in range(n):
        ss = 0.0
        for j in range(1, m):
            ss += z[i, j] * z[i, j]
        out[i] = z[i, 0] / math.sqrt(ss / df)
    return out


@jit
def log_returns(sigma: np.ndarray, e: np.ndarray, edge: float, jumps: np.ndarray
                ) -> np.ndarray:
    """``-sigma^2/2 + sigma z + jumps`` with ``z`` the unit-variance AR(1) of ``e``."""
    n = e.shape[0]
    out = np.empty(n)
    scale = math.sqrt(1.0 - edge * edge)
    z = e[0]
    for t in range(n):
        if t > 0:
            z = edge * z + scale * e[t]
        out[t] = -0.5 * sigma[t] * sigma[t] + sigma[t] * z + jumps[t]
    return out


@jit
def candles(r: np.ndarray, sigma: np.ndarray, z_high: np.ndarray, z_low: np.ndarray,
            z_volume: np.ndarray, start_price: float, base_volume: float) -> np.ndarray:
    """(5, n) open, high, low, close, volume from log returns and the excursion normals."""
    n = r.shape[0]
    out = np.empty((5, n))
    sig_min = sigma[0]
    for t in range(1, n):
        if sigma[t] < sig_min:
            sig_min = sigma[t]
    cum = 0.0
    prev = start_price
    for t in range(n):
        cum += r[t]
        close = start_price * exp(cum)
        top = prev if prev > close else close
        bottom = prev if prev < close else close
        # A factor >= 1 (<= 1) can never round the bracket below (above) max/min(open, close).
        out[0, t] = prev
        out[1, t] = top * exp(abs(z_high[t]) * 0.5 * sigma[t])
        out[2, t] = bottom * exp(-abs(z_low[t]) * 0.5 * sigma[t])
        out[3, t] = close
        out[4, t] = base_volume * exp(0.5 * z_volume[t]) * (sigma[t] / sig_min)
        prev = close
    return out

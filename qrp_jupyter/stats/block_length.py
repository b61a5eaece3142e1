"""Automatic block length: Politis and White (2004) with the Patton, Politis and White (2009)
correction.

For each series the flat-top lag-window estimates of ``G = sum_k |k| gamma(k)`` and of the
long-run variance ``sigma^2 = sum_k gamma(k)`` give the optimal (expected) block length
``b = (2 G^2 / D)^(1/3) n^(1/3)`` with ``D = 2 sigma^4`` for the stationary bootstrap (the
corrected constant of PPW 2009) and ``D = 4/3 sigma^4`` for the circular block bootstrap.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .. import _detmath as D
from ._inputs import as_panel
from .bootstrap import column_spans
from ._kernels import autocovariances

__all__ = ["optimal_block_length"]

# Politis (2003) / Politis-White (2004) tuning constants: c = 2 in the significance band
# c * sqrt(log10(n) / n), and K_N = max(5, sqrt(log10(n))) consecutive insignificant lags, which is
# 5 for every sample shorter than 10^25 observations.
_BAND_C = 2.0
_K_N = 5
# Lags computed for every series before the persistent ones get all m_max (a speed-up only).
_FIRST_LAGS = 32
_LN10 = D.log(10.0)


def _max_lag(n: int) -> int:
    """m_max = ceil(sqrt(n)) + K_N: the longest lag searched and the largest bandwidth M."""
    return int(math.ceil(math.sqrt(n))) + _K_N


def _bandwidth(acov: np.ndarray, n: int) -> int | None:
    """The flat-top bandwidth M from the first run of K_N insignificant autocorrelations.

    ``acov`` holds gamma(0..L) for some L <= m_max. m_hat is the first lag of the first run of
    K_N consecutive autocorrelations inside the band; M = min(2 m_hat, m_max), or m_max when there
    is no run up to m_max. Returns None when gamma(0..L) is too short to decide.
    """
    m_max = _max_lag(n)
    have = acov.shape[0] - 1
    small = np.abs(acov[1:] / acov[0]) < _BAND_C * math.sqrt(D.log(float(n)) / _LN10 / n)
    for m_hat in range(1, m_max - _K_N + 2):
        if m_hat + _K_N - 1 > have:
            return None
        if small[m_hat - 1:m_hat - 1 + _K_N].all():
            big_m = min(2 * m_hat, m_max)
            return big_m if big_m <= have else None
    return m_max if have >= m_max else None


def _block_lengths(acov: np.ndarray, n: int, big_m: int) -> tuple[float, float]:
    """(stationary, circular) optimal block lengths of one series with bandwidth ``big_m``."""
    lags = np.arange(1, big_m + 1, dtype=np.float64)
    ratio = lags / big_m
    lam = np.where(ratio <= 0.5, 1.0, 2.0 * (1.0 - ratio))  # trapezoidal flat-top window
    # Sums in index order and QRP's own pow: the chosen block length must not depend on the CPU.
    g_hat = 2.0 * D.dot(lam * lags, acov[1:big_m + 1])
    sigma2 = float(acov[0] + 2.0 * D.dot(lam, acov[1:big_m + 1]))
    b_max = float(math.ceil(min(3.0 * math.sqrt(n), n / 3.0)))
    out = []
    for const in (2.0, 4.0 / 3.0):  # D_SB = 2 sigma^4 (PPW 2009), D_CB = 4/3 sigma^4
        d_hat = const * sigma2 * sigma2
        if d_hat > 0.0:
            b = D.pow_pos(2.0 * g_hat * g_hat / d_hat, 1.0 / 3.0) * D.pow_pos(float(n), 1.0 / 3.0)
        else:  # zero long-run variance estimate: no finite optimum, use the cap
            b = math.inf if g_hat != 0.0 else math.nan
        out.append(min(b, b_max) if not math.isnan(b) else b)
    return out[0], out[1]


def optimal_block_length(x: Any) -> pd.DataFrame:
    """Optimal block lengths for the stationary and circular block bootstraps.

    Parameters
    ----------
    x
        A 1-D or 2-D array, Series or DataFrame (T rows, one series per column), finite, T >= 2.

    Returns
    -------
    pandas.DataFrame
        One row per column of ``x`` (indexed by its labels), columns ``"stationary"`` (the
        expected block length of the stationary bootstrap) and ``"circular"``; real numbers, not
        rounded, capped at ``ceil(min(3 sqrt(T), T / 3))``. A constant column has no meaningful
        block length and gets NaN.

    Notes
    -----
    Politis and White (2004), "Automatic Block-Length Selection for the Dependent Bootstrap",
    Econometric Reviews 23(1), with the correction of Patton, Politis and White (2009),
    Econometric Reviews 28(4) (the stationary bootstrap constant ``D_SB = 2 sigma^4``).
    Autocovariances are the biased estimates (divisor T) of the demeaned series. The bandwidth
    rule of Politis (2003) uses c = 2 and K_N = 5; ``m_hat`` is taken, as in Patton's reference
    MATLAB code, R's ``np::b.star`` and ``arch``, as the *first lag of* the first run of K_N
    insignificant autocorrelations (the paper's text reads one lag earlier), M = 2 m_hat capped at
    ``m_max = ceil(sqrt(T)) + K_N``; with no such run, M = m_max. Autocorrelations are
    ``gamma(k) / gamma(0)``; ``arch`` normalises them slightly differently, so the two can pick
    different M when an autocorrelation sits on the band's edge.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> e = rng.standard_normal(2000)
    >>> ar = np.empty_like(e)
    >>> ar[0] = e[0]
    >>> for t in range(1, len(e)):
    ...     ar[t] = 0.8 * ar[t - 1] + e[t]
    >>> table = optimal_block_length(np.column_stack([e, ar]))
    >>> list(table.columns)
    ['stationary', 'circular']
    >>> bool(table.loc[1, "stationary"] > 5 * table.loc[0, "stationary"])
    True
    """
    panel = as_panel(x, name="x", min_rows=2)
    data = panel.values
    n, k = data.shape
    m_max = _max_lag(n)
    means = D.col_means(data)
    # a constant column (exactly, not up to the rounding of its mean) has no block length
    constant = data.max(axis=0) == data.min(axis=0)
    tables: list[np.ndarray] = []
    bandwidths: list[int | None] = []
    # Column chunks bound the transposed demeaned copy; each column's numbers are the same.
    for j0, j1 in column_spans(k, n):
        demeaned = np.ascontiguousarray((data[:, j0:j1] - means[j0:j1]).T)
        # Most series settle within a few lags: compute _FIRST_LAGS lags for all, m_max only
        # for the persistent ones. A lag's value does not depend on how many lags are computed.
        first = _autocovariances(demeaned, n, min(m_max, _FIRST_LAGS))
        part = list(first)
        bands = [None if constant[j0 + i] else _bandwidth(first[i], n) for i in range(j1 - j0)]
        slow = [i for i in range(j1 - j0) if not constant[j0 + i] and bands[i] is None]
        if slow:
            full = _autocovariances(np.ascontiguousarray(demeaned[slow]), n, m_max)
            for r, i in enumerate(slow):
                part[i] = full[r]
                bands[i] = _bandwidth(full[r], n)
        tables += part
        bandwidths += bands
        del demeaned
    rows = [(math.nan, math.nan) if constant[j] else _block_lengths(tables[j], n, bandwidths[j])
            for j in range(k)]
    return pd.DataFrame(rows, index=pd.Index(panel.columns),
                        columns=["stationary", "circular"], dtype=np.float64)


def _autocovariances(demeaned_t: np.ndarray, n: int, lags: int) -> np.ndarray:
    """gamma(0..lags) of every row of the (k, n) demeaned data; zero for lags >= n."""
    out = np.zeros((demeaned_t.shape[0], lags + 1))
    top = min(lags, n - 1)
    out[:, :top + 1] = autocovariances(demeaned_t, top)
    return out

"""Newey-West HAC t-statistic of a mean (DESIGN section 5).

``t = mean * sqrt(n) / sqrt(long-run variance)``, the long-run variance from the Bartlett kernel.
Sums run in index order and ``erfc``/``pow`` are QRP's own: the same bits on every CPU.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _detmath as D
from ..errors import ConfigError, DataError
from ._inputs import as_series, check_int
from ._kernels import autocovariances
from .results_pbo import HACResult

__all__ = ["LAG_RULE_NEWEY_WEST_1994", "bartlett_lrv", "hac_tstat", "newey_west_lags"]

LAG_RULE_GIVEN = "given"
LAG_RULE_NEWEY_WEST_1994 = "newey-west-1994: floor(4 * (n / 100) ** (2 / 9))"


def newey_west_lags(n_obs: int) -> int:
    """``floor(4 * (n / 100) ** (2 / 9))``, at most n - 1.

    The Newey and West (1994) rule of thumb for the Bartlett kernel, and statsmodels' default
    (``sandwich_covariance.S_hac_simple(nlags=None)``): 3 lags for n = 50, 4 for n = 100 to
    272, 5 for n = 273 to 620, 8 for n = 2520, 10 for n = 8760 (a year of hourly bars).
    """
    n_obs = check_int(n_obs, "n_obs", minimum=1)
    # Exact: L <= 4 (n / 100)^(2/9)  <=>  L^9 100^2 <= 4^9 n^2, in integers, so no rounding of
    # a pow (which differs between libms) can move L at the boundaries (n = 51200 gives 16).
    lags = int(4.0 * D.pow_pos(n_obs / 100.0, 2.0 / 9.0))
    bound = 262_144 * n_obs * n_obs
    while lags > 0 and lags ** 9 * 10_000 > bound:
        lags -= 1
    while (lags + 1) ** 9 * 10_000 <= bound:
        lags += 1
    return min(lags, n_obs - 1)


def bartlett_lrv(centred: np.ndarray, lags: int) -> float:
    """Newey-West long-run variance ``g0 + 2 sum_{j=1..L} (1 - j / (L + 1)) g_j`` of a centred
    1-D series, ``g_j = T^-1 sum_t x_t x_{t-j}``; the Bartlett weights keep it >= 0."""
    gamma = autocovariances(np.ascontiguousarray(centred[None, :]), lags)[0]
    weights = 1.0 - np.arange(1, lags + 1) / (lags + 1.0)
    return float(gamma[0] + 2.0 * D.dot(weights, gamma[1:]))


def hac_tstat(x: Any, *, lags: int | None = None, small_sample: bool = False) -> HACResult:
    """Newey-West HAC t-statistic of the mean of one series (H0: the mean is 0).

    Parameters
    ----------
    x
        One series of n >= 2 finite observations (1-D array, Series or one-column frame),
        e.g. a strategy's per-period returns.
    lags
        Bartlett truncation lag L, ``0 <= L < n`` (0 gives the heteroskedasticity-robust t
        without autocorrelation terms). None: ``floor(4 * (n / 100) ** (2 / 9))``
        (:func:`newey_west_lags`); the result records L and the rule.
    small_sample
        False (default): autocovariances divide by n, as in Newey-West (1987) and statsmodels
        ``cov_type="HAC"`` with ``use_correction=False``. True: multiply the long-run variance
        by ``n / (n - 1)``, as statsmodels ``use_correction=True``.

    Returns
    -------
    HACResult
        ``.tstat`` (also ``float(result)``), the long-run variance, the two-sided normal
        p-value, the lags and the rule that chose them.

    Raises
    ------
    DataError
        Fewer than 2 observations, a non-finite value, or a constant series (no variance).

    Notes
    -----
    Newey and West (1987), "A Simple, Positive Semi-Definite, Heteroskedasticity and
    Autocorrelation Consistent Covariance Matrix", Econometrica 55(3); lag rule of thumb from
    Newey and West (1994), Review of Economic Studies 61(4). With ``e_t = x_t - mean``,
    ``gamma_h = sum_{t=h}^{n-1} e_t e_{t-h} / n`` and Bartlett weights ``1 - h / (L + 1)``::

        lrv = gamma_0 + 2 * sum_{h=1}^{L} (1 - h / (L + 1)) gamma_h
        t   = mean * sqrt(n) / sqrt(lrv)

    This is the t-value of the constant in an OLS regression of x on a column of ones with
    Newey-West standard errors. The weights keep ``lrv >= 0``. With ``lags=0`` and iid data t is
    the plain t-statistic up to the factor ``sqrt((n - 1) / n)`` of the divisor n.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).standard_normal(250) * 0.01 + 0.002
    >>> res = hac_tstat(x)
    >>> res.lags, res.lag_rule
    (4, 'newey-west-1994: floor(4 * (n / 100) ** (2 / 9))')
    >>> round(float(res), 6) == round(res.tstat, 6)
    True
    """
    values = as_series(x, name="x", min_rows=2)
    n_obs = values.shape[0]
    if lags is None:
        lags, rule = newey_west_lags(n_obs), LAG_RULE_NEWEY_WEST_1994
    else:
        lags, rule = check_int(lags, "lags", minimum=0, below=n_obs), LAG_RULE_GIVEN
    if not isinstance(small_sample, (bool, np.bool_)):
        raise ConfigError(f"small_sample={small_sample!r} is not a bool", where="small_sample",
                          fix="pass True or False")
    if float(values.max()) == float(values.min()):
        raise DataError(f"x is constant ({values[0]!r} in all {n_obs} periods); its HAC "
                        "t-statistic is undefined", where="x",
                        fix="check the series varies (a strategy that never traded?)")
    mean = D.mean(values)
    lrv = bartlett_lrv(values - mean, lags)
    if small_sample:
        lrv *= n_obs / (n_obs - 1.0)
    if not lrv > 0.0:  # > 0 in exact arithmetic for a non-constant series; rounding guard
        raise DataError(f"the long-run variance of x is {lrv!r} with {lags} lags; the HAC "
                        "t-statistic is undefined", where="x",
                        fix="use fewer lags or a longer series")
    std_error = math.sqrt(lrv / n_obs)
    tstat = mean * math.sqrt(n_obs) / math.sqrt(lrv)
    pvalue = float(D.erfc(abs(tstat) / math.sqrt(2.0)))
    return HACResult(tstat=tstat, mean=mean, n_obs=n_obs, long_run_variance=lrv,
                     std_error=std_error, pvalue=pvalue, lags=lags, lag_rule=rule,
                     small_sample=bool(small_sample))

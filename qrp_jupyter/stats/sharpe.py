"""Probabilistic and deflated Sharpe ratios (Bailey and Lopez de Prado 2012, 2014).

Conventions (DESIGN section 5): Sharpe ratios are per period (mean over the ``ddof=1`` standard
deviation, no annualization, no risk-free rate: pass excess returns); kurtosis is raw (normal = 3).
Every function returns a plain ``float``; probabilities are in [0, 1]. Sums run in index order
and the normal CDF and quantile are QRP's own (:mod:`qrp_jupyter._detmath`), so every value is
the same on every CPU.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .. import _detmath as D
from ..errors import ConfigError, DataError
from ._inputs import as_series, check_int, check_real
from .hac import bartlett_lrv, newey_west_lags

__all__ = ["EULER_GAMMA", "deflated_sharpe", "expected_max_sharpe", "min_track_record_length",
           "probabilistic_sharpe", "sharpe_moments", "sharpe_variance_term"]

EULER_GAMMA = 0.5772156649015329


def _norm_cdf(z: float) -> float:
    # erfc keeps precision in the lower tail, where 1 - cdf would round to 0
    return float(D.ndtr(z))


def _norm_ppf(p: float) -> float:
    return float(D.ndtri(p))


def sharpe_moments(returns_1d: Any) -> dict[str, float | int]:
    """Per-period Sharpe ratio and the return moments PSR and DSR need.

    Returns
    -------
    dict
        ``sr`` = mean / std (``ddof=1``); ``skew`` = m3 / m2^1.5 and ``kurtosis`` = m4 / m2^2
        (raw, normal = 3) with the plain sample central moments ``m_j = mean((x - mean)^j)``, as
        in Bailey and Lopez de Prado (2012); ``n_obs`` = T.

    Raises
    ------
    DataError
        Fewer than 2 observations, a non-finite value, or a constant series (no Sharpe ratio).
    """
    x = as_series(returns_1d, name="returns_1d", min_rows=2)
    n = x.shape[0]
    mean = D.mean(x)
    s2, s3, s4 = (float(v) for v in D.central_sums(x, mean))
    m2 = s2 / n
    if not m2 > 0.0 or float(x.max()) == float(x.min()):
        raise DataError(f"returns_1d is constant ({x[0]!r} in all {x.shape[0]} periods); its "
                        "Sharpe ratio is undefined", where="returns_1d",
                        fix="check the strategy traded at all")
    std = math.sqrt(s2 / (n - 1))
    return {
        "sr": mean / std,
        "skew": (s3 / n) / (m2 * math.sqrt(m2)),
        "kurtosis": (s4 / n) / (m2 * m2),
        "n_obs": int(x.shape[0]),
    }


def _variance_term(sr: float, skew: float, kurtosis: float) -> float:
    """``1 - skew SR + (kurtosis - 1) / 4 SR^2``: T times the variance of the estimated SR for
    iid returns (Mertens 2002), checked positive."""
    var_term = 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr * sr
    if not var_term > 0.0:
        raise ConfigError(
            f"the Sharpe-ratio variance term 1 - skew*SR + (kurtosis-1)/4*SR^2 = {var_term!r} "
            f"is not positive (SR={sr!r}, skew={skew!r}, kurtosis={kurtosis!r})",
            where="skew/kurtosis",
            fix="kurtosis must be raw (normal = 3) and at least 1 + skew^2")
    return var_term


def _series_variance_term(returns_1d: Any, lags: int | None) -> tuple[dict[str, Any], float]:
    """(moments, variance term) of a return series, robust to autocorrelation.

    The estimated SR is a smooth function of the mean and variance, so by the delta method
    ``T var(SR) -> LRV(z)``, the long-run variance of ``z_t = a_t - SR / 2 (a_t^2 - 1)`` with
    ``a_t = (x_t - mean) / sqrt(m2)`` (Lo 2002, "The Statistics of Sharpe Ratios", Financial
    Analysts Journal 58(4), the GMM form). Its Newey-West estimate with ``lags`` Bartlett lags
    is used; with ``lags=0`` it is ``mean(z^2)``, exactly the iid term
    ``1 - skew SR + (kurtosis - 1) / 4 SR^2`` of Mertens (2002) and Bailey and Lopez de Prado.
    """
    m = sharpe_moments(returns_1d)
    if lags is None:
        lags = newey_west_lags(m["n_obs"])
    else:
        lags = check_int(lags, "lags", minimum=0, below=m["n_obs"])
    if lags == 0:
        return m, _variance_term(m["sr"], m["skew"], m["kurtosis"])
    x = as_series(returns_1d, name="returns_1d", min_rows=2)
    dev = x - D.mean(x)
    a = dev / math.sqrt(D.dot(dev, dev) / dev.shape[0])
    z = a - 0.5 * m["sr"] * (a * a - 1.0)
    var_term = bartlett_lrv(z - D.mean(z), lags)
    if not var_term > 0.0:
        raise DataError(f"the long-run variance of the Sharpe ratio's influence function is "
                        f"{var_term!r} with {lags} lags", where="returns_1d",
                        fix="use fewer lags (lags=0 is the iid formula) or a longer series")
    return m, var_term


def sharpe_variance_term(returns_1d: Any, *, lags: int | None = None) -> float:
    """``v``, T times the variance of a return series' estimated per-period Sharpe ratio: the
    term the PSR and DSR divide by (``SE(SR) = sqrt(v / (T - 1))``).

    Parameters
    ----------
    returns_1d
        Per-period (excess) returns, T >= 2, finite, not constant.
    lags
        Bartlett lags. None (default): the Newey-West rule of :func:`hac_tstat`, robust to
        autocorrelated returns; 0: the iid term ``1 - skew SR + (kurtosis - 1) / 4 SR^2``.

    Notes
    -----
    The long-run variance of the Sharpe ratio's influence function (Lo 2002, GMM form), as in
    :func:`probabilistic_sharpe`; pass it to :func:`deflated_sharpe` as ``variance_term`` to
    deflate with an autocorrelation-robust standard error.

    Examples
    --------
    >>> import numpy as np
    >>> e = np.random.default_rng(0).standard_normal(20_000)
    >>> trend = e + 0.5 * np.roll(e, 1)  # positively autocorrelated: a larger term
    >>> sharpe_variance_term(trend) > 1.5 * sharpe_variance_term(trend, lags=0)
    True
    """
    return _series_variance_term(returns_1d, lags)[1]


def _psr(sr: float, sr_star: float, n_obs: int, var_term: float) -> float:
    """Phi((SR - SR*) sqrt(T - 1) / sqrt(var_term))."""
    return _norm_cdf((sr - sr_star) * math.sqrt(n_obs - 1) / math.sqrt(var_term))


def probabilistic_sharpe(returns_1d: Any, *, sr_benchmark: float = 0.0,
                         lags: int | None = None) -> float:
    """Probability that the true per-period Sharpe ratio exceeds ``sr_benchmark``.

    Parameters
    ----------
    returns_1d
        Per-period (excess) returns, T >= 2, finite, not constant.
    sr_benchmark
        SR*, the per-period Sharpe ratio to beat (default 0).
    lags
        Bartlett lags of the Sharpe ratio's standard error. None (default): the Newey-West rule
        ``floor(4 (T / 100) ** (2 / 9))`` of :func:`hac_tstat`, which stays valid when returns
        are autocorrelated; 0: the iid formula of Bailey and Lopez de Prado (2012).

    Notes
    -----
    Bailey and Lopez de Prado (2012), "The Sharpe Ratio Efficient Frontier", Journal of Risk
    15(2): ``PSR(SR*) = Phi((SR - SR*) sqrt(T - 1) / sqrt(v))`` with, for iid returns,
    ``v = 1 - g3 SR + (g4 - 1) / 4 SR^2`` (sample skew ``g3``, raw kurtosis ``g4``,
    :func:`sharpe_moments`). That ``v`` understates the error when returns are serially
    correlated: under AR(1) with phi = 0.2 the test's size at 5% is about 9% (measured in
    ``tests/calibration``). By default ``v`` is therefore the Newey-West long-run variance of the
    SR's influence function (Lo 2002, GMM form), which equals the iid ``v`` with ``lags=0``.
    Per-period SR only.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([0.01, -0.02, 0.03, 0.0, 0.015, -0.005, 0.02, -0.01])
    >>> p = probabilistic_sharpe(x)
    >>> round(p + probabilistic_sharpe(-x), 12)
    1.0
    """
    sr_benchmark = check_real(sr_benchmark, "sr_benchmark")
    m, var_term = _series_variance_term(returns_1d, lags)
    return _psr(m["sr"], sr_benchmark, m["n_obs"], var_term)


def expected_max_sharpe(n_trials: int, sr_variance: float) -> float:
    """Expected maximum per-period Sharpe ratio of ``n_trials`` unskilled trials.

    ``sqrt(V) ((1 - gamma) Z^-1(1 - 1/N) + gamma Z^-1(1 - 1/(N e)))`` with ``gamma`` the
    Euler-Mascheroni constant and V the variance of the trials' Sharpe ratios across trials.
    One trial involves no selection: the result is 0 (the formula's ``Z^-1(0)`` is undefined).

    Notes
    -----
    Bailey and Lopez de Prado (2014), "The Deflated Sharpe Ratio", Journal of Portfolio
    Management 40(5), the "False Strategy" theorem (an extreme-value approximation).

    Examples
    --------
    >>> round(expected_max_sharpe(100, 0.5 / 250) * math.sqrt(250), 4)
    1.7894
    """
    n_trials = check_int(n_trials, "n_trials", minimum=1)
    sr_variance = check_real(sr_variance, "sr_variance", minimum=0.0)
    if n_trials == 1:
        return 0.0
    z1 = _norm_ppf(1.0 - 1.0 / n_trials)
    z2 = _norm_ppf(1.0 - 1.0 / (n_trials * math.e))
    return math.sqrt(sr_variance) * ((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2)


def deflated_sharpe(sr: float, *, n_obs: int, n_trials: int, sr_variance: float,
                    skew: float = 0.0, kurtosis: float = 3.0,
                    variance_term: float | None = None) -> float:
    """Probability that a per-period Sharpe ratio ``sr`` is real after selecting the best of
    ``n_trials`` trials: the PSR against :func:`expected_max_sharpe`.

    Parameters
    ----------
    sr
        The selected strategy's per-period Sharpe ratio (mean / std with ``ddof=1``).
    n_obs
        T, the number of return observations behind ``sr`` (>= 2).
    n_trials
        N, every trial ever run in the research family, not just the last grid (>= 1).
    sr_variance
        Variance of the per-period Sharpe ratios across the N trials (>= 0).
    skew, kurtosis
        Skew and RAW kurtosis (normal = 3) of the selected strategy's returns.
    variance_term
        ``v``, T times the variance of the estimated SR. None (default): the iid term of the
        paper, ``1 - skew SR + (kurtosis - 1) / 4 SR^2``. Pass
        :func:`sharpe_variance_term` of the strategy's returns for a Newey-West term that
        stays valid when the returns are autocorrelated (promotion does; ``skew`` and
        ``kurtosis`` are then not used).

    Returns
    -------
    float
        ``DSR = PSR(SR*) = Phi((SR - SR*) sqrt(T - 1) / sqrt(v))`` with
        ``SR* = expected_max_sharpe(N, V)``; with N = 1, SR* = 0 and the DSR equals the PSR
        against zero.

    Notes
    -----
    Bailey and Lopez de Prado (2014), "The Deflated Sharpe Ratio: Correcting for Selection Bias,
    Backtest Overfitting and Non-Normality", Journal of Portfolio Management 40(5). Annualized
    inputs must be converted first: ``sr = SR_annual / sqrt(q)``, ``V = V_annual / q`` for q
    periods per year. The paper's example (SR 2.5 and V 0.5 annualized, q = 250, T = 1250,
    N = 100, skew -3, kurtosis 10) gives SR* = 0.1132 per day and DSR = 0.9004:

    >>> round(deflated_sharpe(2.5 / math.sqrt(250), n_obs=1250, n_trials=100,
    ...                       sr_variance=0.5 / 250, skew=-3.0, kurtosis=10.0), 4)
    0.9004
    """
    sr = check_real(sr, "sr")
    n_obs = check_int(n_obs, "n_obs", minimum=2)
    skew = check_real(skew, "skew")
    kurtosis = check_real(kurtosis, "kurtosis", minimum=1.0)
    sr_star = expected_max_sharpe(n_trials, sr_variance)
    if variance_term is None:
        variance_term = _variance_term(sr, skew, kurtosis)
    else:
        variance_term = check_real(variance_term, "variance_term")
        if not variance_term > 0.0:
            raise ConfigError(f"variance_term={variance_term!r} is not positive",
                              where="variance_term",
                              fix="pass sharpe_variance_term(returns) or leave it None")
    return _psr(sr, sr_star, n_obs, variance_term)


def min_track_record_length(returns_or_sr: Any, *, sr_benchmark: float = 0.0, prob: float = 0.95,
                            skew: float | None = None, kurtosis: float | None = None,
                            lags: int | None = None) -> float:
    """Minimum Track Record Length: observations needed for ``PSR(sr_benchmark) >= prob``.

    Parameters
    ----------
    returns_or_sr
        Either a series of per-period returns (its Sharpe ratio, skew and raw kurtosis come
        from :func:`sharpe_moments`) or a per-period Sharpe ratio as a real number.
    sr_benchmark
        SR*, the per-period Sharpe ratio to beat (default 0).
    prob
        The confidence level, 0.5 < prob < 1 (default 0.95).
    skew, kurtosis
        Only with a Sharpe ratio: skew and RAW kurtosis (normal = 3) of the returns behind it;
        None means normal returns (0 and 3). With a return series they are estimated and
        passing them is an error.
    lags
        Only with a return series: Bartlett lags of the SR's standard error, as in
        :func:`probabilistic_sharpe` (None: the Newey-West rule; 0: iid). A bare Sharpe ratio
        carries no autocorrelation, so its formula is the iid one.

    Returns
    -------
    float
        ``MinTRL = 1 + v (z_prob / (SR - SR*))^2`` with ``v = 1 - skew SR + (kurtosis - 1) / 4
        SR^2`` (for a series, the long-run ``v`` of :func:`probabilistic_sharpe`), in
        observations of the returns' frequency (not rounded: a track record of n periods is
        long enough when ``n >= MinTRL``); ``inf`` when ``SR <= SR*`` (no length is enough).

    Notes
    -----
    Bailey and Lopez de Prado (2012), "The Sharpe Ratio Efficient Frontier", Journal of Risk
    15(2): MinTRL solves ``PSR(SR*) = prob`` for the sample length, with the PSR of
    :func:`probabilistic_sharpe`, whose z-score ``(SR - SR*) sqrt(n - 1) / sqrt(var term)``
    equals ``z_prob`` at ``n = MinTRL``. Per-period inputs only: an annual SR of 2 from daily
    data (q = 365) is ``2 / sqrt(365)``, and the answer is then in days.

    Examples
    --------
    >>> round(min_track_record_length(0.1), 2)  # normal returns, SR 0.1 per period, 95%
    272.91
    >>> round(min_track_record_length(0.1, skew=-1.0, kurtosis=6.0), 2)
    301.99
    """
    sr_benchmark = check_real(sr_benchmark, "sr_benchmark")
    prob = check_real(prob, "prob")
    if not 0.5 < prob < 1.0:
        raise ConfigError(f"prob={prob!r} is not a confidence level in (0.5, 1)", where="prob",
                          fix="pass e.g. 0.95")
    is_scalar = isinstance(returns_or_sr, numbers.Real) and not isinstance(
        returns_or_sr, (bool, np.bool_))
    if is_scalar:
        if lags is not None:
            raise ConfigError("lags were given with a bare Sharpe ratio", where="lags",
                              fix="pass the return series to use a long-run standard error, or "
                                  "drop lags")
        sr = check_real(returns_or_sr, "sr")
        skew = 0.0 if skew is None else check_real(skew, "skew")
        kurtosis = 3.0 if kurtosis is None else check_real(kurtosis, "kurtosis", minimum=1.0)
        var_term = _variance_term(sr, skew, kurtosis)
    else:
        if skew is not None or kurtosis is not None:
            raise ConfigError("skew/kurtosis were given together with a return series",
                              where="skew/kurtosis",
                              fix="pass either the returns (moments are estimated) or a Sharpe "
                                  "ratio with its skew and raw kurtosis")
        m, var_term = _series_variance_term(returns_or_sr, lags)
        sr = m["sr"]
    if sr <= sr_benchmark:
        return math.inf
    z = _norm_ppf(prob)
    ratio = z / (sr - sr_benchmark)
    return 1.0 + var_term * (ratio * ratio)

"""Probabilistic and deflated Sharpe ratios against the formulas and independent computations."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrp_jupyter.errors import ConfigError, DataError
from qrp_jupyter.stats import (
    deflated_sharpe,
    expected_max_sharpe,
    probabilistic_sharpe,
    sharpe_moments,
)

from . import naive


def _returns(seed, n_obs=750, skewed=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n_obs) * 0.01 + 0.0005
    if skewed:
        x -= rng.exponential(0.01, n_obs) - 0.01  # negative skew, fat left tail
    return x


@pytest.mark.parametrize("skewed", [False, True])
def test_moments_match_twin_and_scipy(skewed):
    stats = pytest.importorskip("scipy.stats")
    x = _returns(1, skewed=skewed)
    got = sharpe_moments(x)
    want = naive.moments(x)
    assert got["n_obs"] == want["n_obs"] == 750
    for key in ("sr", "skew", "kurtosis"):
        assert got[key] == pytest.approx(want[key], rel=1e-12)
    assert got["skew"] == pytest.approx(stats.skew(x), rel=1e-10)
    assert got["kurtosis"] == pytest.approx(stats.kurtosis(x, fisher=False), rel=1e-10)
    assert got["sr"] == pytest.approx(x.mean() / x.std(ddof=1), rel=1e-14)
    if skewed:
        assert got["skew"] < -0.3 and got["kurtosis"] > 3.5


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("sr_benchmark", [0.0, 0.02, -0.05])
def test_psr_matches_twin_and_scipy(seed, sr_benchmark):
    stats = pytest.importorskip("scipy.stats")
    x = _returns(seed, skewed=seed == 2)
    m = naive.moments(x)
    want = naive.psr(m["sr"], sr_benchmark, m["n_obs"], m["skew"], m["kurtosis"])
    got = probabilistic_sharpe(x, sr_benchmark=sr_benchmark, lags=0)
    assert got == pytest.approx(want, rel=1e-12, abs=1e-15)
    z = (m["sr"] - sr_benchmark) * math.sqrt(m["n_obs"] - 1) / math.sqrt(
        1 - m["skew"] * m["sr"] + (m["kurtosis"] - 1) / 4 * m["sr"] ** 2)
    assert got == pytest.approx(float(stats.norm.cdf(z)), rel=1e-12, abs=1e-15)


def test_psr_of_a_zero_mean_series_is_one_half_and_symmetric():
    z = np.random.default_rng(0).standard_normal(500)
    x = np.concatenate([z, -z])  # mean exactly 0
    assert probabilistic_sharpe(x) == pytest.approx(0.5, abs=1e-12)
    y = _returns(4, skewed=True)
    assert probabilistic_sharpe(y) + probabilistic_sharpe(-y) == pytest.approx(1.0, abs=1e-12)
    assert probabilistic_sharpe(pd.Series(y)) == probabilistic_sharpe(y)
    assert probabilistic_sharpe(y, sr_benchmark=1.0) < 1e-6 < 1 - 1e-6 < probabilistic_sharpe(
        y, sr_benchmark=-1.0)


def test_negative_skew_lowers_psr():
    """Same SR and T: a negatively skewed, fat-tailed strategy gets less credit."""
    sr, n_obs = 0.08, 750
    normal = deflated_sharpe(sr, n_obs=n_obs, n_trials=1, sr_variance=0.0)
    fat = deflated_sharpe(sr, n_obs=n_obs, n_trials=1, sr_variance=0.0, skew=-2.0,
                          kurtosis=12.0)
    assert fat < normal


def test_paper_example():
    """Bailey & Lopez de Prado (2014), section on the DSR's numerical example.

    Annualized SR 2.5 and variance of trial SRs 0.5 over 5 years of daily data (q = 250,
    T = 1250), N = 100 trials, skew -3, kurtosis 10. Converted to daily: SR = 2.5 / sqrt(250),
    V = 0.5 / 250. The paper reports SR* = 0.1132 (daily) and DSR = 0.9004; the same numbers
    come out of the independent NormalDist computation in naive.py, checked here too.
    """
    sr, v = 2.5 / math.sqrt(250), 0.5 / 250
    assert expected_max_sharpe(100, v) == pytest.approx(0.1132, abs=5e-5)
    dsr = deflated_sharpe(sr, n_obs=1250, n_trials=100, sr_variance=v, skew=-3.0, kurtosis=10.0)
    assert dsr == pytest.approx(0.9004, abs=5e-5)
    assert dsr == pytest.approx(naive.dsr(sr, 1250, 100, v, -3.0, 10.0), rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(sr=st.floats(-0.3, 0.3), n_obs=st.integers(2, 100_000), n_trials=st.integers(1, 10**6),
       sr_variance=st.floats(0.0, 0.05), skew=st.floats(-3.0, 3.0),
       excess=st.floats(0.0, 30.0))
def test_dsr_matches_twin(sr, n_obs, n_trials, sr_variance, skew, excess):
    kurtosis = 1.0 + skew * skew + excess  # any valid raw kurtosis is >= 1 + skew^2
    got = deflated_sharpe(sr, n_obs=n_obs, n_trials=n_trials, sr_variance=sr_variance,
                          skew=skew, kurtosis=kurtosis)
    want = naive.dsr(sr, n_obs, n_trials, sr_variance, skew, kurtosis)
    assert 0.0 <= got <= 1.0
    assert got == pytest.approx(want, rel=1e-9, abs=1e-14)


def test_dsr_decreases_with_trials_and_with_trial_variance():
    sr, n_obs = 0.1, 1000
    by_trials = [deflated_sharpe(sr, n_obs=n_obs, n_trials=n, sr_variance=0.001)
                 for n in (1, 2, 5, 10, 100, 1000, 10**5)]
    assert all(a > b for a, b in zip(by_trials, by_trials[1:]))
    by_var = [deflated_sharpe(sr, n_obs=n_obs, n_trials=50, sr_variance=v)
              for v in (0.0, 1e-5, 1e-4, 1e-3, 1e-2)]
    assert all(a > b for a, b in zip(by_var, by_var[1:]))
    # no selection, or no spread among trials: no deflation, DSR = PSR against zero
    psr0 = NormalDist().cdf(sr * math.sqrt(n_obs - 1) / math.sqrt(1 + sr * sr / 2))
    assert by_trials[0] == pytest.approx(psr0, rel=1e-12)
    assert by_var[0] == pytest.approx(psr0, rel=1e-12)


def test_one_trial_means_no_deflation():
    assert expected_max_sharpe(1, 0.3) == 0.0
    x = _returns(5)
    m = sharpe_moments(x)
    assert deflated_sharpe(m["sr"], n_obs=m["n_obs"], n_trials=1, sr_variance=0.2,
                           skew=m["skew"], kurtosis=m["kurtosis"]) == pytest.approx(
        probabilistic_sharpe(x, lags=0), rel=1e-14)


def test_expected_max_sharpe_approximates_the_mean_maximum():
    """The False Strategy theorem's formula vs a simulated E[max of N iid N(0, V)].

    It is an extreme-value approximation: for N = 100 it overstates the exact 2.5076 sd by about
    1%; allow 3%. It scales with sqrt(V).
    """
    v = 0.0004
    draws = np.random.default_rng(3).standard_normal((20_000, 100)) * math.sqrt(v)
    simulated = draws.max(axis=1).mean()
    assert expected_max_sharpe(100, v) == pytest.approx(simulated, rel=0.03)
    assert expected_max_sharpe(100, 4 * v) == pytest.approx(2 * expected_max_sharpe(100, v))


def test_errors():
    with pytest.raises(ConfigError, match="n_trials"):
        expected_max_sharpe(0, 0.1)
    with pytest.raises(ConfigError, match="n_trials"):
        deflated_sharpe(0.1, n_obs=100, n_trials=2.5, sr_variance=0.1)
    with pytest.raises(ConfigError, match="sr_variance"):
        expected_max_sharpe(10, -0.1)
    with pytest.raises(ConfigError, match="n_obs"):
        deflated_sharpe(0.1, n_obs=1, n_trials=3, sr_variance=0.1)
    with pytest.raises(ConfigError, match="kurtosis"):
        deflated_sharpe(0.1, n_obs=100, n_trials=3, sr_variance=0.1, kurtosis=0.5)
    with pytest.raises(ConfigError, match="variance term"):
        deflated_sharpe(1.0, n_obs=100, n_trials=3, sr_variance=0.1, skew=3.0, kurtosis=1.0)
    with pytest.raises(ConfigError, match="sr"):
        deflated_sharpe(float("nan"), n_obs=100, n_trials=3, sr_variance=0.1)
    with pytest.raises(DataError, match="constant"):
        probabilistic_sharpe(np.full(30, 0.001))
    with pytest.raises(DataError, match="rows"):
        sharpe_moments([0.1])
    with pytest.raises(DataError, match="one series"):
        sharpe_moments(np.zeros((10, 2)))
    bad = _returns(1)
    bad[40] = np.nan
    with pytest.raises(DataError, match="row 40"):
        probabilistic_sharpe(bad)


def _ar1(seed, n_obs, phi, mean=0.0):
    rng = np.random.default_rng(seed)
    e = rng.standard_normal(n_obs + 200)
    x = np.empty_like(e)
    x[0] = e[0]
    for t in range(1, len(e)):
        x[t] = phi * x[t - 1] + e[t]
    return x[200:] + mean


@pytest.mark.parametrize("lags", [None, 0, 1, 7])
@pytest.mark.parametrize("seed", [1, 2])
def test_robust_psr_matches_a_statsmodels_sandwich(seed, lags):
    """PSR's default standard error is the delta method on the GMM moments (mean, variance)
    with a Newey-West covariance (Lo 2002); statsmodels' HAC of the two moments gives it too."""
    sw = pytest.importorskip("statsmodels.stats.sandwich_covariance")
    x = _ar1(seed, 900, 0.3, mean=0.05) if seed == 1 else _returns(seed, skewed=True)
    n = len(x)
    L = int(math.floor(4 * (n / 100) ** (2 / 9))) if lags is None else lags
    dev = x - x.mean()
    m2 = float(np.mean(dev ** 2))
    sr = x.mean() / x.std(ddof=1)
    moments = np.column_stack([dev, dev ** 2 - m2])
    omega = sw.S_hac_simple(moments, nlags=L) / n  # statsmodels returns the sum, not the mean
    grad = np.array([1 / math.sqrt(m2), -sr / (2 * m2)])
    v = float(grad @ omega @ grad)
    want = NormalDist().cdf((sr - 0.01) * math.sqrt(n - 1) / math.sqrt(v))
    got = probabilistic_sharpe(x, sr_benchmark=0.01, lags=lags)
    assert got == pytest.approx(want, rel=1e-10)


def test_robust_standard_error_sees_autocorrelation_that_the_iid_one_misses():
    """AR(1) with phi = 0.2: the variance of the mean is (1 + phi) / (1 - phi) = 1.5 times the
    iid one, so a track record must be ~1.5x longer; the iid formula does not notice."""
    from qrp_jupyter.stats import min_track_record_length

    x = _ar1(3, 200_000, 0.2, mean=0.02)
    ratio = (min_track_record_length(x) - 1) / (min_track_record_length(x, lags=0) - 1)
    assert ratio == pytest.approx(1.5, rel=0.05)
    # iid returns: both agree closely
    y = np.random.default_rng(4).standard_normal(200_000) + 0.02
    ratio = (min_track_record_length(y) - 1) / (min_track_record_length(y, lags=0) - 1)
    assert ratio == pytest.approx(1.0, abs=0.03)
    assert probabilistic_sharpe(_ar1(5, 2000, 0.2, mean=0.05)) < probabilistic_sharpe(
        _ar1(5, 2000, 0.2, mean=0.05), lags=0)


def test_lag_errors():
    from qrp_jupyter.stats import min_track_record_length

    x = _returns(1, n_obs=50)
    with pytest.raises(ConfigError, match="lags"):
        probabilistic_sharpe(x, lags=50)
    with pytest.raises(ConfigError, match="lags"):
        probabilistic_sharpe(x, lags=-1)
    with pytest.raises(ConfigError, match="bare Sharpe ratio"):
        min_track_record_length(0.1, lags=3)


# ----------------------------------------------------------------------------- DSR, robust term
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dsr_variance_term_is_the_psrs(seed):
    """The variance term is PSR's: with one trial (no deflation) the DSR fed
    ``sharpe_variance_term`` equals ``probabilistic_sharpe`` for any lag choice, and the
    default (None) equals the iid term built from skew and kurtosis."""
    from qrp_jupyter.stats import sharpe_variance_term

    x = _ar1(seed, 1500, 0.3, mean=0.04) if seed != 2 else _returns(seed, skewed=True)
    m = sharpe_moments(x)
    for lags in (None, 0, 5):
        v = sharpe_variance_term(x, lags=lags)
        got = deflated_sharpe(m["sr"], n_obs=m["n_obs"], n_trials=1, sr_variance=0.0,
                              variance_term=v)
        assert got == pytest.approx(probabilistic_sharpe(x, lags=lags), rel=1e-12)
    iid = deflated_sharpe(m["sr"], n_obs=m["n_obs"], n_trials=20, sr_variance=1e-4,
                          skew=m["skew"], kurtosis=m["kurtosis"])
    assert iid == pytest.approx(deflated_sharpe(
        m["sr"], n_obs=m["n_obs"], n_trials=20, sr_variance=1e-4,
        variance_term=sharpe_variance_term(x, lags=0)), rel=1e-12)


def test_robust_dsr_is_more_cautious_on_trending_returns():
    """Positively autocorrelated returns: the Newey-West term is larger, so the deflated
    Sharpe ratio is lower than the iid one would claim."""
    from qrp_jupyter.stats import sharpe_variance_term

    x = _ar1(7, 3000, 0.3, mean=0.06)
    m = sharpe_moments(x)
    common = dict(n_obs=m["n_obs"], n_trials=50, sr_variance=2e-4)
    robust = deflated_sharpe(m["sr"], variance_term=sharpe_variance_term(x), **common)
    iid = deflated_sharpe(m["sr"], skew=m["skew"], kurtosis=m["kurtosis"], **common)
    assert sharpe_variance_term(x) > 1.5 * sharpe_variance_term(x, lags=0)
    assert robust < iid


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf"), "1", True])
def test_dsr_rejects_a_bad_variance_term(bad):
    with pytest.raises(ConfigError, match="variance_term"):
        deflated_sharpe(0.05, n_obs=500, n_trials=10, sr_variance=1e-4, variance_term=bad)

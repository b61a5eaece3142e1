"""Newey-West HAC t-statistic against statsmodels, the fsum twin and its defining properties.

Tolerance against statsmodels: rtol 1e-10 (its residuals come from a least-squares fit of the
constant and its sums from BLAS dot products; ours from the fixed-order kernel).
"""

from __future__ import annotations

import doctest
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrp_jupyter.errors import ConfigError, DataError
from qrp_jupyter.stats import hac as hac_module
from qrp_jupyter.stats.hac import LAG_RULE_NEWEY_WEST_1994, hac_tstat, newey_west_lags

from . import naive_pbo

sm = pytest.importorskip("statsmodels.api")
sandwich = pytest.importorskip("statsmodels.stats.sandwich_covariance")


def _ar1(seed, n, phi=0.5, mean=0.1):
    rng = np.random.default_rng(seed)
    e = rng.standard_normal(n)
    x = np.empty(n)
    x[0] = e[0]
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x + mean


def _statsmodels(x, lags, correction):
    fit = sm.OLS(x, np.ones_like(x)).fit(cov_type="HAC", cov_kwds={
        "maxlags": lags, "use_correction": correction})
    return fit


@pytest.mark.parametrize("lags", [0, 1, 2, 5, 12, 40])
@pytest.mark.parametrize("small_sample", [False, True])
def test_matches_statsmodels(lags, small_sample):
    x = _ar1(lags, 500)
    res = hac_tstat(x, lags=lags, small_sample=small_sample)
    fit = _statsmodels(x, lags, small_sample)
    assert res.tstat == pytest.approx(float(fit.tvalues[0]), rel=1e-10)
    assert res.std_error == pytest.approx(float(fit.bse[0]), rel=1e-10)
    assert res.pvalue == pytest.approx(float(fit.pvalues[0]), rel=1e-8, abs=1e-300)
    assert res.mean == pytest.approx(float(fit.params[0]), rel=1e-12)
    assert res.lags == lags and res.lag_rule == "given" and res.small_sample is small_sample


@pytest.mark.parametrize("n_obs", [2, 5, 50, 99, 100, 101, 499, 500, 2520, 8760])
def test_automatic_lag_rule_is_statsmodels_default(n_obs):
    x = _ar1(n_obs, n_obs, phi=0.3)
    res = hac_tstat(x)
    want = min(int(math.floor(4 * (n_obs / 100) ** (2 / 9))), n_obs - 1)
    assert res.lags == newey_west_lags(n_obs) == want
    assert res.lag_rule == LAG_RULE_NEWEY_WEST_1994
    # statsmodels' own automatic choice (nlags=None), without the correction
    fit = sm.OLS(x, np.ones_like(x)).fit()
    cov = sandwich.cov_hac(fit, nlags=None, use_correction=False)
    if n_obs > 2:
        assert res.std_error == pytest.approx(math.sqrt(cov[0, 0]), rel=1e-10)
        assert res.tstat == pytest.approx(float(_statsmodels(x, want, False).tvalues[0]),
                                          rel=1e-10)


def test_lag_rule_values():
    # 4 (n/100)^(2/9) = 3.43, 4.00, 4.90, 5.11, 5.72, 6.67, 8.19, 10.81
    assert [newey_west_lags(n) for n in (50, 100, 250, 300, 500, 1000, 2520, 8760)] == \
        [3, 4, 4, 5, 5, 6, 8, 10]
    assert newey_west_lags(2) == 1 and newey_west_lags(1) == 0


@settings(max_examples=100, deadline=None)
@given(n=st.integers(3, 300), lag_share=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1),
       small_sample=st.booleans(), scale=st.sampled_from([1e-4, 1.0, 1e4]))
def test_matches_fsum_twin(n, lag_share, seed, small_sample, scale):
    lags = min(n - 1, int(lag_share * (n - 1)))
    x = np.random.default_rng(seed).standard_normal(n) * scale + 0.3 * scale
    want = naive_pbo.hac_tstat(x, lags, small_sample)
    got = hac_tstat(x, lags=lags, small_sample=small_sample).tstat
    assert got == pytest.approx(want, rel=1e-10)


def test_iid_data_hac_t_is_close_to_plain_t():
    """On iid data the autocovariances are noise, so the HAC t is close to the plain t.

    lags=0 with small_sample=True is exactly the plain one-sample t (variance over n - 1);
    with the n divisor it is larger by sqrt(n / (n - 1)). With the automatic lags the long-run
    variance differs from the variance by ~2 sqrt(sum w_h^2) / sqrt(n), about 5% for n = 5000:
    the t's agree within 10%.
    """
    stats = pytest.importorskip("scipy.stats")
    for seed in range(8):
        x = np.random.default_rng(seed).standard_normal(5000) + 0.03
        plain = float(stats.ttest_1samp(x, 0.0).statistic)
        assert hac_tstat(x, lags=0, small_sample=True).tstat == pytest.approx(plain, rel=1e-12)
        assert hac_tstat(x, lags=0).tstat == pytest.approx(plain * math.sqrt(5000 / 4999),
                                                           rel=1e-12)
        assert hac_tstat(x).tstat == pytest.approx(plain, rel=0.10)


def test_t_grows_like_sqrt_n():
    """Same mean, same autocovariances at the lags used: 4x the data, 2x the t.

    Repeating a series k times keeps its mean and its lag-0 variance exactly, so with lags=0
    t(k copies) = sqrt(k) t(1 copy) exactly. (The legacy bug left out sqrt(n): t would not move.)
    With lags > 0 only the seams differ and the ratio is still close to sqrt(k).
    """
    base = _ar1(3, 400, phi=0.0, mean=0.05)
    t1 = hac_tstat(base, lags=0).tstat
    for k in (4, 9, 16):
        assert hac_tstat(np.tile(base, k), lags=0).tstat == pytest.approx(math.sqrt(k) * t1,
                                                                         rel=1e-10)
    t1 = hac_tstat(base, lags=5).tstat
    assert hac_tstat(np.tile(base, 4), lags=5).tstat / t1 == pytest.approx(2.0, rel=0.02)
    # and the scale is right: for mean/sd = 0.05 and n = 40,000 iid, t ~ 0.05 * sqrt(n) = 10
    x = np.random.default_rng(0).standard_normal(40_000)
    x = (x - x.mean()) / x.std() + 0.05
    assert hac_tstat(x).tstat == pytest.approx(10.0, rel=0.05)


def test_positive_autocorrelation_lowers_t():
    x = _ar1(9, 2000, phi=0.6, mean=0.2)
    assert hac_tstat(x).tstat < hac_tstat(x, lags=0).tstat


def test_result_object_and_inputs():
    x = _ar1(1, 300)
    res = hac_tstat(pd.Series(x, index=pd.RangeIndex(300)))
    assert res.tstat == hac_tstat(x).tstat == float(res)
    assert res.tstat == hac_tstat(x[:, None]).tstat
    d = res.to_dict()
    json.dumps(d)
    assert d["lags"] == 5 and d["kernel"] == "bartlett" and d["n_obs"] == 300
    assert d["lag_rule"] == LAG_RULE_NEWEY_WEST_1994 and d["small_sample"] is False
    assert "t-statistic" in res.summary() and str(res) == res.summary()
    assert res._repr_html_().startswith("<table")
    assert res.long_run_variance == pytest.approx(res.std_error ** 2 * 300, rel=1e-12)
    assert res.tstat == pytest.approx(res.mean * math.sqrt(300) / math.sqrt(
        res.long_run_variance), rel=1e-14)


def test_errors():
    x = _ar1(2, 50)
    with pytest.raises(DataError, match="constant"):
        hac_tstat(np.full(20, 0.01))
    with pytest.raises(DataError, match="rows"):
        hac_tstat([0.1])
    with pytest.raises(DataError, match="one series"):
        hac_tstat(np.zeros((10, 2)))
    bad = x.copy()
    bad[4] = np.nan
    with pytest.raises(DataError, match="row 4"):
        hac_tstat(bad)
    with pytest.raises(ConfigError, match="lags"):
        hac_tstat(x, lags=50)
    with pytest.raises(ConfigError, match="lags"):
        hac_tstat(x, lags=-1)
    with pytest.raises(ConfigError, match="lags"):
        hac_tstat(x, lags=2.0)
    with pytest.raises(ConfigError, match="small_sample"):
        hac_tstat(x, small_sample="yes")


def test_docstring_examples_run():
    result = doctest.testmod(hac_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0

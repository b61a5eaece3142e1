"""Minimum Track Record Length (Bailey and Lopez de Prado 2012).

No published example is used (none we could quote with certainty); instead MinTRL is checked
against an independent computation -- the root in n of PSR(n) = prob, found numerically with
the PSR twin -- and against the PSR itself on real series.
"""

from __future__ import annotations

import doctest
import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrp_jupyter.errors import ConfigError, DataError
from qrp_jupyter.stats import sharpe as sharpe_module
from qrp_jupyter.stats.sharpe import (
    min_track_record_length,
    probabilistic_sharpe,
    sharpe_moments,
)

from . import naive


def _root_of_psr(sr, sr_star, prob, skew, kurtosis):
    """The n with PSR(n) = prob, by bisection on the continuous PSR of naive.py."""
    lo, hi = 1.0, 2.0
    while naive.psr(sr, sr_star, hi, skew, kurtosis) < prob:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if naive.psr(sr, sr_star, mid, skew, kurtosis) < prob:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@pytest.mark.parametrize(("sr", "sr_star", "prob", "skew", "kurtosis"), [
    (0.1, 0.0, 0.95, 0.0, 3.0),
    (0.05, 0.0, 0.99, -1.0, 8.0),
    (0.2, 0.05, 0.9, 0.5, 4.0),
    (2.0 / math.sqrt(365), 0.5 / math.sqrt(365), 0.95, -0.7, 12.0),  # crypto daily, annual 2
])
def test_matches_root_of_psr(sr, sr_star, prob, skew, kurtosis):
    got = min_track_record_length(sr, sr_benchmark=sr_star, prob=prob, skew=skew,
                                  kurtosis=kurtosis)
    assert got == pytest.approx(_root_of_psr(sr, sr_star, prob, skew, kurtosis), rel=1e-9)


def test_normal_case_by_hand():
    """SR = 0.1 per period, normal returns, 95%: 1 + (1 + 2/4 * 0.01) * (1.6449 / 0.1)^2."""
    z = NormalDist().inv_cdf(0.95)
    want = 1.0 + (1.0 + 0.5 * 0.01) * (z / 0.1) ** 2
    assert min_track_record_length(0.1) == pytest.approx(want, rel=1e-14)
    assert min_track_record_length(0.1) == pytest.approx(272.907, abs=1e-3)


@settings(max_examples=200, deadline=None)
@given(sr=st.floats(-0.5, 0.5), gap=st.floats(1e-3, 0.5), prob=st.floats(0.501, 0.999),
       skew=st.floats(-3.0, 3.0), excess=st.floats(0.0, 30.0))
def test_psr_at_mintrl_equals_prob(sr, gap, prob, skew, excess):
    kurtosis = 1.0 + skew * skew + excess
    sr_star = sr - gap
    var_term = 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr * sr
    if var_term <= 1e-9:
        with pytest.raises(ConfigError):
            min_track_record_length(sr, sr_benchmark=sr_star, prob=prob, skew=skew,
                                    kurtosis=kurtosis)
        return
    n = min_track_record_length(sr, sr_benchmark=sr_star, prob=prob, skew=skew,
                                kurtosis=kurtosis)
    assert n > 1.0
    assert naive.psr(sr, sr_star, n, skew, kurtosis) == pytest.approx(prob, rel=1e-9)


def test_consistent_with_psr_of_a_series():
    """A series is long enough exactly when its own PSR reaches prob (moments held fixed).

    PSR uses the series' own n; MinTRL the same moments. So len(x) >= MinTRL(x) if and only if
    probabilistic_sharpe(x) >= prob.
    """
    rng = np.random.default_rng(7)
    seen = set()
    for i in range(60):
        n = int(rng.integers(50, 1500))
        x = rng.standard_normal(n) * 0.01 + rng.uniform(-0.0005, 0.002)
        if i % 3 == 0:
            x -= rng.exponential(0.01, n) - 0.01      # skewed, fat-tailed
        for prob in (0.9, 0.95):
            m = sharpe_moments(x)
            want = min_track_record_length(m["sr"], prob=prob, skew=m["skew"],
                                           kurtosis=m["kurtosis"])
            got = min_track_record_length(x, prob=prob, lags=0)
            assert got == want
            enough = n >= got
            assert enough == (probabilistic_sharpe(x, lags=0) >= prob)
            seen.add(enough)
            # the same holds for the default, autocorrelation-robust standard error
            robust = min_track_record_length(x, prob=prob)
            assert (n >= robust) == (probabilistic_sharpe(x) >= prob)
    assert seen == {True, False}   # both sides of the boundary were exercised


def test_decreases_as_sharpe_grows():
    srs = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
    for skew, kurtosis in ((0.0, 3.0), (-1.0, 6.0), (0.5, 4.0)):
        values = [min_track_record_length(sr, skew=skew, kurtosis=kurtosis) for sr in srs]
        assert all(a > b for a, b in zip(values, values[1:]))
    # more confidence, fatter tails or more negative skew: a longer record
    base = min_track_record_length(0.1)
    assert min_track_record_length(0.1, prob=0.99) > base
    assert min_track_record_length(0.1, kurtosis=10.0) > base
    assert min_track_record_length(0.1, skew=-1.0) > base > min_track_record_length(0.1, skew=1.0)
    assert min_track_record_length(0.1, sr_benchmark=0.05) > base


def test_no_length_is_enough_without_an_edge():
    assert min_track_record_length(0.0) == math.inf
    assert min_track_record_length(0.1, sr_benchmark=0.1) == math.inf
    assert min_track_record_length(-0.2) == math.inf
    x = np.random.default_rng(1).standard_normal(300) - 0.1
    assert min_track_record_length(x) == math.inf


def test_errors():
    with pytest.raises(ConfigError, match="prob"):
        min_track_record_length(0.1, prob=0.5)
    with pytest.raises(ConfigError, match="prob"):
        min_track_record_length(0.1, prob=1.0)
    with pytest.raises(ConfigError, match="skew/kurtosis"):
        min_track_record_length(np.ones(10) + np.arange(10), skew=0.0)
    with pytest.raises(ConfigError, match="kurtosis"):
        min_track_record_length(0.1, kurtosis=0.5)
    with pytest.raises(ConfigError, match="variance term"):
        min_track_record_length(1.0, skew=3.0, kurtosis=1.0)
    with pytest.raises(ConfigError, match="sr"):
        min_track_record_length(float("nan"))
    with pytest.raises(ConfigError, match="sr_benchmark"):
        min_track_record_length(0.1, sr_benchmark=float("inf"))
    with pytest.raises(DataError, match="constant"):
        min_track_record_length(np.full(10, 0.01))
    with pytest.raises(DataError, match="rows"):
        min_track_record_length([0.01])


def test_docstring_examples_run():
    result = doctest.testmod(sharpe_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0

"""Politis-White optimal block length: twin, arch cross-check, theory for AR(1), edge cases."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from qrp_jupyter.errors import DataError
from qrp_jupyter.stats import optimal_block_length

from . import naive


def ar1(phi, n_obs, k=1, seed=0):
    rng = np.random.default_rng(seed)
    e = rng.standard_normal((n_obs, k))
    x = np.empty((n_obs, k))
    x[0] = e[0] / math.sqrt(1 - phi * phi)  # start in the stationary distribution
    for t in range(1, n_obs):
        x[t] = phi * x[t - 1] + e[t]
    return x


def _series():
    rng = np.random.default_rng(42)
    vol = np.exp(np.cumsum(rng.standard_normal(3000)) * 0.05)
    return {
        "white noise": rng.standard_normal(1000),
        "AR(1) 0.3": ar1(0.3, 2000, seed=1)[:, 0],
        "AR(1) 0.5": ar1(0.5, 1000, seed=2)[:, 0],
        "AR(1) 0.8": ar1(0.8, 5000, seed=3)[:, 0],
        "AR(1) 0.95": ar1(0.95, 3000, seed=4)[:, 0],
        "MA(1) 0.7": np.convolve(rng.standard_normal(1001), [1.0, 0.7], "valid"),
        "volatility clusters": rng.standard_normal(3000) * vol,
        "hourly-like t(3)": rng.standard_t(3, 17_520) * 0.01,
        "short": rng.standard_normal(20),
    }


@pytest.mark.parametrize("name", list(_series()))
def test_matches_twin(name):
    x = _series()[name]
    got = optimal_block_length(x).iloc[0]
    b_sb, b_cb, _ = naive.optimal_block_length(x)
    np.testing.assert_allclose([got["stationary"], got["circular"]], [b_sb, b_cb], rtol=1e-9)


@pytest.mark.parametrize("name", list(_series()))
def test_agrees_with_arch(name):
    arch_bootstrap = pytest.importorskip("arch.bootstrap")
    x = _series()[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = arch_bootstrap.optimal_block_length(x).iloc[0]
    got = optimal_block_length(x).iloc[0]
    # Same estimator and conventions; the only difference is the autocorrelation normalisation
    # used for the bandwidth search, which did not change M on any of these series (observed
    # agreement ~1e-15).
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9)


def test_ar1_lengths_match_the_population_optimum():
    """Mean estimate over 40 AR(1) series vs the population value of PPW (2009).

    For AR(1) with coefficient phi: G = 2 phi / (1 - phi)^2 gamma0 and sigma^2 = (1 + phi) /
    (1 - phi) gamma0, so b_SB = (G^2 / sigma^4)^(1/3) n^(1/3). The estimator's spread is ~10%
    per series, so the mean of 40 has ~1.6% standard error; the band +-10% excludes the
    uncorrected 2004 constant (D_SB = 4 sigma^4 gives 2^(-1/3) = 0.79 of the corrected value).
    """
    phi, n_obs = 0.5, 5000
    table = optimal_block_length(ar1(phi, n_obs, k=40, seed=7))
    g = 2 * phi / (1 - phi) ** 2
    s2 = (1 + phi) / (1 - phi)
    b_sb = (g * g / (s2 * s2)) ** (1 / 3) * n_obs ** (1 / 3)
    assert 0.9 < table["stationary"].mean() / b_sb < 1.1
    np.testing.assert_allclose(table["circular"] / table["stationary"], 1.5 ** (1 / 3),
                               rtol=1e-12)


def test_white_noise_gives_short_blocks_and_persistent_series_long_ones():
    table = optimal_block_length(np.column_stack([
        np.random.default_rng(0).standard_normal(4000), ar1(0.9, 4000, seed=1)[:, 0]]))
    assert table.loc[0, "stationary"] < 3
    assert table.loc[1, "stationary"] > 30


def test_labels_shapes_and_constant_columns():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.standard_normal(200), "flat": np.full(200, 0.3),
                          "c": rng.standard_normal(200)})
    table = optimal_block_length(frame)
    assert list(table.index) == ["a", "flat", "c"]
    assert list(table.columns) == ["stationary", "circular"]
    assert table.loc["flat"].isna().all()
    assert table.loc[["a", "c"]].notna().all().all()
    np.testing.assert_allclose(optimal_block_length(frame["a"]).to_numpy(),
                               table.loc[["a"]].to_numpy())
    assert list(optimal_block_length(frame["a"]).index) == ["a"]
    np.testing.assert_array_equal(optimal_block_length(frame.to_numpy()).to_numpy(),
                                  table.to_numpy())


@pytest.mark.parametrize("n_obs", [2, 3, 5, 9])
def test_tiny_samples_are_capped(n_obs):
    x = np.random.default_rng(n_obs).standard_normal(n_obs)
    got = optimal_block_length(x).iloc[0]
    cap = math.ceil(min(3 * math.sqrt(n_obs), n_obs / 3))
    assert 0 <= got["stationary"] <= cap and 0 <= got["circular"] <= cap
    b_sb, b_cb, _ = naive.optimal_block_length(x)
    np.testing.assert_allclose([got["stationary"], got["circular"]], [b_sb, b_cb], rtol=1e-9)


def test_persistent_columns_use_all_lags():
    """A column with no run of insignificant autocorrelations takes M = m_max (two-stage path)."""
    x = np.column_stack([np.random.default_rng(0).standard_normal(900),
                         np.cumsum(np.random.default_rng(1).standard_normal(900))])
    got = optimal_block_length(x)
    for j in range(2):
        b_sb, b_cb, big_m = naive.optimal_block_length(x[:, j])
        np.testing.assert_allclose(got.iloc[j].to_numpy(), [b_sb, b_cb], rtol=1e-9)
    assert big_m > 32  # the random walk needed the second stage


def test_rejects_bad_input():
    with pytest.raises(DataError, match="rows"):
        optimal_block_length(np.array([1.0]))
    with pytest.raises(DataError, match="dimensions"):
        optimal_block_length(np.zeros((3, 3, 3)))
    x = np.random.default_rng(0).standard_normal((30, 2))
    x[12, 1] = np.inf
    with pytest.raises(DataError, match=r"column 1.*row 12"):
        optimal_block_length(x)

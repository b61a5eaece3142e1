"""Every kernel against its slow twin (tests/stats/naive.py), on edge cases and random draws.

Tolerance: rtol 1e-12 plus an absolute 1e-13 times the data's scale. The absolute part is for
values that are 0 in exact arithmetic (a constant column's re-centred mean, a white-noise
autocovariance): there the two summation orders leave different rounding residue of ~1e-17.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrp_jupyter.stats._kernels import (autocovariances, block_sum_means, geometric_lengths,
                                        weighted_means)
from qrp_jupyter.stats.bootstrap import draw_blocks

from . import naive


def _prefix(x):
    table = np.zeros((x.shape[0] + 1, x.shape[1]))
    np.cumsum(x, axis=0, out=table[1:])
    return table


def _both_kernels(x, starts, lengths, offsets):
    """Means from both kernels (data passed as given: not demeaned here)."""
    x = np.ascontiguousarray(x, dtype=float)
    return (block_sum_means(_prefix(x), starts, lengths, offsets),
            weighted_means(x, starts, lengths, offsets))


def _assert_twin(x, starts, lengths, offsets):
    want = naive.bootstrap_means(x, starts, lengths, offsets)
    scale = max(1.0, float(np.abs(x).max()))
    for got in _both_kernels(x, starts, lengths, offsets):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13 * scale)


def _draws(seed, n_obs, block_size, reps):
    return naive.collect_draws(draw_blocks(np.random.default_rng(seed), n_obs, block_size, reps))


@pytest.mark.parametrize(("n_obs", "k", "block_size"), [
    (2, 1, 1),        # smallest sample
    (3, 1, 2),        # block_size = T - 1
    (10, 1, 1),       # k = 1, iid bootstrap
    (10, 3, 9),       # block_size = T - 1 with several columns
    (50, 4, 5),       # prefix-sum regime
    (200, 7, 3),
    (200, 2, 40),     # long blocks, many wraps
])
def test_block_kernels_match_twin_on_drawn_blocks(n_obs, k, block_size):
    x = np.random.default_rng(n_obs * 31 + k).standard_normal((n_obs, k))
    _assert_twin(x, *_draws(7, n_obs, block_size, 25))


def test_block_kernels_on_constant_columns():
    rng = np.random.default_rng(3)
    x = np.column_stack([np.full(40, 0.1), np.zeros(40), rng.standard_normal(40)])
    starts, lengths, offsets = _draws(1, 40, 3, 30)
    _assert_twin(x, starts, lengths, offsets)
    for got in _both_kernels(x, starts, lengths, offsets):
        np.testing.assert_array_equal(got[:, 1], 0.0)


def test_block_kernels_on_hand_made_wrapping_blocks():
    x = np.arange(1.0, 6.0)[:, None] * np.array([[1.0, -2.0]])  # T = 5
    # one block covering everything from the last observation; one of length 1 at the end;
    # blocks that wrap by one and by four; the identity replicate
    starts = np.array([4, 4, 0, 3, 2, 0], dtype=np.int64)
    lengths = np.array([5, 1, 4, 3, 2, 5], dtype=np.int64)
    offsets = np.array([0, 1, 3, 5, 6], dtype=np.int64)
    _assert_twin(x, starts, lengths, offsets)
    for got in _both_kernels(x, starts, lengths, offsets):
        np.testing.assert_allclose(got[0], x.mean(axis=0), rtol=1e-15)
        np.testing.assert_allclose(got[1], (x[4] + x[:4].sum(axis=0)) / 5, rtol=1e-15)
        np.testing.assert_allclose(got[2], (x[[3, 4, 0, 2, 3]]).mean(axis=0), rtol=1e-15)


@settings(max_examples=60, deadline=None)
@given(n_obs=st.integers(2, 60), k=st.integers(1, 4), seed=st.integers(0, 2**32 - 1),
       data=st.data())
def test_block_kernels_match_twin_random(n_obs, k, seed, data):
    block_size = data.draw(st.integers(1, n_obs - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_obs, k)) * rng.uniform(0.01, 100) + rng.uniform(-1, 1)
    _assert_twin(x, *_draws(seed, n_obs, block_size, 9))


@pytest.mark.parametrize(("n_obs", "max_lag"), [(2, 1), (3, 2), (7, 6), (50, 12), (300, 40)])
def test_autocovariances_match_twin(n_obs, max_lag):
    rng = np.random.default_rng(n_obs)
    x = rng.standard_normal((n_obs, 3))
    x[:, 1] = np.cumsum(x[:, 1])  # persistent series
    demeaned = np.ascontiguousarray((x - x.mean(axis=0)).T)
    got = autocovariances(demeaned, max_lag)
    for j in range(3):
        want = naive.autocovariances(x[:, j], max_lag)
        np.testing.assert_allclose(got[j], want, rtol=1e-12, atol=1e-13 * want[0])


def test_autocovariances_of_constant_and_length_two():
    got = autocovariances(np.zeros((2, 9)), 4)
    np.testing.assert_array_equal(got, 0.0)
    pair = np.array([[1.5, -1.5]])
    np.testing.assert_allclose(autocovariances(pair, 1), [[2.25, -1.125]], rtol=1e-15)


@pytest.mark.parametrize("block_size", [1, 3, 8])
def test_serial_and_parallel_kernels_agree_bit_for_bit(block_size):
    """The per-unit code and its order are shared, so the thread count cannot change a bit."""
    from qrp_jupyter.stats import _kernels as k

    x = np.random.default_rng(block_size).standard_normal((700, 9))
    starts, lengths, offsets = _draws(2, 700, block_size, 45)
    table = _prefix(x)
    np.testing.assert_array_equal(k._prefix_parallel(table, starts, lengths, offsets),
                                  k._prefix_serial(table, starts, lengths, offsets))
    np.testing.assert_array_equal(k._weighted_parallel(x, starts, lengths, offsets),
                                  k._weighted_serial(x, starts, lengths, offsets))
    xt = np.ascontiguousarray((x - x.mean(axis=0)).T)
    np.testing.assert_array_equal(k._acov_parallel(xt, 30), k._acov_serial(xt, 30))


@pytest.mark.parametrize("block_size", [2, 5, 48])
def test_geometric_lengths_match_twin(block_size):
    lam = -np.log1p(-1.0 / block_size)
    k = np.concatenate([[0, 1, 2**51, 2**52 - 1],
                        np.random.default_rng(block_size).integers(0, 2**52, 5000)])
    got = geometric_lengths(k, lam)
    # Equal except where -log(U) / lam falls within rounding of an integer (never, here).
    np.testing.assert_array_equal(got, naive.geometric_lengths(k, lam))
    assert got.min() >= 1 and abs(got[4:].mean() - block_size) < 0.1 * block_size
    assert geometric_lengths(k[:0], lam).shape == (0,)

"""The stationary bootstrap: the draw protocol, and the public helper against the twin."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from qrp_jupyter.errors import ConfigError, DataError
from qrp_jupyter.stats import _kernels, bootstrap, stationary_bootstrap_means
from qrp_jupyter.stats.bootstrap import draw_blocks

from . import naive


@pytest.mark.parametrize(("n_obs", "block_size"), [(2, 1), (7, 1), (7, 6), (500, 4), (500, 25)])
def test_draws_cover_each_replicate_exactly(n_obs, block_size):
    starts, lengths, offsets = naive.collect_draws(
        draw_blocks(np.random.default_rng(0), n_obs, block_size, 40))
    assert offsets.shape == (41,) and offsets[0] == 0
    assert starts.dtype == np.int64 and lengths.dtype == np.int64
    assert ((starts >= 0) & (starts < n_obs)).all()
    assert ((lengths >= 1) & (lengths <= n_obs)).all()
    per_rep = np.add.reduceat(lengths, offsets[:-1])
    np.testing.assert_array_equal(per_rep, n_obs)


def test_block_lengths_are_geometric_with_mean_b():
    b, n_obs = 8, 100_000
    draws = draw_blocks(np.random.default_rng(5), n_obs, b, 3)
    starts, lengths, offsets = naive.collect_draws(draws)
    # drop each replicate's last (truncated) block
    whole = np.delete(lengths, offsets[1:] - 1)
    assert abs(whole.mean() - b) < 4 * np.sqrt(b * (b - 1) / whole.size)
    # P(L = 1) = 1/b, P(L > j) = (1 - 1/b)^j
    for j in (1, 4, 16):
        want = (1 - 1 / b) ** j
        assert abs((whole > j).mean() - want) < 4 * np.sqrt(want * (1 - want) / whole.size)
    # starts are uniform: every decile holds about a tenth
    counts = np.bincount(starts * 10 // n_obs, minlength=10)
    assert np.abs(counts / counts.sum() - 0.1).max() < 0.01


def test_draws_do_not_depend_on_chunking(monkeypatch):
    want = naive.collect_draws(draw_blocks(np.random.default_rng(2), 300, 3, 50))
    monkeypatch.setattr(bootstrap, "_BLOCK_BUDGET", 500)
    chunks = list(draw_blocks(np.random.default_rng(2), 300, 3, 50))
    assert len(chunks) > 5
    got = naive.collect_draws(chunks)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("block_size", [1, 2, 4, 5, 9, 60])
@pytest.mark.parametrize("recenter", [False, True])
def test_public_helper_matches_twin_from_the_same_draws(block_size, recenter):
    rng = np.random.default_rng(block_size)
    x = rng.standard_normal((120, 5)) + np.array([0.0, 1.0, -3.0, 1e3, 0.0])
    x[:, 4] = 2.5  # constant column
    got = stationary_bootstrap_means(x, block_size=block_size, reps=37,
                                     rng=np.random.default_rng(11), recenter=recenter)
    draws = naive.collect_draws(draw_blocks(np.random.default_rng(11), 120, block_size, 37))
    want = naive.bootstrap_means(x, *draws, recenter=recenter)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_result_does_not_depend_on_chunking_or_threads(monkeypatch):
    x = np.random.default_rng(0).standard_normal((400, 6))
    for b in (2, 7):
        want = stationary_bootstrap_means(x, block_size=b, reps=61, rng=np.random.default_rng(4))
        with monkeypatch.context() as m:
            m.setattr(bootstrap, "_BLOCK_BUDGET", 1000)
            chunked = stationary_bootstrap_means(x, block_size=b, reps=61,
                                                 rng=np.random.default_rng(4))
        np.testing.assert_array_equal(chunked, want)
        with monkeypatch.context() as m:  # force the parallel kernels, on 1 thread and on all
            m.setattr(_kernels, "PARALLEL_MIN_WORK", 0)
            threads = numba.get_num_threads()
            for n_threads in {1, threads}:
                numba.set_num_threads(n_threads)
                try:
                    parallel = stationary_bootstrap_means(x, block_size=b, reps=61,
                                                          rng=np.random.default_rng(4))
                finally:
                    numba.set_num_threads(threads)
                np.testing.assert_array_equal(parallel, want)


def test_bootstrap_mean_of_means_is_the_sample_mean():
    x = np.random.default_rng(9).standard_normal((300, 3)) + 2.0
    means = stationary_bootstrap_means(x, block_size=6, reps=4000, rng=np.random.default_rng(1))
    # E*[mean*] = mean exactly for the stationary bootstrap (wrap-around, uniform starts)
    se = means.std(axis=0) / np.sqrt(means.shape[0])
    assert (np.abs(means.mean(axis=0) - x.mean(axis=0)) < 4 * se).all()


def test_helper_validates():
    x = np.ones((10, 2))
    with pytest.raises(ConfigError, match="block_size"):
        stationary_bootstrap_means(x, block_size=0, reps=5, rng=np.random.default_rng())
    with pytest.raises(ConfigError, match="reps"):
        stationary_bootstrap_means(x, block_size=2, reps=0, rng=np.random.default_rng())
    with pytest.raises(TypeError, match="Generator"):
        stationary_bootstrap_means(x, block_size=2, reps=5, rng=3)
    x[3, 1] = np.nan
    with pytest.raises(DataError, match="column 1"):
        stationary_bootstrap_means(x, block_size=2, reps=5, rng=np.random.default_rng())


def test_a_short_batch_continues_the_same_stream():
    """When a batch of lengths falls short, the next batch continues the exponential stream."""
    lam = -np.log1p(-1 / 4)
    _, small = bootstrap._one_replicate(np.random.default_rng(8), 200, 4, 3, lam)
    _, large = bootstrap._one_replicate(np.random.default_rng(8), 200, 4, 500, lam)
    np.testing.assert_array_equal(small, large)
    assert small.sum() == 200

"""The block bootstrap-t behind the studentized Reality Check, SPA and StepM: the closed-form
stationary-bootstrap variance (against arch and a twin), each replicate's natural block variance
(against a twin), and what studentizing must and must not change."""

from __future__ import annotations

import math
import warnings

import numba
import numpy as np
import pytest

from qrp_jupyter.errors import ConfigError, DataError
from qrp_jupyter.identity import resolve_seed
from qrp_jupyter.stats import (
    _kernels, reality_check, spa, spa_stepm, stationary_bootstrap_means,
    stationary_bootstrap_moments, stationary_bootstrap_variance, stepm,
)
from qrp_jupyter.stats.bootstrap import draw_blocks
from qrp_jupyter.stats.multiple_testing import DEGENERATE_SHARE, bootstrap_differentials

from . import naive


def _dependent_panel(n_obs, seed):
    """Four columns: iid, a random walk (persistent), AR(1) 0.5, iid plus a large offset."""
    rng = np.random.default_rng(seed)
    e = rng.standard_normal((n_obs, 4))
    x = e.copy()
    x[:, 1] = np.cumsum(e[:, 1]) * 0.1
    for t in range(1, n_obs):
        x[t, 2] = 0.5 * x[t - 1, 2] + e[t, 2]
    x[:, 3] += 1e3
    return x


# ----------------------------------------------------------------------------- closed form
@pytest.mark.parametrize(("n_obs", "block_size"), [
    (2, 1), (3, 2), (50, 1), (50, 49), (300, 3), (300, 7), (300, 40), (1000, 12)])
def test_closed_form_variance_equals_arch_and_the_twin(n_obs, block_size):
    arch_bootstrap = pytest.importorskip("arch.bootstrap")
    x = _dependent_panel(n_obs, seed=n_obs + block_size)
    got = stationary_bootstrap_variance(x, block_size=block_size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        test = arch_bootstrap.SPA(np.zeros(n_obs), -x, block_size=block_size, reps=10, seed=1)
        test._compute_variance()  # arch's O(T^2 k) loop over lags, the same formula
    np.testing.assert_allclose(got, test._loss_diff_var, rtol=1e-11)
    twin = np.square(naive.closed_form_omega(x, block_size))
    np.testing.assert_allclose(got, twin, rtol=1e-11)


def test_closed_form_variance_is_the_bootstrap_variance_of_the_mean():
    """It is what it claims: the variance of sqrt(T) mean* over many replicates, within Monte
    Carlo error (the sample variance of B draws has relative sd sqrt(2 / B) or more)."""
    x = _dependent_panel(400, seed=3)
    reps = 20_000
    means = stationary_bootstrap_means(x, block_size=6, reps=reps,
                                       rng=np.random.default_rng(11), recenter=True)
    mc = 400 * np.square(means).mean(axis=0)
    closed = stationary_bootstrap_variance(x, block_size=6)
    assert np.abs(mc / closed - 1).max() < 5 * math.sqrt(2 / reps) * 2


def test_closed_form_variance_special_cases():
    x = np.random.default_rng(1).standard_normal((500, 2))
    x[:, 1] = 7.0
    v = stationary_bootstrap_variance(x, block_size=1)
    assert v[0] == pytest.approx(np.var(x[:, 0]), rel=1e-13)  # b = 1: the iid bootstrap
    assert v[1] == 0.0
    with pytest.raises(ConfigError, match="block_size"):
        stationary_bootstrap_variance(x, block_size=0)
    with pytest.raises(DataError):
        stationary_bootstrap_variance(np.array([1.0, np.nan, 2.0]), block_size=1)


# ----------------------------------------------------------------------------- replicate variances
@pytest.mark.parametrize("block_size", [1, 2, 4, 5, 9, 60])
def test_moments_match_the_twin_and_the_means_helper(block_size):
    x = _dependent_panel(120, seed=block_size)
    x[:, 0] = 2.5  # constant: every replicate's block variance is 0 up to rounding
    means, variances = stationary_bootstrap_moments(x, block_size=block_size, reps=31,
                                                    rng=np.random.default_rng(4))
    draws = naive.collect_draws(draw_blocks(np.random.default_rng(4), 120, block_size, 31))
    want = np.square(naive.replicate_omegas(x, *draws))
    np.testing.assert_allclose(variances[:, 1:], want[:, 1:], rtol=1e-9)
    assert np.abs(variances[:, 0]).max() < 1e-20
    same = stationary_bootstrap_means(x, block_size=block_size, reps=31,
                                      rng=np.random.default_rng(4), recenter=True)
    np.testing.assert_allclose(means, same, rtol=0, atol=1e-9)
    if block_size >= 5:  # the same prefix-sum kernel: the same bits
        np.testing.assert_array_equal(means, same)


def test_moments_kernel_is_thread_invariant():
    x = _dependent_panel(300, seed=2)
    table = np.zeros((301, 4))
    np.cumsum(x - x.mean(axis=0), axis=0, out=table[1:])
    starts, lengths, offsets = naive.collect_draws(
        draw_blocks(np.random.default_rng(3), 300, 6, 64))
    serial = _kernels._moments_serial(table, starts, lengths, offsets)
    parallel = _kernels._moments_parallel(table, starts, lengths, offsets)
    assert numba.config.NUMBA_NUM_THREADS >= 1
    for s, p in zip(serial, parallel):
        np.testing.assert_array_equal(s, p)


def test_replicate_variances_average_to_the_closed_form():
    """Geometric blocks of mean b hold a lag-h pair with probability (1 - 1/b)^h, the weight
    of lag h in the closed form: so the replicate variances average to it, up to O(b / T)."""
    x = _dependent_panel(2000, seed=8)
    _, variances = stationary_bootstrap_moments(x, block_size=8, reps=2000,
                                                rng=np.random.default_rng(1))
    ratio = variances.mean(axis=0) / stationary_bootstrap_variance(x, block_size=8)
    assert np.abs(ratio - 1).max() < 0.06, ratio


# ----------------------------------------------------------------------------- the tests
def test_studentized_statistics_do_not_depend_on_each_models_scale():
    """A bootstrap-t is scale-free per model: multiplying one model's differential by 1000
    changes neither the statistics nor the p-values nor the StepM decision; without
    studentization the rescaled model takes over the maximum."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((600, 6)) * 0.01
    x[:, 2] += 0.002
    y = x.copy()
    y[:, 4] *= 1000.0
    for studentize in (True, False):
        a = spa(x, reps=199, seed=3, studentize=studentize)
        b = spa(y, reps=199, seed=3, studentize=studentize)
        if studentize:
            np.testing.assert_allclose(a.model_statistics, b.model_statistics, rtol=1e-9)
            np.testing.assert_allclose(a.null_distribution, b.null_distribution, rtol=1e-9)
            assert a.pvalues == b.pvalues
            assert stepm(x, reps=199, seed=3).superior == stepm(y, reps=199, seed=3).superior
        else:
            assert b.best_model == 4 and a.best_model == 2


def test_bootstrap_t_replicates_divide_by_their_own_spread():
    x = _dependent_panel(300, seed=4)
    res = reality_check(x, reps=50, block_size=6, seed=9, studentize=True)
    rng, _ = resolve_seed(9, salt="reality_check", params={"reps": 50, "block_size": 6})
    dev, var = stationary_bootstrap_moments(x, block_size=6, reps=50, rng=rng)
    np.testing.assert_allclose(res.null_distribution,
                               (math.sqrt(300) * dev / np.sqrt(var)).max(axis=1), rtol=1e-12)
    omega = np.sqrt(stationary_bootstrap_variance(x, block_size=6))
    assert res.statistic == pytest.approx((math.sqrt(300) * x.mean(axis=0) / omega).max(),
                                          rel=1e-12)


def test_spa_stepm_one_pass_equals_separate_calls_when_studentized():
    x = _dependent_panel(400, seed=6)[:, :3] * 0.01
    x[:, 0] += 0.003
    both = spa_stepm(x, reps=99, seed=2)
    assert both[0].pvalues == spa(x, reps=99, seed=2).pvalues
    assert both[1].superior == stepm(x, reps=99, seed=2).superior


def test_degenerate_replicates_are_zero_or_infinite_never_nan():
    """A rotation of the sample (one block round the circle) re-centres to exactly 0; a
    replicate drawing one value only has no spread but a mean away from the sample's."""
    x = np.zeros((3, 2))
    x[:, 0] = [0.1, 0.2, 0.6]
    x[:, 1] = [1.0, 0.0, 0.0]
    boot = bootstrap_differentials(x, reps=400, block_size=2, seed=1, salt="t",
                                   studentize=True)
    scales = boot.null_scales(True)
    degenerate = boot.replicate_omega == 0.0
    assert degenerate.any() and not degenerate.all()
    assert (boot.replicate_omega[~degenerate]
            > DEGENERATE_SHARE * boot.omega[np.nonzero(~degenerate)[1]]).all()
    assert np.isinf(scales[degenerate]).all()
    res = spa(x, reps=400, block_size=2, seed=1)
    assert not np.isnan(res.null_distribution).any()
    sm = stepm(x, reps=400, block_size=2, seed=1)
    assert not np.isnan(sm.null_distributions).any()


def test_null_scales_refuse_a_pass_run_without_studentization():
    boot = bootstrap_differentials(np.random.default_rng(0).standard_normal((50, 2)), reps=9,
                                   block_size=2, seed=1, salt="t", studentize=False)
    assert boot.replicate_omega is None
    np.testing.assert_array_equal(boot.null_scales(False), math.sqrt(50))
    with pytest.raises(RuntimeError, match="studentize=True"):
        boot.null_scales(True)

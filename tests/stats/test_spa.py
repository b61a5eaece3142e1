"""Hansen's SPA and the studentized Reality Check: twins, arch cross-checks, edge cases, seeds,
the result object, validation, and (slow) size and power."""

from __future__ import annotations

import doctest
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from qrp_jupyter.errors import ConfigError, DataError
from qrp_jupyter.identity import SeedRecord, canonical_json, resolve_seed
from qrp_jupyter.stats import _kernels, multiple_testing, reality_check
from qrp_jupyter.stats import hansen_spa as spa_module
from qrp_jupyter.stats.bootstrap import draw_blocks
from qrp_jupyter.stats.results import SPAPValues, SPAResult
from qrp_jupyter.stats.hansen_spa import spa
from qrp_jupyter.stats.romano_wolf import spa_stepm, stepm

from . import naive

RUN_KEY = "0" * 64
KINDS = ("lower", "consistent", "upper")


def _panel(n_obs=300, k=6, seed=0):
    return np.random.default_rng(seed).standard_normal((n_obs, k)) * 0.01


def _draws(seed, n_obs, block_size, reps):
    rng, _ = resolve_seed(seed)
    return naive.collect_draws(draw_blocks(rng, n_obs, block_size, reps))


def _mixed_panel(n_obs, k, seed):
    """Noise, one edge, a clearly bad model, a constant edge, a copy of the benchmark."""
    x = _panel(n_obs, k, seed)
    x[:, 0] += 0.004
    if k > 2:
        x[:, 1] -= 0.02
    if k > 4:
        x[:, 3] = 0.0005
        x[:, 4] = 0.0
    return x


# ----------------------------------------------------------------------------- twins
@pytest.mark.parametrize("studentize", [True, False])
@pytest.mark.parametrize(("n_obs", "k", "block_size"), [
    (2, 1, 1), (3, 2, 2), (40, 3, 1), (60, 5, 39), (120, 6, 4), (150, 7, 6)])
def test_spa_matches_twin_from_the_same_draws(n_obs, k, block_size, studentize):
    x = _mixed_panel(n_obs, k, seed=n_obs + k)
    if k == 7:
        x[:, 3] = -0.0005  # constant and below the benchmark: -inf when studentized
    bench = np.zeros(n_obs) if k == 7 else np.random.default_rng(1).standard_normal(n_obs) * 1e-3
    res = spa(x, bench, reps=60, block_size=block_size, studentize=studentize, seed=3)
    stat, nulls, pvalues, recentred = naive.spa(x - bench[:, None],
                                                *_draws(3, n_obs, block_size, 60),
                                                studentize=studentize, block_size=block_size)
    assert res.statistic == pytest.approx(stat, rel=1e-12)
    for i, kind in enumerate(KINDS):
        np.testing.assert_allclose(res.null_distribution[:, i], nulls[kind], rtol=1e-12,
                                   atol=1e-12)
        assert res.pvalues[kind] == pvalues[kind], kind
    assert res.n_recentred == recentred
    assert res.studentized is studentize


@pytest.mark.parametrize(("n_obs", "k", "block_size"), [(2, 1, 1), (50, 4, 3), (120, 6, 7)])
def test_studentized_reality_check_matches_twin(n_obs, k, block_size):
    x = _mixed_panel(n_obs, k, seed=k)
    res = reality_check(x, reps=50, block_size=block_size, seed=4, studentize=True)
    stat, null, pvalue = naive.reality_check(x, *_draws(4, n_obs, block_size, 50),
                                             studentize=True, block_size=block_size)
    assert res.statistic == pytest.approx(stat, rel=1e-12)
    np.testing.assert_allclose(res.null_distribution, null, rtol=1e-12, atol=1e-12)
    assert res.pvalue == pvalue
    assert res.studentized and res.studentization.startswith("bootstrap-t(")


def _times(z, scale):
    """z * scale, except that 0 stays 0 under an infinite scale (a zero standard deviation)."""
    with np.errstate(invalid="ignore"):
        return np.where(z == 0.0, 0.0, z * scale)


@pytest.mark.parametrize("per_replicate", [False, True])
def test_shifted_maxima_kernel_matches_numpy_and_is_thread_invariant(per_replicate):
    rng = np.random.default_rng(0)
    dev = rng.standard_normal((300, 40))
    dev[:, 4] = 0.0  # a constant model: zero deviations
    scale = rng.uniform(0.5, 2.0, (300, 40) if per_replicate else (1, 40))
    scale[:, 4] = np.inf
    if per_replicate:
        scale[7, 9] = np.inf  # one replicate without spread in a varying column, above 0
        dev[7, 9] = 0.3
    shifts = np.vstack([np.minimum(rng.standard_normal(40), 0.0), np.zeros(40)])
    shifts[0, 4] = -0.5  # the constant model left below zero: -inf under its infinite scale
    want = np.stack([_times(dev + row, scale).max(axis=1) for row in shifts], axis=1)
    got = _kernels.shifted_maxima(dev, scale, shifts)
    np.testing.assert_array_equal(got, want)
    assert not np.isnan(got).any()
    if per_replicate:
        assert got[7, 1] == np.inf
    st = np.ascontiguousarray(shifts.T)
    np.testing.assert_array_equal(_kernels._shifted_parallel(dev, scale, st),
                                  _kernels._shifted_serial(dev, scale, st))
    with pytest.raises(ValueError, match="1 or 300"):
        _kernels.shifted_maxima(dev, np.ones((2, 40)), shifts)


# ----------------------------------------------------------------------------- definitions
def test_pvalues_are_ordered_and_upper_is_the_reality_check():
    """lower <= consistent <= upper; non-studentized upper = the Reality Check on one seed,
    studentized upper = the studentized Reality Check (the max is positive here)."""
    x = _panel(400, 12, seed=2)
    x[:, 0] += 0.0005
    x[:, 6:] -= 0.003  # clearly bad: re-centred by neither lower nor consistent
    for studentize in (False, True):
        res = spa(x, reps=299, seed=5, studentize=studentize)
        p = res.pvalues
        assert p.lower <= p.consistent <= p.upper
        rc = reality_check(x, reps=299, seed=5, studentize=studentize)
        assert res.statistic == rc.statistic > 0
        assert p.upper == rc.pvalue
        np.testing.assert_array_equal(res.null_distribution[:, 2],
                                      np.maximum(rc.null_distribution, 0.0))
        assert res.n_recentred["consistent"] == 6 and res.n_recentred["upper"] == 12
        assert p.lower < p.consistent < p.upper


def test_no_model_above_the_benchmark_gives_pvalue_one():
    x = _panel(200, 5, seed=3) - 0.002
    res = spa(x, reps=99, seed=1)
    assert res.statistic == 0.0 and max(res.model_statistics) < 0
    assert dict(res.pvalues) == {"lower": 1.0, "consistent": 1.0, "upper": 1.0}


def test_constant_differentials():
    """A copy of the benchmark: statistic 0, p = 1. A constant edge: infinitely significant
    when studentized (p = 1/(B+1)), written as "inf" in the JSON record."""
    bench = np.random.default_rng(0).standard_normal(60)
    copy = spa(bench[:, None], bench, reps=99, block_size=3, seed=1)
    assert copy.statistic == 0.0 and copy.pvalue == 1.0
    np.testing.assert_array_equal(copy.null_distribution, 0.0)
    x = np.column_stack([np.full(60, 1e-4), _panel(60, 2, seed=1)[:, 0], np.full(60, -1e-4)])
    edge = spa(x, reps=99, block_size=3, seed=1)
    assert edge.statistic == math.inf and edge.best_model == 0
    assert edge.model_statistics[2] == -math.inf
    assert dict(edge.pvalues) == {k: 0.01 for k in KINDS}
    assert np.isfinite(edge.null_distribution).all()
    assert edge.to_dict()["statistic"] == "inf"
    canonical_json(edge.to_dict())
    raw = spa(x, reps=99, block_size=3, seed=1, studentize=False)
    # unstudentized, the certain but small gain is swamped by the noise model's bootstrap maxima
    assert raw.statistic == pytest.approx(math.sqrt(60) * 1e-4) and raw.pvalue > 0.1


def test_consistent_threshold_is_hansens():
    assert spa_module.consistent_threshold(1000) == pytest.approx(
        math.sqrt(2 * math.log(math.log(1000))))
    assert spa_module.consistent_threshold(2) == 0.0
    # a model exactly at the threshold is re-centred, one just below is not
    x = _panel(500, 3, seed=9)
    boot = multiple_testing.bootstrap_differentials(x, reps=200, block_size=2, seed=3,
                                                    salt="spa", studentize=False)
    limit = -spa_module.consistent_threshold(500) * boot.omega / math.sqrt(500)
    kept, counts = spa_module.null_means(boot)
    np.testing.assert_array_equal(kept[1] == 0.0, boot.means >= limit)
    np.testing.assert_array_equal(kept[0], np.minimum(boot.means, 0.0))
    np.testing.assert_array_equal(kept[2], 0.0)


# ----------------------------------------------------------------------------- arch
def _arch_spa(x, bench, block_size, reps, seed):
    arch_bootstrap = pytest.importorskip("arch.bootstrap")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        test = arch_bootstrap.SPA(-bench, -x, block_size=block_size, reps=reps,
                                  bootstrap="stationary", studentize=False,
                                  seed=np.random.default_rng(seed))
        test.compute()
    return {kind: float(test.pvalues[kind]) for kind in KINDS}


@pytest.mark.slow
@pytest.mark.parametrize("case", ["pure noise", "planted edge", "very bad models"])
def test_pvalues_agree_with_arch(case):
    """Our non-studentized p-values vs arch's SPA (whose statistic is unstudentized whatever
    `studentize` says). Independent draws: |diff| <= 4 sd(p) + 0.01 at B = 2000."""
    reps, n_obs, k = 2000, 1000, 20
    rng = np.random.default_rng(21)
    bench = rng.standard_normal(n_obs) * 0.002
    x = rng.standard_normal((n_obs, k)) * 0.01 + bench[:, None]
    if case == "planted edge":
        x[:, 7] += 0.0017  # p near 0.005: the tails of both must agree
    elif case == "very bad models":
        x[:, 2] += 0.0005          # borderline edge
        x[:, 10:] -= 0.002         # ten models far below the benchmark (t ~ -6)
        x[:, 5:10] -= 0.0002       # five slightly below (t ~ -0.6): consistent re-centres them
    ours = spa(x, bench, reps=reps, studentize=False, seed=SeedRecord(RUN_KEY, "spa-arch"))
    theirs = _arch_spa(x, bench, ours.block_size, reps, seed=22)
    for kind in KINDS:
        p = ours.pvalues[kind]
        assert abs(p - theirs[kind]) <= 4 * math.sqrt(p * (1 - p) / reps) + 0.01, (
            kind, ours.pvalues, theirs)
    if case == "planted edge":
        assert ours.pvalue < 0.05 and ours.best_model == 7
    if case == "very bad models":
        # none of the ten far-below models is re-centred; the consistent rule re-centres more
        # than the lower one (models a little below zero), and the three p-values differ
        assert 10 >= ours.n_recentred["consistent"] > ours.n_recentred["lower"]
        assert ours.pvalues.upper - ours.pvalues.lower > 0.05  # the three really differ


# ----------------------------------------------------------------------------- Reality Check
@pytest.mark.parametrize("studentize", [False, True])
def test_reality_check_both_variants_reject_a_strong_signal_and_not_noise(studentize):
    n_obs, reps = 500, 499
    x = _panel(n_obs, 4, seed=5)
    noise = reality_check(x, reps=reps, seed=2, studentize=studentize)
    assert noise.pvalue > 0.2
    x[:, 2] = 0.01 + np.random.default_rng(6).standard_normal(n_obs) * 0.01  # t ~ 22
    strong = reality_check(x, reps=reps, seed=2, studentize=studentize)
    assert strong.best_model == 2 and strong.pvalue == 1 / (reps + 1)
    assert strong.studentized is studentize
    d = strong.to_dict()
    assert d["studentized"] is studentize
    assert d["studentization"] == (multiple_testing.STUDENTIZATION_BOOTSTRAP if studentize
                                   else "none")
    assert ("/ omega" in strong.summary()) is studentize


def test_studentization_tames_a_volatile_model():
    """A high-variance noise model dominates the raw maximum; studentized, the steady edge is
    the best model and the test rejects."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((800, 5)) * 0.01
    x[:, 0] += 0.0015                    # steady edge, t ~ 5
    wild = rng.standard_normal(800) * 0.2
    x[:, 1] = wild - wild.mean() + 0.006  # t ~ 0.85, but the largest raw mean
    raw = reality_check(x, reps=499, seed=1)
    stud = reality_check(x, reps=499, seed=1, studentize=True)
    assert raw.best_model == 1 and raw.pvalue > 0.1
    assert stud.best_model == 0 and stud.pvalue < 0.01


# ----------------------------------------------------------------------------- seeds
def test_same_seed_same_result_record_reproduces_and_stepm_shares_replicates():
    x = _panel(300, 8, seed=4)
    x[:, 1] += 0.002
    record = SeedRecord(RUN_KEY, "spa", {"family": "ma-cross"})
    a = spa(x, reps=300, seed=record)
    b = spa(x, reps=300, seed=record)
    np.testing.assert_array_equal(a.null_distribution, b.null_distribution)
    assert a.pvalues == b.pvalues and a.seed_record == record.to_dict()
    again = spa(x, reps=300, seed=a.seed_record)
    np.testing.assert_array_equal(again.null_distribution, a.null_distribution)
    other = spa(x, reps=300, seed=SeedRecord(RUN_KEY, "spa-2"))
    assert not np.array_equal(other.null_distribution, a.null_distribution)
    # one pass for both tests: the same as two calls with the same seed
    joint_spa, joint_stepm = spa_stepm(x, reps=300, seed=record)
    np.testing.assert_array_equal(joint_spa.null_distribution, a.null_distribution)
    alone = stepm(x, reps=300, seed=record)
    np.testing.assert_array_equal(joint_stepm.null_distributions, alone.null_distributions)
    assert joint_stepm.superior == alone.superior == (1,)
    assert joint_spa.seed_record == joint_stepm.seed_record == record.to_dict()
    gen = np.random.default_rng(77)
    by_gen = spa(x, reps=50, seed=gen)
    replay = np.random.default_rng()
    replay.bit_generator.state = by_gen.seed_record["state"]
    np.testing.assert_array_equal(spa(x, reps=50, seed=replay).null_distribution,
                                  by_gen.null_distribution)


# ----------------------------------------------------------------------------- result object
def test_result_object_renders_and_serialises():
    frame = pd.DataFrame(_panel(150, 3, seed=1), columns=["a", "b", "c"],
                         index=pd.date_range("2024-01-01", periods=150, freq="h"))
    frame["b"] += 0.005
    res = spa(frame, reps=99, seed=SeedRecord(RUN_KEY, "spa"))
    assert isinstance(res, SPAResult) and isinstance(res.pvalues, SPAPValues)
    assert (res.best_model, res.best_model_label) == (1, "b")
    assert (res.reps, res.n_obs, res.n_models, res.studentized) == (99, 150, 3, True)
    assert res.pvalue == res.pvalues["consistent"] == res.pvalues.consistent
    assert list(res.pvalues) == list(KINDS) and len(res.pvalues) == 3
    with pytest.raises(KeyError):
        res.pvalues["middle"]
    assert res.null_distribution.shape == (99, 3) and not res.null_distribution.flags.writeable
    assert res.model_statistics.shape == (3,) and not res.model_statistics.flags.writeable
    d = res.to_dict()
    assert "null_distribution" not in d and "model_statistics" not in d
    assert json.loads(json.dumps(d)) == d
    canonical_json(d)
    assert d["pvalues"] == dict(res.pvalues) and d["pvalue"] == res.pvalue
    assert d["studentization"] == multiple_testing.STUDENTIZATION_BOOTSTRAP
    assert d["seed_record"]["salt"] == "spa" and d["best_model_label"] == "b"
    assert set(d["null_quantiles"]) == set(KINDS)
    assert d["block_size_method"] == "politis-white(median over k columns)"
    text = res.summary()
    assert "SPA" in text and "studentized" in text and f"{res.pvalue:.4f}" in text
    assert str(res) == text and "re-centred" in text
    page = res._repr_html_()
    assert page.startswith("<table") and "&#x27;b&#x27;" in page


def test_validation_errors_name_the_problem():
    x = _panel(50, 3)
    for bad in (1, "yes", None):
        with pytest.raises(ConfigError, match="studentize"):
            spa(x, reps=10, studentize=bad)
        with pytest.raises(ConfigError, match="studentize"):
            reality_check(x, reps=10, studentize=bad)
    with pytest.raises(ConfigError, match="reps"):
        spa(x, reps=0)
    with pytest.raises(ConfigError, match="block_size"):
        spa(x, reps=10, block_size=50)
    with pytest.raises(DataError, match="benchmark has 49 periods"):
        spa(x, np.zeros(49), reps=10)
    x[4, 1] = np.inf
    with pytest.raises(DataError, match="non-finite"):
        spa(x, reps=10)


def test_docstring_examples_run():
    for module in (spa_module, multiple_testing):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0


# ----------------------------------------------------------------------------- calibration
@pytest.mark.slow
def test_size_and_power_of_the_consistent_pvalue():
    """Under an iid null with every mean exactly at the boundary (the hardest case: all models
    count), the consistent SPA rejects at 5% about 5% of the time. With 300 independent panels
    the count is Binomial(300, p): at p = 0.05 mean 15, sd 3.8, so [5, 30] is -2.6 sd / +3.9
    sd. The upper bound is looser because a studentized bootstrap max test on T = 250 may
    over-reject slightly (measured once on 2,000 panels: 5.85%, +1.7 sd; 4.95% unstudentized),
    while a 2x over-rejection (30 of 300) fails. StepM's familywise error under the same null
    is held too. A planted edge of 0.25 sd on one model among ten (t ~ 4) is found almost
    always: measured, SPA rejects in 39 of 40 panels and StepM names exactly that model in 36;
    the test asks for 34."""
    n_obs, k, reps, runs = 250, 10, 199, 300
    rng = np.random.default_rng(2024)
    rejected = false_winners = 0
    for r in range(runs):
        x = rng.standard_normal((n_obs, k))
        test, winners = spa_stepm(x, reps=reps, block_size=1, seed=r)
        rejected += test.pvalue <= 0.05
        false_winners += bool(winners.superior)
    assert 5 <= rejected <= 30, rejected
    assert false_winners <= 30, false_winners
    found = 0
    for r in range(40):
        x = rng.standard_normal((n_obs, k))
        x[:, 3] += 0.25
        test, winners = spa_stepm(x, reps=reps, block_size=1, seed=r)
        found += test.pvalue <= 0.05 and winners.superior == (3,)
    assert found >= 34, found

"""White's Reality Check: twin, arch cross-check, seeds, result object, validation."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from qrp_jupyter.errors import ConfigError, DataError
from qrp_jupyter.identity import SeedRecord, canonical_json, resolve_seed
from qrp_jupyter.stats import (
    RealityCheckResult,
    optimal_block_length,
    reality_check,
    stationary_bootstrap_means,
)
from qrp_jupyter.stats.bootstrap import draw_blocks

from . import naive

RUN_KEY = "0" * 64


def _panel(n_obs=300, k=6, seed=0, edge=None):
    x = np.random.default_rng(seed).standard_normal((n_obs, k)) * 0.01
    if edge is not None:
        column, size = edge
        x[:, column] += size * 0.01
    return x


@pytest.mark.parametrize(("n_obs", "k", "block_size"), [
    (2, 1, 1), (3, 2, 2), (40, 1, 1), (40, 3, 39), (120, 5, 4), (120, 5, 6)])
def test_matches_twin_from_the_same_draws(n_obs, k, block_size):
    x = _panel(n_obs, k, seed=n_obs + k)
    bench = np.random.default_rng(1).standard_normal(n_obs) * 0.005
    res = reality_check(x, bench, reps=50, block_size=block_size, seed=3)
    rng, _ = resolve_seed(3)
    draws = naive.collect_draws(draw_blocks(rng, n_obs, block_size, 50))
    stat, null, pvalue = naive.reality_check(x - bench[:, None], *draws)
    assert res.statistic == pytest.approx(stat, rel=1e-12)
    np.testing.assert_allclose(res.null_distribution, null, rtol=1e-12, atol=1e-14)
    assert res.pvalue == pvalue


def test_constant_differentials():
    """A copy of the benchmark: V = 0 and every V* = 0, so p = 1; a constant edge: p = 1/(B+1)."""
    bench = np.random.default_rng(0).standard_normal(50)
    copy = reality_check(bench[:, None], bench, reps=99, block_size=3, seed=1)
    assert copy.statistic == 0.0 and copy.pvalue == 1.0
    np.testing.assert_array_equal(copy.null_distribution, 0.0)
    edge = reality_check(np.full((50, 1), 1e-4), reps=99, block_size=3, seed=1)
    assert edge.pvalue == 0.01


def test_strong_signal_gets_the_smallest_pvalue():
    """The classic bug: without re-centring a t-stat of ~22 gets p ~ 0.5 instead of 1/(B+1)."""
    n_obs, reps = 500, 999
    x = _panel(n_obs, 4, seed=5)
    x[:, 2] = 0.01 + np.random.default_rng(6).standard_normal(n_obs) * 0.01  # t ~ 22
    res = reality_check(x, reps=reps, seed=2)
    t_stat = math.sqrt(n_obs) * x[:, 2].mean() / x[:, 2].std(ddof=1)
    assert t_stat > 20 and res.best_model == 2
    assert res.pvalue == 1 / (reps + 1)
    # what the bug computes: bootstrap maxima that are not re-centred
    means = stationary_bootstrap_means(x, block_size=res.block_size, reps=reps,
                                       rng=resolve_seed(2)[0])
    raw = math.sqrt(n_obs) * means.max(axis=1)
    assert 0.3 < np.mean(raw >= res.statistic) < 0.7


@pytest.mark.parametrize("case", ["pure noise", "planted edge", "dependent with benchmark"])
def test_pvalue_agrees_with_arch(case):
    """Our p-value vs arch's 'upper' p-value of RealityCheck(studentize=False).

    arch's upper p-value re-centres every model (White's Reality Check); it computes the
    statistic from raw mean loss differentials, ``benchmark_loss - model_loss``, which is our
    ``returns - benchmark`` for losses = -returns; it counts ``>`` and omits the +1 (O(1/B)).
    Both are Monte Carlo estimates with independent draws, hence the tolerance.
    """
    arch_bootstrap = pytest.importorskip("arch.bootstrap")
    reps, n_obs, k = 2000, 1000, 10
    rng = np.random.default_rng(11)
    bench = np.zeros(n_obs)
    if case == "pure noise":
        x = rng.standard_normal((n_obs, k)) * 0.01
    elif case == "planted edge":
        x = rng.standard_normal((n_obs, k)) * 0.01
        x[:, 3] += 0.0006  # 0.06 sd: p near 0.01, where the tails of both must agree
    else:
        e = rng.standard_normal((n_obs, k))
        x = np.empty_like(e)
        x[0] = e[0]
        for t in range(1, n_obs):
            x[t] = 0.4 * x[t - 1] + e[t]
        bench = rng.standard_normal(n_obs) * 0.005
        x = x * 0.01 + bench[:, None]
        x[:, 0] += 0.0007
    ours = reality_check(x, bench, reps=reps, seed=SeedRecord(RUN_KEY, "arch-check"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc = arch_bootstrap.RealityCheck(-bench, -x, block_size=ours.block_size, reps=reps,
                                         bootstrap="stationary", studentize=False,
                                         seed=np.random.default_rng(12))
        rc.compute()
    p_arch = float(rc.pvalues["upper"])
    p = ours.pvalue
    assert abs(p - p_arch) <= 4 * math.sqrt(p * (1 - p) / reps) + 0.01, (p, p_arch)
    if case == "planted edge":
        assert ours.best_model == 3 and p < 0.05
    if case == "dependent with benchmark":
        assert ours.block_size > 1


def test_default_block_size_rule_is_recorded():
    x = _panel(800, 5, seed=3)
    res = reality_check(x, reps=20, seed=1)
    lengths = optimal_block_length(x)["stationary"]
    assert res.block_size_method == "politis-white(median over k columns)"
    assert res.block_size_estimate == pytest.approx(float(lengths.median()))
    assert res.block_size == max(1, math.ceil(lengths.median()))
    given = reality_check(x, reps=20, block_size=7, seed=1)
    assert (given.block_size, given.block_size_method, given.block_size_estimate) == (
        7, "given", None)
    # constant differentials have no block length: the median skips them; all constant -> 1
    x[:, 0] = 0.0
    assert reality_check(x, reps=5, seed=1).block_size_estimate == pytest.approx(
        float(lengths.iloc[1:].median()))
    flat = reality_check(np.zeros((30, 2)), reps=5, seed=1)
    assert (flat.block_size, flat.block_size_estimate, flat.pvalue) == (1, None, 1.0)


def test_same_seed_same_result_and_record_reproduces():
    x = _panel(200, 4, seed=8)
    record = SeedRecord(RUN_KEY, "reality_check", {"family": "ma-cross"})
    a = reality_check(x, reps=300, seed=record)
    b = reality_check(x, reps=300, seed=record)
    np.testing.assert_array_equal(a.null_distribution, b.null_distribution)
    assert a.pvalue == b.pvalue
    assert a.seed_record == record.to_dict()
    again = reality_check(x, reps=300, seed=a.seed_record)  # the stored dict is a valid seed
    np.testing.assert_array_equal(again.null_distribution, a.null_distribution)
    other = reality_check(x, reps=300, seed=SeedRecord(RUN_KEY, "reality_check-2",
                                                       {"family": "ma-cross"}))
    assert not np.array_equal(other.null_distribution, a.null_distribution)


def test_int_generator_and_fresh_seeds_are_recorded_reproducibly():
    x = _panel(100, 3, seed=9)
    by_int = reality_check(x, reps=50, seed=123)
    assert by_int.seed_record == {"kind": "int", "entropy": 123}
    np.testing.assert_array_equal(reality_check(x, reps=50, seed=123).null_distribution,
                                  by_int.null_distribution)
    gen = np.random.default_rng(77)
    gen.standard_normal(5)  # a generator part-way through its stream
    by_gen = reality_check(x, reps=50, seed=gen)
    replay = np.random.default_rng()
    replay.bit_generator.state = by_gen.seed_record["state"]
    np.testing.assert_array_equal(reality_check(x, reps=50, seed=replay).null_distribution,
                                  by_gen.null_distribution)
    fresh = reality_check(x, reps=50)
    assert fresh.seed_record["kind"] == "os_entropy"
    ss = np.random.default_rng(np.random.SeedSequence(int(fresh.seed_record["entropy"])))
    np.testing.assert_array_equal(reality_check(x, reps=50, seed=ss).null_distribution,
                                  fresh.null_distribution)


def test_result_object_renders_and_serialises():
    frame = pd.DataFrame(_panel(150, 3, seed=1, edge=(1, 0.5)), columns=["a", "b", "c"],
                         index=pd.date_range("2024-01-01", periods=150, freq="h"))
    res = reality_check(frame, reps=99, seed=SeedRecord(RUN_KEY, "reality_check"))
    assert isinstance(res, RealityCheckResult)
    assert (res.best_model, res.best_model_label) == (1, "b")
    assert (res.reps, res.n_obs, res.n_models, res.studentized) == (99, 150, 3, False)
    assert res.null_distribution.shape == (99,) and not res.null_distribution.flags.writeable
    d = res.to_dict()
    assert "null_distribution" not in d
    assert json.loads(json.dumps(d)) == d
    canonical_json(d)  # plain, finite types only
    assert d["pvalue"] == res.pvalue and d["block_size_method"] == res.block_size_method
    assert d["seed_record"]["salt"] == "reality_check"
    assert d["benchmark"] == "zero" and d["bootstrap"] == "stationary" and d["draw_protocol"] == 2
    assert set(d["null_quantiles"]) == {"0.90", "0.95", "0.99"}
    text = res.summary()
    assert "Reality Check" in text and "studentized" in text and f"{res.pvalue:.4f}" in text
    assert str(res.block_size) in text and "politis-white" in text
    page = res._repr_html_()
    assert page.startswith("<table") and "&#x27;b&#x27;" in page


def test_validation_errors_name_the_problem():
    x = _panel(50, 3)
    with pytest.raises(ConfigError, match="reps"):
        reality_check(x, reps=0)
    with pytest.raises(ConfigError, match="reps"):
        reality_check(x, reps=10.0)
    for bad in (0, 50, 51, 2.5, True):
        with pytest.raises(ConfigError, match="block_size"):
            reality_check(x, reps=10, block_size=bad)
    with pytest.raises(DataError, match="rows"):
        reality_check(x[:1], reps=10)
    with pytest.raises(DataError, match="dimensions"):
        reality_check(x[None], reps=10)
    frame = pd.DataFrame(x, columns=["fast", "slow", "mid"],
                         index=pd.date_range("2024-01-01", periods=50, freq="h"))
    frame.iloc[17, 2] = np.nan
    with pytest.raises(DataError, match=r"'mid' \(column 2\) at row 17 \(index Timestamp"):
        reality_check(frame, reps=10)
    with pytest.raises(DataError, match="benchmark has 49 periods"):
        reality_check(x, np.zeros(49), reps=10)
    with pytest.raises(DataError, match="one series"):
        reality_check(x, np.zeros((50, 2)), reps=10)
    bench = np.zeros(50)
    bench[3] = np.nan
    with pytest.raises(DataError, match="benchmark.*row 3"):
        reality_check(x, bench, reps=10)
    with pytest.raises(DataError, match="index"):
        reality_check(frame.fillna(0.0), pd.Series(0.0, index=range(50)), reps=10)
    with pytest.raises(DataError, match="floating-point"):
        reality_check([["a", "b"], ["c", "d"]], reps=10)


def test_one_dimensional_returns_are_one_model_and_benchmark_shifts():
    x = _panel(100, 1, seed=4)[:, 0]
    bench = np.full(100, 0.001)
    one = reality_check(x, bench, reps=50, block_size=2, seed=1)
    two = reality_check((x - bench)[:, None], reps=50, block_size=2, seed=1)
    assert one.n_models == 1
    assert one.statistic == pytest.approx(two.statistic, rel=1e-12)
    np.testing.assert_allclose(one.null_distribution, two.null_distribution, rtol=1e-10,
                               atol=1e-15)

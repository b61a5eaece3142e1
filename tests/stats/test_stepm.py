"""Romano-Wolf StepM: twin, adjusted p-values, the step-down, arch cross-checks, seeds, the
result object and validation."""

from __future__ import annotations

import doctest
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrp_jupyter.errors import ConfigError
from qrp_jupyter.identity import SeedRecord, canonical_json, resolve_seed
from qrp_jupyter.stats import _kernels
from qrp_jupyter.stats import romano_wolf as stepm_module
from qrp_jupyter.stats.bootstrap import draw_blocks
from qrp_jupyter.stats.multiple_testing import STUDENTIZATION_BOOTSTRAP
from qrp_jupyter.stats.results import StepMResult, StepMStep
from qrp_jupyter.stats.romano_wolf import stepm

from . import naive

RUN_KEY = "0" * 64


def _draws(seed, n_obs, block_size, reps):
    rng, _ = resolve_seed(seed)
    return naive.collect_draws(draw_blocks(rng, n_obs, block_size, reps))


def _exact_t(x, column, t, rng):
    """Put noise with sample t-statistic exactly ``t`` (sd 0.01) into ``column``."""
    e = rng.standard_normal(x.shape[0])
    e = (e - e.mean()) / e.std()
    x[:, column] = 0.01 * (e + t / math.sqrt(x.shape[0]))


def _edges_panel(n_obs, k, seed, edges):
    """Noise (sd 0.01) with exact t-statistics ``edges[column]`` planted."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_obs, k)) * 0.01
    for column, t in edges.items():
        _exact_t(x, column, t, rng)
    return x


# ----------------------------------------------------------------------------- twin
@pytest.mark.parametrize("studentize", [True, False])
@pytest.mark.parametrize(("n_obs", "k", "block_size", "size"), [
    (2, 1, 1, 0.5), (3, 2, 2, 0.4), (40, 4, 1, 0.2), (80, 6, 5, 0.1), (150, 12, 3, 0.05),
    (150, 12, 8, 0.2)])
def test_stepm_matches_twin_from_the_same_draws(n_obs, k, block_size, size, studentize):
    rng = np.random.default_rng(n_obs * k)
    x = rng.standard_normal((n_obs, k)) * 0.01
    x[:, : k // 2] += np.linspace(0.0005, 0.004, k // 2)  # a ladder of edges: several steps
    if k >= 6:
        x[:, -1] = 0.0002   # a constant edge (+inf when studentized)
        x[:, -2] = 0.0      # a copy of the (zero) benchmark
        x[:, -3] -= 0.01    # clearly bad
    res = stepm(x, size=size, reps=40, block_size=block_size, seed=5, studentize=studentize)
    superior, steps, nulls = naive.stepm(x, *_draws(5, n_obs, block_size, 40), size=size,
                                         studentize=studentize, block_size=block_size)
    assert list(res.superior) == superior
    assert [(s.n_active, list(s.rejected)) for s in res.steps] == steps
    assert res.null_distributions.shape == (len(steps), 40)
    for got, want in zip(res.null_distributions, nulls):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert res.studentized is studentize


@pytest.mark.parametrize("per_replicate", [False, True])
def test_suffix_maxima_kernel_matches_numpy_and_is_thread_invariant(per_replicate):
    rng = np.random.default_rng(1)
    dev = rng.standard_normal((200, 30))
    dev[:, 7] = 0.0
    scale = rng.uniform(0.1, 3.0, (200, 30) if per_replicate else (1, 30))
    scale[:, 7] = np.inf  # a constant model: its zero deviations stay 0, not NaN
    if per_replicate:
        scale[3, 2] = np.inf
    order = rng.permutation(30)
    with np.errstate(invalid="ignore"):
        z = np.where(dev == 0.0, 0.0, dev * scale)[:, order]
    want = np.maximum.accumulate(z[:, ::-1], axis=1)[:, ::-1]
    got = _kernels.suffix_maxima(dev, scale, order)
    np.testing.assert_array_equal(got, want)
    assert not np.isnan(got).any()
    np.testing.assert_array_equal(_kernels._suffix_parallel(dev, scale, order),
                                  _kernels._suffix_serial(dev, scale, order))


# ----------------------------------------------------------------------------- the procedure
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 15), studentize=st.booleans())
def test_adjusted_pvalues_give_the_superior_set_at_every_size(seed, k, studentize):
    """Romano-Wolf (2016): StepM at size a rejects exactly the models with adjusted p <= a;
    every rejected model's statistic is above its step's critical value, every other one not."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((60, k)) * 0.01 + rng.uniform(-0.004, 0.006, k)
    for size in (0.02, 0.05, 0.1, 0.3, 0.6):
        res = stepm(x, size=size, reps=99, block_size=2, seed=seed, studentize=studentize)
        t = res.model_statistics
        want = tuple(int(j) for j in np.flatnonzero((res.adjusted_pvalues <= size) & (t > 0)))
        assert res.superior == want
        active = set(range(k))
        for step in res.steps:
            assert step.n_active == len(active)
            for j in active:
                assert (j in step.rejected) == (t[j] > step.critical_value and t[j] > 0)
            active -= set(step.rejected)
        assert res.steps[-1].rejected == () or not active
    assert ((res.adjusted_pvalues > 0) & (res.adjusted_pvalues <= 1)).all()


def test_step_down_rejects_more_than_a_single_step():
    """Twenty strong edges inflate the first step's critical value; once they are out, a model
    with t = 2.8 clears the second step's (the point of a step-down over a single max test)."""
    edges = {j: 8.0 for j in range(20)}
    edges[25] = 2.8
    x = _edges_panel(400, 30, seed=3, edges=edges)
    res = stepm(x, reps=399, block_size=1, seed=7)
    assert res.superior == tuple(range(20)) + (25,)
    first, second, last = res.steps
    assert first.rejected == tuple(range(20)) and first.n_active == 30
    assert second.rejected == (25,) and second.n_active == 10
    assert second.critical_value < 2.8 < first.critical_value
    assert last.rejected == () and last.n_active == 9
    assert res.adjusted_pvalues[25] <= 0.05


def test_size_must_be_attainable():
    x = np.random.default_rng(0).standard_normal((50, 3))
    for bad in (0.0, 1.0, 1.5, -0.1):
        with pytest.raises(ConfigError, match="size"):
            stepm(x, size=bad, reps=10)
    for bad in ("0.05", None, math.nan):
        with pytest.raises(ConfigError, match="size"):
            stepm(x, size=bad, reps=10)
    with pytest.raises(ConfigError, match=r"raise reps to at least 19"):
        stepm(x, size=0.05, reps=18)
    assert stepm(x, size=0.05, reps=19, seed=1).steps  # 1/(19 + 1) = 0.05 is attainable
    with pytest.raises(ConfigError, match="studentize"):
        stepm(x, reps=10, studentize="no")
    with pytest.raises(ConfigError, match="block_size"):
        stepm(x, reps=20, block_size=0)


# ----------------------------------------------------------------------------- arch
def _arch_superior(x, block_size, reps, seed):
    arch_bootstrap = pytest.importorskip("arch.bootstrap")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        test = arch_bootstrap.StepM(np.zeros(x.shape[0]), -x, size=0.05, block_size=block_size,
                                    reps=reps, bootstrap="stationary", studentize=False,
                                    seed=np.random.default_rng(seed))
        test.compute()
    return set(int(j) for j in test.superior_models)


@pytest.mark.slow
def test_superior_set_equals_arch_on_a_clear_cut_panel():
    """Four edges at t = 9 among 46 noise models: both find exactly the four."""
    x = _edges_panel(1000, 50, seed=31, edges={3: 9.0, 11: 9.0, 29: 9.0, 40: 9.0})
    ours = stepm(x, reps=2000, studentize=False, seed=SeedRecord(RUN_KEY, "stepm-arch"))
    assert set(ours.superior) == _arch_superior(x, ours.block_size, 2000, seed=41) == {
        3, 11, 29, 40}


@pytest.mark.slow
def test_superior_set_agrees_with_arch_on_a_borderline_panel():
    """Fifteen edges with t from 2.0 to 5.5 among 100 models: the ones near the critical value
    (t ~ 3.3) may fall either way in independent draws, so the sets need only overlap, with
    Jaccard >= 0.8 (at most about one disagreement in ten)."""
    t_values = np.linspace(2.0, 5.5, 15)
    x = _edges_panel(1000, 100, seed=32, edges={3 + 6 * i: t for i, t in enumerate(t_values)})
    res = stepm(x, reps=2000, studentize=False, seed=SeedRecord(RUN_KEY, "stepm-arch"))
    ours = set(res.superior)
    theirs = _arch_superior(x, res.block_size, 2000, seed=42)
    jaccard = len(ours & theirs) / len(ours | theirs)
    assert jaccard >= 0.8, (sorted(ours), sorted(theirs))
    assert 6 <= len(ours) <= 14


# ----------------------------------------------------------------------------- result object
def test_result_object_renders_and_serialises():
    x = _edges_panel(300, 4, seed=2, edges={1: 6.0, 3: 5.0})
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"],
                         index=pd.date_range("2024-01-01", periods=300, freq="h"))
    res = stepm(frame, reps=199, seed=SeedRecord(RUN_KEY, "stepm"))
    assert isinstance(res, StepMResult) and isinstance(res.steps[0], StepMStep)
    assert res.superior == (1, 3) and res.superior_labels == ("b", "d")
    assert (res.reps, res.n_obs, res.n_models, res.studentized, res.size) == (
        199, 300, 4, True, 0.05)
    for name in ("model_statistics", "adjusted_pvalues", "null_distributions"):
        assert not getattr(res, name).flags.writeable
    d = res.to_dict()
    assert not {"model_statistics", "null_distributions"} & set(d)
    assert d["adjusted_pvalues"] == [float(p) for p in res.adjusted_pvalues]
    assert json.loads(json.dumps(d)) == d
    canonical_json(d)
    assert d["superior"] == [1, 3] and d["superior_labels"] == ["b", "d"]
    assert d["superior_adjusted_pvalues"] == [0.005, 0.005]
    assert d["steps"][0] == {"step": 1, "n_active": 4, "critical_value":
                             res.steps[0].critical_value, "rejected": [1, 3]}
    assert d["studentization"] == STUDENTIZATION_BOOTSTRAP
    assert d["seed_record"]["salt"] == "stepm"
    text = res.summary()
    assert "StepM" in text and "2 of 4" in text and "'b'" in text and "studentized" in text
    page = res._repr_html_()
    assert page.startswith("<table") and "&#x27;d&#x27;" in page


def test_same_seed_same_result_and_record_reproduces():
    x = _edges_panel(200, 6, seed=5, edges={0: 4.0})
    a = stepm(x, reps=200, seed=SeedRecord(RUN_KEY, "stepm"))
    b = stepm(x, reps=200, seed=a.seed_record)
    np.testing.assert_array_equal(a.null_distributions, b.null_distributions)
    np.testing.assert_array_equal(a.adjusted_pvalues, b.adjusted_pvalues)
    assert a.superior == b.superior and a.steps == b.steps


def test_docstring_examples_run():
    result = doctest.testmod(stepm_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0

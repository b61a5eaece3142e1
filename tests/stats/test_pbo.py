"""PBO by CSCV: the fast kernel against the split-by-split numpy twin, and its behaviour.

Twin tolerance: logits and relative ranks are functions of integer (or half-integer) ranks, so
they must agree to rounding (1e-12); the in-sample best must be the same column. The Sharpe
ratios themselves come from two summation orders (per-block moments vs all rows), 1e-10.
"""

from __future__ import annotations

import doctest
import json
import math

import numba
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrp_jupyter.errors import ConfigError, DataError
from qrp_jupyter.stats import pbo as pbo_module
from qrp_jupyter.stats._pbo_kernels import (
    CANCEL_TOL,
    _cscv_parallel,
    _cscv_serial,
    block_stats,
    cscv_splits,
)
from qrp_jupyter.stats.pbo import _splits, pbo_cscv

from . import naive_pbo

# Under NUMBA_DISABLE_JIT the kernels run on numpy scalars, which warn on the 0 / 0 of a flat
# half before the flat rule overwrites it; compiled code (error_model="numpy") is silent.
pytestmark = pytest.mark.filterwarnings("ignore:.*encountered in scalar divide:RuntimeWarning")

# Under NUMBA_DISABLE_JIT (the coverage run) the behaviour tests would take minutes; the kernel
# bodies are covered by the twin tests.
needs_jit = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="needs compiled kernels")


def _assert_twin(x, n_blocks):
    got = pbo_cscv(x, n_blocks=n_blocks)
    want = naive_pbo.pbo_cscv(x, n_blocks)
    np.testing.assert_allclose(got.logits, want["logits"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got.oos_rank, want["rank"], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(got.in_sample_best, want["best"])
    np.testing.assert_array_equal(got.in_sample_blocks, want["combos"])
    for name in ("is_sharpe", "oos_sharpe"):
        g, w = getattr(got, name), want[name]
        np.testing.assert_array_equal(np.isinf(g), np.isinf(w))
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    assert got.pbo == want["pbo"]
    assert got.n_splits == math.comb(n_blocks, n_blocks // 2) == len(want["logits"])
    return got


@pytest.mark.parametrize(("n_obs", "n_cols", "n_blocks"), [
    (100, 5, 4),
    (203, 7, 8),     # T mod S = 3 rows dropped
    (50, 1, 2),      # one strategy, two blocks
    (41, 3, 2),      # S = 2: one pair of splits; T odd
    (97, 30, 6),     # N > T / S
    (64, 3, 12),     # 5 rows per block, 4 dropped
    (35, 4, 16),     # 2 rows per block, 3 dropped, 12,870 splits
    (8, 2, 8),       # 1 row per block: halves of 4 rows
])
def test_matches_naive_loop_on_random_panels(n_obs, n_cols, n_blocks):
    x = np.random.default_rng(n_obs * 7 + n_cols).standard_normal((n_obs, n_cols)) * 0.01
    got = _assert_twin(x, n_blocks)
    assert got.rows_dropped == n_obs % n_blocks
    assert got.block_rows == n_obs // n_blocks


def test_matches_naive_loop_with_ties():
    """Duplicated columns (a grid whose points trade identically), flat and constant stretches.

    Exact ties in sample go to the first column; out-of-sample ties share their average rank.
    """
    rng = np.random.default_rng(11)
    base = rng.standard_normal((160, 4)) * 0.01
    x = base[:, [0, 1, 1, 2, 0, 3, 1]].copy()      # columns 1, 2, 6 and 0, 4 identical
    x[:80, 3] = 0.0                                # flat for the first half: SR 0 there
    x[40:60, 5] = 0.0                              # flat for one block only
    zeros = np.zeros((160, 1))                     # never trades: SR 0 everywhere
    quarter = np.full((160, 1), 0.25)              # constant gain: +inf in every half
    minus = np.full((160, 1), -0.5)                # constant loss: -inf
    steps = np.repeat([0.25, 0.5, -0.25, 0.25, 0.0, 0.5, 0.5, -0.5], 20)[:, None]
    panel = np.hstack([x, zeros, quarter, minus, steps, quarter])  # quarter twice: tied +inf
    for n_blocks in (2, 4, 8, 12):
        _assert_twin(panel, n_blocks)
    _assert_twin(panel[:, [7, 8]], 8)              # flat vs +inf only
    _assert_twin(panel[:, [0, 4]], 4)              # identical pair: logit 0 in every split


def test_columns_identical_over_part_of_the_sample_tie_there():
    """Grid points often trade identically for a while: over a half where two columns are
    identical their Sharpe ratios must be bit-identical (a tie), not differ by rounding.

    Columns 0 and 1 coincide on the second half of the rows (blocks 4..7 of 8) and both have
    an edge there; column 0 alone has an edge on the first half. Split (0, 1, 2, 3) picks
    column 0 in sample and finds it tied with column 1 out of sample: a half-integer rank.
    Its complement (4, 5, 6, 7) sees 0 and 1 tied in sample and picks the first, column 0.
    """
    rng = np.random.default_rng(21)
    x = rng.standard_normal((160, 5)) * 0.01
    x[:80, 0] += 0.02
    x[80:, 0] += 0.02
    x[80:, 1] = x[80:, 0]
    x[:80, 3] = x[:80, 2]
    res = _assert_twin(x, 8)
    splits = [tuple(row) for row in res.in_sample_blocks.tolist()]
    c, c_bar = splits.index((0, 1, 2, 3)), splits.index((4, 5, 6, 7))
    assert res.in_sample_best[c] == 0 and res.in_sample_best[c_bar] == 0
    assert res.oos_rank[c] * 6 == 4.5          # ranks 4 and 5 of 5 shared
    assert res.oos_rank[c_bar] * 6 == 5.0      # no tie on the first half
    _assert_twin(x, 4)
    _assert_twin(x, 2)


@pytest.mark.parametrize("cancel_tol", [0.0, CANCEL_TOL, np.inf])
def test_exact_route_for_halves_that_would_cancel(cancel_tol):
    """A stretch at a non-zero level with tiny noise (half-sample |SR| ~ 1e6): the fast
    ``(Q - S * mean) / (n - 1)`` keeps few digits there, the exact block decomposition does.

    ``cancel_tol=inf`` sends every column down the exact route: the same ranks as the fast
    route on ordinary columns. ``cancel_tol=0`` turns the safeguard off: the Sharpe ratio of
    the nearly flat stretch is then visibly wrong (kept as a demonstration of why it exists).
    """
    rng = np.random.default_rng(0)
    x = rng.standard_normal((160, 4)) * 0.01
    x[:80, 2] = 0.01 + 1e-9 * rng.standard_normal(80)
    x[:, 3] = 1.0 + 1e-6 * rng.standard_normal(160)
    stats = block_stats(x, 8, 20)
    combos, pair_a, pair_b = _splits(8)
    logits, best, _, is_sr, oos_sr = cscv_splits(stats, combos, pair_a, pair_b, 20, cancel_tol)
    want = naive_pbo.pbo_cscv(x, 8)
    np.testing.assert_allclose(logits, want["logits"], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(best, want["best"])
    # the naive two-pass std has only ~7 digits here itself (deviations of 1e-9 on a level of
    # 1e-2), so the Sharpe ratios are compared at 1e-6
    error = max(np.max(np.abs(is_sr / want["is_sharpe"] - 1)),
                np.max(np.abs(oos_sr / want["oos_sharpe"] - 1)))
    if cancel_tol > 0:
        assert error < 1e-6
    else:
        assert error > 1e-4
    if cancel_tol == CANCEL_TOL:
        np.testing.assert_array_equal(logits, pbo_cscv(x, n_blocks=8).logits)


def test_all_columns_identical_gives_median_rank():
    x = np.tile(np.random.default_rng(2).standard_normal((96, 1)), (1, 5))
    res = _assert_twin(x, 8)
    assert np.all(res.in_sample_best == 0)
    np.testing.assert_array_equal(res.oos_rank, 0.5)
    np.testing.assert_array_equal(res.logits, 0.0)
    assert res.pbo == 1.0  # logit 0 counts as overfit (the paper's <= 0)


def test_one_strategy_has_nothing_to_select():
    res = pbo_cscv(np.random.default_rng(3).standard_normal(40), n_blocks=4)
    np.testing.assert_array_equal(res.logits, 0.0)
    assert res.pbo == 1.0 and res.n_strategies == 1


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n_blocks=st.sampled_from([2, 4, 6, 8]),
       n_cols=st.integers(1, 6), extra=st.integers(0, 7), block_rows=st.integers(1, 12))
def test_matches_naive_loop_property(data, n_blocks, n_cols, extra, block_rows):
    n_obs = max(n_blocks * block_rows, 4) + extra
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_obs, n_cols)) * rng.choice([1e-4, 1e-2, 1.0, 1e3])
    if n_cols > 1 and data.draw(st.booleans()):
        x[:, -1] = x[:, 0]                      # a tie
    if data.draw(st.booleans()):
        x[: n_obs // 2, 0] = 0.0                # a flat stretch
    if data.draw(st.booleans()):
        x += 0.05                               # large mean relative to the spread
    _assert_twin(x, n_blocks)


def test_serial_and_parallel_kernels_agree_bit_for_bit():
    x = np.random.default_rng(5).standard_normal((360, 37))
    x[:, 5] = x[:, 9]
    x[:180, 11] = 0.0
    stats = block_stats(x, 12, 30)
    combos, pair_a, pair_b = _splits(12)
    serial = _cscv_serial(*stats, combos, pair_a, pair_b, 30, CANCEL_TOL)
    parallel = _cscv_parallel(*stats, combos, pair_a, pair_b, 30, CANCEL_TOL)
    for s, p in zip(serial, parallel):
        np.testing.assert_array_equal(s, p)


def test_complementary_pairs():
    for n_blocks in (2, 4, 8, 16):
        combos, pair_a, pair_b = _splits(n_blocks)
        assert combos.shape == (math.comb(n_blocks, n_blocks // 2), n_blocks // 2)
        assert len(pair_a) == len(combos) // 2
        assert sorted(np.concatenate([pair_a, pair_b]).tolist()) == list(range(len(combos)))
        for a, b in zip(pair_a, pair_b):
            assert sorted(combos[a].tolist() + combos[b].tolist()) == list(range(n_blocks))


# ----------------------------------------------------------------------------- behaviour
@needs_jit
def test_skilled_strategy_among_noise_gives_pbo_near_zero():
    """One column with mean 0.25 sd per period among 49 noise columns, T = 1000, S = 16.

    Each half has ~500 rows, so a half-sample SR has standard error ~0.045: the skilled
    column's SR (0.25) beats the best of 49 noise SRs (~0.10 +- 0.02) in sample in nearly every
    split, and then ranks at or near the top out of sample: logits ~ log(50) > 0.
    """
    for seed in (0, 1, 2):
        x = np.random.default_rng(seed).standard_normal((1000, 50))
        x[:, 17] += 0.25
        res = pbo_cscv(x, n_blocks=16)
        assert res.pbo < 0.02
        assert np.mean(res.in_sample_best == 17) > 0.98
        assert np.median(res.logits) == pytest.approx(math.log(50), abs=1e-12)
        assert res.prob_oos_loss < 0.02


@needs_jit
def test_pure_noise_gives_pbo_near_one_half():
    """N = 50 iid noise columns (T = 800, S = 16): mean PBO over 60 seeds in [0.41, 0.59].

    With iid rows and exchangeable columns, the in-sample best's out-of-sample rank is uniform
    on 1..N, so for even N, E[PBO] = P(rank <= N/2) = 1/2 exactly. One panel's PBO is very
    noisy (the splits share data): over 200 seeds its sd was 0.17, so the mean of 60 has
    sd ~0.022 and the band is about +-4 sd.
    """
    values = [pbo_cscv(np.random.default_rng(1000 + s).standard_normal((800, 50)),
                       n_blocks=16).pbo for s in range(60)]
    assert 0.41 < float(np.mean(values)) < 0.59
    assert min(values) < 0.5 < max(values)


@needs_jit
def test_sign_is_not_inverted_winner_always_loses():
    """Strategies whose in-sample winner is the out-of-sample loser must give PBO near 1.

    Each column is demeaned over the whole sample, so its OOS mean is minus its IS mean (equal
    halves): whatever wins in sample loses out of sample. An antithetic pair (b = -a) makes it
    exact: the winner ranks 1 of 2 OOS, w = 1/3, logit = -log 2 in every split, PBO = 1.
    """
    rng = np.random.default_rng(8)
    a = rng.standard_normal(640) * 0.01
    a -= a.mean()
    res = pbo_cscv(np.column_stack([a, -a]), n_blocks=16)
    np.testing.assert_allclose(res.logits, -math.log(2.0), rtol=1e-15)
    assert res.pbo == 1.0
    # 30 strategies with persistent block-level means, each demeaned: the IS winner has the
    # most negative OOS mean, or nearly
    mu = rng.standard_normal((16, 30))
    x = np.repeat(mu, 50, axis=0) + 0.3 * rng.standard_normal((800, 30))
    x -= x.mean(axis=0)
    res = pbo_cscv(x, n_blocks=16)
    assert res.pbo > 0.99
    assert float(np.mean(res.oos_rank)) < 0.15
    assert res.prob_oos_loss == 1.0


@pytest.mark.slow
@needs_jit
def test_full_size_matches_naive_on_sampled_splits():
    """T = 2520, N = 1000, S = 16 (the benchmark size): 150 of the 12,870 splits re-done by the
    numpy loop, in-sample best and logits identical."""
    x = np.random.default_rng(2520).standard_normal((2520, 1000)) * 0.01
    x[:, 7] += 0.002
    res = pbo_cscv(x, n_blocks=16)
    picks = np.random.default_rng(0).choice(res.n_splits, 150, replace=False)
    want = naive_pbo.pbo_cscv(x, 16, splits=picks)
    np.testing.assert_allclose(res.logits[picks], want["logits"], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(res.in_sample_best[picks], want["best"])


# ----------------------------------------------------------------------------- result, inputs
def test_result_object_and_dataframe_labels():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(rng.standard_normal((130, 4)) * 0.01,
                         columns=["fast", "slow", "mid", "edge"],
                         index=pd.date_range("2024-01-01", periods=130, freq="D"))
    frame["edge"] += 0.01
    res = pbo_cscv(frame, n_blocks=8)
    same = pbo_cscv(frame.to_numpy(), n_blocks=8)
    np.testing.assert_array_equal(res.logits, same.logits)
    assert res.labels == ["fast", "slow", "mid", "edge"]
    d = res.to_dict()
    json.dumps(d)
    assert d["pbo"] == res.pbo and d["n_splits"] == 70 and d["rows_dropped"] == 2
    assert d["block_rows"] == 16 and d["rows_used"] == 128
    assert d["top_in_sample_best"][0] == {"column": 3, "label": "edge",
                                          "splits": int(np.sum(res.in_sample_best == 3))}
    assert not any(isinstance(v, (list, np.ndarray)) and len(v) > 10 for v in d.values())
    text = res.summary()
    assert "PBO" in text and "C(8, 4)" in text and "'edge'" in text and "2 oldest" in text
    assert str(res) == text
    html = res._repr_html_()
    assert html.startswith("<table") and "PBO" in html
    for name in ("logits", "oos_rank", "in_sample_best", "is_sharpe", "oos_sharpe",
                 "in_sample_blocks"):
        with pytest.raises(ValueError):
            getattr(res, name)[0] = 1
    assert np.all((res.oos_rank > 0) & (res.oos_rank < 1))
    np.testing.assert_allclose(res.logits, np.log(res.oos_rank / (1 - res.oos_rank)),
                               rtol=1e-12, atol=1e-12)


def test_errors():
    x = np.random.default_rng(0).standard_normal((100, 3))
    with pytest.raises(ConfigError, match="odd"):
        pbo_cscv(x, n_blocks=5)
    with pytest.raises(ConfigError, match="n_blocks"):
        pbo_cscv(x, n_blocks=22)
    with pytest.raises(ConfigError, match="n_blocks"):
        pbo_cscv(x, n_blocks=0)
    with pytest.raises(ConfigError, match="n_blocks"):
        pbo_cscv(x, n_blocks=4.0)
    with pytest.raises(DataError, match="too few"):
        pbo_cscv(x[:15], n_blocks=16)
    with pytest.raises(DataError, match="too few"):
        pbo_cscv(x[:3], n_blocks=2)   # halves of one row: no standard deviation
    bad = x.copy()
    bad[7, 2] = np.inf
    with pytest.raises(DataError, match="row 7"):
        pbo_cscv(bad, n_blocks=4)
    with pytest.raises(DataError, match="dimensions"):
        pbo_cscv(np.zeros((10, 2, 2)), n_blocks=2)


def test_docstring_examples_run():
    result = doctest.testmod(pbo_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0

"""One-book pricing of out-of-sample rows against a plain-Python twin (walk-forward and panels)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qrp_jupyter.engine import (backtest_panel, make_folds, one_book_returns, panel_weights,
                                strategy_returns, walk_forward)
from qrp_jupyter.errors import ConfigError, DataError

from .conftest import engine_settings

TOL = 1e-12


def naive_book(pos, close, rows, trials, cost_bps, funding_bps=None):
    """One account, one loop: flat before the first row and across gaps, closed after the last.

    ``pos`` is (T, k) for one asset or (T, n, k) for a panel (``close`` (T,) or (T, n)).
    Returns (returns, costs) per row.
    """
    pos = np.asarray(pos, dtype=float)
    close = np.asarray(close, dtype=float)
    panel = pos.ndim == 3
    n_assets = close.shape[1] if panel else 1
    cost = cost_bps * 1e-4
    out, costs = [], []
    held = [0.0] * n_assets
    for s, (i, j) in enumerate(zip(rows, trials)):
        if s > 0 and rows[s - 1] != i - 1:
            held = [0.0] * n_assets
        w = [pos[i, a, j] for a in range(n_assets)] if panel else [pos[i, j]]
        r = [close[i + 1, a] / close[i, a] - 1.0 for a in range(n_assets)] if panel \
            else [close[i + 1] / close[i] - 1.0]
        gross = sum(w[a] * r[a] for a in range(n_assets))
        traded = sum(abs(w[a] - held[a]) for a in range(n_assets))
        if s == len(rows) - 1 or rows[s + 1] != i + 1:
            traded += sum(abs(x) for x in w)
        fund = 0.0
        if funding_bps is not None:
            fund = sum(w[a] * funding_bps * 1e-4 for a in range(n_assets))
        out.append(gross - cost * traded - fund)
        costs.append(cost * traded)
        held = w
    return np.array(out), np.array(costs)


def market(n_bars=121, k=3, seed=0):
    rng = np.random.default_rng(seed)
    close = 100.0 * np.cumprod(1.0 + rng.normal(0.0, 0.01, n_bars))
    pos = rng.choice([-1.0, 0.0, 0.5, 1.0], size=(n_bars, k))
    return close, pos


def alternate(view, train_rows):
    """Trial 0 on even folds, trial 1 on odd ones (fold told apart by its train length)."""
    return int((train_rows.shape[0] // 20) % 2)


def test_alternating_selector_at_25bp_is_one_book():
    close, pos = market()
    R = strategy_returns(pos, close, cost_bps=25)
    folds = make_folds(len(R), n_folds=4, test_size=20)   # test windows of 20 from row 40
    one = walk_forward(R, folds, selector=alternate, positions=pos, close=close, cost_bps=25)
    old = walk_forward(R, folds, selector=alternate)
    assert one.pricing == "one_book" and old.pricing == "stitched"
    assert one.chosen.tolist() == [0, 1, 0, 1]
    trials = np.repeat(one.chosen, 20)
    want, want_costs = naive_book(pos, close, one.oos_index, trials, 25)
    np.testing.assert_allclose(one.oos_returns, want, rtol=0, atol=TOL)
    # The costs inside the one-book series: what it earns gross minus what it returned.
    rows = one.oos_index
    gross = pos[rows, trials] * (close[rows + 1] / close[rows] - 1.0)
    np.testing.assert_allclose(gross - one.oos_returns, want_costs, rtol=0, atol=TOL)
    # The old stitched series missed the entry, the three switches and the exit.
    diff = old.oos_returns - one.oos_returns
    boundaries = [0, 20, 40, 60]
    assert np.abs(diff).max() > 1e-4
    assert np.abs(np.delete(diff, boundaries + [79])).max() == 0.0
    assert not np.isclose(old.oos_returns.sum(), one.oos_returns.sum(), rtol=0, atol=1e-6)
    # Inside a fold the book holds what the trial held the bar before: its own return, bit
    # for bit (the same operations in the same order as the engine).
    inner = np.setdiff1d(np.arange(80), boundaries + [79])
    np.testing.assert_array_equal(one.oos_returns[inner], R[rows, trials][inner])


@engine_settings
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 4), cost=st.floats(0, 50),
       funding=st.one_of(st.none(), st.floats(-5, 5)), gaps=st.booleans())
def test_one_book_matches_twin_random(seed, k, cost, funding, gaps):
    close, pos = market(n_bars=60, k=k, seed=seed % 1000)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(59, size=30, replace=False)) if gaps else np.arange(10, 50)
    trials = rng.integers(0, k, rows.shape[0])
    got = one_book_returns(pos, close, rows=rows, trials=trials, cost_bps=cost,
                           funding_bps_per_period=funding)
    want, _ = naive_book(pos, close, rows, trials, cost, funding)
    np.testing.assert_allclose(got, want, rtol=0, atol=TOL)


def test_one_book_edge_cases():
    close, pos = market(n_bars=5, k=2)
    # One row: entry and exit on the same row.
    got = one_book_returns(pos, close, rows=[2], trials=[1], cost_bps=10)
    np.testing.assert_allclose(got, naive_book(pos, close, [2], [1], 10)[0], rtol=0, atol=TOL)
    # Flat positions pay nothing; a gap closes and reopens the book.
    flat = np.zeros_like(pos)
    assert one_book_returns(flat, close, rows=[0, 1, 3], trials=[0, 1, 0],
                            cost_bps=10).tolist() == [0.0, 0.0, 0.0]
    ones = np.ones((5, 1))
    got = one_book_returns(ones, close, rows=[0, 1, 3], trials=[0, 0, 0], cost_bps=10)
    r = close[1:] / close[:-1] - 1.0
    np.testing.assert_allclose(got, [r[0] - 1e-3, r[1] - 1e-3, r[3] - 2e-3], rtol=0, atol=TOL)


def test_one_book_input_errors():
    close, pos = market(n_bars=10, k=2)
    R = strategy_returns(pos, close, cost_bps=5)
    folds = make_folds(len(R), n_folds=2, test_size=3)
    with pytest.raises(ConfigError, match="needs close= and cost_bps="):
        walk_forward(R, folds, positions=pos)
    with pytest.raises(ConfigError, match="without positions"):
        walk_forward(R, folds, close=close, cost_bps=5)
    with pytest.raises(DataError, match="close has 9 bars but the returns have 9 rows"):
        walk_forward(R, folds, positions=pos[:-1], close=close[:-1], cost_bps=5)
    with pytest.raises(DataError, match=r"positions have shape \(10, 3\), expected \(10, trials\)"
                                        r" with 2 trial"):
        walk_forward(R, folds, positions=np.zeros((10, 3)), close=close, cost_bps=5)
    with pytest.raises(ConfigError, match="increase strictly"):
        one_book_returns(pos, close, rows=[3, 2], trials=[0, 0], cost_bps=5)
    with pytest.raises(ConfigError, match=r"outside \[0, 2\)"):
        one_book_returns(pos, close, rows=[1, 2], trials=[0, 2], cost_bps=5)
    with pytest.raises(ConfigError, match="cost_bps=-1"):
        one_book_returns(pos, close, rows=[1], trials=[0], cost_bps=-1)


# --- panels -------------------------------------------------------------------------------

def panel_market(n_bars=160, n=4, seed=3):
    rng = np.random.default_rng(seed)
    closes = 50.0 * np.cumprod(1.0 + rng.normal(0.0, 0.02, (n_bars, n)), axis=0)
    return closes


POINTS = [{"lookback": 3, "top_k": 1}, {"lookback": 10, "top_k": 1}, {"lookback": 5, "top_k": 2}]


@pytest.mark.parametrize("funding", [None, 0.3])
def test_panel_book_from_weights_matches_twin(funding):
    closes = panel_market()
    grid = backtest_panel(closes, "xs_momentum", POINTS, fee_bps=15, slippage_bps=10,
                          funding_bps_per_period=funding)
    w = panel_weights("xs_momentum", closes, POINTS)
    R = grid.returns
    folds = make_folds(len(R), n_folds=3, test_size=30)
    pick = lambda view, rows: int(rows.shape[0] // 30) % 3  # 0, 1, 2 over the folds
    args = dict(selector=pick, close=closes, cost_bps=25, funding_bps_per_period=funding)
    one = walk_forward(R, folds, positions=w, **args)
    assert sorted(set(one.chosen.tolist())) == [0, 1, 2] and one.pricing == "one_book"
    trials = np.repeat(one.chosen, 30)
    want, _ = naive_book(w, closes, one.oos_index, trials, 25, funding)
    np.testing.assert_allclose(one.oos_returns, want, rtol=0, atol=TOL)
    # Inside a fold: the panel kernel's own return of the chosen trial, bit for bit.
    inner = np.setdiff1d(np.arange(90), [0, 30, 60, 89])
    np.testing.assert_array_equal(one.oos_returns[inner], R[one.oos_index, trials][inner])
    # Weights built for just the chosen trials (what a run does) give the same bits.
    lazy = walk_forward(R, folds, positions=lambda t: panel_weights(
        "xs_momentum", closes, [POINTS[j] for j in t]), **args)
    np.testing.assert_array_equal(lazy.oos_returns, one.oos_returns)
    # The stitched series misses the switches in every asset.
    assert np.abs(walk_forward(R, folds, selector=pick).oos_returns - one.oos_returns).max() > 0

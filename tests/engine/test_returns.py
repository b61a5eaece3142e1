"""Strategy returns and costs: the timing convention, by hand and against the twin."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from qrp_jupyter.engine import asset_returns, backtest_grid, strategy_returns, trial_metrics
from qrp_jupyter.errors import ConfigError, DataError

from . import naive
from .conftest import SINGLE_FAMILIES, engine_settings, family_points, prices, random_walk


def test_asset_returns_match_twin():
    close = random_walk(100)
    np.testing.assert_array_equal(asset_returns(close), naive.asset_returns(close))
    assert asset_returns([2.0, 3.0]).tolist() == [0.5]


def test_cost_semantics_by_hand():
    """5 bars: long, long, short, flat, long; 10 bp per unit of notional traded."""
    close = [100.0, 110.0, 99.0, 99.0, 108.9]
    pos = [1.0, 1.0, -1.0, 0.0, 1.0]
    got = strategy_returns(pos, close, cost_bps=10)
    want = [
        1 * 0.10 - 0.001 * 1,  # bar 1: enter long (|1 - 0|), held over +10%
        1 * -0.10 - 0.0,       # bar 2: still long over -10%, nothing traded
        -1 * 0.0 - 0.001 * 2,  # bar 3: long -> short trades 2 units; price unchanged
        0 * 0.10 - 0.001 * 1,  # bar 4: short -> flat trades 1 unit; misses the +10%
    ]                          # pos[4] = 1 is decided at the last bar, never held or charged
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert got.shape == (4,)
    zero_cost = strategy_returns(pos, close, cost_bps=0)
    np.testing.assert_allclose(zero_cost, [0.1, -0.1, 0.0, 0.0], rtol=1e-12, atol=1e-15)


@engine_settings
@given(close=prices, data=st.data(), cost_bps=st.sampled_from([0.0, 1.0, 7.5, 100.0]))
def test_returns_match_twin(close, data, cost_bps):
    pos = data.draw(arrays(np.float64, (close.size, data.draw(st.integers(1, 4))),
                           elements=st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0])))
    got = strategy_returns(pos, close, cost_bps=cost_bps)
    # Same operations in the same order as the twin: exact equality.
    np.testing.assert_array_equal(got, naive.strategy_returns(pos, close, cost_bps))


@pytest.mark.parametrize("family", SINGLE_FAMILIES)
@engine_settings
@given(close=prices, data=st.data())
def test_backtest_matches_twin_and_is_causal(family, close, data):
    points = data.draw(family_points(family))
    res = backtest_grid(close, family, points, fee_bps=4.0, slippage_bps=1.5)
    want_pos = naive.positions(family, close, points)
    np.testing.assert_array_equal(res.positions, want_pos)
    np.testing.assert_array_equal(res.returns, naive.strategy_returns(want_pos, close, 5.5))
    # Returns of bars 1..t only use prices up to bar t.
    t = data.draw(st.integers(0, close.size - 1))
    moved = close.copy()
    moved[t + 1:] *= 1.5
    again = backtest_grid(moved, family, points, fee_bps=4.0, slippage_bps=1.5)
    np.testing.assert_array_equal(again.returns[:t], res.returns[:t])


def test_total_cost_equals_cost_times_traded_notional():
    close = random_walk(500, seed=11)
    pts = [{"fast": 3, "slow": 12}, {"fast": 10, "slow": 40}]
    gross = backtest_grid(close, "ma_crossover", pts, fee_bps=0, slippage_bps=0)
    net = backtest_grid(close, "ma_crossover", pts, fee_bps=8, slippage_bps=2)
    m = trial_metrics(net.returns, net.positions, periods_per_year=8760)
    years = net.returns.shape[0] / 8760
    np.testing.assert_allclose((gross.returns - net.returns).sum(axis=0),
                               10e-4 * m["turnover"] * years, rtol=1e-9)


def test_backtest_grid_result_and_determinism():
    close = random_walk(2000, seed=12)
    pts = [{"lookback": lb, "threshold": h} for lb in (1, 24, 168) for h in (0.0, 0.01)]
    a = backtest_grid(close, "ts_momentum", pts, fee_bps=5, slippage_bps=1)
    b = backtest_grid(close, "ts_momentum", pts, fee_bps=5, slippage_bps=1)
    np.testing.assert_array_equal(a.returns, b.returns)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert a.returns.shape == (1999, 6) and a.positions.shape == (2000, 6) and a.n_trials == 6
    assert a.points == tuple(pts)


def test_backtest_with_user_function_and_long_only():
    close = random_walk(300, seed=13)

    def contrarian(close, lookback):
        pos = np.zeros(close.size)
        pos[lookback:] = -np.sign(close[lookback:] / close[:-lookback] - 1.0)
        return pos

    res = backtest_grid(close, contrarian, [{"lookback": 5}], fee_bps=1, slippage_bps=0)
    np.testing.assert_array_equal(res.positions[:, 0], contrarian(close, 5))
    lo = backtest_grid(close, contrarian, [{"lookback": 5}], fee_bps=1, slippage_bps=0,
                       long_only=True)
    np.testing.assert_array_equal(lo.positions[:, 0], np.maximum(contrarian(close, 5), 0.0))
    np.testing.assert_array_equal(lo.returns,
                                  naive.strategy_returns(lo.positions, close, 1.0))


@pytest.mark.parametrize("kwargs, where", [
    ({"fee_bps": -1, "slippage_bps": 0}, "costs.fee_bps"),
    ({"fee_bps": 1, "slippage_bps": float("nan")}, "costs.slippage_bps"),
    ({"fee_bps": "5", "slippage_bps": 0}, "costs.fee_bps"),
])
def test_bad_costs(kwargs, where):
    with pytest.raises(ConfigError) as err:
        backtest_grid(random_walk(10), "ts_momentum", [{"lookback": 1}], **kwargs)
    assert err.value.where == where


def test_bad_positions():
    with pytest.raises(DataError, match="positions has 3 rows, expected 4"):
        strategy_returns(np.zeros((3, 1)), random_walk(4), cost_bps=1)
    with pytest.raises(DataError, match=r"positions\[2, 0\]=inf is not finite"):
        strategy_returns([0, 0, np.inf, 0], random_walk(4), cost_bps=1)
    with pytest.raises(DataError, match=r"positions\[1, 0\]=11.0 exceeds"):
        strategy_returns([0, 11, 0, 0], random_walk(4), cost_bps=1)
    with pytest.raises(ConfigError, match="cost_bps=-2"):
        strategy_returns([0, 1, 0, 0], random_walk(4), cost_bps=-2)

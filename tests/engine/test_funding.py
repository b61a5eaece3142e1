"""Funding of perpetual futures: sign convention, alignment, twin, and the default being off."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qrp_jupyter.engine import backtest_grid, grid_metrics, strategy_returns
from qrp_jupyter.errors import ConfigError, DataError

from . import naive
from .conftest import SINGLE_FAMILIES, engine_settings, family_points, prices, random_walk


def test_sign_and_alignment_by_hand():
    """Long over bar 1, short over bar 2, flat over bar 3; funding 10 bp at bar 1, -20 bp
    at bar 2 (shorts pay when funding is negative), 30 bp at bar 3."""
    close = [100.0, 100.0, 100.0, 100.0]
    pos = [1.0, -1.0, 0.0, 0.0]
    funding = [99.0, 10.0, -20.0, 30.0]  # funding[0] is never charged
    got = strategy_returns(pos, close, cost_bps=0, funding_bps_per_period=funding)
    np.testing.assert_allclose(got, [-0.001, -0.002, 0.0], rtol=1e-12, atol=0)
    const = strategy_returns(pos, close, cost_bps=0, funding_bps_per_period=5.0)
    np.testing.assert_allclose(const, [-0.0005, 0.0005, 0.0], rtol=1e-12, atol=0)


@pytest.mark.parametrize("family", SINGLE_FAMILIES)
@engine_settings
@given(close=prices, data=st.data())
def test_backtest_with_funding_matches_twin(family, close, data):
    points = data.draw(family_points(family))
    if data.draw(st.booleans()):
        funding = data.draw(st.sampled_from([0.0, 0.3, -1.0]))
    else:
        funding = np.array(data.draw(st.lists(st.floats(-5.0, 5.0), min_size=close.size,
                                              max_size=close.size)))
    res = backtest_grid(close, family, points, fee_bps=2.0, slippage_bps=0.5,
                        funding_bps_per_period=funding)
    pos = naive.positions(family, close, points)
    np.testing.assert_array_equal(res.returns, naive.strategy_returns(pos, close, 2.5, funding))
    m = grid_metrics(close, family, points, fee_bps=2.0, slippage_bps=0.5, periods_per_year=24,
                     funding_bps_per_period=funding)
    for name, values in res.metrics(periods_per_year=24).items():
        assert values.tobytes() == m[name].tobytes(), name


def test_funding_off_by_default_is_bit_identical_to_no_funding_term():
    close = random_walk(800, seed=31)
    pts = [{"fast": 3, "slow": 30}, {"fast": 10, "slow": 60}]
    res = backtest_grid(close, "ma_crossover", pts, fee_bps=4, slippage_bps=1)
    want = naive.strategy_returns(naive.positions("ma_crossover", close, pts), close, 5.0)
    assert res.returns.tobytes() == want.tobytes()


def test_funding_cost_equals_position_times_rate():
    close = random_walk(600, seed=32)
    pts = [{"lookback": 12}]
    plain = backtest_grid(close, "ts_momentum", pts, fee_bps=1, slippage_bps=0)
    rate = np.random.default_rng(0).normal(0.1, 1.0, close.size)
    funded = backtest_grid(close, "ts_momentum", pts, fee_bps=1, slippage_bps=0,
                           funding_bps_per_period=rate)
    np.testing.assert_allclose(plain.returns - funded.returns,
                               plain.positions[:-1] * rate[1:, None] * 1e-4, atol=1e-15)


@pytest.mark.parametrize("funding, exc, fragment", [
    (float("nan"), ConfigError, "funding_bps_per_period=nan is not finite"),
    (np.zeros(9), DataError, "funding has shape (9,), expected (10,)"),
    (np.where(np.arange(10) == 4, np.inf, 0.0), DataError, "funding[4]=inf is not finite"),
    (["a"] * 10, ConfigError, "cannot be read as float64"),
])
def test_funding_errors(funding, exc, fragment):
    with pytest.raises(exc) as err:
        backtest_grid(random_walk(10), "ts_momentum", [{"lookback": 1}], fee_bps=0,
                      slippage_bps=0, funding_bps_per_period=funding)
    assert fragment in str(err.value)
    assert err.value.where.startswith("costs.funding_bps_per_period")

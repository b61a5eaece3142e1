"""Per-trial metrics against the twin and by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from qrp_jupyter.engine import METRIC_NAMES, backtest_grid, trial_metrics
from qrp_jupyter.errors import ConfigError, DataError

from . import naive
from .conftest import engine_settings, prices

# Sums run in time order in the kernel and pairwise in numpy: agreement to 1e-12 relative,
# with an absolute floor for values that cancel to near zero (means of returns ~1e-2).
RTOL, ATOL = 1e-12, 1e-14


def assert_metrics_close(got, want):
    assert set(got) == set(METRIC_NAMES) == set(want)
    for name in METRIC_NAMES:
        if name == "n_trades":
            np.testing.assert_array_equal(got[name], want[name])
        else:
            atol = ATOL * (100 if name == "sharpe_annual" else 1)
            np.testing.assert_allclose(got[name], want[name], rtol=RTOL, atol=atol,
                                       equal_nan=True, err_msg=name)


@engine_settings
@given(close=prices, data=st.data())
def test_metrics_match_twin_on_backtests(close, data):
    lookbacks = data.draw(st.lists(st.integers(1, 30), min_size=1, max_size=4, unique=True))
    res = backtest_grid(close, "ts_momentum", [{"lookback": lb} for lb in lookbacks],
                        fee_bps=data.draw(st.sampled_from([0.0, 10.0])), slippage_bps=0)
    got = trial_metrics(res.returns, res.positions, periods_per_year=8760)
    assert_metrics_close(got, naive.metrics(res.returns, res.positions, 8760))


@engine_settings
@given(data=st.data())
def test_metrics_match_twin_on_arbitrary_returns(data):
    n, k = data.draw(st.integers(1, 50)), data.draw(st.integers(1, 4))
    returns = data.draw(arrays(np.float64, (n, k), elements=st.floats(-0.5, 0.5)))
    pos = data.draw(arrays(np.float64, (n + 1, k), elements=st.sampled_from([-1.0, 0.0, 2.0])))
    got = trial_metrics(returns, pos, periods_per_year=252)
    assert_metrics_close(got, naive.metrics(returns, pos, 252))


def test_by_hand():
    returns = np.array([[0.1], [-0.5], [0.2]])
    pos = np.array([[1.0], [1.0], [-1.0], [5.0]])  # last row never held: not a trade
    m = trial_metrics(returns, pos, periods_per_year=3)  # 3 periods = 1 year
    np.testing.assert_allclose(m["total_return"], [1.1 * 0.5 * 1.2 - 1], rtol=1e-12)
    np.testing.assert_allclose(m["max_drawdown"], [0.5], rtol=1e-12)  # 1.1 -> 0.55
    np.testing.assert_allclose(m["mean_return"], [-0.2 / 3], rtol=1e-12)
    np.testing.assert_allclose(m["volatility"], [np.std([0.1, -0.5, 0.2], ddof=1)], rtol=1e-12)
    np.testing.assert_allclose(m["sharpe_annual"], m["sharpe"] * np.sqrt(3), rtol=1e-15)
    assert m["turnover"].tolist() == [3.0] and m["n_trades"].tolist() == [2]  # 0->1, 1->-1


def test_drawdown_counts_a_fall_from_the_starting_equity():
    m = trial_metrics([[-0.1], [0.05]], np.zeros((3, 1)), periods_per_year=1)
    np.testing.assert_allclose(m["max_drawdown"], [0.1], rtol=1e-12)


@pytest.mark.parametrize("returns", [[[0.0], [0.0], [0.0]], [[0.01], [0.01], [0.01]]])
def test_constant_returns_have_nan_sharpe(returns):
    m = trial_metrics(returns, np.zeros((4, 1)), periods_per_year=8760)
    assert m["volatility"].tolist() == [0.0]
    assert np.isnan(m["sharpe"]).all() and np.isnan(m["sharpe_annual"]).all()


def test_constant_prices_give_nan_sharpe_and_no_trades():
    res = backtest_grid(np.full(30, 50.0), "ma_crossover", [{"fast": 2, "slow": 5}],
                        fee_bps=10, slippage_bps=0)
    m = trial_metrics(res.returns, res.positions, periods_per_year=8760)
    assert np.isnan(m["sharpe"][0]) and m["n_trades"][0] == 0 and m["total_return"][0] == 0


def test_single_period():
    m = trial_metrics([[0.02, -0.01]], [[1.0, -1.0], [0.0, 0.0]], periods_per_year=8760)
    assert np.isnan(m["sharpe"]).all() and np.isnan(m["volatility"]).all()
    np.testing.assert_allclose(m["total_return"], [0.02, -0.01])
    np.testing.assert_allclose(m["max_drawdown"], [0.0, 0.01])
    assert m["turnover"].tolist() == [8760.0, 8760.0]


def test_deterministic():
    rng = np.random.default_rng(0)
    r, p = rng.normal(0, 0.01, (500, 7)), rng.choice([-1.0, 0.0, 1.0], (501, 7))
    a = trial_metrics(r, p, periods_per_year=8760)
    b = trial_metrics(r, p, periods_per_year=8760)
    for name in METRIC_NAMES:
        np.testing.assert_array_equal(a[name], b[name])


def test_input_errors():
    with pytest.raises(DataError, match="positions has 3 rows, expected 4"):
        trial_metrics(np.zeros((3, 2)), np.zeros((3, 2)), periods_per_year=1)
    with pytest.raises(DataError, match="positions has 1 columns, expected 2"):
        trial_metrics(np.zeros((3, 2)), np.zeros((4, 1)), periods_per_year=1)
    with pytest.raises(DataError, match=r"returns\[1, 0\]=nan"):
        trial_metrics([[0.0], [np.nan]], np.zeros((3, 1)), periods_per_year=1)
    for bad in (0, -1, float("inf"), None):
        with pytest.raises(ConfigError, match="periods_per_year"):
            trial_metrics([[0.0]], [[0.0], [0.0]], periods_per_year=bad)

"""Cross-sectional momentum over a panel: weights, returns, turnover, causality, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qrp_jupyter.engine import backtest_panel, panel_weights, trial_metrics
from qrp_jupyter.engine import _panel_kernels as PK
from qrp_jupyter.errors import ConfigError, DataError

from . import naive
from .conftest import engine_settings, panels, random_walk, xs_points

PPY = 8760.0


def _naive_weights(closes, points, long_only=False, overlay=None):
    ws = [naive.xs_weights(closes, p["lookback"], p["top_k"], long_only) for p in points]
    if overlay is not None:
        scale = np.column_stack([
            naive.vol_scale(closes[:, a], overlay["target_vol"], overlay["vol_lookback"],
                            overlay["max_leverage"], PPY) for a in range(closes.shape[1])])
        ws = [w * scale + 0.0 for w in ws]
    return np.stack(ws, axis=2)


@pytest.mark.parametrize("long_only", [False, True])
@engine_settings
@given(data=st.data(), closes=panels())
def test_weights_and_returns_match_twin(long_only, data, closes):
    points = data.draw(xs_points(closes.shape[1], long_only=long_only))
    funding = data.draw(st.sampled_from([None, 0.5]))
    got_w = panel_weights("xs_momentum", closes, points, long_only=long_only)
    want_w = _naive_weights(closes, points, long_only)
    np.testing.assert_array_equal(got_w, want_w)
    res = backtest_panel(closes, "xs_momentum", points, fee_bps=3, slippage_bps=1,
                         long_only=long_only, funding_bps_per_period=funding)
    for j in range(len(points)):
        ret, traded, gross = naive.panel_backtest(closes, want_w[:, :, j], 4.0, funding)
        np.testing.assert_array_equal(res.returns[:, j], ret)
        np.testing.assert_array_equal(res.traded[:, j], traded)
        np.testing.assert_array_equal(res.positions[:, j], gross)
    m = res.metrics(periods_per_year=PPY)
    want = naive.metrics(res.returns, res.positions, PPY, traded=res.traded)
    for name in want:
        np.testing.assert_allclose(m[name], want[name], rtol=1e-12, atol=1e-12, equal_nan=True,
                                   err_msg=name)
    tm = trial_metrics(res.returns, res.positions, periods_per_year=PPY, traded=res.traded)
    for name in m:
        assert m[name].tobytes() == tm[name].tobytes(), name


@engine_settings
@given(data=st.data(), closes=panels())
def test_no_look_ahead(data, closes):
    """Changing any asset's prices after bar t cannot change a weight decided at or before t."""
    points = data.draw(xs_points(closes.shape[1]))
    t = data.draw(st.integers(0, closes.shape[0] - 1))
    moved = closes.copy()
    cells = (closes.shape[0] - t - 1) * closes.shape[1]
    factors = data.draw(st.lists(st.floats(0.5, 2.0), min_size=cells, max_size=cells))
    moved[t + 1:] *= np.array(factors).reshape(-1, closes.shape[1])
    overlay = data.draw(st.sampled_from([None, {"kind": "vol_target", "target_vol": 0.3,
                                                "vol_lookback": 5, "max_leverage": 2.0}]))
    kw = {"overlay": overlay, "periods_per_year": PPY}
    np.testing.assert_array_equal(panel_weights("xs_momentum", moved, points, **kw)[:t + 1],
                                  panel_weights("xs_momentum", closes, points, **kw)[:t + 1])
    a = backtest_panel(closes, "xs_momentum", points, fee_bps=1, slippage_bps=0, **kw)
    b = backtest_panel(moved, "xs_momentum", points, fee_bps=1, slippage_bps=0, **kw)
    np.testing.assert_array_equal(a.returns[:t], b.returns[:t])


def test_by_hand_with_ties():
    # Bar 1 trailing returns over 1 bar: +10%, -10%, +5%, 0%, +10% -> ranks (ties by index):
    # asset 0, asset 4, asset 2, asset 3, asset 1.
    closes = np.array([[10.0, 10.0, 10.0, 10.0, 10.0],
                       [11.0, 9.0, 10.5, 10.0, 11.0],
                       [11.0, 9.0, 10.5, 10.0, 11.0]])
    w = panel_weights("xs_momentum", closes, [{"lookback": 1, "top_k": 1},
                                              {"lookback": 1, "top_k": 2}])
    np.testing.assert_array_equal(w[0], 0.0)  # warm-up
    np.testing.assert_array_equal(w[1, :, 0], [0.5, -0.5, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(w[1, :, 1], [0.25, -0.25, 0.0, -0.25, 0.25])
    # Bar 2: every trailing return is 0, a five-way tie: index order decides.
    np.testing.assert_array_equal(w[2, :, 1], [0.25, 0.25, 0.0, -0.25, -0.25])
    lo = panel_weights("xs_momentum", closes, [{"lookback": 1, "top_k": 2}], long_only=True)
    np.testing.assert_array_equal(lo[1, :, 0], [0.5, 0.0, 0.0, 0.0, 0.5])


def test_returns_costs_and_gross_exposure_by_hand():
    closes = np.array([[10.0, 10.0], [11.0, 10.0], [11.0, 12.0], [11.0, 12.0]])
    res = backtest_panel(closes, "xs_momentum", [{"lookback": 1, "top_k": 1}], fee_bps=10,
                         slippage_bps=0)
    # Weights: bar 0 flat; bar 1 long asset 0, short asset 1; bar 2 long 1, short 0.
    np.testing.assert_array_equal(res.positions[:, 0], [0.0, 1.0, 1.0, 1.0])
    # Row 1 (bar 2): +0.5 * 0% - 0.5 * 20% - 0.001 * (0.5 + 0.5); row 2: flip, trades 2.
    np.testing.assert_allclose(res.returns[:, 0], [0.0, -0.1 - 0.001, -0.002], atol=1e-15)
    np.testing.assert_array_equal(res.traded[:, 0], [0.0, 1.0, 2.0])
    m = res.metrics(periods_per_year=3)
    assert m["turnover"].tolist() == [3.0] and m["n_trades"].tolist() == [2]


def test_overlay_scales_each_asset_by_its_own_volatility():
    rng = np.random.default_rng(40)
    closes = np.column_stack([100 * np.exp(np.cumsum(rng.normal(0, s, 400)))
                              for s in (0.005, 0.01, 0.02, 0.04)])
    spec = {"kind": "vol_target", "target_vol": 0.5, "vol_lookback": 24, "max_leverage": 3.0}
    pts = [{"lookback": 24, "top_k": 1}, {"lookback": 6, "top_k": 2}]
    got = panel_weights("xs_momentum", closes, pts, overlay=spec, periods_per_year=PPY)
    np.testing.assert_array_equal(got, _naive_weights(closes, pts, overlay=spec))
    res = backtest_panel(closes, "xs_momentum", pts, fee_bps=1, slippage_bps=0, overlay=spec,
                         periods_per_year=PPY)
    np.testing.assert_array_equal(res.positions, np.abs(got).sum(axis=1))


def test_serial_and_parallel_panel_kernels_agree():
    rng = np.random.default_rng(41)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (300, 6)), axis=0))
    lbs = np.array([1, 5, 20], dtype=np.int64)
    outs = [np.empty((3, 300, 6), dtype=np.int32) for _ in range(3)]
    for kernel, out in zip((PK._rank_table.serial, PK._rank_table.parallel,
                            PK._rank_table.py_func), outs):
        kernel(closes, lbs, out)
    for out in outs[1:]:
        np.testing.assert_array_equal(out, outs[0])


@pytest.mark.parametrize("closes, exc, fragment", [
    (random_walk(50), DataError, "closes must be 2-D"),
    (np.ones((50, 1)), DataError, "closes has 1 asset(s)"),
    (np.where(np.arange(20).reshape(10, 2) == 7, np.nan, 1.0), DataError,
     "closes[3, 1]=nan is not a finite positive price"),
])
def test_bad_panels(closes, exc, fragment):
    with pytest.raises(exc) as err:
        backtest_panel(closes, "xs_momentum", [{"lookback": 1, "top_k": 1}], fee_bps=0,
                       slippage_bps=0)
    assert fragment in str(err.value)


def test_bad_points_and_families():
    closes = np.ones((20, 3))
    with pytest.raises(ConfigError, match="top_k=2 needs 4 assets") as err:
        backtest_panel(closes, "xs_momentum", [{"lookback": 1, "top_k": 1},
                                               {"lookback": 1, "top_k": 2}],
                       fee_bps=0, slippage_bps=0)
    assert err.value.where == "strategy.grid[1].top_k"
    # Long-only needs top_k assets, not 2 * top_k.
    backtest_panel(closes, "xs_momentum", [{"lookback": 1, "top_k": 2}], fee_bps=0,
                   slippage_bps=0, long_only=True)
    with pytest.raises(ConfigError, match="'ma_crossover' is a single-asset family"):
        backtest_panel(closes, "ma_crossover", [{"fast": 1, "slow": 2}], fee_bps=0,
                       slippage_bps=0)

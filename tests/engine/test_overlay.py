"""The volatility-targeting overlay: scale against its twins, positions, causality, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qrp_jupyter.engine import (
    MAX_ABS_POSITION,
    backtest_grid,
    grid_positions,
    overlay_scale,
    validate_overlay,
)
from qrp_jupyter.errors import ConfigError

from . import naive
from .conftest import SINGLE_FAMILIES, engine_settings, family_points, prices, random_walk

PPY = 8760.0


@st.composite
def overlays(draw):
    return {"kind": "vol_target",
            "target_vol": draw(st.sampled_from([0.05, 0.3, 1.0, 5.0])),
            "vol_lookback": draw(st.integers(2, 30)),
            "max_leverage": draw(st.sampled_from([0.5, 1.0, 3.0, MAX_ABS_POSITION]))}


@engine_settings
@given(close=prices, spec=overlays())
def test_scale_matches_twin_exactly(close, spec):
    got = overlay_scale(close, spec, periods_per_year=PPY)
    want = naive.vol_scale(close, spec["target_vol"], spec["vol_lookback"],
                           spec["max_leverage"], PPY)
    np.testing.assert_array_equal(got, want)
    assert got.shape == close.shape
    assert (got[:spec["vol_lookback"]] == 0).all()
    assert (got >= 0).all() and (got <= spec["max_leverage"]).all()


def test_scale_twin_agrees_with_std_of_each_window():
    close = random_walk(2000, seed=21, vol=0.01)
    for L in (2, 24, 720):
        np.testing.assert_allclose(naive.vol_scale(close, 0.4, L, 10.0, PPY),
                                   naive.vol_scale_direct(close, 0.4, L, 10.0, PPY), rtol=1e-9)


def test_scale_by_hand_and_caps():
    close = np.array([100.0, 101.0, 100.0, 102.0, 101.0])
    r = close[1:] / close[:-1] - 1.0
    spec = {"kind": "vol_target", "target_vol": 0.02, "vol_lookback": 2, "max_leverage": 5.0}
    got = overlay_scale(close, spec, periods_per_year=1)
    assert got[0] == got[1] == 0.0  # fewer than 2 returns known: no estimate, flat
    np.testing.assert_allclose(got[2:], [0.02 / np.std(r[t - 2:t], ddof=1) for t in (2, 3, 4)],
                               rtol=1e-12)
    # A constant price has zero volatility: the scale is the cap, not infinity.
    flat = overlay_scale(np.full(30, 7.0), spec, periods_per_year=PPY)
    assert (flat[2:] == 5.0).all()


@pytest.mark.parametrize("family", SINGLE_FAMILIES)
@engine_settings
@given(close=prices, data=st.data(), spec=overlays())
def test_overlay_positions_match_twin_and_are_causal(family, close, data, spec):
    points = data.draw(family_points(family))
    got = grid_positions(family, close, points, overlay=spec, periods_per_year=PPY)
    base = naive.positions(family, close, points)
    np.testing.assert_array_equal(got, naive.overlay_positions(base, close, spec, PPY))
    assert (np.abs(got) <= spec["max_leverage"]).all()
    t = data.draw(st.integers(0, close.size - 1))
    moved = close.copy()
    moved[t + 1:] *= np.array(data.draw(st.lists(st.floats(0.5, 2.0), min_size=close.size - t - 1,
                                                 max_size=close.size - t - 1)))
    np.testing.assert_array_equal(
        grid_positions(family, moved, points, overlay=spec, periods_per_year=PPY)[:t + 1],
        got[:t + 1])


def test_overlay_returns_and_costs_follow_the_scaled_positions():
    close = random_walk(1500, seed=22, vol=0.01)
    spec = {"kind": "vol_target", "target_vol": 0.5, "vol_lookback": 48, "max_leverage": 2.0}
    pts = [{"fast": 5, "slow": 40}, {"fast": 12, "slow": 100}]
    res = backtest_grid(close, "ma_crossover", pts, fee_bps=3, slippage_bps=1, overlay=spec,
                        periods_per_year=PPY)
    want_pos = naive.overlay_positions(naive.positions("ma_crossover", close, pts), close, spec,
                                       PPY)
    np.testing.assert_array_equal(res.positions, want_pos)
    np.testing.assert_array_equal(res.returns, naive.strategy_returns(want_pos, close, 4.0))
    # Fractional positions: the scale changes every bar, so notional is re-traded every bar,
    # but a rescale is not a trade: the trades are the unscaled signal's sign changes.
    m = res.metrics(periods_per_year=PPY)
    plain = backtest_grid(close, "ma_crossover", pts, fee_bps=3, slippage_bps=1
                          ).metrics(periods_per_year=PPY)
    assert m["n_trades"].tolist() == plain["n_trades"].tolist()
    rescaled = np.count_nonzero(np.diff(np.asarray(res.positions), axis=0), axis=0)
    assert (rescaled > 1000).all() and (m["n_trades"] < 100).all()


def test_overlay_on_user_function_and_its_leverage_limit():
    close = random_walk(300, seed=23)
    spec = {"kind": "vol_target", "target_vol": 1.0, "vol_lookback": 10, "max_leverage": 4.0}

    def half(close, k):
        return np.full(close.size, k)

    res = backtest_grid(close, half, [{"k": 0.5}], fee_bps=0, slippage_bps=0, overlay=spec,
                        periods_per_year=PPY)
    np.testing.assert_array_equal(res.positions[:, 0],
                                  0.5 * naive.vol_scale(close, 1.0, 10, 4.0, PPY) + 0.0)
    with pytest.raises(ConfigError, match="beyond |10|") as err:
        backtest_grid(close, half, [{"k": 3.0}], fee_bps=0, slippage_bps=0, overlay=spec,
                      periods_per_year=PPY)
    assert err.value.where.startswith("strategy.function point 0 {'k': 3.0} bar")
    assert "max_leverage" in err.value.fix


def test_no_overlay_changes_nothing():
    close = random_walk(500, seed=24)
    pts = [{"lookback": 5}, {"lookback": 30}]
    a = backtest_grid(close, "ts_momentum", pts, fee_bps=5, slippage_bps=0)
    b = backtest_grid(close, "ts_momentum", pts, fee_bps=5, slippage_bps=0, overlay=None,
                      periods_per_year=PPY)
    assert a.returns.tobytes() == b.returns.tobytes()


@pytest.mark.parametrize("spec, fragment, where", [
    ("vol", "must be a dict", "strategy.overlay"),
    ({"kind": "kelly"}, "unknown overlay kind 'kelly'", "strategy.overlay.kind"),
    ({"kind": "vol_target", "vol_lookback": 24}, "required parameter 'target_vol'",
     "strategy.overlay.target_vol"),
    ({"kind": "vol_target", "target_vol": 0.2, "vol_lookback": 1}, "vol_lookback=1 is outside",
     "strategy.overlay.vol_lookback"),
    ({"kind": "vol_target", "target_vol": 0.2, "vol_lookback": 24, "max_leverage": 11},
     "max_leverage=11 is outside", "strategy.overlay.max_leverage"),
    ({"kind": "vol_target", "target_vol": 0.2, "vol_lookback": 24, "cap": 1},
     "unknown parameter 'cap'", "strategy.overlay.cap"),
])
def test_validate_overlay_errors(spec, fragment, where):
    with pytest.raises(ConfigError) as err:
        validate_overlay(spec)
    assert fragment in str(err.value) and err.value.where == where


def test_validate_overlay_fills_defaults_and_overlay_needs_periods_per_year():
    assert validate_overlay({"kind": "vol_target", "target_vol": 1, "vol_lookback": 24.0}) == {
        "kind": "vol_target", "target_vol": 1.0, "vol_lookback": 24, "max_leverage": 1.0}
    assert validate_overlay(None) is None
    with pytest.raises(ConfigError, match="needs periods_per_year") as err:
        backtest_grid(random_walk(50), "ts_momentum", [{"lookback": 2}], fee_bps=0,
                      slippage_bps=0, overlay={"kind": "vol_target", "target_vol": 0.2,
                                               "vol_lookback": 5})
    assert err.value.where == "periods_per_year"

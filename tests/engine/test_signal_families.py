"""z-score mean reversion and Donchian breakout: tables against twins, semantics by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qrp_jupyter.engine import FAMILIES, backtest_grid, expand_grid, grid_positions
from qrp_jupyter.engine import _kernels as K
from qrp_jupyter.errors import ConfigError

from . import naive
from .conftest import engine_settings, prices, random_walk

Z = FAMILIES["zscore_reversion"]
DON = FAMILIES["donchian_breakout"]


# --- tables --------------------------------------------------------------------------------

@engine_settings
@given(close=prices, w=st.integers(2, 40))
def test_zscore_table_matches_twin_exactly(close, w):
    out = np.empty((close.size, 1))
    K._zscore_table(close, np.array([w], dtype=np.int64), out, work=out.size)
    np.testing.assert_array_equal(out[:, 0], naive.zscore(close, w))


def test_zscore_twin_agrees_with_textbook_formula():
    close = random_walk(400, seed=8)
    for w in (2, 3, 20, 400):
        np.testing.assert_allclose(naive.zscore(close, w), naive.zscore_direct(close, w),
                                   rtol=1e-9, atol=1e-9, equal_nan=True)


def test_zscore_is_zero_over_a_constant_window_whatever_the_level():
    # 0.1 * 3 / 3 != 0.1 in floating point: a plain mean would leave rounding noise, and
    # noise divided by a ~1e-17 deviation is a large z. Differences from close[t] are exact.
    close = np.array([0.1, 0.1, 0.1, 0.1, 0.7, 0.7, 0.7])
    out = np.empty((7, 1))
    K._zscore_table(close, np.array([3], dtype=np.int64), out, work=7)
    assert np.isnan(out[:2, 0]).all()
    assert out[2, 0] == 0.0 and out[3, 0] == 0.0 and out[6, 0] == 0.0
    assert out[4, 0] > 1.0  # 0.7 after two 0.1: far above the window mean


@engine_settings
@given(close=prices, w=st.integers(1, 40))
def test_channel_table_matches_twin(close, w):
    hi, lo = np.empty((close.size, 1)), np.empty((close.size, 1))
    K._channel_table(close, np.array([w], dtype=np.int64), hi, lo, work=close.size)
    want_hi, want_lo = naive.donchian_channel(close, w)
    np.testing.assert_array_equal(hi[:, 0], want_hi)
    np.testing.assert_array_equal(lo[:, 0], want_lo)


# --- semantics by hand -------------------------------------------------------------------

def test_donchian_by_hand():
    close = np.array([10.0, 11.0, 12.0, 11.5, 12.0, 12.5, 11.0, 10.0, 10.5])
    pos = grid_positions("donchian_breakout", close, [{"lookback": 2}])[:, 0]
    # t=2: 12 > max(10, 11) -> long; t=3: 11.5 inside [11, 12] -> hold; t=4: 12 = max(12, 11.5),
    # not above -> hold; t=5: 12.5 > 12 -> long; t=6: 11 < min(12, 12.5) -> short; t=7: 10 <
    # min(12.5, 11) -> short; t=8: 10.5 inside [10, 11] -> hold.
    np.testing.assert_array_equal(pos, [0, 0, 1, 1, 1, 1, -1, -1, -1])
    lo = grid_positions("donchian_breakout", close, [{"lookback": 2}], long_only=True)[:, 0]
    np.testing.assert_array_equal(lo, [0, 0, 1, 1, 1, 1, 0, 0, 0])


def test_donchian_channel_excludes_the_current_bar():
    # With the current bar inside its own channel, close[t] > max(...) could never hold.
    close = np.arange(1.0, 21.0)
    pos = grid_positions("donchian_breakout", close, [{"lookback": 5}])[:, 0]
    assert (pos[:5] == 0).all() and (pos[5:] == 1).all()


def test_zscore_entry_exit_and_hold_by_hand():
    close = np.array([1.0, 1.0, 1.0, 4.0, 1.0, 1.0, 1.0, 1.0])
    # lookback 3: z[3] of 4 in (1, 1, 4) = 1.1547 > entry 1 -> short; z[4] of 1 in (1, 4, 1)
    # = -0.577: |z| inside [exit, entry] -> hold short; z[5] in (4, 1, 1) = -0.577 -> hold;
    # z[6] of a constant window = 0 < exit 0.5 -> flat.
    pos = grid_positions("zscore_reversion", close,
                         [{"lookback": 3, "entry": 1.0, "exit": 0.5},
                          {"lookback": 3, "entry": 1.0}])
    np.testing.assert_array_equal(pos[:, 0], [0, 0, 0, -1, -1, -1, 0, 0])
    # exit 0: |z| < 0 never holds, so the short is held to the end.
    np.testing.assert_array_equal(pos[:, 1], [0, 0, 0, -1, -1, -1, -1, -1])
    down = grid_positions("zscore_reversion", 5.0 - close[:4] + 1.0,
                          [{"lookback": 3, "entry": 1.0}])[:, 0]
    np.testing.assert_array_equal(down, [0, 0, 0, 1])  # a price far below its mean: long


def test_zscore_warm_up_is_flat_and_long_only():
    close = random_walk(200, seed=9, vol=0.03)
    pos = grid_positions("zscore_reversion", close, [{"lookback": 20, "entry": 1.0}])[:, 0]
    assert (pos[:19] == 0).all() and (pos[19:] != 0).any()
    lo = grid_positions("zscore_reversion", close, [{"lookback": 20, "entry": 1.0}],
                        long_only=True)[:, 0]
    assert set(np.unique(lo)) <= {0.0, 1.0}
    np.testing.assert_array_equal(lo, naive.zscore_positions(close, [{"lookback": 20,
                                                                      "entry": 1.0}], True)[:, 0])


def test_stateful_families_on_long_series_match_twin():
    """Blocks of rows carry the held position across their boundaries."""
    close = random_walk(3000, seed=10, vol=0.02)
    for family, pts in (("zscore_reversion", [{"lookback": 50, "entry": 1.5, "exit": 0.2},
                                              {"lookback": 7, "entry": 0.5}]),
                        ("donchian_breakout", [{"lookback": 1}, {"lookback": 168}])):
        np.testing.assert_array_equal(grid_positions(family, close, pts),
                                      naive.positions(family, close, pts))


# --- validation ----------------------------------------------------------------------------

@pytest.mark.parametrize("params, fragment, where", [
    ({"lookback": 20}, "required parameter 'entry'", "p.entry"),
    ({"lookback": 1, "entry": 2.0}, "lookback=1 is outside [2, 1e+06]", "p.lookback"),
    ({"lookback": 20, "entry": 1.0, "exit": 1.5}, "exit=1.5 is above entry=1", "p"),
    ({"lookback": 20, "entry": -1.0}, "entry=-1.0 is outside", "p.entry"),
])
def test_zscore_validation(params, fragment, where):
    with pytest.raises(ConfigError) as err:
        Z.validate(params, where="p")
    assert fragment in str(err.value) and err.value.where == where


def test_new_families_expand_and_fill_defaults():
    g = expand_grid("zscore_reversion", {"lookback": [20, 50], "entry": [1.0, 2.0],
                                         "exit": [0.0, 1.5]})
    assert g.n_dropped == 2  # exit 1.5 > entry 1.0, for both lookbacks
    assert g.points[0] == {"lookback": 20, "entry": 1.0, "exit": 0.0}
    assert DON.validate({"lookback": 55}, where="p") == {"lookback": 55}
    with pytest.raises(ConfigError, match="lookback=0 is outside"):
        DON.validate({"lookback": 0}, where="p")


def test_panel_family_is_refused_by_single_asset_functions():
    with pytest.raises(ConfigError, match="'xs_momentum' is a panel family") as err:
        backtest_grid(random_walk(50), "xs_momentum", [{"lookback": 5, "top_k": 1}],
                      fee_bps=0, slippage_bps=0)
    assert "backtest_panel" in err.value.fix

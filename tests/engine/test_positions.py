"""Positions: kernels against their twins, warm-up, edge cases, and no look-ahead."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qrp_jupyter.engine import MAX_ABS_POSITION, grid_positions, user_positions
from qrp_jupyter.engine import _kernels as K
from qrp_jupyter.errors import ConfigError, DataError

from . import naive
from .conftest import SINGLE_FAMILIES, engine_settings, family_points, prices, random_walk

FAMILIES = SINGLE_FAMILIES


# Positions are compared exactly: the kernel makes the same comparisons of the same floats.
@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("long_only", [False, True])
@engine_settings
@given(data=st.data(), close=prices)
def test_positions_match_twin(family, long_only, data, close):
    points = data.draw(family_points(family))
    got = grid_positions(family, close, points, long_only=long_only)
    want = naive.positions(family, close, points, long_only)
    np.testing.assert_array_equal(got, want)
    assert got.shape == (close.size, len(points)) and got.flags.c_contiguous
    assert set(np.unique(got)) <= ({0.0, 1.0} if long_only else {-1.0, 0.0, 1.0})


@pytest.mark.parametrize("family", FAMILIES)
@engine_settings
@given(data=st.data(), close=prices)
def test_no_look_ahead(family, data, close):
    """Changing prices after bar t cannot change any position decided at or before t."""
    points = data.draw(family_points(family))
    t = data.draw(st.integers(0, close.size - 1))
    factors = data.draw(st.lists(st.floats(0.5, 2.0), min_size=close.size - t - 1,
                                 max_size=close.size - t - 1))
    moved = close.copy()
    moved[t + 1:] *= np.array(factors)
    np.testing.assert_array_equal(grid_positions(family, moved, points)[:t + 1],
                                  grid_positions(family, close, points)[:t + 1])


def test_sma_twin_agrees_with_direct_window_means():
    """The prefix-sum twin is itself checked against summing each window afresh."""
    close = random_walk(500, seed=3)
    for w in (1, 2, 7, 50, 500):
        np.testing.assert_allclose(naive.sma(close, w) + close[0], naive.sma_direct(close, w),
                                   rtol=1e-12, equal_nan=True)


def test_sma_table_matches_twin_exactly():
    close = random_walk(300, seed=1)
    windows = np.array([1, 3, 10, 299, 300, 301], dtype=np.int64)
    out = np.empty((close.size, windows.size))
    K._sma_table(close, windows, out, work=out.size)
    for i, w in enumerate(windows):
        np.testing.assert_array_equal(out[:, i], naive.sma(close, int(w)))
    assert np.isnan(out[:, -1]).all()  # window longer than the series


def test_warm_up_is_flat():
    close = random_walk(100, seed=2)
    pos = grid_positions("ma_crossover", close, [{"fast": 3, "slow": 20}])
    assert (pos[:19] == 0).all() and (pos[19:] != 0).all()
    pos = grid_positions("ts_momentum", close, [{"lookback": 10}])
    assert (pos[:10] == 0).all() and (pos[10:] != 0).all()


def test_ma_signs_by_hand():
    close = np.array([1.0, 2.0, 3.0, 2.0, 1.0, 1.0, 1.0])
    # fast=1 is the price itself; slow SMA(2): -, 1.5, 2.5, 2.5, 1.5, 1, 1
    pos = grid_positions("ma_crossover", close, [{"fast": 1, "slow": 2}])[:, 0]
    np.testing.assert_array_equal(pos, [0, 1, 1, -1, -1, 0, 0])
    pos = grid_positions("ma_crossover", close, [{"fast": 1, "slow": 2}], long_only=True)
    np.testing.assert_array_equal(pos[:, 0], [0, 1, 1, 0, 0, 0, 0])


def test_momentum_threshold_by_hand():
    close = np.array([100.0, 101.0, 100.5, 99.0, 103.0])
    pos = grid_positions("ts_momentum", close,
                         [{"lookback": 1}, {"lookback": 1, "threshold": 0.02}])
    np.testing.assert_array_equal(pos[:, 0], [0, 1, -1, -1, 1])
    np.testing.assert_array_equal(pos[:, 1], [0, 0, 0, 0, 1])  # only +4.04% clears 2%


@pytest.mark.parametrize("family, point", [("ma_crossover", {"fast": 2, "slow": 3}),
                                           ("ts_momentum", {"lookback": 1})])
def test_edge_cases(family, point):
    two = np.array([100.0, 101.0])
    np.testing.assert_array_equal(grid_positions(family, two, [point]),
                                  naive.positions(family, two, [point]))
    flat = np.full(50, 123.456)  # constant: every SMA equal, every return 0 -> always flat
    assert (grid_positions(family, flat, [point]) == 0).all()
    long = dict(point, **({"slow": 60} if "slow" in point else {"lookback": 60}))
    assert (grid_positions(family, random_walk(50), [long]) == 0).all()  # window > series


def test_shared_windows_give_same_columns_as_separate_calls():
    close = random_walk(300, seed=4)
    pts = [{"fast": 5, "slow": 20}, {"fast": 5, "slow": 50}, {"fast": 20, "slow": 50}]
    together = grid_positions("ma_crossover", close, pts)
    for j, p in enumerate(pts):
        np.testing.assert_array_equal(together[:, j],
                                      grid_positions("ma_crossover", close, [p])[:, 0])


def test_deterministic():
    close = random_walk(1000, seed=5)
    pts = [{"fast": f, "slow": s} for f in (2, 5, 9) for s in (30, 60)]
    np.testing.assert_array_equal(grid_positions("ma_crossover", close, pts),
                                  grid_positions("ma_crossover", close, pts))


def test_compiled_kernel_equals_its_python_body():
    """Serial and parallel machine code and the plain-Python body agree bit for bit."""
    close = random_walk(200, seed=6)
    windows = np.array([1, 5, 30, 250], dtype=np.int64)
    outs = [np.empty((200, 4)) for _ in range(3)]
    for kernel, out in zip((K._zscore_table.serial, K._zscore_table.parallel,
                            K._zscore_table.py_func), outs):
        kernel(close, windows, out)
    for out in outs[1:]:
        np.testing.assert_array_equal(out, outs[0])


@pytest.mark.parametrize("bad, fragment, where", [
    ([100.0], "close has 1 bar(s)", "close"),
    ([[1.0, 2.0]], "must be 1-D", "close"),
    ([1.0, np.nan, 2.0], "close[1]=nan is not a finite positive price", "close[1]"),
    ([1.0, 2.0, 0.0], "close[2]=0.0", "close[2]"),
    (["a", "b"], "cannot be read as float64", "close"),
])
def test_bad_close(bad, fragment, where):
    with pytest.raises(DataError) as err:
        grid_positions("ts_momentum", bad, [{"lookback": 1}])
    assert fragment in str(err.value) and err.value.where == where


def test_points_are_validated_with_their_index():
    with pytest.raises(ConfigError) as err:
        grid_positions("ma_crossover", random_walk(10), [{"fast": 2, "slow": 5},
                                                         {"fast": 9, "slow": 5}])
    assert err.value.where == "strategy.grid[1]"
    with pytest.raises(ConfigError, match="non-empty list"):
        grid_positions("ma_crossover", random_walk(10), [])


# --- user strategy functions -------------------------------------------------------------

def _trend(close, window):
    sma = np.convolve(close, np.ones(window) / window)[:close.size]
    pos = np.where(close > sma, 1.0, -1.0)
    pos[:window - 1] = 0.0
    return pos


def test_user_positions_one_column_per_point():
    close = random_walk(200)
    pos = user_positions(_trend, close, [{"window": 5}, {"window": 20}])
    np.testing.assert_array_equal(pos[:, 1], _trend(close, 20))
    assert pos.shape == (200, 2)


def test_user_function_gets_read_only_close():
    def mutate(close):
        close[0] = 1.0
        return np.zeros(close.size)
    with pytest.raises(ConfigError, match="raised ValueError") as err:
        user_positions(mutate, random_walk(10), [{}])
    assert err.value.where == "strategy.function point 0 {}"


@pytest.mark.parametrize("func, fragment", [
    (lambda close, k: np.zeros(close.size + 1), "returned shape (11,), expected (10,)"),
    (lambda close, k: np.where(np.arange(close.size) == 7, np.nan, 0.0),
     "position nan at bar 7"),
    (lambda close, k: np.full(close.size, 2.0 * MAX_ABS_POSITION), "position 20.0 at bar 0"),
    (lambda close, k: ["x"] * close.size, "not numbers"),
    (lambda close, k: 1 / 0, "raised ZeroDivisionError"),
])
def test_user_position_errors_name_point_and_bar(func, fragment):
    with pytest.raises(ConfigError) as err:
        user_positions(func, random_walk(10), [{"k": 1}, {"k": 2}])
    assert fragment in str(err.value)
    assert err.value.where.startswith("strategy.function point 0 {'k': 1}")


def test_user_positions_rejects_non_callable_and_bad_points():
    with pytest.raises(ConfigError, match="not callable"):
        user_positions("ma", random_walk(10), [{}])
    with pytest.raises(ConfigError, match="point 1 is 3, not a dict"):
        user_positions(lambda c: np.zeros(c.size), random_walk(10), [{}, 3])

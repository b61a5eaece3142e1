"""The fused grid driver: serial = parallel = Python body, layout-free, fused = unfused.

The driver computes positions, returns and the metrics' reductions chunk by chunk; every one
of these tests compares bytes (``tobytes``), not values, because "bit-identical whatever the
threads, chunks and rows per block" is the contract that lets results be hashed and replayed.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qrp_jupyter import _numba
from qrp_jupyter.engine import (
    METRIC_NAMES,
    backtest_grid,
    grid_metrics,
    grid_positions,
    trial_metrics,
)
from qrp_jupyter.engine import _kernels as K
from qrp_jupyter.engine import backtest as B
from qrp_jupyter.errors import DataError

from .conftest import SINGLE_FAMILIES, engine_settings, family_points, prices, random_walk

PPY = 8760.0
OVERLAY = {"kind": "vol_target", "target_vol": 0.4, "vol_lookback": 6, "max_leverage": 2.0}


def _plan(family, close, points):
    pts = B._validated_points(family, points, where="p")
    return B._family_plan(family, close, pts)


def _driver(kernel, plan, close, *, chunk, rows, scale=None, fund=None, short=1.0):
    T, k = close.shape[0], plan.icol.shape[0]
    pos, ret, st_ = np.empty((T, k)), np.empty((T - 1, k)), np.empty((K.N_STATS, k))
    kernel(plan.fam, close, plan.tab_a, plan.tab_b, plan.icol, plan.fpar, short,
           K.EMPTY_1D if scale is None else scale, K._asset_returns(close), 5e-4,
           K.EMPTY_1D if fund is None else fund, chunk, rows, pos, ret, st_)
    return pos, ret, st_


@pytest.mark.parametrize("family", SINGLE_FAMILIES)
@engine_settings
@given(close=prices, data=st.data())
def test_builds_and_layouts_are_bit_identical(family, close, data):
    points = data.draw(family_points(family))
    plan = _plan(family, close, points)
    scale = data.draw(st.sampled_from([None, np.linspace(0.0, 2.0, close.size)]))
    fund = data.draw(st.sampled_from([None, np.full(close.size - 1, 3e-5)]))
    ref = _driver(K._grid_kernel.serial, plan, close, chunk=len(points), rows=64,
                  scale=scale, fund=fund)
    for kernel in (K._grid_kernel.parallel, K._grid_kernel.py_func):
        chunk = data.draw(st.integers(1, len(points)))
        rows = data.draw(st.integers(1, close.size + 3))
        got = _driver(kernel, plan, close, chunk=chunk, rows=rows, scale=scale, fund=fund)
        for a, b in zip(ref, got):
            assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("family", SINGLE_FAMILIES)
@engine_settings
@given(close=prices, data=st.data())
def test_fused_metrics_equal_metrics_of_the_stored_matrices(family, close, data):
    """GridResult.metrics (fused), grid_metrics (nothing stored) and trial_metrics (reading the
    matrices back) agree to the bit, with and without overlay and funding."""
    points = data.draw(family_points(family))
    kw = {"fee_bps": 3.0, "slippage_bps": 1.0, "long_only": data.draw(st.booleans()),
          "overlay": data.draw(st.sampled_from([None, OVERLAY])),
          "funding_bps_per_period": data.draw(st.sampled_from([None, 0.2]))}
    res = backtest_grid(close, family, points, periods_per_year=PPY, **kw)
    fused = res.metrics(periods_per_year=PPY)
    scanned = grid_metrics(close, family, points, periods_per_year=PPY, **kw)
    stored = trial_metrics(res.returns, res.positions, periods_per_year=PPY)
    for name in METRIC_NAMES:
        assert fused[name].tobytes() == scanned[name].tobytes() == stored[name].tobytes(), name


def test_user_function_metrics_fused_equal_stored():
    close = random_walk(700, seed=50)

    def rule(close, k):
        pos = np.sign(np.sin(np.arange(close.size) / k)) * 0.5
        pos[:3] = 0.0
        return pos

    pts = [{"k": 3.0}, {"k": 11.0}, {"k": 40.0}]
    res = backtest_grid(close, rule, pts, fee_bps=2, slippage_bps=2)
    fused = res.metrics(periods_per_year=PPY)
    scanned = grid_metrics(close, rule, pts, fee_bps=2, slippage_bps=2, periods_per_year=PPY)
    stored = trial_metrics(res.returns, res.positions, periods_per_year=PPY)
    for name in METRIC_NAMES:
        assert fused[name].tobytes() == scanned[name].tobytes() == stored[name].tobytes(), name


def test_large_grid_runs_parallel_and_matches_serial():
    """Above the work threshold the parallel build runs (one chunk per thread or more)."""
    close = random_walk(30_000, seed=51)
    pts = [{"fast": f, "slow": s} for f in range(2, 12) for s in range(20, 120, 10)]
    plan = _plan("ma_crossover", close, pts)
    assert K._grid_kernel.pick(close.size * len(pts)) is K._grid_kernel.parallel
    width, rows = K.layout(len(pts), parallel=True)
    par = _driver(K._grid_kernel.parallel, plan, close, chunk=width, rows=rows)
    ser = _driver(K._grid_kernel.serial, plan, close, chunk=len(pts), rows=7)
    for a, b in zip(par, ser):
        assert a.tobytes() == b.tobytes()


def test_small_problems_run_serial():
    assert K._grid_kernel.pick(4 * 1000) is K._grid_kernel.serial
    assert K._matrix_stats.pick(_numba.PARALLEL_MIN_WORK - 1) is K._matrix_stats.serial
    assert K._matrix_stats.pick(_numba.PARALLEL_MIN_WORK) is K._matrix_stats.parallel


def test_layout():
    assert K.layout(1, parallel=False) == (1, K.ROW_ELEMS)
    assert K.layout(100, parallel=False) == (100, K.ROW_ELEMS // 100)
    width, rows = K.layout(1200, parallel=False)
    assert width == 400 and rows == K.ROW_ELEMS // 400  # 3 balanced chunks <= CHUNK_MAX
    width, rows = K.layout(10_000, parallel=False)
    assert width <= K.CHUNK_MAX and rows == K.ROW_ELEMS // width


def test_dual_builds_have_their_own_cache_names():
    """numba keys its cache files by qualified name: the serial copy must not share them."""
    if not hasattr(K._grid_kernel.serial, "py_func"):
        pytest.skip("NUMBA_DISABLE_JIT: nothing is compiled or cached")
    assert K._grid_kernel.serial.py_func.__qualname__ == "_grid_kernel__serial"
    assert K._grid_kernel.parallel.py_func.__qualname__ == "_grid_kernel"
    assert K._grid_kernel.serial.py_func.__code__ is K._grid_kernel.py_func.__code__


def test_grid_result_is_read_only():
    res = backtest_grid(random_walk(50), "ts_momentum", [{"lookback": 2}], fee_bps=1,
                        slippage_bps=0)
    with pytest.raises(ValueError):
        res.returns[0, 0] = 1.0
    with pytest.raises(ValueError):
        res.positions[0, 0] = 1.0
    with pytest.raises(AttributeError, match="read-only"):
        res.returns = None
    assert "1 points x 49 periods" in repr(res)


def test_family_positions_are_computed_on_first_read():
    close = random_walk(400, seed=52)
    pts = [{"fast": 3, "slow": 30}, {"fast": 7, "slow": 90}]
    res = backtest_grid(close, "ma_crossover", pts, fee_bps=2, slippage_bps=0, overlay=OVERLAY,
                        periods_per_year=PPY)
    assert res._positions is None  # metrics and returns do not need them
    res.metrics(periods_per_year=PPY)
    assert res._positions is None
    first = res.positions
    assert first is res.positions and not first.flags.writeable
    assert first.tobytes() == grid_positions("ma_crossover", close, pts, overlay=OVERLAY,
                                             periods_per_year=PPY).tobytes()


def test_trial_metrics_reuses_the_reductions_of_its_own_result():
    close = random_walk(600, seed=53)
    res = backtest_grid(close, "ts_momentum", [{"lookback": 3}, {"lookback": 20}], fee_bps=1,
                        slippage_bps=1)
    fast = trial_metrics(res.returns, res.positions, periods_per_year=PPY)
    copied = trial_metrics(res.returns.copy(), res.positions.copy(), periods_per_year=PPY)
    for name in METRIC_NAMES:
        assert fast[name].tobytes() == copied[name].tobytes()
    other = np.zeros_like(res.positions)  # not this result's positions: no reuse
    assert trial_metrics(res.returns, other, periods_per_year=PPY)["n_trades"].sum() == 0


@pytest.mark.parametrize("where_pos, where_ret, fragment", [
    ((3, 1), None, r"positions\[3, 1\]=nan"),
    ((4, 0), None, r"positions\[4, 0\]=nan"),  # last row: never held, still checked
    (None, (2, 1), r"returns\[2, 1\]=inf"),
])
def test_trial_metrics_still_names_the_first_bad_cell(where_pos, where_ret, fragment):
    ret, pos = np.zeros((4, 2)), np.zeros((5, 2))
    if where_pos:
        pos[where_pos] = np.nan
    if where_ret:
        ret[where_ret] = np.inf
    with pytest.raises(DataError, match=fragment), np.errstate(invalid="ignore"):
        trial_metrics(ret, pos, periods_per_year=1)


def test_trial_metrics_accepts_huge_but_finite_returns():
    with np.errstate(over="ignore", invalid="ignore"):  # the Python body under DISABLE_JIT
        m = trial_metrics([[1e308], [1e308]], np.zeros((3, 1)), periods_per_year=1)
    assert np.isinf(m["total_return"][0])  # overflow, not an error: the inputs are finite

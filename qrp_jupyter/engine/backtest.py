"""Positions and per-period strategy returns for a grid of strategies (DESIGN section 6).

Timing convention: ``positions[t]`` is decided with data up to and including ``close[t]`` and
is held over bar ``t + 1``. Strategy returns are indexed by bar ``1..T-1``::

    ret[i] = pos[i] * r[i] - cost * |pos[i] - pos[i-1]| - pos[i] * f[i],   pos[-1] = 0,
    r[i] = close[i+1] / close[i] - 1,        cost = (fee_bps + slippage_bps) * 1e-4

so a trade's cost is charged in the period in which the new position is first held, and the
last bar's position (never held) is never charged. ``f[i]`` is the funding rate of a perpetual
future over bar i+1 (``funding_bps_per_period * 1e-4``; the term is absent, not zero, when no
funding is given): a long position pays positive funding, a short one receives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ConfigError, DataError, Interrupted
from . import _kernels as K
from ._inputs import as_close, as_funding, as_matrix, first_bad, nonneg_number, positive_number
from .families import MAX_ABS_POSITION, get_family
from .metrics import metrics_from_stats, register_stats
from .overlays import _scale, validate_overlay

__all__ = ["MAX_ABS_POSITION", "GridResult", "asset_returns", "grid_positions", "user_positions",
           "strategy_returns", "backtest_grid", "grid_metrics"]

_CODES = {"ma_crossover": K.FAM_MA, "ts_momentum": K.FAM_MOM,
          "zscore_reversion": K.FAM_ZSCORE, "donchian_breakout": K.FAM_DONCHIAN}


def asset_returns(close: Any) -> np.ndarray:
    """Simple returns of the asset, ``close[1:] / close[:-1] - 1`` (length T-1).

    Examples
    --------
    >>> asset_returns([100.0, 110.0, 99.0]).round(12).tolist()
    [0.1, -0.1]
    """
    return K._asset_returns(as_close(close))


def _validated_points(family: str, points: Sequence[dict], *, where: str,
                      panel: bool = False) -> list[dict]:
    fam = get_family(family)
    if fam.panel != panel:
        raise ConfigError(
            f"strategy family {family!r} is a {'panel' if fam.panel else 'single-asset'} "
            "family", where="strategy.family",
            fix=("run it with backtest_panel(closes, ...) on a (bars x assets) panel"
                 if fam.panel else "run it with backtest_grid(close, ...) on one asset"))
    if isinstance(points, dict) or not isinstance(points, Sequence) or len(points) == 0:
        raise ConfigError(f"points must be a non-empty list of parameter dicts, got {points!r}",
                          where=where, fix="pass expand_grid(...).points")
    return [fam.validate(p, where=f"{where}[{j}]") for j, p in enumerate(points)]


@dataclass(frozen=True)
class _Plan:
    """Inputs of the grid driver for one family and grid (see ``K._signal_block``)."""

    fam: int
    tab_a: np.ndarray
    tab_b: np.ndarray
    icol: np.ndarray
    fpar: np.ndarray


def _family_plan(family: str, c: np.ndarray, pts: list[dict]) -> _Plan:
    T, k = c.shape[0], len(pts)
    icol = np.zeros((k, 2), dtype=np.int64)
    fpar = np.zeros((k, 2))
    tab_a, tab_b = K.EMPTY_2D, K.EMPTY_2D
    if family == "ma_crossover":
        # Each distinct window is averaged once and shared by every point that uses it.
        windows = np.array(sorted({p["fast"] for p in pts} | {p["slow"] for p in pts}),
                           dtype=np.int64)
        col = {int(w): i for i, w in enumerate(windows)}
        tab_a = np.empty((T, windows.shape[0]))
        K._sma_table(c, windows, tab_a, work=T * windows.shape[0])
        icol[:, 0] = [col[p["fast"]] for p in pts]
        icol[:, 1] = [col[p["slow"]] for p in pts]
    elif family == "ts_momentum":
        icol[:, 0] = [p["lookback"] for p in pts]
        fpar[:, 0] = [p["threshold"] for p in pts]
    elif family == "zscore_reversion":
        windows = np.array(sorted({p["lookback"] for p in pts}), dtype=np.int64)
        col = {int(w): i for i, w in enumerate(windows)}
        tab_a = np.empty((T, windows.shape[0]))
        K._zscore_table(c, windows, tab_a, work=2 * T * int(np.minimum(windows, T).sum()))
        icol[:, 0] = [col[p["lookback"]] for p in pts]
        fpar[:, 0] = [p["entry"] for p in pts]
        fpar[:, 1] = [p["exit"] for p in pts]
    elif family == "donchian_breakout":
        windows = np.array(sorted({p["lookback"] for p in pts}), dtype=np.int64)
        col = {int(w): i for i, w in enumerate(windows)}
        tab_a = np.empty((T, windows.shape[0]))
        tab_b = np.empty((T, windows.shape[0]))
        K._channel_table(c, windows, tab_a, tab_b, work=T * windows.shape[0])
        icol[:, 0] = [col[p["lookback"]] for p in pts]
    else:  # pragma: no cover - _validated_points admits known single-asset families only
        raise AssertionError(family)
    return _Plan(_CODES[family], tab_a, tab_b, icol, fpar)


def _user_plan(pos: np.ndarray) -> _Plan:
    return _Plan(K.FAM_USER, pos, K.EMPTY_2D, np.zeros((pos.shape[1], 2), dtype=np.int64),
                 np.zeros((pos.shape[1], 2)))


def _overlay_scale(c: np.ndarray, overlay: Any, periods_per_year: Any) -> np.ndarray | None:
    spec = validate_overlay(overlay)
    if spec is None:
        return None
    if periods_per_year is None:
        raise ConfigError("the overlay needs periods_per_year to annualise volatility",
                          where="periods_per_year",
                          fix="pass periods_per_year, e.g. 8760 for hourly crypto bars")
    ppy = positive_number(periods_per_year, name="periods_per_year")
    return _scale(K._asset_returns(c)[:, None], spec, ppy)[:, 0].copy()


def _check_scaled_user(pos: np.ndarray, scale: np.ndarray, points: Sequence[dict]) -> None:
    """Refuse a user position that the overlay scales beyond MAX_ABS_POSITION."""
    big = np.abs(pos).max(axis=1) * scale > MAX_ABS_POSITION
    if big.any():
        (t,) = first_bad(big)
        j = int(np.argmax(np.abs(pos[t])))
        raise ConfigError(
            f"the overlay scales position {float(pos[t, j])!r} at bar {t} by "
            f"{float(scale[t]):.4g} beyond |{MAX_ABS_POSITION:g}|",
            where=f"strategy.function point {j} {points[j]!r} bar {t}",
            fix="lower the overlay's max_leverage or return positions within [-1, 1]")


def _run(plan: _Plan, c: np.ndarray, short: float, scale: np.ndarray | None, cost: float,
         fund: np.ndarray | None, *, positions: bool, returns: bool, stats: bool,
         chunk: int | None = None, row_block: int | None = None):
    """Call the grid driver; return (positions or None, returns or None, stats or None).

    ``chunk`` and ``row_block`` override the layout (tests use them to show that no result
    depends on it).
    """
    T, k = c.shape[0], plan.icol.shape[0]
    pos = np.empty((T, k)) if positions else K.EMPTY_2D
    ret = np.empty((T - 1, k)) if returns else K.EMPTY_2D
    st = np.empty((K.N_STATS, k)) if stats else K.EMPTY_2D
    kernel = K._grid_kernel.pick(T * k)
    width, rows = K.layout(k, kernel is K._grid_kernel.parallel)
    kernel(plan.fam, c, plan.tab_a, plan.tab_b, plan.icol, plan.fpar, short,
           K.EMPTY_1D if scale is None else scale, K._asset_returns(c), cost,
           K.EMPTY_1D if fund is None else fund, chunk or width, row_block or rows,
           pos, ret, st)
    return (pos if positions else None, ret if returns else None, st if stats else None)


def grid_positions(family: str, close: Any, points: Sequence[dict], *,
                   long_only: bool = False, overlay: dict | None = None,
                   periods_per_year: float | None = None) -> np.ndarray:
    """Positions of every grid point of a built-in single-asset family.

    Parameters
    ----------
    family
        ``"ma_crossover"``, ``"ts_momentum"``, ``"zscore_reversion"`` or
        ``"donchian_breakout"`` (see :data:`FAMILIES`).
    close
        Close prices, shape (T,), finite and positive.
    points
        Parameter dicts (validated here; defaults filled in).
    long_only
        Short signals become flat.
    overlay, periods_per_year
        An optional overlay (see :mod:`.overlays`) applied to every point;
        ``periods_per_year`` is required with it.

    Returns
    -------
    numpy.ndarray
        Shape (T, k), values in {-1, 0, 1} (fractional with an overlay). Warm-up bars, where
        the indicator is undefined, are flat; a window longer than the series gives an
        all-flat column.
    """
    c = as_close(close)
    pts = _validated_points(family, points, where="strategy.grid")
    scale = _overlay_scale(c, overlay, periods_per_year)
    pos, _, _ = _run(_family_plan(family, c, pts), c, 0.0 if long_only else 1.0, scale, 0.0,
                     None, positions=True, returns=False, stats=False)
    return pos


def _func_name(func: Any) -> str:
    return repr(getattr(func, "__name__", type(func).__name__))


def user_positions(func: Callable[..., Any], close: Any, points: Sequence[dict], *,
                   where: str = "strategy.function") -> np.ndarray:
    """Positions from a user strategy function, one column per parameter point.

    ``func(close, **params)`` must return positions of shape (T,): finite, with
    ``|position| <= MAX_ABS_POSITION``, where ``position[t]`` may use ``close[:t+1]`` only (the
    engine cannot see inside the function; the no-look-ahead contract is the author's). ``close``
    is passed read-only so that a strategy cannot alter the data of the next point.

    Raises
    ------
    ConfigError
        The function raised, or its output has the wrong shape, a non-finite value or too much
        leverage; the message names the point index, its parameters and the first bad bar.
    """
    if not callable(func):
        raise ConfigError(f"strategy function {func!r} is not callable", where=where,
                          fix="pass a function func(close, **params) -> positions")
    c = as_close(close)
    view = c.view()
    view.flags.writeable = False
    if isinstance(points, dict) or not isinstance(points, Sequence) or len(points) == 0:
        raise ConfigError(f"points must be a non-empty list of parameter dicts, got {points!r}",
                          where=where, fix="pass one dict of keyword arguments per grid point")
    T = c.shape[0]
    out = np.empty((T, len(points)))
    for j, params in enumerate(points):
        at = f"{where} point {j} {params!r}"
        if not isinstance(params, dict):
            raise ConfigError(f"point {j} is {params!r}, not a dict", where=at,
                              fix="pass one dict of keyword arguments per grid point")
        try:
            pos = func(view, **params)
        except Exception as exc:
            raise ConfigError(f"the strategy function raised {type(exc).__name__}: {exc}",
                              where=at, fix="fix the function for these parameters") from exc
        except SystemExit as exc:  # sys.exit() or exit() inside a strategy must not end a run
            raise ConfigError(f"the strategy function called exit (SystemExit({exc.code!r})); "
                              "nothing was recorded", where=at,
                              fix="return positions instead of exiting") from None
        except KeyboardInterrupt:  # Ctrl-C, or raised by the function itself
            raise Interrupted(f"the strategy function {_func_name(func)} was interrupted "
                              "(KeyboardInterrupt); nothing was recorded", where=at,
                              fix="run again and let it finish, or make the function "
                                  "faster for these parameters") from None
        except BaseException as exc:  # a user-defined BaseException: still the user's error
            raise ConfigError(f"the strategy function {_func_name(func)} raised "
                              f"{type(exc).__name__} (a BaseException): {exc}; nothing was "
                              "recorded", where=at,
                              fix="raise an Exception subclass, or return positions") from None
        try:
            pos = np.asarray(pos, dtype=np.float64)
        except (TypeError, ValueError):
            raise ConfigError(f"the strategy function returned {type(pos).__name__}, not "
                              "numbers", where=at, fix="return a float array of positions"
                              ) from None
        if pos.shape != (T,):
            raise ConfigError(f"the strategy function returned shape {pos.shape}, expected "
                              f"({T},)", where=at, fix="return one position per bar of close")
        bad = ~np.isfinite(pos) | (np.abs(pos) > MAX_ABS_POSITION)
        if bad.any():
            (t,) = first_bad(bad)
            raise ConfigError(
                f"position {float(pos[t])!r} at bar {t} is not finite or exceeds "
                f"|{MAX_ABS_POSITION:g}|",
                where=f"{at} bar {t}",
                fix="return positions as fractions of equity (e.g. -1, 0, 1), flat in warm-up")
        out[:, j] = pos
    return out


def _as_positions(positions: Any, T: int) -> np.ndarray:
    pos = as_matrix(positions, name="positions", where="positions", rows=T)
    bad = np.abs(pos) > MAX_ABS_POSITION
    if bad.any():
        i, j = first_bad(bad)
        raise DataError(f"positions[{i}, {j}]={float(pos[i, j])!r} exceeds |{MAX_ABS_POSITION:g}|",
                        where=f"positions[{i}, {j}]", fix="express positions in units of equity")
    return pos


def strategy_returns(positions: Any, close: Any, *, cost_bps: float,
                     funding_bps_per_period: Any = None) -> np.ndarray:
    """Per-period strategy returns after costs, shape (T-1, k) (or (T-1,) for 1-D positions).

    Parameters
    ----------
    positions
        Shape (T, k) or (T,): ``positions[t]`` is held over bar t+1.
    close
        Shape (T,).
    cost_bps
        Fee plus slippage in basis points of traded notional.
    funding_bps_per_period
        Optional funding of a perpetual future, in basis points of the position per bar: a
        number, or an array of shape (T,) aligned with ``close`` (``funding[t]`` is charged on
        the position held over bar t; ``funding[0]`` never is). Longs pay positive funding.

    Examples
    --------
    Long from bar 0, flat from bar 2, 10 bp per unit traded:

    >>> strategy_returns([1.0, 1.0, 0.0], [100.0, 110.0, 99.0], cost_bps=10).round(12).tolist()
    [0.099, -0.1]
    """
    c = as_close(close)
    one_d = np.ndim(positions) == 1
    pos = _as_positions(positions, c.shape[0])
    cost = nonneg_number(cost_bps, name="cost_bps") * 1e-4
    fund = as_funding(funding_bps_per_period, c.shape)
    _, out, _ = _run(_user_plan(pos), c, 1.0, None, cost, fund, positions=False,
                     returns=True, stats=False)
    return out[:, 0] if one_d else out


class GridResult:
    """Returns and positions of every grid point of one backtest (arrays are read-only).

    Attributes
    ----------
    returns
        (T-1, k) per-period strategy returns after costs; row i is bar i+1.
    positions
        (T, k) positions; row t is decided at bar t and held over bar t+1. For a panel
        (:func:`backtest_panel`), the gross exposure ``sum_a |w[t, a]|`` of the weights. For
        a built-in family the matrix is computed on first access (bit-identical to the
        positions the returns were computed from) and kept: a caller that needs only returns
        and metrics never holds it.
    points
        The k parameter points, in column order (validated and complete for families).
    traded
        Panel only: (T-1, k) notional traded to enter the weights held over each row,
        ``sum_a |w[i, a] - w[i-1, a]|`` (the amount the costs were charged on); None for one
        asset, where it is ``|positions[i] - positions[i-1]|``.
    n_assets
        Number of assets traded (1, or the panel's width).
    stats
        The per-point reductions the metrics are made of, computed with the returns; read
        them through :meth:`metrics` (or :func:`trial_metrics` on this result's arrays, which
        recognises them).
    """

    __slots__ = ("returns", "points", "traded", "n_assets", "stats", "_positions",
                 "_make_positions", "__weakref__")

    def __init__(self, returns: np.ndarray, positions: np.ndarray | None = None,
                 points: Sequence[dict] = (), *, traded: np.ndarray | None = None,
                 n_assets: int = 1, stats: np.ndarray | None = None,
                 make_positions: Callable[[], np.ndarray] | None = None):
        if (positions is None) == (make_positions is None):
            raise TypeError("give exactly one of positions and make_positions")
        for arr in (returns, positions, traded, stats):
            if arr is not None:
                arr.flags.writeable = False
        setattr_ = object.__setattr__
        setattr_(self, "returns", returns)
        setattr_(self, "points", tuple(points))
        setattr_(self, "traded", traded)
        setattr_(self, "n_assets", int(n_assets))
        setattr_(self, "stats", stats)
        setattr_(self, "_positions", positions)
        setattr_(self, "_make_positions", make_positions)
        if stats is not None:
            register_stats(self)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"GridResult is read-only (cannot set {name!r})")

    @property
    def positions(self) -> np.ndarray:
        pos = self._positions
        if pos is None:
            pos = self._make_positions()
            pos.flags.writeable = False
            object.__setattr__(self, "_positions", pos)
            object.__setattr__(self, "_make_positions", None)
        return pos

    @property
    def n_trials(self) -> int:
        return self.returns.shape[1]

    def __repr__(self) -> str:
        n, k = self.returns.shape
        return (f"GridResult({k} points x {n} periods, n_assets={self.n_assets}, "
                f"points={list(self.points[:3])}{'...' if k > 3 else ''})")

    def metrics(self, *, periods_per_year: float) -> dict[str, np.ndarray]:
        """The metrics of :func:`trial_metrics`, bit for bit, without reading the matrices
        again (turnover of a panel counts the traded notional of every asset)."""
        ppy = positive_number(periods_per_year, name="periods_per_year")
        stats = self.stats
        if stats is None:
            ret = np.ascontiguousarray(self.returns)
            stats = (K.return_stats(ret, traded_rows=np.ascontiguousarray(self.traded))
                     if self.traded is not None
                     else K.return_stats(ret, np.ascontiguousarray(self.positions)))
        return metrics_from_stats(stats, self.returns.shape[0], ppy)


def _inputs(close: Any, fee_bps: float, slippage_bps: float, funding: Any
            ) -> tuple[np.ndarray, float, np.ndarray | None]:
    c = as_close(close)
    cost_bps = (nonneg_number(fee_bps, name="costs.fee_bps")
                + nonneg_number(slippage_bps, name="costs.slippage_bps"))
    return c, cost_bps * 1e-4, as_funding(funding, c.shape)


def _prepare(c: np.ndarray, family_or_func: str | Callable[..., Any], points: Sequence[dict],
             long_only: bool, overlay: Any, periods_per_year: Any
             ) -> tuple[_Plan, list[dict], float, np.ndarray | None, np.ndarray | None]:
    """(plan, points, short, scale, user positions to return as they are or None)."""
    scale = _overlay_scale(c, overlay, periods_per_year)
    if isinstance(family_or_func, str):
        pts = _validated_points(family_or_func, points, where="strategy.grid")
        return (_family_plan(family_or_func, c, pts), pts, 0.0 if long_only else 1.0, scale,
                None)
    pos = user_positions(family_or_func, c, points)
    if long_only:
        pos = np.maximum(pos, 0.0)
    if scale is not None:
        _check_scaled_user(pos, scale, points)
    return _user_plan(pos), [dict(p) for p in points], 1.0, scale, pos


def backtest_grid(close: Any, family_or_func: str | Callable[..., Any],
                  points: Sequence[dict], *, fee_bps: float, slippage_bps: float,
                  long_only: bool = False, overlay: dict | None = None,
                  periods_per_year: float | None = None,
                  funding_bps_per_period: Any = None) -> GridResult:
    """Backtest every point of a grid: positions, then returns after fee and slippage.

    Parameters
    ----------
    close
        Close prices of one asset, shape (T,).
    family_or_func
        A single-asset family name (see :data:`FAMILIES`) or a user function
        ``func(close, **params) -> positions`` (see :func:`user_positions`).
    points
        One parameter dict per grid point.
    fee_bps, slippage_bps
        Costs in basis points of traded notional.
    long_only
        Short signals of a family become flat; a user function's negative positions too.
    overlay
        Optional position overlay applied to every point, e.g.
        ``{"kind": "vol_target", "target_vol": 0.2, "vol_lookback": 720}`` (see
        :mod:`.overlays`); it needs ``periods_per_year``.
    periods_per_year
        Bars per year; only the overlay uses it here.
    funding_bps_per_period
        Optional funding of a perpetual future (see :func:`strategy_returns`). None (the
        default) leaves the returns exactly as without the feature.

    Returns
    -------
    GridResult
        With the per-point reductions of the metrics already computed
        (:meth:`GridResult.metrics`); the positions of a family are computed when first read.
    """
    c, cost, fund = _inputs(close, fee_bps, slippage_bps, funding_bps_per_period)
    plan, pts, short, scale, user_pos = _prepare(c, family_or_func, points, long_only, overlay,
                                                 periods_per_year)
    _, ret, stats = _run(plan, c, short, scale, cost, fund, positions=False, returns=True,
                         stats=True)
    if user_pos is not None and scale is None:
        return GridResult(ret, user_pos, pts, stats=stats)

    def make_positions() -> np.ndarray:
        return _run(plan, c, short, scale, cost, fund, positions=True, returns=False,
                    stats=False)[0]

    return GridResult(ret, points=pts, stats=stats, make_positions=make_positions)


def grid_metrics(close: Any, family_or_func: str | Callable[..., Any], points: Sequence[dict],
                 *, fee_bps: float, slippage_bps: float, periods_per_year: float,
                 long_only: bool = False, overlay: dict | None = None,
                 funding_bps_per_period: Any = None) -> dict[str, np.ndarray]:
    """The metrics of every grid point, without keeping positions or returns.

    Same arguments as :func:`backtest_grid` and the same result, bit for bit, as
    ``backtest_grid(...).metrics(periods_per_year=...)``; but the (T, k) matrices are never
    allocated: grid points run in chunks (at most 512 points, at least one chunk per thread)
    whose positions and returns live in small buffers, block of rows by block of rows, so
    memory is O(T) per indicator window plus O(chunk) per thread whatever the size of the
    grid. For scans of large grids and for resampling tests that re-run a grid many times.
    """
    c, cost, fund = _inputs(close, fee_bps, slippage_bps, funding_bps_per_period)
    ppy = positive_number(periods_per_year, name="periods_per_year")
    plan, _pts, short, scale, _ = _prepare(c, family_or_func, points, long_only, overlay, ppy)
    _, _, stats = _run(plan, c, short, scale, cost, fund, positions=False, returns=False,
                       stats=True)
    return metrics_from_stats(stats, c.shape[0] - 1, ppy)

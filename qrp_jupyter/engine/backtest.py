"""Positions and per-period strategy returns for a grid of strategies (DESIGN section 6).

Timing convention: ``positions[t]`` is decided with data up to and including ``close[t]`` and
is held over bar ``t + 1``. Strategy returns are indexed by bar ``1..T-1``::

    ret[i] = pos[i] * r[i] - cost * |pos[i] - pos[i-1]|,   pos[-1] = 0,
    r[i] = close[i+1] / close[i] - 1,                        cost = (fee_bps + slippage_bps) * 1e-4

so a trade's cost is charged in the period in which the new position is first held, and the
last bar's position (never held) is never charged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ConfigError, DataError
from . import _kernels as K
from ._inputs import as_close, as_matrix, first_bad, nonneg_number
from .families import get_family

__all__ = ["MAX_ABS_POSITION", "GridResult", "asset_returns", "grid_positions", "user_positions",
           "strategy_returns", "backtest_grid"]

#: Largest absolute position (in multiples of equity) a user strategy may take. Beyond it a
#: position is far more likely a unit mistake (a price, a quantity in coins) than a strategy.
MAX_ABS_POSITION = 10.0


def asset_returns(close: Any) -> np.ndarray:
    """Simple returns of the asset, ``close[1:] / close[:-1] - 1`` (length T-1).

    Examples
    --------
    >>> asset_returns([100.0, 110.0, 99.0]).round(12).tolist()
    [0.1, -0.1]
    """
    return K._asset_returns(as_close(close))


def _validated_points(family: str, points: Sequence[dict], *, where: str) -> list[dict]:
    fam = get_family(family)
    if isinstance(points, dict) or not isinstance(points, Sequence) or len(points) == 0:
        raise ConfigError(f"points must be a non-empty list of parameter dicts, got {points!r}",
                          where=where, fix="pass expand_grid(...).points")
    return [fam.validate(p, where=f"{where}[{j}]") for j, p in enumerate(points)]


def grid_positions(family: str, close: Any, points: Sequence[dict], *,
                   long_only: bool = False) -> np.ndarray:
    """Positions of every grid point of a built-in family.

    Parameters
    ----------
    family
        ``"ma_crossover"`` or ``"ts_momentum"`` (see :data:`FAMILIES`).
    close
        Close prices, shape (T,), finite and positive.
    points
        Parameter dicts (validated here; defaults filled in).
    long_only
        Short signals become flat.

    Returns
    -------
    numpy.ndarray
        Shape (T, k), values in {-1, 0, 1}. Warm-up bars, where the indicator is undefined,
        are flat; a window longer than the series gives an all-flat column.
    """
    c = as_close(close)
    pts = _validated_points(family, points, where="strategy.grid")
    short = 0.0 if long_only else 1.0
    out = np.empty((c.shape[0], len(pts)))
    if family == "ma_crossover":
        # Each distinct window is averaged once and shared by every point that uses it.
        windows = np.array(sorted({p["fast"] for p in pts} | {p["slow"] for p in pts}),
                           dtype=np.int64)
        col = {int(w): i for i, w in enumerate(windows)}
        sma = np.empty((c.shape[0], windows.shape[0]))
        K._sma_table(c, windows, sma)
        K._crossover_positions(sma, np.array([col[p["fast"]] for p in pts], dtype=np.int64),
                               np.array([col[p["slow"]] for p in pts], dtype=np.int64),
                               short, out)
    else:
        K._momentum_positions(c, np.array([p["lookback"] for p in pts], dtype=np.int64),
                              np.array([p["threshold"] for p in pts], dtype=np.float64),
                              short, out)
    return out


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


def strategy_returns(positions: Any, close: Any, *, cost_bps: float) -> np.ndarray:
    """Per-period strategy returns after costs, shape (T-1, k) (or (T-1,) for 1-D positions).

    Parameters
    ----------
    positions
        Shape (T, k) or (T,): ``positions[t]`` is held over bar t+1.
    close
        Shape (T,).
    cost_bps
        Fee plus slippage in basis points of traded notional.

    Examples
    --------
    Long from bar 0, flat from bar 2, 10 bp per unit traded:

    >>> strategy_returns([1.0, 1.0, 0.0], [100.0, 110.0, 99.0], cost_bps=10).round(12).tolist()
    [0.099, -0.1]
    """
    c = as_close(close)
    one_d = np.ndim(positions) == 1
    pos = _as_positions(positions, c.shape[0])
    out = _returns(pos, c, nonneg_number(cost_bps, name="cost_bps"))
    return out[:, 0] if one_d else out


def _returns(pos: np.ndarray, close: np.ndarray, cost_bps: float) -> np.ndarray:
    out = np.empty((close.shape[0] - 1, pos.shape[1]))
    K._strategy_returns(pos, K._asset_returns(close), cost_bps * 1e-4, out)
    return out


@dataclass(frozen=True)
class GridResult:
    """Returns and positions of every grid point of one backtest.

    Attributes
    ----------
    returns
        (T-1, k) per-period strategy returns after costs; row i is bar i+1.
    positions
        (T, k) positions; row t is decided at bar t and held over bar t+1.
    points
        The k parameter points, in column order (validated and complete for families).
    """

    returns: np.ndarray
    positions: np.ndarray
    points: tuple[dict[str, Any], ...]

    @property
    def n_trials(self) -> int:
        return self.returns.shape[1]


def backtest_grid(close: Any, family_or_func: str | Callable[..., Any],
                  points: Sequence[dict], *, fee_bps: float, slippage_bps: float,
                  long_only: bool = False) -> GridResult:
    """Backtest every point of a grid: positions, then returns after fee and slippage.

    ``family_or_func`` is a family name or a user function (see :func:`user_positions`). With
    ``long_only`` a user function's negative positions are set to flat, as a family's short
    signals are.
    """
    c = as_close(close)
    cost_bps = (nonneg_number(fee_bps, name="costs.fee_bps")
                + nonneg_number(slippage_bps, name="costs.slippage_bps"))
    if isinstance(family_or_func, str):
        pts = _validated_points(family_or_func, points, where="strategy.grid")
        pos = grid_positions(family_or_func, c, pts, long_only=long_only)
    else:
        pos = user_positions(family_or_func, c, points)
        pts = [dict(p) for p in points]
        if long_only:
            pos = np.maximum(pos, 0.0)
    returns = _returns(pos, c, cost_bps)
    return GridResult(returns=returns, positions=pos, points=tuple(pts))

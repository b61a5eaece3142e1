"""Panel backtests: one strategy trading a cross-section of assets (``xs_momentum``).

A grid point holds a weight per asset, decided at bar t from prices up to bar t and held over
bar t+1 (the single-asset timing convention, per asset). Its return per period, in units of
equity, sums the assets in index order::

    ret[i] = sum_a w[i, a] r[i, a] - cost * sum_a |w[i, a] - w[i-1, a]| - sum_a w[i, a] f[i, a]

``xs_momentum`` weights are +1/(2 top_k) on the top_k assets by trailing return and
-1/(2 top_k) on the bottom top_k: gross exposure 1 (as one unit of a single asset, so costs,
leverage caps and overlays mean the same as for the single-asset families) and dollar
neutral, so the return is half the winners-minus-losers spread. ``long_only`` holds the top_k
at 1/top_k each. Ties in the ranking go to the lower asset index.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import ConfigError
from . import _kernels as K
from . import _panel_kernels as PK
from ._inputs import as_closes, as_funding, nonneg_number, positive_number
from .backtest import GridResult, _validated_points
from .overlays import _scale, validate_overlay

__all__ = ["backtest_panel", "panel_weights"]


def _points(family: str, points: Sequence[dict], n: int, long_only: bool) -> list[dict]:
    pts = _validated_points(family, points, where="strategy.grid", panel=True)
    per_side = 1 if long_only else 2
    for j, p in enumerate(pts):
        if per_side * p["top_k"] > n:
            raise ConfigError(
                f"top_k={p['top_k']} needs {per_side * p['top_k']} assets "
                f"({'long' if long_only else 'long and short'}), the panel has {n}",
                where=f"strategy.grid[{j}].top_k",
                fix=f"use top_k <= {n // per_side} or add assets")
    return pts


def _run_panel(closes: Any, family: str, points: Sequence[dict], *, fee_bps: float,
               slippage_bps: float, long_only: bool, overlay: Any, periods_per_year: Any,
               funding: Any, keep_weights: bool):
    c = as_closes(closes)
    T, n = c.shape
    cost = (nonneg_number(fee_bps, name="costs.fee_bps")
            + nonneg_number(slippage_bps, name="costs.slippage_bps")) * 1e-4
    fund = as_funding(funding, c.shape)
    spec = validate_overlay(overlay)
    pts = _points(family, points, n, long_only)
    asset_ret = np.ascontiguousarray(c[1:] / c[:-1] - 1.0)
    scale = K.EMPTY_2D
    if spec is not None:
        if periods_per_year is None:
            raise ConfigError("the overlay needs periods_per_year to annualise volatility",
                              where="periods_per_year",
                              fix="pass periods_per_year, e.g. 8760 for hourly crypto bars")
        scale = _scale(asset_ret, spec, positive_number(periods_per_year,
                                                        name="periods_per_year"))
    k = len(pts)
    lookbacks = np.array(sorted({p["lookback"] for p in pts}), dtype=np.int64)
    col = {int(x): i for i, x in enumerate(lookbacks)}
    ranks = np.empty((lookbacks.shape[0], T, n), dtype=np.int32)
    PK._rank_table(c, lookbacks, ranks, work=lookbacks.shape[0] * T * n * 8)
    ret = np.empty((T - 1, k))
    gross = np.empty((T, k))
    traded = np.empty((T - 1, k))
    weights = np.empty((T, n, k)) if keep_weights else np.empty((0, 0, 0))
    PK._xs_kernel(ranks, np.array([col[p["lookback"]] for p in pts], dtype=np.int64),
                  np.array([p["lookback"] for p in pts], dtype=np.int64),
                  np.array([p["top_k"] for p in pts], dtype=np.int64),
                  0.0 if long_only else 1.0, scale, asset_ret, cost,
                  K.EMPTY_2D if fund is None else fund, ret, gross, traded, weights,
                  work=T * n * k)
    return pts, ret, gross, traded, weights, n


def backtest_panel(closes: Any, family: str, points: Sequence[dict], *, fee_bps: float,
                   slippage_bps: float, long_only: bool = False, overlay: dict | None = None,
                   periods_per_year: float | None = None,
                   funding_bps_per_period: Any = None) -> GridResult:
    """Backtest every point of a panel family's grid over a (bars x assets) panel.

    Parameters
    ----------
    closes
        Close prices, shape (T, n), n >= 2, finite and positive (every asset priced at every
        bar); a DataFrame's columns are the assets, in order.
    family
        A panel family: ``"xs_momentum"``.
    points
        Parameter dicts (``lookback``, ``top_k``), validated here; ``2 * top_k <= n``
        (``top_k <= n`` when long-only).
    fee_bps, slippage_bps
        Costs in basis points of the notional traded in each asset.
    long_only
        Hold only the top_k, at 1/top_k each.
    overlay, periods_per_year
        Optional overlay (see :mod:`.overlays`): with volatility targeting each asset's weight
        is scaled by its own realised volatility.
    funding_bps_per_period
        Optional funding, in basis points per bar: a number, or an array of shape (T, n)
        aligned with ``closes``; longs pay positive funding.

    Returns
    -------
    GridResult
        ``returns`` (T-1, k), ``positions`` = gross exposure ``sum_a |w|`` (T, k), ``traded``
        (T-1, k) notional traded per held row, ``n_assets`` = n; use
        ``result.metrics(periods_per_year=...)`` (turnover counts every asset's trades). The
        weights themselves: :func:`panel_weights`.
    """
    pts, ret, gross, traded, _, n = _run_panel(
        closes, family, points, fee_bps=fee_bps, slippage_bps=slippage_bps,
        long_only=long_only, overlay=overlay, periods_per_year=periods_per_year,
        funding=funding_bps_per_period, keep_weights=False)
    stats = K.return_stats(ret, traded_rows=traded)
    return GridResult(ret, gross, pts, traded=traded, n_assets=n, stats=stats)


def panel_weights(family: str, closes: Any, points: Sequence[dict], *, long_only: bool = False,
                  overlay: dict | None = None, periods_per_year: float | None = None
                  ) -> np.ndarray:
    """Weights of every grid point of a panel family, shape (T, n, k): ``w[t, a, j]`` is
    decided at bar t and held over bar t+1.

    Examples
    --------
    >>> closes = np.array([[10.0, 10.0, 10.0, 10.0], [11.0, 9.0, 10.5, 10.0]])
    >>> panel_weights("xs_momentum", closes, [{"lookback": 1, "top_k": 1}])[1, :, 0].tolist()
    [0.5, -0.5, 0.0, 0.0]
    """
    _, _, _, _, weights, _ = _run_panel(
        closes, family, points, fee_bps=0.0, slippage_bps=0.0, long_only=long_only,
        overlay=overlay, periods_per_year=periods_per_year, funding=None, keep_weights=True)
    return weights

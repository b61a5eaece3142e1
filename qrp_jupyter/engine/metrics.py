"""Per-trial performance metrics of a returns matrix (one value per grid point)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _kernels as K
from ._inputs import as_matrix, positive_number

__all__ = ["METRIC_NAMES", "trial_metrics"]

METRIC_NAMES = ("sharpe", "sharpe_annual", "total_return", "max_drawdown", "turnover",
                "n_trades", "mean_return", "volatility")


def trial_metrics(returns: Any, positions: Any, *, periods_per_year: float
                  ) -> dict[str, np.ndarray]:
    """Metrics of each column of a backtest.

    Parameters
    ----------
    returns
        (T-1, k) per-period strategy returns (after costs).
    positions
        (T, k) positions that produced them; row t is held over bar t+1.
    periods_per_year
        Bars per year, explicit (hourly crypto, which trades all year: 8760).

    Returns
    -------
    dict of str to numpy.ndarray
        Each of shape (k,):

        ``mean_return``, ``volatility``
            Per period; volatility with ddof=1 (NaN with one period, 0 when every return is
            identical).
        ``sharpe``
            Per period, ``mean_return / volatility``; NaN when the volatility is 0 or undefined.
        ``sharpe_annual``
            ``sharpe * sqrt(periods_per_year)``.
        ``total_return``
            Compounded, ``prod(1 + r) - 1``.
        ``max_drawdown``
            Largest fall of compounded equity (starting at 1) from its running peak, as a
            positive fraction; above 1 only if leverage drove equity below zero.
        ``turnover``
            Traded notional per year in units of equity: ``sum |pos[i] - pos[i-1]|`` over the
            T-1 held positions (``pos[-1] = 0``, the final bar's position is never traded)
            divided by ``(T-1) / periods_per_year`` years. The same trades are the ones the
            returns were charged for: total cost = cost * turnover * years.
        ``n_trades``
            Number of held bars whose position differs from the previous one (same rows).

    Notes
    -----
    Each column is reduced serially in time order, so values do not depend on the number of
    threads. Sharpe here is the plain sample ratio; the deflated and probabilistic versions
    live in :mod:`qrp_jupyter.stats`.
    """
    ret = as_matrix(returns, name="returns", where="returns")
    n, k = ret.shape
    pos = as_matrix(positions, name="positions", where="positions", rows=n + 1, cols=k)
    ppy = positive_number(periods_per_year, name="periods_per_year")
    mean, vol, sharpe, total, mdd = K._return_stats(ret)
    traded, changes = K._position_changes(pos, n)
    return {
        "sharpe": sharpe,
        "sharpe_annual": sharpe * np.sqrt(ppy),
        "total_return": total,
        "max_drawdown": mdd,
        "turnover": traded / (n / ppy),
        "n_trades": changes,
        "mean_return": mean,
        "volatility": vol,
    }

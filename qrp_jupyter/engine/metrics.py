"""Per-trial performance metrics of a returns matrix (one value per grid point)."""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from . import _kernels as K
from ._inputs import as_matrix, positive_number

__all__ = ["METRIC_NAMES", "trial_metrics"]

METRIC_NAMES = ("sharpe", "sharpe_annual", "total_return", "max_drawdown", "turnover",
                "n_trades", "mean_return", "volatility")


# id(returns array) -> the GridResult that computed it with its metrics' reductions. Lets
# trial_metrics(result.returns, result.positions) reuse them: the arrays are read-only and the
# identities are checked, so the values are exactly those a fresh reduction would give.
_RESULTS: "weakref.WeakValueDictionary[int, Any]" = weakref.WeakValueDictionary()


def register_stats(result: Any) -> None:
    """Remember a result whose ``stats`` are the reductions of its ``returns``."""
    _RESULTS[id(result.returns)] = result


def _known_stats(returns: Any, positions: Any, traded: Any) -> np.ndarray | None:
    result = _RESULTS.get(id(returns))
    if (result is None or result.returns is not returns or returns.flags.writeable
            or result.traded is not traded):
        return None
    held = result._positions
    if held is None or held is not positions:
        return None
    return result.stats


def metrics_from_stats(stats: np.ndarray, n: int, ppy: float) -> dict[str, np.ndarray]:
    """The metric dict from the (N_STATS, k) reductions of ``K._finish_stats`` over n rows."""
    mean, vol, sharpe, total, mdd, traded, changes = (np.array(row) for row in stats)
    return {
        "sharpe": sharpe,
        "sharpe_annual": sharpe * np.sqrt(ppy),
        "total_return": total,
        "max_drawdown": mdd,
        "turnover": traded / (n / ppy),
        "n_trades": changes.astype(np.int64),
        "mean_return": mean,
        "volatility": vol,
    }


def trial_metrics(returns: Any, positions: Any, *, periods_per_year: float,
                  traded: Any = None) -> dict[str, np.ndarray]:
    """Metrics of each column of a backtest.

    Parameters
    ----------
    returns
        (T-1, k) per-period strategy returns (after costs).
    positions
        (T, k) positions that produced them; row t is held over bar t+1.
    periods_per_year
        Bars per year, explicit (hourly crypto, which trades all year: 8760).
    traded
        Optional (T-1, k) notional traded per held row; when given (a panel's
        ``GridResult.traded``), turnover and trade counts come from it instead of from the
        changes of ``positions``.

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
            Entries, exits and reversals: held bars whose position has another sign than the
            previous one (same rows; a rescale of a position is not a trade). For a panel,
            rows where any notional is traded.

    Notes
    -----
    Each column is reduced serially in time order, so values do not depend on the number of
    threads. The matrices are read row block by row block (each row segment contiguous).
    Sharpe here is the plain sample ratio; the deflated and probabilistic versions live in
    :mod:`qrp_jupyter.stats`. A :class:`~qrp_jupyter.engine.GridResult` already holds these
    reductions: ``result.metrics(periods_per_year=...)`` gives the same values without
    reading the matrices again.
    """
    known = _known_stats(returns, positions, traded)
    if known is not None:
        return metrics_from_stats(known, returns.shape[0],
                                  positive_number(periods_per_year, name="periods_per_year"))
    ret = as_matrix(returns, name="returns", where="returns", check_finite=False)
    n, k = ret.shape
    pos = as_matrix(positions, name="positions", where="positions", rows=n + 1, cols=k,
                    check_finite=False)
    tr = None
    if traded is not None:
        tr = as_matrix(traded, name="traded", where="traded", rows=n, cols=k,
                       check_finite=False)
    stats = (K.return_stats(ret, traded_rows=tr) if tr is not None
             else K.return_stats(ret, pos))
    # Any NaN or inf in the inputs makes a sum non-finite (the returns' sum, the traded
    # notional); only then are the matrices scanned, to name the first bad cell.
    if not (np.isfinite(stats[0]).all() and np.isfinite(stats[5]).all()
            and np.isfinite(pos[-1] if tr is None else pos).all()):
        as_matrix(ret, name="returns", where="returns")
        as_matrix(pos, name="positions", where="positions")
        if tr is not None:
            as_matrix(tr, name="traded", where="traded")
    ppy = positive_number(periods_per_year, name="periods_per_year")
    return metrics_from_stats(stats, n, ppy)

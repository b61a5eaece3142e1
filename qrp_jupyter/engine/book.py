"""One-book pricing: out-of-sample rows of several trials priced as a single trading account.

Walk-forward and CPCV evaluate, on each test window, the trial chosen on its train rows. Copying
that trial's own backtest returns onto the window would price every window as if the account
had already been holding the new trial's position: no trade at a fold boundary where the chosen
trial changes, no entry into the first window and no exit after the last. Here the held
position is ``q[i] = pos[i, chosen(i)]`` and each row is priced with the engine's formula
(:mod:`.backtest`)::

    ret[i] = q[i] * r[i] - cost * |q[i] - q[i-1]| (- q[i] * f[i] with funding)

with ``q`` = 0 before the first row (the entry is charged) and an exit ``cost * |q[last]|``
charged on the last row (the book is closed). Rows that are not consecutive are a gap in the
book, which is flat in it: it exits before the gap and enters after it. Where the book holds on
a row what the chosen trial held on the previous one, the row's return is that trial's own
backtest return, bit for bit. A panel book holds weights per asset; its traded notional is
summed over assets (:mod:`.panel`).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ConfigError, DataError
from . import _book_kernels as BK
from . import _kernels as K
from ._inputs import as_close, as_closes, as_funding, first_bad, nonneg_number
from .families import MAX_ABS_POSITION

__all__ = ["one_book_returns"]

#: ``positions(trials) -> array``: the positions (T, m) or panel weights (T, n, m) of the m
#: given trials, in that order; lets a caller build only the columns of the chosen trials.
PositionSource = Callable[[np.ndarray], Any]


def _as_rows(rows: Any, trials: Any, n_rows: int, k: int | None) -> tuple[np.ndarray, np.ndarray]:
    r = np.asarray(rows)
    t = np.asarray(trials)
    if r.ndim != 1 or t.shape != r.shape or r.size == 0:
        raise ConfigError(f"rows (shape {r.shape}) and trials (shape {t.shape}) must be "
                          "non-empty 1-D arrays of one length", where="one_book.rows",
                          fix="give one trial index per out-of-sample row")
    if not (np.issubdtype(r.dtype, np.integer) and np.issubdtype(t.dtype, np.integer)):
        raise ConfigError("rows and trials must be integer indices", where="one_book.rows",
                          fix="pass row and trial numbers as ints")
    r = np.ascontiguousarray(r, dtype=np.int64)
    t = np.ascontiguousarray(t, dtype=np.int64)
    if r[0] < 0 or r[-1] >= n_rows or (r.size > 1 and (np.diff(r) <= 0).any()):
        raise ConfigError(f"rows must increase strictly within [0, {n_rows}) (the returns "
                          "rows of the positions)", where="one_book.rows",
                          fix="pass the out-of-sample rows in time order, each once")
    if k is not None and (t.min() < 0 or t.max() >= k):
        raise ConfigError(f"a trial index is outside [0, {k})", where="one_book.trials",
                          fix="pass column indices of the positions")
    return r, t


def _as_weights(positions: Any, T: int, n: int | None, m: int | None) -> np.ndarray:
    """(T, m) positions of one asset or (T, n, m) panel weights, checked."""
    try:
        arr = np.ascontiguousarray(np.asarray(positions, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise DataError(f"positions cannot be read as float64 numbers ({exc})",
                        where="positions", fix="pass a numeric array") from None
    want = 2 if n is None else 3
    if arr.ndim != want or arr.shape[0] != T or (n is not None and arr.shape[1] != n) \
            or (m is not None and arr.shape[-1] != m) or arr.shape[-1] == 0:
        shape = f"({T}, trials)" if n is None else f"({T}, {n}, trials)"
        raise DataError(f"positions have shape {arr.shape}, expected {shape}"
                        + (f" with {m} trial(s)" if m is not None else ""), where="positions",
                        fix="one row per bar of close (and one column per asset for a panel)")
    bad = ~np.isfinite(arr) | (np.abs(arr) > MAX_ABS_POSITION)
    if bad.any():
        idx = first_bad(bad)
        raise DataError(f"positions{list(idx)}={float(arr[idx])!r} is not finite or exceeds "
                        f"|{MAX_ABS_POSITION:g}|", where=f"positions{list(idx)}",
                        fix="express positions in units of equity")
    return arr


class _Book:
    """Validated market inputs of one-book pricing, with positions given or built on demand."""

    def __init__(self, positions: Any, close: Any, *, cost_bps: Any, funding_bps_per_period: Any,
                 n_rows: int | None = None, k: int | None = None):
        c = np.asarray(close)
        self.panel = c.ndim == 2
        self.close = as_closes(close) if self.panel else as_close(close)
        T = self.close.shape[0]
        if n_rows is not None and T != n_rows + 1:
            raise DataError(f"close has {T} bars but the returns have {n_rows} rows (expected "
                            f"{n_rows + 1} bars)", where="close",
                            fix="pass the close prices the returns were computed from")
        self.cost = nonneg_number(cost_bps, name="cost_bps") * 1e-4
        self.fund = as_funding(funding_bps_per_period, self.close.shape)
        self.asset_ret = (np.ascontiguousarray(self.close[1:] / self.close[:-1] - 1.0)
                          if self.panel else K._asset_returns(self.close))
        self.k = k
        self.source: PositionSource | None = None
        self.weights: np.ndarray | None = None
        n = self.close.shape[1] if self.panel else None
        if callable(positions):
            self.source = positions
        else:
            self.weights = _as_weights(positions, T, n, k)
            self.k = self.weights.shape[-1]

    def price(self, paths: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
        """One-book returns of each (rows, trials) path."""
        T = self.close.shape[0]
        checked = [_as_rows(r, t, T - 1, self.k) for r, t in paths]
        weights = self.weights
        remap = None
        if weights is None:
            used = np.unique(np.concatenate([t for _, t in checked]))
            weights = _as_weights(self.source(used.copy()), T,
                                  self.close.shape[1] if self.panel else None, used.size)
            remap = used
        fund = (K.EMPTY_2D if self.panel else K.EMPTY_1D) if self.fund is None else self.fund
        out = []
        for rows, trials in checked:
            cols = trials if remap is None else np.searchsorted(remap, trials).astype(np.int64)
            ret = np.empty(rows.shape[0])
            if self.panel:
                BK._book_panel(weights, self.asset_ret, fund, rows, cols, self.cost, ret,
                               np.empty(rows.shape[0]))
            else:
                BK._book_single(weights, self.asset_ret, fund, rows, cols, self.cost, ret)
            out.append(ret)
        return out


def one_book_returns(positions: Any, close: Any, *, rows: Any, trials: Any, cost_bps: float,
                     funding_bps_per_period: Any = None) -> np.ndarray:
    """Returns of one account holding trial ``trials[s]``'s position on returns row ``rows[s]``.

    Parameters
    ----------
    positions
        (T, k) positions of one asset, ``positions[t]`` held over bar t+1; or (T, n, k)
        weights of a panel of n assets; or a callable ``positions(trials)`` returning those
        arrays for just the given (sorted, distinct) trials, in that order.
    close
        (T,) closes of the asset, or (T, n) closes of the panel.
    rows
        Returns-matrix rows (row i is bar i+1) the book lives through, strictly increasing.
    trials
        The trial whose position the book holds on each row.
    cost_bps
        Fee plus slippage, basis points of traded notional.
    funding_bps_per_period
        Optional funding as in :func:`~qrp_jupyter.engine.strategy_returns` (a number, or an
        array shaped like ``close``).

    Returns
    -------
    numpy.ndarray
        (len(rows),) returns: entry charged on the first row and after every gap in ``rows``,
        exit on the last row and before every gap (see the module docstring).

    Examples
    --------
    Long one unit on bars 1-2, 10 bp: entry on the first row, exit on the last.

    >>> one_book_returns([[1.0], [1.0], [0.0]], [100.0, 110.0, 99.0], rows=[0, 1],
    ...                  trials=[0, 0], cost_bps=10).round(12).tolist()
    [0.099, -0.101]
    """
    book = _Book(positions, close, cost_bps=cost_bps, funding_bps_per_period=funding_bps_per_period)
    return book.price([(np.asarray(rows), np.asarray(trials))])[0]

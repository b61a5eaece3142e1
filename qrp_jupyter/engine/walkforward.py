"""Walk-forward evaluation of a grid: choose on train rows, evaluate on the following test rows.

Row indices here are rows of the (T-1, k) returns matrix (row i is bar i+1). Every fold's
layout is ``[train) purge [test)``: the selection step chooses one trial from the train rows,
and the out-of-sample series holds that trial's position on the test rows. The selection step
reads the returns only through :class:`TrackedReturns`, which records every row it touches; the
fold-causality attestation is computed from those records (see :mod:`.attestation`).

Pricing. Given the trials' positions, the close prices and the costs, the out-of-sample rows are
priced as one book (:mod:`.book`): it enters the first fold's position from flat, trades from one
fold's trial position to the next one's at every fold boundary, and exits after the last test
row (``pricing = "one_book"``). Given returns alone, each fold's rows are copied from the chosen
trial's own backtest (``pricing = "stitched"``), which leaves out those trades: an API shortcut
for returns from elsewhere, never what a run records. Panel books are priced from their weights
per asset, the traded notional summed over assets.

Train windows always precede their test windows here, so an embargo (rows after a test window
kept out of training) could never remove a row: a non-zero ``embargo`` is refused. Combinatorial
purged cross-validation (:mod:`.cpcv`), where training rows also follow test rows, has one.

Examples
--------
Two folds, an alternating selector, 25 bp: the one-book series pays the entry, the switch
between the folds (two units) and the exit, which copying the trials' own returns leaves out.

>>> from qrp_jupyter.engine import strategy_returns
>>> pos = np.array([[1.0, -1.0]] * 9)
>>> close = 100.0 * np.cumprod([1.0] + [1.01] * 8)
>>> R = strategy_returns(pos, close, cost_bps=25)
>>> folds = make_folds(8, n_folds=2, test_size=2)
>>> flip = lambda view, rows: 0 if rows[-1] < 4 else 1
>>> wf = walk_forward(R, folds, selector=flip, positions=pos, close=close, cost_bps=25)
>>> (wf.oos_returns - walk_forward(R, folds, selector=flip).oos_returns).round(6).tolist()
[-0.0025, 0.0, -0.005, -0.0025]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ConfigError
from ..limits import chunk_columns
from . import _kernels as K
from ._inputs import as_matrix, whole_number
from .attestation import fold_causality_attestation
from .book import _Book

__all__ = ["Fold", "make_folds", "TrackedReturns", "OBJECTIVES", "train_scores", "select_best",
           "WalkForwardResult", "walk_forward", "PRICINGS"]

OBJECTIVES = ("sharpe", "mean_return", "total_return")
_MODES = ("expanding", "rolling")
#: How out-of-sample rows are priced: one book (entry, switches, exit) or copied per fold.
PRICINGS = ("one_book", "stitched")


@dataclass(frozen=True)
class Fold:
    """One walk-forward fold: half-open row ranges of the returns matrix.

    ``purge`` and ``embargo`` are the gaps the fold was built to respect; the attestation
    checks the rows actually read against them.
    """

    index: int
    train_start: int
    train_stop: int
    test_start: int
    test_stop: int
    purge: int = 0
    embargo: int = 0

    def train_rows(self) -> np.ndarray:
        return np.arange(self.train_start, self.train_stop, dtype=np.int64)

    def test_rows(self) -> np.ndarray:
        return np.arange(self.test_start, self.test_stop, dtype=np.int64)

    @property
    def train_ranges(self) -> tuple[tuple[int, int], ...]:
        """The declared train rows as half-open ranges (one here; several in CPCV)."""
        return ((self.train_start, self.train_stop),)


def make_folds(n: int, *, n_folds: int, test_size: int | None = None,
               min_train: int | None = None, purge: int = 0, embargo: int = 0,
               mode: str = "expanding") -> list[Fold]:
    """Walk-forward folds over ``n`` rows of returns.

    The ``n_folds`` test windows, each ``test_size`` rows, tile the end of the sample without
    gaps, so the out-of-sample series covers the most recent data. Fold i trains on rows before
    its test window, stopping ``purge`` rows short of it.

    Parameters
    ----------
    n
        Number of rows of the returns matrix (bars - 1).
    n_folds
        Number of test windows (>= 1).
    test_size
        Rows per test window. Default: ``(n - purge - min_train) // n_folds`` when
        ``min_train`` is given, else ``(n - purge) // (n_folds + 1)`` so the first fold trains on
        at least one test window's worth of rows.
    min_train
        Fewest train rows of any fold; in ``"rolling"`` mode, the length of every train
        window. Default: ``test_size`` (training on fewer rows than are tested is rarely
        intended); in rolling mode the default window is all rows before the first fold's
        purge gap.
    purge
        Rows left out between the end of each train window and its test window (>= 0); use
        at least the longest indicator window or label horizon that can straddle the boundary.
    embargo
        Must be 0. An embargo keeps the rows right after a test window out of training, but
        here every train window ends before its test window, so it would never remove a row;
        a non-zero value is refused rather than recorded as a protection that did nothing.
        For an embargo that bites, use combinatorial purged cross-validation
        (:func:`~qrp_jupyter.engine.make_cpcv`).
    mode
        ``"expanding"`` (train from row 0) or ``"rolling"`` (fixed-length train window).

    Raises
    ------
    ConfigError
        A parameter has the wrong type or sign, or the folds do not fit in ``n`` rows; the
        message names the ``walk_forward.*`` keys and the rows they need.

    Examples
    --------
    >>> [(f.train_start, f.train_stop, f.test_start, f.test_stop)
    ...  for f in make_folds(100, n_folds=3, test_size=20, purge=2)]
    [(0, 38, 40, 60), (0, 58, 60, 80), (0, 78, 80, 100)]
    """
    n = whole_number(n, name="n (rows of returns)", low=1)
    n_folds = whole_number(n_folds, name="walk_forward.n_folds", low=1)
    test_size = whole_number(test_size, name="walk_forward.test_size", low=1, allow_none=True)
    min_train = whole_number(min_train, name="walk_forward.min_train", low=1, allow_none=True)
    purge = whole_number(purge, name="walk_forward.purge", low=0)
    embargo = whole_number(embargo, name="walk_forward.embargo", low=0)
    if mode not in _MODES:
        raise ConfigError(f"walk_forward.mode={mode!r} is not a known mode",
                          where="walk_forward.mode",
                          fix="use 'expanding' or 'rolling' (for 'cpcv' call make_cpcv)")
    if embargo:
        raise ConfigError(
            f"walk_forward.embargo={embargo} has no effect in mode {mode!r}: training always "
            "precedes testing, so no train row ever follows a test window",
            where="walk_forward.embargo", fix="set it to 0 or use mode = \"cpcv\"")
    if test_size is None:
        spare = n - purge - (min_train or 0)
        test_size = spare // (n_folds if min_train else n_folds + 1)
        if test_size < 1:
            raise ConfigError(
                f"walk_forward.n_folds={n_folds} does not fit in n={n} rows with "
                f"walk_forward.purge={purge} and walk_forward.min_train={min_train}: each test "
                "window would be empty", where="walk_forward.n_folds",
                fix="lower n_folds, purge or min_train, or use more data")
    need_train = min_train if min_train is not None else test_size
    first_test = n - n_folds * test_size
    avail = first_test - purge
    if avail < need_train:
        raise ConfigError(
            f"walk_forward.n_folds={n_folds} x walk_forward.test_size={test_size} test rows, "
            f"walk_forward.purge={purge} and walk_forward.min_train={need_train} train rows "
            f"need {n_folds * test_size + purge + need_train} rows, but there are n={n}",
            where="walk_forward.n_folds",
            fix="lower n_folds, test_size, purge or min_train, or use more data")
    window = min_train if min_train is not None else avail
    folds = []
    for i in range(n_folds):
        start = first_test + i * test_size
        stop_train = start - purge
        begin = 0 if mode == "expanding" else stop_train - window
        folds.append(Fold(i, begin, stop_train, start, start + test_size, purge, embargo))
    return folds


class TrackedReturns:
    """Read-only access to a returns matrix that records every row read.

    Indexing works as on the (n, k) array (``x[rows]``, ``x[rows, cols]``, slices, masks) and
    returns a copy; ``numpy.asarray(x)`` counts as reading every row. A selector that keeps to
    its train rows leaves a record that proves it; one that reads further is caught. It guards
    against mistakes (an off-by-one slice, a whole-matrix statistic), not against code written
    to evade it: a selector that closes over the raw matrix is not observed.
    """

    def __init__(self, returns: np.ndarray):
        self._data = returns.view()
        self._data.flags.writeable = False
        self._index = np.arange(returns.shape[0], dtype=np.int64)
        self._reads: list[np.ndarray] = []

    @property
    def shape(self) -> tuple[int, int]:
        return self._data.shape

    def __len__(self) -> int:
        return self._data.shape[0]

    def __getitem__(self, key: Any) -> np.ndarray:
        rowkey = key[0] if isinstance(key, tuple) and key else key
        self._reads.append(np.atleast_1d(self._index[rowkey]).ravel().copy())
        out = self._data[key]
        # A slice is a view of the matrix and is copied; fancy indexing already made a copy.
        return np.array(out) if np.may_share_memory(out, self._data) else out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        self._reads.append(self._index.copy())
        return np.array(self._data, dtype=dtype)

    def rows_read(self) -> np.ndarray:
        """Sorted distinct row indices read so far."""
        if not self._reads:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate(self._reads))


def train_scores(train_returns: np.ndarray, objective: str) -> np.ndarray:
    """The objective of each column of an (n_train, k) block of returns (NaN allowed)."""
    stats = K.return_stats(np.ascontiguousarray(train_returns, dtype=np.float64))
    return stats[{"sharpe": 2, "mean_return": 0, "total_return": 3}[objective]].copy()


def select_best(scores: np.ndarray) -> int:
    """Index of the largest score; ties go to the lowest index, NaN never wins (all NaN -> 0)."""
    return int(np.argmax(np.where(np.isnan(scores), -np.inf, scores)))


def _objective_selector(objective: str) -> Callable[[TrackedReturns, np.ndarray], int]:
    def select(view: TrackedReturns, train_rows: np.ndarray) -> int:
        # Column chunks bound the copy of the train rows; each column's score is the same
        # whatever the chunk, and the rows read are the train rows either way.
        k = view.shape[1]
        step = chunk_columns(len(train_rows))
        if step >= k:
            return select_best(train_scores(view[train_rows], objective))
        return select_best(np.concatenate([
            train_scores(view[train_rows, j:min(k, j + step)], objective)
            for j in range(0, k, step)]))
    select.__qualname__ = f"best_{objective}"
    return select

@dataclass(frozen=True)
class WalkForwardResult:
    """Out-of-sample series of every fold, with the causality attestation.

    Attributes
    ----------
    oos_returns
        Returns on each fold's test rows, in fold order, of the chosen trial: priced as one
        book when ``pricing == "one_book"``, copied from the trial's backtest when
        ``"stitched"`` (see the module docstring).
    oos_index
        The returns-matrix rows of ``oos_returns``.
    chosen
        Trial index chosen per fold.
    folds
        The folds, as given.
    oos_sharpe
        Per-period Sharpe of ``oos_returns`` (NaN when undefined).
    attestation
        :func:`fold_causality_attestation` of the rows actually read and tested.
    objective
        What the selection maximised (``"custom"`` when a selector was passed).
    train_rows_read
        Per fold, the sorted distinct rows the selection step read.
    pricing
        ``"one_book"`` or ``"stitched"``.
    """

    oos_returns: np.ndarray
    oos_index: np.ndarray
    chosen: np.ndarray
    folds: tuple[Fold, ...]
    oos_sharpe: float
    attestation: dict[str, Any]
    objective: str
    train_rows_read: tuple[np.ndarray, ...]
    pricing: str = "stitched"


def _check_folds(folds: Sequence[Fold], n: int) -> tuple[Fold, ...]:
    if isinstance(folds, Fold) or not isinstance(folds, Sequence) or len(folds) == 0:
        raise ConfigError(f"folds must be a non-empty list of Fold, got {folds!r}",
                          where="walk_forward.folds", fix="build them with make_folds(...)")
    prev_stop = None
    for i, f in enumerate(folds):
        where = f"walk_forward.folds[{i}]"
        if not isinstance(f, Fold):
            raise ConfigError(f"{f!r} is not a Fold", where=where, fix="use make_folds(...)")
        if not (0 <= f.train_start < f.train_stop <= n and 0 <= f.test_start < f.test_stop <= n):
            raise ConfigError(f"fold {f} has an empty window or one outside rows [0, {n})",
                              where=where, fix="rebuild the folds for this returns matrix")
        if prev_stop is not None and f.test_start < prev_stop:
            # Overlapping or unordered test windows would count some bars twice out of sample.
            raise ConfigError(f"test window [{f.test_start}, {f.test_stop}) starts before the "
                              f"previous one ends (row {prev_stop})", where=where,
                              fix="order folds by time with disjoint test windows")
        prev_stop = f.test_stop
    return tuple(folds)


Selector = Callable[[TrackedReturns, np.ndarray], int]


def _selector(objective: str, selector: Selector | None) -> tuple[Selector, str]:
    if selector is not None:
        return selector, "custom"
    if objective not in OBJECTIVES:
        raise ConfigError(f"walk_forward.objective={objective!r} is not known",
                          where="walk_forward.objective", fix=f"use one of {', '.join(OBJECTIVES)}")
    return _objective_selector(objective), objective


def _select(ret: np.ndarray, units: Sequence[Any], selector: Selector, what: str
            ) -> tuple[list[int], list[np.ndarray]]:
    """Run the selector on each fold's (or split's) train rows: chosen trials, rows read."""
    k = ret.shape[1]
    chosen, reads = [], []
    for u in units:
        view = TrackedReturns(ret)
        train_rows = u.train_rows()
        train_rows.flags.writeable = False
        j = selector(view, train_rows)
        if isinstance(j, bool) or not isinstance(j, (int, np.integer)) or not 0 <= j < k:
            raise ConfigError(f"the selector returned {j!r} for {what} {u.index}, not a trial "
                              f"index in [0, {k})", where="walk_forward.selector",
                              fix="return the column index of the chosen trial")
        chosen.append(int(j))
        reads.append(view.rows_read())
    return chosen, reads


def _book_inputs(positions: Any, close: Any, cost_bps: Any, funding: Any, n: int, k: int
                 ) -> _Book | None:
    """The one-book pricing inputs, or None for the returns-only (stitched) path."""
    if positions is None:
        if close is not None or cost_bps is not None or funding is not None:
            raise ConfigError("close, cost_bps or funding_bps_per_period were given without "
                              "positions", where="walk_forward.positions",
                              fix="pass positions= too (one-book pricing needs all of them)")
        return None
    if close is None or cost_bps is None:
        raise ConfigError("one-book pricing needs close= and cost_bps= with positions=",
                          where="walk_forward.close",
                          fix="pass the close prices and fee + slippage in basis points")
    return _Book(positions, close, cost_bps=cost_bps, funding_bps_per_period=funding,
                 n_rows=n, k=k)


def _sharpes(block: np.ndarray) -> np.ndarray:
    """Per-period Sharpe of each column of an (n, m) block (the engine's fixed-order kernel)."""
    return K.return_stats(np.ascontiguousarray(block, dtype=np.float64))[2].copy()


def walk_forward(returns: Any, folds: Sequence[Fold], *, objective: str = "sharpe",
                 selector: Selector | None = None, positions: Any = None, close: Any = None,
                 cost_bps: float | None = None, funding_bps_per_period: Any = None
                 ) -> WalkForwardResult:
    """Choose a trial on each fold's train rows, evaluate it on the test rows.

    Parameters
    ----------
    returns
        (n, k) per-period strategy returns, one column per trial; the selection reads these.
    folds
        Ordered folds with disjoint test windows (e.g. from :func:`make_folds`).
    objective
        ``"sharpe"`` (per period), ``"mean_return"`` or ``"total_return"``, maximised on the
        train rows; ties go to the lowest trial index, a NaN score never wins.
    selector
        Replaces the objective: ``selector(view, train_rows) -> trial index``, where ``view``
        is a :class:`TrackedReturns` over ``returns``. Every row it reads is recorded, so a
        selector that looks past its train window makes the attestation invalid.
    positions
        The trials' positions, (n + 1, k), or a panel's weights, (n + 1, assets, k), or a
        callable ``positions(trials)`` giving them for just those (sorted) trials; with
        ``close`` and ``cost_bps`` the out-of-sample rows are priced as one book (entry,
        switches at fold boundaries, exit). Without them they are copied from ``returns``.
    close
        (n + 1,) closes, or (n + 1, assets) for a panel, that ``returns`` were computed from.
    cost_bps
        Fee plus slippage in basis points of traded notional.
    funding_bps_per_period
        Optional funding, as given to the backtest (None: no funding term).

    Returns
    -------
    WalkForwardResult
    """
    ret = as_matrix(returns, name="returns", where="returns")
    n, k = ret.shape
    folds = _check_folds(folds, n)
    selector, objective = _selector(objective, selector)
    book = _book_inputs(positions, close, cost_bps, funding_bps_per_period, n, k)
    chosen, reads = _select(ret, folds, selector, "fold")
    tests = [f.test_rows() for f in folds]
    oos_index = np.concatenate(tests)
    if book is None:
        oos = np.concatenate([ret[t, j] for t, j in zip(tests, chosen)])
    else:
        trials = np.concatenate([np.full(t.shape[0], j, dtype=np.int64)
                                 for t, j in zip(tests, chosen)])
        oos = book.price([(oos_index, trials)])[0]
    sharpe = float(_sharpes(oos[:, None])[0])
    attestation = fold_causality_attestation(
        folds, train_rows_read=reads, test_rows=tests,
        purge=max(f.purge for f in folds), embargo=max(f.embargo for f in folds))
    return WalkForwardResult(oos_returns=oos, oos_index=oos_index,
                             chosen=np.array(chosen, dtype=np.int64), folds=folds,
                             oos_sharpe=sharpe, attestation=attestation, objective=objective,
                             train_rows_read=tuple(reads),
                             pricing="stitched" if book is None else "one_book")

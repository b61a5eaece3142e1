"""Combinatorial purged cross-validation (CPCV) of a grid: every split, every backtest path.

The rows of the (n, k) returns matrix are cut into N contiguous groups (sizes differ by at most
one, the larger ones first). Each of the C(N, k) splits tests k groups and trains on the rest,
minus ``purge`` rows before and ``embargo`` rows after every block of consecutive test rows:
training rows may follow test rows here, so both gaps remove rows. The selector chooses a trial
on the train rows of each split, through :class:`~qrp_jupyter.engine.walkforward.TrackedReturns`
as in walk-forward, and the fold-causality attestation checks what it read.

Every group is tested by C(N-1, k-1) splits, so the test windows assemble into
phi = k / N * C(N, k) = C(N-1, k-1) backtest paths covering all n rows: path p takes, for each
group, the p-th split (in split order) that tests it (Lopez de Prado 2018, section 12.4). Each
path is priced as one book (:mod:`.book`) when positions are given; the result holds one column
of returns per path and the per-period Sharpe of each.

Notes
-----
Lopez de Prado, M. (2018). *Advances in Financial Machine Learning*, chapter 12
("Backtesting through cross-validation"), Wiley.

Examples
--------
>>> plan = make_cpcv(12, n_groups=4, test_groups=2, purge=1, embargo=1)
>>> len(plan.splits), plan.paths.shape
(6, (3, 4))
>>> s = plan.splits[1]  # tests groups 0 and 2: rows [0, 3) and [6, 9)
>>> s.groups, s.test, s.train
((0, 2), ((0, 3), (6, 9)), ((4, 5), (10, 12)))
>>> plan.paths.tolist()
[[0, 0, 1, 2], [1, 3, 3, 4], [2, 4, 5, 5]]
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _detmath
from ..errors import ConfigError
from ._inputs import as_matrix, whole_number
from .attestation import fold_causality_attestation
from .walkforward import Selector, _book_inputs, _select, _selector, _sharpes

__all__ = ["MAX_SPLITS", "Split", "CPCVPlan", "make_cpcv", "CPCVResult", "cpcv"]

#: Most splits a plan may have (each runs the selection once); C(10, 5) = 252, C(16, 3) = 560.
MAX_SPLITS = 1000


@dataclass(frozen=True)
class Split:
    """One CPCV split: its test groups, and half-open row ranges of test and train rows.

    ``test`` holds one range per test group; ``train`` the rows left for training after the
    test groups, their purge and their embargo are removed.
    """

    index: int
    groups: tuple[int, ...]
    test: tuple[tuple[int, int], ...]
    train: tuple[tuple[int, int], ...]
    purge: int = 0
    embargo: int = 0

    @property
    def train_ranges(self) -> tuple[tuple[int, int], ...]:
        return self.train

    def train_rows(self) -> np.ndarray:
        return np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in self.train])

    def test_rows(self) -> np.ndarray:
        return np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in self.test])


@dataclass(frozen=True, eq=False)
class CPCVPlan:
    """The groups, splits and paths of a CPCV over ``n_rows`` rows (see :func:`make_cpcv`).

    ``paths[p, g]`` is the index of the split whose test returns path p uses for group g.
    """

    n_rows: int
    groups: tuple[tuple[int, int], ...]
    test_groups: int
    splits: tuple[Split, ...]
    paths: np.ndarray
    purge: int
    embargo: int

    @property
    def n_paths(self) -> int:
        return int(self.paths.shape[0])


def _runs(mask: np.ndarray) -> tuple[tuple[int, int], ...]:
    """Half-open ranges of the True runs of a boolean mask."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return tuple((int(a), int(b)) for a, b in zip(edges[::2], edges[1::2]))


def make_cpcv(n: int, *, n_groups: int, test_groups: int = 2, purge: int = 0, embargo: int = 0,
              min_train: int | None = None) -> CPCVPlan:
    """The C(n_groups, test_groups) splits and the backtest paths of a CPCV over ``n`` rows.

    Parameters
    ----------
    n
        Number of rows of the returns matrix (bars - 1).
    n_groups
        N, the number of contiguous groups (>= 2; ``walk_forward.n_folds`` in a config).
    test_groups
        k, the groups each split tests (1 <= k < N; ``walk_forward.test_groups``).
    purge
        Rows removed from training before every block of test rows (>= 0): at least the
        longest indicator window or label horizon that can straddle a boundary.
    embargo
        Rows removed from training after every block of test rows (>= 0): serial correlation
        carries test information into the rows that follow it.
    min_train
        Fewest train rows a split may keep (default 1).

    Raises
    ------
    ConfigError
        A parameter has the wrong type or range, there are more than :data:`MAX_SPLITS`
        splits, or a split would train on fewer than ``min_train`` rows; the message names
        the ``walk_forward.*`` key.
    """
    n = whole_number(n, name="n (rows of returns)", low=1)
    N = whole_number(n_groups, name="walk_forward.n_folds", low=2)
    k = whole_number(test_groups, name="walk_forward.test_groups", low=1)
    purge = whole_number(purge, name="walk_forward.purge", low=0)
    embargo = whole_number(embargo, name="walk_forward.embargo", low=0)
    min_train = whole_number(min_train, name="walk_forward.min_train", low=1, allow_none=True)
    if k >= N:
        raise ConfigError(f"walk_forward.test_groups={k} must be below walk_forward.n_folds={N} "
                          "(the number of groups), or no group is left to train on",
                          where="walk_forward.test_groups", fix=f"use 1 <= test_groups <= {N - 1}")
    if math.comb(N, k) > MAX_SPLITS:
        raise ConfigError(f"walk_forward.n_folds={N} groups with walk_forward.test_groups={k} "
                          f"make C({N}, {k}) = {math.comb(N, k)} splits, more than {MAX_SPLITS}",
                          where="walk_forward.n_folds",
                          fix="use fewer groups or test groups, e.g. n_folds = 6, test_groups = 2")
    if n < N:
        raise ConfigError(f"walk_forward.n_folds={N} groups do not fit in n={n} rows",
                          where="walk_forward.n_folds", fix="use fewer groups or more data")
    size, extra = divmod(n, N)
    bounds = np.cumsum([0] + [size + (g < extra) for g in range(N)])
    groups = tuple((int(bounds[g]), int(bounds[g + 1])) for g in range(N))
    need = min_train or 1
    splits = []
    for s, combo in enumerate(itertools.combinations(range(N), k)):
        tested = np.zeros(n, dtype=bool)
        for g in combo:
            tested[groups[g][0]:groups[g][1]] = True
        train = ~tested
        for a, b in _runs(tested):
            train[max(0, a - purge):a] = False
            train[b:b + embargo] = False
        kept = int(train.sum())
        if kept < need:
            raise ConfigError(
                f"split {s} (test groups {list(combo)}) keeps {kept} train rows after "
                f"walk_forward.purge={purge} and walk_forward.embargo={embargo}, fewer than "
                f"walk_forward.min_train={need}", where="walk_forward.n_folds",
                fix="lower purge, embargo, test_groups or min_train, or use more data")
        splits.append(Split(s, tuple(combo), tuple(groups[g] for g in combo), _runs(train),
                            purge, embargo))
    by_group = [[sp.index for sp in splits if g in sp.groups] for g in range(N)]
    paths = np.array(by_group, dtype=np.int64).T.copy()
    paths.flags.writeable = False
    return CPCVPlan(n, groups, k, tuple(splits), paths, purge, embargo)


@dataclass(frozen=True, eq=False)
class CPCVResult:
    """Backtest paths of a CPCV, with the causality attestation of its splits.

    Attributes
    ----------
    oos_returns
        (n, n_paths): column p is path p's returns over every row, priced as one book when
        ``pricing == "one_book"``, else copied from the chosen trials' own backtests.
    oos_index
        The returns-matrix rows of ``oos_returns`` (all of them).
    chosen
        Trial chosen per split.
    plan
        The :class:`CPCVPlan`.
    path_chosen
        (n_paths, N): the trial path p holds on group g.
    path_sharpe
        (n_paths,) per-period Sharpe of each path.
    oos_sharpe
        Mean of ``path_sharpe`` over the paths (summed in path order; NaN if any is NaN).
    attestation, objective, train_rows_read, pricing
        As in :class:`~qrp_jupyter.engine.walkforward.WalkForwardResult`, per split.
    """

    oos_returns: np.ndarray
    oos_index: np.ndarray
    chosen: np.ndarray
    plan: CPCVPlan
    path_chosen: np.ndarray
    path_sharpe: np.ndarray
    oos_sharpe: float
    attestation: dict[str, Any]
    objective: str
    train_rows_read: tuple[np.ndarray, ...]
    pricing: str

    @property
    def folds(self) -> tuple[Split, ...]:
        """The splits (the units the selection ran on, as folds are in walk-forward)."""
        return self.plan.splits


def cpcv(returns: Any, plan: CPCVPlan, *, objective: str = "sharpe",
         selector: Selector | None = None, positions: Any = None, close: Any = None,
         cost_bps: float | None = None, funding_bps_per_period: Any = None) -> CPCVResult:
    """Choose a trial on each split's train rows and assemble the backtest paths.

    Parameters are those of :func:`~qrp_jupyter.engine.walk_forward`, with ``plan`` from
    :func:`make_cpcv` in place of the folds; with ``positions``, ``close`` and ``cost_bps``
    every path is priced as one book (entry at row 0, a trade wherever the path's trial
    changes between groups, exit after the last row).

    Returns
    -------
    CPCVResult
    """
    ret = as_matrix(returns, name="returns", where="returns")
    n, k = ret.shape
    if not isinstance(plan, CPCVPlan) or plan.n_rows != n:
        raise ConfigError(f"plan must be a CPCVPlan over the {n} rows of the returns, got "
                          f"{plan!r:.80}", where="walk_forward.plan",
                          fix="build it with make_cpcv(len(returns), ...)")
    selector, objective = _selector(objective, selector)
    book = _book_inputs(positions, close, cost_bps, funding_bps_per_period, n, k)
    chosen, reads = _select(ret, plan.splits, selector, "split")
    tests = [s.test_rows() for s in plan.splits]
    path_chosen = np.array(chosen, dtype=np.int64)[plan.paths]
    sizes = np.array([b - a for a, b in plan.groups], dtype=np.int64)
    rows = np.arange(n, dtype=np.int64)
    trials = [np.repeat(path_chosen[p], sizes) for p in range(plan.n_paths)]
    if book is None:
        cols = [ret[rows, t] for t in trials]
    else:
        cols = book.price([(rows, t) for t in trials])
    oos = np.ascontiguousarray(np.column_stack(cols))
    path_sharpe = _sharpes(oos)
    attestation = fold_causality_attestation(plan.splits, train_rows_read=reads,
                                             test_rows=tests, purge=plan.purge,
                                             embargo=plan.embargo)
    path_chosen.flags.writeable = False
    return CPCVResult(oos_returns=oos, oos_index=rows, chosen=np.array(chosen, dtype=np.int64),
                      plan=plan, path_chosen=path_chosen, path_sharpe=path_sharpe,
                      oos_sharpe=_detmath.mean(path_sharpe), attestation=attestation,
                      objective=objective, train_rows_read=tuple(reads),
                      pricing="stitched" if book is None else "one_book")

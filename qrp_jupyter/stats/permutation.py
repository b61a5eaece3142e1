"""Monte Carlo permutation test of the best-of-grid statistic (Masters 2018, ch. 5).

Question: could a grid this good have been found on prices without temporal structure? Under
the null the bar-to-bar log returns are exchangeable: their order carries no information a
strategy could use. Each replicate permutes the log returns (in blocks of ``block_size`` bars),
rebuilds a price path from the first close, re-runs the WHOLE grid on it and records the best
statistic over the grid. Because every replicate re-selects the best point, the test accounts
for the search over the grid (data snooping) without a multiple-testing correction; the p-value
is that of the best point *as selected*::

    p = (1 + #{max_perm >= max_obs}) / (1 + reps)

which is exact (valid in finite samples) when the returns are exchangeable under the null.

Choices
-------
* Log returns, not simple returns, are permuted: a path rebuilt as
  ``close[0] * exp(cumsum(permuted log returns))`` ends at the observed last close, so the
  drift of the sample (and whatever a buy-and-hold rule earns from it) is the same in every
  replicate: only the order, i.e. the timing information, is destroyed.
* ``block_size`` defaults to 1 (an iid permutation of single bars). The families here profit
  from serial dependence (trend, reversion), which is exactly what the null must remove; blocks
  keep the dependence within each block, so a block permutation is conservative for edges
  shorter than a block. Blocks do keep volatility clustering, which single-bar permutation
  breaks; with strongly clustered volatility and a volatility-sensitive statistic consider
  ``block_size`` of a day or so of bars. Blocks are consecutive, non-overlapping, starting at
  the first return; the last one may be shorter, and it is permuted like the others.
* A funding array is not permuted: ``funding[t]`` stays with bar t.
* A grid point whose statistic is undefined (NaN: e.g. it never trades) never wins; a replicate
  in which no point is defined does not count as beating the observed maximum; when no point
  is defined on the observed data the p-value is 1.

Draw protocol (version :data:`DRAW_PROTOCOL`)
---------------------------------------------
One numpy ``Generator`` from ``qrp_jupyter.identity.resolve_seed`` (salt
``"permutation_test"``); replicate r draws ``rng.permutation(n_blocks)`` once, in replicate
order, and nothing else.

Arithmetic: the log returns and the rebuilt prices use QRP's own ``log``/``exp``
(:mod:`qrp_jupyter._detmath`) in a sequential kernel, not numpy's SIMD-dispatched ones, so the
null distribution is the same bits on every CPU.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .._detmath import exp, log
from .._numba import jit
from ..engine import grid_metrics
from ..engine._inputs import as_close
from ..errors import ConfigError
from ..identity import resolve_seed
from ._inputs import check_int

__all__ = ["DRAW_PROTOCOL", "STATISTICS", "PermutationResult", "permutation_test",
           "permuted_path"]

DRAW_PROTOCOL = 1

#: Metrics of :func:`qrp_jupyter.engine.trial_metrics` that can be tested (higher is better).
STATISTICS = ("sharpe", "sharpe_annual", "mean_return", "total_return")

_NULL_QUANTILES = (0.9, 0.95, 0.99)


def _block_order(order: np.ndarray, block_size: int, n: int) -> np.ndarray:
    """Return indices of the blocks in ``order``; block b is ``[b*block_size, ...)`` cut at n."""
    idx = (order[:, None] * block_size + np.arange(block_size)).ravel()
    return idx[idx < n]


def permuted_path(close: np.ndarray, order: np.ndarray, block_size: int = 1) -> np.ndarray:
    """The price path whose log returns are those of ``close`` with blocks in ``order``.

    ``close`` is (T,) positive; ``order`` is a permutation of ``range(ceil((T-1) /
    block_size))``. The path starts at ``close[0]`` and, up to rounding, ends at
    ``close[-1]``.
    """
    c = np.ascontiguousarray(close, dtype=np.float64)
    lr = _log_returns(c)
    return _rebuild(c[0], lr, _block_order(np.asarray(order, dtype=np.int64), block_size,
                                           lr.shape[0]))


@jit
def _log_returns(close: np.ndarray) -> np.ndarray:
    """``log(close[t + 1]) - log(close[t])`` (QRP's own log: the same bits on every CPU)."""
    out = np.empty(close.shape[0] - 1)
    prev = log(close[0])
    for t in range(out.shape[0]):
        cur = log(close[t + 1])
        out[t] = cur - prev
        prev = cur
    return out


@jit
def _rebuild(start: float, lr: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``start`` then ``start * exp(cumsum(lr[idx]))``, summed in order."""
    out = np.empty(idx.shape[0] + 1)
    out[0] = start
    level = 0.0
    for j in range(idx.shape[0]):
        level += lr[idx[j]]
        out[j + 1] = start * exp(level)
    return out


def _grid_max(values: np.ndarray) -> tuple[float, int]:
    """(max over defined values, its first index); (nan, -1) when none is defined."""
    if np.isnan(values).all():
        return math.nan, -1
    j = int(np.argmax(np.where(np.isnan(values), -np.inf, values)))
    return float(values[j]), j


@dataclass(frozen=True, eq=False)
class PermutationResult:
    """Monte Carlo permutation test of the best statistic over a strategy grid.

    Attributes
    ----------
    pvalue
        ``(1 + #{null >= observed}) / (1 + reps)``; 1 when ``observed`` is undefined.
    observed
        The best statistic over the grid on the real prices (NaN if no point has one).
    null_distribution
        The ``reps`` best-of-grid statistics on permuted paths (read-only; NaN where no
        point had one).
    reps, block_size
        Replicates and the permutation block length in bars (1: single bars).
    statistic
        Which metric was maximised (see :data:`STATISTICS`).
    best_index, best_point
        Column and parameters of the best point on the real prices (-1 and None if none).
    n_obs, n_points
        Periods of returns (bars - 1) and grid points.
    strategy
        The family name, or the user function's qualified name.
    seed_record
        The JSON-ready record of the randomness used (see ``qrp_jupyter.identity``).
    """

    pvalue: float
    observed: float
    null_distribution: np.ndarray = field(repr=False)
    reps: int
    seed_record: dict
    statistic: str
    best_index: int
    best_point: dict | None
    block_size: int
    n_obs: int
    n_points: int
    strategy: str
    draw_protocol: int = DRAW_PROTOCOL
    test: str = "permutation"

    def __post_init__(self) -> None:
        null = np.array(self.null_distribution, dtype=np.float64)
        null.flags.writeable = False
        object.__setattr__(self, "null_distribution", null)

    def null_quantiles(self) -> dict[str, float | None]:
        """Quantiles 0.90, 0.95, 0.99 of the defined null maxima (None if there are none)."""
        defined = self.null_distribution[~np.isnan(self.null_distribution)]
        if defined.size == 0:
            return {f"{q:.2f}": None for q in _NULL_QUANTILES}
        return {f"{q:.2f}": float(v)
                for q, v in zip(_NULL_QUANTILES, np.quantile(defined, _NULL_QUANTILES))}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain types (no arrays: the null is summarised by its quantiles)."""
        return {
            "test": self.test,
            "pvalue": float(self.pvalue),
            "observed": None if math.isnan(self.observed) else float(self.observed),
            "statistic": self.statistic,
            "best_index": int(self.best_index),
            "best_point": self.best_point,
            "strategy": self.strategy,
            "reps": int(self.reps),
            "block_size": int(self.block_size),
            "n_obs": int(self.n_obs),
            "n_points": int(self.n_points),
            "n_null_undefined": int(np.isnan(self.null_distribution).sum()),
            "null_quantiles": self.null_quantiles(),
            "draw_protocol": int(self.draw_protocol),
            "seed_record": self.seed_record,
        }

    def _rows(self) -> list[tuple[str, str]]:
        q95 = self.null_quantiles()["0.95"]
        seed = self.seed_record
        seed_text = str(seed.get("kind", "?"))
        if "root" in seed:
            seed_text += f" {str(seed['root'])[:16]}"
        elif "entropy" in seed:
            seed_text += f" {seed['entropy']}"
        return [
            ("p-value", f"{self.pvalue:.4f}"),
            (f"best {self.statistic}", f"{self.observed:.4g}"),
            ("best point", f"{self.best_index} {self.best_point!r}"),
            ("strategy", f"{self.strategy}, {self.n_points} points x {self.n_obs} periods"),
            ("null", f"{self.reps} permutations of log returns, block size {self.block_size}"),
            ("95% critical value", "n/a" if q95 is None else f"{q95:.4g}"),
            ("seed", seed_text),
        ]

    def summary(self) -> str:
        """Plain-text summary, one fact per line."""
        rows = self._rows()
        width = max(len(name) for name, _ in rows)
        return "\n".join(["Monte Carlo permutation test, best of grid (Masters 2018)"]
                         + [f"  {name:<{width}}  {value}" for name, value in rows])

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        cells = "".join(f"<tr><th style='text-align:left'>{html.escape(name)}</th>"
                        f"<td style='text-align:left'>{html.escape(value)}</td></tr>"
                        for name, value in self._rows())
        return ("<table><caption>Monte Carlo permutation test, best of grid</caption>"
                f"{cells}</table>")


def permutation_test(close: Any, family_or_func: str | Callable[..., Any],
                     points: Sequence[dict], *, fee_bps: float, slippage_bps: float,
                     reps: int = 200, statistic: str = "sharpe", seed: Any = None,
                     block_size: int = 1, long_only: bool = False,
                     overlay: dict | None = None, periods_per_year: float | None = None,
                     funding_bps_per_period: Any = None) -> PermutationResult:
    """Is the best point of a grid better than the best on prices with shuffled returns?

    Parameters
    ----------
    close
        Close prices of one asset, (T,), finite and positive.
    family_or_func, points, fee_bps, slippage_bps, long_only, overlay, funding_bps_per_period
        The grid, as for :func:`qrp_jupyter.engine.backtest_grid`.
    reps
        Permutations (>= 1). The smallest attainable p-value is ``1 / (1 + reps)``.
    statistic
        Metric maximised over the grid: ``"sharpe"`` (per period, the default),
        ``"sharpe_annual"``, ``"mean_return"`` or ``"total_return"``.
    seed
        An int, a numpy ``Generator``, a ``SeedRecord`` or its dict, or None (fresh entropy);
        the record used is stored in the result.
    block_size
        Bars per permuted block (``1 <= block_size < T - 1``); see the module notes.
    periods_per_year
        Needed for ``"sharpe_annual"`` and for an overlay; otherwise unused.

    Returns
    -------
    PermutationResult

    Notes
    -----
    Masters, T. (2018), *Testing and Tuning Market Trading Systems*, Apress, ch. 5 (Monte
    Carlo permutation tests of the whole optimisation). Each replicate costs one run of the
    grid, computed by :func:`qrp_jupyter.engine.grid_metrics` (no (T, k) matrix is stored).

    Examples
    --------
    >>> from qrp_jupyter.data import synthetic
    >>> close = synthetic(n_bars=2000, seed=3, edge=0.15).close("SYN")
    >>> res = permutation_test(close, "ts_momentum", [{"lookback": 1}, {"lookback": 4}],
    ...                        fee_bps=0, slippage_bps=0, reps=49, seed=1)
    >>> res.pvalue, res.best_point
    (0.02, {'lookback': 1, 'threshold': 0.0})
    """
    c = as_close(close)
    reps = check_int(reps, "reps", minimum=1)
    n = c.shape[0] - 1
    block_size = check_int(block_size, "block_size", minimum=1, below=max(2, n))
    if statistic not in STATISTICS:
        raise ConfigError(f"statistic={statistic!r} cannot be tested", where="statistic",
                          fix=f"use one of {', '.join(STATISTICS)}")
    needs_ppy = statistic == "sharpe_annual" or overlay is not None
    if needs_ppy and periods_per_year is None:
        raise ConfigError(f"statistic={statistic!r} with overlay={overlay!r} needs "
                          "periods_per_year", where="periods_per_year",
                          fix="pass periods_per_year, e.g. 8760 for hourly crypto bars")
    ppy = periods_per_year if needs_ppy else 1.0
    kw = {"fee_bps": fee_bps, "slippage_bps": slippage_bps, "periods_per_year": ppy,
          "long_only": long_only, "overlay": overlay,
          "funding_bps_per_period": funding_bps_per_period}

    observed, best = _grid_max(grid_metrics(c, family_or_func, points, **kw)[statistic])
    if isinstance(family_or_func, str):
        from ..engine import get_family
        best_point = (get_family(family_or_func).validate(points[best], where="points")
                      if best >= 0 else None)
        strategy = family_or_func
    else:
        best_point = dict(points[best]) if best >= 0 else None
        strategy = getattr(family_or_func, "__qualname__", repr(family_or_func))

    rng, record = resolve_seed(seed, salt="permutation_test",
                               params={"reps": reps, "block_size": block_size,
                                       "statistic": statistic})
    n_blocks = -(-n // block_size)
    null = np.empty(reps)
    for r in range(reps):
        path = permuted_path(c, rng.permutation(n_blocks), block_size)
        null[r] = _grid_max(grid_metrics(path, family_or_func, points, **kw)[statistic])[0]
    if math.isnan(observed):
        pvalue = 1.0
    else:
        pvalue = (1 + int(np.count_nonzero(null >= observed))) / (1 + reps)
    return PermutationResult(pvalue=pvalue, observed=observed, null_distribution=null,
                             reps=reps, seed_record=record, statistic=statistic,
                             best_index=best, best_point=best_point, block_size=block_size,
                             n_obs=n, n_points=len(points), strategy=strategy)

"""The causality probe: do a signal's positions up to bar c change when the data stop at bar c?

A strategy is causal when ``positions[t]`` depends on ``close[:t+1]`` only (DESIGN section 6).
The engine cannot read a user function, but it can test the consequence: for each cut point c,
recompute the positions on the prefix ``close[:c+1]`` and require them to equal the full run's
positions on bars ``0..c`` exactly. A function that reads the next bar (``p[:-1] =
sign(diff(close))``), normalises with the whole sample's mean, or peeks at some bars only,
gives different positions on a prefix, and the probe says which trial, cut and bar.

Positions are the signal's, before any overlay: the volatility-target overlay is engine code
that scales bar t by volatility estimated from returns up to bar t, causal by construction, so
probing it would only probe the engine. ``long_only`` (a pointwise clip) is applied, as in the
backtest. Built-in families are probed too, as a second line of defence against an engine bug.

Cut points are drawn from the ``run_key`` (a :class:`~qrp_jupyter.identity.SeedRecord` with salt
``"causality_probe"``) with integer draws only, so they are the same on every CPU, and always
include the walk-forward fold boundaries, where a peek would leak test data into training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ConfigError
from ..identity import SeedRecord
from ._inputs import as_close, as_closes, whole_number
from .backtest import grid_positions, user_positions
from .families import get_family
from .panel import panel_weights

__all__ = ["PROBE_VERSION", "PROBE_SALT", "DEFAULT_RANDOM_CUTS", "MIN_RANDOM_CUTS",
           "MAX_USER_CALLS", "LIMITATIONS", "ProbeCuts", "TrialProbe", "CausalityProbe",
           "fold_boundary_bars", "random_cut_count", "miss_bound", "probe_cut_points",
           "causality_probe"]

PROBE_VERSION = 1
PROBE_SALT = "causality_probe"

#: Random cuts per probe. A one-bar peek that changes the position at a cut with probability
#: >= 1/2 (e.g. ``sign(close[t+1] - close[t])`` with a causal fallback at the last bar, which
#: agrees with the peek about half the time) survives m independent cuts with probability
#: <= 2**-m: 2**-64 ~ 5.4e-20 for m = 64. Each cut costs one prefix evaluation of every grid
#: point, so the probe's work is at most (64 + fold cuts) x the signal stage of the backtest.
#: A peek at only a fraction q of the bars is missed with probability about (1 - q/2)**m
#: (q = 10%: 3.7%; 0.9**64 = 0.1% when the fallback at the cut always differs): the probe is
#: built for systematic look-ahead (a shifted series, full-sample statistics), not for rare
#: or adversarial peeks.
DEFAULT_RANDOM_CUTS = 64
#: Fewest random cuts a large user grid is reduced to (miss probability <= 2**-16 ~ 1.5e-5).
MIN_RANDOM_CUTS = 16
#: Budget of user-function calls (cuts x grid points) above which the random cuts are reduced
#: (never below MIN_RANDOM_CUTS): a user function is Python, one call per point per cut.
MAX_USER_CALLS = 16_384

#: Positions (bars x assets x points) held at once per chunk of grid points (32 MiB).
_CHUNK_CELLS = 1 << 22

LIMITATIONS = ("The probe shows that positions up to each tested cut do not depend on later "
               "bars; a strategy that keeps its own copy of the data (a global array, a file), "
               "detects that it was given a prefix, or peeks only at bars that were not cut "
               "can still pass.")


# ---------------------------------------------------------------------------------------------
# cut points
# ---------------------------------------------------------------------------------------------

def fold_boundary_bars(folds: Any) -> list[int]:
    """Bar indices of ``close`` at the walk-forward boundaries of ``folds``, sorted, distinct.

    ``folds`` is a list of walk-forward folds or a CPCV plan; for a plan, every inner edge of
    every split's train and test ranges is a boundary (training there also follows testing).

    Fold rows are rows of the returns matrix, and row i is the return over bar i -> i+1, earned
    by ``positions[i]``. So the last train row ``train_stop - 1`` ends at bar ``train_stop`` (the
    last close the training returns saw) and the first test row ``test_start`` is earned by the
    position decided at bar ``test_start`` (the bar before the test window's first return
    ends). Both boundaries are therefore the row numbers themselves: ``train_stop`` and
    ``test_start``.

    Examples
    --------
    >>> from qrp_jupyter.engine import make_folds
    >>> fold_boundary_bars(make_folds(100, n_folds=2, test_size=20, purge=2))
    [58, 60, 78, 80]
    """
    out = set()
    if hasattr(folds, "splits"):  # a CPCV plan: every edge of every train and test range
        for split in folds.splits:
            for a, b in split.test + split.train:
                out.update((int(a), int(b)))
        return sorted(b for b in out if 0 < b < folds.n_rows)
    for f in folds:
        out.add(int(f.train_stop))
        out.add(int(f.test_start))
    return sorted(out)


def random_cut_count(n_points: int, *, user_function: bool, n_fold_boundaries: int = 0) -> int:
    """How many random cuts a probe of ``n_points`` grid points draws.

    Built-in families: always :data:`DEFAULT_RANDOM_CUTS`; their prefixes run in the numba
    kernels, all grid points of a cut in one call, so the probe costs about
    ``n_cuts / 2`` times the positions stage (prefixes average half the series), linear in
    bars x points like the backtest itself. User functions: one Python call per point per cut,
    so the random cuts are reduced until ``cuts x points <= MAX_USER_CALLS``, never below
    :data:`MIN_RANDOM_CUTS` (a grid of more than ~200 points gets fewer than 64 random cuts).
    """
    n_points = whole_number(n_points, name="n_points", low=1)
    if not user_function:
        return DEFAULT_RANDOM_CUTS
    fit = MAX_USER_CALLS // n_points - int(n_fold_boundaries)
    return max(MIN_RANDOM_CUTS, min(DEFAULT_RANDOM_CUTS, fit))


@dataclass(frozen=True)
class ProbeCuts:
    """The cut points of one probe and where they came from.

    Attributes
    ----------
    n_bars
        Bars of the series the cuts are for.
    cuts
        Sorted distinct bar indices in ``[1, n_bars - 2]``: the probe recomputes positions on
        ``close[:c+1]`` for each.
    fold_boundaries
        The cuts that are fold boundaries (always included).
    n_random
        Random cuts drawn besides the boundaries (fewer when the range is exhausted).
    seed_record
        The record the random cuts were drawn from (None for cuts given by hand).
    """

    n_bars: int
    cuts: tuple[int, ...]
    fold_boundaries: tuple[int, ...]
    n_random: int
    seed_record: SeedRecord | None


def probe_cut_points(n_bars: int, *, run_key: str, fold_boundaries: Sequence[int] = (),
                     n_random: int = DEFAULT_RANDOM_CUTS) -> ProbeCuts:
    """Cut points for a causality probe, drawn deterministically from ``run_key``.

    Parameters
    ----------
    n_bars
        Bars of the close series (T).
    run_key
        The run the probe belongs to; with the salt ``"causality_probe"`` and the parameters
        ``{"n_bars", "n_random", "fold_boundaries", "version"}`` it makes the seed record.
    fold_boundaries
        Bar indices that must be cut (see :func:`fold_boundary_bars`), each in
        ``[1, n_bars - 2]``.
    n_random
        Random cuts to draw besides the boundaries (see :data:`DEFAULT_RANDOM_CUTS` for the
        miss probability). They are distinct from each other and from the boundaries, drawn
        uniformly from the rest of ``[1, n_bars - 2]`` by Floyd's algorithm on
        ``Generator.integers`` (integer draws: the same cuts on every CPU); when fewer bars
        are left, every one is cut.

    Notes
    -----
    The range is the same whatever the strategy's warm-up: cut 0 would leave one bar (no
    return to trade) and cut ``n_bars - 1`` is the full series. Errors of a user function on
    prefixes inside its warm-up are handled by :func:`causality_probe`.

    Raises
    ------
    ConfigError
        ``n_bars`` or ``n_random`` is not a whole number in range, or a boundary lies outside
        ``[1, n_bars - 2]``.

    Examples
    --------
    >>> pc = probe_cut_points(1000, run_key="ab" * 32, fold_boundaries=[500], n_random=4)
    >>> len(pc.cuts), 500 in pc.cuts, pc.cuts == tuple(sorted(set(pc.cuts)))
    (5, True, True)
    """
    n_bars = whole_number(n_bars, name="n_bars", low=2)
    n_random = whole_number(n_random, name="n_random", low=0)
    lo, hi = 1, n_bars - 2
    bounds = []
    for i, b in enumerate(fold_boundaries):
        if isinstance(b, bool) or not isinstance(b, (int, np.integer)) or not lo <= b <= hi:
            raise ConfigError(
                f"fold boundary {b!r} is not a bar index in [{lo}, {hi}] of a {n_bars}-bar series",
                where=f"fold_boundaries[{i}]",
                fix="pass fold_boundary_bars(folds) of folds made for these data")
        bounds.append(int(b))
    bounds = sorted(set(bounds))
    record = SeedRecord(run_key, PROBE_SALT, {"n_bars": n_bars, "n_random": n_random,
                                              "fold_boundaries": bounds,
                                              "version": PROBE_VERSION})
    free = max(hi - lo + 1, 0) - len(bounds)
    m = min(n_random, free)
    if m == free:
        picks = list(range(free))
    else:
        # Floyd: for j = free-m .. free-1 draw t in [0, j]; keep t, or j when t is taken.
        highs = np.arange(free - m + 1, free + 1, dtype=np.int64)
        draws = record.generator().integers(0, highs, dtype=np.int64)
        chosen: set[int] = set()
        for j, t in zip(range(free - m, free), draws.tolist()):
            chosen.add(j if t in chosen else t)
        picks = sorted(chosen)
    randoms = []
    for k in picks:  # the k-th bar of [lo, hi] that is not a boundary
        v = k + lo
        for b in bounds:
            if b <= v:
                v += 1
        randoms.append(v)
    cuts = tuple(sorted(set(randoms) | set(bounds)))
    return ProbeCuts(n_bars=n_bars, cuts=cuts, fold_boundaries=tuple(bounds), n_random=m,
                     seed_record=record)


# ---------------------------------------------------------------------------------------------
# the probe
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrialProbe:
    """The probe's verdict on one grid point (trial).

    ``first_mismatch`` is ``{"cut", "bar", "full", "prefix"}`` (plus ``"asset"`` for a panel)
    at the first cut whose prefix positions differ; ``error`` says why the first failing
    prefix could not be evaluated. ``n_skipped_cuts`` counts warm-up cuts where the function
    could not run (see :func:`causality_probe`); they are neither a pass nor a failure.
    """

    trial_index: int
    n_mismatched_cuts: int
    n_error_cuts: int
    n_skipped_cuts: int
    first_mismatch: dict[str, Any] | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.n_mismatched_cuts == 0 and self.n_error_cuts == 0

    def to_dict(self) -> dict[str, Any]:
        return {"trial_index": self.trial_index, "ok": self.ok,
                "n_mismatched_cuts": self.n_mismatched_cuts, "n_error_cuts": self.n_error_cuts,
                "n_skipped_cuts": self.n_skipped_cuts, "first_mismatch": self.first_mismatch,
                "error": self.error}


@dataclass(frozen=True)
class CausalityProbe:
    """Result of :func:`causality_probe`; :meth:`to_dict` is the stored attestation."""

    strategy: str
    long_only: bool
    cuts: ProbeCuts
    trials: tuple[TrialProbe, ...]

    @property
    def valid(self) -> bool:
        return all(t.ok for t in self.trials)

    @property
    def mismatched_trials(self) -> list[int]:
        return sorted(t.trial_index for t in self.trials if not t.ok)

    def to_dict(self) -> dict[str, Any]:
        c = self.cuts
        return {"kind": "causality_probe", "version": PROBE_VERSION, "valid": self.valid,
                "strategy": self.strategy, "long_only": self.long_only,
                "positions": "signal positions before any overlay",
                "n_bars": c.n_bars, "cuts": list(c.cuts), "n_cuts": len(c.cuts),
                "n_random": c.n_random, "fold_boundaries": list(c.fold_boundaries),
                "miss_probability_bound": miss_bound(c.n_random),
                "seed_record": None if c.seed_record is None else c.seed_record.to_dict(),
                "mismatched_trials": self.mismatched_trials,
                "trials": [t.to_dict() for t in self.trials], "limitations": LIMITATIONS}

    def __repr__(self) -> str:
        bad = self.mismatched_trials
        return (f"CausalityProbe({'valid' if self.valid else 'INVALID'}: {len(self.trials)} "
                f"trials x {len(self.cuts.cuts)} cuts, mismatched trials {bad[:5]}"
                f"{'...' if len(bad) > 5 else ''})")


def _as_cuts(cuts: Any, n_bars: int) -> ProbeCuts:
    if isinstance(cuts, ProbeCuts):
        if cuts.n_bars != n_bars:
            raise ConfigError(f"the cut points were drawn for {cuts.n_bars} bars, the series "
                              f"has {n_bars}", where="causality_probe(cuts=)",
                              fix="draw them with probe_cut_points(len(close), ...)")
        return cuts
    if isinstance(cuts, (str, bytes)) or not isinstance(cuts, Sequence):
        raise ConfigError(f"cuts={cuts!r} is neither ProbeCuts nor a list of bar indices",
                          where="causality_probe(cuts=)", fix="pass probe_cut_points(...)")
    out = []
    for i, c in enumerate(cuts):
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 1 <= c <= n_bars - 2:
            raise ConfigError(f"cut {c!r} is not a bar index in [1, {n_bars - 2}]",
                              where=f"causality_probe(cuts=)[{i}]",
                              fix="cut between the first and the last bar")
        out.append(int(c))
    return ProbeCuts(n_bars=n_bars, cuts=tuple(sorted(set(out))), fold_boundaries=(),
                     n_random=0, seed_record=None)


def _first_diff(full: np.ndarray, pre: np.ndarray) -> tuple[int, ...] | None:
    # Equal as float64 numbers: no tolerance (-0.0 == 0.0 is the same position; NaN cannot
    # occur, positions are validated finite).
    diff = full != pre
    if not diff.any():
        return None
    return tuple(int(i) for i in np.argwhere(diff)[0])


class _Tally:
    __slots__ = ("mismatched", "errors", "skipped", "first", "error")

    def __init__(self) -> None:
        self.mismatched = self.errors = self.skipped = 0
        self.first: dict[str, Any] | None = None
        self.error: str | None = None

    def compare(self, cut: int, full: np.ndarray, pre: np.ndarray, asset_axis: bool) -> None:
        at = _first_diff(full, pre)
        if at is None:
            return
        self.mismatched += 1
        if self.first is None:
            self.first = {"cut": cut, "bar": at[0], "full": float(full[at]),
                          "prefix": float(pre[at])}
            if asset_axis:
                self.first["asset"] = at[1]

    def fail(self, cut: int, reason: str) -> None:
        self.errors += 1
        if self.error is None:
            self.error = f"cut {cut} (prefix of {cut + 1} bars): {reason}"


def _probe_family(family: str, c: np.ndarray, points: Sequence[dict], cuts: ProbeCuts,
                  long_only: bool) -> list[_Tally]:
    panel = c.ndim == 2
    full = (panel_weights(family, c, points, long_only=long_only) if panel
            else grid_positions(family, c, points, long_only=long_only))
    k = full.shape[-1]
    tallies = [_Tally() for _ in range(k)]
    for cut in cuts.cuts:
        pre = (panel_weights(family, c[:cut + 1], points, long_only=long_only) if panel
               else grid_positions(family, c[:cut + 1], points, long_only=long_only))
        head = full[:cut + 1]
        differs = (head != pre).reshape(-1, k).any(axis=0)
        for j in np.flatnonzero(differs).tolist():  # only columns that differ are located
            tallies[j].compare(cut, head[..., j], pre[..., j], panel)
    return tallies


def _probe_user(func: Callable[..., Any], c: np.ndarray, points: Sequence[dict],
                cuts: ProbeCuts, long_only: bool) -> list[_Tally]:
    full = user_positions(func, c, points)  # raises like the backtest: the full run must work
    if long_only:
        full = np.maximum(full, 0.0)
    tallies = [_Tally() for _ in range(full.shape[1])]
    # The warm-up of a trial: the bars before its first non-zero position in the full run.
    nonzero = full != 0.0
    warm = np.where(nonzero.any(axis=0), nonzero.argmax(axis=0), full.shape[0])
    for cut in cuts.cuts:
        prefix = c[:cut + 1]
        for j, params in enumerate(points):
            try:
                pre = user_positions(func, prefix, [params])[:, 0]
            except ConfigError as exc:
                if cut < warm[j]:
                    tallies[j].skipped += 1
                else:
                    tallies[j].fail(cut, exc.what)
                continue
            if long_only:
                pre = np.maximum(pre, 0.0)
            tallies[j].compare(cut, full[:cut + 1, j], pre, False)
    return tallies


def causality_probe(close: Any, strategy: str | Callable[..., Any], points: Sequence[dict], *,
                    cuts: ProbeCuts | Sequence[int], long_only: bool = False) -> CausalityProbe:
    """Recompute positions on prefixes of the data and compare them with the full run's.

    Parameters
    ----------
    close
        Close prices: (T,) for a single-asset family or a user function, (T, n) for a panel
        family.
    strategy
        A built-in family name (single-asset or panel) or a user function
        ``func(close, **params) -> positions`` (see :func:`~.backtest.user_positions`).
    points
        The grid: one parameter dict per trial, in trial order.
    cuts
        :func:`probe_cut_points` for these data, or bar indices in ``[1, T - 2]``.
    long_only
        As in the backtest: short signals flat (families), negative positions clipped to 0
        (user functions).

    Returns
    -------
    CausalityProbe
        Per trial: ok, or the first mismatch (cut, bar, full value, prefix value) and the
        number of mismatching cuts; for a panel, weights are compared asset by asset.

    Notes
    -----
    For each cut c the positions of ``close[:c+1]`` must equal the full run's on bars
    ``0..c`` exactly (no tolerance). A user function that raises, or returns a wrong shape or
    invalid positions, on a prefix fails that trial at that cut with the reason, unless the
    cut lies inside the trial's warm-up: bars before its first non-zero position in the full
    run. There the function is flat anyway and a failure is most likely a window longer than
    the prefix (``close[-lookback]``), not a look-ahead; the cut is counted as skipped. A
    function that raises on longer prefixes cannot be attested and fails. Overlays are not
    applied (see the module docstring).

    Raises
    ------
    ConfigError
        Unknown family, invalid points or cuts, or a user function that fails on the full
        series (as the backtest would).

    Examples
    --------
    >>> close = 100.0 + np.arange(50.0) % 7
    >>> def peek(close):
    ...     p = np.zeros_like(close)
    ...     p[:-1] = np.sign(np.diff(close))
    ...     return p
    >>> res = causality_probe(close, peek, [{}], cuts=[10, 20, 30])
    >>> res.valid, res.trials[0].first_mismatch["cut"]
    (False, 10)
    """
    if isinstance(points, dict) or not isinstance(points, Sequence) or len(points) == 0:
        raise ConfigError(f"points must be a non-empty list of parameter dicts, got {points!r}",
                          where="causality_probe(points=)", fix="pass the run's grid points")
    if isinstance(strategy, str):
        fam = get_family(strategy)
        c = as_closes(close) if fam.panel else as_close(close)
        for j, p in enumerate(points):  # up front, so that errors name the grid index
            fam.validate(p, where=f"strategy.grid[{j}]")
        probe_chunk: Callable[..., list[_Tally]] = _probe_family
        name = strategy
    elif callable(strategy):
        c = as_close(close)
        probe_chunk, name = _probe_user, "user"
    else:
        raise ConfigError(f"strategy {strategy!r} is neither a family name nor a function",
                          where="causality_probe(strategy=)",
                          fix="pass a built-in family name or func(close, **params)")
    pc = _as_cuts(cuts, c.shape[0])
    # Points in chunks: the full run's positions of a chunk are held while its cuts run, so
    # memory stays near _CHUNK_CELLS float64 values whatever the size of the grid.
    per_point = c.shape[0] * (c.shape[1] if c.ndim == 2 else 1)
    step = max(1, _CHUNK_CELLS // per_point)
    tallies: list[_Tally] = []
    for start in range(0, len(points), step):
        chunk = list(points[start:start + step])
        tallies += probe_chunk(strategy, c, chunk, pc, bool(long_only))
    trials = tuple(TrialProbe(trial_index=j, n_mismatched_cuts=t.mismatched,
                              n_error_cuts=t.errors, n_skipped_cuts=t.skipped,
                              first_mismatch=t.first, error=t.error)
                   for j, t in enumerate(tallies))
    return CausalityProbe(strategy=name, long_only=bool(long_only), cuts=pc, trials=trials)


def miss_bound(n_random: int) -> float:
    """Upper bound ``2**-n_random`` on missing a one-bar peek that changes the position at a
    cut with probability >= 1/2 (exact in float64)."""
    return math.ldexp(1.0, -int(n_random))

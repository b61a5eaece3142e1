"""The stationary bootstrap of Politis and Romano (1994), for column means.

A replicate is a concatenation of circular blocks of the sample: each block starts at a uniformly
drawn observation, runs for a geometric number of periods with mean ``b`` and wraps around past
the last observation; the last block is cut so the replicate has exactly T observations. All
columns are resampled with the same blocks, which keeps their cross-sectional dependence.

Draw protocol (version :data:`DRAW_PROTOCOL`; part of every stored result's reproducibility)
----------------------------------------------------------------------------------------------
Replicates are drawn one after another from the one numpy ``Generator``. For each replicate:

1. lengths: if ``b == 1`` every block has length 1 and nothing is drawn; otherwise draw batches
   ``k = rng.integers(0, 2**52, batch)`` with ``batch = ceil(T/b + 4 sqrt(T/b)) + 1`` until
   the lengths ``1 + floor(e / lam)``, ``e = -log((k + 1/2) 2**-52)``, ``lam = -log1p(-1/b)``,
   add up to at least T; keep the fewest that do and shorten the last so they add up to exactly
   T. (``e`` is standard exponential and ``P(L > j) = P(e >= j lam) = (1 - 1/b)^j``: geometric
   on 1, 2, ... with mean b.) ``log`` and ``log1p`` are QRP's own
   (:mod:`qrp_jupyter._detmath`), so the lengths are the same on every CPU; version 1 used
   numpy's ``standard_exponential``, whose ziggurat calls libm's ``exp``/``log1p`` in its rare
   branches.
2. starts: ``rng.integers(0, T, size=n_blocks)`` (int64).

The mean of a replicate is then a sum of block sums, computed by a numba kernel. Two exact
formulations are used, chosen from ``b`` alone so a result never depends on the machine:
``b >= 5``: prefix sums, O(1) per block and column; ``b < 5``: per-observation counts streamed
through the data in order (random prefix-row reads are memory-bound when blocks are that short).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import _detmath as D
from ..limits import chunk_columns
from ._inputs import as_panel, check_int
from ._kernels import block_sum_means, block_sum_moments, geometric_lengths, weighted_means
from ._kernels import stationary_bootstrap_variance as _closed_form_variance

__all__ = ["DRAW_PROTOCOL", "draw_blocks", "stationary_bootstrap_means",
           "stationary_bootstrap_moments", "stationary_bootstrap_variance"]

DRAW_PROTOCOL = 2

# Mean block length from which the prefix-sum kernel is used (measured crossover, 2-core AMD EPYC:
# T = 17,520, k = 100; both kernels give the same means up to rounding).
_PREFIX_MIN_BLOCK = 5
# Blocks handed to one kernel call: bounds the memory of the draws (16 bytes per block).
_BLOCK_BUDGET = 1 << 21


def _geometric(rng: np.random.Generator, batch: int, lam: float) -> np.ndarray:
    return geometric_lengths(rng.integers(0, 2**52, batch, dtype=np.int64), lam)


def _one_replicate(rng: np.random.Generator, n_obs: int, block_size: int,
                   batch: int, lam: float) -> tuple[np.ndarray, np.ndarray]:
    if block_size == 1:
        lengths = np.ones(n_obs, dtype=np.int64)
    else:
        lengths = _geometric(rng, batch, lam)
        ends = np.cumsum(lengths)
        while ends[-1] < n_obs:  # rare: the batch has 4 standard deviations to spare
            lengths = np.concatenate([lengths, _geometric(rng, batch, lam)])
            ends = np.cumsum(lengths)
        n_blocks = int(np.searchsorted(ends, n_obs, side="left")) + 1
        lengths = lengths[:n_blocks]
        lengths[-1] = n_obs - (int(ends[n_blocks - 2]) if n_blocks > 1 else 0)
    starts = rng.integers(0, n_obs, size=lengths.shape[0], dtype=np.int64)
    return starts, lengths


def draw_blocks(rng: np.random.Generator, n_obs: int, block_size: int,
                reps: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield the block draws of ``reps`` replicates in chunks, as ``(starts, lengths, offsets)``.

    Follows the draw protocol of this module; the chunking does not affect the draws.
    """
    batch = int(math.ceil(n_obs / block_size + 4.0 * math.sqrt(n_obs / block_size))) + 1
    lam = -float(D.log1p(-1.0 / block_size)) if block_size > 1 else math.inf
    starts, lengths, counts = [], [], [0]
    held = 0
    for _ in range(reps):
        s, ln = _one_replicate(rng, n_obs, block_size, batch, lam)
        starts.append(s)
        lengths.append(ln)
        counts.append(s.shape[0])
        held += s.shape[0]
        if held >= _BLOCK_BUDGET:
            yield np.concatenate(starts), np.concatenate(lengths), np.cumsum(counts)
            starts, lengths, counts, held = [], [], [0], 0
    if len(counts) > 1:
        yield np.concatenate(starts), np.concatenate(lengths), np.cumsum(counts)


def column_spans(n_cols: int, n_rows: int) -> list[tuple[int, int]]:
    """``[(j0, j1), ...]`` column chunks of an (n_rows, n_cols) matrix, sized by
    :func:`qrp_jupyter.limits.chunk_columns`. Every column-wise computation of this module gives
    each column the same arithmetic whatever the chunk, so chunking bounds the temporaries
    (centred copies, prefix tables) without changing a bit of the result."""
    step = chunk_columns(n_rows)
    return [(j, min(n_cols, j + step)) for j in range(0, n_cols, step)]


def _rng_per_span(rng: np.random.Generator, n_spans: int) -> Iterator[np.random.Generator]:
    """The generator for each column chunk: copies of ``rng`` as it is now, and ``rng`` itself
    last, so every chunk sees the same draws and ``rng`` ends advanced exactly as by one pass."""
    for i in range(n_spans):
        yield rng if i == n_spans - 1 else copy.deepcopy(rng)


def stationary_bootstrap_variance(x: Any, *, block_size: int) -> np.ndarray:
    """Per column, the variance of ``sqrt(T)`` times a stationary-bootstrap replicate's mean, in
    closed form (no draws).

    Parameters
    ----------
    x
        (T, k) finite array or DataFrame (a 1-D input is one column).
    block_size
        Mean block length, an integer ``1 <= b <= T``.

    Returns
    -------
    numpy.ndarray
        (k,) ``g(0) + 2 sum_{h=1}^{T-1} [(1 - h/T) q^h + (h/T) q^(T-h)] g(h)`` with
        ``q = 1 - 1/b`` and the biased sample autocovariances ``g`` (divisor T): a long-run
        variance estimate with weights ``q^h`` that fall off at the bootstrap's own block length.

    Notes
    -----
    Politis and Romano (1994), "The Stationary Bootstrap", JASA 89(428), Lemma 1; Hansen (2005)
    uses it to studentize SPA, and ``arch.bootstrap.SPA`` computes the same numbers (its
    ``_compute_variance``) in O(T^2 k). Here O(T k): the weighted sums are exponential filters
    run backward over the sample. A constant column gives 0.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).standard_normal(1000)
    >>> bool(np.isclose(stationary_bootstrap_variance(x, block_size=1)[0], np.var(x)))
    True
    >>> v = stationary_bootstrap_variance(np.cumsum(x), block_size=50)[0]  # persistent: larger
    >>> bool(v > 10 * np.var(np.cumsum(x)))
    True
    """
    data, block_size = _checked_panel(x, block_size)
    means = D.col_means(data)
    out = np.empty(data.shape[1])
    for j0, j1 in column_spans(data.shape[1], data.shape[0]):
        centred = np.ascontiguousarray((data[:, j0:j1] - means[j0:j1]).T)
        out[j0:j1] = _closed_form_variance(centred, block_size)
    return np.maximum(out, 0.0)


def _checked_panel(x: Any, block_size: Any) -> tuple[np.ndarray, int]:
    data = as_panel(x, name="x", min_rows=1).values
    return data, check_int(block_size, "block_size", minimum=1, below=data.shape[0] + 1)


def _checked(x: Any, block_size: Any, reps: Any,
             rng: Any) -> tuple[np.ndarray, int, int]:
    data, block_size = _checked_panel(x, block_size)
    reps = check_int(reps, "reps", minimum=1)
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator (resolve seeds with "
                        "qrp_jupyter.identity.resolve_seed)")
    return data, block_size, reps


def _prefix_table(centred: np.ndarray) -> np.ndarray:
    table = np.zeros((centred.shape[0] + 1, centred.shape[1]))
    np.cumsum(centred, axis=0, out=table[1:])
    return table


def stationary_bootstrap_means(x: Any, *, block_size: int, reps: int,
                               rng: np.random.Generator, recenter: bool = False) -> np.ndarray:
    """Column means of ``reps`` stationary-bootstrap replicates of ``x``.

    Parameters
    ----------
    x
        (T, k) finite array or DataFrame (a 1-D input is one column).
    block_size
        Mean block length, an integer ``1 <= b <= T``.
    reps
        Number of replicates ``B >= 1``.
    rng
        The numpy ``Generator`` to draw from (advanced by the draws). Public entry points such as
        :func:`~qrp_jupyter.stats.reality_check` resolve their ``seed`` argument into this
        generator and store its record with the result.
    recenter
        Return ``mean*(x) - mean(x)`` instead of ``mean*(x)``. Computed on the demeaned data,
        which avoids the cancellation of subtracting two nearly equal means.

    Returns
    -------
    numpy.ndarray
        (B, k): row ``b`` holds the column means of replicate ``b``.

    Notes
    -----
    Politis and Romano (1994), "The Stationary Bootstrap", JASA 89(428). Because every column
    is resampled with the same blocks, a replicate mean is a sum of block sums: with a
    (T + 1, k) prefix-sum table each block costs O(1) per column.
    """
    data, block_size, reps = _checked(x, block_size, reps, rng)
    n_obs, n_cols = data.shape
    shift = D.col_means(data)
    use_prefix = block_size >= _PREFIX_MIN_BLOCK
    spans = column_spans(n_cols, n_obs)
    out = np.empty((reps, n_cols))
    for (j0, j1), span_rng in zip(spans, _rng_per_span(rng, len(spans))):
        centred = np.ascontiguousarray(data[:, j0:j1] - shift[j0:j1])
        if use_prefix:
            centred = _prefix_table(centred)  # the centred block is not needed any more
        kernel = block_sum_means if use_prefix else weighted_means
        row = 0
        for starts, lengths, offsets in draw_blocks(span_rng, n_obs, block_size, reps):
            part = kernel(centred, starts, lengths, offsets)
            out[row:row + part.shape[0], j0:j1] = part
            row += part.shape[0]
        del centred
    if not recenter:
        out += shift
    return out


def stationary_bootstrap_moments(x: Any, *, block_size: int, reps: int,
                                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Re-centred column means of ``reps`` stationary-bootstrap replicates of ``x`` and, for
    each replicate, the natural block-sum variance of ``sqrt(T)`` times its mean.

    The draws are those of :func:`stationary_bootstrap_means` with the same arguments (the same
    blocks from the same ``rng``), so the first array equals its ``recenter=True`` output up to
    rounding; the means are always summed from prefix sums here, whatever ``block_size``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        (B, k) ``mean*_b(x) - mean(x)`` and (B, k)
        ``v*_b = T^-1 sum_j (S_j - L_j mean*_b)^2`` over the blocks j of replicate b (block sum
        ``S_j``, length ``L_j``; the last block as cut to make T observations).

    Notes
    -----
    ``v*_b`` is the studentizer of a block bootstrap-t: Goetze and Kuensch (1996), "Second-order
    correctness of the blockwise bootstrap for stationary observations", Annals of Statistics
    24(5), for blocks of one length; Romano and Wolf (2005) and Ledoit and Wolf (2008) use it for
    the studentized StepM and the Sharpe-ratio test. With geometric lengths of mean ``b``, the
    expected share of lag-h pairs inside one block is ``(1 - 1/b)^h``, the weight of lag h in
    the stationary bootstrap's own variance of ``sqrt(T) mean*`` (Politis and Romano 1994), so
    ``v*_b`` estimates, within the replicate, the variance the bootstrap distribution has.
    """
    data, block_size, reps = _checked(x, block_size, reps, rng)
    n_obs, n_cols = data.shape
    shift = D.col_means(data)
    spans = column_spans(n_cols, n_obs)
    means, variances = np.empty((reps, n_cols)), np.empty((reps, n_cols))
    for (j0, j1), span_rng in zip(spans, _rng_per_span(rng, len(spans))):
        table = _prefix_table(np.ascontiguousarray(data[:, j0:j1] - shift[j0:j1]))
        row = 0
        for starts, lengths, offsets in draw_blocks(span_rng, n_obs, block_size, reps):
            m, v = block_sum_moments(table, starts, lengths, offsets)
            means[row:row + m.shape[0], j0:j1] = m
            variances[row:row + m.shape[0], j0:j1] = v
            row += m.shape[0]
        del table
    return means, variances

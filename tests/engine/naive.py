"""Slow, obviously correct twins of the engine kernels (plain numpy and Python loops).

Each twin follows the definition in DESIGN section 6 / the public docstrings directly, one grid
point at a time, without numba. Where a twin performs the same floating-point operations in the
same order as its kernel, tests compare for exact equality; otherwise with a stated tolerance.
"""

from __future__ import annotations

import numpy as np


def asset_returns(close):
    close = np.asarray(close, dtype=np.float64)
    return close[1:] / close[:-1] - 1.0


def sma(close, w):
    """SMA of ``close - close[0]`` over ``w`` bars, NaN for the first ``w - 1`` bars.

    Prefix sums of the centred series, as the kernel does (np.cumsum adds left to right), so
    the comparisons of two SMAs come out bit-identical. Checked against :func:`sma_direct`.
    """
    close = np.asarray(close, dtype=np.float64)
    T = close.size
    out = np.full(T, np.nan)
    if w <= T:
        c = np.concatenate([[0.0], np.cumsum(close - close[0])])
        out[w - 1:] = (c[w:] - c[:-w]) / w
    return out


def sma_direct(close, w):
    """SMA by summing each window afresh: a second, independent definition."""
    close = np.asarray(close, dtype=np.float64)
    return np.array([close[t - w + 1:t + 1].mean() if t >= w - 1 else np.nan
                     for t in range(close.size)])


def ma_crossover_positions(close, points, long_only=False):
    out = np.zeros((len(close), len(points)))
    for j, p in enumerate(points):
        f, s = sma(close, p["fast"]), sma(close, p["slow"])  # NaN compares False: flat
        out[f > s, j] = 1.0
        if not long_only:
            out[f < s, j] = -1.0
    return out


def ts_momentum_positions(close, points, long_only=False):
    close = np.asarray(close, dtype=np.float64)
    out = np.zeros((len(close), len(points)))
    for j, p in enumerate(points):
        L, h = p["lookback"], p.get("threshold", 0.0)
        if L >= len(close):
            continue
        m = np.full(len(close), np.nan)
        m[L:] = close[L:] / close[:-L] - 1.0
        out[m > h, j] = 1.0
        if not long_only:
            out[m < -h, j] = -1.0
    return out


def positions(family, close, points, long_only=False):
    fn = {"ma_crossover": ma_crossover_positions, "ts_momentum": ts_momentum_positions}[family]
    return fn(close, points, long_only)


def strategy_returns(pos, close, cost_bps):
    """ret[i] = pos[i] * r[i] - cost * |pos[i] - pos[i-1]|, pos[-1] = 0, over i < T-1."""
    pos = np.asarray(pos, dtype=np.float64)
    if pos.ndim == 1:
        pos = pos[:, None]
    r = asset_returns(close)
    cost = cost_bps * 1e-4
    prev = np.vstack([np.zeros((1, pos.shape[1])), pos[:-1]])
    return pos[:-1] * r[:, None] - cost * np.abs(pos - prev)[:-1]


def max_drawdown(r):
    """Largest fall of compounded equity (starting at 1) from its running peak."""
    equity = np.concatenate([[1.0], np.cumprod(1.0 + np.asarray(r, dtype=np.float64))])
    peak = np.maximum.accumulate(equity)
    return float(np.max(1.0 - equity / peak))


def metrics(returns, pos, periods_per_year):
    returns = np.asarray(returns, dtype=np.float64)
    pos = np.asarray(pos, dtype=np.float64)
    n, k = returns.shape
    out = {name: np.empty(k) for name in ("sharpe", "sharpe_annual", "total_return",
                                          "max_drawdown", "turnover", "mean_return",
                                          "volatility")}
    out["n_trades"] = np.empty(k, dtype=np.int64)
    for j in range(k):
        x = returns[:, j]
        mean = np.mean(x)
        if n < 2:
            vol = np.nan
        elif np.all(x == x[0]):
            vol = 0.0
        else:
            vol = np.std(x, ddof=1)
        sharpe = mean / vol if vol > 0 else np.nan
        held = np.concatenate([[0.0], pos[:n, j]])
        changes = np.diff(held)
        out["mean_return"][j] = mean
        out["volatility"][j] = vol
        out["sharpe"][j] = sharpe
        out["sharpe_annual"][j] = sharpe * np.sqrt(periods_per_year)
        out["total_return"][j] = np.prod(1.0 + x) - 1.0
        out["max_drawdown"][j] = max_drawdown(x)
        out["turnover"][j] = np.abs(changes).sum() / (n / periods_per_year)
        out["n_trades"][j] = int(np.count_nonzero(changes))
    return out


def objective_scores(block, objective):
    block = np.asarray(block, dtype=np.float64)
    m = metrics(block, np.zeros((block.shape[0] + 1, block.shape[1])), 1.0)
    return m[objective]


def walk_forward(returns, folds, objective="sharpe"):
    """Per fold: best column on the train rows (NaN loses, ties -> lowest), its test returns."""
    returns = np.asarray(returns, dtype=np.float64)
    chosen, oos, index = [], [], []
    for f in folds:
        scores = objective_scores(returns[f.train_start:f.train_stop], objective)
        best, best_score = 0, -np.inf
        for j, s in enumerate(scores):
            if not np.isnan(s) and s > best_score:
                best, best_score = j, s
        chosen.append(best)
        oos.extend(returns[f.test_start:f.test_stop, best])
        index.extend(range(f.test_start, f.test_stop))
    return np.array(chosen), np.array(oos), np.array(index)

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


def seq_sum(x):
    """Sum in index order (np.sum adds pairwise; the kernels add one value after another)."""
    return float(np.cumsum(x)[-1])


def zscore(close, w):
    """z-score of close[t] in its window of w closes (ddof=1); NaN in warm-up, 0 if constant.

    Computed on the differences from close[t] with sums in index order, as the kernel does,
    so positions come out bit-identical. Checked against :func:`zscore_direct`.
    """
    close = np.asarray(close, dtype=np.float64)
    out = np.full(close.size, np.nan)
    for t in range(w - 1, close.size):
        d = close[t - w + 1:t + 1] - close[t]
        m = seq_sum(d) / w
        ss = seq_sum((d - m) ** 2)
        out[t] = (0.0 - m) / np.sqrt(ss / (w - 1)) if ss > 0.0 else 0.0
    return out


def zscore_direct(close, w):
    """(close[t] - mean) / std(ddof=1) of each window, by the textbook formula."""
    close = np.asarray(close, dtype=np.float64)
    out = np.full(close.size, np.nan)
    for t in range(w - 1, close.size):
        win = close[t - w + 1:t + 1]
        sd = np.std(win, ddof=1)
        out[t] = (close[t] - win.mean()) / sd if sd > 0 else 0.0
    return out


def zscore_positions(close, points, long_only=False):
    out = np.zeros((len(close), len(points)))
    for j, p in enumerate(points):
        z = zscore(close, p["lookback"])
        entry, exit_ = p["entry"], p.get("exit", 0.0)
        held = 0.0
        for t in range(len(close)):
            if np.isnan(z[t]):
                held = 0.0
            elif z[t] > entry:
                held = 0.0 if long_only else -1.0
            elif z[t] < -entry:
                held = 1.0
            elif abs(z[t]) < exit_:
                held = 0.0
            out[t, j] = held
    return out


def donchian_channel(close, w):
    """Max and min of the w closes before each bar (NaN for t < w)."""
    close = np.asarray(close, dtype=np.float64)
    hi, lo = np.full(close.size, np.nan), np.full(close.size, np.nan)
    for t in range(w, close.size):
        hi[t], lo[t] = close[t - w:t].max(), close[t - w:t].min()
    return hi, lo


def donchian_positions(close, points, long_only=False):
    close = np.asarray(close, dtype=np.float64)
    out = np.zeros((len(close), len(points)))
    for j, p in enumerate(points):
        hi, lo = donchian_channel(close, p["lookback"])
        held = 0.0
        for t in range(len(close)):
            if np.isnan(hi[t]):
                held = 0.0
            elif close[t] > hi[t]:
                held = 1.0
            elif close[t] < lo[t]:
                held = 0.0 if long_only else -1.0
            out[t, j] = held
    return out


def positions(family, close, points, long_only=False):
    fn = {"ma_crossover": ma_crossover_positions, "ts_momentum": ts_momentum_positions,
          "zscore_reversion": zscore_positions, "donchian_breakout": donchian_positions}[family]
    return fn(close, points, long_only)


def vol_scale(close, target_vol, vol_lookback, max_leverage, ppy):
    """Volatility-target scale per bar from running sums of r and r*r (as the kernel).

    Checked against :func:`vol_scale_direct` (np.std of each window).
    """
    r = asset_returns(close)
    L = vol_lookback
    p1 = np.concatenate([[0.0], np.cumsum(r)])
    p2 = np.concatenate([[0.0], np.cumsum(r * r)])
    out = np.zeros(r.size + 1)
    for t in range(L, r.size + 1):
        d1 = p1[t] - p1[t - L]
        var = ((p2[t] - p2[t - L]) - d1 * d1 / L) / (L - 1)
        vol = np.sqrt(var) * np.sqrt(ppy) if var > 0.0 else 0.0
        out[t] = min(target_vol / vol, max_leverage) if vol > 0.0 else max_leverage
    return out


def vol_scale_direct(close, target_vol, vol_lookback, max_leverage, ppy):
    r = asset_returns(close)
    out = np.zeros(r.size + 1)
    for t in range(vol_lookback, r.size + 1):
        vol = np.std(r[t - vol_lookback:t], ddof=1) * np.sqrt(ppy)
        out[t] = min(target_vol / vol, max_leverage) if vol > 0 else max_leverage
    return out


def overlay_positions(base, close, overlay, ppy):
    s = vol_scale(close, overlay["target_vol"], overlay["vol_lookback"],
                  overlay.get("max_leverage", 1.0), ppy)
    return np.asarray(base, dtype=np.float64) * s[:, None] + 0.0


def strategy_returns(pos, close, cost_bps, funding_bps=None):
    """ret[i] = pos[i] * r[i] - cost * |pos[i] - pos[i-1]| (- pos[i] * f[i+1]), pos[-1] = 0.

    ``funding_bps``: None, a number, or one value per bar (``funding[t]`` charged on the
    position held over bar t).
    """
    pos = np.asarray(pos, dtype=np.float64)
    if pos.ndim == 1:
        pos = pos[:, None]
    r = asset_returns(close)
    cost = cost_bps * 1e-4
    prev = np.vstack([np.zeros((1, pos.shape[1])), pos[:-1]])
    out = pos[:-1] * r[:, None] - cost * np.abs(pos - prev)[:-1]
    if funding_bps is not None:
        f = (np.full(r.size, funding_bps * 1e-4) if np.ndim(funding_bps) == 0
             else np.asarray(funding_bps, dtype=np.float64)[1:] * 1e-4)
        out = out - pos[:-1] * f[:, None]
    return out


def xs_weights(closes, lookback, top_k, long_only=False):
    """Cross-sectional momentum weights (T, n): rank by trailing return, ties by asset index."""
    closes = np.asarray(closes, dtype=np.float64)
    T, n = closes.shape
    w = np.zeros((T, n))
    for t in range(lookback, T):
        m = closes[t] / closes[t - lookback] - 1.0
        order = np.argsort(-m, kind="stable")
        if long_only:
            w[t, order[:top_k]] = 1.0 / top_k
        else:
            w[t, order[:top_k]] = 0.5 / top_k
            w[t, order[n - top_k:]] = -0.5 / top_k
    return w


def panel_backtest(closes, weights, cost_bps, funding_bps=None):
    """Per-row returns, traded notional and gross exposure of one weight path (T, n).

    Assets are summed one after another from 0.0, in index order, as in the kernel.
    """
    closes = np.asarray(closes, dtype=np.float64)
    T, n = closes.shape
    r = closes[1:] / closes[:-1] - 1.0
    cost = cost_bps * 1e-4
    f = None
    if funding_bps is not None:
        f = (np.full((T - 1, n), funding_bps * 1e-4) if np.ndim(funding_bps) == 0
             else np.asarray(funding_bps, dtype=np.float64)[1:] * 1e-4)
    ret, traded = np.empty(T - 1), np.empty(T - 1)
    gross = np.array([sum(abs(x) for x in weights[t]) for t in range(T)], dtype=np.float64)
    prev = np.zeros(n)
    for i in range(T - 1):
        g, tr = 0.0, 0.0
        for a in range(n):
            g += weights[i, a] * r[i, a]
            tr += abs(weights[i, a] - prev[a])
        v = g - cost * tr
        if f is not None:
            fs = 0.0
            for a in range(n):
                fs += weights[i, a] * f[i, a]
            v = v - fs
        ret[i], traded[i] = v, tr
        prev = weights[i]
    return ret, traded, gross


def max_drawdown(r):
    """Largest fall of compounded equity (starting at 1) from its running peak."""
    equity = np.concatenate([[1.0], np.cumprod(1.0 + np.asarray(r, dtype=np.float64))])
    peak = np.maximum.accumulate(equity)
    return float(np.max(1.0 - equity / peak))


def metrics(returns, pos, periods_per_year, traded=None):
    """Metrics per column; with ``traded`` (n, k), turnover and trades count its notional."""
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
        changes = np.diff(held) if traded is None else np.asarray(traded, np.float64)[:, j]
        out["mean_return"][j] = mean
        out["volatility"][j] = vol
        out["sharpe"][j] = sharpe
        out["sharpe_annual"][j] = sharpe * np.sqrt(periods_per_year)
        out["total_return"][j] = np.prod(1.0 + x) - 1.0
        out["max_drawdown"][j] = max_drawdown(x)
        out["turnover"][j] = np.abs(changes).sum() / (n / periods_per_year)
        if traded is None:  # entries, exits and reversals: the sign changes
            signs = np.sign(held)
            out["n_trades"][j] = int(np.count_nonzero(np.diff(signs)))
        else:
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

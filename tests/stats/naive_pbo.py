"""Slow, obviously correct twins of PBO by CSCV, the HAC t-statistic and p-value adjustment.

``pbo_cscv`` is the straightforward numpy loop over splits: for each of the C(S, S/2) splits it
gathers the in-sample and out-of-sample rows, takes column means and standard deviations, and
ranks with ``scipy.stats.rankdata``. It is the reference of the fast kernel in the tests and
the baseline of the speed ratio.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy.stats import rankdata


def sharpe(rows):
    """Per-column mean / std (ddof=1); a column holding one repeated value c scores 0 if c == 0,
    else +-inf."""
    flat = rows.max(axis=0) == rows.min(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sr = rows.mean(axis=0) / rows.std(axis=0, ddof=1)
    first = rows[0, flat]
    sr[flat] = np.where(first > 0.0, np.inf, np.where(first < 0.0, -np.inf, 0.0))
    return sr


def pbo_cscv(x, n_blocks, splits=None):
    """PBO from the definition, split by split, returned as a dict of per-split arrays.

    Keys: ``pbo``, ``logits``, ``best`` (in-sample best column), ``rank`` (relative rank w),
    ``is_sharpe`` / ``oos_sharpe`` (the best's Sharpe ratios), ``combos``. ``splits`` restricts
    the loop to those split numbers (lexicographic order of the in-sample blocks); ``pbo`` is
    then over those splits only.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    n_obs, n_cols = x.shape
    block_rows = n_obs // n_blocks
    x = x[n_obs - n_blocks * block_rows:]           # drop the oldest T mod S rows
    blocks = [np.arange(b * block_rows, (b + 1) * block_rows) for b in range(n_blocks)]
    combos = list(itertools.combinations(range(n_blocks), n_blocks // 2))
    if splits is not None:
        combos = [combos[c] for c in splits]
    out = {"logits": [], "best": [], "rank": [], "is_sharpe": [], "oos_sharpe": []}
    for combo in combos:
        rest = [b for b in range(n_blocks) if b not in combo]
        sr_is = sharpe(x[np.concatenate([blocks[b] for b in combo])])
        sr_oos = sharpe(x[np.concatenate([blocks[b] for b in rest])])
        n_star = int(np.argmax(sr_is))
        w = rankdata(sr_oos, method="average")[n_star] / (n_cols + 1)
        out["logits"].append(math.log(w / (1 - w)))
        out["best"].append(n_star)
        out["rank"].append(w)
        out["is_sharpe"].append(sr_is[n_star])
        out["oos_sharpe"].append(sr_oos[n_star])
    out = {k: np.array(v) for k, v in out.items()}
    out["pbo"] = float(np.mean(out["logits"] <= 0))
    out["combos"] = np.array(combos)
    return out


def hac_tstat(x, lags, small_sample=False):
    """Newey-West t of the mean, every sum written out with math.fsum."""
    x = [float(v) for v in x]
    n = len(x)
    mean = math.fsum(x) / n
    e = [v - mean for v in x]
    gamma = [math.fsum(e[t] * e[t - h] for t in range(h, n)) / n for h in range(lags + 1)]
    lrv = gamma[0] + 2 * math.fsum((1 - h / (lags + 1)) * gamma[h] for h in range(1, lags + 1))
    if small_sample:
        lrv *= n / (n - 1)
    return mean * math.sqrt(n) / math.sqrt(lrv)


def adjust_pvalues(p, method):
    """Adjusted p-values from the textbook definitions, one hypothesis at a time (O(m^2)).

    Holm: max over j <= i of min(1, (m - j + 1) p_(j)). BH: min over j >= i of min(1, m p_(j) / j).
    BY: BH with m replaced by m * sum_{k<=m} 1/k.
    """
    p = [float(v) for v in p]
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    ps = [p[i] for i in order]
    if method == "holm":
        adj = [max(min(1.0, (m - j) * ps[j]) for j in range(i + 1)) for i in range(m)]
    else:
        c = sum(1.0 / k for k in range(1, m + 1)) if method == "by" else 1.0
        adj = [min(min(1.0, m * c * ps[j] / (j + 1)) for j in range(i, m)) for i in range(m)]
    out = [0.0] * m
    for pos, i in enumerate(order):
        out[i] = adj[pos]
    return np.array(out)


def bh_rejections(p, alpha):
    """The BH step-up procedure itself: reject the k smallest, k = max{i: p_(i) <= i alpha / m}."""
    p = np.asarray(p, dtype=float)
    m = p.shape[0]
    order = np.argsort(p, kind="stable")
    passing = [i + 1 for i in range(m) if p[order[i]] <= (i + 1) * alpha / m]
    k = max(passing, default=0)
    rejected = np.zeros(m, dtype=bool)
    rejected[order[:k]] = True
    return rejected

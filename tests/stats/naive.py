"""Slow, obviously correct twins of the statistics kernels and formulas.

Each twin follows the textbook definition literally (materialised index arrays, Python loops,
``statistics.NormalDist``) so that a disagreement with the fast code points at the fast code.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

EULER_GAMMA = 0.5772156649015329
_N = NormalDist()


# ----------------------------------------------------------------------------- bootstrap
def resample_indices(n_obs, starts, lengths):
    """The observation indices of one replicate: each block runs on, wrapping past the end."""
    return np.concatenate([(s + np.arange(ln)) % n_obs for s, ln in zip(starts, lengths)])


def bootstrap_means(x, starts, lengths, offsets, *, recenter=False):
    """Column means of every replicate from materialised index arrays."""
    x = np.asarray(x, dtype=float)
    n_obs = x.shape[0]
    out = []
    for r in range(len(offsets) - 1):
        lo, hi = offsets[r], offsets[r + 1]
        idx = resample_indices(n_obs, starts[lo:hi], lengths[lo:hi])
        assert idx.shape[0] == n_obs
        mean = x[idx].mean(axis=0)
        out.append(mean - x.mean(axis=0) if recenter else mean)
    return np.array(out)


def collect_draws(chunks):
    """Concatenate the CSR chunks of ``draw_blocks`` into one (starts, lengths, offsets)."""
    starts, lengths, offsets = [], [], [0]
    for s, ln, off in chunks:
        starts.append(s)
        lengths.append(ln)
        base = offsets[-1]
        offsets.extend(base + int(o) for o in off[1:])
    return np.concatenate(starts), np.concatenate(lengths), np.array(offsets)


def reality_check(d, starts, lengths, offsets, *, studentize=False):
    """White's Reality Check from the definition: (statistic, null distribution, p-value).

    Studentized: each model's terms divided by its bootstrap standard deviation
    (:func:`bootstrap_omega`), with the zero-variance rule of :func:`studentized`.
    """
    d = np.asarray(d, dtype=float)
    n_obs = d.shape[0]
    if studentize:
        star, means = replicate_means(d, starts, lengths, offsets)
        omega = bootstrap_omega(star, means, n_obs)
        stat = max(studentized(means[j], omega[j], n_obs) for j in range(d.shape[1]))
        null = np.array([max(studentized(star[b][j] - means[j], omega[j], n_obs)
                             for j in range(d.shape[1])) for b in range(len(star))])
        pvalue = (1 + sum(1 for v in null if v >= stat)) / (1 + len(null))
        return stat, null, pvalue
    stat = max(math.sqrt(n_obs) * d[:, j].mean() for j in range(d.shape[1]))
    null = []
    for r in range(len(offsets) - 1):
        lo, hi = offsets[r], offsets[r + 1]
        idx = resample_indices(n_obs, starts[lo:hi], lengths[lo:hi])
        null.append(max(math.sqrt(n_obs) * (d[idx, j].mean() - d[:, j].mean())
                        for j in range(d.shape[1])))
    null = np.array(null)
    pvalue = (1 + sum(1 for v in null if v >= stat)) / (1 + len(null))
    return stat, null, pvalue


# ----------------------------------------------------------------------------- SPA and StepM
def replicate_means(d, starts, lengths, offsets):
    """(list of B lists of k replicate means, list of k sample means), from index arrays.

    A constant column's replicate mean is its sample mean: every resample of a constant is
    that constant (floating-point residue of summing it in another order is not variation).
    """
    d = np.asarray(d, dtype=float)
    n_obs, k = d.shape
    means = [float(d[:, j].mean()) for j in range(k)]
    constant = [bool((d[:, j] == d[0, j]).all()) for j in range(k)]
    star = []
    for r in range(len(offsets) - 1):
        lo, hi = offsets[r], offsets[r + 1]
        idx = resample_indices(n_obs, starts[lo:hi], lengths[lo:hi])
        assert idx.shape[0] == n_obs
        star.append([means[j] if constant[j] else float(d[idx, j].mean()) for j in range(k)])
    return star, means


def bootstrap_omega(star, means, n_obs):
    """Hansen (2005): omega_k^2 = B^-1 sum_b (sqrt(n) mean*_{b,k} - sqrt(n) mean_k)^2."""
    reps = len(star)
    return [math.sqrt(sum((math.sqrt(n_obs) * star[b][j] - math.sqrt(n_obs) * means[j]) ** 2
                          for b in range(reps)) / reps) for j in range(len(means))]


def studentized(value, omega, n_obs):
    """sqrt(n) value / omega; with omega = 0, +inf / 0 / -inf by the sign of value."""
    if omega > 0:
        return math.sqrt(n_obs) * value / omega
    return math.inf if value > 0 else (-math.inf if value < 0 else 0.0)


def _scaled(value, omega, n_obs, studentize):
    return studentized(value, omega, n_obs) if studentize else math.sqrt(n_obs) * value


def spa(d, starts, lengths, offsets, *, studentize):
    """Hansen's SPA from the definition (Hansen 2005, section 2):
    (statistic, {kind: null distribution}, {kind: p-value}, {kind: models re-centred})."""
    d = np.asarray(d, dtype=float)
    n_obs, k = d.shape
    star, means = replicate_means(d, starts, lengths, offsets)
    omega = bootstrap_omega(star, means, n_obs)
    a_n = math.sqrt(2 * math.log(math.log(n_obs))) if n_obs >= 3 else 0.0
    rules = {
        "lower": lambda x, j: max(x, 0.0),
        "consistent": lambda x, j: x if x >= -a_n * omega[j] / math.sqrt(n_obs) else 0.0,
        "upper": lambda x, j: x,
    }
    stat = max(0.0, max(_scaled(means[j], omega[j], n_obs, studentize) for j in range(k)))
    nulls, pvalues, recentred = {}, {}, {}
    for kind, g in rules.items():
        null = np.array([max(0.0, max(_scaled(star[b][j] - g(means[j], j), omega[j], n_obs,
                                              studentize) for j in range(k)))
                         for b in range(len(star))])
        nulls[kind] = null
        pvalues[kind] = (1 + sum(1 for v in null if v >= stat)) / (1 + len(null))
        recentred[kind] = sum(1 for j in range(k) if g(means[j], j) == means[j])
    return stat, nulls, pvalues, recentred


def stepm(d, starts, lengths, offsets, *, size, studentize):
    """Romano-Wolf StepM from the definition, one step at a time:
    (superior indices, [(models in play, rejected indices)], [null distribution per step])."""
    d = np.asarray(d, dtype=float)
    n_obs, k = d.shape
    star, means = replicate_means(d, starts, lengths, offsets)
    omega = bootstrap_omega(star, means, n_obs)
    stat = [_scaled(means[j], omega[j], n_obs, studentize) for j in range(k)]
    boot = [[_scaled(star[b][j] - means[j], omega[j], n_obs, studentize) for j in range(k)]
            for b in range(len(star))]
    active, superior, steps, nulls = set(range(k)), [], [], []
    while active:
        null = [max(row[j] for j in active) for row in boot]
        pvalue = {j: (1 + sum(1 for m in null if m >= stat[j])) / (1 + len(null))
                  for j in active}
        rejected = sorted(j for j in active if pvalue[j] <= size and stat[j] > 0)
        steps.append((len(active), rejected))
        nulls.append(np.array(null))
        if not rejected:
            break
        superior += rejected
        active -= set(rejected)
    return sorted(superior), steps, nulls


# ----------------------------------------------------------------------------- block length
def autocovariances(x, max_lag):
    """gamma(h) = sum_{t=h}^{n-1} (x_t - mean)(x_{t-h} - mean) / n, exact sums (math.fsum)."""
    x = [float(v) for v in x]
    n = len(x)
    mean = math.fsum(x) / n
    e = [v - mean for v in x]
    return np.array([math.fsum(e[t] * e[t - h] for t in range(h, n)) / n if h < n else 0.0
                     for h in range(max_lag + 1)])


def optimal_block_length(x):
    """Politis-White (2004) / Patton-Politis-White (2009), written out with loops.

    Returns (stationary, circular, M) for one series; NaN lengths for a constant series.
    """
    x = [float(v) for v in x]
    n = len(x)
    if max(x) == min(x):
        return math.nan, math.nan, None
    k_n = 5
    m_max = math.ceil(math.sqrt(n)) + k_n
    gamma = autocovariances(x, m_max)
    band = 2.0 * math.sqrt(math.log10(n) / n)
    big_m = m_max
    for m_hat in range(1, m_max - k_n + 2):
        if all(abs(gamma[lag] / gamma[0]) < band for lag in range(m_hat, m_hat + k_n)):
            big_m = min(2 * m_hat, m_max)
            break

    def lam(s):
        s = abs(s)
        return 1.0 if s <= 0.5 else (2.0 * (1.0 - s) if s <= 1.0 else 0.0)

    g_hat = sum(lam(k / big_m) * abs(k) * gamma[abs(k)] for k in range(-big_m, big_m + 1))
    sigma2 = sum(lam(k / big_m) * gamma[abs(k)] for k in range(-big_m, big_m + 1))
    b_max = math.ceil(min(3 * math.sqrt(n), n / 3))
    with np.errstate(divide="ignore"):  # sigma2 = 0 (T = 2): no finite optimum, take the cap
        b_sb = (2 * g_hat ** 2 / (2 * sigma2 ** 2)) ** (1 / 3) * n ** (1 / 3)
        b_cb = (2 * g_hat ** 2 / (4 / 3 * sigma2 ** 2)) ** (1 / 3) * n ** (1 / 3)
    return min(b_sb, b_max), min(b_cb, b_max), big_m


# ----------------------------------------------------------------------------- Sharpe
def moments(x):
    x = [float(v) for v in x]
    n = len(x)
    mean = sum(x) / n
    m2 = sum((v - mean) ** 2 for v in x) / n
    m3 = sum((v - mean) ** 3 for v in x) / n
    m4 = sum((v - mean) ** 4 for v in x) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in x) / (n - 1))
    return {"sr": mean / sd, "skew": m3 / m2 ** 1.5, "kurtosis": m4 / m2 ** 2, "n_obs": n}


def psr(sr, sr_star, n_obs, skew, kurtosis):
    """Bailey & Lopez de Prado (2012), eq. for PSR, with NormalDist."""
    sigma_sr = math.sqrt((1 - skew * sr + (kurtosis - 1) / 4 * sr ** 2) / (n_obs - 1))
    return _N.cdf((sr - sr_star) / sigma_sr)


def expected_max(n_trials, sr_variance):
    if n_trials == 1:
        return 0.0
    return math.sqrt(sr_variance) * (
        (1 - EULER_GAMMA) * _N.inv_cdf(1 - 1 / n_trials)
        + EULER_GAMMA * _N.inv_cdf(1 - 1 / (n_trials * math.e)))


def dsr(sr, n_obs, n_trials, sr_variance, skew, kurtosis):
    return psr(sr, expected_max(n_trials, sr_variance), n_obs, skew, kurtosis)

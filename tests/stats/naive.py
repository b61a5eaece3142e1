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


def geometric_lengths(k, lam):
    """Block lengths ``1 + floor(E / lam)`` of the exponentials ``E = -log(U)``,
    ``U = (k + 1/2) / 2**52``."""
    return np.array([1 + math.floor(-math.log((int(v) + 0.5) / 2.0**52) / lam) for v in k],
                    dtype=np.int64)


def collect_draws(chunks):
    """Concatenate the CSR chunks of ``draw_blocks`` into one (starts, lengths, offsets)."""
    starts, lengths, offsets = [], [], [0]
    for s, ln, off in chunks:
        starts.append(s)
        lengths.append(ln)
        base = offsets[-1]
        offsets.extend(base + int(o) for o in off[1:])
    return np.concatenate(starts), np.concatenate(lengths), np.array(offsets)


def reality_check(d, starts, lengths, offsets, *, studentize=False, block_size=None):
    """White's Reality Check from the definition: (statistic, null distribution, p-value).

    Studentized (a bootstrap-t): each model's statistic divided by its closed-form bootstrap
    standard deviation (:func:`closed_form_omega`), each bootstrap term by its replicate's own
    block standard deviation (:func:`replicate_omegas`), with the zero-variance rule of
    :func:`studentized`.
    """
    d = np.asarray(d, dtype=float)
    n_obs = d.shape[0]
    if studentize:
        star, means = replicate_means(d, starts, lengths, offsets)
        omega = closed_form_omega(d, block_size)
        rep_omega = replicate_omegas(d, starts, lengths, offsets)
        stat = max(studentized(means[j], omega[j], n_obs) for j in range(d.shape[1]))
        null = np.array([max(replicate_studentized(star[b][j] - means[j], rep_omega[b][j],
                                                   omega[j], n_obs)
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


def closed_form_omega(d, block_size):
    """Politis and Romano (1994), as arch's SPA writes it: for each column,
    ``sqrt(g0 + 2 sum_{i=1}^{n-1} [(1 - i/n) q^i + (i/n) q^(n-i)] g_i)``, q = 1 - 1/b, with
    ``g_i = sum_{t<n-i} e_t e_{t+i} / n`` of the demeaned column (math.fsum), 0 if constant."""
    d = np.asarray(d, dtype=float)
    n_obs, k = d.shape
    q = 1.0 - 1.0 / block_size
    out = []
    for j in range(k):
        col = [float(v) for v in d[:, j]]
        if max(col) == min(col):
            out.append(0.0)
            continue
        mean = math.fsum(col) / n_obs
        e = [v - mean for v in col]
        var = math.fsum(v * v for v in e) / n_obs
        for i in range(1, n_obs):
            kappa = (1 - i / n_obs) * q ** i + (i / n_obs) * q ** (n_obs - i)
            var += 2 * kappa * math.fsum(e[t] * e[t + i] for t in range(n_obs - i)) / n_obs
        out.append(math.sqrt(max(var, 0.0)))
    return out


def replicate_omegas(d, starts, lengths, offsets):
    """(B lists of k) natural block standard deviations: for replicate b and column j,
    ``sqrt(sum_blocks (S - L mean*)^2 / n)``, blocks materialised as index arrays; 0 for a
    constant column."""
    d = np.asarray(d, dtype=float)
    n_obs, k = d.shape
    constant = [bool((d[:, j] == d[0, j]).all()) for j in range(k)]
    out = []
    for r in range(len(offsets) - 1):
        lo, hi = offsets[r], offsets[r + 1]
        blocks = [(s + np.arange(ln)) % n_obs for s, ln in zip(starts[lo:hi], lengths[lo:hi])]
        idx = np.concatenate(blocks)
        row = []
        for j in range(k):
            if constant[j]:
                row.append(0.0)
                continue
            m = math.fsum(d[idx, j]) / n_obs
            row.append(math.sqrt(math.fsum((math.fsum(d[blk, j]) - len(blk) * m) ** 2
                                           for blk in blocks) / n_obs))
        out.append(row)
    return out


def studentized(value, omega, n_obs):
    """sqrt(n) value / omega; with omega = 0, +inf / 0 / -inf by the sign of value."""
    if omega > 0:
        return math.sqrt(n_obs) * value / omega
    return math.inf if value > 0 else (-math.inf if value < 0 else 0.0)


def replicate_studentized(value, rep_omega, omega, n_obs, share=1e-9):
    """A bootstrap-t term: as :func:`studentized`, except that a replicate standard deviation
    at most ``share * omega`` (the column's observed one) counts as 0, and so does a
    ``sqrt(n) value`` under the same bound (the replicate is a rotation of the sample or has
    no spread)."""
    bound = share * omega
    if rep_omega <= bound:
        value = 0.0 if abs(value) * math.sqrt(n_obs) <= bound else value
        rep_omega = 0.0
    return studentized(value, rep_omega, n_obs)


def _scaled(value, omega, n_obs, studentize):
    return studentized(value, omega, n_obs) if studentize else math.sqrt(n_obs) * value


def _replicate_scaled(value, rep_omega, omega, n_obs, studentize):
    if studentize:
        return replicate_studentized(value, rep_omega, omega, n_obs)
    return math.sqrt(n_obs) * value


def _observed_and_replicate_omegas(d, starts, lengths, offsets, block_size):
    return (closed_form_omega(d, block_size),
            replicate_omegas(d, starts, lengths, offsets))


def spa(d, starts, lengths, offsets, *, studentize, block_size):
    """Hansen's SPA from the definition (Hansen 2005, section 2):
    (statistic, {kind: null distribution}, {kind: p-value}, {kind: models re-centred})."""
    d = np.asarray(d, dtype=float)
    n_obs, k = d.shape
    star, means = replicate_means(d, starts, lengths, offsets)
    omega, rep_omega = _observed_and_replicate_omegas(d, starts, lengths, offsets,
                                                      block_size)
    a_n = math.sqrt(2 * math.log(math.log(n_obs))) if n_obs >= 3 else 0.0
    rules = {
        "lower": lambda x, j: max(x, 0.0),
        "consistent": lambda x, j: x if x >= -a_n * omega[j] / math.sqrt(n_obs) else 0.0,
        "upper": lambda x, j: x,
    }
    stat = max(0.0, max(_scaled(means[j], omega[j], n_obs, studentize) for j in range(k)))
    nulls, pvalues, recentred = {}, {}, {}
    for kind, g in rules.items():
        null = np.array([max(0.0, max(_replicate_scaled(star[b][j] - g(means[j], j),
                                                        rep_omega[b][j], omega[j], n_obs,
                                                        studentize) for j in range(k)))
                         for b in range(len(star))])
        nulls[kind] = null
        pvalues[kind] = (1 + sum(1 for v in null if v >= stat)) / (1 + len(null))
        recentred[kind] = sum(1 for j in range(k) if g(means[j], j) == means[j])
    return stat, nulls, pvalues, recentred


def stepm(d, starts, lengths, offsets, *, size, studentize, block_size):
    """Romano-Wolf StepM from the definition, one step at a time:
    (superior indices, [(models in play, rejected indices)], [null distribution per step])."""
    d = np.asarray(d, dtype=float)
    n_obs, k = d.shape
    star, means = replicate_means(d, starts, lengths, offsets)
    omega, rep_omega = _observed_and_replicate_omegas(d, starts, lengths, offsets,
                                                      block_size)
    stat = [_scaled(means[j], omega[j], n_obs, studentize) for j in range(k)]
    boot = [[_replicate_scaled(star[b][j] - means[j], rep_omega[b][j], omega[j], n_obs,
                               studentize) for j in range(k)]
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

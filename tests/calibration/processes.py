"""Seeded data-generating processes for calibration (DESIGN section 5).

Every process returns a (T, k) panel of per-period returns with mean exactly zero and unit
unconditional variance in every column, columns independent of each other, so the null "no model
beats a zero benchmark" holds with every model on the boundary (the least favourable null):

- ``iid_normal``: N(0, 1).
- ``student_t``: Student-t with 4 degrees of freedom scaled by sqrt(2/4) to unit variance (fat
  tails, infinite fourth moment).
- ``garch``: GARCH(1, 1) volatility clustering, ``s2_t = 0.05 + 0.10 e2_{t-1} + 0.85 s2_{t-1}``
  (unconditional variance 1, persistence 0.95, finite fourth moment), normal innovations.
- ``ar1``: AR(1) with phi = 0.2 and innovation variance 1 - phi^2 (so variance 1). The mean is
  still zero, but the variance of the sample mean is (1 + phi) / (1 - phi) = 1.5 times the iid
  one: tests that assume independence over-reject; block bootstraps and HAC should cope.

A planted edge adds ``edge`` (in standard deviations, since the variance is 1) to the first
``n_edged`` columns. Everything is drawn from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

import numba
import numpy as np

BURN_IN = 500

GARCH_OMEGA, GARCH_ALPHA, GARCH_BETA = 0.05, 0.10, 0.85
AR_PHI = 0.2
T_DF = 4


def iid_normal(rng: np.random.Generator, n_obs: int, n_models: int) -> np.ndarray:
    return rng.standard_normal((n_obs, n_models))


def student_t(rng: np.random.Generator, n_obs: int, n_models: int) -> np.ndarray:
    return rng.standard_t(T_DF, size=(n_obs, n_models)) * np.sqrt((T_DF - 2) / T_DF)


@numba.njit(cache=True)
def _garch_filter(z, omega, alpha, beta):
    out = np.empty_like(z)
    for j in range(z.shape[1]):
        s2 = omega / (1.0 - alpha - beta)
        e_prev = 0.0
        for t in range(z.shape[0]):
            s2 = omega + alpha * e_prev * e_prev + beta * s2
            e_prev = np.sqrt(s2) * z[t, j]
            out[t, j] = e_prev
    return out


@numba.njit(cache=True)
def _ar1_filter(e, start, phi):
    out = np.empty_like(e)
    for j in range(e.shape[1]):
        prev = start[j]
        for t in range(e.shape[0]):
            prev = phi * prev + e[t, j]
            out[t, j] = prev
    return out


def garch(rng: np.random.Generator, n_obs: int, n_models: int) -> np.ndarray:
    z = rng.standard_normal((n_obs + BURN_IN, n_models))
    return _garch_filter(z, GARCH_OMEGA, GARCH_ALPHA, GARCH_BETA)[BURN_IN:].copy()


def ar1(rng: np.random.Generator, n_obs: int, n_models: int) -> np.ndarray:
    e = rng.standard_normal((n_obs + BURN_IN, n_models)) * np.sqrt(1.0 - AR_PHI ** 2)
    start = rng.standard_normal(n_models)  # stationary start: variance 1
    return _ar1_filter(e, start, AR_PHI)[BURN_IN:].copy()


PROCESSES = {
    "iid_normal": iid_normal,
    "student_t": student_t,
    "garch": garch,
    "ar1": ar1,
}


def panel(process: str, rng: np.random.Generator, n_obs: int, n_models: int, *,
          edge: float = 0.0, n_edged: int = 1) -> np.ndarray:
    """A (n_obs, n_models) panel from ``process``; ``edge`` sd added to the first ``n_edged``
    columns (edge = 0: the null)."""
    x = PROCESSES[process](rng, n_obs, n_models)
    if edge:
        x[:, :n_edged] += edge
    return x

"""The synthetic generator's kernels against slow, obvious twins (plain Python and ``math``).

The twins use the platform's ``math``/``statistics`` functions, the kernels QRP's own; values
agree to 1e-13 relative (a few ulp through the compounding), integer outputs exactly.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from qrp_jupyter.data import _synthetic_kernels as K
from qrp_jupyter.data import synthetic
from qrp_jupyter.data.synthetic import GENERATOR_VERSION

RTOL = 1e-13


def naive_normals(k):
    return [NormalDist().inv_cdf((int(v) + 0.5) / 2.0**52) for v in k]


def naive_regimes(u, stay):
    s, out = 0, []
    for v in u:
        if v >= stay[s]:
            s = 1 - s
        out.append(s)
    return out


def naive_poisson(u, lam):
    out = []
    for v in u:
        k, p = 0, math.exp(-lam)
        cdf = p
        while v >= cdf and p > 0:
            k += 1
            p = p * lam / k
            cdf += p
        out.append(k)
    return out


def naive_t(z):
    return [row[0] / math.sqrt(sum(x * x for x in row[1:]) / (len(row) - 1)) for row in z]


def naive_log_returns(sigma, e, edge, jumps):
    z, out = e[0], []
    for t in range(len(e)):
        if t:
            z = edge * z + math.sqrt(1 - edge * edge) * e[t]
        out.append(-0.5 * sigma[t] ** 2 + sigma[t] * z + jumps[t])
    return out


def naive_candles(r, sigma, zh, zl, zv, p0, v0):
    close = [p0 * math.exp(c) for c in np.cumsum(r)]
    opens = [p0] + close[:-1]
    return np.array([
        opens,
        [max(o, c) * math.exp(abs(a) * 0.5 * s) for o, c, a, s in zip(opens, close, zh, sigma)],
        [min(o, c) * math.exp(-abs(a) * 0.5 * s) for o, c, a, s in zip(opens, close, zl, sigma)],
        close,
        [v0 * math.exp(0.5 * a) * s / min(sigma) for a, s in zip(zv, sigma)],
    ])


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


def test_normals(rng):
    k = np.concatenate([[0, 1, 2**51, 2**52 - 1], rng.integers(0, 2**52, 3000)])
    got = K.normals(k)
    np.testing.assert_allclose(got, naive_normals(k), rtol=RTOL)
    assert got[0] == -got[3] and got[2] > 0 and np.isfinite(got).all()
    assert K.normals(np.empty(0, dtype=np.int64)).shape == (0,)


@pytest.mark.parametrize("stay", [(0.995, 0.98), (1.0, 1.0), (0.0, 0.5)])
def test_regimes(rng, stay):
    u = rng.random(2000)
    np.testing.assert_array_equal(K.regimes(u, *stay), naive_regimes(u, stay))
    assert K.regimes(u[:1], *stay).shape == (1,)


@pytest.mark.parametrize("lam", [1 / 500, 0.3, 4.0, 0.0])
def test_poisson(rng, lam):
    u = np.concatenate([rng.random(5000), [0.0, 1 - 2**-53]])
    got = K.poisson(u, lam)
    np.testing.assert_array_equal(got, naive_poisson(u, lam))
    assert abs(got.mean() - lam) < 5 * math.sqrt(max(lam, 1e-9) / u.size) + 1e-9


def test_student_t(rng):
    z = rng.standard_normal((1000, 4))
    np.testing.assert_allclose(K.student_t(z), naive_t(z), rtol=RTOL)
    assert K.student_t(z[:, :2]).shape == (1000,)


@pytest.mark.parametrize("edge", [0.0, 0.12, -0.5])
def test_log_returns(rng, edge):
    sigma, e, jumps = rng.uniform(0.001, 0.02, 500), rng.standard_normal(500), rng.random(500)
    np.testing.assert_allclose(K.log_returns(sigma, e, edge, jumps),
                               naive_log_returns(sigma, e, edge, jumps), rtol=RTOL, atol=1e-18)


@pytest.mark.parametrize("n", [1, 2, 700])
def test_candles(rng, n):
    r, sigma = rng.normal(0, 0.01, n), rng.uniform(0.002, 0.02, n)
    zh, zl, zv = rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal(n)
    got = K.candles(r, sigma, zh, zl, zv, 100.0, 1000.0)
    np.testing.assert_allclose(got, naive_candles(r, sigma, zh, zl, zv, 100.0, 1000.0),
                               rtol=RTOL)
    assert (got[1] >= np.maximum(got[0], got[3])).all()
    assert (got[2] <= np.minimum(got[0], got[3])).all()


def test_generator_follows_its_documented_protocol():
    # The whole draw protocol, re-done by hand with the naive twins.
    n, hours, edge = 400, 1.0, 0.1
    ds = synthetic(n_bars=n, seed=9, edge=edge)
    rng = np.random.default_rng(np.random.SeedSequence(9).spawn(1)[0])

    def normals(m):
        return np.array(naive_normals(rng.integers(0, 2**52, m, dtype=np.int64)))

    stay = (0.995 ** hours, 0.98 ** hours)
    sigma = np.array([0.004, 0.012])[naive_regimes(rng.random(n), stay)]
    e = normals(n)
    counts = np.array(naive_poisson(rng.random(n), hours / 500))
    jumps = counts * np.array(naive_t(normals(4 * n).reshape(n, 4))) * 0.015
    r = naive_log_returns(sigma, e, edge, jumps)
    want = naive_candles(r, sigma, normals(n), normals(n), normals(n), 100.0, 1000.0)
    df = ds.frames["SYN"]
    for row, col in enumerate(("open", "high", "low", "close", "volume")):
        np.testing.assert_allclose(df[col].to_numpy(), want[row], rtol=1e-12)
    assert ds.source.endswith(f"generator={GENERATOR_VERSION})")


def test_known_dataset_ids():
    # Pinned: these bits are the same on every CPU (tests/determinism checks that directly).
    assert synthetic(n_bars=17520, seed=7, edge=0.12).dataset_id_v2 == \
        "107f35029a2a3da8ff9f1593e15cd824e7add4e10a99aa953a5bee9659e77f11"
    assert synthetic(n_bars=17520, seed=11, edge=0.0).dataset_id_v2 == \
        "3720c1987d27ae2987d8715b447a9adcebc1e3cbd1e02f085183775d750c65f5"

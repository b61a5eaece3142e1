"""QRP's own transcendentals against the platform's (``math``): within a stated number of ulp."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from qrp_jupyter import _detmath as D

N = 20_000


def _ulps(a, b) -> int:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    assert np.array_equal(np.signbit(a[ok]) | (a[ok] == 0), np.signbit(b[ok]) | (b[ok] == 0))
    return int(np.max(np.abs(np.abs(a[ok]).view(np.int64) - np.abs(b[ok]).view(np.int64)),
                      initial=0))


@pytest.mark.parametrize("lo, hi", [(-745.2, 709.8), (-1.0, 1.0), (-1e-8, 1e-8), (-40, 40)])
def test_exp_within_one_ulp(lo, hi):
    x = np.random.default_rng(1).uniform(lo, hi, N)
    assert _ulps(D.exp_array(x), [math.exp(v) for v in x]) <= 1
    assert _ulps([D.exp(float(v)) for v in x[:200]], D.exp_array(x[:200])) == 0


@pytest.mark.parametrize("scale", [(-744.0, 709.0), (-0.5, 0.5), (-1e-10, 1e-10)])
def test_log_within_one_ulp(scale):
    x = np.exp(np.random.default_rng(2).uniform(*scale, N))
    assert _ulps(D.log_array(x), [math.log(v) for v in x]) <= 1


def test_edge_cases():
    tiny, sub = 2.2250738585072014e-308, 5e-324
    for v in (0.0, -0.0, 1.0, -1.0, sub, -sub, tiny, 1e-300, 709.78, 709.79, -745.13, -745.14,
              710.0, -746.0, 1e300, -1e300, math.inf, -math.inf):
        assert _ulps(D.exp(v), math.exp(v) if v < 709.782 else math.inf) <= 1, v
    for v in (sub, 2 * sub, tiny, 1e-300, 0.5, 1.0, 2.0, 1e300, 1.7976931348623157e308,
              math.inf):
        assert _ulps(D.log(v), math.log(v)) <= 1, v
    assert D.log(0.0) == -math.inf and D.log(-0.0) == -math.inf
    assert math.isnan(D.log(-1.0)) and math.isnan(D.log(-math.inf))
    assert math.isnan(D.exp(math.nan)) and math.isnan(D.log(math.nan))
    assert _ulps(D.exp(1.0), math.e) <= 1 and _ulps(D.log(math.e), 1.0) <= 1
    assert D.exp(0.0) == 1.0 and D.log(1.0) == 0.0


def test_log1p_expm1_pow():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-1e-6, 1e-6, 2000), rng.uniform(-0.99, 10, 2000)])
    assert _ulps([D.log1p(v) for v in x], [math.log1p(v) for v in x]) <= 4
    y = rng.uniform(-30, 30, 4000)
    assert _ulps([D.expm1(v) for v in y], [math.expm1(v) for v in y]) <= 4
    a, b = rng.uniform(0.01, 10, 2000), rng.uniform(-3, 3, 2000)
    got = np.array([D.pow_pos(p, q) for p, q in zip(a, b)])
    np.testing.assert_allclose(got, a ** b, rtol=1e-14)
    assert D.log1p(-1.0) == -math.inf and D.log1p(0.0) == 0.0


def test_ndtri_matches_as241():
    # CPython's NormalDist.inv_cdf is AS 241 too (with the platform's log).
    rng = np.random.default_rng(4)
    p = np.concatenate([rng.uniform(0, 1, N), 10.0 ** -rng.uniform(1, 300, 2000)])
    p = p[(p > 0) & (p < 1)]
    ref = NormalDist()
    assert _ulps([D.ndtri(v) for v in p], [ref.inv_cdf(v) for v in p]) <= 8
    assert _ulps([D.ndtri(1 - v) for v in p[:500]], [ref.inv_cdf(1 - v) for v in p[:500]]) <= 8
    assert D.ndtri(0.5) == 0.0 and D.ndtri(0.0) == -math.inf and D.ndtri(1.0) == math.inf
    assert math.isnan(D.ndtri(1.5)) and math.isnan(D.ndtri(math.nan))


def test_erfc_and_ndtr():
    x = np.concatenate([np.random.default_rng(5).uniform(-7, 27, N),
                        [0.0, -0.0, 1e-300, 0.84375, 1.25, 1 / 0.35, 6.0, -6.0, 28.0, -28.0]])
    assert _ulps([D.erfc(v) for v in x], [math.erfc(v) for v in x]) <= 4
    assert D.erfc(math.inf) == 0.0 and D.erfc(-math.inf) == 2.0
    assert math.isnan(D.erfc(math.nan))
    z = np.random.default_rng(6).uniform(-8, 8, 2000)
    ref = [0.5 * math.erfc(-v / math.sqrt(2.0)) for v in z]
    np.testing.assert_allclose([D.ndtr(v) for v in z], ref, rtol=1e-14, atol=1e-300)


# --- fixed-order reductions against exactly rounded sums (math.fsum) --------------------------

def _fsum_mean(x):
    return math.fsum(x) / len(x)


@pytest.mark.parametrize("n", [1, 2, 17, 5000])
def test_reductions_match_exact_sums(n):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n) * 0.01 + 0.001
    y = rng.standard_normal(n)
    assert D.mean(x) == pytest.approx(_fsum_mean(x), rel=1e-12, abs=1e-18)
    assert D.dot(x, y) == pytest.approx(math.fsum(x * y), rel=1e-10, abs=1e-15)
    c = _fsum_mean(x)
    want = [math.fsum((x - c) ** p) for p in (2, 3, 4)]
    np.testing.assert_allclose(D.central_sums(x, c), want, rtol=1e-10, atol=1e-30)
    if n > 1:
        assert D.variance(x, ddof=1) == pytest.approx(math.fsum((x - c) ** 2) / (n - 1),
                                                      rel=1e-10)
    m = rng.standard_normal((n, 3))
    np.testing.assert_allclose(D.col_means(m), [_fsum_mean(m[:, j]) for j in range(3)],
                               rtol=1e-12, atol=1e-15)
    # In index order: the result is that of a plain left-to-right loop, bit for bit.
    acc = 0.0
    for v in x:
        acc += float(v)
    assert D.mean(x) == acc / n


def test_reductions_edge_cases():
    assert math.isnan(D.mean(np.array([])))
    assert np.isnan(D.col_means(np.empty((0, 2)))).all()
    assert math.isnan(D.mean([1.0, math.nan])) and D.mean([2.5]) == 2.5
    assert D.variance([3.0, 3.0, 3.0]) == 0.0
    np.testing.assert_array_equal(D.central_sums([1.0, 1.0], 1.0), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(D.col_means([1.0, 2.0, 6.0]), [3.0])



def test_pow_pos_integer_exponents():
    # pow_pos replaces numba's ``float ** int`` (a libm pow) in the bootstrap variance kernel.
    rng = np.random.default_rng(7)
    q = 1.0 - 1.0 / rng.uniform(1.5, 200.0, 500)
    n = rng.integers(0, 20_000, 500)
    np.testing.assert_allclose([D.pow_pos(a, float(k)) for a, k in zip(q, n)],
                               [math.pow(a, int(k)) for a, k in zip(q, n)], rtol=2e-13,
                               atol=1e-300)
    assert D.pow_pos(0.3, 0.0) == 1.0 and D.pow_pos(1.0, 5e4) == 1.0
    assert D.pow_pos(0.0, 0.0) == 1.0 and D.pow_pos(0.0, 3.0) == 0.0
    assert D.pow_pos(0.0, -1.0) == math.inf

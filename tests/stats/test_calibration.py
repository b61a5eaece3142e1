"""Size under the null and power under a planted edge, measured (DESIGN section 5).

Each test is seeded, so it is deterministic; the bands say how likely a correct implementation
was to land inside them before the seed was fixed.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numba
import numpy as np
import pytest

from qrp_jupyter.identity import SeedRecord
from qrp_jupyter.stats import reality_check

RUN_KEY = "c" * 64

# Under NUMBA_DISABLE_JIT (the coverage run) these would take hours; the kernel bodies they use
# are covered by the twin tests.
pytestmark = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="needs compiled kernels")


def _binom_cdf(k, n, p):
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k + 1))


def _rejection_rate(make_panel, repetitions, reps, salt):
    root = np.random.SeedSequence(2024)
    rejected = 0
    for i, child in enumerate(root.spawn(repetitions)):
        x = make_panel(np.random.default_rng(child))
        res = reality_check(x, reps=reps, seed=SeedRecord(RUN_KEY, salt, {"i": i}))
        rejected += res.pvalue <= 0.05
    return rejected / repetitions


@pytest.mark.slow
def test_size_under_the_null_iid_normal():
    """k = 20 iid N(0, 1) strategies, T = 500, B = 199, 300 repetitions, 5% level.

    With all means zero the re-centred bootstrap is the least favourable null, so the rate should
    be 5%. If it were exactly 5%, the count of rejections is Binomial(300, 0.05): the band
    [0.02, 0.09] (6 to 27 rejections) holds it with probability > 0.996. B = 199 makes
    p <= 0.05 mean at most 9 of 199 maxima at or above V, an exact 5% test for exchangeable data.
    """
    n, p0 = 300, 0.05
    coverage = _binom_cdf(27, n, p0) - _binom_cdf(5, n, p0)
    assert coverage > 0.996
    rate = _rejection_rate(lambda g: g.standard_normal((500, 20)), n, 199, "size")
    assert 0.02 <= rate <= 0.09, rate


@pytest.mark.slow
def test_power_single_strategy_with_edge():
    """One strategy, mean 0.1 sd per period, T = 1000: t ~ 3.16 against a one-sided 5% test.

    Approximate power Phi(3.16 - 1.645) = 0.94; over 100 repetitions the binomial sd is 0.024,
    so require at least 0.85.
    """
    power = NormalDist().cdf(0.1 * math.sqrt(1000) - NormalDist().inv_cdf(0.95))
    assert power > 0.93
    rate = _rejection_rate(lambda g: g.standard_normal((1000, 1)) + 0.1, 100, 199, "power-1")
    assert rate >= 0.85, rate


@pytest.mark.slow
def test_power_edge_among_noise():
    """One edged strategy among k = 20, T = 1000.

    With an edge of 0.2 sd (t ~ 6.3) the best-of-20 critical value (~2.8) is far behind: power is
    essentially 1, require >= 0.97 of 100. With 0.1 sd (t ~ 3.16) the theory gives only about
    Phi(3.16 - 2.80) = 0.64 (the price of looking at 20 strategies), so the band is
    [0.45, 0.85] (about +-4 binomial sd).
    """
    def panel(edge):
        def make(g):
            x = g.standard_normal((1000, 20))
            x[:, 7] += edge
            return x
        return make

    assert _rejection_rate(panel(0.2), 100, 199, "power-20-strong") >= 0.97
    rate = _rejection_rate(panel(0.1), 100, 199, "power-20-weak")
    assert 0.45 <= rate <= 0.85, rate

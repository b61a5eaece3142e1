"""Shared data for the engine tests: small price series and hypothesis strategies."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

# Kernels compile on first use; a deadline would flag the compile, not a slow example. A
# decorator rather than a loaded profile: a profile would change other packages' tests too.
engine_settings = settings(deadline=None, max_examples=60,
                           suppress_health_check=[HealthCheck.too_slow])


def random_walk(n: int, seed: int = 0, vol: float = 0.01) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100.0 * np.exp(np.cumsum(rng.normal(0.0, vol, n)))


@pytest.fixture
def close() -> np.ndarray:
    return random_walk(400, seed=7)


# Prices drawn from a few levels produce ties (equal SMAs, zero returns, flat stretches): the
# cases where an off-by-one or a sign convention shows. Continuous prices cover the rest.
tied_prices = arrays(np.float64, st.integers(2, 80),
                     elements=st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0]))
smooth_prices = st.builds(random_walk, st.integers(2, 300), st.integers(0, 2**32 - 1),
                          st.sampled_from([0.001, 0.01, 0.05]))
prices = st.one_of(tied_prices, smooth_prices)


@st.composite
def ma_points(draw, max_window: int = 40, max_points: int = 6):
    n = draw(st.integers(1, max_points))
    pts = []
    for _ in range(n):
        fast = draw(st.integers(1, max_window - 1))
        slow = draw(st.integers(fast + 1, max_window))
        pts.append({"fast": fast, "slow": slow})
    return pts


@st.composite
def momentum_points(draw, max_lookback: int = 40, max_points: int = 6):
    n = draw(st.integers(1, max_points))
    return [{"lookback": draw(st.integers(1, max_lookback)),
             "threshold": draw(st.sampled_from([0.0, 0.001, 0.01, 0.2]))} for _ in range(n)]


def family_points(family: str):
    return ma_points() if family == "ma_crossover" else momentum_points()

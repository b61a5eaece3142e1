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


@st.composite
def zscore_points(draw, max_lookback: int = 40, max_points: int = 6):
    n = draw(st.integers(1, max_points))
    pts = []
    for _ in range(n):
        entry = draw(st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.5]))
        exit_ = draw(st.sampled_from([x for x in (0.0, 0.25, 0.5, 1.0, 1.5) if x <= entry]))
        pts.append({"lookback": draw(st.integers(2, max_lookback)), "entry": entry,
                    "exit": exit_})
    return pts


@st.composite
def donchian_points(draw, max_lookback: int = 40, max_points: int = 6):
    n = draw(st.integers(1, max_points))
    return [{"lookback": draw(st.integers(1, max_lookback))} for _ in range(n)]


SINGLE_FAMILIES = ["ma_crossover", "ts_momentum", "zscore_reversion", "donchian_breakout"]


def family_points(family: str):
    return {"ma_crossover": ma_points, "ts_momentum": momentum_points,
            "zscore_reversion": zscore_points, "donchian_breakout": donchian_points}[family]()


@st.composite
def panels(draw, max_bars: int = 120, max_assets: int = 7):
    """(T, n) price panels: tied levels (rank ties) or independent random walks."""
    T = draw(st.integers(2, max_bars))
    n = draw(st.integers(2, max_assets))
    if draw(st.booleans()):
        return draw(arrays(np.float64, (T, n), elements=st.sampled_from([1.0, 2.0, 3.0])))
    seed = draw(st.integers(0, 2**32 - 1))
    return np.column_stack([random_walk(T, seed + a, 0.02) for a in range(n)])


@st.composite
def xs_points(draw, n_assets: int, max_lookback: int = 30, max_points: int = 5,
              long_only: bool = False):
    per_side = 1 if long_only else 2
    k = draw(st.integers(1, max_points))
    return [{"lookback": draw(st.integers(1, max_lookback)),
             "top_k": draw(st.integers(1, max(1, n_assets // per_side)))} for _ in range(k)]

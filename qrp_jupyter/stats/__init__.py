"""Statistics that promotion rules rely on (DESIGN sections 5 and 8).

Conventions: ``returns`` is a (T x k) panel of per-period strategy returns where higher is
better; ``benchmark`` defaults to zero returns; Sharpe ratios are per period; kurtosis is raw
(normal = 3). Every stochastic function takes an explicit ``seed`` and stores the record of the
randomness it used in its result.
"""

from .block_length import optimal_block_length
from .bootstrap import stationary_bootstrap_means
from .multiple_testing import reality_check
from .results import RealityCheckResult
from .sharpe import (
    deflated_sharpe,
    expected_max_sharpe,
    probabilistic_sharpe,
    sharpe_moments,
)

__all__ = [
    "optimal_block_length",
    "stationary_bootstrap_means",
    "reality_check",
    "RealityCheckResult",
    "probabilistic_sharpe",
    "deflated_sharpe",
    "expected_max_sharpe",
    "sharpe_moments",
]

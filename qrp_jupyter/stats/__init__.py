"""Statistics that promotion rules rely on (DESIGN sections 5 and 8).

Conventions: ``returns`` is a (T x k) panel of per-period strategy returns where higher is
better; ``benchmark`` defaults to zero returns; Sharpe ratios are per period; kurtosis is raw
(normal = 3). Every stochastic function takes an explicit ``seed`` and stores the record of the
randomness it used in its result.
"""

from .adjust import adjust_pvalues
from .block_length import optimal_block_length
from .bootstrap import (
    stationary_bootstrap_means, stationary_bootstrap_moments, stationary_bootstrap_variance,
)
from .hac import hac_tstat, newey_west_lags
from .multiple_testing import reality_check
from .pbo import pbo_cscv
from .permutation import PermutationResult, permutation_test, permuted_path
from .results import RealityCheckResult
from .results_pbo import HACResult, PBOResult
from .sharpe import (
    deflated_sharpe,
    expected_max_sharpe,
    min_track_record_length,
    probabilistic_sharpe,
    sharpe_moments,
    sharpe_variance_term,
)
from .hansen_spa import SPAPValues, SPAResult, spa
from .romano_wolf import StepMResult, StepMStep, spa_stepm, stepm

__all__ = [
    "optimal_block_length",
    "stationary_bootstrap_means",
    "stationary_bootstrap_moments",
    "stationary_bootstrap_variance",
    "reality_check",
    "RealityCheckResult",
    "spa", "stepm", "spa_stepm", "SPAResult", "SPAPValues", "StepMResult", "StepMStep",
    "pbo_cscv", "PBOResult",
    "permutation_test", "PermutationResult", "permuted_path",
    "hac_tstat", "HACResult", "newey_west_lags",
    "adjust_pvalues",
    "probabilistic_sharpe",
    "deflated_sharpe",
    "expected_max_sharpe",
    "min_track_record_length",
    "sharpe_moments",
    "sharpe_variance_term",
]

"""The backtest engine: strategy families, positions, returns after costs, metrics, walk-forward.

Semantics (DESIGN section 6): a position decided with data up to bar t is held over bar t+1;
per-period return = position * asset return - cost * |position change| (- position * funding
for a perpetual future, when given), cost in basis points of traded notional (fee + slippage).
Public functions validate and coerce their inputs; the numba kernels in ``_kernels`` and
``_panel_kernels`` only compute, and each has a plain-numpy twin in ``tests/engine``.

Families: single-asset ``ma_crossover``, ``ts_momentum``, ``zscore_reversion`` and
``donchian_breakout`` (:func:`backtest_grid`, :func:`grid_metrics`); the panel family
``xs_momentum`` (:func:`backtest_panel`); user functions; a volatility-targeting overlay on any
of them (:mod:`.overlays`); a causality probe of any signal on truncated prefixes
(:mod:`.probe`). Out of sample: walk-forward (:func:`walk_forward`) and combinatorial purged
cross-validation (:func:`cpcv`), their test rows priced as one book (:func:`one_book_returns`).
"""

from .attestation import ATTESTATION_VERSION, fold_causality_attestation
from .backtest import (
    MAX_ABS_POSITION,
    GridResult,
    asset_returns,
    backtest_grid,
    grid_metrics,
    grid_positions,
    strategy_returns,
    user_positions,
)
from .book import one_book_returns
from .cpcv import MAX_SPLITS, CPCVPlan, CPCVResult, Split, cpcv, make_cpcv
from .families import (
    FAMILIES,
    GridExpansion,
    ParamSpec,
    StrategyFamily,
    expand_grid,
    grid_axes,
    get_family,
)
from .metrics import METRIC_NAMES, trial_metrics
from .overlays import OVERLAYS, overlay_scale, validate_overlay
from .panel import backtest_panel, panel_weights
from .probe import (
    DEFAULT_RANDOM_CUTS,
    PROBE_VERSION,
    CausalityProbe,
    ProbeCuts,
    TrialProbe,
    causality_probe,
    fold_boundary_bars,
    miss_bound,
    probe_cut_points,
    random_cut_count,
)
from .walkforward import (
    OBJECTIVES,
    PRICINGS,
    Fold,
    TrackedReturns,
    WalkForwardResult,
    make_folds,
    select_best,
    train_scores,
    walk_forward,
)

#: Part of every ``run_key``: bump whenever any engine result could change.
ENGINE_VERSION = "0.4.0"

__all__ = [
    "ENGINE_VERSION",
    "ParamSpec", "StrategyFamily", "FAMILIES", "GridExpansion", "expand_grid", "grid_axes", "get_family",
    "MAX_ABS_POSITION", "GridResult", "asset_returns", "grid_positions", "user_positions",
    "strategy_returns", "backtest_grid", "grid_metrics",
    "backtest_panel", "panel_weights",
    "OVERLAYS", "validate_overlay", "overlay_scale",
    "METRIC_NAMES", "trial_metrics",
    "OBJECTIVES", "Fold", "make_folds", "TrackedReturns", "train_scores", "select_best",
    "WalkForwardResult", "walk_forward", "PRICINGS", "one_book_returns",
    "MAX_SPLITS", "Split", "CPCVPlan", "make_cpcv", "CPCVResult", "cpcv",
    "ATTESTATION_VERSION", "fold_causality_attestation",
    "PROBE_VERSION", "DEFAULT_RANDOM_CUTS", "ProbeCuts", "TrialProbe", "CausalityProbe",
    "fold_boundary_bars", "random_cut_count", "miss_bound", "probe_cut_points",
    "causality_probe",
]

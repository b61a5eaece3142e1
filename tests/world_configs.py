"""Run configs of the test world (shared by conftest and the tests that extend it)."""

WORLD_BARS = 4000

EDGE_TOML = """\
name = "edge"
family = "t-trend"
[data]
dataset = "edge"
[strategy]
kind = "ts_momentum"
[strategy.grid]
lookback = [1, 2, 4, 8]
[costs]
fee_bps = 1.0
slippage_bps = 0.5
[walk_forward]
n_folds = 3
purge = 10
[nulls.reality_check]
reps = 299
"""

NOISE_TOML = """\
name = "noise"
family = "t-mined"
[data]
dataset = "noise"
[strategy]
kind = "ma_crossover"
[strategy.grid]
fast = [2, 4, 8, 16]
slow = [24, 48, 96]
[costs]
fee_bps = 1.0
slippage_bps = 0.5
[walk_forward]
n_folds = 3
purge = 10
[nulls.reality_check]
reps = 299
"""

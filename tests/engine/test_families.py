"""Strategy families: parameter validation and grid expansion."""

from __future__ import annotations

import pytest

from qrp_jupyter.engine import FAMILIES, expand_grid, get_family
from qrp_jupyter.errors import ConfigError

MA = FAMILIES["ma_crossover"]
MOM = FAMILIES["ts_momentum"]


def test_validate_coerces_and_fills_defaults():
    assert MA.validate({"fast": 5.0, "slow": 20}, where="p") == {"fast": 5, "slow": 20}
    assert type(MA.validate({"fast": 5.0, "slow": 20}, where="p")["fast"]) is int
    assert MOM.validate({"lookback": 24}, where="p") == {"lookback": 24, "threshold": 0.0}
    out = MOM.validate({"threshold": 1, "lookback": 3}, where="p")
    assert list(out) == ["lookback", "threshold"] and type(out["threshold"]) is float


@pytest.mark.parametrize("params, fragment, where", [
    ({"fast": 5}, "required parameter 'slow'", "p.slow"),
    ({"fast": 5, "slow": 20, "speed": 1}, "unknown parameter 'speed'", "p.speed"),
    ({"fast": "5", "slow": 20}, "fast='5' (str) is not a number", "p.fast"),
    ({"fast": True, "slow": 20}, "(bool) is not a number", "p.fast"),
    ({"fast": 5.5, "slow": 20}, "fast=5.5 is not a whole number", "p.fast"),
    ({"fast": 0, "slow": 20}, "fast=0 is outside [1, 1e+06]", "p.fast"),
    ({"fast": float("nan"), "slow": 20}, "is not finite", "p.fast"),
    ({"fast": 20, "slow": 20}, "fast=20 is not below slow=20", "p"),
])
def test_validate_errors_say_what_and_where(params, fragment, where):
    with pytest.raises(ConfigError) as err:
        MA.validate(params, where="p")
    assert fragment in str(err.value)
    assert err.value.where == where
    assert err.value.fix


def test_threshold_range():
    with pytest.raises(ConfigError, match=r"threshold=-0.1 is outside"):
        MOM.validate({"lookback": 3, "threshold": -0.1}, where="p")


def test_unknown_family():
    with pytest.raises(ConfigError, match="unknown strategy family 'ma'") as err:
        get_family("ma")
    assert err.value.where == "strategy.family" and "ma_crossover" in err.value.fix


def test_expand_grid_order_and_dropped():
    g = expand_grid("ma_crossover", {"slow": [100, 20], "fast": [50, 5]})
    # Declared parameter order (fast, then slow), values in the order given.
    assert [(p["fast"], p["slow"]) for p in g.points] == [(50, 100), (5, 100), (5, 20)]
    assert g.dropped == ({"fast": 50, "slow": 20},) and g.n_dropped == 1


def test_expand_grid_fills_defaults():
    g = expand_grid("ts_momentum", {"lookback": [1, 24]})
    assert g.points == ({"lookback": 1, "threshold": 0.0}, {"lookback": 24, "threshold": 0.0})
    assert g.n_dropped == 0


@pytest.mark.parametrize("grid, fragment, where", [
    ({"fast": [5, 10, 5], "slow": [50]}, "fast=5 repeats strategy.grid.fast[0]",
     "strategy.grid.fast[2]"),
    ({"fast": [5, 5.0], "slow": [50]}, "repeats", "strategy.grid.fast[1]"),
    ({"fast": [], "slow": [50]}, "value list of fast is empty", "strategy.grid.fast"),
    ({"fast": 5, "slow": [50]}, "fast=5 is not a list", "strategy.grid.fast"),
    ({"fast": [5, 10, -3], "slow": [50]}, "fast=-3 is outside", "strategy.grid.fast[2]"),
    ({"fast": [5]}, "required parameter 'slow'", "strategy.grid.slow"),
    ({"fast": [5], "slow": [50], "x": [1]}, "unknown parameter 'x'", "strategy.grid.x"),
    ({"fast": [50, 60], "slow": [10, 20]}, "all 4 combinations", "strategy.grid"),
])
def test_expand_grid_errors(grid, fragment, where):
    with pytest.raises(ConfigError) as err:
        expand_grid("ma_crossover", grid)
    assert fragment in str(err.value)
    assert err.value.where == where


def test_expand_grid_rejects_non_mapping_and_unknown_family():
    with pytest.raises(ConfigError, match="must be a mapping"):
        expand_grid("ma_crossover", [5, 50])
    with pytest.raises(ConfigError, match="unknown strategy family"):
        expand_grid("bollinger", {"n": [5]})


def test_expansion_points_validate_to_themselves():
    g = expand_grid("ma_crossover", {"fast": [1, 2, 3], "slow": [2, 3, 4]})
    assert len(g.points) + g.n_dropped == 9
    for p in g.points:
        assert MA.validate(p, where="x") == p

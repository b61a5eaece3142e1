"""The run config schema: defaults, vocabularies shared with the engine, error locations."""

from __future__ import annotations

import pytest

from qrp_jupyter import engine
from qrp_jupyter.config import _CHOICES, DEFAULTS, STRATEGY_KINDS, parse_config
from qrp_jupyter.errors import ConfigError

MINIMAL = """\
[data]
dataset = "d"
[strategy]
kind = "ts_momentum"
[strategy.grid]
lookback = [1]
"""


def test_config_vocabularies_are_the_engines():
    """A value the config accepts must be one the engine can run (and vice versa)."""
    assert set(STRATEGY_KINDS) - {"user"} == set(engine.FAMILIES)
    assert set(_CHOICES["walk_forward.objective"]) == set(engine.OBJECTIVES)
    from qrp_jupyter.stats.permutation import STATISTICS
    assert _CHOICES["nulls.permutation.statistic"] == STATISTICS


def test_every_default_is_filled_in():
    cfg = parse_config(MINIMAL)

    def keys(d, prefix=""):
        out = set()
        for k, v in d.items():
            out.add(prefix + k)
            if isinstance(v, dict) and k != "grid":
                out |= keys(v, prefix + k + ".")
        return out
    assert keys(cfg.values) == keys(DEFAULTS) | {"strategy.grid"}
    assert cfg.values["nulls"]["reality_check"]["reps"] == 1000
    assert cfg.values["walk_forward"]["objective"] == "sharpe"


@pytest.mark.parametrize("objective", ["mean_return", "total_return"])
def test_each_engine_objective_is_accepted(objective):
    text = MINIMAL + f"[walk_forward]\nobjective = \"{objective}\"\n"
    assert parse_config(text).values["walk_forward"]["objective"] == objective


def test_errors_point_at_the_line_of_the_key_even_with_a_magic_offset():
    """In a cell, line 1 is the magic itself: the TOML body's line 8 is the cell's line 9."""
    text = MINIMAL + "[costs]\nfee = 3\n"
    with pytest.raises(ConfigError) as info:
        parse_config(text, source="<cell>", line_offset=1)
    err = info.value
    assert err.where == "<cell>:9 key 'costs.fee'"
    assert "unknown key 'costs.fee'" in err.what and "fee_bps" in err.fix

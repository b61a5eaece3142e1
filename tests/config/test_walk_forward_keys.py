"""walk_forward keys: the modes, CPCV's test_groups, and an embargo only where it can bite."""

from __future__ import annotations

import pytest

from qrp_jupyter import engine
from qrp_jupyter.config import _CHOICES, DEFAULTS, parse_config
from qrp_jupyter.errors import ConfigError

MINIMAL = """\
[data]
dataset = "d"
[strategy]
kind = "ts_momentum"
[strategy.grid]
lookback = [1]
"""


def wf(body: str) -> str:
    return MINIMAL + "[walk_forward]\n" + body


def test_modes_and_defaults():
    assert _CHOICES["walk_forward.mode"] == ("expanding", "rolling", "cpcv")
    assert DEFAULTS["walk_forward"]["embargo"] == 0 and DEFAULTS["walk_forward"]["test_groups"] == 2
    v = parse_config(wf('mode = "cpcv"\nn_folds = 6\npurge = 3\nembargo = 5\n')).values
    assert v["walk_forward"]["test_groups"] == 2 and v["walk_forward"]["embargo"] == 5
    # test_groups is part of the hashed section in every mode (a default like the others).
    assert "test_groups" in parse_config(MINIMAL).values["walk_forward"]


@pytest.mark.parametrize("mode", ["expanding", "rolling"])
def test_embargo_outside_cpcv_is_refused_at_its_line(mode):
    text = wf(f'mode = "{mode}"\nembargo = 24\n')
    with pytest.raises(ConfigError) as err:
        parse_config(text, source="run.toml")
    e = err.value
    assert "walk_forward.embargo = 24 has no effect in mode" in e.what
    assert "training always precedes testing" in e.what
    assert e.where == "run.toml:9 key 'walk_forward.embargo'"
    assert e.fix == 'set it to 0 or use mode = "cpcv"'
    assert parse_config(wf(f'mode = "{mode}"\nembargo = 0\n'))  # zero is fine


@pytest.mark.parametrize("body, key, fragment", [
    ('mode = "cpcv"\nn_folds = 4\ntest_groups = 4\n', "walk_forward.test_groups",
     "is not in [1, n_folds - 1] = [1, 3]"),
    ('mode = "cpcv"\ntest_groups = 0\n', "walk_forward.test_groups", "is below 1"),
    ('mode = "cpcv"\ntest_size = 100\n', "walk_forward.test_size", "has no effect in mode 'cpcv'"),
    ('mode = "cpcv"\ntest_groups = 1.5\n', "walk_forward.test_groups", "must be int"),
    ('mode = "anchored"\n', "walk_forward.mode", "is not one of"),
])
def test_cpcv_key_errors(body, key, fragment):
    with pytest.raises(ConfigError) as err:
        parse_config(wf(body), source="c.toml")
    assert key in err.value.where and fragment in err.value.what and err.value.fix


def test_the_engine_accepts_what_the_config_accepts():
    v = parse_config(wf('mode = "cpcv"\nn_folds = 5\ntest_groups = 3\nembargo = 2\n')).values
    w = v["walk_forward"]
    plan = engine.make_cpcv(500, n_groups=w["n_folds"], test_groups=w["test_groups"],
                            purge=w["purge"], embargo=w["embargo"])
    assert len(plan.splits) == 10 and plan.n_paths == 6

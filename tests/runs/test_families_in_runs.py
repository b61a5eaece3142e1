"""The full strategy vocabulary through real runs: panel, overlay, funding, new families."""

from __future__ import annotations

import json

import pytest

from qrp_jupyter.data import synthetic
from qrp_jupyter.errors import ConfigError
from qrp_jupyter.runs import execute_run, prepare_run, register_dataset, replay_run
from qrp_jupyter.store import decode_array

import insider

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

BASE = """\
family = "t-fam"
[data]
dataset = "{ds}"
{data_extra}
[strategy]
kind = "{kind}"
[strategy.grid]
{grid}
{extra}
[walk_forward]
n_folds = 2
[nulls.reality_check]
reps = 49
[nulls.spa_stepm]
reps = 49
size = 0.1
[nulls.pbo]
n_blocks = 8
"""


def cfg(kind, grid, *, ds="edge", data_extra="", extra=""):
    return BASE.format(kind=kind, grid=grid, ds=ds, data_extra=data_extra, extra=extra)


@pytest.fixture
def panel_world(world):
    ds = synthetic(n_bars=1500, assets=("AAA", "BBB", "CCC", "DDD"), seed=5, edge=0.1)
    register_dataset(world.store, ds, name="panel")
    return world


def test_cross_sectional_momentum_on_a_panel_runs_and_replays(panel_world):
    w = panel_world
    out = execute_run(w.store, cfg("xs_momentum", "lookback = [12, 48]\ntop_k = [1]",
                                   ds="panel"))
    row = json.loads(insider.row(w.store, "SELECT config_json FROM runs WHERE run_key = ?",
                                          (out.run_key,))["config_json"])
    assert row["data"]["assets"] == ["AAA", "BBB", "CCC", "DDD"] and row["data"]["asset"] is None
    R = decode_array(w.store.get_artifact(out.artifacts["returns_matrix"]))
    assert R.shape == (1499, 2)
    assert replay_run(w.store, out.run_key).extra["attestation"]["match"] is True
    # A sub-universe is a different experiment.
    sub = cfg("xs_momentum", "lookback = [12, 48]\ntop_k = [1]", ds="panel",
              data_extra='assets = ["AAA", "BBB"]')
    assert prepare_run(w.store, sub).run_key != out.run_key


@pytest.mark.parametrize("kind,grid", [
    ("zscore_reversion", "lookback = [24, 48]\nentry = [1.5, 2.0]"),
    ("donchian_breakout", "lookback = [24, 96]"),
])
def test_new_single_asset_families_run(world, kind, grid):
    out = execute_run(world.store, cfg(kind, grid))
    assert out.summary["n_trials"] >= 2 and out.summary["pbo"] is not None
    assert 0 < out.summary["spa_pvalue"] <= 1


def test_vol_target_overlay_is_part_of_the_run_and_changes_results(world):
    plain = prepare_run(world.store, cfg("ts_momentum", "lookback = [2, 4]"))
    text = cfg("ts_momentum", "lookback = [2, 4]",
               extra="[strategy.overlay]\nkind = \"vol_target\"\ntarget_vol = 0.2\n"
                     "vol_lookback = 48")
    over = prepare_run(world.store, text)
    assert over.run_key != plain.run_key
    assert over.identity["strategy"]["overlay"] == {"kind": "vol_target", "target_vol": 0.2,
                                                    "vol_lookback": 48, "max_leverage": 1.0}
    a = execute_run(world.store, text)
    b = execute_run(world.store, cfg("ts_momentum", "lookback = [2, 4]"))
    assert a.artifacts["returns_matrix"] != b.artifacts["returns_matrix"]


def test_funding_costs_longs_and_zero_funding_is_no_funding(world):
    base = cfg("ts_momentum", "lookback = [2]")
    zero = base.replace("[walk_forward]", "[costs]\nfunding_bps_per_period = 0.0\n"
                                          "[walk_forward]")
    paid = base.replace("[walk_forward]", "[costs]\nfunding_bps_per_period = 0.5\n"
                                          "[walk_forward]")
    a, z, f = (execute_run(world.store, t) for t in (base, zero, paid))
    assert a.artifacts["returns_matrix"] == z.artifacts["returns_matrix"]
    Ra = decode_array(world.store.get_artifact(a.artifacts["returns_matrix"]))
    Rf = decode_array(world.store.get_artifact(f.artifacts["returns_matrix"]))
    assert not (Ra == Rf).all()


@pytest.mark.parametrize("text,where", [
    (cfg("ts_momentum", "lookback = [2]", extra="[strategy.overlay]\nkind = \"vol_tgt\""),
     "strategy.overlay.kind"),
    (cfg("ts_momentum", "lookback = [2]",
         extra="[strategy.overlay]\nkind = \"vol_target\"\ntarget_vol = -1\nvol_lookback = 9"),
     "strategy.overlay"),
    (cfg("xs_momentum", "lookback = [12]\ntop_k = [1]"), "data.assets"),  # 1-asset data
    (cfg("xs_momentum", "lookback = [12]\ntop_k = [1]", ds="panel",
         data_extra='asset = "AAA"'), "data.asset"),
    (cfg("xs_momentum", "lookback = [12]\ntop_k = [1]", ds="panel",
         data_extra='assets = ["AAA", "ZZZ"]'), "data.assets"),
    (cfg("ts_momentum", "lookback = [2]").replace("n_blocks = 8", "n_blocks = 7"),
     "nulls.pbo.n_blocks"),
    (cfg("ts_momentum", "lookback = [2]").replace("size = 0.1", "size = 0.9"),
     "nulls.spa_stepm.size"),
])
def test_bad_family_settings_are_explained_and_write_nothing(panel_world, counts, text, where):
    before = counts(panel_world.store)
    with pytest.raises(ConfigError) as info:
        execute_run(panel_world.store, text, source="f.toml")
    assert where in str(info.value) and info.value.fix
    assert counts(panel_world.store) == before


def test_permutation_null_refuses_a_panel_strategy_and_writes_nothing(panel_world, counts):
    text = cfg("xs_momentum", "lookback = [12]\ntop_k = [1]", ds="panel",
               extra="[nulls.permutation]\nenabled = true")
    before = counts(panel_world.store)
    with pytest.raises(ConfigError, match="panel strategy") as info:
        execute_run(panel_world.store, text, source="p.toml")
    assert "p.toml:" in str(info.value) and "nulls.permutation.enabled" in str(info.value)
    assert counts(panel_world.store) == before


def test_permutation_null_with_a_user_function_and_replay(world):
    """The permutation test re-runs the user's stored function on every shuffled path, and a
    replay from the database reproduces its null distribution bit for bit."""
    text = ('family = "t-fam"\n[data]\ndataset = "edge"\n[strategy]\nkind = "user"\n'
            'function = "_mom"\n[strategy.grid]\nlookback = [2, 8]\n[walk_forward]\n'
            'enabled = false\n[nulls.reality_check]\nenabled = false\n'
            '[nulls.spa_stepm]\nenabled = false\n[nulls.pbo]\nenabled = false\n'
            '[nulls.permutation]\nenabled = true\nreps = 19\nblock_size = 4\n')

    def _mom(close, lookback):
        import numpy as np
        out = np.zeros_like(close)
        out[lookback:] = np.sign(close[lookback:] - close[:-lookback])
        return out

    out = execute_run(world.store, text, namespace={"_mom": _mom})
    doc = json.loads(world.store.get_artifact(out.artifacts["permutation"]))
    assert doc["block_size"] == 4 and doc["reps"] == 19 and doc["strategy"] == "_mom"
    att = replay_run(world.store, out.run_key).extra["attestation"]
    assert att["match"] is True
    assert att["compared"]["permutation_null_distribution"]["match"] is True

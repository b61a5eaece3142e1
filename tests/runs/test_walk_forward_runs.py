"""Walk-forward and CPCV inside real runs: one-book pricing, the artifact docs, replay."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qrp_jupyter import engine
from qrp_jupyter.data import synthetic
from qrp_jupyter.errors import ConfigError
from qrp_jupyter.runs import execute_run, prepare_run, register_dataset, replay_run
from qrp_jupyter.store import decode_array

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

BASE = """\
family = "t-wf"
[data]
dataset = "{ds}"
[strategy]
kind = "{kind}"
[strategy.grid]
{grid}
[costs]
fee_bps = 15.0
slippage_bps = 10.0
[walk_forward]
{wf}
[nulls.reality_check]
enabled = false
[nulls.spa_stepm]
enabled = false
[nulls.pbo]
enabled = false
"""


def run(store, wf, *, ds="edge", kind="ts_momentum", grid="lookback = [1, 2, 4, 8, 24]"):
    return execute_run(store, BASE.format(ds=ds, kind=kind, grid=grid, wf=wf))


def doc(store, out, kind):
    return json.loads(store.get_artifact(out.artifacts[kind]))


def array(store, out, kind):
    return decode_array(store.get_artifact(out.artifacts[kind]))


def book_twin(w, asset_ret, rows, trials, cost):
    """Plain loop over the held positions (w: (T, n, k) weights; one asset is n = 1)."""
    out, held = [], np.zeros(w.shape[1])
    for s, (i, j) in enumerate(zip(rows, trials)):
        q = w[i, :, j]
        traded = np.abs(q - held).sum() + (np.abs(q).sum() if s == len(rows) - 1 else 0.0)
        out.append(float((q * asset_ret[i]).sum()) - cost * traded)
        held = q
    return np.array(out)


def test_expanding_run_records_one_book_oos(world):
    out = run(world.store, "n_folds = 3\npurge = 5")
    wf = doc(world.store, out, "walk_forward")
    assert wf["pricing"] == "one_book" and wf["version"] == 2 and wf["mode"] == "expanding"
    R = array(world.store, out, "returns_matrix")
    oos = array(world.store, out, "oos_returns")
    prep = prepare_run(world.store, BASE.format(ds="edge", kind="ts_momentum",
                                                grid="lookback = [1, 2, 4, 8, 24]",
                                                wf="n_folds = 3\npurge = 5"))
    close = prep.closes()
    pos = engine.grid_positions("ts_momentum", close, prep.points)
    rows = np.concatenate([np.arange(f["test_start"], f["test_stop"]) for f in wf["folds"]])
    trials = np.concatenate([np.full(f["test_stop"] - f["test_start"], c)
                             for f, c in zip(wf["folds"], wf["chosen"])])
    want = book_twin(pos[:, None, :], (close[1:] / close[:-1] - 1.0)[:, None], rows, trials,
                     25e-4)
    np.testing.assert_allclose(oos, want, rtol=0, atol=1e-12)
    # Not the copied returns: the exit (and any switch) is charged; inside a fold the book's
    # return is the grid's own, bit for bit (positions rebuilt for the chosen trials only).
    assert oos[-1] != R[rows[-1], trials[-1]]
    starts = np.cumsum([0] + [f["test_stop"] - f["test_start"] for f in wf["folds"]])
    inner = np.setdiff1d(np.arange(len(rows)), list(starts[:-1]) + [len(rows) - 1])
    np.testing.assert_array_equal(oos[inner], R[rows, trials][inner])
    assert replay_run(world.store, out.run_key).extra["attestation"]["match"] is True


def test_cpcv_run_records_splits_paths_and_the_mean_path_sharpe(world):
    out = run(world.store, 'mode = "cpcv"\nn_folds = 5\ntest_groups = 2\npurge = 6\nembargo = 6')
    wf = doc(world.store, out, "walk_forward")
    assert (wf["mode"], wf["pricing"], wf["n_groups"], wf["test_groups"], wf["n_paths"]) == (
        "cpcv", "one_book", 5, 2, 4)
    assert len(wf["splits"]) == 10 and len(wf["paths"]) == 4 and len(wf["chosen"]) == 10
    assert wf["splits"][1]["test_groups"] == [0, 2] and "train" in wf["splits"][1]
    assert [c for c in wf["chosen"]] == [s["chosen"] for s in wf["splits"]]
    for p in wf["paths"]:
        assert p["chosen"] == [wf["splits"][s]["chosen"] for s in p["splits"]]
    oos = array(world.store, out, "oos_returns")
    n_obs = out.summary["n_obs"]
    assert oos.shape == (n_obs, 4) and wf["oos_rows"] == n_obs
    per_path = [p["oos_sharpe"] for p in wf["paths"]]
    np.testing.assert_allclose(per_path, oos.mean(0) / oos.std(0, ddof=1), rtol=1e-12)
    assert wf["oos_sharpe"] == pytest.approx(np.mean(per_path), rel=1e-14)
    assert "mean over the paths" in wf["oos_sharpe_definition"]
    assert out.summary["oos_sharpe_annual"] == wf["oos_sharpe_annual"]
    att = doc(world.store, out, "fold_causality")
    assert att["valid"] and att["version"] == 2 and att["embargo"] == 6 and att["n_folds"] == 10
    # Training rows follow test rows, and the embargo removed rows after each test block.
    s1 = att["folds"][1]
    assert s1["train_ranges"][0][0] == wf["groups"][0][1] + 6
    assert replay_run(world.store, out.run_key).extra["attestation"]["match"] is True


def test_cpcv_config_that_cannot_fit_fails_before_computing(world):
    text = BASE.format(ds="edge", kind="ts_momentum", grid="lookback = [1]",
                       wf='mode = "cpcv"\nn_folds = 4\npurge = 2000')
    with pytest.raises(ConfigError) as err:
        prepare_run(world.store, text, source="c.toml")
    assert "keeps 0 train rows" in err.value.what and "c.toml" in err.value.where


def test_panel_walk_forward_is_one_book_over_the_weights(world):
    ds = synthetic(n_bars=900, assets=("AAA", "BBB", "CCC", "DDD"), seed=5, edge=0.1)
    register_dataset(world.store, ds, name="panel")
    grid = "lookback = [6, 24, 48]\ntop_k = [1]"
    for wf_text in ("n_folds = 3", 'mode = "cpcv"\nn_folds = 4\nembargo = 3'):
        out = run(world.store, wf_text, ds="panel", kind="xs_momentum", grid=grid)
        wf = doc(world.store, out, "walk_forward")
        assert wf["pricing"] == "one_book"
        prep = prepare_run(world.store, BASE.format(ds="panel", kind="xs_momentum", grid=grid,
                                                    wf=wf_text))
        closes = prep.closes()
        w = engine.panel_weights("xs_momentum", closes, prep.points)
        ar = closes[1:] / closes[:-1] - 1.0
        oos = array(world.store, out, "oos_returns")
        if wf["mode"] == "cpcv":
            sizes = [b - a for a, b in wf["groups"]]
            for p, path in enumerate(wf["paths"]):
                trials = np.repeat(path["chosen"], sizes)
                np.testing.assert_allclose(oos[:, p], book_twin(w, ar, np.arange(len(ar)), trials,
                                                                25e-4), rtol=0, atol=1e-12)
        else:
            rows = np.concatenate([np.arange(f["test_start"], f["test_stop"])
                                   for f in wf["folds"]])
            trials = np.concatenate([np.full(f["test_stop"] - f["test_start"], c)
                                     for f, c in zip(wf["folds"], wf["chosen"])])
            np.testing.assert_allclose(oos, book_twin(w, ar, rows, trials, 25e-4), rtol=0,
                                       atol=1e-12)

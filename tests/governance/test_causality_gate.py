"""A look-ahead strategy is refused at the gate, and the causality probe is what refuses it.

The attack from the audit: a user function that reads the next bar gets a huge Sharpe on a
martingale, passes every statistical rule and, before the probe, was accepted through both
levels with a replay.
"""

from __future__ import annotations

import json

import numpy as np

from qrp_jupyter.data import synthetic
from qrp_jupyter.governance import create_candidate, promote
from qrp_jupyter.runs import execute_run, register_dataset
from qrp_jupyter.store import Store

CONFIG = """\
family = "peek"
[data]
dataset = "martingale"
[strategy]
kind = "user"
function = "{function}"
[strategy.grid]
horizon = [1, 2]
[costs]
fee_bps = 1.0
slippage_bps = 0.5
[walk_forward]
n_folds = 3
purge = 10
[nulls.reality_check]
reps = 199
[nulls.spa_stepm]
reps = 199
"""


def peek_ahead(close, horizon):
    p = np.zeros_like(close)
    p[:-horizon] = np.sign(close[horizon:] - close[:-horizon])
    return p


def honest_momentum(close, horizon):
    p = np.zeros_like(close)
    p[horizon:] = np.sign(close[horizon:] - close[:-horizon])
    return p


def _promote(tmp_path, function):
    store = Store(tmp_path / f"{function.__name__}.sqlite")
    try:
        register_dataset(store, synthetic(n_bars=3000, seed=21, edge=0.0), name="martingale")
        run = execute_run(store, CONFIG.format(function=function.__name__),
                          namespace={function.__name__: function})
        cand = create_candidate(store, run.run_instance_id)
        res = promote(store, cand["candidate_id"], "candidate")
        probe = json.loads(store.get_artifact(run.artifacts["causality_probe"]))
        return run, res, probe
    finally:
        store.close()


def test_the_peek_is_refused_at_candidate_with_the_probe_as_the_blocker(tmp_path):
    run, res, probe = _promote(tmp_path, peek_ahead)
    assert run.summary["best_sharpe_annual"] > 20  # what a peek earns on a martingale
    assert not res.passed
    assert res.report["blockers"] == ["causality: causality_probe_ok = False (needs == True)"]
    rules = {r["rule"]: r for r in res.report["rules"]}
    assert rules["causality"]["artifact_id"] == run.artifacts["causality_probe"]
    # Every statistical rule passes: only the probe stands between the peek and the gate.
    assert all(r["verdict"] == "pass" for name, r in rules.items()
               if name != "causality" and r["severity"] == "blocker")
    trial = res.report["trial_index"]
    assert trial in probe["mismatched_trials"] and not probe["valid"]
    first = probe["trials"][trial]["first_mismatch"]
    assert first["bar"] <= first["cut"] and first["full"] != first["prefix"]


def test_the_same_signal_without_the_peek_is_not_blocked_by_the_probe(tmp_path):
    run, res, probe = _promote(tmp_path, honest_momentum)
    assert probe["valid"] and probe["mismatched_trials"] == []
    causality = next(r for r in res.report["rules"] if r["rule"] == "causality")
    assert causality["verdict"] == "pass"
    assert not res.passed  # and on a martingale the statistics refuse it instead

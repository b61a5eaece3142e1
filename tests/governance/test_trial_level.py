"""Every rule's value describes the candidate trial, or supports only the grid's best trial.

The attack: make a candidate of a grid's weakest trial and let it ride on the grid's evidence
(the best trial's Reality Check, the selection procedure's PBO and out-of-sample Sharpe).
"""

from __future__ import annotations

import json

import pytest

from qrp_jupyter.audit import verify
from qrp_jupyter.errors import ConfigError
from qrp_jupyter.governance import add_policy, create_candidate, promote
from qrp_jupyter.policies import (DEFAULT_POLICY, METRIC_SCOPES, Policy, evaluate_rules,
                                  grid_best_trial)


def _trials(world):
    return [dict(t) for t in world.store.all("trials.table", (world.edge.run_key,))]


def _doc(world, kind):
    return json.loads(world.store.get_artifact(world.edge.artifacts[kind]))


def test_the_weakest_trial_is_refused_whatever_the_grid_shows(world):
    trials = _trials(world)
    weakest = min(range(len(trials)), key=lambda i: trials[i]["sharpe"])
    best = grid_best_trial(_doc(world, "metrics_table"))
    assert weakest != best
    cand = create_candidate(world.store, world.edge.run_instance_id, weakest)
    report = promote(world.store, cand["candidate_id"], "candidate").report
    assert not report["passed"]
    rules = {r["rule"]: r for r in report["rules"]}
    # Its own Romano-Wolf adjusted p-value, not the grid's Reality Check p.
    stepm = _doc(world, "stepm")
    assert rules["data_snooping"]["value"] == stepm["adjusted_pvalues"][weakest]
    assert rules["data_snooping"]["scope"] == "trial"
    # Grid-level values are shown but cannot pass for it.
    for name in ("overfitting", "oos_positive"):
        assert rules[name]["scope"] == "grid" and rules[name]["verdict"] == "fail"
    assert any(b.startswith("overfitting:") and "supports only the grid's best trial "
               f"({best}), not trial {weakest}" in b for b in report["blockers"])
    # Its own HAC t, from its own returns.
    ev = json.loads(world.store.get_artifact(rules["hac_t"]["artifact_id"]))
    assert ev["trial_index"] == weakest and rules["hac_t"]["value"] == ev["hac_tstat"]
    assert verify(world.store).ok


def test_grid_level_rules_judge_the_best_trial_by_their_value(world):
    best = grid_best_trial(_doc(world, "metrics_table"))
    cand = create_candidate(world.store, world.edge.run_instance_id, best)
    report = promote(world.store, cand["candidate_id"], "candidate").report
    rules = {r["rule"]: r for r in report["rules"]}
    pbo = _doc(world, "pbo")["pbo"]
    assert rules["overfitting"]["value"] == pbo
    assert rules["overfitting"]["verdict"] == ("pass" if pbo <= rules["overfitting"]["threshold"]
                                               else "fail")


def test_every_rule_of_the_default_policy_says_which_kind_it_is():
    for level, rules in DEFAULT_POLICY.levels.items():
        for r in rules:
            assert r["scope"] == METRIC_SCOPES[r["metric"]] in ("trial", "grid"), (level, r)
    kinds = {r["rule"]: r["scope"] for r in DEFAULT_POLICY.levels["accepted"]}
    assert kinds["overfitting"] == kinds["oos_positive"] == "grid"
    assert kinds["data_snooping"] == kinds["deflated_sharpe"] == kinds["causality"] == "trial"


def test_a_policy_cannot_declare_a_grid_statistic_trial_level(world):
    sneaky = Policy(name="sneaky", version=1, levels={"candidate": [
        {"rule": "rc", "metric": "reality_check_pvalue", "op": "<=", "threshold": 0.05,
         "severity": "blocker", "scope": "trial", "why": ""}]})
    with pytest.raises(ConfigError, match=r"reality_check_pvalue scope 'trial', but that "
                                          r"metric is grid-level") as err:
        add_policy(world.store, sneaky, actor="pytest", reason="try")
    assert err.value.where.endswith(".scope")
    # Written by hand without a scope, a policy file gets its metrics' scopes filled in.
    filled = Policy.from_payload({"name": "desk", "version": 1, "levels": {"candidate": [
        {"rule": "rc", "metric": "reality_check_pvalue", "op": "<=", "threshold": 0.05,
         "severity": "blocker", "why": ""}]}}, fill_scopes=True)
    assert filled.levels["candidate"][0]["scope"] == "grid"


def test_grid_scope_fails_closed_without_a_best_trial():
    rule = dict(DEFAULT_POLICY.levels["candidate"][3])  # overfitting, grid-level
    assert rule["scope"] == "grid"
    out = evaluate_rules([rule], {"pbo": (0.0, "a" * 64)}, trial_index=0, grid_best=None)
    assert out["rules"][0]["verdict"] == "fail" and not out["passed"]
    out = evaluate_rules([rule], {"pbo": (0.0, "a" * 64)}, trial_index=0, grid_best=0)
    assert out["passed"]

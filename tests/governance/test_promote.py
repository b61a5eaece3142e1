"""Promotion: the fail-closed gate, recorded refusals, legal transitions, the event chain."""

from __future__ import annotations

import json

import pytest

from qrp_jupyter.errors import GovernanceError, NotFoundError
from qrp_jupyter.governance import (DEFAULT_POLICY, Policy, create_candidate, promote, reject,
                                    register_policy, retire, add_policy)
from qrp_jupyter.runs import execute_run

import insider

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def events(store):
    return [dict(r) for r in insider.rows(store, "SELECT * FROM v_governance_log")]


def test_edge_goes_through_candidate_to_accepted(world):
    c = create_candidate(world.store, world.edge.run_instance_id)
    assert c["created"] and c["status"] == "exploratory"
    assert c["trial_index"] == world.edge.summary["best_trial"]
    r1 = promote(world.store, c["candidate_id"], "candidate")
    assert r1.passed, r1.report["blockers"]
    r2 = promote(world.store, c["candidate_id"][:10], "accepted")
    assert r2.passed, r2.report["blockers"]
    rules = {r["rule"]: r for r in r2.report["rules"]}
    assert rules["replay"]["value"] is True and rules["replay"]["verdict"] == "pass"
    row = insider.row(world.store, "SELECT status, eligibility_report_id FROM promotion_candidates "
                                   "WHERE candidate_id = ?", (c["candidate_id"],))
    assert row["status"] == "accepted" and row["eligibility_report_id"] == \
        r2.eligibility_report_id
    log = events(world.store)
    assert [e["kind"] for e in log] == ["candidate_created", "promoted", "promoted"]
    assert log[-1]["eligibility_report_id"] == r2.eligibility_report_id
    assert log[1]["prev_hash"] == log[0]["event_hash"]


def test_every_rule_names_its_value_threshold_verdict_and_source_artifact(world):
    c = create_candidate(world.store, world.edge.run_instance_id)
    rep = promote(world.store, c["candidate_id"], "candidate").report
    assert rep["policy"]["hash"] == DEFAULT_POLICY.policy_hash
    for rule in rep["rules"]:
        assert {"rule", "metric", "value", "op", "threshold", "verdict", "severity",
                "artifact_id"} <= set(rule)
        assert insider.row(world.store, "SELECT 1 FROM artifacts WHERE artifact_id = ?",
                                        (rule["artifact_id"],)) is not None, rule
    dsr = next(r for r in rep["rules"] if r["metric"] == "deflated_sharpe")
    ev = json.loads(world.store.get_artifact(dsr["artifact_id"]))
    # N comes from the trial registry: every trial on SYN 1h bars over overlapping data, the
    # edge run's 4 and the noise run's 12 (another label, another dataset of the same asset).
    assert ev["n_trials_family"] == 16 and ev["family"] == "t-trend"
    assert ev["registry"]["families"] == ["t-mined", "t-trend"]
    # the DSR deflates with the PSR's Newey-West standard error, recomputed here
    from qrp_jupyter import stats
    from qrp_jupyter.store import decode_array
    returns = decode_array(world.store.get_artifact(world.edge.artifacts["returns_matrix"]))
    col = returns[:, c["trial_index"]]
    assert ev["sr_variance_term"] == stats.sharpe_variance_term(col)
    assert ev["sr_variance_term_lags"] == stats.newey_west_lags(len(col))
    assert dsr["value"] == stats.deflated_sharpe(
        ev["sr"], n_obs=ev["n_obs"], n_trials=16, sr_variance=ev["sr_variance"],
        variance_term=stats.sharpe_variance_term(col))


def test_noise_is_refused_with_readable_blockers_and_the_refusal_is_recorded(world, counts):
    c = create_candidate(world.store, world.noise.run_instance_id)
    before = counts(world.store)
    res = promote(world.store, c["candidate_id"], "candidate")
    assert not res.passed
    assert any(b.startswith("data_snooping: stepm_pvalue") for b in
               res.report["blockers"]), res.report["blockers"]
    row = insider.row(world.store, "SELECT status, eligibility_report_id FROM promotion_candidates "
                                   "WHERE candidate_id = ?", (c["candidate_id"],))
    assert row["status"] == "exploratory" and row["eligibility_report_id"] is None
    after = counts(world.store)
    assert after["eligibility_reports"] == before["eligibility_reports"] + 1
    assert events(world.store)[-1]["kind"] == "promotion_refused"


def test_dsr_deflates_as_the_family_tries_more(world):
    """Trials recorded later on the same asset and interval join N, whatever their label."""
    c = create_candidate(world.store, world.edge.run_instance_id)
    first = promote(world.store, c["candidate_id"], "candidate").report
    more = """\
family = "t-trend"
[data]
dataset = "noise"
[strategy]
kind = "ma_crossover"
[strategy.grid]
fast = [2, 3, 4, 5, 6, 8, 10, 12]
slow = [20, 30, 40, 60, 80, 100]
[walk_forward]
enabled = false
[nulls.reality_check]
reps = 99
"""
    execute_run(world.store, more)
    c2 = create_candidate(world.store, world.edge.run_instance_id, 1)
    second = promote(world.store, c2["candidate_id"], "candidate").report

    def dsr_doc(rep):
        aid = next(r["artifact_id"] for r in rep["rules"] if r["metric"] == "deflated_sharpe")
        return json.loads(world.store.get_artifact(aid))
    d1, d2 = dsr_doc(first), dsr_doc(second)
    assert (d1["n_trials_family"], d2["n_trials_family"]) == (16, 16 + 48)
    # E[max SR] grows with N at a given Var(SR) (the 48 near-zero Sharpes also shrink Var(SR),
    # so the registry's own value is checked against the formula, not against the first one).
    from qrp_jupyter import stats
    assert d2["expected_max_sr"] == stats.expected_max_sharpe(64, d2["sr_variance"])
    assert stats.expected_max_sharpe(64, d1["sr_variance"]) > d1["expected_max_sr"]


def test_illegal_actions_are_explained_and_write_nothing(world, counts):
    c = create_candidate(world.store, world.edge.run_instance_id)
    cid = c["candidate_id"]
    before = counts(world.store)
    with pytest.raises(GovernanceError, match="promote it to candidate first"):
        promote(world.store, cid, "accepted")
    with pytest.raises(GovernanceError, match="not a promotion level"):
        promote(world.store, cid, "Accepted")
    with pytest.raises(GovernanceError, match="not a promotion level"):
        promote(world.store, cid, "gold")
    with pytest.raises(NotFoundError, match="no candidate"):
        promote(world.store, "abcdef0123", "candidate")
    with pytest.raises(GovernanceError, match="reason is required"):
        reject(world.store, cid, "  ")
    with pytest.raises(GovernanceError, match="trial 99 does not exist"):
        create_candidate(world.store, world.edge.run_key, 99)
    assert counts(world.store) == before


def test_reject_then_retire_and_nothing_after(world):
    c = create_candidate(world.store, world.edge.run_instance_id)
    cid = c["candidate_id"]
    reject(world.store, cid, "regime change")
    with pytest.raises(GovernanceError, match="cannot move to 'candidate'"):
        promote(world.store, cid, "candidate")
    retire(world.store, cid, "archived")
    with pytest.raises(GovernanceError, match="retired candidate never changes"):
        reject(world.store, cid, "again")
    log = events(world.store)
    assert [(e["kind"], e["reason"]) for e in log[-2:]] == [("rejected", "regime change"),
                                                           ("retired", "archived")]


def test_same_trial_is_the_same_candidate(world):
    a = create_candidate(world.store, world.edge.run_key, 1)
    b = create_candidate(world.store, world.edge.run_instance_id, 1)
    assert a["candidate_id"] == b["candidate_id"] and not b["created"]


def test_policies_are_versioned_and_immutable(world):
    stricter = Policy(name=DEFAULT_POLICY.name, version=DEFAULT_POLICY.version,
                      levels={"candidate": [dict(DEFAULT_POLICY.levels["candidate"][0],
                                                 threshold=0.01)]})
    with world.store.transaction():
        register_policy(world.store, DEFAULT_POLICY)
    with pytest.raises(GovernanceError, match="new version number"):
        with world.store.transaction():
            register_policy(world.store, stricter)


def test_a_stricter_policy_version_can_refuse_what_the_default_passes(world):
    strict = Policy(name="strict", version=1, levels={"candidate": [
        {"rule": "huge_sharpe", "metric": "sharpe_annual", "op": ">=", "threshold": 1e9,
         "severity": "blocker", "scope": "trial", "why": ""}]})
    c = create_candidate(world.store, world.edge.run_instance_id)
    with pytest.raises(GovernanceError, match="not a built-in or registered policy"):
        promote(world.store, c["candidate_id"], "candidate", policy=strict)
    add_policy(world.store, strict, actor="pytest", reason="desk policy")
    res = promote(world.store, c["candidate_id"], "candidate", policy=strict)
    assert not res.passed and res.report["policy"]["name"] == "strict"
    assert promote(world.store, c["candidate_id"], "candidate").passed


def test_missing_evidence_fails_closed(world):
    """Evidence a run did not produce reads 'missing', which fails a blocker: without StepM
    there is no adjusted p-value (candidate); without walk-forward no out-of-sample Sharpe,
    a warning at candidate and a blocker at accepted."""
    text = """\
family = "t-nowf"
[data]
dataset = "edge"
[strategy]
kind = "ts_momentum"
[strategy.grid]
lookback = [1, 2]
[walk_forward]
enabled = false
[nulls.reality_check]
reps = 99
"""
    out = execute_run(world.store, text)
    c = create_candidate(world.store, out.run_instance_id)
    res = promote(world.store, c["candidate_id"], "candidate")
    assert res.passed, res.report["blockers"]
    assert "oos_positive: oos_sharpe_annual could not be computed" in res.report["warnings"]
    up = promote(world.store, c["candidate_id"], "accepted")
    assert not up.passed
    assert "oos_positive: oos_sharpe_annual could not be computed" in up.report["blockers"]
    no_stepm = execute_run(world.store, text.replace("reps = 99", "reps = 99\n"
                                                     "[nulls.spa_stepm]\nenabled = false"))
    c2 = create_candidate(world.store, no_stepm.run_instance_id)
    res2 = promote(world.store, c2["candidate_id"], "candidate")
    ds = next(r for r in res2.report["rules"] if r["rule"] == "data_snooping")
    assert ds["verdict"] == "missing" and not res2.passed
    assert "data_snooping: stepm_pvalue could not be computed" in res2.report["blockers"]


def test_the_same_evaluation_twice_under_a_pinned_clock_is_a_clear_refusal(world, monkeypatch,
                                                                           counts):
    """Pinned time makes a repeated attempt byte-identical: it is on record already, said so
    plainly (not a constraint error), and nothing is written."""
    monkeypatch.setenv("QRP_DETERMINISTIC_TIME", "2024-05-05T00:00:00Z")
    c = create_candidate(world.store, world.noise.run_instance_id)
    first = promote(world.store, c["candidate_id"], "candidate")
    assert not first.passed
    before = counts(world.store)
    with pytest.raises(GovernanceError, match=f"already recorded as report "
                                              f"{first.eligibility_report_id[:12]}"):
        promote(world.store, c["candidate_id"], "candidate")
    assert counts(world.store) == before

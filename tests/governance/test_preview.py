"""The eligibility preview: promotion's own evaluation, with nothing written."""

from __future__ import annotations

import pytest

from qrp_jupyter.errors import GovernanceError, NotFoundError
from qrp_jupyter.governance import (DEFAULT_POLICY, create_candidate, preview_eligibility,
                                    promote)

import insider

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

VERDICT = ("rules", "blockers", "warnings", "passed", "evidence")


@pytest.mark.parametrize("run", ["edge", "noise"])
def test_preview_writes_nothing_and_matches_the_promotion_it_predicts(world, counts, run):
    out = getattr(world, run)
    before = counts(world.store)
    pre = preview_eligibility(world.store, out.run_key)
    assert counts(world.store) == before  # no policy, artifact, candidate, report or event
    assert pre["stored"] is False and pre["candidate_status"] is None
    assert pre["trial_index"] == out.summary["best_trial"]
    assert (pre["run_key"], pre["run_instance_id"]) == (out.run_key, out.run_instance_id)
    assert pre["policy"]["hash"] == DEFAULT_POLICY.policy_hash
    cand = create_candidate(world.store, out.run_instance_id)
    assert pre["candidate_id"] == cand["candidate_id"]
    report = promote(world.store, cand["candidate_id"], "candidate").report
    assert {k: pre[k] for k in VERDICT} == {k: report[k] for k in VERDICT}
    assert pre["passed"] is (run == "edge")
    # The Sharpe evidence the preview named is the very artifact promotion then stored.
    assert insider.row(world.store, "SELECT 1 FROM artifacts WHERE artifact_id = ?",
                                    (pre["evidence"]["sharpe_evidence"],)) is not None


def test_preview_at_accepted_replays_read_only(world, counts):
    before = counts(world.store)
    pre = preview_eligibility(world.store, world.edge.run_instance_id[:12], level="accepted")
    assert counts(world.store) == before
    replay = next(r for r in pre["rules"] if r["metric"] == "replay_match")
    assert replay["value"] is True and replay["verdict"] == "pass"
    assert pre["transition_allowed"] is False  # exploratory -> accepted skips a level


def test_preview_reports_the_candidate_status_and_transition(world):
    best = world.edge.summary["best_trial"]
    cand = create_candidate(world.store, world.edge.run_instance_id, best)
    pre = preview_eligibility(world.store, world.edge.run_key, best)
    assert pre["candidate_status"] == "exploratory" and pre["transition_allowed"] is True
    assert pre["candidate_id"] == cand["candidate_id"] and pre["trial_index"] == best
    promote(world.store, cand["candidate_id"], "candidate")
    again = preview_eligibility(world.store, world.edge.run_key, best)
    assert again["candidate_status"] == "candidate" and again["transition_allowed"] is False
    up = preview_eligibility(world.store, world.edge.run_key, best, level="accepted")
    assert up["from_status"] == "candidate" and up["transition_allowed"] is True


def test_bad_input_is_refused_before_any_work(world, counts):
    before = counts(world.store)
    with pytest.raises(GovernanceError, match="not a promotion level"):
        preview_eligibility(world.store, world.edge.run_key, level="Accepted")
    with pytest.raises(GovernanceError, match="does not exist"):
        preview_eligibility(world.store, world.edge.run_key, 4)
    with pytest.raises(NotFoundError):
        preview_eligibility(world.store, "0000000000")
    assert counts(world.store) == before

"""Candidates, eligibility reports and promotion as one fail-closed transaction.

Python checks every rule first and explains a refusal; the database triggers check the same
rules again, so a bug here or a hand-written UPDATE still cannot promote without evidence.
A refused promotion is recorded too (its failing report and a ``promotion_refused`` event): a
desk can see every attempt, and a strategy cannot be re-rolled until it passes unnoticed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from .. import stats
from ..errors import DataError, GovernanceError
from ..identity import candidate_id as make_candidate_id
from ..identity import canonical_json, now_iso, sha256_hex, to_plain
from ..runs.execute import OUTPUT_KINDS
from ..runs.replay import replay_attestation, resolve_instance
from ..store import LEVELS, MEDIA_JSON, Store, decode_array, decode_json, encode_json, promotion
from ..store.research import add_edges
from ..store.schema import TRANSITIONS
from .events import append_event, current_actor
from .registry import trial_registry
from ..policies import grid_best_trial, metric_value
from .policy import (DEFAULT_POLICY, METRIC_SOURCES, Policy, evaluate_rules, register_policy,
                     require_usable_policy)

__all__ = ["create_candidate", "promote", "reject", "retire", "list_candidates",
           "resolve_candidate", "PromotionResult", "LEGAL_TRANSITIONS"]

#: The store's one definition (its trigger is generated from the same table).
LEGAL_TRANSITIONS = TRANSITIONS


@dataclass
class PromotionResult:
    candidate_id: str
    level: str
    passed: bool
    eligibility_report_id: str
    report: dict[str, Any]
    event: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"candidate_id": self.candidate_id, "level": self.level, "passed": self.passed,
                "eligibility_report_id": self.eligibility_report_id, "report": self.report,
                "event_hash": self.event["event_hash"]}


def resolve_candidate(store: Store, ref: str) -> dict[str, Any]:
    cid = store.resolve("promotion_candidates", "candidate_id", ref, what="candidate")
    return dict(store.one("promotion_candidates.get", (cid,)))


def _instance_result(store: Store, instance_id: str) -> dict[str, Any]:
    row = store.one("run_instances.get", (instance_id,))
    return json.loads(row["result_json"])


def _resolve_trial(store: Store, run_ref: str, trial_index: int | None
                   ) -> tuple[str, dict[str, Any], str, int, str]:
    """(instance id, its result, run_key, trial index, candidate id) of one trial of a run.

    The trial defaults to the run's best in-sample trial and is checked to exist.
    """
    instance_id = resolve_instance(store, run_ref)
    result = _instance_result(store, instance_id)
    run_key = store.one("run_instances.get", (instance_id,))["run_key"]
    n = result["summary"]["n_trials"]
    if trial_index is None:
        trial_index = int(result["summary"]["best_trial"])
    if not isinstance(trial_index, int) or not 0 <= trial_index < n:
        raise GovernanceError(f"trial {trial_index!r} does not exist in run {run_key[:12]}",
                              where="--trial", fix=f"pick a trial index from 0 to {n - 1}")
    return instance_id, result, run_key, trial_index, make_candidate_id(run_key, trial_index)


def create_candidate(store: Store, run_ref: str, trial_index: int | None = None, *,
                     actor: str | None = None) -> dict[str, Any]:
    """Make an exploratory candidate of one trial (default: the run's best in-sample trial).

    One candidate per trial: asking again returns the existing candidate unchanged.
    """
    actor = actor or current_actor()
    instance_id, _, run_key, trial_index, cid = _resolve_trial(store, run_ref, trial_index)
    at = now_iso()
    with store.transaction():
        # Checked under the write lock: a concurrent writer may have just made it.
        existing = store.one("promotion_candidates.get", (cid,))
        if existing is not None:
            return {**dict(existing), "created": False}
        promotion.insert_candidate(store, candidate_id=cid, run_key=run_key,
                                   trial_index=trial_index, run_instance_id=instance_id, at=at)
        append_event(store, kind="candidate_created", candidate_id=cid, actor=actor,
                     run_key=run_key, run_instance_id=instance_id, trial_index=trial_index,
                     from_status=None, to_status="exploratory")
    return {**dict(store.one("promotion_candidates.get", (cid,))), "created": True}


# ---------------------------------------------------------------------------------------------
# evidence
# ---------------------------------------------------------------------------------------------

def _sharpe_evidence(store: Store, cand: dict[str, Any], artifacts: dict[str, str]
                     ) -> dict[str, Any]:
    """Deflated Sharpe inputs and result, with N and the variance of trial Sharpes taken from
    the trial registry (:mod:`.registry`: every distinct trial on the same asset and bar
    interval over overlapping data, whatever its family label)."""
    R = decode_array(store.get_artifact(artifacts["returns_matrix"]))
    col = R[:, cand["trial_index"]]
    try:
        mom = stats.sharpe_moments(col)
    except DataError:  # a flat trial has no Sharpe ratio: every Sharpe rule reads "missing"
        mom = {"sr": float("nan"), "skew": None, "kurtosis": None, "n_obs": int(len(col))}
    family = store.one("runs.get", (cand["run_key"],))["family"]
    reg = trial_registry(store, cand["run_key"])
    n_trials = reg.n_trials
    # In a fixed order (not numpy's pairwise/SIMD sum): the verdict must not depend on the CPU.
    sr_var = reg.sr_variance
    sr = float(mom["sr"])
    hac = mintrl = var_term = lags = None
    if not math.isfinite(sr):
        dsr = psr = emax = None
    else:
        hac = float(stats.hac_tstat(col).tstat)
        mintrl = float(stats.min_track_record_length(col, prob=0.95))
        # The DSR's standard error is the PSR's: Newey-West, robust to autocorrelated returns.
        lags = stats.newey_west_lags(int(mom["n_obs"]))
        var_term = float(stats.sharpe_variance_term(col, lags=lags))
        dsr = float(stats.deflated_sharpe(sr, n_obs=int(mom["n_obs"]), n_trials=max(n_trials, 1),
                                          sr_variance=sr_var, variance_term=var_term))
        psr = float(stats.probabilistic_sharpe(col))
        emax = float(stats.expected_max_sharpe(max(n_trials, 1), sr_var))
    registry = reg.to_dict()
    return to_plain({
        "kind": "sharpe_evidence", "version": 3, "candidate_id": cand["candidate_id"],
        "trial_index": cand["trial_index"], "family": family, "sr": sr,
        "skew": mom["skew"], "kurtosis": mom["kurtosis"], "n_obs": mom["n_obs"],
        "sr_variance_term": var_term, "sr_variance_term_lags": lags,
        "sr_variance_term_method": "newey-west(Lo 2002 influence function)",
        "n_trials_family": n_trials, "sr_variance": sr_var, "expected_max_sr": emax,
        "registry_digest": registry["digest"], "registry": registry,
        "deflated_sharpe": dsr, "probabilistic_sharpe": psr, "hac_tstat": hac,
        "min_track_record_length": mintrl if mintrl is None or math.isfinite(mintrl) else None,
        "track_record_sufficient": (None if mintrl is None
                                    else bool(int(mom["n_obs"]) >= mintrl)),
    })


def _metric_values(store: Store, cand: dict[str, Any], artifacts: dict[str, str],
                   evidence: dict[str, tuple[dict[str, Any], str]]
                   ) -> dict[str, tuple[Any, str | None]]:
    """metric -> (value, id of the artifact the value was read from)."""
    docs: dict[str, tuple[Any, str]] = {}
    for kind in ("metrics_table", "reality_check", "spa", "stepm", "pbo", "walk_forward",
                 "fold_causality", "causality_probe"):
        if kind in artifacts:
            docs[kind] = (decode_json(store.get_artifact(artifacts[kind])), artifacts[kind])
    docs.update(evidence)
    out: dict[str, tuple[Any, str | None]] = {}
    for metric, kind in METRIC_SOURCES.items():
        if kind in docs:
            doc, aid = docs[kind]
            out[metric] = (metric_value(metric, doc, cand["trial_index"]), aid)
    return out


def _level_docs(store: Store, instance_id: str, policy: Policy, to: str
                ) -> dict[str, dict[str, Any]]:
    """Evidence that exists only for some levels: the replay attestation when a rule needs it.

    Heavy and read-only, so promotion runs it before taking the write lock.
    """
    docs: dict[str, dict[str, Any]] = {}
    if any(r["metric"] == "replay_match" for r in policy.levels.get(to, [])):
        _, _, docs["replay_attestation"] = replay_attestation(store, instance_id)
    return docs


def _evaluate(store: Store, cand: dict[str, Any], artifacts: dict[str, str], policy: Policy,
              to: str, docs: dict[str, dict[str, Any]]
              ) -> tuple[dict[str, Any], dict[str, str], dict[str, tuple[dict[str, Any], str]]]:
    """Evaluate ``cand`` against ``policy`` at level ``to``. Reads only; writes nothing.

    Returns the verdict of :func:`evaluate_rules`, the evidence used (kind -> artifact id) and
    the newly computed evidence (kind -> (document, the id it has once stored)).
    """
    docs = {**docs, "sharpe_evidence": _sharpe_evidence(store, cand, artifacts)}
    evidence = {kind: (doc, sha256_hex(encode_json(doc))) for kind, doc in docs.items()}
    values = _metric_values(store, cand, artifacts, evidence)
    table = decode_json(store.get_artifact(artifacts["metrics_table"]))
    verdict = evaluate_rules(policy.levels.get(to, []), values,
                             trial_index=cand["trial_index"], grid_best=grid_best_trial(table))
    used = {k: v for k, v in artifacts.items() if k in METRIC_SOURCES.values()}
    used.update({k: aid for k, (_, aid) in evidence.items()})
    return verdict, used, evidence


def _check_level(to: str) -> None:
    if to not in LEVELS:
        raise GovernanceError(f"{to!r} is not a promotion level", where="--to",
                              fix=f"promote to one of {', '.join(LEVELS)}; use reject/retire "
                                  "to end a candidate")


# ---------------------------------------------------------------------------------------------
# transitions
# ---------------------------------------------------------------------------------------------

def _check_transition(cand: dict[str, Any], to: str) -> None:
    if to not in LEGAL_TRANSITIONS:
        raise GovernanceError(f"unknown level {to!r}", where="--to",
                              fix=f"use one of {', '.join(LEVELS)} (lower case)")
    frm = cand["status"]
    if to not in LEGAL_TRANSITIONS[frm]:
        hint = {"accepted": "promote it to candidate first"}.get(to, "")
        if frm == "retired":
            hint = "a retired candidate never changes again"
        elif frm in ("accepted", "candidate") and to in ("exploratory", "candidate"):
            hint = "demotion is not allowed: reject or retire it with a reason"
        raise GovernanceError(
            f"candidate {cand['candidate_id'][:12]} is {frm!r} and cannot move to {to!r}",
            where=f"promotion_candidates row {cand['candidate_id'][:12]}",
            fix=hint or f"allowed from {frm!r}: {', '.join(LEGAL_TRANSITIONS[frm]) or 'none'}")


def promote(store: Store, cand_ref: str, to: str, *, policy: Policy = DEFAULT_POLICY,
            actor: str | None = None) -> PromotionResult:
    """Evaluate ``cand_ref`` at level ``to`` and, if it passes, change its status.

    One transaction writes the immutable report, the status change (only if passed) and the
    hash-chained event (``promoted`` or ``promotion_refused``). Returns the result either way;
    ``result.passed`` says which.
    """
    actor = actor or current_actor()
    cand = resolve_candidate(store, cand_ref)
    _check_level(to)
    _check_transition(cand, to)
    require_usable_policy(store, policy)
    # Fail closed on evidence rows edited outside QRP (a run's result_json decides which
    # artifacts are read): the ledger must vouch for each as it is now.
    store.require_intact("promotion_candidates", cand["candidate_id"])
    store.require_intact("run_instances", cand["run_instance_id"])
    store.require_intact("runs", cand["run_key"])
    artifacts = _instance_result(store, cand["run_instance_id"])["artifacts"]
    # Heavy, read-only: done before taking the write lock.
    level_docs = _level_docs(store, cand["run_instance_id"], policy, to)

    with store.transaction():
        cand = dict(store.one("promotion_candidates.get", (cand["candidate_id"],)))
        _check_transition(cand, to)  # re-checked under the lock: another writer may have won
        policy_hash = register_policy(store, policy)
        verdict, used, evidence = _evaluate(store, cand, artifacts, policy, to, level_docs)
        for doc, _ in evidence.values():
            store.put_artifact(encode_json(doc), MEDIA_JSON)
        report = to_plain({
            "kind": "eligibility_report", "version": 1,
            "candidate_id": cand["candidate_id"], "run_key": cand["run_key"],
            "run_instance_id": cand["run_instance_id"], "trial_index": cand["trial_index"],
            "level": to, "from_status": cand["status"],
            "policy": {"name": policy.name, "version": policy.version, "hash": policy_hash},
            **verdict, "evidence": used, "evaluated_at": now_iso(), "actor": actor,
        })
        report_id = sha256_hex(canonical_json(report).encode("utf-8"))
        if store.exists("eligibility_reports", "eligibility_report_id", report_id):
            # Same candidate, policy, evidence and clock: this very evaluation is on record
            # (only possible with QRP_DETERMINISTIC_TIME pinned).
            raise GovernanceError(
                f"this evaluation of candidate {cand['candidate_id'][:12]} at {to!r} is already "
                f"recorded as report {report_id[:12]}", where="eligibility_reports",
                fix="nothing changed since that evaluation; unset QRP_DETERMINISTIC_TIME to "
                    "record a new attempt")
        promotion.insert_report(store, eligibility_report_id=report_id,
                                candidate_id=cand["candidate_id"], level=to,
                                passed=report["passed"], policy_hash=policy_hash,
                                payload_json=canonical_json(report), at=report["evaluated_at"],
                                inputs=sorted(used.items()))
        parents = {"sharpe_evidence": [("returns_matrix", "derived_from"),
                                       ("metrics_table", "derived_from")],
                   "replay_attestation": [(k, "attests") for k in OUTPUT_KINDS]}
        add_edges(store, [(aid, artifacts[p], rel, report["evaluated_at"])
                          for kind, (_, aid) in evidence.items() for p, rel in parents[kind]
                          if p in artifacts and artifacts[p] != aid])
        if report["passed"]:
            promotion.set_promoted(store, cand["candidate_id"], status=to,
                                   eligibility_report_id=report_id, at=report["evaluated_at"])
        event = append_event(
            store, kind="promoted" if report["passed"] else "promotion_refused",
            candidate_id=cand["candidate_id"], actor=actor, from_status=cand["status"],
            to_status=to if report["passed"] else cand["status"], requested=to,
            eligibility_report_id=report_id, policy_hash=policy_hash,
            blockers=report["blockers"])
    return PromotionResult(candidate_id=cand["candidate_id"], level=to,
                           passed=bool(report["passed"]), eligibility_report_id=report_id,
                           report=report, event=event)


def _end(store: Store, cand_ref: str, to: str, reason: str, actor: str | None
         ) -> dict[str, Any]:
    actor = actor or current_actor()
    if not isinstance(reason, str) or not reason.strip():
        raise GovernanceError(f"a reason is required to mark a candidate {to}",
                              where="--reason", fix=f"say why, e.g. --reason \"overfit\"")
    cand = resolve_candidate(store, cand_ref)
    _check_transition(cand, to)
    with store.transaction():
        promotion.set_ended(store, cand["candidate_id"], status=to, at=now_iso())
        event = append_event(store, kind=to, candidate_id=cand["candidate_id"], actor=actor,
                             from_status=cand["status"], to_status=to, reason=reason.strip(),
                             eligibility_report_id=cand["eligibility_report_id"])
    return {"candidate_id": cand["candidate_id"], "status": to, "event": event}


def reject(store: Store, cand_ref: str, reason: str, *, actor: str | None = None) -> dict:
    """Reject a live candidate, with a reason recorded in the event chain."""
    return _end(store, cand_ref, "rejected", reason, actor)


def retire(store: Store, cand_ref: str, reason: str, *, actor: str | None = None) -> dict:
    """Retire a candidate for good (nothing leaves ``retired``)."""
    return _end(store, cand_ref, "retired", reason, actor)


def list_candidates(store: Store) -> list[dict[str, Any]]:
    return [dict(r) for r in store.all("promotion_candidates.listing")]

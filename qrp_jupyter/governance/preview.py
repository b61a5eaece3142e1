"""A read-only eligibility preview: what promotion would decide, with nothing written.

The preview runs the very evaluation :func:`~qrp_jupyter.governance.promote` runs (the same
private helpers: evidence, metric values, rules), on a trial that need not be a candidate yet.
It registers no policy, stores no evidence artifact, creates no candidate, report or event: a
notebook can show it after every run without touching the governed record. Evidence computed
for the preview (the Sharpe evidence, a replay attestation) is named by the id its bytes will
have once promotion stores it.
"""

from __future__ import annotations

from typing import Any

from ..identity import to_plain
from ..store import Store
from .policy import DEFAULT_POLICY, Policy
from .promote import LEGAL_TRANSITIONS, _check_level, _evaluate, _level_docs, _resolve_trial

__all__ = ["preview_eligibility"]


def preview_eligibility(store: Store, run_ref: str, trial_index: int | None = None, *,
                        level: str = "candidate", policy: Policy = DEFAULT_POLICY
                        ) -> dict[str, Any]:
    """Evaluate one trial of a run against ``policy`` at ``level``; writes nothing.

    Parameters
    ----------
    store
        An open QRP store. Read only: every table keeps its row count.
    run_ref
        A run_key (its latest original instance), a run_instance_id, or a unique prefix.
    trial_index
        The trial to evaluate; default the run's best in-sample trial.
    level
        ``"candidate"`` or ``"accepted"``. At ``accepted`` the default policy needs a replay,
        which is recomputed (read-only) and can take as long as the run did.
    policy
        The policy to evaluate; it is hashed, not registered.

    Returns
    -------
    dict
        ``kind`` (``"eligibility_preview"``), ``candidate_id`` (the id the trial has or would
        have as a candidate), ``candidate_status`` (``None`` when it is not a candidate),
        ``from_status`` and ``transition_allowed`` (could a promotion to ``level`` be tried
        now), ``run_key``, ``run_instance_id``, ``trial_index``, ``level``, ``policy`` (name,
        version, hash), ``rules`` (each with ``value``, ``threshold``, ``verdict``,
        ``artifact_id``), ``passed``, ``blockers``, ``warnings``, ``evidence`` (kind ->
        artifact id) and ``stored`` (always ``False``).

    Raises
    ------
    NotFoundError
        For an unknown run reference.
    GovernanceError
        For an unknown level or a trial index the run does not have.
    """
    _check_level(level)
    instance_id, result, run_key, trial_index, cid = _resolve_trial(store, run_ref,
                                                                    trial_index)
    row = store.one("promotion_candidates.get", (cid,))
    status = row["status"] if row is not None else None
    from_status = status or "exploratory"
    cand = {"candidate_id": cid, "run_key": run_key, "trial_index": trial_index,
            "run_instance_id": instance_id, "status": from_status}
    docs = _level_docs(store, instance_id, policy, level)
    verdict, used, _ = _evaluate(store, cand, result["artifacts"], policy, level, docs)
    return to_plain({
        "kind": "eligibility_preview", "version": 1, "candidate_id": cid,
        "candidate_status": status, "from_status": from_status,
        "transition_allowed": level in LEGAL_TRANSITIONS[from_status],
        "run_key": run_key, "run_instance_id": instance_id, "trial_index": trial_index,
        "level": level,
        "policy": {"name": policy.name, "version": policy.version, "hash": policy.policy_hash},
        **verdict, "evidence": used, "stored": False,
    })

"""Versioned, hashed promotion policies in the store: built-in ones and registered ones.

The policies themselves and their evaluation live in :mod:`qrp_jupyter.policies`. Only the
package's built-in policies and policies registered in the store by a recorded action
(:func:`add_policy`, ``qrp policy add FILE``: a ``policy_registered`` event in the chain) can
be used to promote; any other ``Policy`` object is refused.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import GovernanceError
from ..identity import canonical_json, now_iso
from ..policies import (BUILTIN_POLICIES, DEFAULT_POLICY, METRIC_SOURCES, OPS, Policy,
                        evaluate_rules, registered_policy_hashes)
from ..store import Store, promotion

__all__ = ["Policy", "DEFAULT_POLICY", "BUILTIN_POLICIES", "register_policy", "load_policy",
           "evaluate_rules", "OPS", "METRIC_SOURCES", "add_policy", "require_usable_policy",
           "registered_policy_hashes"]


def register_policy(store: Store, policy: Policy) -> str:
    """Store the policy row (idempotent) inside the caller's transaction; returns its hash.

    This only writes the row; whether the policy may be used is :func:`require_usable_policy`.
    """
    policy.validate()
    h = policy.policy_hash
    stored = promotion.add_policy(store, policy_hash=h, name=policy.name,
                                  version=policy.version,
                                  payload_json=canonical_json(policy.payload()), at=now_iso())
    if stored != h:
        raise GovernanceError(
            f"policy {policy.name!r} version {policy.version} is already registered with "
            f"different rules (hash {stored[:12]})", where="policies",
            fix="policies are immutable: give the changed policy a new version number")
    return h


def load_policy(store: Store, name: str, version: int | None = None) -> Policy:
    if version is None:
        row = store.one("policies.payload_of_latest", (name,))
    else:
        row = store.one("policies.payload_of_version", (name, version))
    if row is None:
        raise GovernanceError(f"no policy named {name!r}"
                              + (f" version {version}" if version else ""),
                              where="policies", fix="use qrp-default or register the policy")
    return Policy.from_payload(json.loads(row["payload_json"]))




def _chain(store: Store) -> list[dict[str, Any]]:
    return [json.loads(r["payload_json"]) for r in store.all("governance_events.chain")]


def add_policy(store: Store, policy: Policy, *, actor: str, reason: str) -> dict[str, Any]:
    """Register ``policy`` by a recorded action: the policy row and a ``policy_registered``
    event, in one transaction. Registering the same policy again changes nothing."""
    from .events import append_event
    policy.validate(require_scope=True)
    if not isinstance(reason, str) or not reason.strip():
        raise GovernanceError("a reason is required to register a policy", where="--reason",
                              fix='say why, e.g. --reason "desk policy for 2027"')
    with store.transaction():
        h = register_policy(store, policy)
        if h in BUILTIN_POLICIES or h in registered_policy_hashes(_chain(store)):
            return {"policy_hash": h, "new": False}
        append_event(store, kind="policy_registered", candidate_id=None, actor=actor,
                     policy_hash=h, name=policy.name, version=policy.version, reason=reason)
    return {"policy_hash": h, "new": True}


def require_usable_policy(store: Store, policy: Policy) -> None:
    """Refuse a policy that is neither built in nor registered by a recorded action."""
    h = policy.policy_hash
    if h in BUILTIN_POLICIES or h in registered_policy_hashes(_chain(store)):
        return
    raise GovernanceError(
        f"policy {policy.name!r} version {policy.version} ({h[:12]}) is not a built-in or "
        "registered policy", where="policy",
        fix="use the built-in qrp-default, or register it first with `qrp policy add FILE` "
            "(a recorded action reviewers can see)")

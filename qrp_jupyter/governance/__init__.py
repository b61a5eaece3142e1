"""Governance: candidates, versioned policies, eligibility reports, promotion, the event chain."""

from .events import ENV_ACTOR, append_event, current_actor, event_hash
from .policy import (BUILTIN_POLICIES, DEFAULT_POLICY, METRIC_SOURCES, Policy, add_policy,
                     evaluate_rules, load_policy, register_policy, require_usable_policy)
from .preview import preview_eligibility
from .replays import verify_replays
from .promote import (LEGAL_TRANSITIONS, PromotionResult, create_candidate, list_candidates,
                      promote, reject, resolve_candidate, retire)

__all__ = [
    "ENV_ACTOR", "append_event", "current_actor", "event_hash",
    "DEFAULT_POLICY", "METRIC_SOURCES", "Policy", "evaluate_rules", "load_policy",
    "register_policy", "add_policy", "require_usable_policy", "BUILTIN_POLICIES",
    "LEGAL_TRANSITIONS", "PromotionResult", "create_candidate", "list_candidates", "promote",
    "reject", "resolve_candidate", "retire", "preview_eligibility", "verify_replays",
]

"""The hash-chained governance event log.

``event_hash = SHA-256(prev_hash || canonical_json(payload))`` where ``prev_hash`` is the previous
event's 64-hex ``event_hash`` as ASCII (the genesis predecessor is 64 zeros) and the payload holds
the sequence number, so neither reordering nor deletion nor editing goes unnoticed by ``verify``.
"""

from __future__ import annotations

from typing import Any

from ..identity import ENV_ACTOR, canonical_json, current_actor, event_hash, now_iso
from ..store import GENESIS_HASH, Store, promotion

__all__ = ["append_event", "event_hash", "current_actor", "ENV_ACTOR"]


def append_event(store: Store, *, kind: str, candidate_id: str | None, actor: str,
                 **fields: Any) -> dict[str, Any]:
    """Append one event inside the caller's transaction; returns the stored payload + hashes."""
    last = promotion.last_event(store)
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    at = now_iso()
    payload = {"seq": seq, "kind": kind, "candidate_id": candidate_id, "actor": actor, "at": at,
               **fields}
    h = event_hash(prev, payload)
    promotion.insert_event(store, seq=seq, event_hash=h, prev_hash=prev, kind=kind,
                           candidate_id=candidate_id, payload_json=canonical_json(payload), at=at)
    return {"seq": seq, "event_hash": h, "prev_hash": prev, "payload": payload}

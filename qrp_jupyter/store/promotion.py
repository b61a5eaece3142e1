"""Writes of governance: policies, candidates, eligibility reports, status changes and the
hash-chained events. The hashes themselves are computed by the caller (``governance``); these
functions only put the rows down, inside :meth:`Store.transaction`.
"""

from __future__ import annotations

from typing import Iterable

from .db import Store

__all__ = ["add_policy", "insert_candidate", "insert_report", "set_promoted", "set_ended",
           "last_event", "insert_event"]


def add_policy(store: Store, *, policy_hash: str, name: str, version: int, payload_json: str,
               at: str) -> str:
    """Record a policy version unless one is stored; returns the stored version's hash (which
    differs from ``policy_hash`` when the same name and version holds other rules)."""
    with store.transaction():
        row = store.one("policies.hash_of_version", (name, version))
        if row is not None:
            return row["policy_hash"]
        store.write("policies.insert", (policy_hash, name, version, payload_json, at))
    return policy_hash


def insert_candidate(store: Store, *, candidate_id: str, run_key: str, trial_index: int,
                     run_instance_id: str, at: str) -> None:
    """A new exploratory candidate (no report)."""
    with store.transaction():
        store.write("promotion_candidates.insert",
                    (candidate_id, run_key, trial_index, run_instance_id, at, at))


def insert_report(store: Store, *, eligibility_report_id: str, candidate_id: str, level: str,
                  passed: bool, policy_hash: str, payload_json: str, at: str,
                  inputs: Iterable[tuple[str, str]]) -> None:
    """An eligibility report and its input lineage rows (``(kind, artifact_id)`` pairs)."""
    with store.transaction():
        store.write("eligibility_reports.insert", (eligibility_report_id, candidate_id, level,
                                                   int(passed), policy_hash, payload_json, at))
        store.write_many("artifact_lineage.insert_for_report",
                         [(aid, eligibility_report_id, kind, at) for kind, aid in inputs])


def set_promoted(store: Store, candidate_id: str, *, status: str, eligibility_report_id: str,
                 at: str) -> None:
    """Move a candidate up a level, linking the passing report that allows it."""
    with store.transaction():
        store.write("promotion_candidates.set_promoted",
                    (status, eligibility_report_id, at, candidate_id))


def set_ended(store: Store, candidate_id: str, *, status: str, at: str) -> None:
    """Reject or retire a candidate (the report link stays)."""
    with store.transaction():
        store.write("promotion_candidates.set_ended", (status, at, candidate_id))


def last_event(store: Store) -> tuple[int, str] | None:
    """``(seq, event_hash)`` of the newest governance event, ``None`` for an empty chain."""
    row = store.one("governance_events.last")
    return None if row is None else (row["seq"], row["event_hash"])


def insert_event(store: Store, *, seq: int, event_hash: str, prev_hash: str, kind: str,
                 candidate_id: str | None, payload_json: str, at: str) -> None:
    """Append one governance event row (the caller computed its place in the chain)."""
    with store.transaction():
        store.write("governance_events.insert",
                    (seq, event_hash, prev_hash, kind, candidate_id, payload_json, at))

"""``verify --replay``: re-execute every run behind a live promotion from the store alone.

Hash checks prove the evidence was not changed after it was recorded; they cannot prove the
evidence came from the data. Re-executing each run that a ``candidate`` or ``accepted`` status
rests on, from the stored config, data and code only, and comparing every result hash does:
evidence that was computed elsewhere, or hand-made, does not come out of the data again.
"""

from __future__ import annotations

import time
from typing import Any

from ..audit import VerifyReport
from ..errors import QrpError
from ..runs.replay import replay_attestation
from ..store import Store

__all__ = ["LIVE_STATUSES", "verify_replays"]

#: Statuses whose promotion the evidence must still support.
LIVE_STATUSES = ("candidate", "accepted")


def verify_replays(store: Store, rep: VerifyReport) -> VerifyReport:
    """Replay the run instance of every candidate with a live status (each instance once),
    adding a problem for each mismatch and the per-run time to ``rep.replays``. Writes
    nothing."""
    instances: dict[str, list[str]] = {}
    for c in store.all("promotion_candidates.all"):
        if c["status"] in LIVE_STATUSES:
            instances.setdefault(c["run_instance_id"], []).append(c["candidate_id"])
    for instance_id, cands in sorted(instances.items()):
        t0 = time.perf_counter()
        try:
            _, _, att = replay_attestation(store, instance_id)
            match, reason = att["match"], att["reason"]
        except QrpError as exc:  # the stored config, data or code no longer re-derive
            match, reason = False, str(exc)
        seconds = time.perf_counter() - t0
        entry: dict[str, Any] = {"run_instance_id": instance_id, "candidates": cands,
                                 "match": match, "reason": reason, "seconds": round(seconds, 3)}
        rep.replays.append(entry)
        if not match:
            rep.add("run_instances", instance_id,
                    f"re-executed from the store, the run behind candidate(s) "
                    f"{', '.join(c[:12] for c in cands)} does not reproduce its evidence: "
                    f"{reason}")
    rep.checked["replayed runs"] = len(instances)
    return rep

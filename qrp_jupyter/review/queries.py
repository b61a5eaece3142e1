"""What each review endpoint answers, read from one open store (never written).

Every function takes a :class:`~qrp_jupyter.store.Store` opened read-only and returns a
JSON-ready dict. Listings are keyset pages (:mod:`.paging`) over the named statements of the
``review`` group (:mod:`qrp_jupyter.store.statements`); the report and the lineage reuse the
payload builders of the notebook outputs, so the panel and a saved output show the same facts.
Strings from the store are passed through as they are: the browser sets them as text.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..errors import NotFoundError
from ..identity import event_hash
from ..lineage import lineage_payload
from ..store import GENESIS_HASH, STATUSES, Store
from ..views import report_payload
from .paging import Page, decode_cursor, encode_cursor
from .paths import ReviewError

__all__ = ["summary", "runs_page", "candidates_page", "candidate_detail", "report",
           "events_page", "lineage"]

_HEX = frozenset("0123456789abcdef")


def _finite(v: Any) -> float | None:
    return float(v) if v is not None and math.isfinite(float(v)) else None


def _json_list(text: str | None) -> list[Any]:
    return [] if text is None else json.loads(text)


def summary(store: Store) -> dict[str, Any]:
    """Counts of every table a reviewer reads, candidates by status, and the ledger head."""
    counts = dict(store.one("review.counts"))
    by_status = {s: 0 for s in STATUSES}
    by_status.update({r["status"]: r["n"] for r in store.all("review.status_counts")})
    head = store.ledger_head()
    return {"counts": counts, "candidates_by_status": by_status,
            "ledger_head": None if head is None else {
                "block_seq": head.block_seq, "digest": head.block_hash,
                "created_at": head.created_at}}


def runs_page(store: Store, *, limit: int, cursor: str | None = None) -> Page:
    """Runs oldest first: identity, trials, best annual Sharpe, instances and replays."""
    key = decode_cursor(cursor, (str, str)) or ["", ""]
    rows = store.all("review.runs_page", (key[0], key[1], limit + 1))
    items = [{**dict(r), "best_sharpe_annual": _finite(r["best_sharpe_annual"])}
             for r in rows[:limit]]
    nxt = encode_cursor([rows[limit - 1]["created_at"], rows[limit - 1]["run_key"]]) \
        if len(rows) > limit else None
    return Page(items, nxt, store.one("review.counts")["runs"], limit)


def _status(raw: Any) -> str | None:
    if raw is None or raw == "":
        return None
    if raw not in STATUSES:
        raise ReviewError(f"status {str(raw)[:40]!r} is not a candidate status", where="status",
                          fix=f"pass one of {', '.join(STATUSES)}, or leave it out for all")
    return raw


def _candidate(r: Any) -> dict[str, Any]:
    last = None
    if r["last_report_id"] is not None:
        last = {"eligibility_report_id": r["last_report_id"], "level": r["last_report_level"],
                "passed": bool(r["last_report_passed"]), "created_at": r["last_report_at"],
                "blockers": _json_list(r["last_blockers_json"]),
                "warnings": _json_list(r["last_warnings_json"])}
    return {"candidate_id": r["candidate_id"], "status": r["status"], "run_key": r["run_key"],
            "trial_index": r["trial_index"], "run_instance_id": r["run_instance_id"],
            "params": json.loads(r["params_json"]),
            "sharpe_annual": _finite(r["sharpe_annual"]), "family": r["family"],
            "run_name": r["run_name"], "eligibility_report_id": r["eligibility_report_id"],
            "created_at": r["created_at"], "updated_at": r["updated_at"],
            "reports": r["reports"], "last_report": last,
            # What the reviewer scans for: a refusal leaves the status as it was.
            "blockers": last["blockers"] if last and not last["passed"] else []}


def candidates_page(store: Store, *, limit: int, cursor: str | None = None,
                    status: str | None = None) -> Page:
    """Candidates by id, each with its status, its newest report's verdict and its blockers."""
    status = _status(status)
    key = decode_cursor(cursor, (str,)) or [""]
    rows = store.all("review.candidates_page", (key[0], status, limit + 1))
    nxt = encode_cursor([rows[limit - 1]["candidate_id"]]) if len(rows) > limit else None
    total = store.one("review.candidates_count", (status,))["n"]
    return Page([_candidate(r) for r in rows[:limit]], nxt, total, limit,
                extra={"status": status})


def candidate_detail(store: Store, ref: str) -> dict[str, Any]:
    """One candidate (a full id or a unique prefix): its row, every report with its verdict
    and blockers, and its governance events.

    Raises
    ------
    NotFoundError
        When no candidate, or more than one, has an id starting with ``ref``.
    """
    cid = store.resolve("promotion_candidates", "candidate_id", ref, what="candidate")
    row = store.one("review.candidate", (cid,))
    reports = [{"eligibility_report_id": r["eligibility_report_id"], "level": r["level"],
                "passed": bool(r["passed"]), "policy_hash": r["policy_hash"],
                "created_at": r["created_at"], "blockers": _json_list(r["blockers_json"]),
                "warnings": _json_list(r["warnings_json"])}
               for r in store.all("review.candidate_reports", (cid,))]
    events = [_event(e) for e in store.all("governance_events.of_candidates",
                                           (json.dumps([cid]),))]
    return {"candidate": _candidate(row), "reports": reports, "events": events}


def report(store: Store, report_id: str) -> dict[str, Any]:
    """One eligibility report: every rule with its value, threshold and verdict, the blockers
    and warnings, and for each rule the artifact it was taken from (media type, size, and the
    lineage rows tying it to the report's run instance or to the report).

    Raises
    ------
    NotFoundError
        When ``report_id`` is not the full 64-hex id of a report of this store.
    """
    rid = report_id.strip().lower() if isinstance(report_id, str) else ""
    if len(rid) != 64 or not _HEX.issuperset(rid):
        raise NotFoundError(f"report id {str(report_id)[:80]!r} is not a 64-hex "
                            "eligibility_report_id", where="report",
                            fix="pass the full id of a report (the candidates listing gives "
                                "each candidate's reports)")
    p = report_payload(store, rid)
    body = p["report"]
    ids = sorted({r["artifact_id"] for r in body["rules"] if r.get("artifact_id")})
    artifacts: dict[str, dict[str, Any]] = {}
    for a in store.all("review.artifact_sources",
                       (json.dumps(ids), p["run_instance_id"], rid)):
        entry = artifacts.setdefault(a["artifact_id"], {
            "artifact_id": a["artifact_id"], "media_type": a["media_type"], "size": a["size"],
            "lineage": []})
        if a["kind"] is not None:
            entry["lineage"].append({"kind": a["kind"], "role": a["role"],
                                     "run_instance_id": a["run_instance_id"],
                                     "eligibility_report_id": a["eligibility_report_id"]})
    rules = [{**r, "artifact": artifacts.get(r.get("artifact_id"))} for r in body["rules"]]
    return {"eligibility_report_id": rid, "candidate_id": p["candidate_id"],
            "run_key": p["run_key"], "run_instance_id": p["run_instance_id"],
            "dataset_id_v2": p["dataset_id_v2"], "level": p["level"], "passed": p["passed"],
            "policy": body.get("policy"), "evaluated_at": body.get("evaluated_at"),
            "actor": body.get("actor"), "blockers": body["blockers"],
            "warnings": body["warnings"], "rules": rules, "evidence": body.get("evidence", {})}


def _event(e: Any) -> dict[str, Any]:
    """One event row as the log shows it, with the check of its own link of the chain: its
    hash recomputed, and its ``prev_hash`` against the event before (when the query gave it)."""
    try:
        payload = json.loads(e["payload_json"])
    except ValueError:
        payload = None
    hash_ok = isinstance(payload, dict) and event_hash(e["prev_hash"], payload) == e["event_hash"]
    out = {"seq": e["seq"], "kind": e["kind"], "candidate_id": e["candidate_id"],
           "created_at": e["created_at"], "event_hash": e["event_hash"],
           "prev_hash": e["prev_hash"], "payload": payload, "hash_ok": hash_ok}
    if "prior_hash" in e.keys():
        prior = GENESIS_HASH if e["seq"] == 1 else e["prior_hash"]
        out["link_ok"] = prior is not None and e["prev_hash"] == prior
    return out


def events_page(store: Store, *, limit: int, cursor: str | None = None,
                order: str | None = None, candidate: str | None = None) -> Page:
    """The governance log, oldest first (``order=asc``, the default) or newest first
    (``desc``), optionally of one candidate (a full id or a unique prefix); each event with
    the check of its own link (``hash_ok``, ``link_ok``)."""
    order = order or "asc"
    if order not in ("asc", "desc"):
        raise ReviewError(f"order {str(order)[:20]!r} is not asc or desc", where="order",
                          fix="pass order=asc (oldest first) or order=desc (newest first)")
    cid = None if candidate in (None, "") else store.resolve(
        "promotion_candidates", "candidate_id", candidate, what="candidate")
    key = decode_cursor(cursor, (int,))
    start = key[0] if key else (0 if order == "asc" else 2 ** 62)
    rows = store.all("review.events_after" if order == "asc" else "review.events_before",
                     (start, cid, limit + 1))
    nxt = encode_cursor([rows[limit - 1]["seq"]]) if len(rows) > limit else None
    total = store.one("review.events_count", (cid,))["n"]
    return Page([_event(e) for e in rows[:limit]], nxt, total, limit,
                extra={"order": order, "candidate_id": cid})


def lineage(store: Store, ref: str) -> dict[str, Any]:
    """The lineage payload (``application/vnd.qrp.lineage+json``) of a run, run instance or
    candidate, the one the notebook renderer draws."""
    return lineage_payload(store, ref)

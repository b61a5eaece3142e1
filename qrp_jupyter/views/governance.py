"""Payloads of the governance outputs: a promotion's eligibility report
(``application/vnd.qrp.report+json``), the end of a candidate's life
(``application/vnd.qrp.event+json``) and the candidate listing
(``application/vnd.qrp.candidates+json``), with their text and static HTML.

All are read from the store alone: the report and the event are immutable stored rows (the
report's id is the SHA-256 of it, the event is a link of the hash chain), the listing is every
candidate with the status it has in the store given.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..errors import NotFoundError
from ..governance import list_candidates
from ..lineage import MIME_CANDIDATES, MIME_EVENT, MIME_REPORT, MIME_VERSION
from ..safetext import shown
from ..store import Store
from .html import _rules, _table, _verdict, _wrap
from .listing import (CANDIDATE_COLUMNS, blocker_rules, last_reports, listing_html, listing_text,
                      verdict_text)
from .svg import esc

__all__ = ["report_payload", "report_text", "report_html", "event_payload", "event_text",
           "event_html", "candidates_payload", "candidates_text", "candidates_html",
           "candidate_rows",
           "REFUSED_NEXT"]

#: What a refusal asks of the quant, shown under its blockers.
REFUSED_NEXT = ("next: the refusal is recorded as evidence; the status is unchanged. Improve "
                "the research (a new run), or end the candidate with --to rejected --reason")


def _stored(store: Store, statement: str, key: str, what: str) -> Any:
    """The one row ``statement`` finds for ``key``, or a NotFoundError naming ``what``."""
    row = store.one(statement, (key,))
    if row is None:
        table = statement.split(".")[0]
        raise NotFoundError(f"no {what} {key!r} in {store.path}", where=table,
                            fix=f"pass the id of a {what} of this store")
    return row


def report_payload(store: Store, report_id: str) -> dict[str, Any]:
    """JSON for ``application/vnd.qrp.report+json``: one stored eligibility report (a
    promotion, passed or refused), with the ids a verifier needs at the top level.

    Raises
    ------
    NotFoundError
        When no report has the id ``report_id``.
    """
    row = _stored(store, "eligibility_reports.get", report_id, "eligibility report")
    report = json.loads(row["payload_json"])
    run = store.one("runs.get", (report["run_key"],))
    return {"qrp_mime_version": MIME_VERSION, "mime": MIME_REPORT,
            "eligibility_report_id": row["eligibility_report_id"],
            "candidate_id": row["candidate_id"], "run_key": report["run_key"],
            "dataset_id_v2": run["dataset_id_v2"] if run is not None else None,
            "run_instance_id": report["run_instance_id"], "level": row["level"],
            "passed": bool(row["passed"]), "report": report}


def _report_head(p: dict[str, Any]) -> str:
    pol = p["report"]["policy"]
    return (f"{'PROMOTED' if p['passed'] else 'REFUSED'}: candidate {p['candidate_id'][:12]} "
            f"-> {p['level']} (eligibility_report_id {p['eligibility_report_id']}; policy "
            f"{shown(pol['name'])} v{pol['version']})")


def _report_notes(p: dict[str, Any]) -> list[str]:
    r = p["report"]
    notes = [f"blocker: {b}" for b in r["blockers"]] + [f"warning: {w}" for w in r["warnings"]]
    return notes + ([] if p["passed"] else [REFUSED_NEXT])


def report_text(p: dict[str, Any]) -> str:
    """Plain text of a report payload: the verdict, every rule, then blockers in words."""
    rows = [(rule["verdict"], rule["rule"], rule["metric"],
             f"{rule['value']:.4g}" if isinstance(rule["value"], float) else str(rule["value"]),
             f"{rule['op']} {rule['threshold']}",
             rule["severity"] + (f", {rule['scope']}-level" if rule.get("scope") else ""))
            for rule in p["report"]["rules"]]
    return "\n".join([_report_head(p)]
                     + ["  [{:>7}] {:<16} {} = {} (needs {}; {})".format(*row) for row in rows]
                     + [f"  {n}" for n in _report_notes(p)])


def report_html(p: dict[str, Any]) -> str:
    """Static HTML of a report payload."""
    r = p["report"]
    return _wrap("report", _report_head(p), [
        _verdict(p["passed"], r["blockers"], r["warnings"]), _rules(r),
        _table(["id", "value"], [("candidate_id", p["candidate_id"]),
                                 ("eligibility_report_id", p["eligibility_report_id"]),
                                 ("run_key", p["run_key"]),
                                 ("run_instance_id", p["run_instance_id"]),
                                 ("dataset_id_v2", p["dataset_id_v2"])]),
        "" if p["passed"] else f"<div>{esc(REFUSED_NEXT)}</div>",
    ])


def event_payload(store: Store, event_hash: str) -> dict[str, Any]:
    """JSON for ``application/vnd.qrp.event+json``: one governance event (a candidate
    rejected or retired, with its reason) as the hash chain holds it.

    Raises
    ------
    NotFoundError
        When no event has the hash ``event_hash``.
    """
    row = _stored(store, "governance_events.by_hash", event_hash, "governance event")
    cand = store.one("promotion_candidates.get", (row["candidate_id"],))
    run = store.one("runs.get", (cand["run_key"],)) if cand is not None else None
    return {"qrp_mime_version": MIME_VERSION, "mime": MIME_EVENT,
            "event_hash": row["event_hash"], "seq": row["seq"], "kind": row["kind"],
            "candidate_id": row["candidate_id"],
            "run_key": cand["run_key"] if cand is not None else None,
            "dataset_id_v2": run["dataset_id_v2"] if run is not None else None,
            "event": json.loads(row["payload_json"])}


def _event_head(p: dict[str, Any]) -> str:
    return f"candidate {p['candidate_id'][:12]} is now {p['event'].get('to_status')}"


def event_text(p: dict[str, Any]) -> str:
    """Plain text of an event payload: the new status, the reason, the event's hash."""
    e = p["event"]
    return "\n".join([_event_head(p), f"  reason: {shown(e.get('reason'))}",
                      f"  event #{p['seq']} {p['kind']} by {shown(e.get('actor'))} at "
                      f"{e.get('at')}",
                      f"  event_hash {p['event_hash']}"])


def event_html(p: dict[str, Any]) -> str:
    """Static HTML of an event payload."""
    e = p["event"]
    return _wrap("event", _event_head(p), [_table(["field", "value"], [
        ("candidate_id", p["candidate_id"]), ("from", e.get("from_status")),
        ("to", e.get("to_status")), ("reason", e.get("reason")), ("actor", e.get("actor")),
        ("at", e.get("at")), ("seq", p["seq"]), ("event_hash", p["event_hash"]),
        ("run_key", p["run_key"]), ("dataset_id_v2", p["dataset_id_v2"])])])


def _finite(v: Any) -> float | None:
    return float(v) if v is not None and math.isfinite(float(v)) else None


def candidates_payload(store: Store) -> dict[str, Any]:
    """JSON for ``application/vnd.qrp.candidates+json``: every candidate of the store with its
    status, trial, evidence link and last eligibility report (the listing of ``qrp
    candidates``). ``last_report`` is what the candidate's latest promotion attempt decided
    (null before any): a refused candidate keeps its status, and this says it was refused."""
    rows = list_candidates(store)
    last = last_reports(store, [r["candidate_id"] for r in rows])
    return {"qrp_mime_version": MIME_VERSION, "mime": MIME_CANDIDATES,
            "candidates": [{"candidate_id": r["candidate_id"], "status": r["status"],
                            "run_key": r["run_key"], "trial_index": r["trial_index"],
                            "params": json.loads(r["params_json"]),
                            "sharpe_annual": _finite(r["sharpe_annual"]),
                            "family": r["family"], "run_name": r["run_name"],
                            "eligibility_report_id": r["eligibility_report_id"],
                            "last_report": _last(last.get(r["candidate_id"]))}
                           for r in rows]}


def _last(rep: dict[str, Any] | None) -> dict[str, Any] | None:
    if rep is None:
        return None
    return {k: rep[k] for k in ("eligibility_report_id", "level", "passed", "blockers")}


def candidate_rows(p: dict[str, Any]) -> list[dict[str, Any]]:
    """Listing rows of a payload: its candidates plus the last report's verdict, the rule
    names that blocked it and its id (a payload written before ``last_report`` existed shows
    them missing)."""
    out = []
    for c in p["candidates"]:
        rep = c.get("last_report")
        out.append({**c, "last_verdict": verdict_text(rep),
                    "blockers": None if rep is None else blocker_rules(rep["blockers"]),
                    "last_report_id": None if rep is None else rep["eligibility_report_id"]})
    return out


def _candidates_title(p: dict[str, Any]) -> str:
    return f"QRP candidates: {len(p['candidates'])}"


def candidates_text(p: dict[str, Any]) -> str:
    """Plain text of a candidate listing: one line per candidate, short ids (the payload
    holds the full ones), an em dash for what is missing."""
    return listing_text(_candidates_title(p), CANDIDATE_COLUMNS, candidate_rows(p))


def candidates_html(p: dict[str, Any]) -> str:
    """Static HTML of a candidate listing: short ids with the full id as the cell's title."""
    return listing_html(_candidates_title(p), CANDIDATE_COLUMNS, candidate_rows(p),
                        kind="candidates")

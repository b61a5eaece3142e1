"""Mime bundles: ``text/plain`` + static ``text/html`` + the QRP vendor JSON, from one payload.

A bundle is made from its payload alone (:func:`bundle`), so a payload saved in a notebook
re-renders to the very same bundle; ``run_bundle`` and friends only build the payload first.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from ..audit import render_trace, trace
from ..errors import ConfigError
from ..lineage import (MIME_AUDIT, MIME_CANDIDATES, MIME_EVENT, MIME_LINEAGE, MIME_REPORT,
                       MIME_RUN, MIME_VERIFY, MIME_VERSION, lineage_payload)
from ..safetext import shown
from ..store import Store
from .governance import (candidates_html, candidates_text, event_html, event_text, report_html,
                         report_text)
from .html import _wrap, audit_html, lineage_html, run_html
from .run import run_payload
from .svg import esc

__all__ = ["bundle", "run_bundle", "lineage_bundle", "audit_bundle", "audit_payload",
           "run_text", "lineage_text"]


def audit_payload(store: Store, cand_ref: str) -> dict[str, Any]:
    """JSON for ``application/vnd.qrp.audit+json``: :func:`~qrp_jupyter.audit.trace` of the
    candidate with the ids a verifier needs at the top level.

    Parameters
    ----------
    store
        An open QRP store; nothing is written.
    cand_ref
        A candidate id or a unique prefix.
    """
    t = trace(store, cand_ref)
    return {"qrp_mime_version": MIME_VERSION, "mime": MIME_AUDIT,
            "candidate_id": t["candidate"]["candidate_id"], "run_key": t["run"]["run_key"],
            "dataset_id_v2": t["dataset"]["dataset_id_v2"],
            "run_instance_id": t["run_instance"]["run_instance_id"], **t}


def _num(v: Any) -> str:
    return "-" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)


def run_text(p: dict[str, Any]) -> str:
    """Plain-text rendering of a run payload."""
    run, s, e = p["run"], p["summary"], p["eligibility"]
    lines = [f"QRP run {shown(run['name'] or run['family'])} (family {run['family']})",
             f"run_key          {p['run_key']}",
             f"run_instance_id  {p['run_instance_id']} (instance #{run['seq']}, "
             f"{run['purpose']})",
             f"dataset_id_v2    {p['dataset_id_v2']}",
             f"trials           {p['n_trials']}; best #{s.get('best_trial')} "
             f"{json.dumps(s.get('best_params'), sort_keys=True)} Sharpe(annual) "
             f"{_num(s.get('best_sharpe_annual'))}"]
    lines += [f"{n['test']:<16} p = {_num(n['pvalue'])} (statistic {_num(n['statistic'])}, "
              f"{n['reps']} reps)" for n in p["nulls"]]
    if p["pbo"] is not None:
        lines.append(f"PBO (CSCV)       {_num(p['pbo']['pbo'])}")
    if p["stepm"] is not None:
        lines.append(f"StepM superior   {p['stepm']['superior']}")
    if p["walk_forward"] is not None:
        wf = p["walk_forward"]
        lines.append(f"walk-forward     OOS Sharpe(annual) {_num(wf['oos_sharpe_annual'])}; "
                     f"fold causality {'valid' if wf['fold_causality_valid'] else 'INVALID'}")
    lines.append(f"eligibility      trial #{e['trial_index']} at {e['level']}: "
                 f"{'passes' if e['passed'] else 'blocked'} (preview, nothing stored)")
    lines += [f"  blocker: {b}" for b in e["blockers"]]
    lines.append("artifacts:")
    lines += [f"  {k:<22} {v}" for k, v in sorted(p["artifacts"].items())]
    return "\n".join(lines)


def lineage_text(p: dict[str, Any]) -> str:
    """Plain-text rendering of a lineage payload: nodes by layer with their first hash."""
    lines = [f"QRP lineage of {p['root']['kind']} {p['root']['id']}",
             f"run_key        {p['run_key']}", f"dataset_id_v2  {p['dataset_id_v2']}",
             f"{len(p['nodes'])} nodes, {len(p['edges'])} edges; by layer:"]
    for n in sorted(p["nodes"], key=lambda n: (n["x"], n["y"], n["id"])):
        first = next(iter(n["hashes"].items()), ("", ""))
        lines.append(f"  {int(n['x'])} {n['kind']:<12} {n['label'][:28]:<28} "
                     f"{first[0]} {first[1]}")
    return "\n".join(lines)


def _verify_html(p: dict[str, Any]) -> str:
    return _wrap("verify", f"qrp verify: {p['subject']} {p['target']}",
                 [f"<pre>{esc(p['text'])}</pre>"])


_RENDER: dict[str, tuple[Callable[[dict], str], Callable[[dict], str]]] = {
    MIME_RUN: (run_text, run_html),
    MIME_LINEAGE: (lineage_text, lineage_html),
    MIME_AUDIT: (render_trace, audit_html),
    MIME_REPORT: (report_text, report_html),
    MIME_CANDIDATES: (candidates_text, candidates_html),
    MIME_VERIFY: (lambda p: p["text"], _verify_html),
    MIME_EVENT: (event_text, event_html),
}


def _ledger_line(payload: dict[str, Any]) -> str | None:
    """The head an output was rendered at, as a line its text and HTML both end with."""
    led = payload.get("ledger")
    if not isinstance(led, dict):
        return None
    return f"ledger head: block {led.get('block_seq')} digest {led.get('digest')}"


def bundle(payload: dict[str, Any]) -> dict[str, Any]:
    """The mime bundle of a payload: exactly ``text/plain``, ``text/html`` and ``mime``.

    Made from the payload alone, so a payload saved in a notebook re-renders identically. A
    payload stamped with the ledger head it was rendered at (``ledger``) ends its text and its
    HTML with that head.

    Raises
    ------
    ConfigError
        When ``payload["mime"]`` is not one of the QRP media types.
    """
    mime = payload.get("mime") if isinstance(payload, dict) else None
    if mime not in _RENDER:
        raise ConfigError(f"payload mime {mime!r} is not a QRP media type", where="payload.mime",
                          fix=f"use a payload made by run_payload, lineage_payload or "
                              f"audit_payload ({', '.join(_RENDER)})")
    text, html = _RENDER[mime]
    plain, rich = text(payload), html(payload)
    line = _ledger_line(payload)
    if line is not None:  # the digest, visible in the saved notebook
        plain += "\n" + line
        rich = rich[: -len("</div>")] + f'<div style="color:#777777">{esc(line)}</div></div>'
    return {"text/plain": plain, "text/html": rich, mime: payload}


def run_bundle(store: Store, ref: str, **limits: int) -> dict[str, Any]:
    """:func:`bundle` of :func:`run_payload` (``limits``: ``max_trials``, ``max_points``)."""
    return bundle(run_payload(store, ref, **limits))


def lineage_bundle(store: Store, ref: str) -> dict[str, Any]:
    """:func:`bundle` of :func:`~qrp_jupyter.lineage.lineage_payload`."""
    return bundle(lineage_payload(store, ref))


def audit_bundle(store: Store, cand_ref: str) -> dict[str, Any]:
    """:func:`bundle` of :func:`audit_payload`."""
    return bundle(audit_payload(store, cand_ref))

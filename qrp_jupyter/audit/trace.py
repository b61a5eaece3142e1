"""``trace``: rebuild the chain of evidence behind one candidate from the database alone.

candidate -> eligibility report(s) -> policy -> run instance -> run (config, code) -> dataset ->
artifacts and edges -> governance events, verifying every hash on the way. Each verification is
a named check with a verdict, so a reviewer sees what was proven, not just what was found.
"""

from __future__ import annotations

import json
from typing import Any

from ..identity import (canonical_bytes, candidate_id, code_hash, event_hash, hash_payload,
                        run_instance_id, run_key_payload, sha256_hex)
from ..errors import IntegrityProblem
from ..safetext import shown
from ..store import GENESIS_HASH, Store
from ..store.damage import MAY_BE_DAMAGE, is_damage

__all__ = ["trace", "render_trace", "AuditStopped"]


class _Checks(list):
    def add(self, check: str, ok: bool, detail: str = "") -> bool:
        self.append({"check": check, "ok": bool(ok), "detail": detail})
        return bool(ok)


def _artifact_ok(store: Store, aid: str) -> tuple[bool, dict[str, Any]]:
    row = store.one("artifacts.blob_and_meta", (aid,))
    if row is None:
        return False, {"artifact_id": aid, "missing": True}
    got = store.artifact_digest(aid, row["codec"], row["data"])
    return got is not None and got[0] == aid, {"artifact_id": aid, "media_type": row["media_type"],
                                    "size": row["size"]}


class AuditStopped(IntegrityProblem):
    """The chain could not be read to its end: the file is damaged or a stored row is not
    what QRP writes. Carries the checks made before it stopped and where the file is
    damaged, for the report (exit 4)."""

    def __init__(self, cid: str, checks: list[dict[str, Any]], damage: list[dict[str, str]],
                 cause: str):
        self.candidate_id, self.checks, self.damage, self.cause = cid, checks, damage, cause
        places = "; ".join(f"{d['where']}: {d['detail']}" for d in damage[:3]) or cause
        super().__init__(f"the audit of candidate {cid[:12]} stopped after {len(checks)} "
                         f"check(s): {cause} ({places})", where=f"candidate {cid}",
                         fix="treat its evidence as unverified; run `qrp verify` for every "
                             "problem and restore the file from a backup")

    def to_dict(self) -> dict[str, Any]:
        return {"ok": False, "stopped": True, "candidate_id": self.candidate_id,
                "cause": self.cause, "checks": self.checks, "damage": self.damage}

    def text(self) -> str:
        out = [f"Audit of candidate {self.candidate_id}",
               "  verdict: STOPPED: the chain could not be read to its end",
               f"  cause: {shown(self.cause)}", "", "Checks made before it stopped:"]
        out += [f"  [{'ok' if c['ok'] else 'FAIL'}] {c['check']}" for c in self.checks]
        if self.damage:
            out += ["", "Where the file is damaged:"]
            out += [f"  {d['where']}: {d['detail']}" for d in self.damage]
        return "\n".join(out)


def trace(store: Store, cand_ref: str) -> dict[str, Any]:
    """The evidence chain of one candidate, with a verdict for every hash on the way.

    Raises
    ------
    AuditStopped
        When damage in the file or a malformed stored row stops the rebuild half-way.
    """
    cid = store.resolve("promotion_candidates", "candidate_id", cand_ref, what="candidate")
    checks = _Checks()
    try:
        return _trace(store, cid, checks)
    except MAY_BE_DAMAGE as exc:
        if not is_damage(exc):
            raise
        cause = "the file is damaged"
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        cause = f"a stored row is malformed ({type(exc).__name__}: {exc})"
    try:
        damage = [d.to_dict() for d in store.damage()]
    except MAY_BE_DAMAGE:
        damage = []
    raise AuditStopped(cid, list(checks), damage, cause) from None


def _trace(store: Store, cid: str, checks: _Checks) -> dict[str, Any]:
    cand = dict(store.one("promotion_candidates.get", (cid,)))
    checks.add("candidate_id = H(run_key, trial_index)",
               candidate_id(cand["run_key"], cand["trial_index"]) == cid)

    # Reports (the whole history) and the policy of each.
    reports = []
    for r in store.all("eligibility_reports.of_candidate", (cid,)):
        payload = json.loads(r["payload_json"])
        rid = r["eligibility_report_id"]
        checks.add(f"report {rid[:12]} id = H(payload)", hash_payload(payload) == rid)
        pol = store.one("policies.get", (r["policy_hash"],))
        pol_ok = pol is not None and hash_payload(json.loads(pol["payload_json"])) == \
            r["policy_hash"]
        checks.add(f"report {rid[:12]} policy {r['policy_hash'][:12]} = H(policy)", pol_ok)
        reports.append({"eligibility_report_id": rid, "level": r["level"],
                        "passed": bool(r["passed"]), "created_at": r["created_at"],
                        "policy": payload.get("policy"), "rules": payload.get("rules", []),
                        "blockers": payload.get("blockers", []),
                        "warnings": payload.get("warnings", []),
                        "evidence": payload.get("evidence", {}), "actor": payload.get("actor")})
    linked = next((r for r in reports
                   if r["eligibility_report_id"] == cand["eligibility_report_id"]), None)
    if cand["status"] in ("candidate", "accepted"):
        checks.add(f"status {cand['status']} rests on a passing {cand['status']} report",
                   linked is not None and linked["passed"] and linked["level"] == cand["status"])

    # Run instance and run.
    inst = dict(store.one("run_instances.get", (cand["run_instance_id"],)))
    checks.add("run_instance_id = H(run_key, started_at, seq)",
               run_instance_id(inst["run_key"], started_at=inst["started_at"], seq=inst["seq"])
               == inst["run_instance_id"])
    run = dict(store.one("runs.get", (cand["run_key"],)))
    config = json.loads(run["config_json"])
    payload = run_key_payload(config, dataset_id_v2=run["dataset_id_v2"],
                              code_hash=run["code_hash"], engine_version=run["engine_version"])
    payload["identity_schema_version"] = run["identity_schema_version"]
    checks.add("run_key = H(config, dataset_id_v2, code_hash, engine, schema)",
               sha256_hex(canonical_bytes(payload)) == run["run_key"])
    if run["code_hash"]:
        checks.add("code_hash = H(stored strategy source)",
                   code_hash(run["code_source"], entry_point=run["code_entry_point"])
                   == run["code_hash"])

    # Dataset.
    ds_ok, ds_meta = _artifact_ok(store, run["dataset_id_v2"])
    checks.add("dataset_id_v2 = H(stored canonical candles)", ds_ok)
    ds_row = store.one("datasets.get", (run["dataset_id_v2"],))

    # Artifacts used or produced by the instance and the reports, and the edges between them.
    lineage = store.all("artifact_lineage.of_candidate", (inst["run_instance_id"], cid))
    artifacts, seen = [], set()
    for row in lineage:
        if row["artifact_id"] in seen:
            continue
        seen.add(row["artifact_id"])
        ok, meta = _artifact_ok(store, row["artifact_id"])
        checks.add(f"artifact {row['kind']} {row['artifact_id'][:12]} = H(bytes)", ok)
        artifacts.append({**meta, "kind": row["kind"], "role": row["role"],
                          "by": "report" if row["eligibility_report_id"] else "run"})
    edges = [dict(e) for e in store.all("artifact_edges.among", (json.dumps(sorted(seen)),))]

    # Seeds used by the run's null procedures.
    seeds: list[Any] = []
    result = json.loads(inst["result_json"])
    if "seed_records" in result.get("artifacts", {}):
        got = store.read_artifact(result["artifacts"]["seed_records"])
        if got is not None:
            seeds = json.loads(got[1])["records"]

    # Events: the whole chain must verify for the candidate's events to be trusted.
    prev, chain_ok, events = GENESIS_HASH, True, []
    for e in store.all("governance_events.chain"):
        p = json.loads(e["payload_json"])
        if e["prev_hash"] != prev or event_hash(e["prev_hash"], p) != e["event_hash"]:
            chain_ok = False
        prev = e["event_hash"]
        if e["candidate_id"] == cid:
            events.append({"seq": e["seq"], "kind": e["kind"], "at": p.get("at"),
                           "actor": p.get("actor"), "from_status": p.get("from_status"),
                           "to_status": p.get("to_status"), "reason": p.get("reason"),
                           "eligibility_report_id": p.get("eligibility_report_id"),
                           "event_hash": e["event_hash"]})
    checks.add("governance event chain links and hashes verify", chain_ok)
    if events:
        checks.add("candidate status = last event's status",
                   events[-1]["to_status"] == cand["status"])
    else:
        checks.add("candidate has governance events", False)

    damage = store.damage()
    checks.add("the store file is sound (SQLite's integrity check)", not damage,
               "; ".join(f"{d.where}: {d.detail}" for d in damage))
    trial = store.one("trials.get", (cand["run_key"], cand["trial_index"]))
    return {
        "ok": all(c["ok"] for c in checks),
        "candidate": {"candidate_id": cid, "status": cand["status"],
                      "trial_index": cand["trial_index"],
                      "params": json.loads(trial["params_json"]),
                      "sharpe_annual": trial["sharpe_annual"], "n_trades": trial["n_trades"],
                      "eligibility_report_id": cand["eligibility_report_id"]},
        "reports": reports,
        "run_instance": {"run_instance_id": inst["run_instance_id"], "seq": inst["seq"],
                         "purpose": inst["purpose"], "started_at": inst["started_at"],
                         "actor": inst["actor"], "summary": result.get("summary", {})},
        "run": {"run_key": run["run_key"], "name": run["name"], "family": run["family"],
                "engine_version": run["engine_version"], "code_hash": run["code_hash"],
                "config": config},
        "dataset": {"dataset_id_v2": run["dataset_id_v2"], "source": ds_row["source"],
                    "summary": json.loads(ds_row["summary_json"]), **ds_meta},
        "seeds": seeds,
        "artifacts": artifacts,
        "edges": edges,
        "events": events,
        "checks": list(checks),
    }


def render_trace(t: dict[str, Any]) -> str:
    """A reviewer-readable text rendering of :func:`trace`.

    The details come from stored payloads; where one is not what QRP writes (a failed hash
    check says so), only the verdict and the checks are shown.
    """
    try:
        return _render_full(t)
    except (KeyError, TypeError, AttributeError, ValueError, IndexError):
        cid = t.get("candidate", {}).get("candidate_id", "?")
        out = [f"Audit of candidate {cid}",
               f"  verdict: {'ALL CHECKS PASS' if t['ok'] else 'PROBLEMS FOUND'}",
               "  (stored payloads are not in the form QRP writes; only the checks are shown)",
               "", "Checks:"]
        out += [f"  [{'ok' if ch['ok'] else 'FAIL'}] {ch['check']}" for ch in t["checks"]]
        return "\n".join(out)


def _render_full(t: dict[str, Any]) -> str:
    c, run, ds, inst = t["candidate"], t["run"], t["dataset"], t["run_instance"]
    out = [f"Audit of candidate {c['candidate_id']}",
           f"  verdict: {'ALL CHECKS PASS' if t['ok'] else 'PROBLEMS FOUND'}",
           f"  status: {c['status']}   trial #{c['trial_index']} {json.dumps(c['params'])}",
           f"  in-sample Sharpe (annual): {_num(c['sharpe_annual'])}   trades: {c['n_trades']}",
           "", "Eligibility reports:"]
    for r in t["reports"]:
        mark = "<- linked" if r["eligibility_report_id"] == c["eligibility_report_id"] else ""
        pol = r["policy"] or {}
        out.append(f"  {r['eligibility_report_id'][:12]} level={r['level']} "
                   f"{'PASSED' if r['passed'] else 'FAILED'} policy={shown(pol.get('name'))} "
                   f"v{pol.get('version')} {mark}")
        for rule in r["rules"]:
            out.append(f"    [{rule['verdict']:>7}] {rule['rule']}: {rule['metric']} = "
                       f"{_num(rule['value'])} {rule['op']} {_num(rule['threshold'])} "
                       f"({rule['severity']}"
                       f"{', ' + rule['scope'] + '-level' if rule.get('scope') else ''}; "
                       f"from {str(rule.get('artifact_id'))[:12]})")
        for b in r["blockers"]:
            out.append(f"    blocker: {b}")
    out += ["", f"Run {run['run_key']}",
            f"  name={shown(run['name'])} family={run['family']} engine={run['engine_version']} "
            f"code_hash={run['code_hash'] or '-'}",
            f"  instance {inst['run_instance_id'][:12]} seq={inst['seq']} "
            f"started={inst['started_at']} by {shown(inst['actor'])}",
            f"  strategy={run['config']['strategy']['kind']} "
            f"trials={inst['summary'].get('n_trials')} "
            f"costs={json.dumps(run['config']['costs'])}",
            f"Dataset {ds['dataset_id_v2']} ({shown(ds['source'])}; "
            f"{shown(', '.join(ds['summary'].get('assets') or []))})"]
    for s in t["seeds"]:
        out.append(f"  seed {s['salt']}: root {s['root'][:16]}... params {json.dumps(s['params'])}")
    out += ["", "Artifacts:"]
    for a in t["artifacts"]:
        out.append(f"  {a['artifact_id'][:12]} {a['kind']:<20} {a['role']:<6} by {a['by']:<6} "
                   f"{a.get('size', '?')} bytes")
    out.append(f"  {len(t['edges'])} edges among them")
    out += ["", "Governance events:"]
    for e in t["events"]:
        out.append(f"  #{e['seq']} {e['at']} {e['kind']} {e['from_status']} -> {e['to_status']}"
                   f" by {shown(e['actor'])}"
                   + (f" reason: {shown(e['reason'])}" if e["reason"] else ""))
    out += ["", "Checks:"]
    for ch in t["checks"]:
        out.append(f"  [{'ok' if ch['ok'] else 'FAIL'}] {ch['check']}"
                   + (f": {shown(ch['detail'])}" if ch.get("detail") else ""))
    return "\n".join(out)


def _num(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)

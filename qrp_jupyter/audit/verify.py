"""``verify``: check a whole store from the file alone, naming the table and row of each problem.

Triggers can be dropped by anyone holding the file, so verify never trusts them: it recomputes
every hash the design makes (blob ids, ``dataset_id_v2``, ``run_key``, ``run_instance_id``, code
hashes, candidate ids, policy hashes, report ids, the event chain), checks the governance
invariants row by row, compares the stored DDL with the code's, and runs SQLite's own
``integrity_check`` and ``foreign_key_check``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..identity import (canonical_bytes, candidate_id, code_hash, event_hash, hash_payload,
                        run_instance_id, run_key_payload, sha256_hex)
from ..store import GENESIS_HASH, Store, decode_json
from ..errors import IntegrityProblem, QrpError, StoreError
from ..store.damage import MAY_BE_DAMAGE, is_damage
from ..policies import (BUILTIN_POLICIES, METRIC_SOURCES, RULE_FIELDS, evaluate_rules,
                        grid_best_trial, metric_value, registered_policy_hashes)
from ..store.migrations import expected_schema

__all__ = ["verify", "ledger_digest", "digest_text", "VerifyReport", "Problem"]


@dataclass(frozen=True)
class Problem:
    table: str
    row: str
    problem: str

    def to_dict(self) -> dict[str, str]:
        return {"table": self.table, "row": self.row, "problem": self.problem}


@dataclass
class VerifyReport:
    path: str
    problems: list[Problem] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    #: ``verify --replay``: one entry per re-executed run instance (match, reason, seconds).
    replays: list[dict[str, Any]] = field(default_factory=list)
    #: Where SQLite finds the file damaged, and the checks that damage stopped.
    damage: list[dict[str, str]] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, table: str, row: str, problem: str) -> None:
        self.problems.append(Problem(table, row, problem))

    def to_dict(self) -> dict[str, Any]:
        out = {"ok": self.ok, "path": self.path, "checked": self.checked,
               "problems": [p.to_dict() for p in self.problems]}
        if self.damage or self.not_checked:
            out["damage"], out["not_checked"] = self.damage, self.not_checked
        if self.replays:
            out["replays"] = self.replays
        return out

    def text(self) -> str:
        lines = [f"verify {self.path}: " + ("OK" if self.ok else
                                           f"{len(self.problems)} problem(s)")]
        lines.append("  checked: " + ", ".join(f"{k} {v}" for k, v in self.checked.items()))
        for r in self.replays:
            lines.append(f"  replay {r['run_instance_id'][:12]}: "
                         f"{'IDENTICAL' if r['match'] else 'DIFFERENT'} in {r['seconds']:.2f} s")
        if self.damage:
            lines.append("  the file is damaged:")
            lines += [f"    {d['where']}: {d['detail']}" for d in self.damage]
        if self.not_checked:
            lines.append("  could not check (stopped by the damage): "
                         + ", ".join(self.not_checked))
        for p in self.problems:
            lines.append(f"  - {p.table} [{p.row}]: {p.problem}")
        return "\n".join(lines)


def _check_sqlite(store: Store, rep: VerifyReport) -> None:
    for d in store.damage():
        rep.damage.append(d.to_dict())
        rep.add("<file>", d.where, f"damaged: {d.detail}")


def _check_foreign_keys(store: Store, rep: VerifyReport) -> None:
    for table, rowid, parent, _ in store.all("sqlite.foreign_key_check"):
        rep.add(table, f"rowid {rowid}", f"foreign key to {parent} points at nothing")


def _check_schema(store: Store, rep: VerifyReport) -> None:
    for name, problem in store.schema_differences():
        rep.add("sqlite_master", name, problem)
    rep.checked["schema objects"] = len(expected_schema())


def _check_ledger(store: Store, rep: VerifyReport) -> None:
    findings, counts = store.verify_ledger()
    for f in findings:
        rep.add(f.table, f.row, f.problem)
    rep.checked.update(counts)


def _check_artifacts(store: Store, rep: VerifyReport) -> None:
    n = 0
    for aid, codec, size, data in store.iterate("artifacts.scan"):
        n += 1
        got = store.artifact_digest(aid, codec, data)
        if got is None or got[0] != aid:
            rep.add("artifacts", aid, "blob bytes do not hash to artifact_id"
                    + ("" if data else " (the bytes are held in artifact_chunks)"))
        elif got[1] != size:
            rep.add("artifacts", aid, f"size column {size} != blob length {got[1]}")
    rep.checked["artifacts"] = n
    parts = 0
    for aid, seq, digest, data in store.iterate("artifact_chunks.scan"):
        parts += 1
        if not isinstance(data, bytes):
            rep.add("artifact_chunks", f"{aid} part {seq}",
                    f"part is stored as {type(data).__name__}, not a BLOB")
        elif sha256_hex(data) != digest:
            rep.add("artifact_chunks", f"{aid} part {seq}",
                    "part bytes do not hash to its sha256 column")
    for r in store.all("artifact_chunks.misplaced"):
        why = ("its artifact is not in the store" if r["orphan"] else
               "its artifact holds its bytes in its own row" if r["has_data"] else
               f"the parts are not numbered 0..{r['parts'] - 1} (a part is missing or extra)")
        rep.add("artifact_chunks", r["artifact_id"], f"{r['parts']} part(s): {why}")
    rep.checked["artifact parts"] = parts


def _check_datasets(store: Store, rep: VerifyReport) -> None:
    datasets = store.all("datasets.ids")
    for r in datasets:
        if r["artifact_id"] != r["dataset_id_v2"]:
            rep.add("datasets", r["dataset_id_v2"], "artifact_id differs from dataset_id_v2")
    rep.checked["datasets"] = len(datasets)


def _check_runs(store: Store, rep: VerifyReport) -> None:
    runs = store.all("runs.all")
    for r in runs:
        try:
            payload = run_key_payload(json.loads(r["config_json"]),
                                      dataset_id_v2=r["dataset_id_v2"], code_hash=r["code_hash"],
                                      engine_version=r["engine_version"])
            payload["identity_schema_version"] = r["identity_schema_version"]
            if sha256_hex(canonical_bytes(payload)) != r["run_key"]:
                rep.add("runs", r["run_key"], "config/dataset/code/engine do not hash to run_key")
        except (ValueError, TypeError, KeyError, AttributeError) as exc:  # malformed row: a finding
            rep.add("runs", r["run_key"], f"cannot recompute run_key: {exc}")
        if r["code_hash"] is not None and code_hash(
                r["code_source"], entry_point=r["code_entry_point"]) != r["code_hash"]:
            rep.add("runs", r["run_key"], "stored strategy source does not hash to code_hash")
    rep.checked["runs"] = len(runs)
    insts = store.all("run_instances.all")
    first_metrics: dict[str, str] = {}
    for i in insts:
        if run_instance_id(i["run_key"], started_at=i["started_at"], seq=i["seq"]) \
                != i["run_instance_id"]:
            rep.add("run_instances", i["run_instance_id"],
                    "run_key/started_at/seq do not hash to run_instance_id")
        arts = json.loads(i["result_json"]).get("artifacts", {})
        if i["seq"] == 1 and "metrics_table" in arts:
            first_metrics[i["run_key"]] = arts["metrics_table"]
    rep.checked["run_instances"] = len(insts)
    _check_trials(store, rep, first_metrics)


def _check_trials(store: Store, rep: VerifyReport, metrics_ids: dict[str, str]) -> None:
    """Trial rows must agree with the metrics table artifact they were written from."""
    n = 0
    for run_key, aid in metrics_ids.items():
        got = store.read_artifact(aid)
        if got is None:
            rep.add("run_instances", run_key, f"metrics_table artifact {aid[:12]} is missing")
            continue
        raw = got[1]
        if sha256_hex(raw) != aid:
            continue  # already reported as a blob problem
        trials = {t["trial_index"]: t for t in json.loads(raw)["trials"]}
        for t in store.all("trials.of_run", (run_key,)):
            n += 1
            ref = trials.get(t["trial_index"])
            if ref is None or _json_or_none(t["metrics_json"]) != ref or \
                    t["sharpe"] != ref.get("sharpe") or t["n_trades"] != ref.get("n_trades") or \
                    _json_or_none(t["params_json"]) != ref.get("params"):
                rep.add("trials", f"{run_key[:12]}#{t['trial_index']}",
                        "trial row differs from the run's metrics_table artifact")
    rep.checked["trials"] = n


def _json_or_none(text: Any) -> Any:
    """A stored JSON column's value, or None when it is not JSON (a damaged or forged row,
    which then differs from what it was written from)."""
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def _check_policies_reports(store: Store, rep: VerifyReport) -> dict[str, dict[str, Any]]:
    for p in store.all("policies.all"):
        payload = json.loads(p["payload_json"])
        if hash_payload(payload) != p["policy_hash"]:
            rep.add("policies", p["policy_hash"], "payload does not hash to policy_hash")
        if payload.get("name") != p["name"] or payload.get("version") != p["version"]:
            rep.add("policies", p["policy_hash"], "name/version columns differ from payload")
    reports = {}
    for r in store.all("eligibility_reports.all"):
        rid = r["eligibility_report_id"]
        try:
            payload = json.loads(r["payload_json"])
        except ValueError:
            rep.add("eligibility_reports", rid, "payload is not JSON")
            continue
        reports[rid] = payload
        if hash_payload(payload) != rid:
            rep.add("eligibility_reports", rid,
                    "eligibility_report_id is not the hash of its payload")
        for col, key in (("candidate_id", "candidate_id"), ("level", "level")):
            if payload.get(key) != r[col]:
                rep.add("eligibility_reports", rid, f"{col} column differs from payload")
        if bool(payload.get("passed")) != bool(r["passed"]):
            rep.add("eligibility_reports", rid, "passed column differs from payload")
        if payload.get("policy", {}).get("hash") != r["policy_hash"]:
            rep.add("eligibility_reports", rid, "policy_hash column differs from payload")
        failing = [x["rule"] for x in payload.get("rules", [])
                   if x.get("severity") == "blocker" and x.get("verdict") != "pass"]
        if payload.get("passed") and failing:
            rep.add("eligibility_reports", rid,
                    f"marked passed although blocker rules did not pass: {failing}")
        for kind, aid in payload.get("evidence", {}).items():
            if not store.exists("artifacts", "artifact_id", aid):
                rep.add("eligibility_reports", rid, f"evidence {kind} {aid[:12]} is missing")
    rep.checked["eligibility_reports"] = len(reports)
    return reports


def _check_events(store: Store, rep: VerifyReport) -> list[dict[str, Any]]:
    prev, expected_seq, out = GENESIS_HASH, 1, []
    for e in store.all("governance_events.chain"):
        row = f"seq {e['seq']}"
        if e["seq"] != expected_seq:
            rep.add("governance_events", row, f"sequence gap: expected seq {expected_seq}")
        if e["prev_hash"] != prev:
            rep.add("governance_events", row, "prev_hash does not link to the previous event")
        try:
            payload = json.loads(e["payload_json"])
        except ValueError:
            rep.add("governance_events", row, "payload is not JSON")
            payload = {}
        if event_hash(e["prev_hash"], payload) != e["event_hash"]:
            rep.add("governance_events", row, "event_hash is not SHA-256(prev_hash || payload)")
        if payload.get("seq") != e["seq"] or payload.get("kind") != e["kind"] or \
                payload.get("candidate_id") != e["candidate_id"]:
            rep.add("governance_events", row, "seq/kind/candidate columns differ from payload")
        out.append(payload)
        prev, expected_seq = e["event_hash"], e["seq"] + 1
    rep.checked["governance_events"] = len(out)
    return out


#: Evidence kinds a run produces (the rest, e.g. sharpe_evidence, a promotion computes).
_RUN_EVIDENCE = ("metrics_table", "reality_check", "spa", "stepm", "pbo", "walk_forward",
                 "fold_causality", "causality_probe")


def _rederive_report(store: Store, rid: str, payload: dict[str, Any],
                     policy: dict[str, Any] | None, usable: bool) -> list[str]:
    """What is wrong with one report when it is evaluated again from its policy and the bytes
    of the artifacts it cites."""
    out: list[str] = []
    if policy is None:
        return ["its policy is not in the policies table"]
    if not usable:
        out.append(f"under policy {policy.get('name')!r} v{policy.get('version')}, which is "
                   "neither built in nor registered by a recorded action")
    level, trial = payload.get("level"), payload.get("trial_index")
    expected = policy.get("levels", {}).get(level, [])
    rules = payload.get("rules", [])
    if [{k: r.get(k) for k in RULE_FIELDS} for r in rules] != \
            [{k: r.get(k) for k in RULE_FIELDS} for r in expected]:
        return out + [f"its rules are not the policy's rules at level {level!r}"]
    evidence = payload.get("evidence", {})
    inst = store.one("run_instances.get", (payload.get("run_instance_id"),))
    produced = json.loads(inst["result_json"]).get("artifacts", {}) if inst else {}
    for kind in _RUN_EVIDENCE:
        if kind in evidence and evidence[kind] != produced.get(kind):
            out.append(f"evidence {kind} {str(evidence[kind])[:12]} is not what run instance "
                       f"{str(payload.get('run_instance_id'))[:12]} produced")
    values: dict[str, tuple[Any, str | None]] = {}
    for r in rules:
        metric, aid = r.get("metric"), r.get("artifact_id")
        if aid is None:
            continue
        if evidence.get(METRIC_SOURCES.get(metric)) != aid:
            out.append(f"rule {r.get('rule')} cites {str(aid)[:12]}, not its "
                       f"{METRIC_SOURCES.get(metric)} evidence")
            continue
        try:
            value = metric_value(metric, decode_json(store.get_artifact(aid)), trial)
        except (QrpError, ValueError, KeyError, IndexError, TypeError) as exc:
            out.append(f"rule {r.get('rule')}: cannot read {metric} from {aid[:12]} ({exc})")
            continue
        if value != r.get("value") or type(value) is not type(r.get("value")):
            out.append(f"rule {r.get('rule')} records {metric} = {r.get('value')!r} but "
                       f"artifact {aid[:12]} gives {value!r}")
        values[metric] = (value, aid)
    best = None
    if evidence.get("metrics_table"):
        try:
            best = grid_best_trial(decode_json(store.get_artifact(evidence["metrics_table"])))
        except (QrpError, ValueError, KeyError, TypeError) as exc:
            out.append(f"cannot read the grid's best trial from the metrics table ({exc})")
    again = evaluate_rules(expected, values, trial_index=trial, grid_best=best)
    for key in ("blockers", "warnings", "passed"):
        if again[key] != payload.get(key):
            out.append(f"{key} do not follow from the rules' values (recomputed: "
                       f"{again[key]!r})")
    if [r["verdict"] for r in again["rules"]] != [r.get("verdict") for r in rules]:
        out.append("rule verdicts do not follow from the values and thresholds")
    return out


def _check_derivations(store: Store, rep: VerifyReport, reports: dict[str, dict[str, Any]],
                       events: list[dict[str, Any]] | None) -> None:
    policies = {p["policy_hash"]: json.loads(p["payload_json"])
                for p in store.all("policies.all")}
    # Without the event chain the registrations are unknown: every policy counts as usable.
    usable = set(BUILTIN_POLICIES) | (registered_policy_hashes(events) if events is not None
                                      else set(policies))
    for rid, payload in reports.items():
        ph = payload.get("policy", {}).get("hash")
        for problem in _rederive_report(store, rid, payload, policies.get(ph), ph in usable):
            rep.add("eligibility_reports", rid, problem)
    for p in policies:
        if p not in usable and any(r.get("policy", {}).get("hash") == p
                                   for r in reports.values()):
            rep.add("policies", p, "a report was evaluated under this policy, which is neither "
                                   "built in nor registered by a recorded action")


def _check_candidates(store: Store, rep: VerifyReport, reports: dict[str, dict[str, Any]],
                      events: list[dict[str, Any]] | None) -> None:
    last_status: dict[str, Any] = {}
    for ev in events or ():
        cid = ev.get("candidate_id")
        if cid and "to_status" in ev:
            # Only a promotion moves the report link; a refusal cites its failing report but
            # leaves the link where it was.
            link = ev.get("eligibility_report_id") if ev.get("kind") == "promoted" \
                else last_status.get(cid, (None, None))[1]
            last_status[cid] = (ev["to_status"], link)
    cands = store.all("promotion_candidates.all")
    for c in cands:
        cid = c["candidate_id"]
        if candidate_id(c["run_key"], c["trial_index"]) != cid:
            rep.add("promotion_candidates", cid, "candidate_id is not the hash of run/trial")
        if c["status"] in ("candidate", "accepted"):
            r = reports.get(c["eligibility_report_id"])
            if r is None:
                rep.add("promotion_candidates", cid,
                        f"status {c['status']!r} without an existing report")
            elif not (r.get("passed") and r.get("level") == c["status"]
                      and r.get("candidate_id") == cid):
                rep.add("promotion_candidates", cid,
                        f"status {c['status']!r} linked to a report that is not a passing "
                        f"{c['status']} report of this candidate")
        if events is None:
            continue  # the chain could not be read: nothing to compare the status with
        if cid not in last_status:
            rep.add("promotion_candidates", cid, "no governance event records this candidate")
        elif last_status[cid][0] != c["status"]:
            rep.add("promotion_candidates", cid,
                    f"status {c['status']!r} differs from the event chain's "
                    f"{last_status[cid][0]!r}")
        elif c["status"] in ("candidate", "accepted") and \
                last_status[cid][1] != c["eligibility_report_id"]:
            rep.add("promotion_candidates", cid,
                    "report link differs from the one the event chain recorded")
    rep.checked["promotion_candidates"] = len(cands)


def _check_digests(store: Store, rep: VerifyReport, digests: Sequence[str]) -> None:
    for d in digests:
        ok, why = store.ledger_extends(d)
        if not ok:
            rep.add("ledger_blocks", d, why)
    if digests:
        rep.checked["recorded digests"] = len(digests)


def ledger_digest(store: Store) -> dict[str, Any]:
    """The ledger head: the digest to record outside the file."""
    b = store.ledger_head()
    if b is None:
        raise IntegrityProblem("the store has no ledger block", where="ledger_blocks",
                               fix="open it once with this version of QRP (it adopts the "
                                   "store), or restore it from a backup")
    return {"db": store.path, "block_seq": b.block_seq, "created_at": b.created_at,
            "entry_count": b.entry_count, "digest": b.block_hash}


def digest_text(d: dict[str, Any]) -> str:
    """:func:`ledger_digest` as ``qrp digest`` prints it: the last line is the 64-hex digest."""
    return (f"ledger head of {d['db']}: block {d['block_seq']}, written {d['created_at']}\n"
            f"{d['digest']}")


def verify(store: Store, *, digests: Sequence[str] = ()) -> VerifyReport:
    """Check everything; never raises for a finding (each is a :class:`Problem`).

    ``digests``: ledger heads recorded earlier (``qrp digest``); each must still be a block
    of the ledger, which, with the ledger's own check, proves nothing before it changed.
    """
    rep = VerifyReport(path=store.path)
    check = _Guard(rep)
    check("the SQLite file", _check_sqlite, store, rep)
    check("foreign keys", _check_foreign_keys, store, rep)
    check("the schema", _check_schema, store, rep)
    check("the ledger", _check_ledger, store, rep)
    check("the recorded digests", _check_digests, store, rep, digests)
    check("artifacts", _check_artifacts, store, rep)
    check("datasets", _check_datasets, store, rep)
    check("runs and trials", _check_runs, store, rep)
    reports = check("policies and reports", _check_policies_reports, store, rep) or {}
    # None when damage stopped the read: the checks that compare with the event chain are then
    # skipped (listed as not checked), not reported as "no event records this candidate".
    events = check("governance events", _check_events, store, rep)
    check("report derivations", _check_derivations, store, rep, reports, events)
    check("candidates", _check_candidates, store, rep, reports, events)
    return rep


class _Guard:
    """Runs one check; when damage in the file stops it, the check is listed as not done and
    the rest go on (a damaged page must not hide what the other pages show)."""

    def __init__(self, rep: VerifyReport):
        self.rep = rep

    def __call__(self, name: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except MAY_BE_DAMAGE as exc:
            if not is_damage(exc):
                raise
            self.rep.not_checked.append(name)
            self.rep.add("<file>", name, "not checked: the file is damaged ("
                         f"{' '.join(str(getattr(exc, 'what', exc)).split())})")
            return None

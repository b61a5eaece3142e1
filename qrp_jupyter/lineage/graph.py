"""The lineage of a run or a candidate as a :class:`networkx.DiGraph`, read from the store alone.

Every edge points downstream, from what was used to what was made of it, so the sources of the
graph are the data and the code and its sinks are governance events:

=====================  ==========================  ===========================================
edge                   relation                    read from
=====================  ==========================  ===========================================
dataset -> run         ``hashed_into``             ``runs.dataset_id_v2`` (part of the run_key)
code -> run            ``hashed_into``             ``runs.code_hash`` (part of the run_key)
run -> run_instance    ``instance``                ``run_instances.run_key`` (and the
                                                   ``run_key_payload`` input lineage row)
artifact -> instance   ``input``                   ``artifact_lineage`` role ``input``
instance -> artifact   ``output``                  ``artifact_lineage`` role ``output``
parent -> child        ``derived_from``, ...       ``artifact_edges`` (child, parent, relation)
seed_records -> seed   ``contains``                the ``seed_records`` artifact's records
instance -> candidate  ``candidate``               ``promotion_candidates.run_instance_id``
candidate -> report    ``evaluates``               ``eligibility_reports.candidate_id``
artifact -> report     ``input``                   ``artifact_lineage`` rows of the report
report -> event        ``records``                 the event payload's ``eligibility_report_id``
candidate -> event     ``records``                 events that name no report
=====================  ==========================  ===========================================

When two facts give the same edge, its ``relation`` joins their names with ``+`` (sorted).
The dataset and the ``run_key_payload`` are artifacts too (their ids equal ``dataset_id_v2`` and
the ``run_key``); they are drawn as the dataset and run nodes rather than twice.
"""

from __future__ import annotations

import json
from typing import Any

import networkx as nx

from ..errors import NotFoundError
from ..store import Store
from ..store.db import ambiguous

__all__ = ["lineage_graph", "resolve_lineage_ref", "NODE_KINDS"]

#: Node kinds in the order they flow (sources first).
NODE_KINDS = ("dataset", "code", "run", "run_instance", "artifact", "seed", "candidate",
              "report", "event")

_REF_TABLES = (("run", "runs", "run_key"),
               ("run_instance", "run_instances", "run_instance_id"),
               ("candidate", "promotion_candidates", "candidate_id"))


def resolve_lineage_ref(store: Store, ref: str) -> tuple[str, str]:
    """``(kind, full id)`` of a run_key, run_instance_id or candidate_id, or a unique prefix.

    Raises
    ------
    NotFoundError
        When the reference is not hex, matches nothing, or matches more than one id.
    """
    text = (ref or "").strip().lower() if isinstance(ref, str) else ""
    if len(text) < 6 or any(c not in "0123456789abcdef" for c in text):
        raise NotFoundError(f"lineage reference {ref!r} is not a hex id or prefix",
                            where="REF", fix="pass a run_key, run_instance_id or candidate_id, "
                                             "or at least 6 of its leading hex characters")
    hits = []
    for kind, table, column in _REF_TABLES:
        hits += [(kind, i) for i in store.prefix_matches(table, column, text)]
    if not hits:
        raise NotFoundError(f"no run, run instance or candidate with id starting {text!r} in "
                            f"{store.path}", where="runs, run_instances, promotion_candidates",
                            fix="list ids with `qrp runs` or `qrp candidates`, or check --db")
    if len(hits) > 1:
        count = sum(store.prefix_count(table, column, text) for _, table, column in _REF_TABLES)
        raise ambiguous("lineage reference", text, hits[:4], count, where="REF")
    return hits[0]


class _Builder:
    """Accumulates nodes and merged edges; everything is added in sorted order."""

    def __init__(self) -> None:
        self.G = nx.DiGraph()

    def node(self, node_id: str, kind: str, label: str, hashes: dict[str, str],
             details: dict[str, Any]) -> str:
        if node_id not in self.G:
            self.G.add_node(node_id, kind=kind, label=label, hashes=dict(hashes),
                            details=details)
        return node_id

    def edge(self, source: str, target: str, relation: str) -> None:
        if source == target:
            return
        if self.G.has_edge(source, target):
            old = set(self.G.edges[source, target]["relation"].split("+"))
            relation = "+".join(sorted(old | {relation}))
        self.G.add_edge(source, target, relation=relation)


def _scope(store: Store, kind: str, full: str) -> tuple[str, list[str], list[str]]:
    """(run_key, instance ids, candidate ids) shown for a resolved reference."""
    if kind == "run":
        run_key = full
        instances = [r["run_instance_id"]
                     for r in store.all("run_instances.of_run", (run_key,))]
        cands = [r["candidate_id"] for r in store.all("promotion_candidates.of_run", (run_key,))]
        return run_key, instances, cands
    if kind == "run_instance":
        inst, cands = full, [r["candidate_id"] for r in
                             store.all("promotion_candidates.of_instance", (full,))]
    else:
        inst = store.one("promotion_candidates.get", (full,))["run_instance_id"]
        cands = [full]
    run_key = store.one("run_instances.get", (inst,))["run_key"]
    replays = [r["run_instance_id"] for r in store.all("run_instances.replays_of", (inst,))]
    return run_key, [inst] + replays, cands


def lineage_graph(store: Store, ref: str) -> nx.DiGraph:
    """The lineage DAG behind a run, a run instance or a candidate.

    Parameters
    ----------
    store
        An open QRP store; nothing is written.
    ref
        A ``run_key`` (all its instances and candidates), a ``run_instance_id`` (it, its
        replays and its candidates), a ``candidate_id`` (it, its instance and replays), or a
        unique prefix of at least 6 hex characters of any of them.

    Returns
    -------
    networkx.DiGraph
        Node ids are ``"<kind>:<full id>"``. Each node has ``kind`` (one of
        :data:`NODE_KINDS`), ``label``, ``hashes`` (name -> full 64-hex hash) and ``details``
        (a JSON-safe dict). Each edge has ``relation``. ``G.graph`` holds ``root`` (``kind``,
        ``id``), ``run_key`` and ``dataset_id_v2``.

    Raises
    ------
    NotFoundError
        For a reference that matches nothing or is ambiguous.
    """
    root_kind, root_id = resolve_lineage_ref(store, ref)
    run_key, instances, cands = _scope(store, root_kind, root_id)
    b = _Builder()
    run = store.one("runs.get", (run_key,))
    ds_node, run_node, code_node = _run_nodes(store, b, run)

    # Instances, and every artifact the instances and the candidates' reports touched.
    reports = [r for c in cands for r in store.all("eligibility_reports.of_candidate", (c,))]
    lineage = _lineage_rows(store, instances, [r["eligibility_report_id"] for r in reports])
    artifact_nodes = _artifact_nodes(store, b, lineage, run, ds_node, run_node, code_node)
    for inst_id in instances:
        inst = store.one("run_instances.get", (inst_id,))
        node = b.node(f"run_instance:{inst_id}", "run_instance",
                      f"{inst['purpose']} #{inst['seq']}", {"run_instance_id": inst_id},
                      {"seq": inst["seq"], "purpose": inst["purpose"],
                       "replay_of": inst["replay_of"], "started_at": inst["started_at"],
                       "finished_at": inst["finished_at"], "actor": inst["actor"],
                       "summary": json.loads(inst["result_json"]).get("summary", {})})
        b.edge(run_node, node, "instance")
    _governance_nodes(store, b, cands, reports)
    for row in lineage:
        a = artifact_nodes[row["artifact_id"]]
        if row["run_instance_id"] is not None:
            inst = f"run_instance:{row['run_instance_id']}"
            if row["role"] == "input":
                b.edge(a, inst, "input")
            else:
                b.edge(inst, a, "output")
        else:
            b.edge(a, f"report:{row['eligibility_report_id']}", "input")
    ids = sorted(artifact_nodes)
    for e in store.all("artifact_edges.among", (json.dumps(ids),)):
        b.edge(artifact_nodes[e["parent_id"]], artifact_nodes[e["child_id"]], e["relation"])
    _seed_nodes(store, b, lineage, artifact_nodes)

    b.G.graph.update(root={"kind": root_kind, "id": root_id}, run_key=run_key,
                     dataset_id_v2=run["dataset_id_v2"])
    return b.G


def _run_nodes(store: Store, b: _Builder, run: Any) -> tuple[str, str, str | None]:
    ds_id = run["dataset_id_v2"]
    ds = store.one("datasets.with_blob_meta", (ds_id,))
    names = [r["name"] for r in store.all("dataset_names.of_dataset", (ds_id,))]
    ds_node = b.node(f"dataset:{ds_id}", "dataset", names[0] if names else "dataset",
                     {"dataset_id_v2": ds_id},
                     {"names": names, "source": ds["source"],
                      "summary": json.loads(ds["summary_json"]),
                      "media_type": ds["media_type"], "size": ds["size"]})
    hashes = {"run_key": run["run_key"]}
    if run["code_hash"]:
        hashes["code_hash"] = run["code_hash"]
    run_node = b.node(f"run:{run['run_key']}", "run", run["name"] or run["family"], hashes,
                      {"name": run["name"], "family": run["family"],
                       "engine_version": run["engine_version"],
                       "identity_schema_version": run["identity_schema_version"],
                       "created_at": run["created_at"],
                       "config": json.loads(run["config_json"])})
    b.edge(ds_node, run_node, "hashed_into")
    code_node = None
    if run["code_hash"]:
        code = store.one("artifact_lineage.first_code_of_run", (run["run_key"],))
        code_hashes = {"code_hash": run["code_hash"]}
        if code is not None:
            code_hashes["artifact_id"] = code["artifact_id"]
        code_node = b.node(f"code:{run['code_hash']}", "code", run["code_entry_point"],
                           code_hashes, {"entry_point": run["code_entry_point"],
                                         "source": run["code_source"]})
        b.edge(code_node, run_node, "hashed_into")
    return ds_node, run_node, code_node


def _lineage_rows(store: Store, instances: list[str], report_ids: list[str]) -> list[Any]:
    return store.all("artifact_lineage.with_meta_of",
                     (json.dumps(instances), json.dumps(report_ids)))


def _artifact_nodes(store: Store, b: _Builder, lineage: list[Any], run: Any, ds_node: str,
                    run_node: str, code_node: str | None) -> dict[str, str]:
    """artifact id -> node id; plain artifacts become ``artifact`` nodes."""
    kinds: dict[str, set[str]] = {}
    roles: dict[str, set[str]] = {}
    meta: dict[str, Any] = {}
    for row in lineage:
        kinds.setdefault(row["artifact_id"], set()).add(row["kind"])
        roles.setdefault(row["artifact_id"], set()).add(row["role"])
        meta[row["artifact_id"]] = row
    out: dict[str, str] = {}
    for aid in sorted(kinds):
        if aid == run["dataset_id_v2"]:
            out[aid] = ds_node
        elif aid == run["run_key"]:
            out[aid] = run_node
        elif kinds[aid] == {"code"} and code_node is not None:
            out[aid] = code_node
        else:
            names = sorted(kinds[aid])
            out[aid] = b.node(f"artifact:{aid}", "artifact", "+".join(names),
                              {"artifact_id": aid},
                              {"artifact_kinds": names, "roles": sorted(roles[aid]),
                               "media_type": meta[aid]["media_type"],
                               "size": meta[aid]["size"]})
    return out


def _seed_nodes(store: Store, b: _Builder, lineage: list[Any],
                artifact_nodes: dict[str, str]) -> None:
    for aid in sorted({r["artifact_id"] for r in lineage if r["kind"] == "seed_records"}):
        got = store.read_artifact(aid)
        try:
            records = json.loads(got[1])["records"]
        except (TypeError, ValueError, KeyError):  # a damaged blob: `qrp verify` reports it
            continue
        for rec in sorted(records, key=lambda r: (str(r.get("salt")), str(r.get("root")))):
            node = b.node(f"seed:{rec['root']}", "seed", f"seed {rec.get('salt')}",
                          {"seed_root": rec["root"]}, rec)
            b.edge(artifact_nodes[aid], node, "contains")


def _governance_nodes(store: Store, b: _Builder, cands: list[str], reports: list[Any]) -> None:
    for cid in cands:
        c = store.one("promotion_candidates.with_trial", (cid,))
        node = b.node(f"candidate:{cid}", "candidate",
                      f"trial #{c['trial_index']} {c['status']}", {"candidate_id": cid},
                      {"status": c["status"], "trial_index": c["trial_index"],
                       "params": json.loads(c["params_json"]),
                       "metrics": json.loads(c["metrics_json"]),
                       "run_instance_id": c["run_instance_id"],
                       "eligibility_report_id": c["eligibility_report_id"]})
        b.edge(f"run_instance:{c['run_instance_id']}", node, "candidate")
    for r in reports:
        rid = r["eligibility_report_id"]
        payload = json.loads(r["payload_json"])
        node = b.node(f"report:{rid}", "report",
                      f"{r['level']} {'passed' if r['passed'] else 'failed'}",
                      {"eligibility_report_id": rid, "policy_hash": r["policy_hash"]},
                      {"level": r["level"], "passed": bool(r["passed"]),
                       "policy": payload.get("policy"), "created_at": r["created_at"],
                       "blockers": payload.get("blockers", []),
                       "warnings": payload.get("warnings", []),
                       "rules": [{k: rule.get(k) for k in ("rule", "metric", "value", "op",
                                                           "threshold", "verdict", "severity")}
                                 for rule in payload.get("rules", [])]})
        b.edge(f"candidate:{r['candidate_id']}", node, "evaluates")
    for e in store.all("governance_events.of_candidates", (json.dumps(cands),)):
        p = json.loads(e["payload_json"])
        node = b.node(f"event:{e['event_hash']}", "event", f"#{e['seq']} {e['kind']}",
                      {"event_hash": e["event_hash"], "prev_hash": e["prev_hash"]},
                      {"seq": e["seq"], "kind": e["kind"], "at": p.get("at"),
                       "actor": p.get("actor"), "from_status": p.get("from_status"),
                       "to_status": p.get("to_status"), "reason": p.get("reason"),
                       "eligibility_report_id": p.get("eligibility_report_id")})
        report = f"report:{p.get('eligibility_report_id')}"
        b.edge(report if report in b.G else f"candidate:{e['candidate_id']}", node, "records")

"""The lineage DAG read from a real store: exact nodes and edges, deterministic layout."""

from __future__ import annotations

import json
import random

import networkx as nx
import pytest

from qrp_jupyter.errors import NotFoundError
from qrp_jupyter.governance import create_candidate, promote, reject
from qrp_jupyter.lineage import (MIME_LINEAGE, graph_payload, layered_layout, lineage_graph,
                                 lineage_payload, node_layers)
from qrp_jupyter.runs import replay_run

import insider

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture
def promoted(world):
    """The edge run's best trial promoted to candidate: one report, two events."""
    cand = create_candidate(world.store, world.edge.run_instance_id)
    res = promote(world.store, cand["candidate_id"], "candidate")
    assert res.passed
    return cand["candidate_id"], res


def seed_roots(store, artifacts):
    return [r["root"] for r in json.loads(store.get_artifact(artifacts["seed_records"]))
            ["records"]]


def test_candidate_graph_has_exactly_the_nodes_of_its_chain(world, promoted):
    cid, res = promoted
    e = world.edge
    G = lineage_graph(world.store, cid)
    expected = {f"dataset:{e.dataset_id_v2}", f"run:{e.run_key}",
                f"run_instance:{e.run_instance_id}", f"candidate:{cid}",
                f"report:{res.eligibility_report_id}"}
    expected |= {f"artifact:{aid}" for kind, aid in e.artifacts.items()
                 if kind not in ("dataset", "run_key_payload")}
    expected.add(f"artifact:{res.report['evidence']['sharpe_evidence']}")
    expected |= {f"seed:{root}" for root in seed_roots(world.store, e.artifacts)}
    expected |= {f"event:{r['event_hash']}" for r in insider.rows(world.store,
        "SELECT event_hash FROM governance_events WHERE candidate_id = ?", (cid,))}
    assert set(G.nodes) == expected
    assert G.graph == {"root": {"kind": "candidate", "id": cid}, "run_key": e.run_key,
                       "dataset_id_v2": e.dataset_id_v2}
    for node, attrs in G.nodes(data=True):
        assert set(attrs) == {"kind", "label", "hashes", "details"}
        assert node.split(":", 1)[0] == attrs["kind"]
        assert node.split(":", 1)[1] in attrs["hashes"].values()
        json.dumps(attrs, allow_nan=False)  # JSON-safe


def test_edges_follow_the_store_upstream_to_downstream(world, promoted):
    cid, res = promoted
    e = world.edge
    G = lineage_graph(world.store, cid)
    a = {k: f"artifact:{v}" for k, v in e.artifacts.items()}
    inst, run, ds = (f"run_instance:{e.run_instance_id}", f"run:{e.run_key}",
                     f"dataset:{e.dataset_id_v2}")
    report = f"report:{res.eligibility_report_id}"
    rel = nx.get_edge_attributes(G, "relation")
    assert rel[ds, run] == "hashed_into"
    assert rel[run, inst] == "input+instance"      # run -> instance and its run_key_payload
    assert rel[ds, inst] == "input"
    assert rel[inst, a["returns_matrix"]] == "output"
    assert rel[ds, a["returns_matrix"]] == "derived_from"
    assert rel[a["returns_matrix"], a["metrics_table"]] == "derived_from"
    assert rel[a["null_distribution"], a["reality_check"]] == "summarizes"
    assert rel[a["seed_records"], a["null_distribution"]] == "seeded_by"
    assert rel[inst, f"candidate:{cid}"] == "candidate"
    assert rel[f"candidate:{cid}", report] == "evaluates"
    assert rel[a["metrics_table"], report] == "input"
    for root in seed_roots(world.store, e.artifacts):
        assert rel[a["seed_records"], f"seed:{root}"] == "contains"
    kinds = {ev["kind"]: f"event:{ev['event_hash']}" for ev in insider.rows(world.store,
        "SELECT kind, event_hash FROM governance_events WHERE candidate_id = ?", (cid,))}
    assert rel[report, kinds["promoted"]] == "records"
    assert rel[f"candidate:{cid}", kinds["candidate_created"]] == "records"
    # Every stored artifact edge among the nodes is in the graph, parent -> child.
    ids = {n.split(":", 1)[1]: n for n in G if n.startswith("artifact:")}
    stored = [r for r in insider.rows(world.store, "SELECT * FROM artifact_edges")
              if r["child_id"] in ids and r["parent_id"] in ids]
    assert stored
    for r in stored:
        assert r["relation"] in rel[ids[r["parent_id"]], ids[r["child_id"]]].split("+")
    assert nx.is_directed_acyclic_graph(G)
    assert {n for n in G if G.in_degree(n) == 0} == {ds}


def test_scope_of_run_instance_and_candidate_references(world):
    e = world.edge
    c0 = create_candidate(world.store, e.run_instance_id, 0)["candidate_id"]
    c1 = create_candidate(world.store, e.run_instance_id, 1)["candidate_id"]
    reject(world.store, c1, "too similar to trial 0")
    by_run = lineage_graph(world.store, e.run_key)
    by_cand = lineage_graph(world.store, c0[:8])
    def cands(G):
        return {n for n, k in G.nodes(data="kind") if k == "candidate"}
    assert cands(by_run) == {f"candidate:{c0}", f"candidate:{c1}"}
    assert cands(by_cand) == {f"candidate:{c0}"}
    assert by_run.graph["root"] == {"kind": "run", "id": e.run_key}
    events = [n for n, k in by_run.nodes(data="kind") if k == "event"]
    assert len(events) == 3  # two created, one rejected
    rejected = next(n for n in events if by_run.nodes[n]["details"]["kind"] == "rejected")
    assert by_run.nodes[rejected]["details"]["reason"] == "too similar to trial 0"
    # The noise run's graph shares nothing run-specific with the edge run's.
    noise = lineage_graph(world.store, world.noise.run_instance_id)
    assert f"run:{e.run_key}" not in noise and f"run:{world.noise.run_key}" in noise


def test_a_replay_joins_the_instance_lineage_with_its_attestation(world):
    out = replay_run(world.store, world.edge.run_instance_id)
    G = lineage_graph(world.store, world.edge.run_instance_id)
    rep = f"run_instance:{out.run_instance_id}"
    assert rep in G and G.nodes[rep]["details"]["replay_of"] == world.edge.run_instance_id
    att = f"artifact:{out.artifacts['replay_attestation']}"
    assert G.edges[rep, att]["relation"] == "output"
    rm = f"artifact:{world.edge.artifacts['returns_matrix']}"
    assert "attests" in G.edges[rm, att]["relation"]
    # Identical outputs: the replay instance produced the very same returns matrix node.
    assert G.has_edge(rep, rm) and G.has_edge(f"run_instance:{world.edge.run_instance_id}", rm)


def test_layout_is_layered_and_identical_however_the_graph_was_built(world, promoted):
    cid, _ = promoted
    G = lineage_graph(world.store, cid)
    pos = layered_layout(G)
    assert pos == layered_layout(lineage_graph(world.store, cid))
    # Rebuild with nodes and edges inserted in a shuffled order: same coordinates.
    H = nx.DiGraph()
    nodes, edges = list(G.nodes(data=True)), list(G.edges(data=True))
    random.Random(3).shuffle(nodes)
    random.Random(4).shuffle(edges)
    H.add_nodes_from(nodes)
    H.add_edges_from(edges)
    assert layered_layout(H) == pos
    for u, v in G.edges:
        assert pos[u][0] < pos[v][0], (u, v)
    layers = node_layers(G)
    for v in G:
        preds = [layers[u] for u in G.predecessors(v)]
        assert layers[v] == (max(preds) + 1 if preds else 0)  # longest path from the sources
    e = world.edge
    assert pos[f"dataset:{e.dataset_id_v2}"] == (0.0, 0.0)
    last = max(x for x, _ in pos.values())
    assert {G.nodes[n]["kind"] for n in G if pos[n][0] == last} == {"event"}
    for x in {p[0] for p in pos.values()}:
        ys = sorted(p[1] for p in pos.values() if p[0] == x)
        n = len(ys)
        assert ys == [i - (n - 1) / 2 for i in range(n)]  # centred, unit steps, no overlap


def test_barycentric_order_and_cycles():
    G = nx.DiGraph([("s", "b"), ("s", "a"), ("a", "y"), ("b", "x")])
    pos = layered_layout(G)
    # x follows b, y follows a: children keep their parents' order (no crossing).
    assert (pos["a"][1] < pos["b"][1]) == (pos["y"][1] < pos["x"][1])
    C = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])
    assert layered_layout(C) == layered_layout(C.copy())
    assert len(set(layered_layout(C).values())) == 4
    assert layered_layout(nx.DiGraph()) == {}


def test_payload_is_deterministic_json_with_layout(world, promoted):
    cid, _ = promoted
    p = lineage_payload(world.store, cid)
    assert p["mime"] == MIME_LINEAGE and p["qrp_mime_version"] == 1
    assert p == lineage_payload(world.store, cid[:7].upper())
    text = json.dumps(p, sort_keys=True, allow_nan=False)
    assert text == json.dumps(lineage_payload(world.store, cid), sort_keys=True)
    G = lineage_graph(world.store, cid)
    assert p == graph_payload(G)
    pos = layered_layout(G)
    assert [n["id"] for n in p["nodes"]] == sorted(G.nodes)
    assert all((n["x"], n["y"]) == pos[n["id"]] for n in p["nodes"])
    assert {(e["source"], e["target"]) for e in p["edges"]} == set(G.edges)
    assert p["layout"]["n_layers"] == int(max(x for x, _ in pos.values())) + 1


@pytest.mark.parametrize("ref, message", [
    ("", "not a hex id"), ("zzzzzzzz", "not a hex id"), ("abc", "not a hex id"),
    ("0123456789", "no run, run instance or candidate"),
])
def test_bad_references_say_what_to_do(world, ref, message):
    with pytest.raises(NotFoundError, match=message) as info:
        lineage_graph(world.store, ref)
    assert info.value.fix

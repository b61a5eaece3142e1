"""The ``application/vnd.qrp.lineage+json`` payload: the lineage graph with its layout."""

from __future__ import annotations

from typing import Any

import networkx as nx

from ..store import Store
from .graph import lineage_graph
from .layout import layered_layout
from .mime import MIME_LINEAGE, MIME_VERSION

__all__ = ["lineage_payload", "graph_payload"]


def graph_payload(G: nx.DiGraph) -> dict[str, Any]:
    """The lineage payload of an already built graph (see :func:`lineage_payload`)."""
    layout = layered_layout(G)
    nodes = [{"id": n, "kind": a["kind"], "label": a["label"], "x": layout[n][0],
              "y": layout[n][1], "hashes": dict(sorted(a["hashes"].items())),
              "details": a["details"]}
             for n, a in sorted(G.nodes(data=True), key=lambda item: item[0])]
    edges = [{"source": u, "target": v, "relation": a["relation"]}
             for u, v, a in sorted(G.edges(data=True), key=lambda e: (e[0], e[1]))]
    n_layers = int(max((n["x"] for n in nodes), default=-1)) + 1
    return {
        "qrp_mime_version": MIME_VERSION, "mime": MIME_LINEAGE,
        "root": dict(G.graph["root"]), "run_key": G.graph["run_key"],
        "dataset_id_v2": G.graph["dataset_id_v2"],
        "layout": {"algorithm": "layered-longest-path-barycentre", "direction": "left-to-right",
                   "n_layers": n_layers},
        "nodes": nodes, "edges": edges,
    }


def lineage_payload(store: Store, ref: str) -> dict[str, Any]:
    """JSON for ``application/vnd.qrp.lineage+json``: nodes with layout and hashes, edges.

    Parameters
    ----------
    store
        An open QRP store; nothing is written.
    ref
        A run_key, run_instance_id or candidate_id, or a unique prefix of one.

    Returns
    -------
    dict
        ``qrp_mime_version``, ``mime``, ``root``, ``run_key``, ``dataset_id_v2``, ``layout``,
        ``nodes`` (sorted by id; each with ``x``/``y`` from :func:`layered_layout`) and
        ``edges`` (sorted by source, target). The same store gives the same payload, and any
        prefix of the same id gives the same payload. ``docs/mime-types.md`` lists every field.
    """
    return graph_payload(lineage_graph(store, ref))

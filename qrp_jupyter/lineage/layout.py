"""A deterministic layered layout of a lineage DAG (no randomness, no floating tie-breaks).

Layers follow the longest path from the sources (Sugiyama's first step): a node sits one layer
after its deepest predecessor, so data and code are in layer 0 and governance events last.
Within a layer nodes are ordered by the barycentre of their neighbours' positions in the
adjacent layers, sweeping down then up a fixed number of times; ties go to the node id. The
same graph therefore always gives the same coordinates, whatever order it was built in.
"""

from __future__ import annotations

from typing import Hashable

import networkx as nx

__all__ = ["layered_layout", "node_layers"]

#: Down-and-up barycentre sweeps; a fixed count, so the result never depends on convergence.
_SWEEPS = 4


def _acyclic_edges(G: nx.DiGraph) -> list[tuple[Hashable, Hashable]]:
    """The edges of ``G`` minus back edges of a DFS in sorted order (a DAG keeps them all)."""
    if nx.is_directed_acyclic_graph(G):
        return sorted(G.edges(), key=lambda e: (str(e[0]), str(e[1])))
    state: dict[Hashable, int] = {}
    keep = []

    for start in sorted(G.nodes, key=str):
        if start in state:
            continue
        stack = [(start, iter(sorted(G.successors(start), key=str)))]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                continue  # a back edge: drop it so the layering stays finite
            else:
                keep.append((node, nxt))
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(sorted(G.successors(nxt), key=str))))
    return sorted(keep, key=lambda e: (str(e[0]), str(e[1])))


def node_layers(G: nx.DiGraph) -> dict[Hashable, int]:
    """Layer of every node: 0 for a source, else 1 + the deepest predecessor's layer.

    A cyclic graph (only a damaged store can give one) is first made acyclic by dropping the
    back edges of a depth-first search in sorted node order.
    """
    D = nx.DiGraph()
    D.add_nodes_from(G.nodes)
    D.add_edges_from(_acyclic_edges(G))
    layer: dict[Hashable, int] = {}
    for node in nx.lexicographical_topological_sort(D, key=str):
        layer[node] = max((layer[p] + 1 for p in D.predecessors(node)), default=0)
    return layer


def layered_layout(G: nx.DiGraph) -> dict[Hashable, tuple[float, float]]:
    """Deterministic coordinates ``node -> (x, y)`` for a lineage graph.

    Parameters
    ----------
    G
        A directed graph whose edges point downstream (as :func:`lineage_graph` builds).

    Returns
    -------
    dict
        ``x`` is the node's layer (0 = sources: data and code; the last layer holds governance
        events), ``y`` its position within the layer, centred on 0 in steps of 1. Same graph
        -> identical dict.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([("data", "run"), ("run", "a"), ("run", "b"), ("a", "c"), ("b", "c")])
    >>> layered_layout(G)["c"], layered_layout(G)["a"], layered_layout(G)["b"]
    ((3.0, 0.0), (2.0, -0.5), (2.0, 0.5))
    """
    layer = node_layers(G)
    n_layers = max(layer.values(), default=-1) + 1
    rows: list[list[Hashable]] = [[] for _ in range(n_layers)]
    for node in sorted(layer, key=str):
        rows[layer[node]].append(node)
    pos = {node: i - (len(row) - 1) / 2 for row in rows for i, node in enumerate(row)}

    def reorder(row: list[Hashable], neighbours) -> list[Hashable]:
        def bary(node: Hashable) -> float:
            near = [pos[n] for n in neighbours(node)]
            return sum(near) / len(near) if near else pos[node]
        ordered = sorted(row, key=lambda n: (bary(n), str(n)))
        for i, node in enumerate(ordered):
            pos[node] = i - (len(ordered) - 1) / 2
        return ordered

    for _ in range(_SWEEPS):
        for i in range(1, n_layers):
            rows[i] = reorder(rows[i], lambda n: [p for p in G.predecessors(n)
                                                  if layer[p] < layer[n]])
        for i in range(n_layers - 2, -1, -1):
            rows[i] = reorder(rows[i], lambda n: [s for s in G.successors(n)
                                                  if layer[s] > layer[n]])
    return {node: (float(layer[node]), pos[node]) for row in rows for node in row}

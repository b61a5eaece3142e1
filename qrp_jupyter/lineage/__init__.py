"""Lineage: the DAG behind a run or a candidate, read from the store, with a deterministic
layered layout and its ``application/vnd.qrp.lineage+json`` payload."""

from .graph import NODE_KINDS, lineage_graph, resolve_lineage_ref
from .layout import layered_layout, node_layers
from .mime import (MIME_AUDIT, MIME_CANDIDATES, MIME_EVENT, MIME_LINEAGE, MIME_REPORT, MIME_RUN,
                   MIME_TYPES, MIME_VERIFY, MIME_VERSION)
from .payload import graph_payload, lineage_payload

__all__ = [
    "NODE_KINDS", "lineage_graph", "resolve_lineage_ref", "layered_layout", "node_layers",
    "graph_payload", "lineage_payload",
    "MIME_RUN", "MIME_LINEAGE", "MIME_AUDIT", "MIME_REPORT", "MIME_CANDIDATES", "MIME_VERIFY",
    "MIME_EVENT", "MIME_TYPES", "MIME_VERSION",
]

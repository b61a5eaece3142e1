"""Writes of the research record: datasets and their names, runs with their trials, run
instances, and the lineage rows and edges of their artifacts.

Each function runs inside :meth:`Store.transaction` (joining the caller's, or opening one), and
"insert if absent" is an explicit check then a plain ``INSERT`` under the same write lock: the
store refuses any insert whose key exists, so ``INSERT OR IGNORE`` is never used.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from .db import Store

__all__ = ["add_dataset", "insert_run", "next_instance_seq", "insert_instance",
           "add_instance_lineage", "add_edges"]


def add_dataset(store: Store, *, dataset_id_v2: str, source: str, summary_json: str,
                name: str | None, at: str) -> bool:
    """Record a dataset (whose bytes are already the artifact ``dataset_id_v2``) and a name for
    it, each unless already present. Returns whether the dataset row is new."""
    with store.transaction():
        new = not store.exists("datasets", "dataset_id_v2", dataset_id_v2)
        if new:
            store.write("datasets.insert",
                        (dataset_id_v2, dataset_id_v2, source, summary_json, at))
        if name and store.one("dataset_names.exists", (name, dataset_id_v2)) is None:
            store.write("dataset_names.insert", (name, dataset_id_v2, at))
    return new


def insert_run(store: Store, run: Sequence[Any], trials: Iterable[Sequence[Any]]) -> None:
    """Insert a run row (the columns of ``runs.insert``) together with its trial rows."""
    with store.transaction():
        store.write("runs.insert", run)
        store.write_many("trials.insert", trials)


def next_instance_seq(store: Store, run_key: str) -> int:
    """The sequence number the next instance of ``run_key`` gets (1 for the first)."""
    return int(store.one("run_instances.next_seq", (run_key,))["seq"])


def insert_instance(store: Store, row: Sequence[Any]) -> None:
    """Insert one run instance (the columns of ``run_instances.insert``)."""
    with store.transaction():
        store.write("run_instances.insert", row)


def add_instance_lineage(store: Store, rows: Iterable[Sequence[Any]]) -> None:
    """Lineage rows ``(artifact_id, run_instance_id, role, kind, created_at)``."""
    with store.transaction():
        store.write_many("artifact_lineage.insert_for_instance", rows)


def add_edges(store: Store, edges: Iterable[tuple[str, str, str, str]]) -> int:
    """Artifact edges ``(child_id, parent_id, relation, created_at)``, each unless present
    (a blob shared by runs already has its edges). Returns how many were new."""
    n = 0
    with store.transaction():
        for child, parent, relation, at in edges:
            if store.one("artifact_edges.exists", (child, parent, relation)) is None:
                store.write("artifact_edges.insert", (child, parent, relation, at))
                n += 1
    return n

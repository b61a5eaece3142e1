"""The store's runs as rows: the one listing behind ``qrp runs`` and ``%qrp_runs``."""

from __future__ import annotations

from typing import Any

from ..store import Store

__all__ = ["RUN_LISTING_COLUMNS", "list_runs"]

#: The keys of every row of :func:`list_runs`, in display order.
RUN_LISTING_COLUMNS = ("run_key", "name", "family", "dataset_id_v2", "code_hash",
                       "engine_version", "instances", "replays", "created_at")

def list_runs(store: Store) -> list[dict[str, Any]]:
    """Every run in ``store``, oldest first (ties by run_key), as dicts with the keys of
    :data:`RUN_LISTING_COLUMNS`; ``instances`` counts executions for the record and
    ``replays`` re-executions from the store (each replay is its own run instance)."""
    return [{c: r[c] for c in RUN_LISTING_COLUMNS} for r in store.all("runs.listing")]

"""``%qrp_lineage``: the lineage DAG of a run or candidate as a :class:`LineageWidget`."""

from __future__ import annotations

from typing import Any

__all__ = ["lineage_magic"]


def lineage_magic(magics: Any, args: Any):
    from qrp_jupyter.store import open_store

    from ..widgets import LineageWidget

    with open_store(magics.store_path(args.db), create=False, readonly=True) as store:
        return LineageWidget.from_store(store, args.ref, source=magics.cell_source)

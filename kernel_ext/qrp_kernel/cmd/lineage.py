"""``%qrp_lineage``: the lineage DAG of a run or candidate as a :class:`LineageWidget`, or with
``--static`` as the core's static bundle alone."""

from __future__ import annotations

from typing import Any

from ..display import Rich

__all__ = ["lineage_magic"]


def lineage_magic(magics: Any, args: Any):
    from qrp_jupyter.lineage import resolve_lineage_ref
    from qrp_jupyter.store import open_store
    from qrp_jupyter.views import MIME_LINEAGE, render_bundle

    with open_store(magics.store_path(args.db), create=False, readonly=True) as store:
        if args.static:
            _, root = resolve_lineage_ref(store, args.ref)
            bundle = render_bundle(store, MIME_LINEAGE, {"ref": root},
                                   source=magics.cell_source)
            return Rich(bundle, bundle[MIME_LINEAGE])
        from ..widgets import LineageWidget

        return LineageWidget.from_store(store, args.ref, source=magics.cell_source)

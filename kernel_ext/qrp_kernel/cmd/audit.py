"""``%qrp_audit``: a candidate's chain of evidence, rebuilt and verified from the store."""

from __future__ import annotations

from typing import Any

from ..display import Rich
from ..errors import usage_error

__all__ = ["audit_magic"]


def audit_magic(magics: Any, args: Any) -> Rich:
    """The core's audit bundle; when a check fails it is shown, then raised as a UsageError."""
    from IPython.display import display
    from qrp_jupyter.governance import resolve_candidate
    from qrp_jupyter.store import open_store
    from qrp_jupyter.views import MIME_AUDIT, render_bundle

    with open_store(magics.store_path(args.db), create=False, readonly=True) as store:
        cid = resolve_candidate(store, args.ref)["candidate_id"]
        bundle = render_bundle(store, MIME_AUDIT, {"ref": cid}, source=magics.cell_source)
    payload = bundle.get(MIME_AUDIT, {})
    out = Rich(bundle, payload)
    failed = [c for c in payload.get("checks", []) if not c.get("ok", True)]
    if payload.get("ok") is False or failed:
        display(out)
        names = ", ".join(c.get("check", "?") for c in failed[:5]) or "see the checks above"
        raise usage_error("%qrp_audit", f"the evidence of candidate {args.ref} does not verify "
                          f"({len(failed)} failed check(s): {names})", where=magics.store_path(
                              args.db), fix="do not rely on this candidate; run %qrp_verify to "
                                            "locate the tampering and restore the store")
    return out

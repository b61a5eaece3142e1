"""``%qrp_verify``: every hash and invariant of the store, or a saved notebook against it."""

from __future__ import annotations

from typing import Any

from ..display import Rich, text_bundle
from ..errors import usage_error

__all__ = ["verify_magic"]


def verify_magic(magics: Any, args: Any) -> Rich:
    from IPython.display import display
    from qrp_jupyter.audit import verify, verify_notebook
    from qrp_jupyter.store import open_store

    db = magics.store_path(args.db)
    with open_store(db, create=False) as store:
        rep = verify_notebook(store, args.notebook) if args.notebook else verify(store)
    subject = f"notebook {args.notebook}" if args.notebook else f"store {db}"
    out = Rich(text_bundle(rep.text(), title=f"qrp verify: {subject}"), rep)
    if not rep.ok:
        display(out)
        n = len(rep.to_dict().get("problems", []))
        raise usage_error("%qrp_verify", f"{subject} has {n} problem(s), listed above",
                          where=subject, fix="treat its evidence as untrusted: restore the "
                                             "file from a backup or re-run the research")
    return out

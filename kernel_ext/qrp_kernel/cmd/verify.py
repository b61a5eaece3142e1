"""``%qrp_verify`` and ``%qrp_digest``: every hash and invariant of the store (or a saved
notebook against it), and the ledger head to record outside the file."""

from __future__ import annotations

import re
from typing import Any

from ..display import Rich
from ..errors import usage_error

__all__ = ["verify_magic", "digest_magic"]

_HEX64 = re.compile(r"[0-9a-f]{64}")


def _digests(args: Any) -> list[str]:
    out = []
    for d in args.digest or []:
        if not _HEX64.fullmatch(d.strip().lower()):
            raise usage_error("%qrp_verify", f"{d[:80]!r} is not a ledger digest",
                              where="--digest", fix="a digest is the 64 hex characters "
                                                    "%qrp_digest prints last")
        out.append(d.strip().lower())
    for flag, given in (("--digest", out), ("--replay", args.replay)):
        if given and args.notebook:
            raise usage_error("%qrp_verify", f"{flag} checks the store, not a notebook",
                              where=flag, fix=f"verify the store with {flag}, and the "
                                              "notebook in another call")
    return out


def _replay(store: Any, db: str) -> None:
    """``--replay``: re-execute each run behind a live promotion; print one line per run (not
    part of the re-renderable verify payload: the times differ on every call), raise on any
    mismatch."""
    from qrp_jupyter.audit import VerifyReport
    from qrp_jupyter.governance import verify_replays

    rep = verify_replays(store, VerifyReport(path=db))
    for r in rep.replays:
        print(f"replay {r['run_instance_id'][:12]} (candidate(s) "
              f"{', '.join(c[:12] for c in r['candidates'])}): "
              f"{'IDENTICAL' if r['match'] else 'DIFFERENT: ' + str(r['reason'])} "
              f"in {r['seconds']:.2f} s")
    if not rep.replays:
        print("replay: no candidate or accepted status to re-execute")
    if not rep.ok:
        raise usage_error("%qrp_verify", f"{len(rep.problems)} run(s) behind a live promotion "
                          "do not reproduce their evidence, listed above", where=db,
                          fix="treat those promotions as unsupported: reject them and re-run "
                              "the research")


def verify_magic(magics: Any, args: Any) -> Rich:
    """The verify output (``application/vnd.qrp.verify+json``); problems are shown, then
    raised as a one-line UsageError."""
    from IPython.display import display
    from qrp_jupyter.store import open_store
    from qrp_jupyter.views import MIME_VERIFY, render_bundle, verify_render

    db = magics.store_path(args.db)
    render = verify_render(target=args.notebook or db, notebook=args.notebook,
                           digests=_digests(args))
    with open_store(db, create=False, readonly=not args.replay) as store:
        bundle = render_bundle(store, MIME_VERIFY, render, source=magics.cell_source)
        payload = bundle[MIME_VERIFY]
        if args.replay and payload["ok"]:
            _replay(store, db)
    out = Rich(bundle, payload)
    if not payload["ok"]:
        display(out)
        subject = f"{payload['subject']} {payload['target']}"
        raise usage_error("%qrp_verify", f"{subject} has {len(payload['problems'])} "
                          "problem(s), listed above", where=subject,
                          fix="treat its evidence as untrusted: restore the file from a backup "
                              "or re-run the research")
    return out


def digest_magic(magics: Any, args: Any) -> dict[str, Any]:
    """Print the ledger head as ``qrp digest`` does and return it."""
    from qrp_jupyter.audit import digest_text, ledger_digest
    from qrp_jupyter.store import open_store

    with open_store(magics.store_path(args.db), create=False, readonly=True) as store:
        d = ledger_digest(store)
    print(digest_text(d))
    return d

"""``%qrp_promote``: evaluate a candidate against the policy, or end it with a reason.

Mirrors ``qrp candidates add RUN`` + ``qrp promote CANDIDATE --to LEVEL`` (and ``qrp reject`` /
``qrp retire``). Every check that can fail without evaluating evidence is made before anything
is written: the level, the reason, and whether a run may be turned into a candidate here. Bad
input (an unknown reference, a wrong level, an illegal transition) is a one-line ``UsageError``
and writes nothing.

A *refused* promotion is not an error: it is an outcome of the research, recorded like a
successful one (the failing eligibility report and a ``promotion_refused`` event). The magic
returns it exactly as it returns a success, a :class:`~qrp_kernel.display.Rich` whose ``.data``
is the :class:`qrp_jupyter.governance.PromotionResult`; IPython shows its report (``REFUSED:``,
every rule, then the blockers in words). Raising would stop ``Run All`` at the very cell a
reviewer needs to read, and would make a notebook that demonstrates a refusal fail in CI.
"""

from __future__ import annotations

from typing import Any

from ..display import Rich
from ..errors import usage_error

__all__ = ["promote_magic", "promote_run", "promotion_bundle"]

_ENDS = ("rejected", "retired")

def promotion_bundle(store: Any, res: Any, *, source: str | None = None) -> dict[str, Any]:
    """The core's report bundle (``application/vnd.qrp.report+json``) of a
    :class:`qrp_jupyter.governance.PromotionResult`, stamped with the cell's ``source``."""
    from qrp_jupyter.views import MIME_REPORT, render_bundle

    return render_bundle(store, MIME_REPORT, {"ref": res.eligibility_report_id}, source=source)


def _check_level(to: str, reason: str | None) -> None:
    from qrp_jupyter.store import LEVELS

    if to not in LEVELS + _ENDS:
        raise usage_error("%qrp_promote", f"unknown level {to!r}", where="--to",
                          fix=f"use one of {', '.join(LEVELS + _ENDS)} (lower case)")
    if to in LEVELS and reason is not None:
        raise usage_error("%qrp_promote", f"--reason is not recorded for a promotion to {to!r}",
                          where="--reason", fix="drop --reason: the eligibility report is the "
                                                "promotion's record; reasons go with rejected | "
                                                "retired")


def _candidate_or_none(store: Any, ref: str) -> dict[str, Any] | None:
    from qrp_jupyter.errors import NotFoundError
    from qrp_jupyter.governance import resolve_candidate

    try:
        return resolve_candidate(store, ref)
    except NotFoundError:
        return None


def promote_run(store: Any, run_ref: str, to: str, *, trial: int | None = None,
                source: str | None = None) -> Rich:
    """Candidate of one trial of a run (created once), then promoted to ``to``."""
    from qrp_jupyter.governance import create_candidate, promote

    cand = create_candidate(store, run_ref, trial)
    res = promote(store, cand["candidate_id"], to)
    return Rich(promotion_bundle(store, res, source=source), res)


def promote_magic(magics: Any, args: Any) -> Rich:
    """The promotion (or end) asked for; passed or refused, the outcome is returned."""
    from qrp_jupyter.governance import promote, reject, retire
    from qrp_jupyter.runs import resolve_instance
    from qrp_jupyter.store import open_store
    from qrp_jupyter.views import MIME_EVENT, render_bundle

    _check_level(args.to, args.reason)
    with open_store(magics.store_path(args.db), create=False) as store:
        cand = _candidate_or_none(store, args.ref)
        if cand is None:
            resolve_instance(store, args.ref)  # neither a candidate nor a run: say so
            if args.to != "candidate":
                raise usage_error("%qrp_promote", f"{args.ref!r} is a run, not a candidate",
                                  where="REF", fix="a run's trial becomes a candidate with "
                                                   "--to candidate first")
            out = promote_run(store, args.ref, args.to, trial=args.trial,
                              source=magics.cell_source)
        elif args.trial is not None:
            raise usage_error("%qrp_promote", "--trial applies to a run, not to candidate "
                              f"{cand['candidate_id'][:12]}", where="--trial",
                              fix="drop --trial (a candidate is already one trial)")
        elif args.to in _ENDS:
            end = {"rejected": reject, "retired": retire}[args.to]
            done = end(store, cand["candidate_id"], args.reason or "")
            return Rich(render_bundle(store, MIME_EVENT, {"ref": done["event"]["event_hash"]},
                                      source=magics.cell_source), done)
        else:
            res = promote(store, cand["candidate_id"], args.to)
            out = Rich(promotion_bundle(store, res, source=magics.cell_source), res)
    return out

"""What every saved QRP output records so that it can be re-rendered from the store alone.

Each payload carries three fields besides its content:

* ``render``: the inputs it was rendered from (the full id of what it shows and every option,
  such as ``max_trials``). With the store, they are all a renderer needs;
* ``ledger``: ``block_seq`` and ``digest`` (block hash) of the ledger head the output was
  rendered at. Re-rendering uses the store **as that head left it** (:meth:`Store.as_of`), so an
  output whose subject changed later (a candidate promoted again, more trials in the registry,
  a store verified again) still reproduces, byte for byte;
* ``source_sha256``: SHA-256 of the UTF-8 bytes of the complete source of the notebook cell
  that produced it, as executed (what Jupyter saves as the cell's ``source``); ``null`` outside
  a notebook cell.

:func:`render_payload` is the pure function (store state, render inputs) -> payload content;
:func:`render_bundle` reads the head, renders and stamps; :func:`rerender` is what
``verify --notebook`` calls with the store as of the recorded head.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..errors import ConfigError, StoreError
from ..identity import sha256_hex
from ..lineage import (MIME_AUDIT, MIME_CANDIDATES, MIME_EVENT, MIME_LINEAGE, MIME_REPORT,
                       MIME_RUN, MIME_VERIFY, lineage_payload)
from ..store import Store
from .bundle import audit_payload, bundle
from .governance import candidates_payload, event_payload, report_payload
from .run import run_payload

__all__ = ["PROVENANCE_FIELDS", "source_sha256", "render_payload", "render_bundle",
           "rerender", "ledger_stamp"]

#: The fields every payload adds for re-rendering, after its own.
PROVENANCE_FIELDS = ("render", "ledger", "source_sha256")
#: Render attempts when another writer moves the head while an output is being rendered.
_ATTEMPTS = 3


def source_sha256(source: str | None) -> str | None:
    """SHA-256 of the UTF-8 bytes of a cell's source (``None`` stays ``None``)."""
    return None if source is None else sha256_hex(source.encode("utf-8"))


def _verify(store: Store, render: dict[str, Any], base: Path | None) -> dict[str, Any]:
    from .verification import verify_payload  # verification re-renders through this module

    return verify_payload(store, render, base=base)


_RENDERERS: dict[str, Callable[[Store, dict[str, Any], Path | None], dict[str, Any]]] = {
    MIME_RUN: lambda s, r, _: run_payload(s, r["ref"], max_trials=r["max_trials"],
                                          max_points=r["max_points"]),
    MIME_LINEAGE: lambda s, r, _: lineage_payload(s, r["ref"]),
    MIME_AUDIT: lambda s, r, _: audit_payload(s, r["ref"]),
    MIME_REPORT: lambda s, r, _: report_payload(s, r["ref"]),
    MIME_CANDIDATES: lambda s, r, _: candidates_payload(s),
    MIME_EVENT: lambda s, r, _: event_payload(s, r["ref"]),
    MIME_VERIFY: _verify,
}


def render_payload(store: Store, mime: str, render: dict[str, Any], *,
                   base: Path | None = None) -> dict[str, Any]:
    """The content of a ``mime`` payload rendered from ``store`` with the inputs ``render``
    (without the provenance fields). ``base``: the folder a notebook named by a verify
    output is looked up in (verify outputs only).

    Raises
    ------
    ConfigError
        For a media type QRP does not render, or render inputs it does not know.
    """
    if mime not in _RENDERERS:
        raise ConfigError(f"{mime!r} is not a QRP media type", where="mime",
                          fix=f"use one of {', '.join(_RENDERERS)}")
    try:
        return _RENDERERS[mime](store, render, base)
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"render inputs {render!r} do not fit {mime}: {exc!r}",
                          where="payload.render", fix="re-run the cell with this QRP version"
                          ) from None


def ledger_stamp(store: Store) -> dict[str, Any] | None:
    """``{"block_seq", "digest"}`` of the store's ledger head (``None`` without a ledger)."""
    head = store.ledger_head()
    return None if head is None else {"block_seq": head.block_seq, "digest": head.block_hash}


def _stamped(content: dict[str, Any], render: dict[str, Any], ledger: dict[str, Any] | None,
             source_hash: str | None) -> dict[str, Any]:
    return {**content, "render": dict(render), "ledger": ledger, "source_sha256": source_hash}


def render_bundle(store: Store, mime: str, render: dict[str, Any], *,
                  source: str | None = None, base: Path | None = None) -> dict[str, Any]:
    """The mime bundle of a ``mime`` output rendered now, stamped with its render inputs, the
    ledger head it was rendered at and the hash of ``source`` (the cell's source).

    The head is read before and after rendering; if another writer moved it in between, the
    output is rendered again, so the recorded head is the state it was rendered from.

    Raises
    ------
    StoreError
        When other writers kept moving the head through every attempt.
    """
    for _ in range(_ATTEMPTS):
        before = ledger_stamp(store)
        content = render_payload(store, mime, render, base=base)
        if ledger_stamp(store) == before:
            return bundle(_stamped(content, render, before, source_sha256(source)))
    raise StoreError(f"the store changed while {mime} was rendered, {_ATTEMPTS} times",
                     where=store.path, fix="run the cell again when the other writers are done")


def rerender(store: Store, payload: dict[str, Any], *, source_hash: str | None,
             base: Path | None = None) -> dict[str, Any]:
    """The bundle a saved ``payload`` must equal: rendered from ``store`` (the store as the
    payload's recorded head left it) with the payload's own render inputs, stamped with that
    head and ``source_hash`` (the hash of the cell the output sits in)."""
    content = render_payload(store, payload["mime"], payload["render"], base=base)
    return bundle(_stamped(content, payload["render"], ledger_stamp(store), source_hash))

"""One review request, start to end: check the parameters, open the named store read-only,
answer, close; or say in one JSON error what was wrong.

:class:`ReviewService` is what the Jupyter handlers call (``server_ext/qrp_review``); it knows
nothing of HTTP beyond the status code each kind of refusal maps to, so every endpoint is
tested here without a server, and once more through a real one.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Callable, Mapping

from ..errors import NotFoundError, QrpError
from ..store import Store, open_store
from . import queries
from .paging import page_limit
from .paths import ReviewError, list_stores, resolve_store
from .verifying import VerifyCache, statuses

__all__ = ["ReviewService", "ENDPOINTS", "error_payload", "json_text", "HTTP_STATUS"]

#: The HTTP status of each kind of refusal.
HTTP_STATUS = {"bad_request": 400, "forbidden": 403, "not_found": 404}


def _clean(v: Any) -> Any:
    """``v`` with every non-finite float replaced by ``None`` (JSON has no NaN)."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def json_text(obj: Any) -> str:
    """Strict JSON text of an answer (no NaN or Infinity, which ``JSON.parse`` refuses)."""
    return json.dumps(_clean(obj), allow_nan=False, ensure_ascii=False)


def error_payload(exc: QrpError, root: str | os.PathLike[str] | None = None
                  ) -> tuple[int, dict[str, Any]]:
    """``(HTTP status, {"error": {...}})`` for a refusal: the message, where and how to fix
    it, with the server's own root folder left out of every path it names."""
    if isinstance(exc, ReviewError):
        status = HTTP_STATUS[exc.status]
    elif isinstance(exc, NotFoundError):
        status = 404
    else:
        status = 400
    prefix = None if root is None else str(Path(root).resolve()) + os.sep

    def strip(text: Any) -> Any:
        return text.replace(prefix, "") if isinstance(text, str) and prefix else text

    err = {"message": strip(str(exc)), "what": strip(exc.what), "where": strip(exc.where),
           "fix": strip(exc.fix), "kind": type(exc).__name__,
           "rule": getattr(exc, "rule", None)}
    return status, {"error": err}


def _value(v: Any) -> Any:
    return (v[0] if v else None) if isinstance(v, (list, tuple)) else v


class _Request:
    """The parameters of one request (first value of each), checked against what the
    endpoint accepts, so a misspelt parameter is an error instead of being ignored."""

    def __init__(self, params: Mapping[str, Any], allowed: tuple[str, ...]):
        # JupyterLab's ServerConnection appends a cache buster to every GET: a bare number as
        # a parameter name with no value (``?db=x&1796242014171``). It is not a parameter.
        params = {k: v for k, v in params.items() if not (k.isdigit() and not _value(v))}
        unknown = sorted(set(params) - set(allowed) - {"db"})
        if unknown:
            raise ReviewError(f"unknown parameter {unknown[0][:40]!r}", where="query string",
                              fix="use " + (", ".join(("db",) + allowed)))
        self._params = params

    def get(self, name: str) -> str | None:
        return _value(self._params.get(name))

    def flag(self, name: str) -> bool:
        v = self.get(name)
        if v in (None, "", "0", "false"):
            return False
        if v in ("1", "true"):
            return True
        raise ReviewError(f"{name}={str(v)[:20]!r} is not 0 or 1", where=name,
                          fix=f"pass {name}=1 or leave it out")


Handler = Callable[["ReviewService", Store, Path, str, _Request, str | None], dict[str, Any]]


def _digests(req: _Request) -> list[str]:
    raw = req.get("digest")
    out = [d.strip().lower() for d in (raw or "").split(",") if d.strip()]
    for d in out:
        if len(d) != 64 or any(c not in "0123456789abcdef" for c in d):
            raise ReviewError(f"digest {d[:80]!r} is not a 64-hex ledger head", where="digest",
                              fix="pass digests as `qrp digest` prints them, comma-separated")
    return out


def _integrity(svc: "ReviewService", store: Store, path: Path, label: str, req: _Request
               ) -> dict[str, Any]:
    entry = svc.cache.get(path)
    if entry is None and req.flag("verify"):
        entry = svc.cache.compute(store, path, label)
    return {**statuses(entry), "cached": entry is not None}


def _summary(svc, store, path, label, req, _arg):
    return {"db": label, **queries.summary(store), **_integrity(svc, store, path, label, req)}


def _runs(svc, store, path, label, req, _arg):
    return {"db": label, **queries.runs_page(store, limit=page_limit(req.get("limit")),
                                             cursor=req.get("cursor")).to_dict()}


def _candidates(svc, store, path, label, req, _arg):
    return {"db": label, **queries.candidates_page(
        store, limit=page_limit(req.get("limit")), cursor=req.get("cursor"),
        status=req.get("status")).to_dict()}


def _candidate(svc, store, path, label, req, arg):
    return {"db": label, **queries.candidate_detail(store, arg or "")}


def _report(svc, store, path, label, req, arg):
    return {"db": label, **queries.report(store, arg or "")}


def _events(svc, store, path, label, req, _arg):
    page = queries.events_page(store, limit=page_limit(req.get("limit")),
                               cursor=req.get("cursor"), order=req.get("order"),
                               candidate=req.get("candidate"))
    return {"db": label, **page.to_dict(), **_integrity(svc, store, path, label, req)}


def _lineage(svc, store, path, label, req, arg):
    return {"db": label, "lineage": queries.lineage(store, arg or "")}


def _verify(svc, store, path, label, req, _arg):
    digests = _digests(req)
    entry = None if req.flag("fresh") else svc.cache.get(path, digests)
    cached = entry is not None
    if entry is None:
        entry = svc.cache.compute(store, path, label, digests)
    return {"db": label, "cached": cached, **entry}


#: endpoint name -> (the parameters it takes besides ``db``, what answers it).
ENDPOINTS: dict[str, tuple[tuple[str, ...], Handler]] = {
    "summary": (("verify",), _summary),
    "runs": (("limit", "cursor"), _runs),
    "candidates": (("limit", "cursor", "status"), _candidates),
    "candidate": ((), _candidate),
    "report": ((), _report),
    "events": (("limit", "cursor", "order", "candidate", "verify"), _events),
    "lineage": ((), _lineage),
    "verify": (("digest", "fresh"), _verify),
}


class ReviewService:
    """The review API over the stores under ``root`` (the folder Jupyter serves).

    ``cache`` remembers verify results per file state (:class:`VerifyCache`).
    """

    def __init__(self, root: str | os.PathLike[str], cache: VerifyCache | None = None):
        self.root = Path(root).resolve()
        self.cache = cache if cache is not None else VerifyCache()

    def stores(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The store-like files under the root, as paths relative to it."""
        _Request(params, ())
        found, truncated = list_stores(self.root)
        return {"stores": found, "truncated": truncated}

    def answer(self, endpoint: str, params: Mapping[str, Any], arg: str | None = None
               ) -> dict[str, Any]:
        """The answer of ``endpoint`` for ``params`` (``db`` and the endpoint's own) and the
        path argument ``arg`` (a candidate, report or lineage reference).

        Raises
        ------
        QrpError
            For every refusal (:func:`error_payload` turns it into the JSON error).
        """
        allowed, handler = ENDPOINTS[endpoint]
        req = _Request(params, allowed)
        label = req.get("db")
        path = resolve_store(self.root, label)
        with open_store(path, readonly=True, create=False) as store:
            return handler(self, store, path, label, req, arg)

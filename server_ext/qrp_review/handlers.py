"""The HTTP face of the review API: GET only, authenticated and authorized by Jupyter.

Each handler is a ``jupyter_server`` :class:`APIHandler`, so the server's authentication
(token or password), authorization (the ``contents`` resource, read) and XSRF checks apply to
every request; ``@web.authenticated`` answers 403 to a request without credentials. Only
``get`` is defined: tornado answers every other method with 405 before any store is opened.
The work (SQLite reads, and verify, which can take seconds on a large store) runs on a worker
thread, so one slow request does not stall the server.
"""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from qrp_jupyter.errors import QrpError
from qrp_jupyter.review import ReviewService, error_payload, json_text

__all__ = ["handlers", "API_PATH"]

#: Where the API lives under the server's base URL.
API_PATH = "qrp/review/api"
#: A path argument: a hex id or prefix (the core says what is wrong with a bad one).
_REF = r"([^/]{1,200})"


class _ReviewHandler(APIHandler):
    """Answers one endpoint of :class:`ReviewService` as JSON."""

    auth_resource = "contents"
    endpoint = ""

    def initialize(self, service: ReviewService) -> None:
        self.service = service

    def _params(self) -> dict[str, list[str]]:
        return {k: [v.decode("utf-8", "replace") for v in vs]
                for k, vs in self.request.query_arguments.items()}

    def _answer(self, params: dict[str, list[str]], arg: str | None) -> Any:
        if self.endpoint == "stores":
            return self.service.stores(params)
        return self.service.answer(self.endpoint, params, arg)

    @web.authenticated
    @authorized
    async def get(self, arg: str | None = None) -> None:
        params = self._params()
        try:
            body = await asyncio.to_thread(self._answer, params, arg)
        except QrpError as exc:
            status, body = error_payload(exc, self.service.root)
            self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        # The answer is the store as it is now: never reuse a cached copy of it.
        self.set_header("Cache-Control", "no-store")
        self.finish(json_text(body))


def _handler(name: str) -> type[_ReviewHandler]:
    return type(f"Review{name.title()}Handler", (_ReviewHandler,), {"endpoint": name})


#: (path under API_PATH, endpoint): every route of the API.
ROUTES = (
    ("stores", "stores"),
    ("summary", "summary"),
    ("runs", "runs"),
    ("candidates", "candidates"),
    (f"candidates/{_REF}", "candidate"),
    (f"reports/{_REF}", "report"),
    ("events", "events"),
    (f"lineage/{_REF}", "lineage"),
    ("verify", "verify"),
)


def handlers(base_url: str, service: ReviewService) -> list[tuple[str, type, dict]]:
    """The tornado routes of the API under ``base_url``."""
    return [(url_path_join(base_url, API_PATH, path), _handler(endpoint), {"service": service})
            for path, endpoint in ROUTES]

"""The read-only review API behind the JupyterLab review panel, with no Jupyter in it.

The server extension (``server_ext/qrp_review``) is a thin layer over :class:`ReviewService`:
each request names a store by a path relative to the server's root folder
(:func:`resolve_store`), the store is opened read-only for that request only, and the answer
is a JSON-ready dict (:mod:`.queries`), paged by SQL on a key (:mod:`.paging`). Nothing here
writes: the store is opened with ``readonly=True`` (SQLite ``mode=ro`` and ``query_only``).
"""

from .paging import MAX_LIMIT, DEFAULT_LIMIT, Page, decode_cursor, encode_cursor, page_limit
from .paths import ReviewError, list_stores, resolve_store
from .queries import (candidate_detail, candidates_page, events_page, lineage, report,
                      runs_page, summary)
from .service import ENDPOINTS, ReviewService, error_payload, json_text
from .verifying import VerifyCache

__all__ = ["ReviewService", "ENDPOINTS", "ReviewError", "resolve_store", "list_stores",
           "summary", "runs_page", "candidates_page", "candidate_detail", "report",
           "events_page", "lineage", "VerifyCache", "Page", "page_limit", "encode_cursor",
           "decode_cursor", "MAX_LIMIT", "DEFAULT_LIMIT", "error_payload", "json_text"]

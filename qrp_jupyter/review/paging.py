"""Pages of a listing: a page size with a hard cap, and opaque keyset cursors.

A cursor is the sort key of the last row of a page, as URL-safe base64 of its JSON; the next
page is the rows after that key (SQL ``WHERE key > ? ORDER BY key LIMIT ?``), so pages are
disjoint, cover everything, cost the same deep in a listing as at its start, and do not shift
when rows are appended meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any, Sequence

from .paths import ReviewError

__all__ = ["MAX_LIMIT", "DEFAULT_LIMIT", "Page", "page_limit", "encode_cursor",
           "decode_cursor"]

#: The most rows one page may ask for (``limit``); larger asks are refused, not clipped.
MAX_LIMIT = 500
DEFAULT_LIMIT = 50


@dataclass
class Page:
    """One page: its rows, the cursor of the next page (``None`` on the last) and the total
    number of rows of the listing."""
    items: list[dict[str, Any]]
    next: str | None
    total: int
    limit: int
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**self.extra, "items": self.items, "next": self.next, "total": self.total,
                "limit": self.limit}


def page_limit(raw: Any) -> int:
    """The page size asked for (``None``: :data:`DEFAULT_LIMIT`).

    Raises
    ------
    ReviewError
        Unless it is a whole number from 1 to :data:`MAX_LIMIT`.
    """
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    text = str(raw).strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise ReviewError(f"limit {str(raw)[:40]!r} is not a whole number from 1 to "
                          f"{MAX_LIMIT}", where="limit",
                          fix=f"ask for at most {MAX_LIMIT} rows and follow the page's "
                              "'next' cursor for more")
    return int(text)


def encode_cursor(key: Sequence[Any]) -> str:
    """The cursor of a row whose sort key is ``key`` (strings and integers)."""
    raw = json.dumps(list(key), separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(raw: Any, types: Sequence[type]) -> list[Any] | None:
    """The sort key a cursor holds (``None`` when no cursor was given: the first page).

    Raises
    ------
    ReviewError
        When the text is not a cursor of this listing (wrong length or types).
    """
    if raw is None or raw == "":
        return None
    bad = ReviewError(f"cursor {str(raw)[:40]!r} is not a cursor of this listing",
                      where="cursor", fix="pass the 'next' value of the previous page as it "
                                          "came, or leave it out for the first page")
    if not isinstance(raw, str) or len(raw) > 400:
        raise bad
    try:
        key = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, binascii.Error):
        raise bad from None
    if not isinstance(key, list) or len(key) != len(types) or not all(
            type(v) is t for v, t in zip(key, types)):
        raise bad
    return key

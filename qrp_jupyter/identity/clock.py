"""Timestamps that QRP writes, with a deterministic mode for reproducible stores.

With ``QRP_DETERMINISTIC_TIME=<ISO-8601>`` set, every timestamp the system writes is that value,
so two executions of the same work produce identical rows (DESIGN section 2).
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

from ..errors import ConfigError

__all__ = ["now_iso", "ENV_DETERMINISTIC_TIME", "format_ts"]

ENV_DETERMINISTIC_TIME = "QRP_DETERMINISTIC_TIME"


def format_ts(dt: datetime) -> str:
    """Render an aware datetime as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    """The current UTC time, or the pinned ``QRP_DETERMINISTIC_TIME``, in canonical form."""
    pinned = os.environ.get(ENV_DETERMINISTIC_TIME)
    if pinned:
        text = pinned.strip()
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(
                f"{ENV_DETERMINISTIC_TIME}={pinned!r} is not an ISO-8601 timestamp",
                where=f"environment variable {ENV_DETERMINISTIC_TIME}",
                fix="set it like 2024-01-01T00:00:00Z, or unset it",
            ) from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        return format_ts(dt)
    return format_ts(datetime.now(timezone.utc))

"""Who is acting: recorded on run instances, reports and governance events (never hashed into
a ``run_key``)."""

from __future__ import annotations

import getpass
import os

__all__ = ["current_actor", "ENV_ACTOR"]

ENV_ACTOR = "QRP_ACTOR"


def current_actor() -> str:
    """``$QRP_ACTOR``, else the OS user."""
    actor = os.environ.get(ENV_ACTOR, "").strip()
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): still attribute the action
        return f"uid:{os.getuid()}"

"""QRP's read-only review API as a Jupyter server extension (``/qrp/review/api/...``).

Enabled by ``etc/jupyter/jupyter_server_config.d/qrp_review.json``, which the wheel installs;
``jupyter server extension list`` shows it. The handlers (:mod:`.handlers`) are thin: every
answer comes from :class:`qrp_jupyter.review.ReviewService` over the folder the server
serves (its ``root_dir``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["_jupyter_server_extension_points", "_load_jupyter_server_extension"]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "qrp_review"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Register the review handlers on the running server."""
    from qrp_jupyter.review import ReviewService

    from .handlers import handlers

    service = ReviewService(serverapp.root_dir)
    base_url = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", handlers(base_url, service))
    serverapp.log.info("QRP review API at %sqrp/review/api/ over %s (read-only)", base_url,
                       service.root)

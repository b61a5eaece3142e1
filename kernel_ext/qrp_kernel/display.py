"""Displayable wrappers: a core mime bundle, or plain text, as an object IPython renders.

Rich outputs are built by the core (:mod:`qrp_jupyter.views`: ``text/plain``, a static
``text/html`` with inline SVG and a ``application/vnd.qrp.*+json`` payload); this layer only
wraps them so that IPython, nbconvert and JupyterLab all pick the richest type they know.
"""

from __future__ import annotations

import html
from typing import Any

__all__ = ["Rich", "text_bundle"]


def text_bundle(text: str, *, title: str | None = None) -> dict[str, str]:
    """``text/plain`` plus a ``<pre>`` ``text/html`` of the same text (no script, no style)."""
    head = f"<strong>{html.escape(title)}</strong>" if title else ""
    return {"text/plain": text, "text/html": f"{head}<pre>{html.escape(text)}</pre>"}


class Rich:
    """A mime bundle that IPython displays; ``.data`` keeps what the bundle was made from."""

    def __init__(self, bundle: dict[str, Any], data: Any = None):
        self.bundle = bundle
        self.data = data

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        return dict(self.bundle)

    def __repr__(self) -> str:
        return str(self.bundle.get("text/plain", type(self).__name__))

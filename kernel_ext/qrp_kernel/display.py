"""Displayable wrapper: a core mime bundle as an object IPython renders.

Rich outputs are built by the core (:mod:`qrp_jupyter.views`: ``text/plain``, a static
``text/html`` with SVG images and a ``application/vnd.qrp.*+json`` payload); this layer only
wraps them so that IPython, nbconvert and JupyterLab all pick the richest type they know.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Rich"]


class Rich:
    """A mime bundle that IPython displays; ``.data`` keeps what the bundle was made from."""

    def __init__(self, bundle: dict[str, Any], data: Any = None):
        self.bundle = bundle
        self.data = data

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        return dict(self.bundle)

    def __repr__(self) -> str:
        return str(self.bundle.get("text/plain", type(self).__name__))

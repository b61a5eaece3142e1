"""``LineageWidget``: the lineage DAG of a run or candidate, interactive in the notebook.

The graph and its deterministic layered layout are computed in Python by the core
(:func:`qrp_jupyter.views.lineage_bundle`); the front end (``static/lineage.js``, a plain ES module
loaded by anywidget, no build step) only draws the nodes at those positions, pans, zooms and
shows a node's hashes, config and metrics when it is clicked.

Its mime bundle carries the widget view *and* the core's static bundle (``text/plain``, a
``text/html`` with its SVG image and ``application/vnd.qrp.lineage+json``), so a notebook saved or
exported without a live kernel still has the graph: nbconvert and GitHub's viewer show the
static HTML when the widget's state was not saved, and an untrusted notebook in JupyterLab
never picks the (unsafe) widget renderer. A *trusted* notebook reopened in JupyterLab picks
the widget view first (its renderer is ranked -10); without saved widget state it then says
"model not found" unless a renderer of ``application/vnd.qrp.lineage+json`` is ranked before
it (the QRP lab extension's job) or the notebook was saved with its widget state, which then
draws the graph again from the state, whose payload ``qrp verify --notebook`` checks.
``%qrp_lineage --static`` gives the static bundle alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

__all__ = ["LineageWidget", "merge_bundles"]

_STATIC = Path(__file__).parent / "static"


def merge_bundles(widget_repr: Any, static: dict[str, Any]) -> tuple[dict[str, Any],
                                                                       dict[str, Any]]:
    """Merge a widget's ``_repr_mimebundle_`` result with a static bundle.

    ``widget_repr`` is what ipywidgets / anywidget returned: a ``(data, metadata)`` pair
    (anywidget >= 0.9), a ``data`` dict (ipywidgets 8) or ``None`` (no view). The static
    bundle's ``text/plain`` replaces the widget's object repr (it says what the graph is and is
    stable across sessions); the widget-view entry and its metadata are kept.
    """
    if isinstance(widget_repr, tuple):
        data, metadata = widget_repr
    else:
        data, metadata = widget_repr, {}
    return {**(data or {}), **static}, dict(metadata or {})


class LineageWidget(anywidget.AnyWidget):
    """The lineage DAG as an anywidget.

    Parameters
    ----------
    payload
        The ``application/vnd.qrp.lineage+json`` payload: ``nodes`` (``id``, ``kind``,
        ``label``, ``x``, ``y``, ``hashes``, ``details``) and ``edges`` (``source``,
        ``target``, ``relation``).
    static
        The core bundle to show where widgets cannot run (default: none).
    """

    _esm = _STATIC / "lineage.js"
    payload = traitlets.Dict().tag(sync=True)

    def __init__(self, payload: dict[str, Any] | None = None, *,
                 static: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__(payload=payload or {}, **kwargs)
        self._static = dict(static or {})

    @classmethod
    def from_store(cls, store: Any, ref: str, *, source: str | None = None
                   ) -> "LineageWidget":
        """The widget for a run or candidate ``ref`` (id or unique prefix) in ``store``;
        ``source`` is the cell's source, whose hash the static output records."""
        from qrp_jupyter.lineage import resolve_lineage_ref
        from qrp_jupyter.views import MIME_LINEAGE, render_bundle

        _, root = resolve_lineage_ref(store, ref)
        bundle = render_bundle(store, MIME_LINEAGE, {"ref": root}, source=source)
        return cls(bundle[MIME_LINEAGE], static=bundle)

    def _repr_mimebundle_(self, **kwargs: Any):
        return merge_bundles(super()._repr_mimebundle_(**kwargs), self._static)

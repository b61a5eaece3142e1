"""``LineageWidget``: the lineage DAG of a run or candidate, interactive in the notebook.

The graph and its deterministic layered layout are computed in Python by the core
(:func:`qrp_jupyter.views.lineage_bundle`); the front end draws it with the very code of QRP's
JupyterLab renderer: ``labextension/src/kernel_widget/lineage.ts`` over ``labextension/src/dag``,
bundled by ``scripts/build_labextension.sh`` into ``static/lineage.js`` (an ES module loaded by
anywidget) and ``static/lineage.css`` (the renderers' stylesheet). One DAG implementation: fit
on open and a reset control, pan with pointer capture, wheel zoom, click-select apart from
drags, a detail pane with full hashes and copy buttons, a legend, labels that scale or hide.

Its mime bundle carries the widget view *and* the core's static bundle (``text/plain``, a
``text/html`` with its SVG image and ``application/vnd.qrp.lineage+json``). Which one a front
end draws:

* JupyterLab with QRP's extension: the lineage renderer, ranked before the widget view (see
  ``labextension/src/widget.ts``), live or reopened, trusted or not: the same drawing as this
  widget, and never "model not found" when the notebook was saved without widget state.
* A front end with ipywidgets but without QRP's extension (Notebook 7, VS Code, a plain
  JupyterLab): this widget while its kernel runs or its state was saved; ``qrp verify
  --notebook`` checks the payload in saved widget state.
* No widgets, untrusted, nbconvert, GitHub's viewer: the static HTML (its SVG as an image).

``%qrp_lineage --static`` gives the static bundle alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

__all__ = ["FRONT_END", "LineageWidget", "front_end_problem", "merge_bundles"]

_STATIC = Path(__file__).parent / "static"
#: The front end's files: build outputs of scripts/build_labextension.sh (not in git; in the
#: wheel as artifacts).
FRONT_END = (_STATIC / "lineage.js", _STATIC / "lineage.css")


def front_end_problem() -> str | None:
    """Why the widget cannot be drawn (its front end was not built), or None."""
    missing = [p.name for p in FRONT_END if not p.is_file()]
    if not missing:
        return None
    return (f"the lineage widget's front end ({', '.join(missing)} in {_STATIC.parent.name}/"
            f"{_STATIC.name}) was not built")


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

    _esm = FRONT_END[0]
    _css = FRONT_END[1]
    payload = traitlets.Dict().tag(sync=True)

    def __init__(self, payload: dict[str, Any] | None = None, *,
                 static: dict[str, Any] | None = None, **kwargs: Any):
        problem = front_end_problem()
        if problem is not None:
            from qrp_jupyter.errors import QrpError

            raise QrpError(problem, fix="run `bash scripts/setup.sh` (it builds the lab "
                           "extension and this widget), or use `%qrp_lineage REF --static`")
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

"""A progress line for ``%%qrp_run``, updated in place through an IPython ``DisplayHandle``.

Plain ``text/plain`` + an HTML ``<progress>`` element rather than a widget: it needs no widget
manager, renders in every front end and in a saved notebook, and costs no dependency (tqdm).
"""

from __future__ import annotations

import contextlib
import html
from typing import Any

__all__ = ["ProgressLine"]


class _Snapshot:
    def __init__(self, label: str, stage: str, done: int, total: int):
        self.label, self.stage, self.done, self.total = label, stage, done, total

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        if self.done >= self.total:
            text = f"{self.label}: all {self.total} stages done"
        elif self.stage == "start":
            text = f"{self.label}: starting ({self.total} stages)"
        else:
            text = f"{self.label}: {self.stage} done ({self.done}/{self.total})"
        bar = (f'<progress value="{self.done}" max="{max(self.total, 1)}" '
               f'style="width: 16em"></progress> ')
        return {"text/plain": text, "text/html": bar + html.escape(text)}


class ProgressLine:
    """A ``progress(stage, done, total)`` callback for :func:`qrp_jupyter.runs.execute_run`.

    The first call displays the line, later calls replace it. Display problems never reach the
    run: the core requires that a progress callback does not raise.
    """

    def __init__(self, label: str):
        self.label = label
        self.handle: Any = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        from IPython.display import display

        snap = _Snapshot(self.label, stage, done, total)
        try:
            if self.handle is None:
                self.handle = display(snap, display_id=True)
            else:
                self.handle.update(snap)
        except Exception:  # noqa: BLE001 - a broken front end must not break a run
            self.handle = None

    def close(self) -> None:
        """Empty the line once the run is over: what the cell then shows is the run's own
        output, with its QRP payload, and a saved notebook keeps no bar that claims nothing
        ``qrp verify --notebook`` could check."""
        if self.handle is None:
            return
        with contextlib.suppress(Exception):  # as in __call__: the run is over and recorded
            self.handle.update({}, raw=True)
        self.handle = None

"""A progress line for ``%%qrp_run``, updated in place through an IPython ``DisplayHandle``.

Plain ``text/plain`` + an HTML ``<progress>`` element rather than a widget: it needs no widget
manager, renders in every front end and in a saved notebook, and costs no dependency (tqdm).
When the run is over the bar is replaced by its final line, text only (``... all 6 stages
done``, or where it stopped), so a saved notebook holds no bar at all.
"""

from __future__ import annotations

import contextlib
import html
from typing import Any

__all__ = ["ProgressLine"]


class _Snapshot:
    def __init__(self, label: str, stage: str, done: int, total: int, *, final: bool = False):
        self.label, self.stage, self.done, self.total = label, stage, done, total
        self.final = final

    def text(self) -> str:
        if self.done >= self.total:
            return f"{self.label}: all {self.total} stages done"
        if self.final:  # closed before the last stage: the run failed or was interrupted
            where = "before any stage finished" if self.stage == "start" else \
                f"after {self.stage}"
            return f"{self.label}: stopped {where} ({self.done}/{self.total} stages done)"
        if self.stage == "start":
            return f"{self.label}: starting ({self.total} stages)"
        return f"{self.label}: {self.stage} done ({self.done}/{self.total})"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        text = self.text()
        if self.final:  # no <progress> element: the line outlives the run in saved outputs
            from qrp_jupyter.audit import progress_line_bundle  # the form verify accepts

            return progress_line_bundle(text)
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
        self.last: _Snapshot | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        from IPython.display import display

        snap = self.last = _Snapshot(self.label, stage, done, total)
        try:
            if self.handle is None:
                self.handle = display(snap, display_id=True)
            else:
                self.handle.update(snap)
        except Exception:  # noqa: BLE001 - a broken front end must not break a run
            self.handle = None

    def close(self) -> None:
        """Replace the bar by its final line once the run is over (done, or where it stopped).

        An update of the same display, not a new output: Jupyter front ends and nbclient both
        replace the displayed bundle in place, so the saved cell holds that line (text/plain
        and a text/html ``<div>``, no ``<progress>``) and then the run's own output.
        """
        if self.handle is None or self.last is None:
            return
        last = self.last
        final = _Snapshot(last.label, last.stage, last.done, last.total, final=True)
        with contextlib.suppress(Exception):  # as in __call__: the run is over and recorded
            self.handle.update(final)
        self.handle = None

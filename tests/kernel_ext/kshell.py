"""Helpers for driving magics through a real shell (imported by the kernel_ext tests)."""

from __future__ import annotations

from IPython.core.error import UsageError
from IPython.utils.capture import capture_output


def qrp_magics(ip):
    """The registered ``QrpMagics`` instance."""
    return ip.find_cell_magic("qrp_run").__self__


class Cell:
    """What one cell did: its result, error and captured output."""

    def __init__(self, result, captured):
        self.result, self.captured = result, captured
        self.value = result.result
        self.error = result.error_in_exec or result.error_before_exec

    @property
    def texts(self) -> list[str]:
        return [o.data.get("text/plain", "") for o in self.captured.outputs]


def run(ip, source: str) -> Cell:
    with capture_output() as captured:
        result = ip.run_cell(source, store_history=False)
    return Cell(result, captured)


def assert_one_line_usage_error(cell: Cell, *needles: str) -> str:
    """The cell failed with a one-line UsageError naming every needle; returns the message."""
    assert isinstance(cell.error, UsageError), (type(cell.error), cell.error)
    msg = str(cell.error)
    assert "\n" not in msg, msg
    for needle in needles:
        assert needle in msg, (needle, msg)
    assert "Fix:" in msg, msg
    shown = [line for line in cell.captured.stderr.splitlines() if line.strip()]
    assert shown == [f"UsageError: {msg}"], shown
    return msg

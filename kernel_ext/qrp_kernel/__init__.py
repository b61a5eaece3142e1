"""QRP in Jupyter: magics, rich results, the lineage widget and the governed kernel.

``%load_ext qrp_jupyter`` lands here (through :func:`qrp_jupyter.load_ipython_extension`). Loading
is cheap on purpose: only IPython and traitlets are imported; numpy, pandas, numba and the
widget stack are imported inside the magic bodies that need them. This package uses only the
public names of :mod:`qrp_jupyter` (a test parses its imports).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["load_ipython_extension", "unload_ipython_extension", "QrpMagics", "RunResult",
           "LineageWidget"]

#: Public names that live in submodules, imported on first access (PEP 562).
_LAZY = {"QrpMagics": ".magics", "RunResult": ".result", "LineageWidget": ".widgets"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_ipython_extension(ipython) -> None:
    """Register :class:`~qrp_kernel.magics.QrpMagics` on ``ipython``.

    The instance joins ``ipython.configurables`` (so ``%config QrpMagics`` finds it) and takes
    its settings from the shell's config (``c.QrpMagics.db = ...`` in ``ipython_config.py``).
    A ``pre_run_cell`` hook lets it see the source of the cell being run, whose hash every QRP
    output records.

    Idempotent per shell: the governed kernel loads this package at start, so a notebook's
    ``%load_ext qrp_jupyter`` arrives here with the magics already registered and returns
    without a word (no second instance, no second hook, no "already loaded" line). After
    :func:`unload_ipython_extension` it puts the hook back.
    """
    magics = ipython.magics_manager.registry.get("QrpMagics")
    if magics is None:
        from .magics import QrpMagics

        magics = QrpMagics(shell=ipython)
        ipython.register_magics(magics)
    if magics.note_cell not in ipython.events.callbacks["pre_run_cell"]:
        ipython.events.register("pre_run_cell", magics.note_cell)


def unload_ipython_extension(ipython) -> None:
    """Remove the ``pre_run_cell`` hook; the magics hold no other resources (stores are per
    call)."""
    magics = ipython.magics_manager.registry.get("QrpMagics")
    if magics is not None and magics.note_cell in ipython.events.callbacks["pre_run_cell"]:
        ipython.events.unregister("pre_run_cell", magics.note_cell)

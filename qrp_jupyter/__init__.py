"""QRP: research governance as infrastructure for quantitative crypto research.

The core package. It never imports IPython, ipywidgets or traitlets; the Jupyter layer lives in
``qrp_kernel`` (source folder ``kernel_ext/``) and is imported lazily by
:func:`load_ipython_extension`, the one upward reference.
"""

from ._version import __version__
from .errors import QrpError

__all__ = ["__version__", "QrpError", "load_ipython_extension"]


def load_ipython_extension(ipython):  # pragma: no cover - exercised by the kernel_ext tests
    """``%load_ext qrp_jupyter``: delegate to the kernel extension package."""
    import importlib

    qrp_kernel = importlib.import_module("qrp_kernel")
    return qrp_kernel.load_ipython_extension(ipython)

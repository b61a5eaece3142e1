"""Entry point of the governed kernel "Python 3 (QRP)": ``python -m qrp_kernel.launcher -f CONN``.

``kernel.json`` pins ``PYTHONHASHSEED=0`` and the BLAS thread counts (``OMP``/``MKL``/
``OPENBLAS_NUM_THREADS=1``) through its ``env``; this module adds what a static file cannot know:

- ``NUMBA_NUM_THREADS``: the CPUs this process may run on (:func:`numba_num_threads`), unless
  already set. QRP's parallel kernels reduce every unit of work serially in a fixed order, so
  results do not depend on the thread count; a fixed count in ``kernel.json`` would either
  oversubscribe a small machine or idle a large one.
- ``NUMBA_CACHE_DIR``: a per-user numba cache (:func:`numba_cache_dir`), so compiled kernels are
  reused across sessions.

Both are set before anything imports numba (it reads them once, at import), then ipykernel
starts with the QRP extension loaded. It is loaded under the name of this package,
``qrp_kernel``, not ``qrp_jupyter``: a notebook written for any kernel starts with
``%load_ext qrp_jupyter``, which on this kernel must be silent (IPython prints "already loaded"
for a name it has loaded), and :func:`qrp_kernel.load_ipython_extension` registers the magics
once per shell whichever name loads it. Deliberately imports nothing heavy at module level.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["numba_cache_dir", "numba_num_threads", "governed_env", "main", "EXTENSION"]

#: The IPython extension the governed kernel loads at start (the module whose
#: ``load_ipython_extension`` ``qrp_jupyter`` delegates to; see the module docstring).
EXTENSION = "qrp_kernel"


def numba_cache_dir() -> str:
    """``$NUMBA_CACHE_DIR`` if already set, else ``$XDG_CACHE_HOME/qrp/numba`` (``~/.cache``)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.environ["NUMBA_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "qrp" / "numba")


def numba_num_threads() -> str:
    """``$NUMBA_NUM_THREADS`` if already set, else the number of CPUs this process may use.

    ``os.sched_getaffinity`` honours CPU pinning (taskset, cgroup cpusets, containers) where
    the platform has it; elsewhere ``os.cpu_count()``; at least 1.
    """
    if os.environ.get("NUMBA_NUM_THREADS"):
        return os.environ["NUMBA_NUM_THREADS"]
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS and Windows have no sched_getaffinity
        n = os.cpu_count() or 1
    return str(max(n, 1))


def governed_env() -> dict[str, str]:
    """The variables :func:`main` sets in ``os.environ`` before numba is imported."""
    return {"NUMBA_NUM_THREADS": numba_num_threads(), "NUMBA_CACHE_DIR": numba_cache_dir()}


def main(argv: list[str] | None = None) -> None:
    os.environ.update(governed_env())
    Path(os.environ["NUMBA_CACHE_DIR"]).mkdir(parents=True, exist_ok=True)
    from ipykernel.kernelapp import IPKernelApp

    # extra_extensions, not extensions: a user's own `c.IPKernelApp.extensions` still loads.
    IPKernelApp.launch_instance(argv=sys.argv[1:] if argv is None else argv,
                                extra_extensions=[EXTENSION])


if __name__ == "__main__":
    main()

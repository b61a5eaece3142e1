"""numba options, in one place (house style: kernels never choose their own).

``fastmath`` is always off so that results are bit-stable across runs and machines of one kind;
``cache`` writes compiled kernels to numba's on-disk cache (``NUMBA_CACHE_DIR`` when set) so that
only the first process on a machine pays the JIT compile. Parallel kernels only parallelise over
independent columns (grid points, bootstrap replicates), each of which is reduced serially in a
fixed order, so ``parallel=True`` never changes a result bit.
"""

from __future__ import annotations

from numba import njit, prange

__all__ = ["jit", "pjit", "prange", "JIT_OPTIONS"]

JIT_OPTIONS = {"cache": True, "fastmath": False, "nogil": True, "error_model": "numpy"}


def jit(func):
    """Serial kernel: ``@njit`` with the project-wide options."""
    return njit(**JIT_OPTIONS)(func)


def pjit(func):
    """Kernel parallel over independent columns (use ``prange`` on the outer loop only)."""
    return njit(parallel=True, **JIT_OPTIONS)(func)

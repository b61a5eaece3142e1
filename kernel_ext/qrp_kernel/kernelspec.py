"""Install the governed kernelspec "Python 3 (QRP)" (kernel name ``qrp``).

The one source of truth is ``kernel_ext/kernelspec/qrp/kernel.json``. A wheel install puts it in
``<sys.prefix>/share/jupyter/kernels/qrp`` (hatch ``shared-data``; hatchling's editable
install does the same). A Jupyter installed outside the environment finds it after::

    python -m qrp_kernel.kernelspec install --sys-prefix     # or --user, or --prefix PATH

What ``kernel.json`` pins, and why: ``PYTHONHASHSEED=0`` (set and dict iteration of str keys
is stable between sessions); ``OMP/MKL/OPENBLAS_NUM_THREADS=1`` (a BLAS may change its
summation order with its thread count). The launcher sets ``NUMBA_NUM_THREADS`` to the CPUs
available to the kernel unless it is already set: QRP's parallel kernels reduce every unit of
work serially in a fixed order, so results never depend on it. Its argv starts with ``python``,
which jupyter_client replaces with ``sys.executable`` of the process launching the kernel.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["KERNEL_NAME", "spec_dir", "install", "main"]

KERNEL_NAME = "qrp"


def spec_dir() -> Path:
    """The folder holding ``kernel.json``: the source tree's, else this environment's copy."""
    candidates = [Path(__file__).resolve().parents[1] / "kernelspec" / KERNEL_NAME,
                  Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME]
    for folder in candidates:
        if (folder / "kernel.json").is_file():
            return folder
    raise FileNotFoundError(f"no kernel.json in {' or '.join(map(str, candidates))}: "
                            "reinstall qrp_jupyter")


def install(*, user: bool = False, prefix: str | None = None) -> str:
    """Install (or refresh) the spec with jupyter_client's ``KernelSpecManager``."""
    from jupyter_client.kernelspec import KernelSpecManager

    return KernelSpecManager().install_kernel_spec(str(spec_dir()), KERNEL_NAME, user=user,
                                                   prefix=prefix)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m qrp_kernel.kernelspec",
                                description="Install the governed kernel 'Python 3 (QRP)'.")
    sub = p.add_subparsers(dest="command", required=True)
    sp = sub.add_parser("install", help="install (or refresh) the kernelspec")
    where = sp.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="for the current user")
    where.add_argument("--sys-prefix", action="store_true",
                       help=f"into this environment ({sys.prefix})")
    where.add_argument("--prefix", help="into PREFIX/share/jupyter/kernels")
    args = p.parse_args(argv)
    path = install(user=args.user, prefix=sys.prefix if args.sys_prefix else args.prefix)
    print(f"installed kernelspec {KERNEL_NAME!r} in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

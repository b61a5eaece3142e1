"""Which file a review request may read: a path relative to the server's root folder that
stays inside it once every symlink is followed.

A request names its store as ``db=<relative path>``. Refused, before any file is opened: an
empty or absolute path, a ``..`` step, a NUL byte, and a path whose real location (symlinks
followed) is outside the root. What remains is opened read-only by the caller, which refuses a
file that is not a QRP store without changing it (:func:`qrp_jupyter.store.open_store`).
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from ..errors import QrpError

__all__ = ["ReviewError", "resolve_store", "list_stores", "STORE_SUFFIXES", "MAX_SCANNED"]

#: File names the store listing shows (QRP's own default is ``qrp.sqlite``).
STORE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
#: At most this many directory entries are looked at by one listing, so a huge root (a home
#: folder) answers in bounded time; the listing says when it stopped early.
MAX_SCANNED = 20_000
_SKIPPED_DIRS = frozenset({"node_modules", "__pycache__"})


class ReviewError(QrpError):
    """A review request that cannot be answered as asked. ``status`` says how: ``bad_request``
    (a malformed parameter), ``forbidden`` (a path outside the root) or ``not_found``."""

    def __init__(self, what: str, *, status: str = "bad_request", where: str | None = None,
                 fix: str | None = None):
        self.status = status
        super().__init__(what, where=where, fix=fix)


def _outside(rel: str, why: str) -> ReviewError:
    return ReviewError(f"store path {rel!r} {why}", status="forbidden", where="db",
                       fix="pass the path of a store file relative to the folder Jupyter "
                           "serves, without '..' (the listing /qrp/review/api/stores shows "
                           "them)")


def resolve_store(root: str | os.PathLike[str], rel: Any) -> Path:
    """The real path of the store file ``rel`` names under ``root``.

    Raises
    ------
    ReviewError
        ``bad_request`` when ``rel`` is missing or not text; ``forbidden`` when it is absolute,
        has a ``..`` step or resolves outside ``root`` (through a symlink); ``not_found`` when
        nothing is there, or it is not a regular file.
    """
    if not isinstance(rel, str) or not rel.strip():
        raise ReviewError("no store given", where="db",
                          fix="pass ?db=<path of a .sqlite file relative to the server root>")
    if "\x00" in rel:
        raise ReviewError("store path contains a NUL byte", where="db",
                          fix="pass a plain relative path")
    posix, win = PurePosixPath(rel), PureWindowsPath(rel)
    if posix.is_absolute() or win.is_absolute() or win.drive or rel.startswith(("/", "\\")):
        raise _outside(rel, "is absolute")
    if ".." in posix.parts or ".." in win.parts:
        raise _outside(rel, "steps out with '..'")
    base = Path(root).resolve()
    target = (base / posix).resolve()
    if not target.is_relative_to(base):
        raise _outside(rel, "resolves outside the server root (a symlink leads out)")
    if not target.exists():
        raise ReviewError(f"no file {rel!r} under the server root", status="not_found",
                          where="db", fix="pick a store from /qrp/review/api/stores")
    if not target.is_file():
        raise ReviewError(f"{rel!r} is not a regular file", status="not_found", where="db",
                          fix="pass the path of a .sqlite file")
    return target


def list_stores(root: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], bool]:
    """Every store-like file under ``root`` (hidden folders and symlinked folders skipped),
    sorted by path, with its size; and whether the scan stopped at :data:`MAX_SCANNED`."""
    base = Path(root).resolve()
    found: list[dict[str, Any]] = []
    scanned, truncated = 0, False
    for folder, dirs, files in os.walk(base, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS)
        scanned += len(dirs) + len(files)
        for name in files:
            if name.startswith(".") or not name.endswith(STORE_SUFFIXES):
                continue
            path = Path(folder) / name
            try:
                real = path.resolve()
                if not real.is_relative_to(base) or not real.is_file():
                    continue
                size = real.stat().st_size
            except OSError:
                continue
            found.append({"path": path.relative_to(base).as_posix(), "size": size})
        if scanned >= MAX_SCANNED:
            truncated = True
            break
    found.sort(key=lambda f: f["path"])
    return found, truncated

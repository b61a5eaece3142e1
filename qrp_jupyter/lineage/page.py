"""The standalone lineage page ``qrp lineage --html OUT.html`` writes, written atomically.

The page is written to a temporary file beside the target and renamed over it, so a reader (or
a browser reloading the page) sees the old page or the new one, never half of one; a failure at
any step leaves the target as it was and no temporary file behind.
"""

from __future__ import annotations

import os
import stat
import tempfile
from html import escape
from pathlib import Path

from ..errors import QrpError

__all__ = ["page_html", "write_page"]


def page_html(title: str, body_html: str) -> str:
    """The complete page: ``body_html`` (the static lineage view) under an escaped title."""
    return ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"/><title>'
            f"{escape(title)}</title></head><body>{body_html}</body></html>\n")


def _refuse(what: str, target: Path, fix: str) -> QrpError:
    return QrpError(what, where=f"--html {str(target)!r}", fix=fix)


def write_page(target: str | os.PathLike[str], html_text: str) -> Path:
    """Write ``html_text`` to ``target`` atomically (temp file + rename); returns the path.

    Raises
    ------
    QrpError
        The target is a directory or not a regular file, its folder does not exist or is not a
        folder, or the folder cannot be written (permissions, a read-only mount, a full disk):
        named with the fault; nothing is written.
    """
    out = Path(target)
    if not str(target).strip():
        raise _refuse("--html is empty", out, "pass a file path such as lineage.html")
    try:
        st = os.stat(out)
    except (FileNotFoundError, NotADirectoryError):  # the folder checks below say which
        st = None
    except OSError as exc:
        raise _refuse(f"cannot use {str(out)!r}: {exc.strerror or exc}", out,
                      "pass a file path in a folder you can write") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise _refuse(f"--html {str(out)!r} is a directory", out,
                      "pass a file path such as lineage.html")
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise _refuse(f"--html {str(out)!r} is not a regular file (a device, FIFO or socket)",
                      out, "pass the path of an .html file")
    folder = out.parent
    if not folder.exists():
        raise _refuse(f"the folder {str(folder)!r} of --html does not exist", out,
                      f"create it first (mkdir -p {str(folder)!r}) or pass a path in an "
                      "existing folder")
    if not folder.is_dir():
        raise _refuse(f"{str(folder)!r} (the folder of --html) is not a folder", out,
                      "pass a path in an existing folder")
    data = html_text.encode("utf-8")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if st is not None:  # keep an existing page's permissions
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, out)
        tmp = None
    except OSError as exc:
        raise _refuse(f"cannot write the page {str(out)!r}: {exc.strerror or exc}", out,
                      "check the folder's permissions and free space (`df -h`), or pass "
                      "another path; nothing was written") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return out

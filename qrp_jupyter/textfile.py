"""Reading a user's text file (a run config, a policy, a notebook) without surprises.

One reader for every file QRP parses, so that each refuses the same bad inputs the same way:

* a path that is missing, a directory, a device or a FIFO is refused before any byte is read
  (``/dev/zero`` would never end);
* at most ``max_bytes`` are read: a larger file is refused with its size, not loaded;
* a UTF-8 byte order mark is accepted and dropped (Windows editors write one);
* bytes that are not UTF-8 (a latin-1 file) are refused naming the line and the byte offset.

:func:`nesting_depth` measures parsed JSON/TOML values without recursion, so a document nested
thousands of levels deep is refused instead of overflowing the interpreter's stack later.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from .errors import ConfigError, QrpError

__all__ = ["read_text_file", "decode_utf8", "nesting_depth", "MAX_CONFIG_BYTES",
           "MAX_NOTEBOOK_BYTES"]

#: Run configs and policies are a few kilobytes; 4 MiB is far above any real one.
MAX_CONFIG_BYTES = 4 * 1024 * 1024
#: A saved notebook with its outputs (inline SVGs, tables) rarely exceeds tens of megabytes.
MAX_NOTEBOOK_BYTES = 256 * 1024 * 1024

_BOM = b"\xef\xbb\xbf"


def decode_utf8(data: bytes, *, source: str, what: str,
                error: type[QrpError] = ConfigError) -> str:
    """``data`` as text: a leading BOM dropped, anything but UTF-8 refused with its place."""
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise error(f"the {what} is not UTF-8: byte 0x{data[exc.start]:02x} at byte offset "
                    f"{exc.start} (line {line}, column {column}) cannot be decoded",
                    where=f"{source}:{line}",
                    fix="save the file as UTF-8 (in most editors: Save As, encoding UTF-8)"
                    ) from None


def read_text_file(path: str | os.PathLike[str], *, what: str, where: str,
                   max_bytes: int = MAX_CONFIG_BYTES,
                   error: type[QrpError] = ConfigError) -> str:
    """The text of the regular file at ``path``, read as UTF-8 (see the module docstring).

    ``what`` names the file's role in messages ("config", "policy file"); ``where`` is the
    place the path was given (``qrp run CONFIG``, ``--notebook``).
    """
    p = Path(path)
    shown = str(p)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise QrpError(f"{what} {shown!r} does not exist", where=where,
                       fix=f"pass the path of the {what}") from None
    except OSError as exc:
        raise QrpError(f"cannot read the {what} {shown!r}: {exc.strerror or exc}", where=where,
                       fix="check the path and its permissions") from None
    if stat.S_ISDIR(st.st_mode):
        raise QrpError(f"{what} {shown!r} is a directory", where=where,
                       fix=f"pass the path of the {what} file inside it")
    if not stat.S_ISREG(st.st_mode):
        raise QrpError(f"{what} {shown!r} is not a regular file (a device, FIFO or socket)",
                       where=where, fix=f"pass the path of the {what} file")
    if st.st_size > max_bytes:
        raise error(f"the {what} {shown!r} is {st.st_size:,} bytes, more than the "
                    f"{max_bytes:,} QRP reads", where=shown,
                    fix=f"pass the right file (a {what} is far smaller)")
    try:
        with open(p, "rb") as f:
            data = f.read(max_bytes + 1)  # bounded even if the file grows while read
    except OSError as exc:
        raise QrpError(f"cannot read the {what} {shown!r}: {exc.strerror or exc}", where=where,
                       fix="check the file's permissions") from None
    if len(data) > max_bytes:
        raise error(f"the {what} {shown!r} is more than the {max_bytes:,} bytes QRP reads",
                    where=shown, fix=f"pass the right file (a {what} is far smaller)")
    return decode_utf8(data, source=shown, what=what, error=error)


def nesting_depth(value: Any, *, limit: int) -> int:
    """How deep lists and dicts nest in ``value``, counted without recursion; stops counting
    (and returns ``limit + 1``) as soon as the depth exceeds ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, (list, tuple)):
            children = node
        else:
            continue
        if depth > limit:
            return limit + 1
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest

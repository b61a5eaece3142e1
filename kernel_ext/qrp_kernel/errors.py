"""The one place where QRP's errors become IPython ``UsageError``s.

A :class:`qrp_jupyter.errors.QrpError` says what was wrong, where and how to fix it; the magic
shows that as one line (IPython prints a ``UsageError`` without a traceback). Nothing else in
QRP converts errors: the core raises ``QrpError``, the CLI prints it, the magics translate it.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from IPython.core.error import UsageError

__all__ = ["one_line", "usage_error", "translate_errors"]


def one_line(text: str) -> str:
    """Collapse whitespace (newlines included) so a message is exactly one line."""
    return " ".join(str(text).split())


def usage_error(magic: str, what: str, *, where: str | None = None,
                fix: str | None = None) -> UsageError:
    """``%magic: what (at where) Fix: fix`` as a one-line :class:`UsageError`."""
    text = f"{magic}: {what}"
    if where:
        text += f" (at {where})"
    if fix:
        text += f" Fix: {fix}"
    return UsageError(one_line(text))


@contextmanager
def translate_errors(magic: str, *, short: bool = True) -> Iterator[None]:
    """Turn any :class:`~qrp_jupyter.errors.QrpError` raised inside into a one-line UsageError.

    With ``short=False`` (``%config QrpMagics.short_errors = False``) the original error
    propagates with its traceback, for debugging QRP itself.
    """
    from qrp_jupyter.errors import QrpError

    try:
        yield
    except QrpError as exc:
        if not short:
            raise
        raise usage_error(magic, exc.what, where=exc.where, fix=exc.fix) from None

"""Text that came from users, shown so that it cannot pose as QRP's own output.

A reason, an actor (``QRP_ACTOR``), a run or dataset name, a file name or an asset name is
stored exactly as given (it is hashed), but printed escaped: a newline inside a reason must not
start a fake ``[ok]`` line of an audit, and an ANSI escape must not clear the screen or recolour
a verdict. :func:`shown` escapes every control character of one value, newlines included;
:func:`terminal_safe` is the net under a whole block of output: it keeps the block's own
newlines and tabs and escapes every other control character (ESC, the C1 range, carriage
return, bidirectional overrides).

Examples
--------
>>> shown("ok\\n  [ok] forged \\x1b[2J")
'ok\\\\n  [ok] forged \\\\x1b[2J'
>>> terminal_safe("line 1\\nline 2 \\x1b[31mred\\x1b[0m")
'line 1\\nline 2 \\\\x1b[31mred\\\\x1b[0m'
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["shown", "terminal_safe"]

# DEL, the C1 controls, and the Unicode marks that reorder or hide text.
_INVISIBLE = "\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
_ANY = re.compile(f"[\x00-\x1f{_INVISIBLE}]")                 # every C0 control too
_NOT_LAYOUT = re.compile(f"[\x00-\x08\x0b-\x1f{_INVISIBLE}]")  # all but \t and \n
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(value: Any) -> str:
    """``str(value)`` with every control character escaped (one line, nothing hidden)."""
    return _ANY.sub(_escape, str(value))


def terminal_safe(text: str) -> str:
    """``text`` with every control character but newline and tab escaped."""
    return _NOT_LAYOUT.sub(_escape, text)

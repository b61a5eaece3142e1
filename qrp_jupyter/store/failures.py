"""SQLite's refusals as :class:`~qrp_jupyter.errors.StoreError`, each naming the rule that refused.

Triggers raise ``qrp[<trigger name>]: <text>`` (older stores: ``qrp: <text>``); constraint
failures read ``UNIQUE constraint failed: ...`` and the like. Python checks first and explains
(house style), so reaching these means a write bypassed or raced those checks.
"""

from __future__ import annotations

import re
import sqlite3

from ..errors import StoreError

__all__ = ["store_error", "CONSTRAINT_RULES"]

_TRIGGER = re.compile(r"^qrp(?:\[(?P<rule>[A-Za-z0-9_:.-]+)\])?:\s*(?P<text>.*)$", re.S)
_CONSTRAINT = re.compile(r"^(?P<kind>UNIQUE|FOREIGN KEY|CHECK|NOT NULL) constraint failed"
                         r"(?::\s*(?P<detail>.*))?$", re.S)

#: rule -> what to do about a plain constraint failure.
CONSTRAINT_RULES = {
    "sqlite:UNIQUE": "that row already exists; stored rows are never replaced, so write a new "
                     "one or use the existing row",
    "sqlite:FOREIGN KEY": "the row refers to one that is not in the store; write that row first",
    "sqlite:CHECK": "a value is outside what the column allows (see the schema)",
    "sqlite:NOT NULL": "a required column has no value",
}

_TRIGGER_FIX = ("the store enforces this rule itself; change governed rows only through QRP "
                "(qrp promote / reject / retire, register a new version), never by hand")
_APPEND_ONLY_FIX = "rows of this table are permanent: record a new row instead of changing one"
_OTHER_FIX = "check the --db path and that no other process holds the store; `qrp verify` " \
             "reports damage"


def _trigger_fix(rule: str | None) -> str:
    if rule and (rule.endswith("_no_update") or rule.endswith("_no_delete")):
        return _APPEND_ONLY_FIX
    return _TRIGGER_FIX


def store_error(exc: sqlite3.Error, statement: str) -> StoreError:
    """The :class:`StoreError` for ``exc`` raised while running the named ``statement``."""
    message = " ".join(str(exc).split())  # one line, whatever SQLite put in it
    m = _TRIGGER.match(message)
    if m:
        rule = m["rule"]
        return StoreError(m["text"], where=statement, fix=_trigger_fix(rule), rule=rule)
    m = _CONSTRAINT.match(message)
    if m:
        rule = f"sqlite:{m['kind']}"
        what = f"{m['kind']} constraint failed" + (f" on {m['detail']}" if m["detail"] else "")
        return StoreError(what, where=statement, fix=CONSTRAINT_RULES[rule], rule=rule)
    return StoreError(f"SQLite refused {statement}: {message}", where=statement, fix=_OTHER_FIX)
